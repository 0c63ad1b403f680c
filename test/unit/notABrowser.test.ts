// @vitest-environment jsdom
import { afterEach, expect, it, vi } from 'vitest';
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

afterEach(() => vi.unstubAllGlobals());

// On Node (no document, no location) a relative modelBaseUrl, as README tells bundled apps to pass, cannot be
// resolved: the refusal says where the client runs before any option is read as a URL.
it('createFaceClient({ modelBaseUrl: "/models/" }) with no document nor location is refused as not a browser', async () => {
  vi.stubGlobal('document', undefined);
  vi.stubGlobal('location', undefined);
  await expect(createFaceClient({ modelBaseUrl: '/models/' })).rejects.toMatchObject({
    code: 'ERR_INTERNAL',
    metadata: { reason: 'not-a-browser' },
  });
});
