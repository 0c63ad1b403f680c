import { describe, expect, it } from 'vitest';
import {
  calibrate,
  createCalibrator,
  validateCalibrationTable,
  type CalibrationTable,
} from '../../src/face/similarity/calibration';

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
    const t: CalibrationTable = {
      model: 'x',
      points: [
        { raw: 0, far: 0.9 },
        { raw: 1, far: 0.1 },
      ],
    };
    const q0 = (4 - Math.log10(0.9)) / 10;
    expect(calibrate(0, t)).toBeCloseTo(q0, 12);
    expect(calibrate(-0.5, t)).toBeCloseTo(q0 / 2, 12);
    expect(calibrate(-1, t)).toBeCloseTo(0, 12);
  });

  it('is monotone non-decreasing, continuous and within [0, 1] over a fine sweep', () => {
    const f = createCalibrator(table);
    let prev = f(-1);
    let decreases = 0,
      outside = 0,
      maxJump = 0;
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
    expect(
      bad([
        { raw: 0.2, far: 0.1 },
        { raw: 0.1, far: 0.01 },
      ]),
    ).toThrow(RangeError);
    expect(
      bad([
        { raw: 0.1, far: 0.1 },
        { raw: 0.2, far: 0.1 },
      ]),
    ).toThrow(RangeError);
    expect(
      bad([
        { raw: 0.1, far: 0.1 },
        { raw: 0.2, far: 0 },
      ]),
    ).toThrow(RangeError);
    expect(
      bad([
        { raw: 0.1, far: 2 },
        { raw: 0.2, far: 0.1 },
      ]),
    ).toThrow(RangeError);
    expect(
      bad([
        { raw: NaN, far: 0.1 },
        { raw: 0.2, far: 0.01 },
      ]),
    ).toThrow(RangeError);
    expect(() => validateCalibrationTable(table)).not.toThrow();
  });
});
