// The cost of rescoring a search's best candidates with the crowding-normalised score (FusedScorer.searchScore):
// CollectionIndex.topPersons over 100k random one-face persons, scan + top-10 alone against scan + top-10 + the
// best 50 rescored, alternating, in Node (the same V8 and WebAssembly SIMD scan as Chromium).
// Usage: npx rolldown tools/speed/search-rescore-ab.ts --platform node --file tools/out/search-rescore-ab.mjs && node tools/out/search-rescore-ab.mjs
import { CollectionIndex } from '../../src/collections/search/collectionIndex';
import { FusedScorer } from '../../src/collections/search/fusedScorer';
import calibration from '../../src/face/similarity/calibration.json';
import pairNorm from '../../src/face/similarity/pairNorm.json';
import { Matcher, type MatcherConfig } from '../../src/face/similarity/matcher';
import type { PairNormConfig } from '../../src/face/similarity/pairNorm';
const config = calibration as MatcherConfig;
const models = config.models.map((m) => m.id);
const dims = [128, 192];
let seed = 3;
const rand = () => (seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32 - 0.5;
const unitT = () => ({
  models,
  vectors: dims.map((d) => {
    const v = Float32Array.from({ length: d }, rand);
    const n = Math.hypot(...v);
    return v.map((x) => x / n);
  }),
});
const n = 100_000,
  d = 320;
const index = new CollectionIndex('c', 1, dims, n);
const data = new Float32Array(n * d);
for (let i = 0; i < n; i++) {
  const t = unitT();
  data.set(t.vectors[0]!, i * d);
  data.set(t.vectors[1]!, i * d + 128);
}
index.addRows(
  Array.from({ length: n }, (_, i) => `f${i}`),
  Array.from({ length: n }, (_, i) => `p${i}`),
  data,
);
const scorer = new FusedScorer(new Matcher({ ...config, pairNorm: pairNorm as PairNormConfig }), models, dims);
const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
const plain: number[] = [],
  rescored: number[] = [];
for (let i = 0; i < 60; i++) {
  const p = unitT(),
    q = scorer.query(p);
  let t = performance.now();
  index.topPersons(q, 10);
  const a = performance.now() - t;
  t = performance.now();
  index.topPersons(q, 10, (row, cohort) => scorer.searchScore(p, row, n, cohort));
  const b = performance.now() - t;
  if (i >= 10) {
    plain.push(a);
    rescored.push(b);
  }
}
console.log(
  `100k persons, top-10: scan only ${med(plain).toFixed(2)} ms, scan + 50 rescored ${med(rescored).toFixed(2)} ms (simd ${index.simd})`,
);
