import * as tf from '../../models/tf';

/**
 * Images with this many values or more are cropped with tf.image.transform instead of tf.image.cropAndResize: the WASM
 * backend's cropAndResize computes its read positions in float32 and reads wrong pixels past the 2²⁴-th value (from
 * row ~1,400 of a 4000×3000 RGB photo on; measured in test/unit/regionWasm.test.ts), while transform reads them right.
 */
export const LARGE_IMAGE_VALUES = 2 ** 24;

/**
 * `pixels[y : y + height, x : x + width, :]`, exactly the values tf.slice gives. On the WASM backend tf.slice copies
 * its whole input out of WebAssembly memory before slicing in JavaScript (~40 ms per slice of a 12 MP photo here);
 * a float32 image is cropped with tf.image.transform instead, shifted by whole pixels, which reads only the region
 * and samples it at the pixels themselves. (An int32 image keeps tf.slice: the kernels cast it whole to float32 first.)
 */
export function slicePixels<T extends tf.Tensor3D>(pixels: T, y: number, x: number, height: number, width: number): T {
  if (pixels.dtype !== 'float32') return tf.slice(pixels, [y, x, 0], [height, width, 3]) as T;
  return tf.tidy(() =>
    tf.squeeze(
      tf.image.transform(
        tf.expandDims(pixels, 0) as tf.Tensor4D,
        tf.tensor2d([[1, 0, x, 0, 1, y, 0, 0]]),
        'bilinear',
        'constant',
        0,
        [height, width],
      ),
      [0],
    ),
  ) as T;
}

/**
 * tf.image.cropAndResize (bilinear; boxes [y1, x1, y2, x2] normalised by height − 1 and width − 1, all of image 0),
 * right on large images too: below LARGE_IMAGE_VALUES it is cropAndResize itself, above it one transform per box
 * sampling the same points (samples outside the image are 0).
 */
export function cropAndResizeBoxes(
  batch: tf.Tensor4D,
  boxes: readonly (readonly number[])[],
  cropSize: readonly [number, number],
): tf.Tensor4D {
  const [, height, width, channels] = batch.shape;
  const [cropHeight, cropWidth] = cropSize;
  if (height * width * channels < LARGE_IMAGE_VALUES) {
    return tf.image.cropAndResize(
      batch,
      boxes.map((b) => [...b]),
      boxes.map(() => 0),
      [cropHeight, cropWidth],
      'bilinear',
      0,
    );
  }
  return tf.tidy(() => {
    const crops = boxes.map(([y1, x1, y2, x2]) => {
      // cropAndResize's sample points: y1·(h − 1) + i·(y2 − y1)·(h − 1)/(cropHeight − 1), or the centre for one row.
      const top = y1! * (height - 1),
        left = x1! * (width - 1);
      const stepY = cropHeight > 1 ? ((y2! - y1!) * (height - 1)) / (cropHeight - 1) : 0;
      const stepX = cropWidth > 1 ? ((x2! - x1!) * (width - 1)) / (cropWidth - 1) : 0;
      const ty = cropHeight > 1 ? top : ((y1! + y2!) * (height - 1)) / 2;
      const tx = cropWidth > 1 ? left : ((x1! + x2!) * (width - 1)) / 2;
      return tf.image.transform(batch, tf.tensor2d([[stepX, 0, tx, 0, stepY, ty, 0, 0]]), 'bilinear', 'constant', 0, [
        cropHeight,
        cropWidth,
      ]);
    });
    return crops.length === 1 ? crops[0]! : tf.concat(crops, 0);
  });
}
