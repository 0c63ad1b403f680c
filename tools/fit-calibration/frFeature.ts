import * as tf from '../../src/models/tf';
import { FaceError, invalidArgument } from '../../src/errors';
import type { OnnxGraphModel } from '../../src/models/onnx/onnxModel';
import { MOBILEFACENET_TEMPLATE } from '../../src/face/embedding/mobileFaceNet';
import type { FaceEmbedder } from '../../src/face/embedding/types';
import { l2Normalized } from '../../src/face/embedding/l2';

/**
 * `fr_feature.onnx` of npm faceplugin-face-recognition-js 0.0.1 (MIT): a MobileFaceNet-style ArcFace embedder
 * (1.19 M parameters, 512-d), run on TF.js by src/models/onnx/onnxModel.ts. Input [1, 3, 112, 112] float32 RGB
 * normalised as (x − 127) / 128 on a face warped to ArcFace's 112-px reference points — the preprocessing of the
 * package's own lib/fr_feature.js. Compared with plain cosine (the package's matchFeature() subtracts the pair
 * mean and always returns −1). A candidate the fitting tools measure (tools/fit-calibration/harness.ts); the library
 * does not ship it.
 */
export const FR_FEATURE_ID = 'fr_feature@faceplugin-face-recognition-js-0.0.1';
const INPUT_SIZE = 112;
const DIMENSION = 512;

/**
 * The embedder over an already loaded model (tools load it straight from the package). With `flip` each face is
 * also embedded mirrored and the two vectors are summed before normalising (its own id: vectors differ).
 */
export function frFeatureEmbedder(model: OnnxGraphModel, flip: boolean): FaceEmbedder {
  let disposed = false;
  const inputName = model.inputNames[0]!;
  return {
    id: flip ? `${FR_FEATURE_ID}+flip` : FR_FEATURE_ID,
    inputSize: INPUT_SIZE,
    template: MOBILEFACENET_TEMPLATE,
    dimension: DIMENSION,
    async embed(faces: tf.Tensor4D): Promise<Float32Array[]> {
      if (disposed) throw new FaceError('ERR_INTERNAL', 'This face embedder has been disposed');
      const [n, h, w, c] = faces.shape;
      if (h !== INPUT_SIZE || w !== INPUT_SIZE || c !== 3)
        throw invalidArgument(`fr_feature expects [n,112,112,3] faces, got [${faces.shape.join(',')}]`);
      if (n === 0) return [];
      // The graph's batch is fixed at 1: one run per face (and per mirror), one read-back for all of them.
      const out = tf.tidy(() => {
        const normalised = tf.div(tf.sub(faces, 127), 128) as tf.Tensor4D;
        const rows: tf.Tensor[] = [];
        for (let i = 0; i < n; i++) {
          const face = tf.slice(normalised, [i, 0, 0, 0], [1, INPUT_SIZE, INPUT_SIZE, 3]) as tf.Tensor4D;
          let v = model.execute({ [inputName]: face }, { inputLayout: 'NHWC' })[0]!;
          if (flip)
            v = tf.add(v, model.execute({ [inputName]: tf.image.flipLeftRight(face) }, { inputLayout: 'NHWC' })[0]!);
          rows.push(v);
        }
        return tf.concat(rows, 0);
      });
      let data: Float32Array;
      try {
        data = (await out.data()) as Float32Array;
      } finally {
        out.dispose();
      }
      const result: Float32Array[] = [];
      for (let i = 0; i < n; i++) {
        result.push(l2Normalized(data.subarray(i * DIMENSION, (i + 1) * DIMENSION)));
      }
      return result;
    },
    dispose(): void {
      disposed = true;
      model.dispose();
    },
  };
}
