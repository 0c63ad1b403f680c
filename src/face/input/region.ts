import * as tf from '../../models/tf';

/**
 * Images with this many values or more are cropped with tf.image.transform instead of tf.image.cropAndResize: the WASM
 * backend's cropAndResize computes its read positions in float32 and reads wrong pixels past the 2²⁴-th value (from
 * row ~1,400 of a 4000×3000 RGB photo on; measured in test/unit/regionWasm.test.ts), while transform reads them right.
 */
export const LARGE_IMAGE_VALUES = 2 ** 24;

/**
 * Below this many values a region is cut with tf.slice (exact, any dtype), above it a float32 image with
 * tf.image.transform. On the WASM backend tf.slice first copies its whole input out of WebAssembly memory (~1 ms for
 * a 640×480 frame, ~40 ms for a 12 MP photo), while a transform reads only the region but costs ~0.1 µs per output
 * pixel (~25 ms for a 480×480 region): for frames the copy is the cheaper, for photos the transform.
 */
export const SLICE_COPY_VALUES = 2 ** 22;

/** `image` as float32: itself when it already is (not a copy: do not dispose it separately), else a cast copy. */
export function asFloat32<T extends tf.Tensor>(image: T): T {
  return image.dtype === 'float32' ? image : (tf.cast(image, 'float32') as T);
}

/**
 * `pixels[y : y + height, x : x + width, :]`, exactly the values tf.slice gives, without its slow paths on the WASM
 * backend: a float32 image of SLICE_COPY_VALUES or more is cropped with a transform shifted by whole pixels (it
 * samples the pixels themselves); any other image is sliced as rows of a [rows, columns · channels] view, because
 * the WASM slice of a rank-3 region copies it one pixel at a time (~30 ms for a 480 × 480 region) and a rank-2 one
 * a row at a time (~3 ms with the whole-image copy).
 */
export function slicePixels<T extends tf.Tensor3D>(pixels: T, y: number, x: number, height: number, width: number): T {
  const [rows, columns, channels] = pixels.shape;
  if (pixels.dtype === 'float32' && rows * columns * channels >= SLICE_COPY_VALUES) {
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
  // WebGL slices on the GPU at any rank; a reshape of a packed texture would cost a program there.
  if (tf.getBackend() === 'webgl') return tf.slice(pixels, [y, x, 0], [height, width, channels]) as T;
  return tf.tidy(() =>
    tf.reshape(
      tf.slice(tf.reshape(pixels, [rows, columns * channels]), [y, x * channels], [height, width * channels]),
      [height, width, channels],
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
