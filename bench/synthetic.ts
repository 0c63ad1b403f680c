// Synthetic face templates for the in-browser benchmarks: deterministic, so runs compare.

/** Pseudo-random numbers in [-0.5, 0.5) from a seed (a linear congruential generator). */
export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32 - 0.5;
}

/** A random unit vector of `d` dimensions, as an embedder's output is. */
export function unit(d: number, r: () => number): Float32Array {
  const v = new Float32Array(d);
  let n = 0;
  for (let i = 0; i < d; i++) {
    v[i] = r();
    n += v[i]! * v[i]!;
  }
  for (let i = 0; i < d; i++) v[i]! /= Math.sqrt(n);
  return v;
}
