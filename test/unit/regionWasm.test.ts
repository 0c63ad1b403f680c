// The crops of src/face/input/region.ts on the backend they are for: TF.js's WASM backend, run in Node. There
// tf.image.cropAndResize reads wrong pixels past an image's 2^24-th value (float32 read positions), and tf.slice
// copies the whole image out of WebAssembly memory; these check the replacements on images that large.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '../../src/models/tf';
import { cropAndResizeBoxes, slicePixels } from '../../src/face/input/region';
import { seededRandom } from '../support/seededRandom';
import { useWasmBackend } from '../support/wasmBackend';

describe('slicePixels on the WASM backend', () => {
  let previous: string;
  beforeAll(async () => {
    previous = await useWasmBackend();
  });
  afterAll(async () => {
    await tf.setBackend(previous);
  });

  it('slicePixels equals tf.slice on random regions, half of them touching the last row and column, images up to 12 MP, float32 and int32', () => {
    const random = seededRandom(20261205);
    let checked = 0;
    for (const [rows, columns, dtype] of [
      [6000, 24, 'float32'],
      [24, 6000, 'float32'],
      [480, 640, 'float32'],
      [3000, 4000, 'float32'],
      [480, 640, 'int32'],
      [3000, 4000, 'int32'],
    ] as const) {
      const pixels = tf.tidy(() =>
        tf.cast(
          tf.tensor3d(
            Int32Array.from({ length: rows * columns * 3 }, (_, i) => (i * 7919) % 256),
            [rows, columns, 3],
          ),
          dtype,
        ),
      ) as tf.Tensor3D;
      const regions = rows * columns > 1e6 ? 6 : 40;
      for (let t = 0; t < regions; t++) {
        const y = Math.floor(random() * (rows - 2));
        const x = Math.floor(random() * (columns - 2));
        const toEdge = t % 2 === 0;
        const height = toEdge ? rows - y : 2 + Math.floor(random() * (rows - y - 2));
        const width = toEdge ? columns - x : 2 + Math.floor(random() * (columns - x - 2));
        const got = slicePixels(pixels, y, x, height, width);
        const want = tf.slice(pixels, [y, x, 0], [height, width, 3]);
        const differing = tf.tidy(() => tf.sum(tf.notEqual(got, want)).dataSync()[0]);
        expect(differing, `${rows}×${columns} ${dtype} at (${y}, ${x}) ${height}×${width}`).toBe(0);
        expect(got.dtype).toBe(dtype);
        tf.dispose([got, want]);
        checked++;
      }
      pixels.dispose();
    }
    expect(checked).toBe(172);
  }, 120_000);

  it('cropAndResizeBoxes reads the right pixels past 2^24 values: a pixel-aligned crop of a 4000×3000 photo equals its slice', () => {
    const [rows, columns] = [3000, 4000];
    const pixels = tf.tensor3d(
      Float32Array.from({ length: rows * columns * 3 }, (_, i) => (i * 7919) % 256),
      [rows, columns, 3],
    );
    const batch = tf.expandDims(pixels, 0) as tf.Tensor4D;
    for (const [y, x, height, width] of [
      [1547, 3431, 300, 200],
      [2800, 10, 200, 150],
    ] as const) {
      const box = [y / (rows - 1), x / (columns - 1), (y + height - 1) / (rows - 1), (x + width - 1) / (columns - 1)];
      const got = cropAndResizeBoxes(batch, [box], [height, width]);
      const want = tf.slice(batch, [0, y, x, 0], [1, height, width, 3]);
      const worst = tf.tidy(() => tf.max(tf.abs(tf.sub(got, want))).dataSync()[0]!);
      expect(worst, `(${y}, ${x})`).toBeLessThan(0.05);
      tf.dispose([got, want]);
    }
    tf.dispose([pixels, batch]);
  }, 60_000);
});
