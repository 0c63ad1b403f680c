import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { cropAndResizeBoxes, slicePixels } from '../../src/face/input/region';

describe('slicePixels', () => {
  it('gives exactly what tf.slice gives, int32 and float32, wide and tall regions and the whole image', () => {
    const [height, width] = [53, 71];
    const ints = tf.tensor3d(
      Int32Array.from({ length: height * width * 3 }, (_, i) => (i * 7919) % 256),
      [height, width, 3],
      'int32',
    );
    const floats = tf.cast(ints, 'float32').div(3) as tf.Tensor3D;
    const before = tf.memory().numTensors;
    for (const image of [ints, floats]) {
      for (const [y, x, h, w] of [
        [0, 0, 10, 60],
        [40, 3, 13, 5],
        [7, 70, 46, 1],
        [0, 0, height, width],
      ] as const) {
        const got = slicePixels(image, y, x, h, w);
        const want = tf.slice(image, [y, x, 0], [h, w, 3]);
        expect(got.shape).toEqual(want.shape);
        expect(got.dtype).toBe(image.dtype);
        expect(Array.from(got.dataSync())).toEqual(Array.from(want.dataSync()));
        tf.dispose([got, want]);
      }
    }
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([ints, floats]);
  });
});

describe('cropAndResizeBoxes', () => {
  it('samples what tf.image.cropAndResize samples, on a small image (itself) and past 2^24 values (transforms)', () => {
    for (const [rows, columns] of [
      [60, 80],
      [2400, 2400], // 17.3 M values: the transform path
    ] as const) {
      const batch = tf.tidy(() =>
        tf.expandDims(
          tf.cast(
            tf.tensor3d(
              Int32Array.from({ length: rows * columns * 3 }, (_, i) => (i * 7919) % 256),
              [rows, columns, 3],
              'int32',
            ),
            'float32',
          ),
          0,
        ),
      ) as tf.Tensor4D;
      const boxes = [
        [0.1, 0.2, 0.6, 0.5],
        [0.7, 0.75, 0.99, 0.98],
        [-0.05, -0.05, 0.3, 0.3], // partly outside: zeros there
      ];
      const got = cropAndResizeBoxes(batch, boxes, [24, 32]);
      const want = tf.image.cropAndResize(batch, boxes, [0, 0, 0], [24, 32], 'bilinear', 0);
      const worst = tf.tidy(() => tf.max(tf.abs(tf.sub(got, want))).dataSync()[0]!);
      expect(got.shape).toEqual([3, 24, 32, 3]);
      expect(worst, `${rows}×${columns}`).toBeLessThan(0.05); // of 0..255: float32 rounding of the sample points
      tf.dispose([batch, got, want]);
    }
  });
});
