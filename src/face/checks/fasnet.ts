import type { DetectedFace } from '../../vocabulary';
import * as tf from '../../models/tf';
import { readSyncAndDispose } from '../../models/tensorRead';
import { FaceError } from '../../errors';
import type { ModelFiles } from '../../models/modelFiles';
import type { OnnxGraphModel } from '../../models/onnx/onnxModel';
import { loadOnnxModel } from '../../models/onnx/loadOnnx';
import { asFloat32, slicePixels } from '../input/region';

/**
 * Passive (single-image) presentation-attack detection with `fr_liveness.onnx` of npm
 * faceplugin-face-recognition-js 0.0.1 (MIT, published by Faceplugin Ltd): a MiniFASNet-style network, 3 classes
 * (0 = live; 1 and 2 = attack types), run on TF.js by src/models/onnx/onnxModel.ts. Input [1, 3, 128, 128] float32 RGB
 * 0..255 (no normalisation), a crop of FASNET_CROP_SCALE × the face box — the preprocessing of the package's own
 * lib/fr_liveness.js (measured against it in tools/results/face-checks-notes.md).
 */
export const FASNET_FILE = 'fasnet-liveness.onnx';
/** The model sees this much context around the face box (its package's value): print edges, hands, screen bezels. */
export const FASNET_CROP_SCALE = 2.7;
const INPUT_SIZE = 128;
const STAGE = 'checks';

/** Integer pixel rectangle. */
export interface PixelRect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/**
 * The crop the model sees, as its package computes it: the face box scaled about its centre by `scale`, or less if
 * that would not fit the image, then shifted to lie inside the image, corners truncated to pixels. Pure.
 */
export function fasnetCropRect(
  face: DetectedFace,
  width: number,
  height: number,
  scale = FASNET_CROP_SCALE,
): PixelRect {
  const bx = Math.trunc(face.box.x),
    by = Math.trunc(face.box.y);
  const bw = Math.max(1, Math.trunc(face.box.x + face.box.width) - bx),
    bh = Math.max(1, Math.trunc(face.box.y + face.box.height) - by);
  const s = Math.min((height - 1) / bh, (width - 1) / bw, scale);
  const cx = bx + bw / 2,
    cy = by + bh / 2;
  let left = cx - (bw * s) / 2,
    top = cy - (bh * s) / 2,
    right = cx + (bw * s) / 2,
    bottom = cy + (bh * s) / 2;
  if (left < 0) {
    right -= left;
    left = 0;
  }
  if (top < 0) {
    bottom -= top;
    top = 0;
  }
  if (right > width - 1) {
    left -= right - width + 1;
    right = width - 1;
  }
  if (bottom > height - 1) {
    top -= bottom - height + 1;
    bottom = height - 1;
  }
  const x = Math.max(Math.trunc(left), 0),
    y = Math.max(Math.trunc(top), 0);
  return {
    x,
    y,
    width: Math.max(1, Math.min(Math.trunc(right - left), width - x)),
    height: Math.max(1, Math.min(Math.trunc(bottom - top), height - y)),
  };
}

/** Log-odds of "live" from the 3 logits: l₀ − log(e^l₁ + e^l₂). Pure. */
export function fasnetLiveLogOdds(logits: ArrayLike<number>): number {
  if (logits.length !== 3)
    throw new FaceError('ERR_INTERNAL', `The anti-spoofing model returned ${logits.length} values, expected 3`);
  const a = logits[1]!,
    b = logits[2]!,
    m = Math.max(a, b);
  return logits[0]! - (m + Math.log(Math.exp(a - m) + Math.exp(b - m)));
}

export class FasNetModel {
  private constructor(private readonly model: OnnxGraphModel) {}

  static async create(files: ModelFiles): Promise<FasNetModel> {
    return new FasNetModel(
      await loadOnnxModel(
        files,
        FASNET_FILE,
        STAGE,
        { input: [1, 3, INPUT_SIZE, INPUT_SIZE], output: [1, 3] },
        'anti-spoofing',
      ),
    );
  }

  /**
   * The 3 logits for `face` of `pixels` ([h, w, 3] RGB 0..255) on the crop and on its mirror image: one crop, two
   * runs (the graph's batch is fixed at 1), one read-back. `scale` is for measurements.
   */
  runWithMirror(
    pixels: tf.Tensor3D,
    face: DetectedFace,
    scale = FASNET_CROP_SCALE,
  ): { logits: Float32Array; mirrored: Float32Array } {
    const { logits, mirrored } = this.runWithActivations(pixels, face, { mirror: true, scale });
    return { logits, mirrored: mirrored! };
  }

  /** The 3 logits on the crop alone (for measurements). */
  run(pixels: tf.Tensor3D, face: DetectedFace, scale = FASNET_CROP_SCALE): Float32Array {
    return this.runWithActivations(pixels, face, { scale }).logits;
  }

  /**
   * The logits, with `mirror` also those of the mirror image, and the named intermediate activations of the
   * (unmirrored) crop in ONNX layout, flattened: one crop, one read-back.
   */
  runWithActivations(
    pixels: tf.Tensor3D,
    face: DetectedFace,
    options: { mirror?: boolean; scale?: number; activations?: readonly string[] } = {},
  ): { logits: Float32Array; mirrored?: Float32Array; activations: Float32Array[] } {
    const [height, width] = pixels.shape;
    const names = options.activations ?? [];
    const r = fasnetCropRect(face, width, height, options.scale ?? FASNET_CROP_SCALE);
    let sizes: number[] = [];
    const outs = tf.tidy(() => {
      const crop = asFloat32(slicePixels(pixels, r.y, r.x, r.height, r.width));
      // cv.resize INTER_LINEAR = half-pixel centres, no antialiasing.
      const input = tf.expandDims(
        tf.image.resizeBilinear(crop, [INPUT_SIZE, INPUT_SIZE], false, true),
        0,
      ) as tf.Tensor4D;
      const feed = (x: tf.Tensor4D, intermediates: readonly string[]) =>
        this.model.execute({ [this.model.inputNames[0]!]: x }, { inputLayout: 'NHWC', intermediates });
      const [logits, ...activations] = feed(input, names);
      const mirrored = options.mirror ? feed(tf.image.flipLeftRight(input), [])[0]! : undefined;
      sizes = activations.map((t) => t.size);
      return tf.concat([logits!, ...(mirrored ? [mirrored] : []), ...activations].map((t) => tf.reshape(t, [-1])));
    });
    const values = readSyncAndDispose(outs);
    let at = options.mirror ? 6 : 3;
    return {
      logits: values.slice(0, 3),
      mirrored: options.mirror ? values.slice(3, 6) : undefined,
      activations: sizes.map((size) => values.slice(at, (at += size))),
    };
  }

  dispose(): void {
    this.model.dispose();
  }
}
