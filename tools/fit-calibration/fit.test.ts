import { describe, expect, it } from 'vitest';
import { calibrate, createCalibrator, validateCalibrationTable } from '../../src/face/similarity/calibration';
import { seededRandom as rng } from '../../test/support/seededRandom';
import { buildCalibrationTable } from './fit';

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
