import { describe, expect, it } from 'vitest';
import {
  accuracyAt,
  auc,
  bestThresholdAccuracy,
  foldAccuracy,
  fuseScores,
  meanStd,
  rocCurve,
  scoreStats,
  thresholdAtFmr,
  tmrAtFmr,
  type FoldPair,
} from './verification';
import { seededRandom as rng } from '../../test/support/seededRandom';

/** Brute-force AUC over all genuine × impostor combinations. */
function bruteAuc(g: number[], im: number[]): number {
  let s = 0;
  for (const x of g) for (const y of im) s += x > y ? 1 : x === y ? 0.5 : 0;
  return s / (g.length * im.length);
}

describe('auc', () => {
  it('is 1 for perfectly separated, 0 reversed, 0.5 for all ties', () => {
    expect(auc([0.8, 0.9, 0.7], [0.1, 0.2])).toBe(1);
    expect(auc([0.1, 0.2], [0.8, 0.9, 0.7])).toBe(0);
    expect(auc([0.5, 0.5], [0.5, 0.5, 0.5])).toBe(0.5);
  });

  it('counts ties half (hand case)', () => {
    // (0.5 vs 0.6) 0, (0.5 vs 0.5) ½, (0.7 vs 0.6) 1, (0.7 vs 0.5) 1 → 2.5 / 4.
    expect(auc([0.5, 0.7], [0.6, 0.5])).toBe(0.625);
    // −Infinity vs −Infinity is a tie too.
    expect(auc([-Infinity, 1], [-Infinity, 0])).toBe((0.5 + 0 + 1 + 1) / 4);
  });

  it('matches brute force on random tied data and the trapezoid area under rocCurve', () => {
    const r = rng(3);
    const g = Array.from({ length: 300 }, () => Math.round((r() + 0.3) * 20) / 20);
    const im = Array.from({ length: 500 }, () => Math.round(r() * 20) / 20);
    const a = auc(g, im);
    expect(a).toBeCloseTo(bruteAuc(g, im), 12);
    const roc = rocCurve(g, im);
    let area = 0;
    for (let i = 1; i < roc.length; i++) {
      area += ((roc[i]!.fmr - roc[i - 1]!.fmr) * (roc[i]!.tmr + roc[i - 1]!.tmr)) / 2;
    }
    expect(area).toBeCloseTo(a, 12);
  });

  it('rejects NaN and empty input', () => {
    expect(() => auc([NaN], [0])).toThrow(RangeError);
    expect(() => auc([], [0])).toThrow(RangeError);
  });
});

describe('rocCurve', () => {
  it('lists one point per distinct score, accept iff score > threshold', () => {
    expect(rocCurve([0.9, 0.6], [0.7, 0.1])).toEqual([
      { threshold: 0.9, tmr: 0, fmr: 0 },
      { threshold: 0.7, tmr: 0.5, fmr: 0 },
      { threshold: 0.6, tmr: 0.5, fmr: 0.5 },
      { threshold: 0.1, tmr: 1, fmr: 0.5 },
      { threshold: -Infinity, tmr: 1, fmr: 1 },
    ]);
  });

  it('never accepts −Infinity scores', () => {
    const roc = rocCurve([1, -Infinity], [0, -Infinity]);
    expect(roc[roc.length - 1]).toEqual({ threshold: -Infinity, tmr: 0.5, fmr: 0.5 });
  });
});

describe('thresholdAtFmr / tmrAtFmr', () => {
  const imp = [0.3, 0.1, 0.5, 0.2, 0.9, 0.4, 1.0, 0.6, 0.8, 0.7];

  it('returns the (k+1)-th highest impostor score, k = floor(fmr·N)', () => {
    expect(thresholdAtFmr(imp, 0.1)).toBe(0.9); // exactly one impostor (1.0) is > 0.9
    expect(thresholdAtFmr(imp, 0.25)).toBe(0.8); // k = 2
    expect(thresholdAtFmr(imp, 0.05)).toBe(1.0); // k = 0: nothing may pass
    expect(thresholdAtFmr(imp, 0)).toBe(1.0);
    expect(thresholdAtFmr(imp, 1)).toBe(-Infinity);
  });

  it('keeps the achieved FMR ≤ target with ties', () => {
    const tied = [1, 1, 1, 0.5, 0.5, 0.5, 0.5, 0.2, 0.2, 0.2];
    expect(thresholdAtFmr(tied, 0.1)).toBe(1); // nothing is > 1: FMR 0 ≤ 0.1
    expect(thresholdAtFmr(tied, 0.3)).toBe(0.5); // 3 are > 0.5: FMR 0.3
    expect(thresholdAtFmr(tied, 0.5)).toBe(0.5);
  });

  it('agrees with sorting on large random input (heap and sort paths)', () => {
    const r = rng(11);
    const big = Float32Array.from({ length: 100000 }, () => r() * 2 - 1);
    const sorted = Float64Array.from(big).sort();
    for (const fmr of [1e-4, 1e-3, 0.01, 0.2, 0.3, 0.9]) {
      const k = Math.floor(fmr * big.length + 1e-9);
      const t = thresholdAtFmr(big, fmr);
      expect(t).toBe(sorted[big.length - 1 - k]);
      let above = 0;
      for (const x of big) if (x > t) above++;
      expect(above).toBe(k);
    }
  });

  it('tmrAtFmr counts genuine scores strictly above the threshold', () => {
    expect(tmrAtFmr([0.95, 0.85, 0.9, 1.0], imp, 0.1)).toBe(0.5); // threshold 0.9: 0.95 and 1.0 pass
    expect(tmrAtFmr([0.95, -Infinity], imp, 1)).toBe(0.5); // threshold −Infinity: −Infinity still fails
  });
});

describe('bestThresholdAccuracy / accuracyAt', () => {
  const s = (score: number, same: boolean) => ({ score, same });

  it('finds the midpoint threshold of perfectly separated scores', () => {
    const r = bestThresholdAccuracy([s(0.1, false), s(0.3, false), s(0.7, true), s(0.9, true)]);
    expect(r).toEqual({ threshold: 0.5, accuracy: 1 });
  });

  it('picks the lowest of equally accurate thresholds', () => {
    const data = [s(0.1, false), s(0.2, false), s(0.3, true), s(0.4, false), s(0.6, true), s(0.7, true)];
    const r = bestThresholdAccuracy(data);
    expect(r.threshold).toBeCloseTo(0.25, 12);
    expect(r.accuracy).toBeCloseTo(5 / 6, 12);
    expect(accuracyAt(data, r.threshold)).toBeCloseTo(5 / 6, 12);
    expect(accuracyAt(data, 0.5)).toBeCloseTo(5 / 6, 12);
  });

  it('handles "accept all", "accept none" and ties', () => {
    expect(bestThresholdAccuracy([s(0.5, true), s(0.6, true)])).toEqual({ threshold: -Infinity, accuracy: 1 });
    expect(bestThresholdAccuracy([s(0.5, false), s(0.6, false)])).toEqual({ threshold: 0.6, accuracy: 1 });
    // A tie across classes can only be split as a whole.
    expect(bestThresholdAccuracy([s(0.5, true), s(0.5, false), s(0.9, true)]).accuracy).toBeCloseTo(2 / 3, 12);
  });

  it('treats −Infinity (no face) as never accepted', () => {
    const r = bestThresholdAccuracy([s(-Infinity, true), s(-Infinity, false), s(0.2, false), s(0.8, true)]);
    expect(r.accuracy).toBe(0.75);
    expect(r.threshold).toBe(0.5);
    expect(accuracyAt([s(-Infinity, true)], -Infinity)).toBe(0);
  });

  it('is consistent with accuracyAt on random data', () => {
    const r = rng(5);
    const data = Array.from({ length: 400 }, () => {
      const same = r() < 0.5;
      return s(Math.round((r() + (same ? 0.4 : 0)) * 50) / 50, same);
    });
    const best = bestThresholdAccuracy(data);
    expect(accuracyAt(data, best.threshold)).toBeCloseTo(best.accuracy, 12);
    // No candidate threshold does better.
    for (const t of new Set(data.map((d) => d.score))) {
      expect(accuracyAt(data, t)).toBeLessThanOrEqual(best.accuracy + 1e-12);
    }
  });
});

describe('foldAccuracy', () => {
  it('chooses each fold threshold on the other folds (hand case)', () => {
    const p = (fold: number, score: number, same: boolean): FoldPair => ({ fold, score, same });
    const pairs = [
      p(1, 0.8, true),
      p(1, 0.6, true),
      p(1, 0.2, false),
      p(1, 0.4, false),
      p(2, 0.8, true),
      p(2, 0.6, true),
      p(2, 0.2, false),
      p(2, 0.4, false),
      p(3, 0.8, true),
      p(3, 0.45, true),
      p(3, 0.2, false),
      p(3, 0.55, false),
    ];
    const r = foldAccuracy(pairs);
    // Folds 1, 2: trained on {other clean fold + fold 3} → best (first) cut between 0.4 and 0.45 → 0.425; 100 %.
    // Fold 3: trained on folds 1 + 2 → 0.5; 0.45 (same) and 0.55 (different) are wrong → 50 %.
    expect(r.folds.map((f) => f.fold)).toEqual([1, 2, 3]);
    expect(r.folds[0]!.threshold).toBeCloseTo(0.425, 12);
    expect(r.folds[2]!.threshold).toBeCloseTo(0.5, 12);
    expect(r.folds.map((f) => f.accuracy)).toEqual([1, 1, 0.5]);
    expect(r.folds.map((f) => f.pairs)).toEqual([4, 4, 4]);
    expect(r.mean).toBeCloseTo(2.5 / 3, 12);
    expect(r.std).toBeCloseTo(Math.sqrt(1 / 12), 12); // sample std of (1, 1, 0.5)
  });

  it('needs two folds', () => {
    expect(() => foldAccuracy([{ fold: 0, score: 1, same: true }])).toThrow(RangeError);
  });
});

describe('meanStd / scoreStats', () => {
  it('uses the sample std for meanStd', () => {
    expect(meanStd([1, 2, 3, 4])).toEqual({ mean: 2.5, std: Math.sqrt(5 / 3) });
    expect(meanStd([7])).toEqual({ mean: 7, std: 0 });
  });

  it('scoreStats skips infinite scores and uses the population std', () => {
    const r = scoreStats([1, 2, 3, 4, -Infinity]);
    expect(r.count).toBe(4);
    expect(r.mean).toBeCloseTo(2.5, 12);
    expect(r.std).toBeCloseTo(Math.sqrt(1.25), 12);
  });
});

describe('fuseScores', () => {
  const a = { scores: [1, 2, -Infinity], impostorMean: 0, impostorStd: 1 };
  const b = { scores: [10, 20, 30], impostorMean: 10, impostorStd: 5 };

  it('z-normalises with the impostor stats and averages with weights', () => {
    // z_a = [1, 2, −∞], z_b = [0, 2, 4].
    expect(Array.from(fuseScores([a, b]))).toEqual([0.5, 2, -Infinity]);
    const w = fuseScores([a, b], [3, 1]);
    expect(w[0]).toBeCloseTo(0.75, 12);
    expect(w[1]).toBeCloseTo(2, 12);
    expect(w[2]).toBe(-Infinity);
    expect(fuseScores([b])[2]).toBe(4);
  });

  it('keeps −Infinity even for a zero weight and validates input', () => {
    expect(fuseScores([a, b], [0, 1])[2]).toBe(-Infinity);
    expect(() => fuseScores([a, { ...b, scores: [1] }])).toThrow(RangeError);
    expect(() => fuseScores([a, b], [1])).toThrow(RangeError);
    expect(() => fuseScores([a, b], [0, 0])).toThrow(RangeError);
    expect(() => fuseScores([{ ...a, impostorStd: 0 }])).toThrow(RangeError);
  });
});
