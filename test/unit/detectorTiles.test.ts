import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { cropTile, planTiles } from '../../src/face/detection/tiles';

describe('detector tiles', () => {
  it('planTiles covers a 4000×3000 photo with overlapping 1000-px tiles inside it', () => {
    const tiles = planTiles(4000, 3000);
    expect(tiles.length).toBe(20);
    for (const t of tiles) {
      expect(t.x + t.size.width).toBeLessThanOrEqual(4000);
      expect(t.y + t.size.height).toBeLessThanOrEqual(3000);
      expect(t.size).toEqual({ width: 1000, height: 1000 });
    }
    expect(Math.max(...tiles.map((t) => t.x + t.size.width))).toBe(4000);
    expect(Math.max(...tiles.map((t) => t.y + t.size.height))).toBe(3000);
  });

  it('planTiles covers a 6000×400 panorama with tiles twice its height overlapping by half, not 1500×400 strips', () => {
    const tiles = planTiles(6000, 400);
    expect(tiles.length).toBe(14);
    for (const t of tiles) expect(t.size).toEqual({ width: 800, height: 400 });
    // Any face as wide as the strip is high lies whole in some tile.
    for (let x = 0; x + 400 <= 6000; x += 7) expect(tiles.some((t) => t.x <= x && x + 400 <= t.x + 800)).toBe(true);
    expect(Math.max(...tiles.map((t) => t.x + t.size.width))).toBe(6000);
    // Others keep their tiles: photos, and strips up to 8:1 (3000×400: 750×400).
    expect(planTiles(5000, 3000)[0]!.size).toEqual({ width: 1250, height: 1250 });
    expect(planTiles(3000, 400)[0]!.size).toEqual({ width: 750, height: 400 });
  });

  it('cropTile at the tile size gives exactly the pixels tf.slice gives', () => {
    const [height, width] = [97, 131];
    const values = Int32Array.from({ length: height * width * 3 }, (_, i) => (i * 7919) % 256);
    const image = tf.tensor3d(values, [height, width, 3], 'int32');
    const batch = tf.expandDims(tf.cast(image, 'float32'), 0) as tf.Tensor4D;
    const before = tf.memory().numTensors;
    for (const tile of [
      { x: 0, y: 0, size: { width: 40, height: 30 } },
      { x: 91, y: 67, size: { width: 40, height: 30 } },
      { x: 13, y: 5, size: { width: 1, height: 92 } },
      { x: 0, y: 0, size: { width, height } },
    ]) {
      const crop = cropTile(batch, tile);
      const sliced = tf.slice(image, [tile.y, tile.x, 0], [tile.size.height, tile.size.width, 3]);
      expect(crop.shape).toEqual(sliced.shape);
      const got = crop.dataSync();
      const want = sliced.dataSync();
      let worst = 0;
      for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i]! - want[i]!));
      expect(worst).toBe(0);
      crop.dispose();
      sliced.dispose();
    }
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([image, batch]);
  });

  it("cropTile at a detector's input size samples a square tile where the detector's own letterboxing would", () => {
    const [height, width] = [120, 150];
    const values = Float32Array.from({ length: height * width * 3 }, (_, i) => ((i * 7919) % 256) + (i % 3) * 0.25);
    const image = tf.tensor3d(values, [height, width, 3]);
    const batch = tf.expandDims(image, 0) as tf.Tensor4D;
    const tile = { x: 37, y: 20, size: { width: 96, height: 96 } };
    const side = 24;
    const crop = cropTile(batch, tile, { width: side, height: side });
    // What @tensorflow-models/face-detection does with a square image: tf.image.transform with a plain scale
    // (output pixel i reads input i · size / side, bilinear, zeros outside).
    const scale = tile.size.width / side;
    const sliced = tf.slice(batch, [0, tile.y, tile.x, 0], [1, tile.size.height, tile.size.width, 3]);
    const letterboxed = tf.image.transform(
      sliced,
      tf.tensor2d([[scale, 0, 0, 0, scale, 0, 0, 0]]),
      'bilinear',
      'constant',
      0,
      [side, side],
    );
    const got = crop.dataSync();
    const want = letterboxed.dataSync();
    let worst = 0;
    for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i]! - want[i]!));
    expect(crop.shape).toEqual([side, side, 3]);
    expect(worst).toBeLessThan(1e-4);
    tf.dispose([image, batch, crop, sliced, letterboxed]);
  });
});
