// Candidate attribute features from a 48×48 aligned thumbnail (harness `thumb48`, ArcFace 112-px layout × 48/112):
// per face region, texture (mean |Laplacian| and mean |∂x|, |∂y| of luma) and colour relative to the forehead
// (ΔY, ΔCb, ΔCr: a mask or dark lenses differ from the person's own skin, whatever the camera's white balance).
const REGIONS24 = {
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
export function textureFeatures(thumb48) {
  const S = 48;
  const Y = new Float32Array(S * S),
    Cb = new Float32Array(S * S),
    Cr = new Float32Array(S * S);
  for (let i = 0; i < S * S; i++) {
    const r = thumb48[i * 3],
      g = thumb48[i * 3 + 1],
      b = thumb48[i * 3 + 2];
    Y[i] = (0.299 * r + 0.587 * g + 0.114 * b) / 255;
    Cb[i] = (-0.1687 * r - 0.3313 * g + 0.5 * b) / 255;
    Cr[i] = (0.5 * r - 0.4187 * g - 0.0813 * b) / 255;
  }
  const at = (a, y, x) => a[Math.min(S - 1, Math.max(0, y)) * S + Math.min(S - 1, Math.max(0, x))];
  const stats = ([y0, y1, x0, x1]) => {
    let lap = 0,
      gx = 0,
      gy = 0,
      yy = 0,
      cb = 0,
      cr = 0,
      n = 0;
    for (let y = 2 * y0; y < 2 * y1; y++)
      for (let x = 2 * x0; x < 2 * x1; x++) {
        lap += Math.abs(4 * at(Y, y, x) - at(Y, y - 1, x) - at(Y, y + 1, x) - at(Y, y, x - 1) - at(Y, y, x + 1));
        gx += Math.abs(at(Y, y, x + 1) - at(Y, y, x - 1));
        gy += Math.abs(at(Y, y + 1, x) - at(Y, y - 1, x));
        yy += at(Y, y, x);
        cb += at(Cb, y, x);
        cr += at(Cr, y, x);
        n++;
      }
    return [lap / n, gx / n, gy / n, yy / n, cb / n, cr / n];
  };
  const ref = stats(REGIONS24.forehead);
  const f = [];
  for (const [name, box] of Object.entries(REGIONS24)) {
    const [lap, gx, gy, yy, cb, cr] = stats(box);
    // Texture relative to the whole face's contrast, so a soft webcam frame is not "smooth like a mask".
    f.push(
      lap / (ref[0] + 0.01),
      gx,
      gy,
      name === 'forehead' ? yy : yy - ref[3],
      name === 'forehead' ? cb : cb - ref[4],
      name === 'forehead' ? cr : cr - ref[5],
    );
  }
  return f;
}
