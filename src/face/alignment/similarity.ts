import type { Point } from '../../vocabulary';

/**
 * A similarity transform (uniform scale, rotation, translation): x' = a·x − b·y + tx, y' = b·x + a·y + ty.
 */
export interface Similarity {
  a: number;
  b: number;
  tx: number;
  ty: number;
}

/**
 * Least-squares similarity transform mapping `from` onto `to` (Umeyama's method without reflection, closed form
 * for 2-D). Needs at least two distinct points.
 */
export function estimateSimilarity(from: readonly Point[], to: readonly Point[]): Similarity {
  const n = from.length;
  if (n < 2 || to.length !== n) throw new Error('estimateSimilarity needs two equally long lists of at least 2 points');
  let fx = 0,
    fy = 0,
    tx = 0,
    ty = 0;
  for (let i = 0; i < n; i++) {
    fx += from[i]!.x;
    fy += from[i]!.y;
    tx += to[i]!.x;
    ty += to[i]!.y;
  }
  fx /= n;
  fy /= n;
  tx /= n;
  ty /= n;
  let sxx = 0,
    sxy = 0,
    norm = 0;
  for (let i = 0; i < n; i++) {
    const px = from[i]!.x - fx,
      py = from[i]!.y - fy;
    const qx = to[i]!.x - tx,
      qy = to[i]!.y - ty;
    sxx += px * qx + py * qy;
    sxy += px * qy - py * qx;
    norm += px * px + py * py;
  }
  if (norm === 0) throw new Error('estimateSimilarity: source points coincide');
  const a = sxx / norm;
  const b = sxy / norm;
  return { a, b, tx: tx - (a * fx - b * fy), ty: ty - (b * fx + a * fy) };
}

export function applySimilarity(t: Similarity, p: Point): Point {
  return { x: t.a * p.x - t.b * p.y + t.tx, y: t.b * p.x + t.a * p.y + t.ty };
}

export function invertSimilarity(t: Similarity): Similarity {
  const d = t.a * t.a + t.b * t.b;
  const a = t.a / d,
    b = -t.b / d;
  return { a, b, tx: -(a * t.tx - b * t.ty), ty: -(b * t.tx + a * t.ty) };
}

/**
 * The 8 parameters tf.image.transform expects for the output→input mapping: for an output pixel (x, y) it
 * samples the input at ((a0·x + a1·y + a2)/k, (b0·x + b1·y + b2)/k) with k = c0·x + c1·y + 1.
 * `imageToCrop` maps image pixels to crop pixels; tf wants the inverse.
 */
export function toTransformParams(
  imageToCrop: Similarity,
): [number, number, number, number, number, number, number, number] {
  const inv = invertSimilarity(imageToCrop);
  return [inv.a, -inv.b, inv.tx, inv.b, inv.a, inv.ty, 0, 0];
}
