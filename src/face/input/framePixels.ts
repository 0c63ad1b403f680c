// A video frame's planes turned into packed RGB, pure. Camera frames in Chromium are NV12 or I420 and are often held
// on the GPU: asking the browser for RGBA (VideoFrame.copyTo with format 'RGBA') then converts on the GPU and reads
// the result back, which took 35 ms per 640×480 frame on a 2-core machine without GPU, against 4 ms to copy the
// frame's own planes and 3–7 ms to convert them here.

/** The pixel formats convertToRgb reads (VideoPixelFormat names). */
export const CONVERTIBLE_FORMATS = ['I420', 'I420A', 'NV12', 'RGBA', 'RGBX', 'BGRA', 'BGRX'] as const;
export type ConvertibleFormat = (typeof CONVERTIBLE_FORMATS)[number];

export const isConvertibleFormat = (format: string | null): format is ConvertibleFormat =>
  (CONVERTIBLE_FORMATS as readonly (string | null)[]).includes(format);

/** Where each plane starts in the copied bytes and how long its rows are (VideoFrame.copyTo's PlaneLayout). */
export interface PlaneLayoutLike {
  offset: number;
  stride: number;
}

/** The colour space fields the conversion needs (VideoColorSpace; null fields take the defaults below). */
export interface YuvColorSpace {
  matrix?: string | null;
  fullRange?: boolean | null;
}

/**
 * Luma weights (Kr, Kb) of a YUV matrix. Unknown or missing: BT.601 (smpte170m), what cameras and JPEG use when they
 * say nothing.
 */
function lumaWeights(matrix: string | null | undefined): [number, number] {
  if (matrix === 'bt709') return [0.2126, 0.0722];
  if (matrix === 'bt2020-ncl') return [0.2627, 0.0593];
  return [0.299, 0.114];
}

/** Fixed-point (×1024) coefficients from a colour space: R = Y + rv·V, G = Y − gu·U − gv·V, B = Y + bu·U. */
export function yuvCoefficients(colorSpace: YuvColorSpace | undefined) {
  const [kr, kb] = lumaWeights(colorSpace?.matrix);
  const kg = 1 - kr - kb;
  // Limited ("video") range unless the frame says otherwise: Y in 16–235 and U, V in 16–240.
  const full = colorSpace?.fullRange === true;
  const yScale = full ? 1 : 255 / 219,
    cScale = full ? 1 : 255 / 224;
  const q = (x: number) => Math.round(x * 1024);
  return {
    yOffset: full ? 0 : 16,
    y: q(yScale),
    rv: q(2 * (1 - kr) * cScale),
    gu: q(((2 * kb * (1 - kb)) / kg) * cScale),
    gv: q(((2 * kr * (1 - kr)) / kg) * cScale),
    bu: q(2 * (1 - kb) * cScale),
  };
}

const clamp = (x: number) => (x < 0 ? 0 : x > 255 ? 255 : x);

/**
 * Packed RGB (as an int32 [height, width, 3] tensor's data) from the bytes VideoFrame.copyTo wrote in the frame's own
 * format, with `layout` the planes it returned. YUV formats take the nearest chroma sample (4:2:0, no filtering);
 * an alpha plane (I420A) or channel (RGBA, BGRA) is dropped.
 */
export function convertToRgb(
  bytes: Uint8Array,
  format: ConvertibleFormat,
  layout: readonly PlaneLayoutLike[],
  width: number,
  height: number,
  colorSpace?: YuvColorSpace,
): Int32Array {
  const rgb = new Int32Array(width * height * 3);
  if (format === 'RGBA' || format === 'RGBX' || format === 'BGRA' || format === 'BGRX') {
    const { offset, stride } = layout[0]!;
    const [r, b] = format[0] === 'R' ? [0, 2] : [2, 0];
    for (let y = 0, j = 0; y < height; y++) {
      for (let i = offset + y * stride, end = i + width * 4; i < end; i += 4, j += 3) {
        rgb[j] = bytes[i + r]!;
        rgb[j + 1] = bytes[i + 1]!;
        rgb[j + 2] = bytes[i + b]!;
      }
    }
    return rgb;
  }
  const yPlane = layout[0]!;
  // NV12: one plane of interleaved U, V; I420(A): a U plane and a V plane.
  const interleaved = format === 'NV12';
  const uPlane = layout[1]!,
    vPlane = interleaved ? { offset: uPlane.offset + 1, stride: uPlane.stride } : layout[2]!;
  const step = interleaved ? 2 : 1;
  const c = yuvCoefficients(colorSpace);
  for (let y = 0; y < height; y++) {
    const yRow = yPlane.offset + y * yPlane.stride;
    const uRow = uPlane.offset + (y >> 1) * uPlane.stride,
      vRow = vPlane.offset + (y >> 1) * vPlane.stride;
    let j = y * width * 3;
    for (let x = 0; x < width; x++, j += 3) {
      const chroma = (x >> 1) * step;
      const u = bytes[uRow + chroma]! - 128,
        v = bytes[vRow + chroma]! - 128;
      const luma = (bytes[yRow + x]! - c.yOffset) * c.y;
      // + 512 rounds the fixed-point >> 10.
      rgb[j] = clamp((luma + c.rv * v + 512) >> 10);
      rgb[j + 1] = clamp((luma - c.gu * u - c.gv * v + 512) >> 10);
      rgb[j + 2] = clamp((luma + c.bu * u + 512) >> 10);
    }
  }
  return rgb;
}
