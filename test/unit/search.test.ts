import { describe, expect, test } from 'vitest';
import { CollectionIndex, RESCORED_CANDIDATES } from '../../src/collections/search/collectionIndex';
import { RowMemory, scanJs, simdKernelModule } from '../../src/collections/search/dotKernel';
import { FusedScorer, searchSimilarity } from '../../src/collections/search/fusedScorer';
import { topK } from '../../src/collections/search/topK';
import { logFarOf } from '../../src/face/similarity/calibration';
import calibration from '../../src/face/similarity/calibration.json';
import pairNorm from '../../src/face/similarity/pairNorm.json';
import { Matcher, type MatcherConfig } from '../../src/face/similarity/matcher';
import type { PairNormConfig } from '../../src/face/similarity/pairNorm';

const config = calibration as MatcherConfig;
/** The matcher the library ships: scores normalised for crowding (compareFaces and searches). */
const normalised = new Matcher({ ...config, pairNorm: pairNorm as PairNormConfig });
const models = config.models.map((m) => m.id);
const dims = [128, 192];

/** Deterministic pseudo-random numbers (tests must not flake). */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32 - 0.5;
}
const unit = (d: number, r: () => number) => {
  const v = Float32Array.from({ length: d }, r);
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
};
const template = (r: () => number) => ({ models, vectors: dims.map((d) => unit(d, r)) });
const row = (t: { vectors: Float32Array[] }) => Float32Array.from(t.vectors.flatMap((v) => Array.from(v)));

describe('dot kernel', () => {
  test('the WebAssembly SIMD kernel matches the JS scan', () => {
    expect(simdKernelModule()).not.toBeNull();
    const r = rng(1),
      d = 320,
      n = 777;
    const mem = new RowMemory(d, 10);
    mem.ensureCapacity(n); // grows past the initial capacity: views renewed, rows kept
    for (let i = 0; i < n * d; i++) mem.rows[i] = r();
    const q = Float32Array.from({ length: d }, r);
    const ref = new Float32Array(n);
    scanJs(mem.rows, q, ref, n, d);
    const got = mem.scan(q, n);
    for (let i = 0; i < n; i++) expect(got[i]).toBeCloseTo(ref[i]!, 4);
    const js = new RowMemory(d, n, false);
    js.rows.set(mem.rows.subarray(0, n * d));
    expect(js.simd).toBe(false);
    expect(Array.from(js.scan(q, n))).toEqual(Array.from(ref));
  });
});

describe('topK', () => {
  test('largest k, best first, ties by index, non-finite skipped', () => {
    const s = Float32Array.from([0.5, 3, -Infinity, 3, 1, NaN, 2]);
    expect(topK(s, 3)).toEqual([1, 3, 6]);
    expect(topK(s, 10)).toEqual([1, 3, 6, 4, 0]);
    expect(topK(s, 0)).toEqual([]);
  });
  test('agrees with a full sort on random data', () => {
    const r = rng(7);
    const s = Float32Array.from({ length: 5000 }, r);
    const sorted = Array.from(s.keys()).sort((a, b) => s[b]! - s[a]!);
    expect(topK(s, 25)).toEqual(sorted.slice(0, 25));
  });
});

describe('FusedScorer', () => {
  test('row · query reproduces Matcher.raw exactly', () => {
    const r = rng(3),
      matcher = new Matcher(config),
      scorer = new FusedScorer(matcher, models, dims);
    for (let i = 0; i < 20; i++) {
      const a = template(r),
        b = template(r);
      let dot = 0;
      const q = scorer.query(a),
        rb = row(b);
      for (let j = 0; j < rb.length; j++) dot += q[j]! * rb[j]!;
      expect(scorer.raw(dot)).toBeCloseTo(matcher.raw(a, b), 4);
    }
  });
  test("the search score is compareFaces' score for one comparison and drops 0.1 per decade of comparisons", () => {
    const r = rng(4);
    const scorer = new FusedScorer(normalised, models, dims);
    let unclipped = 0;
    for (let i = 0; i < 30; i++) {
      const a = template(r);
      // b: a noisy copy of a, so that scores span the calibrated range.
      const b = {
        models,
        vectors: a.vectors.map((v) => {
          const w = v.map((x) => x + 0.06 * (i % 6) * r());
          const n = Math.hypot(...w);
          return w.map((x) => x / n);
        }),
      };
      const one = normalised.compare(a, b);
      expect(scorer.searchScore(a, row(b), 1)).toBeCloseTo(one, 9);
      const many = scorer.searchScore(a, row(b), 1000);
      if (one > 0.3 && one < 1) {
        unclipped++;
        expect(many).toBeCloseTo(one - 0.3, 9);
      } else expect(many).toBeLessThanOrEqual(one);
    }
    expect(unclipped).toBeGreaterThan(5);
    // The normalised score is not the plain fused one (a search scored like compareFaces, not like similarity).
    const a = template(r);
    expect(Math.abs(normalised.compareRaw(a, a) - normalised.raw(a, a))).toBeGreaterThan(0.01);
    expect(searchSimilarity(logFarOf(-100, config.table), 10)).toBe(0);
    expect(searchSimilarity(-20, 1)).toBe(1);
  });
  test('camera correction: none for an LFW-like cohort or a small one; alpha × the excess for a camera that scores everyone alike', () => {
    const r = rng(9);
    const scorer = new FusedScorer(normalised, models, dims);
    const c = config.cohort!;
    expect(c.alpha).toBeGreaterThan(0);
    const dotOfRaw = (raw: number) => raw + scorer.offset;
    const a = template(r);
    const b = {
      models,
      vectors: a.vectors.map((v) => {
        const w = v.map((x) => x + 0.5 * r());
        const n = Math.hypot(...w);
        return w.map((x) => x / n);
      }),
    };
    const plain = scorer.searchScoreOf(a, b, 40);
    expect(plain).toBeGreaterThan(0.05);
    expect(plain).toBeLessThan(0.95);
    // LFW-like cohort (mean plain raw at or below the reference): the score is unchanged.
    expect(scorer.searchScoreOf(a, b, 40, { meanDot: dotOfRaw(c.reference - 0.5), size: 39 })).toBe(plain);
    expect(scorer.searchScoreOf(a, b, 40, { meanDot: dotOfRaw(c.reference), size: 39 })).toBe(plain);
    // A webcam-like cohort (NUAA's mean plain raw is about 2): the normalised raw score drops by alpha × the excess.
    const webcam = { meanDot: dotOfRaw(c.reference + 2), size: 39 };
    expect(scorer.cohortShift(webcam)).toBeCloseTo(c.alpha * 2, 4);
    const shifted = searchSimilarity(logFarOf(normalised.compareRaw(a, b) - c.alpha * 2, normalised.compareTable), 40);
    expect(scorer.searchScoreOf(a, b, 40, webcam)).toBeCloseTo(shifted, 9);
    expect(scorer.searchScoreOf(a, b, 40, webcam)).toBeLessThan(plain);
    // Fewer other persons than minCohort: their mean says little, no correction.
    expect(scorer.searchScoreOf(a, b, 4, { ...webcam, size: c.minCohort - 1 })).toBe(scorer.searchScoreOf(a, b, 4));
  });
});

describe('CollectionIndex', () => {
  /** A person's mean row from scratch (each model's part of the sum, normalised). */
  function meanRow(faces: Map<string, { person: string; row: Float32Array }>, person: string): Float32Array {
    const sum = new Float32Array(320);
    for (const f of faces.values()) if (f.person === person) f.row.forEach((x, j) => (sum[j]! += x));
    let o = 0;
    for (const d of dims) {
      const n = Math.hypot(...sum.subarray(o, o + d));
      for (let j = o; j < o + d; j++) sum[j]! /= n;
      o += d;
    }
    return sum;
  }

  /** Reference: mean template per person from scratch. */
  function bruteForce(faces: Map<string, { person: string; row: Float32Array }>, q: Float32Array) {
    const byPerson = new Map<string, Float32Array[]>();
    for (const f of faces.values()) byPerson.set(f.person, [...(byPerson.get(f.person) ?? []), f.row]);
    const scores = [...byPerson].map(([person, rows]) => {
      const sum = new Float64Array(320);
      for (const r of rows) r.forEach((x, j) => (sum[j]! += x));
      let dot = 0,
        o = 0;
      for (const d of dims) {
        const n = Math.hypot(...sum.subarray(o, o + d));
        for (let j = o; j < o + d; j++) dot += (sum[j]! / n) * q[j]!;
        o += d;
      }
      return { person, dot };
    });
    return scores.sort((a, b) => b.dot - a.dot);
  }

  test('dispose() zeroes every template and mean the index held', () => {
    const r = rng(5);
    const index = new CollectionIndex('c', 1, dims);
    for (let i = 0; i < 20; i++) index.addRows([`f${i}`], [`p${i % 7}`], row(template(r)));
    const held = index as unknown as { mem: RowMemory; means: RowMemory };
    expect(held.mem.rows.some((x) => x !== 0)).toBe(true);
    expect(held.means.rows.some((x) => x !== 0)).toBe(true);
    index.dispose();
    expect(held.mem.rows.every((x) => x === 0)).toBe(true);
    expect(held.means.rows.every((x) => x === 0)).toBe(true);
  });

  test('adds, removes and scores persons by their mean template, like a from-scratch computation', () => {
    const r = rng(11);
    const index = new CollectionIndex('c', 5, dims);
    const faces = new Map<string, { person: string; row: Float32Array }>();
    let next = 0;
    const add = (person: string) => {
      const id = `f${next++}`,
        rw = row(template(r));
      faces.set(id, { person, row: rw });
      index.addRows([id], [person], rw);
    };
    for (let i = 0; i < 300; i++) add(`p${Math.floor(r() * 40 + 20)}`);
    for (const id of [...faces.keys()].filter((_, i) => i % 3 === 0)) {
      index.remove(id);
      faces.delete(id);
    }
    for (let i = 0; i < 50; i++) add(`p${Math.floor(r() * 60 + 30)}`);
    expect(index.size).toBe(faces.size);
    const q = row(template(r));
    const want = bruteForce(faces, q);
    expect(index.personCount).toBe(want.length);
    const got = index.topPersons(q, 10);
    expect(got.map((h) => h.personId)).toEqual(want.slice(0, 10).map((w) => w.person));
    // The cohort: every person but the best.
    const rest = want.slice(1);
    expect(got.cohort.size).toBe(rest.length);
    expect(got.cohort.meanDot).toBeCloseTo(rest.reduce((a, w) => a + w.dot, 0) / rest.length, 4);
    got.forEach((h, i) => expect(h.dot).toBeCloseTo(want[i]!.dot, 4));
    // The face shown for a hit is one of that person's faces.
    for (const h of got) expect(faces.get(h.faceId)!.person).toBe(h.personId);
  });

  test("topPersons with a score: the scan's best candidates ranked by that score", () => {
    const r = rng(17);
    const index = new CollectionIndex('c', 1, dims);
    const scorer = new FusedScorer(normalised, models, dims);
    const people = Array.from({ length: 200 }, () => template(r));
    people.forEach((t, i) => index.addRows([`f${i}`], [`p${i}`], row(t)));
    // A probe near person 7: first by dot product and by the normalised search score.
    const probe = {
      models,
      vectors: people[7]!.vectors.map((v) => {
        const w = v.map((x) => x + 0.05 * r());
        const n = Math.hypot(...w);
        return w.map((x) => x / n);
      }),
    };
    const q = scorer.query(probe);
    const hits = index.topPersons(q, 5, (rw) => scorer.searchScore(probe, rw, 200));
    expect(hits[0]!.personId).toBe('p7');
    for (const h of hits) {
      const i = Number(h.personId.slice(1));
      expect(h.score).toBeCloseTo(scorer.searchScore(probe, row(people[i]!), 200), 6);
      expect(h.dot).toBeCloseTo(
        row(people[i]!).reduce((s, x, j) => s + x * q[j]!, 0),
        4,
      );
    }
    for (let i = 1; i < hits.length; i++) expect(hits[i]!.score).toBeLessThanOrEqual(hits[i - 1]!.score);
    // Any score reorders the candidates: here the lowest dot product among the scan's best RESCORED_CANDIDATES first.
    const byDot = index.topPersons(q, RESCORED_CANDIDATES);
    const reversed = index.topPersons(q, 3, (rw) => -rw.reduce((s, x, j) => s + x * q[j]!, 0));
    expect(reversed.map((h) => h.personId)).toEqual(
      byDot
        .slice(-3)
        .reverse()
        .map((h) => h.personId),
    );
    // Without a score the hits are the scan's, scored by dot product.
    expect(byDot[0]!.score).toBe(byDot[0]!.dot);
  });

  test('closestPersonPairs: the best pairs of different persons, each once, like scoring every pair', () => {
    const r = rng(31);
    const index = new CollectionIndex('c', 1, dims);
    const scorer = new FusedScorer(new Matcher(config), models, dims);
    const faces = new Map<string, { person: string; row: Float32Array }>();
    for (let i = 0; i < 120; i++) {
      const id = `f${i}`,
        rw = row(template(r));
      faces.set(id, { person: `p${i % 45}`, row: rw });
      index.addRows([id], [`p${i % 45}`], rw);
    }
    // A whole person removed leaves a free slot that must not pair.
    for (const id of ['f3', 'f48', 'f93']) {
      index.remove(id);
      faces.delete(id);
    }
    const persons = [...new Set([...faces.values()].map((f) => f.person))].sort();
    expect(persons).toHaveLength(44);
    const want: { key: string; dot: number }[] = [];
    for (const a of persons) {
      const q = scorer.queryOfRow(meanRow(faces, a));
      for (const b of bruteForce(faces, q)) if (a < b.person) want.push({ key: `${a}|${b.person}`, dot: b.dot });
    }
    want.sort((x, y) => y.dot - x.dot);
    // Scored by the dot product itself, the rescoring keeps the scan's order.
    const prepare = (rw: Float32Array) => ({ query: scorer.queryOfRow(rw), row: rw.slice() });
    const byDot = (a: ReturnType<typeof prepare>, b: ReturnType<typeof prepare>) =>
      a.query.reduce((s, x, j) => s + x * b.row[j]!, 0);
    const got = index.closestPersonPairs((rw) => scorer.queryOfRow(rw), 12, prepare, byDot);
    expect(got).toHaveLength(12);
    expect(got.map((p) => [p.personA, p.personB].sort().join('|'))).toEqual(want.slice(0, 12).map((w) => w.key));
    got.forEach((p, i) => expect(p.dot).toBeCloseTo(want[i]!.dot, 3));
    for (const p of got) {
      expect(faces.get(p.faceA)!.person).toBe(p.personA);
      expect(faces.get(p.faceB)!.person).toBe(p.personB);
    }
    // More pairs asked than exist: every pair once.
    expect(index.closestPersonPairs((rw) => scorer.queryOfRow(rw), 1000, prepare, byDot)).toHaveLength((44 * 43) / 2);
  });

  test('a person whose faces are all removed is never returned; apply() checks the revision', () => {
    const r = rng(5);
    const index = new CollectionIndex('c', 1, dims);
    const a = row(template(r));
    expect(
      index.apply({
        collection: 'c',
        from: 1,
        to: 2,
        removedFaceIds: [],
        added: [
          { faceId: 'f1', personId: 'A', row: a },
          { faceId: 'f2', personId: 'B', row: row(template(r)) },
        ],
      }),
    ).toBe(true);
    expect(index.revision).toBe(2);
    expect(index.apply({ collection: 'c', from: 7, to: 8, removedFaceIds: ['f1'], added: [] })).toBe(false);
    expect(index.apply({ collection: 'c', from: 2, to: 3, removedFaceIds: ['f1'], added: [] })).toBe(true);
    expect(index.topPersons(a, 5).map((h) => h.personId)).toEqual(['B']);
    expect(index.personCount).toBe(1);
  });

  test('removed faces and the mean templates of removed persons are zeroed in memory, and no query is left behind', () => {
    const r = rng(21);
    for (const simd of [true, false]) {
      const index = new CollectionIndex('c', 1, dims);
      const memories = index as unknown as { mem: RowMemory; means: RowMemory };
      if (!simd) {
        // The plain-JS memory (used where WebAssembly SIMD is missing) copies on growth: check that path too.
        memories.mem = new RowMemory(320, 2, false);
        memories.means = new RowMemory(320, 2, false);
      }
      const gone = [row(template(r)), row(template(r)), row(template(r))];
      const kept = [row(template(r)), row(template(r))];
      index.addRows(['a1', 'k1', 'a2'], ['A', 'K', 'A'], Float32Array.from([...gone[0]!, ...kept[0]!, ...gone[1]!]));
      index.addRows(['b1', 'k2'], ['B', 'K'], Float32Array.from([...gone[2]!, ...kept[1]!]));
      const query = row(template(r));
      index.topPersons(query, 3);
      for (const id of ['a1', 'a2', 'b1']) index.remove(id);
      index.topPersons(query, 3);
      expect(index.topPersons(kept[0]!, 3).map((h) => h.personId)).toEqual(['K']);
      /** Whether the first 8 floats of `v` appear, in order, anywhere in the index's typed memory. */
      const lingers = (v: Float32Array) =>
        [memories.mem, memories.means].some((m) => {
          const all = new Float32Array(m.rows.buffer);
          for (let i = 0; i + 8 <= all.length; i++)
            if (all[i] === v[0] && v.subarray(0, 8).every((x, j) => all[i + j] === x)) return true;
          return false;
        });
      for (const v of gone) expect(lingers(v), `simd ${simd}`).toBe(false);
      expect(lingers(query), `simd ${simd}`).toBe(false);
      for (const v of kept) expect(lingers(v)).toBe(true);
      // Everything past the live rows is zero.
      expect(memories.mem.rows.subarray(index.size * 320).every((x) => x === 0)).toBe(true);
    }
  });

  test('fromBlocks loads packed search blocks', () => {
    const r = rng(9);
    const rows = [row(template(r)), row(template(r)), row(template(r))];
    const data = new Float32Array(960);
    rows.forEach((x, i) => data.set(x, i * 320));
    const index = CollectionIndex.fromBlocks('c', 4, dims, [
      { collection: 'c', blockId: 0, faceIds: ['a', 'b', 'c'], personIds: ['P', 'P', 'Q'], data },
    ]);
    expect(index.size).toBe(3);
    expect(index.personCount).toBe(2);
    expect(index.topPersons(rows[2]!, 1)[0]!.personId).toBe('Q');
  });
});
