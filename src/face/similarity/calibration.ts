/**
 * Score calibration: maps a model's raw comparison score (e.g. cosine similarity) to the library's
 * `similarityScore` in [0, 1], which means the same thing for every model:
 *
 *     q = clamp01(0.4 − 0.1 · log10 FAR(raw))
 *
 * where FAR(raw) is the false-accept rate measured at that raw threshold on different-person pairs. So
 * FAR 10 % → 0.5, 1 % → 0.6, 0.1 % → 0.7, 0.01 % → 0.8, and "score ≥ 0.7" keeps the false-match rate at about
 * 0.1 % whatever the model.
 *
 * Pure math, no Node or DOM APIs: ships in the library.
 */

/** One measured operating point: at raw threshold `raw`, the share `far` of impostor pairs scores ≥ `raw`. */
export interface CalibrationPoint {
  raw: number;
  /** False-accept rate in (0, 1]. */
  far: number;
  /** Optional: share of genuine (same-person) pairs scoring ≥ `raw`, when the table was built with them. */
  tmr?: number;
}

/**
 * Raw thresholds with the false-accept rate at each, sorted by `raw` strictly ascending and `far` strictly
 * descending. Needs at least two points. Tables are treated as immutable.
 */
export interface CalibrationTable {
  /** Embedder / pipeline id the table belongs to; raw scores of different models are not comparable. */
  model: string;
  points: CalibrationPoint[];
  /** Optional: number of impostor scores the table was measured on. */
  impostorCount?: number;
}

/** q as a function of log10(FAR), before clamping: (4 − log10 FAR) / 10 (written so 1e-3 gives exactly 0.7). */
function qOfLogFar(logFar: number): number {
  return (4 - logFar) / 10;
}

function clampTo01(x: number): number {
  return x < 0 ? 0 : x > 1 ? 1 : x;
}

/** Throws a RangeError unless `table` is usable by {@link calibrate}. */
export function validateCalibrationTable(table: CalibrationTable): void {
  const pts = table.points;
  if (!Array.isArray(pts) || pts.length < 2) throw new RangeError('calibration table needs at least 2 points');
  for (let i = 0; i < pts.length; i++) {
    const p = pts[i]!;
    if (!Number.isFinite(p.raw)) throw new RangeError(`calibration point ${i}: raw is not finite`);
    if (!(p.far > 0 && p.far <= 1)) throw new RangeError(`calibration point ${i}: far must be in (0, 1]`);
    if (i > 0) {
      const prev = pts[i - 1]!;
      if (!(p.raw > prev.raw)) throw new RangeError(`calibration point ${i}: raw must be strictly ascending`);
      if (!(p.far < prev.far)) throw new RangeError(`calibration point ${i}: far must be strictly descending`);
    }
  }
}

/**
 * Validates `table` once and returns a raw → similarityScore function (a snapshot: later changes to `table` do not
 * affect it).
 *
 * The mapping is piecewise linear in raw and continuous:
 * - Between table points: log10 FAR is interpolated linearly in raw, so q is linear between the points' q values
 *   and equals exactly (4 − log10 far) / 10 at each point.
 * - Above the last point: the last segment's slope is continued, clamped to 1.
 * - Below the first point (q₀ = q of the first point, 0.45 for a table starting at FAR 10^-0.5): the first
 *   segment's log-linear FAR trend is extended down to the raw score r₁ where it would reach FAR = 1, and q
 *   falls linearly from q₀ at the first point to 0 at r₁ (0 below). The distance from the first point to r₁ is
 *   at least one first-segment width (this only matters for tables whose first FAR is close to 1). For the default
 *   grid (first FAR 10^-0.5, 0.25-decade steps) r₁ is two segment widths below the first point, so the slope there
 *   is 9× the first segment's: everything below the table is a clear non-match and the score only keeps ordering.
 * - NaN → NaN; −Infinity → 0; +Infinity → 1.
 * The result is non-decreasing in raw (strictly increasing wherever it is strictly between 0 and 1).
 */
export function createCalibrator(table: CalibrationTable, clamp = true): (raw: number) => number {
  validateCalibrationTable(table);
  const clamp01 = clamp ? clampTo01 : (x: number) => x;
  const n = table.points.length;
  const r = new Float64Array(n);
  const q = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const p = table.points[i]!;
    r[i] = p.raw;
    q[i] = qOfLogFar(Math.log10(p.far));
  }
  const r0 = r[0]!, r1 = r[1]!, q0 = q[0]!, q1 = q[1]!;
  const rLast = r[n - 1]!, qLast = q[n - 1]!;
  const slopeLast = (qLast - q[n - 2]!) / (rLast - r[n - 2]!);
  // Below the table: distance from the first point to where the extended FAR reaches 1.
  const logF0 = Math.log10(table.points[0]!.far);
  const logF1 = Math.log10(table.points[1]!.far);
  const decadesPerRaw = (logF0 - logF1) / (r1 - r0); // > 0
  const width = r1 - r0;
  const gapToFarOne = -logF0 / decadesPerRaw;
  const gap = Math.max(gapToFarOne, width);
  const slopeBelow = q0 / gap;

  return (raw: number): number => {
    if (Number.isNaN(raw)) return NaN;
    if (raw <= r0) {
      if (raw === r0) return clamp01(q0);
      return clamp01(q0 - slopeBelow * (r0 - raw));
    }
    if (raw >= rLast) {
      if (raw === rLast) return clamp01(qLast);
      return clamp01(qLast + slopeLast * (raw - rLast));
    }
    // Binary search for the segment [r[lo], r[lo + 1]) containing raw.
    let lo = 0, hi = n - 1;
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if (r[mid]! <= raw) lo = mid;
      else hi = mid;
    }
    const ra = r[lo]!, qa = q[lo]!;
    if (raw === ra) return clamp01(qa);
    const t = (raw - ra) / (r[lo + 1]! - ra);
    return clamp01(qa + t * (q[lo + 1]! - qa));
  };
}

const calibrators = new WeakMap<CalibrationTable, (raw: number) => number>();
const unclampedCalibrators = new WeakMap<CalibrationTable, (raw: number) => number>();

/**
 * log10 of the false-accept rate of one comparison at `raw`, from the same interpolation as {@link calibrate} but
 * not clamped (so beyond the table it continues the last segment's trend): calibrate = clamp01(0.4 − 0.1 · this).
 * A 1:N search uses it to account for the number of comparisons it makes.
 */
export function logFarOf(raw: number, table: CalibrationTable): number {
  let f = unclampedCalibrators.get(table);
  if (!f) {
    f = createCalibrator(table, false);
    unclampedCalibrators.set(table, f);
  }
  return 4 - 10 * f(raw);
}

/**
 * Maps a raw score to the calibrated similarityScore in [0, 1] (see {@link createCalibrator} for the exact
 * interpolation and extrapolation rules). Throws a RangeError for an invalid table. The validated table is cached
 * per table object, so calling this per comparison is cheap; do not mutate a table after using it.
 */
export function calibrate(raw: number, table: CalibrationTable): number {
  let f = calibrators.get(table);
  if (!f) {
    f = createCalibrator(table);
    calibrators.set(table, f);
  }
  return f(raw);
}

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
    const hi = desc(m - 1), lo = desc(m);
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
  let lo = 0, hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (a[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
