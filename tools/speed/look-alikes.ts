// findLookAlikes' cost: CollectionIndex.closestPersonPairs over random unit templates of the shipped models' sizes
// (one face per person), in Node (the same V8 and WebAssembly SIMD scan as Chromium).
// Usage: npx rolldown tools/speed/look-alikes.ts --platform node --file tools/out/look-alikes.mjs && node tools/out/look-alikes.mjs [1000,3000,10000]
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
const rand = () => (seed = (seed * 1664525 + 1013904223) >>> 0) / 2 ** 32 - 0.5;
const sizes = (process.argv[2] ?? '1000,3000,10000').split(',').map(Number);
const scorer = new FusedScorer(new Matcher({ ...config, pairNorm: pairNorm as PairNormConfig }), models, dims);
for (const n of sizes) {
  const index = new CollectionIndex('c', 1, dims, n);
  const d = dims.reduce((a, b) => a + b, 0);
  const data = new Float32Array(n * d);
  for (let i = 0; i < n; i++) {
    let o = i * d;
    for (const dim of dims) {
      let norm = 0;
      for (let j = 0; j < dim; j++) norm += (data[o + j] = rand()) ** 2;
      for (let j = 0; j < dim; j++) data[o + j]! /= Math.sqrt(norm);
      o += dim;
    }
  }
  index.addRows(
    Array.from({ length: n }, (_, i) => `f${i}`),
    Array.from({ length: n }, (_, i) => `p${i}`),
    data,
  );
  const t = performance.now();
  const pairs = index.closestPersonPairs(
    (row) => scorer.queryOfRow(row),
    10,
    (row) => scorer.templateOfRow(row),
    (a, b, cohort) => scorer.searchScoreOf(a, b, n, cohort),
  );
  const ms = performance.now() - t;
  console.log(`${n} persons: ${ms.toFixed(0)} ms (${pairs.length} pairs; simd ${index.simd})`);
}
