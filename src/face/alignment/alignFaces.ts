import type { FaceKeypoints, Point } from '../../vocabulary';
import * as tf from '../../models/tf';
import { asFloat32, slicePixels } from '../input/region';

import {
  applySimilarity,
  estimateSimilarity,
  invertSimilarity,
  toTransformParams,
  type Similarity,
} from './similarity';

/**
 * The four alignment points in template order: left eye centre, right eye centre (left/right as seen in the
 * image, so a mirrored photo aligns the same way), nose tip, mouth centre.
 */
export function alignmentPoints(k: FaceKeypoints): Point[] {
  const [left, right] = k.rightEye.x <= k.leftEye.x ? [k.rightEye, k.leftEye] : [k.leftEye, k.rightEye];
  return [left, right, k.noseTip, k.mouthCenter];
}

/** Image→crop similarity that puts a face's keypoints on the embedder's template. */
export function faceToTemplate(k: FaceKeypoints, template: readonly Point[]): Similarity {
  return estimateSimilarity(alignmentPoints(k), template);
}

/**
 * Warps each face of `image` ([h, w, 3], any dtype) to a `size`×`size` float32 crop whose keypoints sit on
 * `template`, on the active TF.js backend (one bilinear `transform` per face, no 2-D canvas). When the face is
 * much larger than the crop, the face's region is first box-filtered by an integer factor, so the bilinear
 * sampling does not alias (a 600-px face sampled straight to 112 px loses detail unevenly).
 * Returns [faces.length, size, size, 3], RGB 0..255; the caller disposes it.
 */
export function alignFaces(
  image: tf.Tensor3D,
  faces: readonly FaceKeypoints[],
  template: readonly Point[],
  size: number,
): tf.Tensor4D {
  return tf.tidy(() => {
    const [height, width] = image.shape;
    const source = asFloat32(image);
    const crops = faces.map((k) => {
      const toCrop = faceToTemplate(k, template);
      const scale = Math.hypot(toCrop.a, toCrop.b); // crop pixels per image pixel
      const factor = Math.max(1, Math.floor(1 / scale));
      const wholeImage = () =>
        tf.image.transform(
          tf.expandDims(source, 0) as tf.Tensor4D,
          tf.tensor2d([toTransformParams(toCrop)]),
          'bilinear',
          'constant',
          0,
          [size, size],
        );
      if (factor < 2) {
        return wholeImage();
      }
      // The crop's footprint in the image, with a pixel of margin, clamped to the image.
      const back = invertSimilarity(toCrop);
      const corners = [
        { x: 0, y: 0 },
        { x: size, y: 0 },
        { x: 0, y: size },
        { x: size, y: size },
      ].map((p) => applySimilarity(back, p));
      const x0 = Math.max(0, Math.floor(Math.min(...corners.map((p) => p.x)) / factor) * factor - factor);
      const y0 = Math.max(0, Math.floor(Math.min(...corners.map((p) => p.y)) / factor) * factor - factor);
      const x1 = Math.min(width, Math.ceil(Math.max(...corners.map((p) => p.x))) + factor);
      const y1 = Math.min(height, Math.ceil(Math.max(...corners.map((p) => p.y))) + factor);
      if (x1 - x0 < factor || y1 - y0 < factor) {
        return wholeImage();
      }
      const region = tf.expandDims(slicePixels(source, y0, x0, y1 - y0, x1 - x0), 0) as tf.Tensor4D;
      const pooled = tf.avgPool(region, factor, factor, 'valid');
      // A pooled pixel (u, v) covers image pixels x0 + u·f … x0 + (u+1)·f; its centre is x0 + (u + ½)·f − ½.
      const pooledToImage: Similarity = { a: factor, b: 0, tx: x0 + (factor - 1) / 2, ty: y0 + (factor - 1) / 2 };
      const pooledToCrop = compose(toCrop, pooledToImage);
      return tf.image.transform(pooled, tf.tensor2d([toTransformParams(pooledToCrop)]), 'bilinear', 'constant', 0, [
        size,
        size,
      ]);
    });
    return crops.length === 1 ? crops[0]! : tf.concat(crops, 0);
  });
}

/** outer ∘ inner: first inner, then outer. */
export function compose(outer: Similarity, inner: Similarity): Similarity {
  return {
    a: outer.a * inner.a - outer.b * inner.b,
    b: outer.b * inner.a + outer.a * inner.b,
    tx: outer.a * inner.tx - outer.b * inner.ty + outer.tx,
    ty: outer.b * inner.tx + outer.a * inner.ty + outer.ty,
  };
}
