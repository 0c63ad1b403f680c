import type { ChangeSet } from '../store/database';
import type { SearchBlockRecord } from '../store/schema';
import { RowMemory } from './dotKernel';
import { topK } from './topK';

export interface PersonHit {
  personId: string;
  /** The person's best-matching face (its stored image is the result's faceBase64). */
  faceId: string;
  /** Row · query (see FusedScorer). */
  dot: number;
  /** The search's score of the person (`dot` when the search gives no scoring function). */
  score: number;
}

/** The other persons of a search: how many, and the query's mean dot product with them. */
export interface Cohort {
  meanDot: number;
  size: number;
}

export type PersonHits = PersonHit[] & { cohort: Cohort };

/**
 * The sum of a scan's scores over its slots, taken before free slots are masked: their mean rows are zeroed, so they
 * add 0 (one tight pass; the scan before it is O(n·d)).
 */
function scanSum(scores: Float32Array, slots: number): number {
  let sum = 0;
  for (let i = 0; i < slots; i++) sum += scores[i]!;
  return sum;
}

/** The cohort of a scan of `persons` persons whose probe's own best dot product is `bestDot`: every other person. */
function cohortOf(sum: number, bestDot: number, persons: number): Cohort {
  const size = persons - 1;
  return { meanDot: size > 0 ? (sum - bestDot) / size : 0, size };
}

/**
 * How many of the scan's best persons a search rescores. The rescoring (FusedScorer.searchScore) moves a person's
 * score by its own crowding only, so the best person by score is among the best by dot product: on LFW, NUAA and
 * xdomain galleries the search results with 50 equal those of rescoring every person (BENCHMARKS.md).
 */
export const RESCORED_CANDIDATES = 50;

/**
 * The in-memory search index of one collection: every face's row (its per-model vectors concatenated) in one
 * contiguous Float32Array, scanned exactly for each query. Kept in step with writes through ChangeSets; tagged
 * with the collection revision it reflects, so a stale index is detected and reloaded.
 *
 * A person scores by its mean template (per model: the normalised mean of its faces' vectors), kept as one more
 * row per person and scanned the same way. Measured on LFW (BENCHMARKS.md, "1:N identification on LFW") against scoring by the best
 * face: higher rank-1 (99.4 vs 99.2 % with 3 photos per person) and far more probes identified at 0.7 (96.6 vs 90.7 %),
 * with strangers matched still ≤ 0.5 %. With one face per person both are the same.
 */
export class CollectionIndex {
  private readonly mem: RowMemory;
  private count = 0;
  private faceIds: string[] = [];
  private readonly rowOfFace = new Map<string, number>();
  // Person slots: small ints per person; slot i's mean template is row i of `means`, recomputed from the person's
  // face rows when they change (persons have few faces; no running sums to keep, which would double the memory).
  private readonly means: RowMemory;
  private readonly rowsOfSlot: number[][] = [];
  private slotOfRow = new Int32Array(0);
  private readonly slotOfPerson = new Map<string, number>();
  private readonly personOfSlot: string[] = [];
  private readonly freeSlots: number[] = [];

  /** `parts`: the dimension of each model's vector inside a row (each part is normalised separately). */
  constructor(
    readonly collection: string,
    public revision: number,
    readonly parts: readonly number[],
    initialRows = 0,
    initialPersons = initialRows,
  ) {
    this.dimension = parts.reduce((a, b) => a + b, 0);
    this.mem = new RowMemory(this.dimension, initialRows);
    this.means = new RowMemory(this.dimension, initialPersons);
    this.slotOfRow = new Int32Array(Math.max(initialRows, 256));
  }

  readonly dimension: number;

  static fromBlocks(
    collection: string,
    revision: number,
    parts: readonly number[],
    blocks: readonly SearchBlockRecord[],
  ): CollectionIndex {
    const total = blocks.reduce((n, b) => n + b.faceIds.length, 0);
    // One mean per person, not per face (persons with several faces would otherwise double the memory or more).
    const persons = new Set(blocks.flatMap((b) => b.personIds)).size;
    const index = new CollectionIndex(collection, revision, parts, total, persons);
    for (const b of blocks) index.addRows(b.faceIds, b.personIds, b.data, false);
    index.refreshAllMeans();
    return index;
  }

  /** Zeroes the templates and means this index holds; it is not used after this. */
  dispose(): void {
    this.mem.erase();
    this.means.erase();
  }

  get size(): number {
    return this.count;
  }

  get personCount(): number {
    return this.slotOfPerson.size;
  }

  /** Bytes of typed memory held (face rows, person mean rows and sums, scores, slots). */
  get memoryBytes(): number {
    return this.mem.byteLength + this.means.byteLength + this.slotOfRow.byteLength;
  }

  get simd(): boolean {
    return this.mem.simd;
  }

  /** Applies a committed write; false if the index is not at the change's base revision (then reload it). */
  apply(change: ChangeSet): boolean {
    if (change.from !== this.revision) return false;
    for (const id of change.removedFaceIds) this.remove(id);
    for (const a of change.added) this.addRows([a.faceId], [a.personId], a.row);
    this.revision = change.to;
    return true;
  }

  addRows(faceIds: readonly string[], personIds: readonly string[], data: Float32Array, refreshMeans = true): void {
    const n = faceIds.length,
      d = this.dimension;
    if (data.length !== n * d)
      throw new Error(`search block of ${n} faces has ${data.length} floats, expected ${n * d}`);
    this.ensureCapacity(this.count + n);
    this.mem.rows.set(data, this.count * d);
    for (let i = 0; i < n; i++) {
      const row = this.count + i;
      this.faceIds[row] = faceIds[i]!;
      this.rowOfFace.set(faceIds[i]!, row);
      const slot = this.acquireSlot(personIds[i]!);
      this.slotOfRow[row] = slot;
      this.rowsOfSlot[slot]!.push(row);
      if (refreshMeans) this.refreshMean(slot);
    }
    this.count += n;
  }

  remove(faceId: string): void {
    const row = this.rowOfFace.get(faceId);
    if (row === undefined) return;
    const d = this.dimension,
      slot = this.slotOfRow[row]!;
    const rows = this.rowsOfSlot[slot]!;
    rows.splice(rows.indexOf(row), 1);
    const last = this.count - 1;
    if (row !== last) {
      this.mem.rows.copyWithin(row * d, last * d, (last + 1) * d);
      const moved = this.faceIds[last]!;
      this.faceIds[row] = moved;
      this.rowOfFace.set(moved, row);
      const movedSlot = this.slotOfRow[last]!;
      this.slotOfRow[row] = movedSlot;
      const movedRows = this.rowsOfSlot[movedSlot]!;
      movedRows[movedRows.indexOf(last)] = row;
    }
    // A removed template must not linger in memory: zero the row that is no longer used.
    this.mem.rows.fill(0, last * d, (last + 1) * d);
    this.faceIds.length = last;
    this.rowOfFace.delete(faceId);
    this.count = last;
    if (rows.length === 0) this.releaseSlot(slot);
    else this.refreshMean(slot);
  }

  /**
   * The `k` best persons for `query`, best first, and the cohort: the mean dot product of the query with every other
   * person (all but the best by dot product), a sample of how this camera scores people who are not the probe. The
   * scan ranks every person's mean template by its dot product with `query`; with `score`, the scan's best max(k,
   * RESCORED_CANDIDATES) are scored by it (given the person's mean row and the cohort) and ranked by that score.
   */
  topPersons(query: Float32Array, k: number, score?: (meanRow: Float32Array, cohort: Cohort) => number): PersonHits {
    if (this.slotOfPerson.size === 0 || k <= 0) return Object.assign([], { cohort: { meanDot: 0, size: 0 } });
    const slots = this.personOfSlot.length;
    const dots = this.means.scan(query, slots);
    const sum = scanSum(dots, slots);
    for (const free of this.freeSlots) dots[free] = -Infinity;
    const best = topK(dots, score ? Math.max(k, RESCORED_CANDIDATES) : k);
    const cohort = cohortOf(sum, dots[best[0]!]!, this.slotOfPerson.size);
    const candidates = best.map((slot) => ({
      slot,
      dot: dots[slot]!,
      score: score ? score(this.meanRow(slot), cohort) : dots[slot]!,
    }));
    if (score) candidates.sort((a, b) => b.score - a.score || b.dot - a.dot);
    const hits = candidates.slice(0, k).map(({ slot, dot, score }) => ({
      personId: this.personOfSlot[slot]!,
      faceId: this.bestFace(slot, query),
      dot,
      score,
    }));
    return Object.assign(hits, { cohort });
  }

  /**
   * The `maxPairs` pairs of different persons whose mean templates score highest against each other, best first.
   * `scaled(row)` turns a stored row into a query (FusedScorer.queryOfRow); `score(a, b, cohort)` scores person b for
   * a search by a's `prepare`d mean row whose cohort is every other person (each row is prepared once); a pair's
   * score is the higher of its two sides'. Each person's scan ranks the others by dot product and scores its best
   * max(maxPairs, RESCORED_CANDIDATES), as a search by that person's template would: O(persons²) dot products.
   */
  closestPersonPairs<T>(
    scaled: (row: Float32Array) => Float32Array,
    maxPairs: number,
    prepare: (row: Float32Array) => T,
    score: (a: T, b: T, cohort: Cohort) => number,
  ): { personA: string; faceA: string; personB: string; faceB: string; dot: number; score: number }[] {
    const slots = this.personOfSlot.length;
    const free = new Set(this.freeSlots);
    const prepared = new Map<number, T>();
    const preparedOf = (slot: number) => {
      let p = prepared.get(slot);
      if (p === undefined) prepared.set(slot, (p = prepare(this.meanRow(slot))));
      return p;
    };
    const found = new Map<string, { a: number; b: number; dot: number; score: number }>();
    for (let a = 0; a < slots; a++) {
      if (free.has(a)) continue;
      const dots = this.means.scan(scaled(this.meanRow(a)), slots);
      // As a search by a's own template would see it: a is the best match, every other person the cohort.
      const cohort = cohortOf(scanSum(dots, slots), dots[a]!, this.slotOfPerson.size);
      for (const f of free) dots[f] = -Infinity;
      dots[a] = -Infinity;
      for (const b of topK(dots, Math.max(maxPairs, RESCORED_CANDIDATES))) {
        const key = a < b ? `${a},${b}` : `${b},${a}`;
        const s = score(preparedOf(a), preparedOf(b), cohort);
        const prev = found.get(key);
        if (!prev || s > prev.score) found.set(key, { a: Math.min(a, b), b: Math.max(a, b), dot: dots[b]!, score: s });
      }
    }
    return [...found.values()]
      .sort((x, y) => y.score - x.score || x.a - y.a || x.b - y.b)
      .slice(0, maxPairs)
      .map(({ a, b, dot, score }) => ({
        personA: this.personOfSlot[a]!,
        faceA: this.faceIds[this.rowsOfSlot[a]![0]!]!,
        personB: this.personOfSlot[b]!,
        faceB: this.faceIds[this.rowsOfSlot[b]![0]!]!,
        dot,
        score,
      }));
  }

  /** The mean row of a person slot (a view into the index's memory: read it before the index changes). */
  private meanRow(slot: number): Float32Array {
    const d = this.dimension;
    return this.means.rows.subarray(slot * d, (slot + 1) * d);
  }

  /** The person's face closest to the query (its stored image is the one a search result shows). */
  private bestFace(slot: number, query: Float32Array): string {
    const d = this.dimension,
      rows = this.mem.rows;
    let best = -Infinity,
      bestRow = -1;
    for (const r of this.rowsOfSlot[slot]!) {
      let s = 0;
      for (let j = 0; j < d; j++) s += rows[r * d + j]! * query[j]!;
      if (s > best) {
        best = s;
        bestRow = r;
      }
    }
    return this.faceIds[bestRow]!;
  }

  private refreshAllMeans(): void {
    for (const slot of this.slotOfPerson.values()) this.refreshMean(slot);
  }

  /** Mean row of `slot`: each model's part of the sum of its face rows, L2-normalised. */
  private refreshMean(slot: number): void {
    const d = this.dimension,
      rows = this.rowsOfSlot[slot]!;
    const mean = this.means.rows.subarray(slot * d, (slot + 1) * d);
    if (rows.length === 1) {
      // One face: its row already is unit length per model.
      mean.set(this.mem.rows.subarray(rows[0]! * d, (rows[0]! + 1) * d));
      return;
    }
    const sum = new Float64Array(d);
    for (const r of rows) for (let j = 0; j < d; j++) sum[j]! += this.mem.rows[r * d + j]!;
    let o = 0;
    for (const dim of this.parts) {
      let norm = 0;
      for (let j = o; j < o + dim; j++) norm += sum[j]! * sum[j]!;
      const inv = norm > 0 ? 1 / Math.sqrt(norm) : 0;
      for (let j = o; j < o + dim; j++) mean[j] = sum[j]! * inv;
      o += dim;
    }
  }

  private ensureCapacity(n: number): void {
    this.mem.ensureCapacity(n);
    if (n > this.slotOfRow.length) {
      const grown = new Int32Array(Math.max(n, this.slotOfRow.length * 2));
      grown.set(this.slotOfRow);
      this.slotOfRow = grown;
    }
  }

  private acquireSlot(personId: string): number {
    let slot = this.slotOfPerson.get(personId);
    if (slot === undefined) {
      slot = this.freeSlots.pop() ?? this.personOfSlot.length;
      this.slotOfPerson.set(personId, slot);
      this.personOfSlot[slot] = personId;
      this.rowsOfSlot[slot] = [];
      this.means.ensureCapacity(slot + 1);
    }
    return slot;
  }

  private releaseSlot(slot: number): void {
    this.slotOfPerson.delete(this.personOfSlot[slot]!);
    // A free slot keeps its place in the arrays; topPersons skips it. Its mean template (derived from the
    // removed faces) and person id are cleared.
    const d = this.dimension;
    this.means.rows.fill(0, slot * d, (slot + 1) * d);
    this.personOfSlot[slot] = '';
    this.freeSlots.push(slot);
  }
}
