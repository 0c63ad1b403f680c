import { describe, expect, test } from 'vitest';
import { FaceError } from '../../src/errors';
import { base64DecodedLength, base64Payload, maxBase64Chars } from '../../src/face/input/imageHeader';
import { DEFAULT_IMAGE_LIMITS, resolveImageLimits, sizeForTexture } from '../../src/face/input/limits';
import { boxInInput, faceInInput } from '../../src/vocabulary';

const code = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(FaceError);
    return (e as FaceError).code;
  }
  return 'ok';
};

describe('imageLimits', () => {
  test('defaults: 5 MB, 128–6000 px per side, 36 MP (6000×6000, the API contract)', () => {
    expect(resolveImageLimits(undefined)).toEqual({
      maxBytes: 5 * 1024 * 1024,
      minDimension: 128,
      maxDimension: 6000,
      maxPixels: 36_000_000,
    });
    expect(resolveImageLimits({})).toEqual(DEFAULT_IMAGE_LIMITS);
  });
  test('a key given overrides its default; a key set to undefined keeps it', () => {
    expect(resolveImageLimits({ minDimension: 64, maxPixels: 1_000_000 })).toEqual({
      ...DEFAULT_IMAGE_LIMITS,
      minDimension: 64,
      maxPixels: 1_000_000,
    });
    expect(resolveImageLimits({ maxBytes: undefined, maxDimension: undefined })).toEqual(DEFAULT_IMAGE_LIMITS);
  });
  test('NaN, Infinity, null, zero, negatives, fractions, strings and values above the ceiling are ERR_INVALID_ARGUMENT', () => {
    for (const bad of [NaN, Infinity, -Infinity, null, 0, -1, 1.5, '100', true, {}, 1e12]) {
      for (const key of ['maxBytes', 'minDimension', 'maxDimension', 'maxPixels']) {
        expect(
          code(() => resolveImageLimits({ [key]: bad })),
          `${key}: ${String(bad)}`,
        ).toBe('ERR_INVALID_ARGUMENT');
      }
    }
    expect(code(() => resolveImageLimits({ maxDimension: 16385 }))).toBe('ERR_INVALID_ARGUMENT');
    expect(code(() => resolveImageLimits({ maxPixels: 50_000_001 }))).toBe('ERR_INVALID_ARGUMENT');
    expect(code(() => resolveImageLimits({ maxBytes: 64 * 1024 * 1024 + 1 }))).toBe('ERR_INVALID_ARGUMENT');
  });
  test('an unknown key (a typo) and a non-object are refused', () => {
    expect(code(() => resolveImageLimits({ maxbytes: 10 }))).toBe('ERR_INVALID_ARGUMENT');
    for (const bad of [null, 5, 'big', [1]]) expect(code(() => resolveImageLimits(bad))).toBe('ERR_INVALID_ARGUMENT');
  });
  test('limits that no image could pass are refused', () => {
    expect(code(() => resolveImageLimits({ minDimension: 500, maxDimension: 400 }))).toBe('ERR_INVALID_ARGUMENT');
    expect(code(() => resolveImageLimits({ minDimension: 1000, maxPixels: 999_999 }))).toBe('ERR_INVALID_ARGUMENT');
  });
});

describe('base64 size before decoding', () => {
  test('the decoded length is exact for every padding', () => {
    for (const n of [1, 2, 3, 4, 5, 100, 1001]) {
      const b64 = Buffer.alloc(n, 7).toString('base64');
      expect(base64DecodedLength(base64Payload(b64)!)).toBe(n);
      expect(base64DecodedLength(base64Payload(b64.replace(/=+$/, ''))!)).toBe(n);
    }
  });
  test('maxBase64Chars bounds any encoding of maxBytes, with a data: URL and MIME line breaks', () => {
    const maxBytes = 30_000;
    const b64 = Buffer.alloc(maxBytes, 1).toString('base64');
    const mime = `data:image/jpeg;base64,${b64.replace(/.{76}/g, '$&\r\n')}`;
    expect(mime.length).toBeLessThanOrEqual(maxBase64Chars(maxBytes));
    expect(base64DecodedLength(base64Payload(mime)!)).toBe(maxBytes);
    // PEM / `openssl base64` style, CRLF every 64 characters, at the default 5 MB.
    const pemBytes = 5 * 1024 * 1024;
    const pem = Buffer.alloc(pemBytes, 1).toString('base64').replace(/.{64}/g, '$&\r\n');
    expect(pem.length).toBeLessThanOrEqual(maxBase64Chars(pemBytes));
    expect(base64DecodedLength(base64Payload(pem)!)).toBe(pemBytes);
    // One byte more is always refused by the exact check, however it is encoded.
    expect(base64DecodedLength(base64Payload(Buffer.alloc(maxBytes + 1).toString('base64'))!)).toBeGreaterThan(
      maxBytes,
    );
  });
  test('a length of 4n+1 is not base64', () => {
    expect(base64Payload('AQIDB')).toBeUndefined();
  });
});

describe('sizeForTexture: the size an image is decoded at on a GPU', () => {
  const fits = (s: { width: number; height: number }, max: number) =>
    s.width <= max && s.height <= max && s.width * s.height * 3 <= max * max;

  test('keeps an image that fits, and every image without a GPU', () => {
    expect(sizeForTexture(4032, 3024, 8192)).toEqual({ width: 4032, height: 3024, scale: 1 });
    expect(sizeForTexture(9000, 6000, 0)).toEqual({ width: 9000, height: 6000, scale: 1 });
  });

  test('scales a 12-MP phone photo down to what a 4096² texture holds, keeping its aspect ratio', () => {
    const s = sizeForTexture(4032, 3024, 4096);
    expect(fits(s, 4096)).toBe(true);
    expect(s.scale).toBeCloseTo(0.6772, 3); // √(4096² / (3 × 4032 × 3024))
    expect(s.width / s.height).toBeCloseTo(4032 / 3024, 2);
    expect(s.scale).toBe(s.width / 4032);
  });

  test('scales a side longer than the texture to fit it', () => {
    const s = sizeForTexture(9000, 600, 8192);
    expect(s.width).toBeLessThanOrEqual(8192);
    expect(s.width).toBeGreaterThan(8180);
    expect(fits(s, 8192)).toBe(true);
  });

  test('always fits, over many sizes and limits (largest size within one pixel)', () => {
    for (const max of [2048, 4096, 8192, 16384])
      for (let w = 1000; w <= 16384; w += 731)
        for (const h of [16, 777, 3000, 9000, 16384]) {
          const s = sizeForTexture(w, h, max);
          expect(fits(s, max)).toBe(true);
          if (s.scale < 1)
            expect(fits({ width: s.width + 2, height: Math.ceil((s.width + 2) * (h / w)) }, max)).toBe(false);
        }
  });
});

describe('faceInInput: a face found in a scaled-down copy, in pixels of the image', () => {
  const face = {
    box: { x: 10, y: 20, width: 30, height: 40 },
    score: 0.9,
    keypoints: {
      rightEye: { x: 15, y: 30 },
      leftEye: { x: 25, y: 30 },
      noseTip: { x: 20, y: 38 },
      mouthCenter: { x: 20, y: 48 },
      rightEarTragion: { x: 11, y: 35 },
      leftEarTragion: { x: 39, y: 35 },
    },
    pose: { yaw: 5, pitch: -3, roll: 1 },
  };
  test('scales every coordinate along its axis and keeps the rest', () => {
    const f = faceInInput(face, { x: 2, y: 2 });
    expect(f.box).toEqual({ x: 20, y: 40, width: 60, height: 80 });
    expect(f.keypoints.noseTip).toEqual({ x: 40, y: 76 });
    expect(f.keypoints.leftEarTragion).toEqual({ x: 78, y: 70 });
    expect(f.pose).toEqual(face.pose);
    expect(f.score).toBe(0.9);
    expect(face.box.x).toBe(10); // the input is not changed
    expect(faceInInput(face, { x: 1, y: 1 })).toBe(face);
    // A decoded height rounded down more than its width: each axis has its own factor.
    expect(boxInInput(face.box, { x: 4, y: 4.5 })).toEqual({ x: 40, y: 90, width: 120, height: 180 });
  });
});
