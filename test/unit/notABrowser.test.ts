// @vitest-environment jsdom
import { expect, it } from 'vitest';
import { createFaceClient } from '../../src/index';

// A test environment's simulated DOM has a document but decodes no image: a client made there must say so, not fail
// on model URLs or TF.js internals.
it('createFaceClient in a simulated DOM (jsdom) is refused as not a browser', async () => {
  expect(typeof document).toBe('object');
  await expect(createFaceClient()).rejects.toMatchObject({
    code: 'ERR_INTERNAL',
    metadata: { reason: 'not-a-browser' },
    message: expect.stringContaining('simulated DOM such as jsdom'),
  });
});
