import type { Box as FaceBox } from '../vocabulary';
import * as tf from '../models/tf';
import { readAndDispose } from '../models/tensorRead';
import { asFloat32, slicePixels } from './input/region';

/** Longest side of a stored / returned face thumbnail. */
export const THUMBNAIL_SIZE = 150;

/**
 * A JPEG of the face region (its box grown by 25 % on each side, square, clipped to the image), at most
 * THUMBNAIL_SIZE px. `pixels` is the decoded [h, w, 3] image; it is not disposed.
 */
export async function faceThumbnail(pixels: tf.Tensor3D, box: FaceBox): Promise<Blob> {
  const [h, w] = pixels.shape;
  const side = Math.max(box.width, box.height) * 1.5;
  const cx = box.x + box.width / 2,
    cy = box.y + box.height / 2;
  const x0 = clamp(Math.round(cx - side / 2), 0, w - 1),
    y0 = clamp(Math.round(cy - side / 2), 0, h - 1);
  const x1 = clamp(Math.round(cx + side / 2), x0 + 1, w),
    y1 = clamp(Math.round(cy + side / 2), y0 + 1, h);
  const scale = Math.min(1, THUMBNAIL_SIZE / Math.max(x1 - x0, y1 - y0));
  const tw = Math.max(1, Math.round((x1 - x0) * scale)),
    th = Math.max(1, Math.round((y1 - y0) * scale));
  const crop = tf.tidy(() => {
    const region = asFloat32(slicePixels(pixels, y0, x0, y1 - y0, x1 - x0));
    return tf.cast(
      tf.clipByValue(scale < 1 ? tf.image.resizeBilinear(region, [th, tw], true) : region, 0, 255),
      'int32',
    ) as tf.Tensor3D;
  });
  // Its values are read: the tensor is not held while the JPEG encodes.
  const rgb = await readAndDispose(crop, 'int32');
  return encodeJpeg(rgb, tw, th);
}

/**
 * The whole decoded image as a new JPEG (StoreFullImage): upright, and without the input's metadata (the canvas
 * encoder writes no EXIF, XMP or comments).
 */
export async function fullImageJpeg(pixels: tf.Tensor3D): Promise<Blob> {
  const [h, w] = pixels.shape;
  return encodeJpeg(await pixels.data(), w, h, 0.92);
}

async function encodeJpeg(rgb: ArrayLike<number>, width: number, height: number, quality = 0.85): Promise<Blob> {
  const rgba = new Uint8ClampedArray(width * height * 4);
  for (let i = 0, j = 0; i < width * height; i++, j += 3) {
    rgba[i * 4] = rgb[j]!;
    rgba[i * 4 + 1] = rgb[j + 1]!;
    rgba[i * 4 + 2] = rgb[j + 2]!;
    rgba[i * 4 + 3] = 255;
  }
  const image = new ImageData(rgba, width, height);
  if (typeof OffscreenCanvas === 'function') {
    const canvas = new OffscreenCanvas(width, height);
    canvas.getContext('2d')!.putImageData(image, 0, 0);
    return canvas.convertToBlob({ type: 'image/jpeg', quality });
  }
  const canvas = document.createElement('canvas');
  canvas.width = width;
  canvas.height = height;
  canvas.getContext('2d')!.putImageData(image, 0, 0);
  return new Promise((resolve, reject) =>
    canvas.toBlob((b) => (b ? resolve(b) : reject(new Error('JPEG encoding failed'))), 'image/jpeg', quality),
  );
}

export async function blobToBase64(blob: Blob | undefined): Promise<string> {
  if (!blob) return '';
  const bytes = new Uint8Array(await blob.arrayBuffer());
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

function clamp(v: number, lo: number, hi: number): number {
  return v < lo ? lo : v > hi ? hi : v;
}
