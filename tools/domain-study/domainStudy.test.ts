import { describe, expect, test } from 'vitest';
import { rng, unit } from '../../bench/synthetic';
import { predictCohortStats } from '../../src/face/similarity/pairNorm';
import { crossValidatedR2, fitCrowding } from './crowding';
import { allPairs, type Img } from './embeddings';

const faces = (people: number, each: number, d = 16): Img[] => {
  const r = rng(3);
  return Array.from({ length: people * each }, (_, i) => ({
    key: `p${Math.floor(i / each)}/${i % each}`,
    person: `p${Math.floor(i / each)}`,
    v: [unit(d, r)],
  }));
};

describe('allPairs', () => {
  // The generator once ran in floating point, lost its low bits and cycled through ~8,000 pairs.
  test('a sample of cross-person pairs is as many distinct pairs as asked, all of different people', () => {
    const imgs = faces(400, 3);
    const pairs = allPairs(imgs, false, 50_000);
    expect(pairs).toHaveLength(50_000);
    expect(new Set(pairs.map(([a, b]) => [a.key, b.key].sort().join('|'))).size).toBe(50_000);
    expect(pairs.every(([a, b]) => a.person !== b.person)).toBe(true);
  });

  test('small sets are enumerated whole', () => {
    const imgs = faces(4, 3);
    expect(allPairs(imgs, true)).toHaveLength(4 * 3);
    expect(allPairs(imgs, false)).toHaveLength((12 * 11) / 2 - 12);
  });
});

describe('crowding regression', () => {
  test('recovers statistics that are a quadratic function of the vector, for people it was not fitted on', () => {
    const imgs = faces(300, 2);
    const vectors = imgs.map((i) => i.v[0]!);
    // μ depends on the vector linearly and through a square; σ through a linear term.
    const targets = vectors.map((v) => ({ mu: 0.3 + 0.5 * v[0]! + 2 * v[1]! ** 2, sd: Math.exp(-3 + v[2]!) }));
    const r2 = crossValidatedR2(
      vectors,
      targets,
      imgs.map((i) => i.person),
      16,
      1e-6,
    );
    expect(r2).toBeGreaterThan(0.95);
    const model = fitCrowding(vectors, targets, 16, 1e-6);
    const probe = unit(16, rng(99));
    const p = predictCohortStats(model, probe);
    expect(p.mu).toBeCloseTo(0.3 + 0.5 * probe[0]! + 2 * probe[1]! ** 2, 2);
    expect(p.sd).toBeCloseTo(Math.exp(-3 + probe[2]!), 3);
  });

  test('with no structure to learn, the cross-validated R² is not positive', () => {
    const imgs = faces(200, 2);
    const r = rng(5);
    const targets = imgs.map(() => ({ mu: r(), sd: Math.exp(r()) }));
    const r2 = crossValidatedR2(
      imgs.map((i) => i.v[0]!),
      targets,
      imgs.map((i) => i.person),
      0,
      1,
    );
    expect(r2).toBeLessThan(0.05);
  });
});
