import { describe, expect, test } from 'vitest';
import { convertToRgb, yuvCoefficients, type YuvColorSpace } from '../../src/face/input/framePixels';

const W = 6,
  H = 4;

/** A small test picture: a colour ramp, so every pixel differs. */
function picture(): number[][] {
  const px: number[][] = [];
  for (let y = 0; y < H; y++)
    for (let x = 0; x < W; x++) px.push([(40 * x + 10) % 256, (60 * y + 20) % 256, (25 * (x + y) + 30) % 256]);
  return px;
}

/** The forward transform (what a camera does), for the given weights and range; chroma from each 2×2 block's top left. */
function encode(px: number[][], [kr, kb]: [number, number], full: boolean) {
  const kg = 1 - kr - kb;
  const toYuv = ([r, g, b]: number[]) => {
    const y = kr * r! + kg * g! + kb * b!;
    const u = (b! - y) / (2 * (1 - kb)),
      v = (r! - y) / (2 * (1 - kr));
    return full ? [y, u + 128, v + 128] : [16 + (y * 219) / 255, 128 + (u * 224) / 255, 128 + (v * 224) / 255];
  };
  const yuv = px.map(toYuv);
  const Y = yuv.map((p) => Math.round(p[0]!));
  const U: number[] = [],
    V: number[] = [];
  for (let y = 0; y < H; y += 2)
    for (let x = 0; x < W; x += 2) {
      U.push(Math.round(yuv[y * W + x]![1]!));
      V.push(Math.round(yuv[y * W + x]![2]!));
    }
  return { Y, U, V };
}

/** The colours of the pixels that hold their 2×2 block's chroma sample: those round-trip exactly (up to rounding). */
const samplePixels = () => {
  const out: number[] = [];
  for (let y = 0; y < H; y += 2) for (let x = 0; x < W; x += 2) out.push(y * W + x);
  return out;
};

function expectClose(rgb: Int32Array, px: number[][], indices: number[], tolerance: number) {
  for (const i of indices)
    for (let c = 0; c < 3; c++) expect(Math.abs(rgb[i * 3 + c]! - px[i]![c]!)).toBeLessThanOrEqual(tolerance);
}

describe('convertToRgb', () => {
  test('limited-range BT.601 I420: the chroma-sampled pixels come back within 2 levels, with row padding', () => {
    const px = picture();
    const { Y, U, V } = encode(px, [0.299, 0.114], false);
    // Rows padded to a stride of 8 (Y) and 4 (U, V), planes placed one after another, as copyTo may lay them out.
    const yStride = 8,
      cStride = 4;
    const bytes = new Uint8Array(yStride * H + 2 * cStride * (H / 2));
    const uOffset = yStride * H,
      vOffset = uOffset + cStride * (H / 2);
    for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) bytes[y * yStride + x] = Y[y * W + x]!;
    for (let y = 0; y < H / 2; y++)
      for (let x = 0; x < W / 2; x++) {
        bytes[uOffset + y * cStride + x] = U[y * (W / 2) + x]!;
        bytes[vOffset + y * cStride + x] = V[y * (W / 2) + x]!;
      }
    const layout = [
      { offset: 0, stride: yStride },
      { offset: uOffset, stride: cStride },
      { offset: vOffset, stride: cStride },
    ];
    const rgb = convertToRgb(bytes, 'I420', layout, W, H, { matrix: 'smpte170m', fullRange: false });
    expectClose(rgb, px, samplePixels(), 2);
    // Every pixel: within the error of sharing its block's chroma (the ramp changes by ≤ 40 levels per pixel).
    expectClose(rgb, px, [...px.keys()], 45);
  });

  test('NV12 gives the same pixels as I420 of the same frame', () => {
    const px = picture();
    const { Y, U, V } = encode(px, [0.299, 0.114], false);
    const i420 = new Uint8Array([...Y, ...U, ...V]);
    const nv12 = new Uint8Array([...Y, ...U.flatMap((u, i) => [u, V[i]!])]);
    const fromI420 = convertToRgb(
      i420,
      'I420',
      [
        { offset: 0, stride: W },
        { offset: W * H, stride: W / 2 },
        { offset: W * H + (W * H) / 4, stride: W / 2 },
      ],
      W,
      H,
    );
    const fromNv12 = convertToRgb(
      nv12,
      'NV12',
      [
        { offset: 0, stride: W },
        { offset: W * H, stride: W },
      ],
      W,
      H,
    );
    expect(Array.from(fromNv12)).toEqual(Array.from(fromI420));
  });

  test.each<[YuvColorSpace, [number, number], boolean]>([
    [{ matrix: 'bt709', fullRange: true }, [0.2126, 0.0722], true],
    [{ matrix: 'bt709', fullRange: false }, [0.2126, 0.0722], false],
    [{ matrix: 'bt470bg', fullRange: true }, [0.299, 0.114], true],
  ])('colour space %o: round trip within 2 levels', (space, weights, full) => {
    const px = picture();
    const { Y, U, V } = encode(px, weights, full);
    const rgb = convertToRgb(
      new Uint8Array([...Y, ...U, ...V]),
      'I420',
      [
        { offset: 0, stride: W },
        { offset: W * H, stride: W / 2 },
        { offset: W * H + (W * H) / 4, stride: W / 2 },
      ],
      W,
      H,
      space,
    );
    expectClose(rgb, px, samplePixels(), 2);
  });

  test('limited range: video black and white are 0 and 255; out-of-range values are clamped', () => {
    // A 4×1 frame: Y = video black, video white, below and above the video range; neutral chroma for both blocks.
    const y = new Uint8Array([16, 235, 0, 255]);
    const u = new Uint8Array([128, 128]),
      v = new Uint8Array([128, 128]);
    const planes = new Uint8Array([...y, ...u, ...v]);
    const rgb = convertToRgb(
      planes,
      'I420',
      [
        { offset: 0, stride: 4 },
        { offset: 4, stride: 2 },
        { offset: 6, stride: 2 },
      ],
      4,
      1,
    );
    expect(Array.from(rgb)).toEqual([0, 0, 0, 255, 255, 255, 0, 0, 0, 255, 255, 255]);
  });

  test('RGBA, BGRX: channels in order, alpha and row padding dropped', () => {
    const rgba = new Uint8Array([1, 2, 3, 99, 4, 5, 6, 99, 0, 0, 0, 0, 7, 8, 9, 99, 10, 11, 12, 99, 0, 0, 0, 0]);
    const layout = [{ offset: 0, stride: 12 }];
    expect(Array.from(convertToRgb(rgba, 'RGBA', layout, 2, 2))).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    expect(Array.from(convertToRgb(rgba, 'BGRX', layout, 2, 2))).toEqual([3, 2, 1, 6, 5, 4, 9, 8, 7, 12, 11, 10]);
  });

  test('coefficients: BT.601 limited range matches the textbook values', () => {
    const c = yuvCoefficients({ matrix: 'smpte170m', fullRange: false });
    expect(c.y / 1024).toBeCloseTo(1.164, 2);
    expect(c.rv / 1024).toBeCloseTo(1.596, 2);
    expect(c.gu / 1024).toBeCloseTo(0.392, 2);
    expect(c.gv / 1024).toBeCloseTo(0.813, 2);
    expect(c.bu / 1024).toBeCloseTo(2.017, 2);
    expect(yuvCoefficients(undefined)).toEqual(c);
  });
});
