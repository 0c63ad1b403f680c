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
  const r0 = r[0]!,
    r1 = r[1]!,
    q0 = q[0]!;
  const rLast = r[n - 1]!,
    qLast = q[n - 1]!;
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
    let lo = 0,
      hi = n - 1;
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if (r[mid]! <= raw) lo = mid;
      else hi = mid;
    }
    const ra = r[lo]!,
      qa = q[lo]!;
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
