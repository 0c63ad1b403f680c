import { describe, expect, test } from 'vitest';
import { rng, unit } from '../../bench/synthetic';
import calibration from '../../src/face/similarity/calibration.json';
import { Matcher, cosine, type MatcherConfig } from '../../src/face/similarity/matcher';
import {
  crowdingFeatures,
  decodeCrowding,
  encodeCrowding,
  featureCount,
  pairNormScore,
  predictCohortStats,
  type PairNormConfig,
} from '../../src/face/similarity/pairNorm';
import shipped from '../../src/face/similarity/pairNorm.json';
import type { FaceTemplate } from '../../src/vocabulary';

const plain = calibration as MatcherConfig;
const norm = shipped as PairNormConfig;

describe('crowding regression', () => {
  test('parameters survive their float32 encoding', () => {
    const r = rng(5);
    const d = 8,
      P = 3,
      F = featureCount(d, P);
    const params = {
      centre: Float32Array.from({ length: d }, r),
      basis: Array.from({ length: P }, () => unit(d, r)),
      wMu: Float32Array.from({ length: F }, r),
      wLogSd: Float32Array.from({ length: F }, r),
    };
    const model = { id: 'x', weight: 1, mean: 0, std: 1, dimension: d, components: P, params: encodeCrowding(params) };
    const back = decodeCrowding(model);
    expect(Array.from(back.centre)).toEqual(Array.from(params.centre));
    expect(back.basis.map((b) => Array.from(b))).toEqual(params.basis.map((b) => Array.from(b)));
    expect(Array.from(back.wMu)).toEqual(Array.from(params.wMu));
    expect(Array.from(back.wLogSd)).toEqual(Array.from(params.wLogSd));
    // Parameters of the wrong size are refused rather than read out of bounds.
    expect(() => decodeCrowding({ ...model, components: P + 1 })).toThrow(RangeError);
  });

  test('features are [1, v, pᵢpⱼ] of the projections, and the prediction is linear in them', () => {
    const v = Float32Array.from([1, 0, 0]),
      centre = Float32Array.from([0, 0, 0]);
    const basis = [Float32Array.from([1, 0, 0]), Float32Array.from([0, 1, 0])];
    expect(Array.from(crowdingFeatures(v, centre, basis))).toEqual([1, 1, 0, 0, 1, 0, 0]);
    const w = Float32Array.from([0.5, 0.1, 0, 0, 0.2, 0, 0]);
    const stats = predictCohortStats(
      { centre, basis, wMu: w, wLogSd: Float32Array.from([Math.log(0.1), 0, 0, 0, 0, 0, 0]) },
      v,
    );
    expect(stats.mu).toBeCloseTo(0.8, 6);
    expect(stats.sd).toBeCloseTo(0.1, 6);
    expect(pairNormScore(0.9, stats, { mu: 0.5, sd: 0.2 })).toBeCloseTo(0.5 * (0.1 / 0.1 + 0.4 / 0.2), 5);
  });
});

describe('the shipped 1:1 normalisation', () => {
  test('covers the matcher’s models, and predicts a sane spread for real-looking vectors', () => {
    expect(norm.models.map((m) => m.id).sort()).toEqual(plain.models.map((m) => m.id).sort());
    const r = rng(9);
    for (const m of norm.models) {
      const params = decodeCrowding(m);
      expect(params.centre).toHaveLength(m.dimension);
      // The fitting faces' mean direction is a face in the middle of the crowd: its stats are finite and positive.
      const c = Float32Array.from(params.centre);
      const n = Math.hypot(...c);
      const stats = predictCohortStats(
        params,
        c.map((x) => x / n),
      );
      expect(Number.isFinite(stats.mu) && stats.sd > 0).toBe(true);
      const random = predictCohortStats(params, unit(m.dimension, r));
      expect(Number.isFinite(random.mu) && random.sd > 0).toBe(true);
    }
  });

  // The same cosines score lower between two faces in the middle of the crowd (where a camera that makes everyone
  // alike puts its faces) than between two faces far from it.
  test('the same cosine scores lower between faces in a crowded neighbourhood', () => {
    const r = rng(11);
    const params = norm.models.map((m) => decodeCrowding(m));
    const template = (crowded: boolean): FaceTemplate => ({
      models: norm.models.map((m) => m.id),
      vectors: norm.models.map((m, i) => {
        const u = unit(m.dimension, r);
        if (!crowded) return u;
        const c = params[i]!.centre;
        const v = u.map((x, j) => 0.15 * x + c[j]!);
        const n = Math.hypot(...v);
        return v.map((x) => x / n);
      }),
    });
    /** b at cosine `cos` to a, per model. */
    const partner = (t: FaceTemplate, cos: number): FaceTemplate => ({
      ...t,
      vectors: t.vectors.map((a) => {
        const u = unit(a.length, r);
        const d = cosine(u, a);
        const perp = u.map((x, i) => x - d * a[i]!);
        const n = Math.hypot(...perp);
        return a.map((x, i) => cos * x + Math.sqrt(1 - cos * cos) * (perp[i]! / n));
      }),
    });
    const matcher = new Matcher({ ...plain, pairNorm: norm });
    const lone = template(false),
      crowded = template(true);
    const predicted = (t: FaceTemplate) => predictCohortStats(params[1]!, t.vectors[1]!).mu;
    expect(predicted(crowded)).toBeGreaterThan(predicted(lone));
    expect(matcher.compare(crowded, partner(crowded, 0.6))).toBeLessThan(matcher.compare(lone, partner(lone, 0.6)));
    // Without a pairNorm, 1:1 is the plain calibrated score.
    const bare = new Matcher(plain);
    expect(bare.compare(lone, crowded)).toBe(bare.similarity(lone, crowded));
  });
});
