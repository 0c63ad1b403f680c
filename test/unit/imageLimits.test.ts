import { describe, expect, test } from 'vitest';
import { FaceError } from '../../src/errors';
import { base64DecodedLength, base64Payload, maxBase64Chars } from '../../src/face/input/imageHeader';
import { DEFAULT_IMAGE_LIMITS, resolveImageLimits } from '../../src/face/input/limits';

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
    // One byte more is always refused by the exact check, however it is encoded.
    expect(base64DecodedLength(base64Payload(Buffer.alloc(maxBytes + 1).toString('base64'))!)).toBeGreaterThan(
      maxBytes,
    );
  });
  test('a length of 4n+1 is not base64', () => {
    expect(base64Payload('AQIDB')).toBeUndefined();
  });
});
