// The cohort mean's cost in a 100k search: CollectionIndex.topPersons (scan + top-10 + cohort mean) against scan +
// top-10 alone, alternating, in Node (same V8 and WebAssembly SIMD kernel as Chromium).
// Usage: npx rolldown tools/speed/search-cohort-ab.ts --platform node --file tools/out/search-cohort-ab.mjs && node tools/out/search-cohort-ab.mjs
import { CollectionIndex } from '../../src/collections/search/collectionIndex';
import { topK } from '../../src/collections/search/topK';
const dims = [128, 192],
  d = 320,
  n = 100_000;
let seed = 3;
const rand = () => (seed = (seed * 1664525 + 1013904223) >>> 0) / 2 ** 32 - 0.5;
const data = new Float32Array(n * d).map(rand);
const index = new CollectionIndex('c', 1, dims, n);
index.addRows(
  Array.from({ length: n }, (_, i) => `f${i}`),
  Array.from({ length: n }, (_, i) => `p${i}`),
  data,
);
const means = (index as unknown as { means: { scan(q: Float32Array, n: number): Float32Array } }).means;
const queries = Array.from({ length: 40 }, () => new Float32Array(d).map(rand));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
const old: number[] = [],
  now: number[] = [];
for (let round = 0; round < 3; round++)
  for (const [i, q] of queries.entries()) {
    const runOld = () => {
      const t = performance.now();
      const s = means.scan(q, n);
      topK(s, 10);
      old.push(performance.now() - t);
    };
    const runNew = () => {
      const t = performance.now();
      index.topPersons(q, 10);
      now.push(performance.now() - t);
    };
    if (i % 2) {
      runOld();
      runNew();
    } else {
      runNew();
      runOld();
    }
  }
const sumOnly: number[] = [];
for (const q of queries) {
  const sc = means.scan(q, n);
  const t = performance.now();
  let sum = 0;
  for (let i = 0; i < n; i++) sum += sc[i]!;
  sumOnly.push(performance.now() - t + sum * 0);
}
console.log(`the cohort sum alone: median ${median(sumOnly).toFixed(3)} ms`);
console.log(
  `100k persons, scan + top-10: before (no cohort) median ${median(old).toFixed(2)} ms; now (with cohort mean) ${median(now).toFixed(2)} ms (n=${now.length}, simd ${index.simd})`,
);
