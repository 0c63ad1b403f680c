import { FaceError } from '../../errors';

export interface ImageLimits {
  /** Largest encoded input in bytes (default 5 MB; at most 64 MB). */
  maxBytes: number;
  /** Smallest width and height of an encoded image in pixels (default 128). */
  minDimension: number;
  /** Largest width and height of any image in pixels (default 6000; at most 16384). */
  maxDimension: number;
  /**
   * Largest width × height of any image (default 36,000,000 = 6000×6000, the API contract's largest image; at most
   * 50,000,000). A decoded image costs 12 bytes per pixel as a tensor (~430 MB at the default, ~145 MB for a 12 MP
   * phone photo), so memory-tight pages (phones, kiosks) should lower it.
   */
  maxPixels: number;
}

export const DEFAULT_IMAGE_LIMITS: Readonly<ImageLimits> = Object.freeze({
  maxBytes: 5 * 1024 * 1024,
  minDimension: 128,
  maxDimension: 6000,
  maxPixels: 36_000_000,
});

/** Upper bounds a caller may raise the limits to: beyond them one image can exhaust a tab's memory. */
const CEILINGS: Readonly<ImageLimits> = {
  maxBytes: 64 * 1024 * 1024,
  minDimension: 16384,
  maxDimension: 16384,
  maxPixels: 50_000_000,
};

const LIMIT_NAMES = Object.keys(DEFAULT_IMAGE_LIMITS) as (keyof ImageLimits)[];

/**
 * The defaults overridden by `partial`, each a positive integer within its ceiling. A key set to `undefined` keeps
 * its default; `NaN`, `null`, `Infinity`, a string or a misspelt key is refused rather than silently switching a
 * check off.
 */
export function resolveImageLimits(partial: unknown): ImageLimits {
  if (partial === undefined) return { ...DEFAULT_IMAGE_LIMITS };
  if (partial === null || typeof partial !== 'object' || Array.isArray(partial)) {
    throw new FaceError(
      'ERR_INVALID_ARGUMENT',
      `imageLimits must be an object such as { maxBytes: ${DEFAULT_IMAGE_LIMITS.maxBytes} }; got ${describe(partial)}.`,
    );
  }
  const limits: ImageLimits = { ...DEFAULT_IMAGE_LIMITS };
  for (const key of Object.keys(partial)) {
    if (!(LIMIT_NAMES as string[]).includes(key)) {
      throw new FaceError(
        'ERR_INVALID_ARGUMENT',
        `imageLimits has an unknown key ${JSON.stringify(key)}; the keys are ${LIMIT_NAMES.join(', ')}.`,
      );
    }
    const name = key as keyof ImageLimits;
    const value: unknown = (partial as Record<string, unknown>)[name];
    if (value === undefined) continue; // as if the key were left out: the default applies
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1 || value > CEILINGS[name]) {
      throw new FaceError(
        'ERR_INVALID_ARGUMENT',
        `imageLimits.${name} must be an integer from 1 to ${CEILINGS[name]} (default ${DEFAULT_IMAGE_LIMITS[name]}); got ${describe(value)}.`,
      );
    }
    limits[name] = value;
  }
  if (limits.minDimension > limits.maxDimension) {
    throw new FaceError(
      'ERR_INVALID_ARGUMENT',
      `imageLimits.minDimension (${limits.minDimension}) is larger than maxDimension (${limits.maxDimension}), so no image would be accepted.`,
    );
  }
  if (limits.minDimension * limits.minDimension > limits.maxPixels) {
    throw new FaceError(
      'ERR_INVALID_ARGUMENT',
      `imageLimits.maxPixels (${limits.maxPixels}) is smaller than minDimension² (${limits.minDimension}²), so no image would be accepted.`,
    );
  }
  return limits;
}

function describe(value: unknown): string {
  if (typeof value === 'number') return String(value);
  if (typeof value === 'string') return JSON.stringify(value.slice(0, 40));
  return value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value;
}

/** The size an image is decoded at, and its scale: decoded pixels per input pixel (1 = decoded whole). */
export interface DecodeSize {
  width: number;
  height: number;
  scale: number;
}

/**
 * The size a width × height image is decoded at on a GPU whose textures hold at most maxTexture² values (0: no GPU).
 * On WebGL the pixels are uploaded as one texture of width × height, then kept as one float texture of
 * width × height × 3 values laid out in a square: past the largest texture (8192² on SwiftShader, 4096² on some
 * phones: 22 MP and 5.6 MP) the upload leaves a black image or TF.js fails. Such an image is scaled down to the
 * largest size that fits, keeping its aspect ratio; faces need far fewer pixels than that.
 */
export function sizeForTexture(width: number, height: number, maxTexture: number): DecodeSize {
  const fits = (w: number, h: number) => w <= maxTexture && h <= maxTexture && w * h * 3 <= maxTexture * maxTexture;
  if (!(maxTexture > 0) || fits(width, height)) return { width, height, scale: 1 };
  let scale = Math.min(maxTexture / width, maxTexture / height, maxTexture / Math.sqrt(3 * width * height));
  let w = Math.max(1, Math.floor(width * scale));
  let h = Math.max(1, Math.floor(height * scale));
  // Floating-point rounding can leave the product a few values over: shrink by one pixel until it fits.
  while (!fits(w, h)) {
    scale *= 1 - 1 / Math.max(w, h);
    w = Math.max(1, Math.floor(width * scale));
    h = Math.max(1, Math.floor(height * scale));
  }
  return { width: w, height: h, scale: w / width };
}
