import type { Point } from '../../vocabulary';
import type * as tf from '../../models/tf';

/**
 * A face embedder: a network that maps an aligned face crop to an identity vector.
 * The alignment stage warps each face so that its four reference points (left eye centre, right eye centre,
 * nose tip, mouth centre — as seen in the image, "left" = smaller x) land on `template`, in a square crop of
 * `inputSize` pixels.
 */
export interface FaceEmbedder {
  /** Stable id stored with templates, e.g. 'dlib-resnet128@1'. Templates of different ids are never compared. */
  readonly id: string;
  readonly inputSize: number;
  readonly template: readonly Point[];
  /** Dimension of one embedding. */
  readonly dimension: number;
  /**
   * Embeds a batch of aligned crops: `faces` is [n, inputSize, inputSize, 3] float32 RGB in 0..255.
   * Returns one L2-normalised vector per face. Does not dispose `faces`.
   */
  embed(faces: tf.Tensor4D): Promise<Float32Array[]>;
  dispose(): void;
}

/** What a caller needs to know of an embedder before its model is loaded: its id, crop and vector size. */
export type EmbedderShape = Pick<FaceEmbedder, 'id' | 'inputSize' | 'template' | 'dimension'>;
