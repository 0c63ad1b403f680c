import * as tf from '../../models/tf';
import { FaceError } from '../../errors';
import {
  base64DecodedLength,
  base64Payload,
  decodeBase64Payload,
  maxBase64Chars,
  readImageHeader,
  sniffFormat,
  sniffOtherFormat,
  type ImageHeader,
} from './imageHeader';
import type { ToInput } from '../../vocabulary';
import { DEFAULT_IMAGE_LIMITS, sizeForTexture, type DecodeSize, type ImageLimits } from './limits';

export { DEFAULT_IMAGE_LIMITS, resolveImageLimits, type ImageLimits } from './limits';

/**
 * A decoded image as a float32 [height, width, 3] RGB (0..255) tensor the caller disposes, upright (EXIF orientation
 * applied). The input's encoded bytes are deliberately not kept: they may carry EXIF metadata.
 */
export interface DecodedImage {
  pixels: tf.Tensor3D;
  /** Size of `pixels`. */
  width: number;
  height: number;
  /**
   * Size of the input, upright: the same as width × height, or larger where the input was more than this device's GPU
   * holds (WebGL) and was scaled down to fit. Coordinates found in `pixels` are returned in these (inputScale).
   */
  inputWidth: number;
  inputHeight: number;
}

/** Input pixels per pixel of `decoded.pixels`, along each axis (1, 1 unless it was scaled down). */
export function inputScale(decoded: DecodedImage): ToInput {
  return { x: decoded.inputWidth / decoded.width, y: decoded.inputHeight / decoded.height };
}

const ACCEPTED =
  'a base64 string (plain or data: URL), Blob/File, ArrayBuffer/Uint8Array of JPEG or PNG bytes, ImageData, ImageBitmap, ' +
  'HTMLImageElement, HTMLCanvasElement, OffscreenCanvas, HTMLVideoElement or VideoFrame';

/** Object.prototype.toString's tag ('ImageData', 'HTMLImageElement', …); 'object' if a Proxy's trap throws. */
function tagOf(value: object): string {
  try {
    return Object.prototype.toString.call(value).slice(8, -1);
  } catch {
    return 'object';
  }
}

/**
 * Whether `value` is a `name` (a Web API class such as 'ImageData'): 'here' for one of this window's, 'elsewhere' for
 * one made in another window or an iframe, which instanceof does not recognise. The latter is confirmed by calling
 * the class's own `getter` on it, which works on that class's objects from any window and throws on anything else, so
 * an object that only claims the class's tag is not taken for one.
 */
function kindOf(value: unknown, name: string, getter: string, tags = [name]): 'here' | 'elsewhere' | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  const ctor = (globalThis as Record<string, unknown>)[name];
  if (typeof ctor !== 'function') return undefined;
  if (value instanceof (ctor as new () => unknown)) return 'here';
  if (!tags.includes(tagOf(value))) return undefined;
  const get = Object.getOwnPropertyDescriptor((ctor as { prototype: object }).prototype, getter)?.get;
  try {
    get?.call(value);
  } catch {
    return undefined;
  }
  return get ? 'elsewhere' : undefined;
}

/** The video frame types (tracker.process's frames) with the getter that tells each apart, as kindOf reads them. */
const VIDEO_FRAME_KINDS = [
  ['HTMLVideoElement', 'videoWidth'],
  ['VideoFrame', 'displayWidth'],
  ['ImageBitmap', 'width'],
  ['ImageData', 'width'],
  ['HTMLCanvasElement', 'width'],
  ['OffscreenCanvas', 'width'],
] as const;
export const VIDEO_FRAME_TYPES = VIDEO_FRAME_KINDS.map(([name]) => name);

/** A Blob or File, of this page or of another window (an iframe's), which instanceof would not recognise. */
export function isBlob(value: unknown): value is Blob {
  return kindOf(value, 'Blob', 'size', ['Blob', 'File']) !== undefined;
}

/** Whether `value` is one of VIDEO_FRAME_TYPES, of this window or of another (an iframe's canvas). */
export function isVideoFrame(value: unknown): boolean {
  return VIDEO_FRAME_KINDS.some(([name, getter]) => kindOf(value, name, getter) !== undefined);
}

/** %TypedArray%.prototype[Symbol.toStringTag]: a typed array's own type name from any window, else undefined. */
const typedArrayName = Object.getOwnPropertyDescriptor(
  Object.getPrototypeOf(Uint8Array.prototype) as object,
  Symbol.toStringTag,
)?.get as ((this: unknown) => string | undefined) | undefined;

/** The bytes of an ArrayBuffer or Uint8Array (of this window or another), else undefined. */
export function bytesOf(input: unknown, argName: string): Uint8Array | undefined {
  let kind: 'Uint8Array' | 'ArrayBuffer';
  let buffer: ArrayBufferLike;
  if (input instanceof Uint8Array || (ArrayBuffer.isView(input) && typedArrayName?.call(input) === 'Uint8Array')) {
    kind = 'Uint8Array';
    buffer = input.buffer;
  } else if (kindOf(input, 'ArrayBuffer', 'byteLength')) {
    kind = 'ArrayBuffer';
    buffer = input as ArrayBuffer;
  } else return undefined;
  // A detached buffer reads as 0 bytes (or throws): say what happened rather than "empty" or "not JPEG".
  if ((buffer as { detached?: boolean }).detached === true) throw transferred(argName, kind);
  if (input instanceof Uint8Array) return input;
  try {
    const view = input as ArrayBufferView;
    return kind === 'Uint8Array' ? new Uint8Array(buffer, view.byteOffset, view.byteLength) : new Uint8Array(buffer);
  } catch (cause) {
    // Where ArrayBuffer.prototype.detached is missing, a view of a detached buffer cannot be made.
    throw transferred(argName, kind, cause);
  }
}

/** The bytes as a Blob; a Blob cannot be made from shared memory (a view of a SharedArrayBuffer): copied first. */
export function blobOf(bytes: Uint8Array, type = ''): Blob {
  // Nor from a resizable ArrayBuffer (new ArrayBuffer(n, { maxByteLength })): copied too.
  const fixed = bytes.buffer instanceof ArrayBuffer && !(bytes.buffer as { resizable?: boolean }).resizable;
  return new Blob([(fixed ? bytes : bytes.slice()) as Uint8Array<ArrayBuffer>], { type });
}

function transferred(argName: string, kind: string, cause?: unknown): FaceError {
  return new FaceError(
    'ERR_INVALID_ARGUMENT',
    `The ${argName} ${kind}'s buffer has been transferred (postMessage or structuredClone with a transfer list), so its bytes are gone. Pass a copy (bytes.slice()) or pass it before transferring it.`,
    { cause },
  );
}

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
    if (payload === undefined) throw new FaceError('ERR_BASE64_IMAGE_CANNOT_BE_DECODED', notBase64(input, argName));
    const size = base64DecodedLength(payload);
    if (size > limits.maxBytes) throw tooLargeBytes(size, limits, argName);
    const bytes = decodeBase64Payload(payload);
    if (!bytes) throw new FaceError('ERR_BASE64_IMAGE_CANNOT_BE_DECODED', notBase64(input, argName));
    return decodeEncoded(bytes, limits, argName);
  }
  const bytes = bytesOf(input, argName);
  if (bytes) return decodeEncoded(bytes, limits, argName);
  if (kindOf(input, 'Blob', 'size', ['Blob', 'File'])) {
    const blob = input as Blob;
    if (blob.size > limits.maxBytes) throw tooLargeBytes(blob.size, limits, argName);
    let bytes: ArrayBuffer;
    try {
      bytes = await blob.arrayBuffer();
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
  const imageData = kindOf(input, 'ImageData', 'width');
  if (imageData) return fromImageData(input as ImageData, imageData === 'here', limits, argName);
  // tf.browser.fromPixels takes only this window's images, bitmaps and videos (instanceof): another window's are
  // copied into a bitmap of this one first.
  const bitmap = kindOf(input, 'ImageBitmap', 'width');
  if (bitmap) {
    const source = input as ImageBitmap;
    // createImageBitmap never makes a 0-pixel bitmap: this one was closed or transferred.
    if (source.width === 0 || source.height === 0) {
      throw new FaceError(
        'ERR_INVALID_ARGUMENT',
        `The ${argName} ImageBitmap has been closed (bitmap.close()) or transferred, so its pixels are gone. Pass it before closing or transferring it, or pass a copy (await createImageBitmap(bitmap)).`,
      );
    }
    return bitmap === 'here'
      ? fromPixelSource(source, source.width, source.height, limits, argName)
      : fromBitmapOf(
          source,
          source.width,
          source.height,
          limits,
          argName,
          `The ${argName} ImageBitmap could not be read.`,
        );
  }
  const image = kindOf(input, 'HTMLImageElement', 'naturalWidth');
  if (image) {
    const img = input as HTMLImageElement;
    if (!img.complete || img.naturalWidth === 0) {
      throw new FaceError(
        'ERR_INVALID_ARGUMENT',
        `The ${argName} <img> has not finished loading (or failed to load). Await img.decode() before passing it.`,
      );
    }
    // tf.browser.fromPixels reads an <img> at img.width × img.height, its shown (or width-attribute) size: a photo
    // shown smaller would be read scaled down or squashed, so it is drawn at its own size first. Its own size is
    // naturalWidth × naturalHeight, which for a srcset density image ("photo@2x.jpg 2x") is less than its pixels: it
    // is drawn at that size, the size fromPixels reads it at and its coordinates are in.
    if (image === 'here' && img.width === img.naturalWidth && img.height === img.naturalHeight)
      return fromPixelSource(img, img.naturalWidth, img.naturalHeight, limits, argName);
    return fromBitmapOf(
      img,
      img.naturalWidth,
      img.naturalHeight,
      limits,
      argName,
      `The ${argName} <img> could not be drawn.`,
      true,
      true,
    );
  }
  if (kindOf(input, 'HTMLCanvasElement', 'width')) {
    const canvas = input as HTMLCanvasElement;
    // Through a bitmap: on WASM and CPU, fromPixels reads a canvas with getContext('2d'), which a WebGL canvas does
    // not have (and which a canvas without a context would be tied to from then on).
    return fromBitmapOf(
      canvas,
      canvas.width,
      canvas.height,
      limits,
      argName,
      `The ${argName} canvas has no pixels to read (its size is 0, or its context was lost).`,
    );
  }
  const video = kindOf(input, 'HTMLVideoElement', 'videoWidth');
  if (video) {
    const element = input as HTMLVideoElement;
    if (element.readyState < 2 || element.videoWidth === 0) {
      throw new FaceError(
        'ERR_INVALID_ARGUMENT',
        `The ${argName} <video> has no current frame yet. Wait for its 'loadeddata' event before passing it.`,
      );
    }
    if (video === 'here') return fromPixelSource(element, element.videoWidth, element.videoHeight, limits, argName);
    return fromBitmapOf(
      element,
      element.videoWidth,
      element.videoHeight,
      limits,
      argName,
      `The ${argName} <video> frame could not be drawn.`,
      false,
    );
  }
  if (kindOf(input, 'OffscreenCanvas', 'width')) {
    const canvas = input as OffscreenCanvas;
    // A transferred OffscreenCanvas (posted to a Worker) reads 0 × 0 here.
    if (canvas.width === 0 || canvas.height === 0)
      throw new FaceError(
        'ERR_INVALID_ARGUMENT',
        `The ${argName} OffscreenCanvas is ${canvas.width}×${canvas.height} pixels: it was transferred (posted to a Worker), or it was made with no size. Pass the canvas from where it lives now, or give it a size and draw on it.`,
      );
    return fromBitmapOf(
      canvas,
      canvas.width,
      canvas.height,
      limits,
      argName,
      `The ${argName} OffscreenCanvas has no pixels to read: it has no rendering context yet, or it was transferred. Draw on it (getContext('2d')) before passing it.`,
    );
  }
  if (kindOf(input, 'VideoFrame', 'displayWidth')) {
    // rotation and flip: newer than TypeScript's DOM types.
    const frame = input as VideoFrame & { rotation?: number; flip?: boolean };
    const closed = `The ${argName} VideoFrame has been closed. Pass it before calling frame.close().`;
    const { displayWidth: width, displayHeight: height } = frame;
    if (width === 0) throw new FaceError('ERR_INVALID_ARGUMENT', closed);
    checkPixelSize(width, height, limits, argName);
    // copyTo gives the pixels as stored, and createImageBitmap (Chromium) stretches them to the display size
    // unrotated: a frame meant to be shown rotated or mirrored (a phone camera's, a portrait video's) is drawn, which
    // applies both, as the page shows it.
    if ((frame.rotation ?? 0) !== 0 || frame.flip === true)
      return fromDrawing(frame, width, height, limits, argName, `The ${argName} VideoFrame could not be drawn.`);
    // A frame held on the GPU may have no CPU format (format null): it can still be drawn; so is one to be scaled down.
    const whole = decodeSize(width, height).scale === 1;
    const direct = frame.format === null || !whole ? undefined : await videoFramePixels(frame);
    return direct ?? fromBitmapOf(frame, width, height, limits, argName, closed, false);
  }
  throw new FaceError(
    'ERR_INVALID_ARGUMENT',
    `The ${argName} argument must be ${ACCEPTED}; got ${describeInput(input)}.`,
  );
}

/** What a value is, in a message ("a DataView", "null", "an array"). */
export function describeInput(input: unknown): string {
  if (input === null) return 'null';
  if (Array.isArray(input)) return 'an array';
  if (typeof input !== 'object') return typeof input;
  const tag = tagOf(input);
  return tag === 'Object' ? 'object' : `a ${tag}`;
}

/** Why a string is not base64 of an image, said so that the caller can fix it. */
function notBase64(input: string, argName: string): string {
  const text = input.trim();
  if (text === '' || /^data:[^,]*,\s*$/i.test(text))
    return `The ${argName} string is empty. Pass the JPEG or PNG file's bytes encoded as base64 (plain or a data: URL).`;
  const scheme = /^(blob|https?|file|ftp):/i.exec(text)?.[1];
  if (scheme) {
    return `The ${argName} string is a ${scheme.toLowerCase()}: URL, and URLs are not fetched. Pass the Blob or File itself (for a URL: await (await fetch(url)).blob()), or an <img> loaded from it.`;
  }
  if (/^data:/i.test(text))
    return `The ${argName} data: URL is not base64 (no ;base64 before the comma, or not base64 after it). Pass a data:image/jpeg;base64,… URL.`;
  return `The ${argName} string is not valid base64 (plain or a data: URL). Pass the JPEG or PNG file's bytes encoded as base64.`;
}

/**
 * An ImageData's pixels, read here for what tf.browser.fromPixels cannot read: another window's ImageData (it checks
 * instanceof), and a float16 one (getImageData(…, { pixelFormat: 'rgba-float16' }), 0..1 values it would read as
 * black). 8-bit ImageData of this window go to fromPixels, which uploads them on the GPU on WebGL.
 */
async function fromImageData(
  image: ImageData,
  here: boolean,
  limits: ImageLimits,
  argName: string,
): Promise<DecodedImage> {
  const { width, height } = image;
  const format = (image as { pixelFormat?: string }).pixelFormat ?? 'rgba-unorm8';
  if (format !== 'rgba-unorm8' && format !== 'rgba-float16') {
    throw new FaceError(
      'ERR_INVALID_ARGUMENT',
      `The ${argName} ImageData has pixelFormat '${format}', which is not read; pass one of 'rgba-unorm8' (the default) or 'rgba-float16'.`,
    );
  }
  // A transferred buffer leaves the ImageData its size and no pixels, which would read as a black image.
  if (image.data.length < width * height * 4) {
    throw new FaceError(
      'ERR_INVALID_ARGUMENT',
      `The ${argName} ImageData's pixel buffer has been transferred (postMessage or structuredClone with a transfer list), so its pixels are gone. Pass the ImageData before transferring its buffer, or a copy (new ImageData(new Uint8ClampedArray(data), width, height)).`,
    );
  }
  // Values in another colour space (getImageData of a display-p3 canvas): converted to sRGB as a canvas draws them,
  // not read as sRGB numbers (a face's mean colour was off by up to 4 levels).
  if ((image as { colorSpace?: string }).colorSpace === 'display-p3') {
    checkPixelSize(width, height, limits, argName);
    const context = context2d(width, height, { colorSpace: 'display-p3', willReadFrequently: true });
    context.putImageData(image, 0, 0);
    const srgb = context.getImageData(0, 0, width, height, { colorSpace: 'srgb' });
    if (srgb.colorSpace !== 'srgb') throw new Error('the browser did not convert display-p3 pixels to sRGB');
    return fromImageData(srgb, true, limits, argName);
  }
  if (here && format === 'rgba-unorm8') return fromPixelSource(image, width, height, limits, argName);
  checkPixelSize(width, height, limits, argName);
  // As an 8-bit read of the same canvas gives: 0..1 scaled to 0..255, rounded, clamped (extended-range colours and
  // NaN included).
  const to8 = (v: number) => (v >= 1 ? 255 : v > 0 ? Math.round(v * 255) : 0);
  const rgba = format === 'rgba-unorm8' ? image.data : Uint8Array.from(image.data as ArrayLike<number>, to8);
  if (decodeSize(width, height).scale === 1) return rgbImage(rgba, width, height);
  // Too large for the GPU: an 8-bit ImageData of this window, scaled down on the way in (RGB, as read whole).
  const image8 = new ImageData(new Uint8ClampedArray(rgba), width, height);
  return fromBitmapOf(image8, width, height, limits, argName, `The ${argName} could not be scaled down.`, false);
}

/** Width × height RGBA values (0..255) as the RGB float32 image the pipeline reads. */
function rgbImage(rgba: ArrayLike<number>, width: number, height: number): DecodedImage {
  const rgb = new Float32Array(width * height * 3);
  for (let i = 0, j = 0; j < rgb.length; i += 4, j += 3) {
    rgb[j] = rgba[i]!;
    rgb[j + 1] = rgba[i + 1]!;
    rgb[j + 2] = rgba[i + 2]!;
  }
  return {
    pixels: tf.tensor3d(rgb, [height, width, 3], 'float32'),
    width,
    height,
    inputWidth: width,
    inputHeight: height,
  };
}

/** `source` drawn at width × height on a canvas (which applies a VideoFrame's rotation and flip), read from there. */
function fromDrawing(
  source: VideoFrame,
  width: number,
  height: number,
  limits: ImageLimits,
  argName: string,
  unreadable: string,
): DecodedImage {
  checkPixelSize(width, height, limits, argName);
  const size = decodeSize(width, height);
  let image: ImageData;
  try {
    image = drawnPixels(source, size.width, size.height);
  } catch (cause) {
    throw new FaceError('ERR_INVALID_ARGUMENT', unreadable, { cause });
  }
  return { ...readPixels(image, argName), inputWidth: width, inputHeight: height };
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
  return rgbImage(rgba, width, height);
}

/** The source drawn into a bitmap and read from there; `unreadable` is the error's sentence if it cannot be drawn. */
async function fromBitmapOf(
  source:
    ImageData | HTMLImageElement | HTMLCanvasElement | OffscreenCanvas | VideoFrame | ImageBitmap | HTMLVideoElement,
  width: number,
  height: number,
  limits: ImageLimits,
  argName: string,
  unreadable: string,
  /**
   * Whether pixels of alpha 0 read black, as a canvas reads them on WASM (drawn sources); false for video frames (no
   * alpha) and for sources whole-size reads take as RGB with alpha unread.
   */
  transparent = true,
  /** Draw at width × height even where the source's bitmap would have another size (an <img> from a srcset). */
  exactSize = false,
): Promise<DecodedImage> {
  checkPixelSize(width, height, limits, argName);
  const size = decodeSize(width, height);
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(source, { premultiplyAlpha: 'none', ...resizeTo(size, exactSize) });
  } catch (cause) {
    throw new FaceError('ERR_INVALID_ARGUMENT', unreadable, { cause });
  }
  try {
    return { ...readPixels(bitmap, argName, transparent), inputWidth: width, inputHeight: height };
  } finally {
    bitmap.close();
  }
}

/** The size `width` × `height` pixels are decoded at on the backend in use (sizeForTexture; WebGL only). */
function decodeSize(width: number, height: number): DecodeSize {
  return sizeForTexture(width, height, tf.getBackend() === 'webgl' ? tf.env().getNumber('WEBGL_MAX_TEXTURE_SIZE') : 0);
}

/** createImageBitmap options that scale to `size` (none when it is decoded whole). */
function resizeTo(size: DecodeSize, always = false): ImageBitmapOptions {
  return size.scale === 1 && !always
    ? {}
    : { resizeWidth: size.width, resizeHeight: size.height, resizeQuality: 'high' };
}

async function decodeEncoded(bytes: Uint8Array, limits: ImageLimits, argName: string): Promise<DecodedImage> {
  if (bytes.byteLength > limits.maxBytes) throw tooLargeBytes(bytes.byteLength, limits, argName);
  if (bytes.byteLength === 0) {
    throw new FaceError(
      'ERR_BASE64_IMAGE_CANNOT_BE_DECODED',
      `The ${argName} file is empty (0 bytes): it was not read or downloaded. Pass a JPEG or PNG file's bytes.`,
    );
  }
  const header = readImageHeader(bytes);
  if (!header) throw new FaceError('ERR_BASE64_IMAGE_CANNOT_BE_DECODED', undecodable(bytes, argName));
  checkEncodedSize(header, limits, argName);
  const blob = blobOf(bytes, header.format === 'jpeg' ? 'image/jpeg' : 'image/png');
  let bitmap: ImageBitmap;
  try {
    // 'from-image' applies the EXIF orientation, so a phone photo stored sideways is upright here.
    // premultiplyAlpha 'none': WebGL uploads a bitmap's pixels as stored, and a half-transparent PNG's premultiplied
    // colours would read darker there than on WASM (whose canvas read-back un-premultiplies them).
    bitmap = await createImageBitmap(blob, { imageOrientation: 'from-image', premultiplyAlpha: 'none' });
  } catch (cause) {
    throw new FaceError(
      'ERR_BASE64_IMAGE_CANNOT_BE_DECODED',
      header.precision !== undefined && header.precision !== 8
        ? `The ${argName} is a ${header.precision}-bit JPEG, which browsers cannot decode. Save it as an ordinary 8-bit JPEG, or as PNG.`
        : `The ${argName} has a ${header.format.toUpperCase()} header but its data could not be decoded (truncated or corrupt file).`,
      { cause },
    );
  }
  const { width: inputWidth, height: inputHeight } = bitmap;
  try {
    // Again on what the browser decoded, which a header reader could read otherwise (a crafted file).
    checkPixelSize(inputWidth, inputHeight, limits, argName);
    const size = decodeSize(inputWidth, inputHeight);
    if (size.scale < 1) {
      // Scaled from the decoded bitmap, upright as the browser read the file's orientation (which a header parser
      // can read otherwise: an EXIF segment in a PNG, or after a JPEG's frame header).
      const whole = bitmap;
      try {
        bitmap = await createImageBitmap(whole, { premultiplyAlpha: 'none', ...resizeTo(size) });
      } catch (cause) {
        throw new FaceError(
          'ERR_IMAGE_TOO_LARGE',
          `The ${argName} could not be scaled down to fit this device's GPU.`,
          {
            cause,
            metadata: { width: inputWidth, height: inputHeight },
          },
        );
      } finally {
        whole.close();
      }
    }
    return { ...readPixels(bitmap, argName, header.format === 'png'), inputWidth, inputHeight };
  } finally {
    bitmap.close();
  }
}

/** Why bytes whose JPEG or PNG header cannot be read are refused. */
function undecodable(bytes: Uint8Array, argName: string): string {
  const other = sniffOtherFormat(bytes);
  if (other === 'HEIC' || other === 'HEIF') {
    return `The ${argName} is a ${other} file (as iPhones save photos); only JPEG and PNG bytes are accepted, and most browsers cannot decode ${other}. Convert it to JPEG first.`;
  }
  if (other === 'TIFF')
    return `The ${argName} is a TIFF file; only JPEG and PNG bytes are accepted, and most browsers (Chrome, Edge, Firefox) cannot decode TIFF. Convert it to JPEG first.`;
  if (other === 'SVG')
    return `The ${argName} is an SVG drawing; only JPEG and PNG bytes are accepted. Pass an <img> showing it (after await img.decode()), or draw that on a canvas and pass the canvas.`;
  if (other) {
    return `The ${argName} is ${other === 'AVIF' ? 'an' : 'a'} ${other} file; only JPEG and PNG bytes are accepted. Pass an <img> showing it (after await img.decode()) or await createImageBitmap(file) of it instead.`;
  }
  const format = sniffFormat(bytes);
  if (format) {
    return `The ${argName} starts like a ${format.toUpperCase()} file but its header is cut off or corrupt (no image size found). Check that the whole file was read.`;
  }
  return `The ${argName} could not be decoded as JPEG/PNG bytes. Only JPEG and PNG files are accepted.`;
}

async function fromPixelSource(
  source: ImageData | ImageBitmap | HTMLImageElement | HTMLVideoElement,
  width: number,
  height: number,
  limits: ImageLimits,
  argName: string,
): Promise<DecodedImage> {
  // Scaled (fromBitmapOf checks the limits), the pixels are read as they are read whole: RGB, alpha not looked at.
  if (decodeSize(width, height).scale < 1)
    return fromBitmapOf(source, width, height, limits, argName, `The ${argName} could not be scaled down.`, false);
  checkPixelSize(width, height, limits, argName);
  return { ...readPixels(source, argName), inputWidth: width, inputHeight: height };
}

/** The pixels of `source` at its own size, as float32 RGB. */
function readPixels(
  source: ImageData | ImageBitmap | HTMLImageElement | HTMLVideoElement,
  argName: string,
  /**
   * `source` is a bitmap made with premultiplyAlpha 'none' (its colours stored as they are, under any alpha) that
   * may have transparent pixels (not a JPEG, not a video frame: no per-frame masking for those).
   */
  straightAlpha = false,
): Omit<DecodedImage, 'inputWidth' | 'inputHeight'> {
  try {
    if (tf.getBackend() !== 'webgl') {
      const { width, height } = isVideoElement(source)
        ? { width: source.videoWidth, height: source.videoHeight }
        : source;
      return rgbImage(rgbaOf(source, width, height), width, height);
    }
    // float32 once here: every model and crop reads float32 (the same 4 bytes a value as int32), so one cast per
    // image instead of one per stage (~1 ms each for a 640×480 frame).
    const pixels = tf.tidy(() => {
      // WebGL uploads such a bitmap as stored, colours under alpha 0 included; WASM and CPU read through a canvas,
      // where those are black. Black here too, so both backends see the same image.
      if (!straightAlpha || tf.getBackend() !== 'webgl') return tf.cast(tf.browser.fromPixels(source, 3), 'float32');
      const rgba = tf.cast(tf.browser.fromPixels(source, 4), 'float32');
      const visible = tf.cast(tf.greater(tf.slice(rgba, [0, 0, 3], [-1, -1, 1]), 0), 'float32');
      return tf.mul(tf.slice(rgba, [0, 0, 0], [-1, -1, 3]), visible) as tf.Tensor3D;
    });
    return { pixels, width: pixels.shape[1], height: pixels.shape[0] };
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

/** A <video> of this window (there are none in a Worker). */
const isVideoElement = (source: object): source is HTMLVideoElement =>
  typeof HTMLVideoElement !== 'undefined' && source instanceof HTMLVideoElement;

/**
 * The RGBA bytes of `source` at width × height, read as tf.browser.fromPixels reads them on WASM and CPU (drawn on a
 * 2D canvas, or an ImageData's own), without its int32 tensor and the float32 copy cast from it: a 6000 × 6000 photo
 * took 864 MB of WebAssembly memory that way (which never shrinks), 432 MB this way. The canvas is this call's
 * own, not one kept at the largest size ever read.
 */
function rgbaOf(
  source: ImageData | ImageBitmap | HTMLImageElement | HTMLVideoElement,
  width: number,
  height: number,
): Uint8ClampedArray {
  return source instanceof ImageData ? source.data : drawnPixels(source, width, height).data;
}

/** `source` drawn at width × height on a canvas of its own (CPU-backed: it is read back), and read. */
function drawnPixels(source: CanvasImageSource, width: number, height: number): ImageData {
  const context = context2d(width, height, { willReadFrequently: true });
  context.drawImage(source, 0, 0, width, height);
  return context.getImageData(0, 0, width, height);
}

/**
 * A 2d context on a width × height canvas of its own: an OffscreenCanvas, or a page's <canvas> where there is none
 * (Safari before 16.4 has no 2d OffscreenCanvas).
 */
function context2d(
  width: number,
  height: number,
  settings: CanvasRenderingContext2DSettings,
): OffscreenCanvasRenderingContext2D | CanvasRenderingContext2D {
  // Some older browsers have an OffscreenCanvas for WebGL only: its 2d context is null.
  let context: OffscreenCanvasRenderingContext2D | CanvasRenderingContext2D | null =
    typeof OffscreenCanvas === 'function' ? new OffscreenCanvas(width, height).getContext('2d', settings) : null;
  if (!context && typeof document !== 'undefined') {
    const canvas = document.createElement('canvas');
    canvas.width = width;
    canvas.height = height;
    context = canvas.getContext('2d', settings);
  }
  if (!context)
    throw new FaceError(
      'ERR_INVALID_ARGUMENT',
      'This browser cannot draw this kind of image here (no 2d canvas in this Worker): pass its encoded bytes (a JPEG or PNG) or an ImageBitmap instead.',
    );
  return context;
}

/** The smallest side of a pixel source (canvas, frame, ImageData); encoded images have imageLimits.minDimension. */
const MIN_PIXEL_SIDE = 16;

/** n pixels in megapixels, one decimal, for messages. */
const mp = (n: number) => (n / 1e6).toFixed(1);

function checkPixelSize(width: number, height: number, limits: ImageLimits, argName: string): void {
  if (!(width > 0 && height > 0)) {
    throw new FaceError(
      'ERR_INVALID_ARGUMENT',
      `The ${argName} is empty (${width}×${height} pixels): pass a picture with a face (a canvas needs its width and height set, and the picture drawn on it, first).`,
    );
  }
  if (width > limits.maxDimension || height > limits.maxDimension) {
    throw new FaceError(
      'ERR_IMAGE_TOO_LARGE',
      `The ${argName} is ${width}×${height} pixels; the largest accepted is ${limits.maxDimension}×${limits.maxDimension}. Scale it down first.`,
      { metadata: { width, height } },
    );
  }
  if (width * height > limits.maxPixels) {
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
    // A strip (1000×100) is not small, only thin: say which side; one also too long for the largest accepted side
    // (10000×100) would be refused larger too.
    const long = Math.max(w, h) > limits.maxDimension;
    const advice = long
      ? `It is also longer than the largest accepted side (${limits.maxDimension} pixels): use a picture of the face at least ${limits.minDimension} pixels ${w < limits.minDimension ? 'wide' : 'high'} and at most ${limits.maxDimension} pixels ${w < limits.minDimension ? 'high' : 'wide'}.`
      : w >= limits.minDimension
        ? `Use a photo at least ${limits.minDimension} pixels high.`
        : h >= limits.minDimension
          ? `Use a photo at least ${limits.minDimension} pixels wide.`
          : 'Use a larger photo.';
    throw new FaceError(
      'ERR_IMAGE_TOO_SMALL',
      `The ${argName} is ${w}×${h} pixels; the smallest accepted is ${limits.minDimension}×${limits.minDimension}. ${advice}`,
      { metadata: { width: w, height: h } },
    );
  }
  checkPixelSize(w, h, limits, argName);
}

function tooLargeBytes(size: number, limits: ImageLimits, argName: string): FaceError {
  // Megabytes to one decimal unless that rounds the two sizes alike (5 MiB + 1 byte, a limit of 10 KB): then bytes.
  const mb = (n: number) => (n / 1024 / 1024).toFixed(1);
  const [given, largest] =
    mb(size) === mb(limits.maxBytes)
      ? [`${size} bytes`, `${limits.maxBytes} bytes`]
      : [`${mb(size)} MB`, `${mb(limits.maxBytes)} MB`];
  return new FaceError(
    'ERR_IMAGE_TOO_LARGE',
    `The ${argName} file is ${given}; the largest accepted is ${largest}. Re-encode it smaller (e.g. JPEG at 1280 px).`,
    { metadata: { bytes: size } },
  );
}
