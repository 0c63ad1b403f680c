import * as tf from '../../models/tf';
import { l2Normalized } from './l2';
import type { FaceEmbedder } from './types';

/**
 * Wraps an embedder so each face is embedded together with its mirror image and the two vectors are averaged
 * ("flip-averaging"): the aligned template is left-right symmetric, so the mirror is a second view of the same
 * face, and the average is less sensitive to lighting from one side and to small alignment errors.
 */
export function withFlipAveraging(inner: FaceEmbedder): FaceEmbedder {
  return {
    id: `${inner.id}+flip`,
    inputSize: inner.inputSize,
    template: inner.template,
    dimension: inner.dimension,
    async embed(faces: tf.Tensor4D): Promise<Float32Array[]> {
      const n = faces.shape[0];
      const both = tf.tidy(() => tf.concat([faces, tf.image.flipLeftRight(faces)], 0));
      let vectors: Float32Array[];
      try {
        vectors = await inner.embed(both);
      } finally {
        both.dispose();
      }
      return vectors.slice(0, n).map((v, i) => l2Normalized(v.map((x, j) => x + vectors[n + i]![j]!)));
    },
    dispose: () => inner.dispose(),
  };
}
