// The attribute heads' region features, as src/face/checks/attributes.ts computes them (test/unit/checks.test.ts checks
// that both agree). Kept in plain JS so that the training script runs in Node without a TypeScript step.
/** Region statistics of the 24×24 aligned thumbnail (ArcFace 112-px layout scaled by 24/112). */
const REGIONS = {
  eyeR: [9, 13, 6, 11],
  eyeL: [9, 13, 14, 19],
  bridge: [10, 14, 11, 13],
  brow: [6, 9, 6, 18],
  forehead: [1, 5, 6, 18],
  cheekR: [14, 18, 3, 8],
  cheekL: [14, 18, 16, 21],
  nose: [13, 17, 10, 14],
  mouth: [18, 22, 8, 16],
  chin: [21, 24, 8, 16],
  sides: [4, 20, 0, 3],
};
export function regionFeatures(thumb) {
  const px = (y, x, c) => thumb[(y * 24 + x) * 3 + c] / 255;
  const f = [];
  for (const [y0, y1, x0, x1] of Object.values(REGIONS)) {
    const rgb = [0, 0, 0];
    let n = 0;
    const lum = [];
    for (let y = y0; y < y1; y++)
      for (let x = x0; x < x1; x++) {
        for (let c = 0; c < 3; c++) rgb[c] += px(y, x, c);
        lum.push(0.299 * px(y, x, 0) + 0.587 * px(y, x, 1) + 0.114 * px(y, x, 2));
        n++;
      }
    const m = lum.reduce((a, b) => a + b, 0) / n;
    const sd = Math.sqrt(lum.reduce((a, b) => a + (b - m) ** 2, 0) / n);
    const [r, g, b] = rgb.map((v) => v / n);
    f.push(m, sd, r - g, b - g, Math.max(r, g, b) - Math.min(r, g, b));
  }
  return f;
}

/** Region statistics of a 32×32 head crop (tools/fit-checks/headCrops.ts): a 4×4 grid; measured as hat features, not shipped. */
export function headFeatures(thumb) {
  const px = (y, x, c) => thumb[(y * 32 + x) * 3 + c] / 255;
  const f = [];
  for (let gy = 0; gy < 4; gy++)
    for (let gx = 0; gx < 4; gx++) {
      const rgb = [0, 0, 0];
      const lum = [];
      for (let y = gy * 8; y < gy * 8 + 8; y++)
        for (let x = gx * 8; x < gx * 8 + 8; x++) {
          for (let c = 0; c < 3; c++) rgb[c] += px(y, x, c);
          lum.push(0.299 * px(y, x, 0) + 0.587 * px(y, x, 1) + 0.114 * px(y, x, 2));
        }
      const n = lum.length;
      const m = lum.reduce((a, b) => a + b, 0) / n;
      const sd = Math.sqrt(lum.reduce((a, b) => a + (b - m) ** 2, 0) / n);
      const [r, g, b] = rgb.map((v) => v / n);
      f.push(m, sd, r - g, b - g, Math.max(r, g, b) - Math.min(r, g, b));
    }
  return f;
}
