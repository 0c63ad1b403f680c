// @vitest-environment jsdom
// (jsdom only so that the face-detection package resolves as in the browser build; nothing here uses the DOM.)
import { describe, expect, it } from 'vitest';
import { noFaceError } from '../../src/face/engine';

describe('the "no face" message says how large a face must be', () => {
  it('in a small image: ~80 px and the usual reasons', () => {
    const error = noFaceError('image', { inputWidth: 250, inputHeight: 250 });
    expect(error).toMatchObject({ code: 'ERR_FACE_NOT_DETECTED', metadata: { reason: 'FACE_TOO_SMALL_OR_CUT' } });
    expect(error.message).toContain('~80 px');
  });
  it('in a large photo: a tenth of its tiles (~100 px in 4000 × 3000)', () => {
    expect(noFaceError('image', { inputWidth: 4000, inputHeight: 3000 }).message).toContain('~100 px wide');
  });
  it('in a panorama strip, tall as wide: a tenth of the longer side of its tiles', () => {
    const wide = noFaceError('image', { inputWidth: 6000, inputHeight: 400 }).message;
    const tall = noFaceError('image', { inputWidth: 400, inputHeight: 6000 }).message;
    expect(wide).toContain('~80 px wide');
    expect(tall).toBe(wide.replace('6000×400', '400×6000'));
  });
});
