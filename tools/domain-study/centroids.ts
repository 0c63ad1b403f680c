// Cluster centres of face vectors (spherical k-means): a reference cohort that describes where faces lie without
// holding any one person's face. A centre must pool faces of at least `minPersons` different people, so none of
// them is a person's template; centres that pool fewer are dropped and their faces go to the nearest other centre.
import { rng } from '../../bench/synthetic';
import { dot } from './embeddings';

export interface Centres {
  /** Unit vectors, one per kept centre. */
  centres: Float32Array[];
  /** Distinct people pooled by each centre (the smallest is ≥ minPersons). */
  persons: number[];
}

function normalise(v: Float32Array): Float32Array {
  let n = 0;
  for (const x of v) n += x * x;
  n = Math.sqrt(n) || 1;
  for (let i = 0; i < v.length; i++) v[i]! /= n;
  return v;
}

function nearest(v: Float32Array, centres: readonly Float32Array[]): number {
  let best = -1,
    bestCos = -Infinity;
  centres.forEach((c, j) => {
    const s = dot(v, c);
    if (s > bestCos) [best, bestCos] = [j, s];
  });
  return best;
}

/** k-means++ seeding on cosine distance, from a fixed seed (the same cohort on every run). */
function seedCentres(vectors: readonly Float32Array[], count: number, seed: number): Float32Array[] {
  const random = rng(seed);
  const u = () => random() + 0.5;
  const centres = [Float32Array.from(vectors[Math.floor(u() * vectors.length)]!)];
  const dist = vectors.map((v) => 1 - dot(v, centres[0]!));
  while (centres.length < Math.min(count, vectors.length)) {
    const total = dist.reduce((s, d) => s + Math.max(d, 0), 0);
    let pick = u() * total,
      i = 0;
    for (; i < vectors.length - 1; i++) if ((pick -= Math.max(dist[i]!, 0)) <= 0) break;
    const c = Float32Array.from(vectors[i]!);
    centres.push(c);
    vectors.forEach((v, k) => (dist[k] = Math.min(dist[k]!, 1 - dot(v, c))));
  }
  return centres;
}

/** Spherical k-means of unit `vectors` (each of `people[i]`) into at most `count` centres pooling ≥ minPersons. */
export function clusterCentres(
  vectors: readonly Float32Array[],
  people: readonly string[],
  count: number,
  minPersons: number,
  seed = 1,
): Centres {
  let centres = seedCentres(vectors, count, seed);
  let assign: number[] = [];
  for (let round = 0; round < 50; round++) {
    for (let it = 0; it < 30; it++) {
      const next = vectors.map((v) => nearest(v, centres));
      const moved = next.some((a, i) => a !== assign[i]);
      assign = next;
      centres = centres.map((c, j) => {
        const sum = new Float32Array(c.length);
        let n = 0;
        vectors.forEach((v, i) => {
          if (assign[i] !== j) return;
          n++;
          for (let d = 0; d < sum.length; d++) sum[d]! += v[d]!;
        });
        return n ? normalise(sum) : c;
      });
      if (!moved) break;
    }
    const persons = centres.map((_, j) => new Set(people.filter((_, i) => assign[i] === j)).size);
    if (persons.every((p) => p >= minPersons)) return { centres, persons };
    // Drop the centres that pool too few people (a person's own cluster is that person's template).
    const keep = centres.map((_, j) => persons[j]! >= minPersons);
    if (!keep.some(Boolean)) throw new Error(`no centre pools ${minPersons} people`);
    centres = centres.filter((_, j) => keep[j]);
    assign = [];
  }
  throw new Error('cluster centres did not settle');
}
