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
  ) {
    this.dimension = parts.reduce((a, b) => a + b, 0);
    this.mem = new RowMemory(this.dimension, initialRows);
    this.means = new RowMemory(this.dimension, initialRows);
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
    const index = new CollectionIndex(collection, revision, parts, total);
    for (const b of blocks) index.addRows(b.faceIds, b.personIds, b.data, false);
    index.refreshAllMeans();
    return index;
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
   * The `k` persons whose mean template has the highest dot product with `query`, best first, and the cohort: the
   * mean dot product of the query with every other person (all but the best), a sample of how this camera scores
   * people who are not the probe.
   */
  topPersons(query: Float32Array, k: number): PersonHits {
    if (this.slotOfPerson.size === 0 || k <= 0) return Object.assign([], { cohort: { meanDot: 0, size: 0 } });
    const slots = this.personOfSlot.length;
    const scores = this.means.scan(query, slots);
    const sum = scanSum(scores, slots);
    for (const free of this.freeSlots) scores[free] = -Infinity;
    const top = topK(scores, k);
    const hits = top.map((slot) => ({
      personId: this.personOfSlot[slot]!,
      faceId: this.bestFace(slot, query),
      dot: scores[slot]!,
    }));
    return Object.assign(hits, { cohort: cohortOf(sum, scores[top[0]!]!, this.slotOfPerson.size) });
  }

  /**
   * The `maxPairs` pairs of different persons whose mean templates score highest against each other, best first.
   * `scaled(row)` turns a stored row into a query (FusedScorer.queryOfRow); `adjust(cohort)` gives the score of a dot
   * product in a search with that cohort (a pair's score is the higher of its two sides'). Every person is scanned
   * against every person: O(persons²) dot products, one scan per person.
   */
  closestPersonPairs(
    scaled: (row: Float32Array) => Float32Array,
    maxPairs: number,
    adjust: (cohort: Cohort) => (dot: number) => number = () => (dot) => dot,
  ): { personA: string; faceA: string; personB: string; faceB: string; dot: number; score: number }[] {
    const slots = this.personOfSlot.length,
      d = this.dimension;
    const free = new Set(this.freeSlots);
    const found = new Map<string, { a: number; b: number; dot: number; score: number }>();
    for (let a = 0; a < slots; a++) {
      if (free.has(a)) continue;
      const scores = this.means.scan(scaled(this.means.rows.subarray(a * d, (a + 1) * d)), slots);
      // As a search by a's own face would see it: a is the best match, every other person the cohort.
      const toScore = adjust(cohortOf(scanSum(scores, slots), scores[a]!, this.slotOfPerson.size));
      for (const f of free) scores[f] = -Infinity;
      scores[a] = -Infinity;
      // Within a's scan the adjustment is one constant, so a's best pairs by score are its best by dot; a pair among
      // the best `maxPairs` overall (by the higher of its two sides' scores) is among the best of that side.
      for (const b of topK(scores, maxPairs)) {
        const key = a < b ? `${a},${b}` : `${b},${a}`;
        const score = toScore(scores[b]!);
        const prev = found.get(key);
        if (!prev || score > prev.score)
          found.set(key, { a: Math.min(a, b), b: Math.max(a, b), dot: scores[b]!, score });
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
