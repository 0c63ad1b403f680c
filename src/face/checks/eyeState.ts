import * as tf from '../../models/tf';
import { readSyncAndDispose } from '../../models/tensorRead';
import { asFloat32, cropAndResizeBoxes } from '../input/region';
import { FaceError } from '../../errors';
import type { ModelFiles } from '../../models/modelFiles';
import type { OnnxGraphModel } from '../../models/onnx/onnxModel';
import { loadOnnxModel } from '../../models/onnx/loadOnnx';
import type { EyeRegion } from './eyes';

/**
 * Eye open/closed classifier: `fr_eye.onnx` of npm faceplugin-face-recognition-js 0.0.1 (MIT, Faceplugin Ltd), run
 * on TF.js by src/models/onnx/onnxModel.ts. Input [1, 1, 24, 24] grey / 255: a square crop of EYE_CROP_SCALE × the eye's
 * corner-to-corner width around the centre of its lids (the package's lib/fr_eye.js crop, with Face Mesh points in
 * place of its 68 landmarks). Output: 2 logits; which index means "closed" was measured (tools/results/face-checks-notes.md).
 */
export const EYE_STATE_FILE = 'eye-state.onnx';
export const EYE_CROP_SCALE = 1.6;
/** Index of the "closed" logit: on plain LFW faces (eyes open) logit 1 wins for 90 % of eyes; on the closed eyes of
 * LFW's Greg_Kinsey_0001 and Manuel_Pellegrini_0001 and a stock closed-eyes portrait, logit 0 wins. */
export const EYE_CLOSED_INDEX = 0;
const INPUT_SIZE = 24;
const STAGE = 'checks';

/** Probability that the eye is closed, from the 2 logits; pure. */
export function eyeClosedProbability(logits: ArrayLike<number>): number {
  if (logits.length !== 2)
    throw new FaceError('ERR_INTERNAL', `The eye-state model returned ${logits.length} values, expected 2`);
  const closed = logits[EYE_CLOSED_INDEX]!,
    open = logits[1 - EYE_CLOSED_INDEX]!;
  return 1 / (1 + Math.exp(open - closed));
}

/** The normalised crop box [y1, x1, y2, x2] of an eye; pure. */
export function eyeCropBox(eye: EyeRegion, width: number, height: number): [number, number, number, number] {
  const half = (eye.width * EYE_CROP_SCALE) / 2;
  return [
    (eye.y - half) / (height - 1),
    (eye.x - half) / (width - 1),
    (eye.y + half) / (height - 1),
    (eye.x + half) / (width - 1),
  ];
}

export class EyeStateModel {
  private constructor(private readonly model: OnnxGraphModel) {}

  static async create(files: ModelFiles): Promise<EyeStateModel> {
    return new EyeStateModel(
      await loadOnnxModel(
        files,
        EYE_STATE_FILE,
        STAGE,
        { input: [1, 1, INPUT_SIZE, INPUT_SIZE], output: [1, 2] },
        'eye-state',
      ),
    );
  }

  /** Closed probability of each eye region of `pixels` ([h, w, 3] RGB 0..255), in order. */
  run(pixels: tf.Tensor3D, eyes: readonly EyeRegion[]): number[] {
    if (eyes.length === 0) return [];
    const [height, width] = pixels.shape;
    const logits = tf.tidy(() => {
      const batch = tf.expandDims(asFloat32(pixels), 0) as tf.Tensor4D;
      const boxes = eyes.map((e) => eyeCropBox(e, width, height));
      const crops = cropAndResizeBoxes(batch, boxes, [INPUT_SIZE, INPUT_SIZE]);
      const grey = tf.div(tf.sum(tf.mul(crops, tf.tensor1d([0.299, 0.587, 0.114])), -1, true), 255);
      // The graph's batch is fixed at 1: one run per eye.
      return tf.concat(
        tf
          .unstack(grey)
          .map(
            (g) =>
              this.model.execute({ [this.model.inputNames[0]!]: tf.expandDims(g, 0) }, { inputLayout: 'NHWC' })[0]!,
          ),
        0,
      );
    });
    const values = readSyncAndDispose(logits);
    return eyes.map((_, i) => eyeClosedProbability([values[i * 2]!, values[i * 2 + 1]!]));
  }

  dispose(): void {
    this.model.dispose();
  }
}
