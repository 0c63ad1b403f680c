import { describe, expect, it } from 'vitest';
import {
  buildCalibrationTable,
  calibrate,
  createCalibrator,
  validateCalibrationTable,
  type CalibrationTable,
} from '../../src/face/similarity/calibration';
import { seededRandom as rng } from '../support/seededRandom';

function gaussians(n: number, seed: number): Float64Array {
  const r = rng(seed);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
  return out;
}
function shareAtLeast(scores: ArrayLike<number>, t: number): number {
  let c = 0;
  for (let i = 0; i < scores.length; i++) if (scores[i]! >= t) c++;
  return c / scores.length;
}

// Hand-made table: one decade per 0.1 of raw score, first point at FAR 10^-0.5.
const table: CalibrationTable = {
  model: 'test',
  points: [
    { raw: 0.1, far: 10 ** -0.5 },
    { raw: 0.2, far: 0.1 },
    { raw: 0.3, far: 0.01 },
    { raw: 0.4, far: 0.001 },
    { raw: 0.5, far: 0.0001 },
  ],
};

describe('calibrate', () => {
  it('maps the table points to 0.4 − 0.1·log10 FAR exactly', () => {
    expect(calibrate(0.2, table)).toBe(0.5);
    expect(calibrate(0.3, table)).toBe(0.6);
    expect(calibrate(0.4, table)).toBe(0.7);
    expect(calibrate(0.5, table)).toBe(0.8);
    expect(calibrate(0.1, table)).toBeCloseTo(0.45, 12);
  });

  it('interpolates log-linearly in FAR between points (linear in q)', () => {
    // Halfway between FAR 1 % and 0.1 % in raw → FAR 10^-2.5 → q = 0.65.
    expect(calibrate(0.35, table)).toBeCloseTo(0.65, 12);
    expect(calibrate(0.425, table)).toBeCloseTo(0.725, 12);
  });

  it('extrapolates the last slope above the table, clamped to 1', () => {
    expect(calibrate(0.6, table)).toBeCloseTo(0.9, 12);
    expect(calibrate(0.7, table)).toBe(1);
    expect(calibrate(5, table)).toBe(1);
    expect(calibrate(Infinity, table)).toBe(1);
  });

  it('falls to 0 below the table where the first segment would reach FAR = 1', () => {
    // First segment: 0.5 decades per 0.1 raw, so FAR = 1 at raw 0.0; q goes linearly 0.45 → 0 over [0, 0.1].
    expect(calibrate(0.05, table)).toBeCloseTo(0.225, 12);
    expect(calibrate(0, table)).toBeCloseTo(0, 12);
    expect(calibrate(-0.5, table)).toBe(0);
    expect(calibrate(-Infinity, table)).toBe(0);
  });

  it('uses at least one segment width below a table that starts near FAR 1', () => {
    const t: CalibrationTable = { model: 'x', points: [{ raw: 0, far: 0.9 }, { raw: 1, far: 0.1 }] };
    const q0 = (4 - Math.log10(0.9)) / 10;
    expect(calibrate(0, t)).toBeCloseTo(q0, 12);
    expect(calibrate(-0.5, t)).toBeCloseTo(q0 / 2, 12);
    expect(calibrate(-1, t)).toBeCloseTo(0, 12);
  });

  it('is monotone non-decreasing, continuous and within [0, 1] over a fine sweep', () => {
    const f = createCalibrator(table);
    let prev = f(-1);
    let decreases = 0, outside = 0, maxJump = 0;
    for (let i = 1; i <= 200000; i++) {
      const raw = -1 + i * 1e-5;
      const q = f(raw);
      if (q < prev) decreases++;
      if (!(q >= 0 && q <= 1)) outside++;
      maxJump = Math.max(maxJump, q - prev);
      prev = q;
    }
    expect(decreases).toBe(0);
    expect(outside).toBe(0);
    expect(maxJump).toBeLessThan(1e-4); // steepest slope is 4.5 per raw unit
    expect(prev).toBe(1);
  });

  it('returns NaN for NaN', () => {
    expect(calibrate(NaN, table)).toBeNaN();
  });

  it('rejects invalid tables', () => {
    const bad = (points: CalibrationTable['points']) => () => calibrate(0.3, { model: 'bad', points });
    expect(bad([{ raw: 0.1, far: 0.1 }])).toThrow(RangeError);
    expect(bad([{ raw: 0.2, far: 0.1 }, { raw: 0.1, far: 0.01 }])).toThrow(RangeError);
    expect(bad([{ raw: 0.1, far: 0.1 }, { raw: 0.2, far: 0.1 }])).toThrow(RangeError);
    expect(bad([{ raw: 0.1, far: 0.1 }, { raw: 0.2, far: 0 }])).toThrow(RangeError);
    expect(bad([{ raw: 0.1, far: 2 }, { raw: 0.2, far: 0.1 }])).toThrow(RangeError);
    expect(bad([{ raw: NaN, far: 0.1 }, { raw: 0.2, far: 0.01 }])).toThrow(RangeError);
    expect(() => validateCalibrationTable(table)).not.toThrow();
  });
});

describe('buildCalibrationTable', () => {
  it('puts each threshold between the k-th and (k+1)-th highest impostor score', () => {
    const n = 10000;
    const imp = Array.from({ length: n }, (_, i) => i / n); // 0, 0.0001, …, 0.9999
    const t = buildCalibrationTable('uniform', imp);
    expect(t.model).toBe('uniform');
    expect(t.impostorCount).toBe(n);
    // Levels 10^-0.5 … 10^-3 (k = floor(far·n) ≥ 10 stops at 1e-3, where k = 10).
    expect(t.points).toHaveLength(11);
    expect(t.points[0]!.far).toBeCloseTo(10 ** -0.5, 15);
    const p3 = t.points.find((p) => p.far === 0.001)!;
    expect(p3).toBeDefined();
    // 10th highest = 0.999, 11th = 0.9989 → midpoint.
    expect(p3.raw).toBeCloseTo(0.99895, 12);
    expect(calibrate(p3.raw, t)).toBe(0.7);
    expect(calibrate(t.points.find((p) => p.far === 0.01)!.raw, t)).toBe(0.6);
    for (const p of t.points) {
      const k = Math.floor(p.far * n + 1e-9);
      expect(shareAtLeast(imp, p.raw)).toBeCloseTo(k / n, 12);
    }
    expect(() => validateCalibrationTable(t)).not.toThrow();
  });

  it('gives FAR ≤ the target at calibrated 0.7 on the building sample, with a random impostor distribution', () => {
    const imp = gaussians(200000, 1);
    const t = buildCalibrationTable('gauss', imp);
    const f = createCalibrator(t);
    let accepted = 0;
    for (const x of imp) if (f(x) >= 0.7) accepted++;
    expect(accepted / imp.length).toBeLessThanOrEqual(1e-3);
    expect(accepted / imp.length).toBeGreaterThan(0.9e-3);
    // 200000 impostors support FAR down to 10^-4.25 (k = 11).
    expect(t.points[t.points.length - 1]!.far).toBeCloseTo(10 ** -4.25, 15);
    // Roughly the normal quantile: raw at FAR 1e-3 ≈ 3.09.
    expect(t.points.find((p) => p.far === 0.001)!.raw).toBeCloseTo(3.09, 1);
  });

  it('stays strictly ascending with heavily tied scores and keeps FAR ≤ target', () => {
    const r = rng(7);
    const imp = Array.from({ length: 50000 }, () => Math.round(gaussianish(r) * 20) / 20);
    const t = buildCalibrationTable('tied', imp);
    expect(() => validateCalibrationTable(t)).not.toThrow();
    for (const p of t.points) expect(shareAtLeast(imp, p.raw)).toBeLessThanOrEqual(p.far);
  });

  it('accepts −Infinity impostors (no face) and reports TMR when genuine scores are given', () => {
    const imp = [...Array.from({ length: 1000 }, (_, i) => i / 1000), -Infinity, -Infinity];
    const gen = [0.5, 0.95, 0.999, 1.5];
    const t = buildCalibrationTable('m', imp, gen);
    for (const p of t.points) {
      expect(Number.isFinite(p.raw)).toBe(true);
      expect(p.tmr).toBeCloseTo(shareAtLeast(gen, p.raw), 12);
    }
    // 1002 scores: the smallest level with ≥ 10 above is 10^-2 (k = 10).
    expect(t.points[t.points.length - 1]!.far).toBe(0.01);
  });

  it('throws with too few impostors or NaN', () => {
    expect(() => buildCalibrationTable('m', [0.1, 0.2, 0.3])).toThrow(RangeError);
    expect(() => buildCalibrationTable('m', [...Array.from({ length: 1000 }, (_, i) => i), NaN])).toThrow(RangeError);
  });
});

function gaussianish(r: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
}
