/**
 * Fitting a calibration table from measured scores (used by tools/fit-calibration/analyze.ts to write the shipped
 * src/face/similarity/calibration.json). The library only reads tables: src/face/similarity/calibration.ts.
 */
import type { CalibrationPoint, CalibrationTable } from '../../src/face/similarity/calibration';

/** Options of {@link buildCalibrationTable}. */
export interface BuildCalibrationOptions {
  /** Grid spacing in decades of FAR (default 0.25). */
  step?: number;
  /** Largest FAR in the grid, as log10 (default −0.5, i.e. FAR ≈ 31.6 %). */
  maxLogFar?: number;
  /** The smallest FAR level kept must still have at least this many impostors above its threshold (default 10). */
  minTail?: number;
}

/**
 * Builds a calibration table from impostor (different-person) raw scores.
 *
 * FAR levels are 10^maxLogFar, 10^(maxLogFar − step), … down to the smallest level far with
 * floor(far·N) ≥ minTail (N = number of impostor scores). For each level, with k = floor(far·N), the raw
 * threshold lies halfway between the k-th and (k+1)-th highest impostor scores, so exactly k impostors
 * (a share ≤ far) score ≥ raw on this sample. With ties at that place the threshold moves up to the next gap
 * between distinct scores (still ≤ far). The stored `far` is the grid value (so q is exactly 0.5, 0.525, …, 0.7 at
 * the points); a level whose threshold is not finite or not above the previous one is dropped.
 *
 * `impostorScores` may contain −Infinity (e.g. "no face": below every threshold) but not NaN.
 * If `genuineScores` are given, each point also gets `tmr` = share of genuine scores ≥ raw.
 */
export function buildCalibrationTable(
  model: string,
  impostorScores: Float64Array | Float32Array | readonly number[],
  genuineScores?: Float64Array | Float32Array | readonly number[],
  options: BuildCalibrationOptions = {},
): CalibrationTable {
  const step = options.step ?? 0.25;
  const maxLogFar = options.maxLogFar ?? -0.5;
  const minTail = options.minTail ?? 10;
  if (!(step > 0)) throw new RangeError('step must be > 0');
  if (!(maxLogFar <= 0)) throw new RangeError('maxLogFar must be ≤ 0');
  const n = impostorScores.length;
  const sorted = Float64Array.from(impostorScores);
  for (let i = 0; i < n; i++) if (Number.isNaN(sorted[i]!)) throw new RangeError('impostor scores contain NaN');
  sorted.sort(); // ascending; the d-th highest (0-based) is sorted[n - 1 - d]
  const desc = (d: number): number => sorted[n - 1 - d]!;

  let genuineSorted: Float64Array | undefined;
  if (genuineScores && genuineScores.length > 0) {
    genuineSorted = Float64Array.from(genuineScores);
    genuineSorted.sort();
  }

  const points: CalibrationPoint[] = [];
  for (let j = 0; ; j++) {
    const logFar = maxLogFar - j * step;
    // Quarter-decade grids stay exact this way (10 ** -3 === 0.001).
    const far = 10 ** (Math.round(logFar * 1e9) / 1e9);
    const k = Math.floor(far * n + 1e-9);
    if (k < minTail || k < 1) break;
    // Largest m ≤ k with a gap between the m-th and (m+1)-th highest: desc(m - 1) > desc(m).
    let m = Math.min(k, n - 1);
    while (m >= 1 && !(desc(m - 1) > desc(m))) m--;
    if (m < 1) continue;
    const hi = desc(m - 1),
      lo = desc(m);
    let raw = (hi + lo) / 2;
    if (!(raw > lo && raw <= hi)) raw = hi; // −Infinity below, rounding, or an infinite neighbour
    if (!Number.isFinite(raw)) continue;
    const prev = points[points.length - 1];
    if (prev && !(raw > prev.raw)) continue;
    const point: CalibrationPoint = { raw, far };
    if (genuineSorted) point.tmr = (genuineSorted.length - lowerBound(genuineSorted, raw)) / genuineSorted.length;
    points.push(point);
  }
  if (points.length < 2) {
    throw new RangeError(`too few impostor scores (${n}) for a calibration table with minTail ${minTail}`);
  }
  return { model, points, impostorCount: n };
}

/** First index i with a[i] ≥ x in an ascending array. */
function lowerBound(a: Float64Array, x: number): number {
  let lo = 0,
    hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (a[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
