import { describe, expect, it } from 'vitest';
import { overlap } from '../../demo/kiosk/tracking';

describe('kiosk face tracking overlap (IoU)', () => {
  const box = { x: 100, y: 100, width: 100, height: 100 };
  it('is 1 for the same box and 0 for boxes apart', () => {
    expect(overlap(box, box)).toBe(1);
    expect(overlap(box, { x: 300, y: 100, width: 100, height: 100 })).toBe(0);
  });
  it('is intersection over union for overlapping boxes', () => {
    // Shifted by half a width: intersection 50×100, union 150×100.
    expect(overlap(box, { x: 150, y: 100, width: 100, height: 100 })).toBeCloseTo(1 / 3, 10);
  });
});
