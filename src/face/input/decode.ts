import * as tf from '../../models/tf';
import { FaceError } from '../../errors';
import {
  base64DecodedLength,
  base64Payload,
  decodeBase64Payload,
  maxBase64Chars,
  readImageHeader,
  type ImageHeader,
} from './imageHeader';
import { DEFAULT_IMAGE_LIMITS, type ImageLimits } from './limits';

export { DEFAULT_IMAGE_LIMITS, resolveImageLimits, type ImageLimits } from './limits';

/** Everything a `face` / `image` argument may be (docs/api.md, "Images"). */
export type ImageInput =
  | string
  | Blob
  | ArrayBuffer
  | Uint8Array
  | ImageData
  | ImageBitmap
  | HTMLImageElement
  | HTMLCanvasElement
  | OffscreenCanvas
  | HTMLVideoElement
  | VideoFrame;

/**
 * A decoded image as a float32 [height, width, 3] RGB (0..255) tensor the caller disposes, upright (EXIF orientation
 * applied). The input's encoded bytes are deliberately not kept: they may carry EXIF metadata.
 */
export interface DecodedImage {
  pixels: tf.Tensor3D;
  width: number;
  height: number;
}

const ACCEPTED =
  'a base64 string (plain or data: URL), Blob/File, ArrayBuffer/Uint8Array of JPEG or PNG bytes, ImageData, ImageBitmap, ' +
  'HTMLImageElement, HTMLCanvasElement, OffscreenCanvas, HTMLVideoElement or VideoFrame';

const isInstance = <T>(value: unknown, name: string): value is T => {
  const ctor = (globalThis as Record<string, unknown>)[name];
  return typeof ctor === 'function' && value instanceof (ctor as new () => T);
};

export async function decodeImage(
  input: unknown,
  limits: ImageLimits = DEFAULT_IMAGE_LIMITS,
  argName = 'image',
): Promise<DecodedImage> {
  if (typeof input === 'string') {
    // The size is known from the string's length: refuse before copying or decoding a huge string.
    if (input.length > maxBase64Chars(limits.maxBytes))
      throw tooLargeBytes(Math.floor((input.length * 3) / 4), limits, argName);
    const payload = base64Payload(input);
    const notBase64 = () =>
      new FaceError(
        'ERR_BASE64_IMAGE_CANNOT_BE_DECODED',
        `The ${argName} string is not valid base64 (plain or a data: URL). Pass the JPEG or PNG file's bytes encoded as base64.`,
      );
    if (payload === undefined) throw notBase64();
    const size = base64DecodedLength(payload);
    if (size > limits.maxBytes) throw tooLargeBytes(size, limits, argName);
    const bytes = decodeBase64Payload(payload);
    if (!bytes) throw notBase64();
    return decodeEncoded(bytes, limits, argName);
  }
  if (input instanceof Uint8Array) return decodeEncoded(input, limits, argName);
  if (input instanceof ArrayBuffer) return decodeEncoded(new Uint8Array(input), limits, argName);
  if (isInstance<Blob>(input, 'Blob')) {
    if (input.size > limits.maxBytes) throw tooLargeBytes(input.size, limits, argName);
    let bytes: ArrayBuffer;
    try {
      bytes = await input.arrayBuffer();
    } catch (cause) {
      // A File changed, moved or deleted on disk since it was picked (NotReadableError).
      throw new FaceError(
        'ERR_INVALID_ARGUMENT',
        `The ${argName} file could not be read (${cause instanceof Error ? cause.name : 'read error'}): it may have been changed, moved or deleted since it was chosen. Choose it again.`,
        { cause },
      );
    }
    return decodeEncoded(new Uint8Array(bytes), limits, argName);
  }
  if (isInstance<ImageData>(input, 'ImageData'))
    return fromPixelSource(input, input.width, input.height, limits, argName);
  if (isInstance<ImageBitmap>(input, 'ImageBitmap'))
    return fromPixelSource(input, input.width, input.height, limits, argName);
  if (isInstance<HTMLImageElement>(input, 'HTMLImageElement')) {
    if (!input.complete || input.naturalWidth === 0) {
      throw new FaceError(
        'ERR_INVALID_ARGUMENT',
        `The ${argName} <img> has not finished loading (or failed to load). Await img.decode() before passing it.`,
      );
    }
    // tf.browser.fromPixels reads an <img> at img.width × img.height, its shown (or width-attribute) size: a photo
    // shown smaller would be read scaled down or squashed, so it is drawn at its own size first.
    if (input.width === input.naturalWidth && input.height === input.naturalHeight)
      return fromPixelSource(input, input.naturalWidth, input.naturalHeight, limits, argName);
    checkPixelSize(input.naturalWidth, input.naturalHeight, limits, argName);
    return fromBitmapOf(input, limits, argName, `The ${argName} <img> could not be drawn.`);
  }
  if (isInstance<HTMLCanvasElement>(input, 'HTMLCanvasElement')) {
    // Through a bitmap: on WASM and CPU, fromPixels reads a canvas with getContext('2d'), which a WebGL canvas does
    // not have (and which a canvas without a context would be tied to from then on).
    checkPixelSize(input.width, input.height, limits, argName);
    return fromBitmapOf(
      input,
      limits,
      argName,
      `The ${argName} canvas has no pixels to read (its size is 0, or its context was lost).`,
    );
  }
  if (isInstance<HTMLVideoElement>(input, 'HTMLVideoElement')) {
    if (input.readyState < 2 || input.videoWidth === 0) {
      throw new FaceError(
        'ERR_INVALID_ARGUMENT',
        `The ${argName} <video> has no current frame yet. Wait for its 'loadeddata' event before passing it.`,
      );
    }
    return fromPixelSource(input, input.videoWidth, input.videoHeight, limits, argName);
  }
  if (isInstance<OffscreenCanvas>(input, 'OffscreenCanvas')) {
    checkPixelSize(input.width, input.height, limits, argName);
    return fromBitmapOf(
      input,
      limits,
      argName,
      `The ${argName} OffscreenCanvas has no pixels to read: it has no rendering context yet, or it was transferred. Draw on it (getContext('2d')) before passing it.`,
    );
  }
  if (isInstance<VideoFrame>(input, 'VideoFrame')) {
    const closed = `The ${argName} VideoFrame has been closed. Pass it before calling frame.close().`;
    if (input.displayWidth === 0) throw new FaceError('ERR_INVALID_ARGUMENT', closed);
    checkPixelSize(input.displayWidth, input.displayHeight, limits, argName);
    // A frame held on the GPU may have no CPU format (format null): it can still be drawn.
    const direct = input.format === null ? undefined : await videoFramePixels(input);
    return direct ?? fromBitmapOf(input, limits, argName, closed);
  }
  const got = input === null ? 'null' : Array.isArray(input) ? 'an array' : typeof input;
  throw new FaceError('ERR_INVALID_ARGUMENT', `The ${argName} argument must be ${ACCEPTED}; got ${got}.`);
}

/**
 * A video frame's pixels read by the browser's own conversion to RGBA (VideoFrame.copyTo), without drawing the frame
 * on a canvas and reading the canvas back: on a camera frame in a Worker that readback was most of a frame's decode
 * time. Undefined where copyTo cannot convert (older browsers) or the frame is shown scaled (display size ≠ its
 * visible pixels): the caller then draws it.
 */
async function videoFramePixels(frame: VideoFrame): Promise<DecodedImage | undefined> {
  const width = frame.displayWidth,
    height = frame.displayHeight;
  const visible = frame.visibleRect;
  if (!visible || visible.width !== width || visible.height !== height) return undefined;
  // A browser that ignores copyTo's `format` copies a BGRA frame as it is, the same size as RGBA: red and blue would
  // be swapped unnoticed. Such frames (made from canvases; cameras give YUV) are drawn instead.
  if (frame.format === 'BGRA' || frame.format === 'BGRX') return undefined;
  let rgba: Uint8Array;
  try {
    rgba = new Uint8Array(frame.allocationSize({ format: 'RGBA' }));
    await frame.copyTo(rgba, { format: 'RGBA', colorSpace: 'srgb' });
  } catch {
    return undefined;
  }
  if (rgba.length < width * height * 4) return undefined;
  const rgb = new Float32Array(width * height * 3);
  for (let i = 0, j = 0; j < rgb.length; i += 4, j += 3) {
    rgb[j] = rgba[i]!;
    rgb[j + 1] = rgba[i + 1]!;
    rgb[j + 2] = rgba[i + 2]!;
  }
  return { pixels: tf.tensor3d(rgb, [height, width, 3], 'float32'), width, height };
}

/** The source drawn into a bitmap and read from there; `unreadable` is the error's sentence if it cannot be drawn. */
async function fromBitmapOf(
  source: HTMLImageElement | HTMLCanvasElement | OffscreenCanvas | VideoFrame,
  limits: ImageLimits,
  argName: string,
  unreadable: string,
): Promise<DecodedImage> {
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(source);
  } catch (cause) {
    throw new FaceError('ERR_INVALID_ARGUMENT', unreadable, { cause });
  }
  try {
    return fromPixelSource(bitmap, bitmap.width, bitmap.height, limits, argName);
  } finally {
    bitmap.close();
  }
}

async function decodeEncoded(bytes: Uint8Array, limits: ImageLimits, argName: string): Promise<DecodedImage> {
  if (bytes.byteLength > limits.maxBytes) throw tooLargeBytes(bytes.byteLength, limits, argName);
  const header = readImageHeader(bytes);
  if (!header) {
    throw new FaceError(
      'ERR_BASE64_IMAGE_CANNOT_BE_DECODED',
      `The ${argName} could not be decoded as JPEG/PNG bytes. Only JPEG and PNG files are accepted.`,
    );
  }
  checkEncodedSize(header, limits, argName);
  // A Blob cannot be made from shared memory (a view of a SharedArrayBuffer): such bytes are copied first.
  const own = bytes.buffer instanceof ArrayBuffer ? bytes : bytes.slice();
  const blob = new Blob([own as Uint8Array<ArrayBuffer>], {
    type: header.format === 'jpeg' ? 'image/jpeg' : 'image/png',
  });
  let bitmap: ImageBitmap;
  try {
    // 'from-image' applies the EXIF orientation, so a phone photo stored sideways is upright here.
    bitmap = await createImageBitmap(blob, { imageOrientation: 'from-image' });
  } catch (cause) {
    throw new FaceError(
      'ERR_BASE64_IMAGE_CANNOT_BE_DECODED',
      `The ${argName} has a ${header.format.toUpperCase()} header but its data could not be decoded (truncated or corrupt file).`,
      { cause },
    );
  }
  try {
    return fromPixelSource(bitmap, bitmap.width, bitmap.height, limits, argName);
  } finally {
    bitmap.close();
  }
}

function fromPixelSource(
  source: ImageData | ImageBitmap | HTMLImageElement | HTMLCanvasElement | HTMLVideoElement,
  width: number,
  height: number,
  limits: ImageLimits,
  argName: string,
): DecodedImage {
  checkPixelSize(width, height, limits, argName);
  try {
    // float32 once here: every model and crop reads float32 (the same 4 bytes a value as int32), so one cast per
    // image instead of one per stage (~1 ms each for a 640×480 frame).
    return { pixels: tf.tidy(() => tf.cast(tf.browser.fromPixels(source, 3), 'float32')), width, height };
  } catch (cause) {
    const tainted = cause instanceof DOMException && cause.name === 'SecurityError';
    throw new FaceError(
      tainted ? 'ERR_INVALID_ARGUMENT' : 'ERR_BASE64_IMAGE_CANNOT_BE_DECODED',
      tainted
        ? `The ${argName} comes from another origin without CORS, so its pixels cannot be read. Serve it with CORS headers and set crossOrigin="anonymous".`
        : `The ${argName}'s pixels could not be read.`,
      { cause },
    );
  }
}

/** The smallest side of a pixel source (canvas, frame, ImageData); encoded images have imageLimits.minDimension. */
const MIN_PIXEL_SIDE = 16;

function checkPixelSize(width: number, height: number, limits: ImageLimits, argName: string): void {
  if (!(width > 0 && height > 0)) {
    throw new FaceError('ERR_INVALID_ARGUMENT', `The ${argName} is empty (${width}×${height} pixels).`);
  }
  if (width > limits.maxDimension || height > limits.maxDimension) {
    throw new FaceError(
      'ERR_IMAGE_TOO_LARGE',
      `The ${argName} is ${width}×${height} pixels; the largest accepted is ${limits.maxDimension}×${limits.maxDimension}. Scale it down first.`,
      { metadata: { width, height } },
    );
  }
  if (width * height > limits.maxPixels) {
    const mp = (n: number) => (n / 1e6).toFixed(1);
    throw new FaceError(
      'ERR_IMAGE_TOO_LARGE',
      `The ${argName} is ${width}×${height} pixels (${mp(width * height)} MP); the largest accepted is ${mp(limits.maxPixels)} MP. Scale it down first (faces need far fewer pixels).`,
      { metadata: { width, height } },
    );
  }
  // No face fits, and the detector's and checks' coordinates (divided by width − 1) would not be numbers.
  if (width < MIN_PIXEL_SIDE || height < MIN_PIXEL_SIDE) {
    throw new FaceError(
      'ERR_IMAGE_TOO_SMALL',
      `The ${argName} is ${width}×${height} pixels, too small to hold a face (at least ${MIN_PIXEL_SIDE} pixels a side). Use a larger image.`,
      { metadata: { width, height } },
    );
  }
}

function checkEncodedSize(header: ImageHeader, limits: ImageLimits, argName: string): void {
  const { displayWidth: w, displayHeight: h } = header;
  if (w < limits.minDimension || h < limits.minDimension) {
    throw new FaceError(
      'ERR_IMAGE_TOO_SMALL',
      `The ${argName} is ${w}×${h} pixels; the smallest accepted is ${limits.minDimension}×${limits.minDimension}. Use a larger photo.`,
      { metadata: { width: w, height: h } },
    );
  }
  checkPixelSize(w, h, limits, argName);
}

function tooLargeBytes(size: number, limits: ImageLimits, argName: string): FaceError {
  const mb = (n: number) => (n / 1024 / 1024).toFixed(1);
  return new FaceError(
    'ERR_IMAGE_TOO_LARGE',
    `The ${argName} file is ${mb(size)} MB; the largest accepted is ${mb(limits.maxBytes)} MB. Re-encode it smaller (e.g. JPEG at 1280 px).`,
    { metadata: { bytes: size } },
  );
}
