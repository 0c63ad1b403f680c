import * as tf from '../../models/tf';
import type { Box } from '../../vocabulary';

// Tiles for finding small faces in a large photo: pure calculators (the detector runs its model on each tile).

export interface Tile {
  x: number;
  y: number;
  size: { width: number; height: number };
}

/**
 * Overlapping square tiles covering a large image, for finding small faces: tiles of max(384, longSide/4) px
 * (at most 2–3× the detector's 192-px input, so a 20-px face is still ~8 px to it) overlapping by a quarter, but
 * no longer than twice the short side: a 6000×400 panorama's 1500-px tiles were 1500×400 strips, where a face a quarter
 * of the strip's height came out ~13 px at the detector's input and was not found; its 800×400 tiles overlap by half.
 * Small images get none: the whole-image pass already sees their faces at a usable size.
 */
export function planTiles(width: number, height: number): Tile[] {
  const longSide = Math.max(width, height);
  if (longSide <= 640) return [];
  const shortSide = Math.min(width, height);
  const panorama = longSide / 4 > 2 * shortSide;
  const tile = Math.round(Math.max(384, panorama ? 2 * shortSide : longSide / 4));
  // A quarter's overlap holds any face up to a quarter of a tile whole in some tile; faces larger than that are the
  // whole-image pass's, except in a panorama, which shows them at a few pixels: there tiles overlap by half.
  const stride = tile * (panorama ? 0.5 : 0.75);
  const starts = (length: number): number[] => {
    if (length <= tile) return [0];
    const count = Math.ceil((length - tile) / stride) + 1;
    return Array.from({ length: count }, (_, i) => Math.round((i * (length - tile)) / (count - 1)));
  };
  return starts(height).flatMap((y) =>
    starts(width).map((x) => ({
      x,
      y,
      size: { width: Math.min(tile, width - x), height: Math.min(tile, height - y) },
    })),
  );
}

/** A face cut by a tile's edge (one that is not the image's edge) is left to the tile that holds it whole. */
export function touchesInnerEdge(box: Box, tile: Tile, width: number, height: number): boolean {
  const margin = 2;
  return (
    (tile.x > 0 && box.x <= margin) ||
    (tile.y > 0 && box.y <= margin) ||
    (tile.x + tile.size.width < width && box.x + box.width >= tile.size.width - margin) ||
    (tile.y + tile.size.height < height && box.y + box.height >= tile.size.height - margin)
  );
}

/**
 * The tile of `batch` (float32 [1, h, w, 3]) resampled to `out` ([out.height, out.width, 3]; default the tile's own
 * size): sample (i, j) at (tile.y + i · tile.height / out.height, tile.x + j · tile.width / out.width), bilinear. At the
 * tile's own size that is the tile's pixels; at a detector's input size it is what the detector's own letterboxing
 * (the same tf.image.transform) samples a square tile at. Unlike tf.slice on the WASM backend, which copies the
 * whole image out of WebAssembly memory per call, it reads only the pixels it needs.
 */
export function cropTile(
  batch: tf.Tensor4D,
  tile: Tile,
  out: { width: number; height: number } = tile.size,
): tf.Tensor3D {
  const scaleX = tile.size.width / out.width,
    scaleY = tile.size.height / out.height;
  return tf.tidy(
    () =>
      tf.squeeze(
        tf.image.transform(
          batch,
          tf.tensor2d([[scaleX, 0, tile.x, 0, scaleY, tile.y, 0, 0]]),
          'bilinear',
          'constant',
          0,
          [out.height, out.width],
        ),
        [0],
      ) as tf.Tensor3D,
  );
}
