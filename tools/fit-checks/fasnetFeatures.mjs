// Learned-feature candidates for the attribute heads from FasNet's activations on the liveness crop (2.7 × the face
// box, so the region above the brows where a hat sits is in view), as measure.mjs --deep 1 records them: fas128 (the
// 128-d layer before the classifier), fas568rows / fas564rows (per channel, the 8 row means of an 8×8 map). Row 0 is
// the top of the crop. Pure functions of a measured row; src/face/checks/attributes.ts computes the shipped one.

/** Per channel, the mean of rows [y0, y1) of C × 8 row profiles. */
export function bandMeans(rows, channels, y0 = 0, y1 = 8) {
  const out = new Array(channels);
  for (let c = 0; c < channels; c++) {
    let s = 0;
    for (let y = y0; y < y1; y++) s += rows[c * 8 + y];
    out[c] = s / (y1 - y0);
  }
  return out;
}

/** Feature blocks by name (the dimension in brackets). */
export const FASNET_BLOCKS = {
  /** [128] the penultimate layer */
  fas128: (r) => r.fas128,
  /** [128] last block's map, global average */
  fas564: (r) => bandMeans(r.fas564rows, 128),
  /** [256] last block's map: rows 0–2 (above the face) and global average */
  fas564top: (r) => [...bandMeans(r.fas564rows, 128, 0, 3), ...bandMeans(r.fas564rows, 128)],
  /** [512] expansion map, global average */
  fas512: (r) => bandMeans(r.fas568rows, 512),
  /** [512] expansion map, rows 0–2 only */
  fas512top: (r) => bandMeans(r.fas568rows, 512, 0, 3),
};
