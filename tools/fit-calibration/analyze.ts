/// <reference types="node" />
/**
 * LFW verification analysis of an embeddings dump (tools/fit-calibration/embed-lfw.mjs) — accuracy, AUC, TMR at FMR, score
 * fusions and the calibration table.
 *
 * RUN (Node 20 has no --experimental-strip-types, and tsx / vite-node are not installed, so bundle it with the
 * rolldown that ships with Vite 8, then run the bundle):
 *
 *   npx rolldown tools/fit-calibration/analyze.ts --platform node --file tools/out/analyze.mjs \
 *     && node tools/out/analyze.mjs tools/out/lfw-embeddings.json [options]
 *
 * Runtime: ≈ 9 s on the synthetic 3,811-image dump (3 pipelines, 128/512/512-d, 7.26 M cross-person pairs;
 * 2 shared vCPUs under load): ≈ 2 s of dot products per 512-d pipeline, ≈ 0.2–0.4 s per table row, ≈ 2–3 s for
 * --calibrate. Memory ≈ 30 MB per pipeline for the cross-person scores.
 * Synthetic test dump: node tools/out/analyze.mjs --make-synthetic /tmp/lfw-synth/dump.json
 *
 * Options:
 *   --pairs FILE           LFW pairs file (default ../shared/data/lfw/pairs_subset.txt, relative to the cwd)
 *   --calibrate NAME       pipeline or fusion (names joined by '+', as in the table) to calibrate: prints the
 *                          held-out check (table built on identities A–M, tested on N–Z, and the reverse)
 *   --calibration OUT.json with --calibrate: writes the MatcherConfig ({ models, table }, see
 *                          src/face/similarity/matcher.ts) built from ALL cross-person impostor pairs
 *   --weights w1,w2,...    fusion weights for --calibrate, in the order of NAME's parts (default equal)
 *   --no-grid              skip the cross-validated fusion weight grid
 *   --make-synthetic OUT.json   instead of analysing: write a synthetic dump for the images of --pairs
 *
 * What is measured:
 * - Images: every image in the dump or in the pairs file. An image without a vector (null / absent) has "no face":
 *   every pair containing it scores −Infinity, i.e. is a non-match at any threshold.
 * - accuracy: LFW protocol on the pairs file's folds; each fold's threshold is the most accurate one on the OTHER
 *   folds (tools/metrics/verification.ts foldAccuracy); mean ± sample std over the folds.
 * - AUC: on all pairs of the pairs file (same-person pairs vs different-person pairs).
 * - TMR@FMR: genuine = the pairs file's same-person pairs; FMR measured over ALL cross-person pairs among the
 *   images that have an embedding in every model of the row (≈ 7.2 M pairs for the 3,811-image subset);
 *   accept iff score > threshold, threshold = thresholdAtFmr (achieved FMR ≤ target).
 * - Fusion: z-normalise each model's cosine with the mean/std of its cross-person impostor scores (uses only the
 *   "different person" labels of all images, no fold structure), then average. The table's metrics are for EQUAL
 *   weights; the column "acc. CV weights" picks the weights from a grid (steps of 0.1, each ≥ 0.1, plus exactly
 *   equal, which wins ties) on the other folds only, per fold; "best grid w (all folds)" is the grid weight that is
 *   most accurate on all pairs, for information only (not a held-out number).
 * - Calibration: buildCalibrationTable on the calibrated pipeline's score as src/face/similarity/matcher.ts computes it
 *   (Σ wₘ·(cosₘ − meanₘ)/stdₘ, weights summing to 1 — also for a single model). Held-out check: the table is built
 *   on cross-person pairs whose two identities both start with A–M and evaluated on pairs whose two identities
 *   both start with N–Z (and the reverse); the printed FMR at calibrated score ≥ 0.7 should be ≈ 0.1 %.
 */
import { existsSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import {
  auc,
  bestThresholdAccuracy,
  foldAccuracy,
  meanStd,
  scoreStats,
  thresholdAtFmr,
  tmrAtFmr,
  type FoldPair,
} from '../metrics/verification';
import { createCalibrator, type CalibrationTable } from '../../src/face/similarity/calibration';
import { buildCalibrationTable } from './fit';
import { seededRandom as mulberry32 } from '../../test/support/seededRandom';

// ---------------------------------------------------------------------------------------------------------------
// Input

interface DumpPipeline {
  id?: string;
  dimension: number;
  vectors: Record<string, number[] | null>;
}
interface Dump {
  pipelines: Record<string, DumpPipeline>;
}

interface PairRow {
  fold: number;
  a: string;
  b: string;
  same: boolean;
}

const imageName = (person: string, index: string | number) =>
  `${person}/${person}_${String(index).padStart(4, '0')}.jpg`;

/** Parses an LFW pairs file: header `folds n`, then per fold n same-person lines and n different-person lines. */
function parsePairs(text: string): PairRow[] {
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.length > 0);
  const header = lines[0]?.split(/\s+/).map(Number) ?? [];
  const [folds, n] = header;
  if (header.length !== 2 || !Number.isInteger(folds) || !Number.isInteger(n)) {
    throw new Error(`pairs file: expected a header "folds n", got "${lines[0]}"`);
  }
  const rows: PairRow[] = [];
  for (let k = 1; k < lines.length; k++) {
    const f = lines[k]!.split(/\s+/);
    const fold = Math.floor((k - 1) / (2 * n!));
    const same = (k - 1) % (2 * n!) < n!;
    if (same && f.length === 3) rows.push({ fold, a: imageName(f[0]!, f[1]!), b: imageName(f[0]!, f[2]!), same });
    else if (!same && f.length === 4) rows.push({ fold, a: imageName(f[0]!, f[1]!), b: imageName(f[2]!, f[3]!), same });
    else
      throw new Error(
        `pairs file line ${k + 1}: expected a ${same ? 'same' : 'different'}-person line, got "${lines[k]}"`,
      );
  }
  if (rows.length !== folds! * 2 * n!)
    throw new Error(`pairs file: expected ${folds! * 2 * n!} pairs, got ${rows.length}`);
  return rows;
}

// ---------------------------------------------------------------------------------------------------------------
// Vectors and scores

interface Pipeline {
  name: string;
  id: string;
  dim: number;
  /** N × dim, L2-normalised rows; zeros for images without a face. */
  vecs: Float32Array;
  present: Uint8Array;
  missing: number;
  /** Cosine of each pairs-file pair (−Infinity if an image has no face), rounded to float32 like `impostors`. */
  pairScores: Float64Array;
  /** Cosine of every cross-person pair (row-major i < j order), −Infinity where an image has no face. */
  impostors: Float32Array;
  mean: number;
  std: number;
}

function loadPipeline(name: string, p: DumpPipeline, images: string[]): Pipeline {
  const dim = p.dimension;
  const n = images.length;
  const vecs = new Float32Array(n * dim);
  const present = new Uint8Array(n);
  let missing = 0;
  for (let i = 0; i < n; i++) {
    const v = p.vectors[images[i]!];
    if (v == null) {
      missing++;
      continue;
    }
    if (v.length !== dim) throw new Error(`${name}: ${images[i]} has ${v.length} values, dimension is ${dim}`);
    let ss = 0;
    for (const x of v) ss += x * x;
    const norm = Math.sqrt(ss);
    if (!(norm > 0) || !Number.isFinite(norm)) {
      console.error(`warning: ${name}: ${images[i]} has a zero or non-finite vector; counted as no face`);
      missing++;
      continue;
    }
    for (let d = 0; d < dim; d++) vecs[i * dim + d] = v[d]! / norm;
    present[i] = 1;
  }
  return {
    name,
    id: p.id ?? name,
    dim,
    vecs,
    present,
    missing,
    pairScores: new Float64Array(0),
    impostors: new Float32Array(0),
    mean: NaN,
    std: NaN,
  };
}

function dot(v: Float32Array, a: number, b: number, dim: number): number {
  let s0 = 0,
    s1 = 0,
    s2 = 0,
    s3 = 0;
  let d = 0;
  for (; d + 3 < dim; d += 4) {
    s0 += v[a + d]! * v[b + d]!;
    s1 += v[a + d + 1]! * v[b + d + 1]!;
    s2 += v[a + d + 2]! * v[b + d + 2]!;
    s3 += v[a + d + 3]! * v[b + d + 3]!;
  }
  for (; d < dim; d++) s0 += v[a + d]! * v[b + d]!;
  return s0 + s1 + s2 + s3;
}

/** Cross-person pair layout, shared by all pipelines: row-major over i < j with different identities. */
interface Layout {
  n: number;
  ident: Int32Array;
  /** Per image: 0 = identity name starts with A–M, 1 = N–Z. */
  half: Uint8Array;
  count: number;
  /** Per cross-person pair: 0 = both A–M, 1 = both N–Z, 2 = one of each. */
  group: Uint8Array;
}

function makeLayout(images: string[]): Layout {
  const n = images.length;
  const ids = new Map<string, number>();
  const ident = new Int32Array(n);
  const half = new Uint8Array(n);
  images.forEach((img, i) => {
    const person = img.split('/')[0]!;
    if (!ids.has(person)) ids.set(person, ids.size);
    ident[i] = ids.get(person)!;
    half[i] = person.charAt(0).toUpperCase() <= 'M' ? 0 : 1;
  });
  let count = 0;
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) if (ident[i] !== ident[j]) count++;
  const group = new Uint8Array(count);
  let p = 0;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      if (ident[i] === ident[j]) continue;
      group[p++] = half[i] === half[j] ? half[i]! : 2;
    }
  }
  return { n, ident, half, count, group };
}

/**
 * Dot products of rows i0..i0+3 with rows j0..j0+3 of `v` (a 4 × 4 register tile: 8 loads per 16 multiply-adds),
 * stored at buf[(i − rowBase)·stride + j].
 */
function tile4x4(
  v: Float32Array,
  dim: number,
  i0: number,
  j0: number,
  buf: Float32Array,
  rowBase: number,
  stride: number,
): void {
  const a0 = i0 * dim,
    a1 = a0 + dim,
    a2 = a1 + dim,
    a3 = a2 + dim;
  const b0 = j0 * dim,
    b1 = b0 + dim,
    b2 = b1 + dim,
    b3 = b2 + dim;
  let s00 = 0,
    s01 = 0,
    s02 = 0,
    s03 = 0,
    s10 = 0,
    s11 = 0,
    s12 = 0,
    s13 = 0;
  let s20 = 0,
    s21 = 0,
    s22 = 0,
    s23 = 0,
    s30 = 0,
    s31 = 0,
    s32 = 0,
    s33 = 0;
  for (let d = 0; d < dim; d++) {
    const x0 = v[a0 + d]!,
      x1 = v[a1 + d]!,
      x2 = v[a2 + d]!,
      x3 = v[a3 + d]!;
    const c0 = v[b0 + d]!,
      c1 = v[b1 + d]!,
      c2 = v[b2 + d]!,
      c3 = v[b3 + d]!;
    s00 += x0 * c0;
    s01 += x0 * c1;
    s02 += x0 * c2;
    s03 += x0 * c3;
    s10 += x1 * c0;
    s11 += x1 * c1;
    s12 += x1 * c2;
    s13 += x1 * c3;
    s20 += x2 * c0;
    s21 += x2 * c1;
    s22 += x2 * c2;
    s23 += x2 * c3;
    s30 += x3 * c0;
    s31 += x3 * c1;
    s32 += x3 * c2;
    s33 += x3 * c3;
  }
  let o = (i0 - rowBase) * stride + j0;
  buf[o] = s00;
  buf[o + 1] = s01;
  buf[o + 2] = s02;
  buf[o + 3] = s03;
  o += stride;
  buf[o] = s10;
  buf[o + 1] = s11;
  buf[o + 2] = s12;
  buf[o + 3] = s13;
  o += stride;
  buf[o] = s20;
  buf[o + 1] = s21;
  buf[o + 2] = s22;
  buf[o + 3] = s23;
  o += stride;
  buf[o] = s30;
  buf[o + 1] = s31;
  buf[o + 2] = s32;
  buf[o + 3] = s33;
}

/**
 * Cosines of all cross-person pairs (vectors are unit length; an image without a face has a zero row, masked to
 * −Infinity). Blocked: a block of RB rows against column blocks of CB rows (both fit in cache), each computed in
 * 4 × 4 register tiles; results are emitted row-major.
 */
function crossScores(pl: Pipeline, layout: Layout): Float32Array {
  const { n, ident } = layout;
  const { vecs, dim, present } = pl;
  const out = new Float32Array(layout.count);
  const RB = 32,
    CB = 128; // multiples of 4
  const buf = new Float32Array(RB * n);
  let p = 0;
  for (let i0 = 0; i0 < n; i0 += RB) {
    const i1 = Math.min(n, i0 + RB);
    for (let j0 = i0; j0 < n; j0 += CB) {
      const j1 = Math.min(n, j0 + CB);
      let i = i0;
      for (; i + 3 < i1; i += 4) {
        // Tiles wholly on or below the diagonal (all j ≤ i) are not needed.
        let j = j0;
        while (j + 3 < i + 1) j += 4;
        for (; j + 3 < j1; j += 4) tile4x4(vecs, dim, i, j, buf, i0, n);
        for (; j < j1; j++) for (let r = i; r < i + 4; r++) buf[(r - i0) * n + j] = dot(vecs, r * dim, j * dim, dim);
      }
      for (; i < i1; i++)
        for (let j = Math.max(j0, i + 1); j < j1; j++) buf[(i - i0) * n + j] = dot(vecs, i * dim, j * dim, dim);
    }
    for (let i = i0; i < i1; i++) {
      const row = (i - i0) * n;
      for (let j = i + 1; j < n; j++) {
        if (ident[i] === ident[j]) continue;
        out[p++] = present[i] && present[j] ? buf[row + j]! : -Infinity;
      }
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Combinations (single pipelines and fusions)

interface Combo {
  name: string;
  members: Pipeline[];
}

function subsets<T>(items: T[]): T[][] {
  const out: T[][] = [];
  for (let mask = 1; mask < 1 << items.length; mask++) out.push(items.filter((_, i) => mask & (1 << i)));
  return out.sort((a, b) => a.length - b.length);
}

function normWeights(members: Pipeline[], weights?: number[]): number[] {
  const w = weights ?? members.map(() => 1);
  if (w.length !== members.length) throw new Error(`need ${members.length} weights, got ${w.length}`);
  const s = w.reduce((a, b) => a + b, 0);
  if (!(s > 0) || w.some((x) => !(x >= 0))) throw new Error('weights must be ≥ 0 and not all 0');
  return w.map((x) => x / s);
}

/**
 * Pair-file scores of a combo: a single pipeline's raw cosine (z = false) or the fused score
 * Σ wₘ (cosₘ − meanₘ)/stdₘ with normalised weights. −Infinity if any model has no face.
 */
function comboPairScores(members: Pipeline[], w: number[], z: boolean): Float64Array {
  const n = members[0]!.pairScores.length;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let k = 0; k < members.length; k++) {
      const m = members[k]!;
      const x = m.pairScores[i]!;
      if (x === -Infinity) {
        s = -Infinity;
        break;
      }
      s += z ? (w[k]! * (x - m.mean)) / m.std : w[k]! * x;
    }
    out[i] = Math.fround(s);
  }
  return out;
}

/**
 * All cross-person scores of a combo (same formula as comboPairScores), written into `out`.
 * compact = true: only the finite ones (pairs whose images all have a face), returns that prefix of `out`;
 * compact = false: full layout order, −Infinity for pairs with a missing face.
 */
function comboImpostors(
  members: Pipeline[],
  w: number[],
  z: boolean,
  out: Float32Array,
  compact: boolean,
): Float32Array {
  const P = members[0]!.impostors.length;
  if (members.length === 1 && !z) {
    const src = members[0]!.impostors;
    if (!compact) return src;
    let q = 0;
    for (let i = 0; i < P; i++) {
      const x = src[i]!;
      if (x !== -Infinity) out[q++] = x;
    }
    return out.subarray(0, q);
  }
  const a = members.map((m, k) => w[k]! / (z ? m.std : 1));
  const b = members.map((m) => (z ? m.mean : 0));
  let q = 0;
  for (let i = 0; i < P; i++) {
    let s = 0;
    for (let k = 0; k < members.length; k++) {
      const x = members[k]!.impostors[i]!;
      if (x === -Infinity) {
        s = -Infinity;
        break;
      }
      s += a[k]! * (x - b[k]!);
    }
    if (compact) {
      if (s !== -Infinity) out[q++] = s;
    } else out[q++] = s;
  }
  return out.subarray(0, q);
}

/** Weight grid: compositions of 10 into m positive parts (steps of 0.1), exactly-equal weights first. */
function weightGrid(m: number): number[][] {
  const grid: number[][] = [members1(m)];
  if (m > 5) return grid;
  const rec = (prefix: number[], left: number, slots: number) => {
    if (slots === 1) {
      grid.push([...prefix, left].map((x) => x / 10));
      return;
    }
    for (let x = 1; x <= left - (slots - 1); x++) rec([...prefix, x], left - x, slots - 1);
  };
  rec([], 10, m);
  return grid;
}
function members1(m: number): number[] {
  return new Array<number>(m).fill(1 / m);
}

function toFoldPairs(rows: PairRow[], scores: Float64Array): FoldPair[] {
  return rows.map((r, i) => ({ fold: r.fold, same: r.same, score: scores[i]! }));
}

/** Per fold: weights and threshold chosen on the other folds; returns per-fold accuracy and chosen weights. */
function cvWeights(
  rows: PairRow[],
  members: Pipeline[],
): { mean: number; std: number; chosen: number[][]; bestAll: number[] } {
  const grid = weightGrid(members.length);
  const scored = grid.map((w) => toFoldPairs(rows, comboPairScores(members, w, true)));
  const folds = [...new Set(rows.map((r) => r.fold))].sort((a, b) => a - b);
  const accs: number[] = [];
  const chosen: number[][] = [];
  for (const fold of folds) {
    let best = -1,
      bestG = 0,
      bestT = 0;
    scored.forEach((pairs, g) => {
      const r = bestThresholdAccuracy(pairs.filter((p) => p.fold !== fold));
      if (r.accuracy > best) {
        best = r.accuracy;
        bestG = g;
        bestT = r.threshold;
      }
    });
    const test = scored[bestG]!.filter((p) => p.fold === fold);
    accs.push(test.filter((p) => p.score > bestT === p.same).length / test.length);
    chosen.push(grid[bestG]!);
  }
  let bestAll = 0,
    bestAllAcc = -1;
  scored.forEach((pairs, g) => {
    const a = bestThresholdAccuracy(pairs).accuracy;
    if (a > bestAllAcc) {
      bestAllAcc = a;
      bestAll = g;
    }
  });
  return { ...meanStd(accs), chosen, bestAll: grid[bestAll]! };
}

// ---------------------------------------------------------------------------------------------------------------
// Synthetic dump

/**
 * Synthetic embeddings: per pipeline and identity a random unit centre; an image's vector is the centre plus
 * Gaussian noise whose size grows with a per-image "difficulty" shared by all pipelines (so their errors are
 * correlated, as with real hard images). Some images have no face (null) in every pipeline, as with one detector.
 */
function makeSynthetic(images: string[], seed = 1): Dump {
  const r = mulberry32(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
  const difficulty = images.map(() => Math.abs(gauss()));
  const noFace = images.map(() => r() < 0.01);
  const specs = [
    { name: 'synA', id: 'syn-a@1', dim: 128, sigma: 0.9 },
    { name: 'synB', id: 'syn-b@1', dim: 512, sigma: 1.5 },
    { name: 'synC', id: 'syn-c@1', dim: 512, sigma: 1.8 },
  ];
  const pipelines: Record<string, DumpPipeline> = {};
  for (const s of specs) {
    const centres = new Map<string, Float64Array>();
    const vectors: Record<string, number[] | null> = {};
    images.forEach((img, i) => {
      const person = img.split('/')[0]!;
      let c = centres.get(person);
      if (!c) {
        c = Float64Array.from({ length: s.dim }, gauss);
        const nc = Math.hypot(...c);
        for (let d = 0; d < s.dim; d++) c[d]! /= nc;
        centres.set(person, c);
      }
      const scale = (s.sigma * (0.5 + 0.7 * difficulty[i]!)) / Math.sqrt(s.dim);
      const v = Array.from(c, (x) => x + scale * gauss());
      const nv = Math.hypot(...v);
      vectors[img] = noFace[i] ? null : v.map((x) => Math.round((x / nv) * 1e6) / 1e6);
    });
    pipelines[s.name] = { id: s.id, dimension: s.dim, vectors };
  }
  return { pipelines };
}

// ---------------------------------------------------------------------------------------------------------------
// Main

const pct = (x: number, digits = 2) => `${(100 * x).toFixed(digits)} %`;
const fmtW = (w: number[]) => w.map((x) => x.toFixed(2)).join('/');

function parseArgs(argv: string[]) {
  const opts: Record<string, string | true> = {};
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--no-grid') opts['no-grid'] = true;
    else if (a.startsWith('--')) {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      opts[a.slice(2)] = v;
    } else positional.push(a);
  }
  const str = (k: string) => (typeof opts[k] === 'string' ? (opts[k] as string) : undefined);
  return {
    input: positional[0],
    pairs: str('pairs') ?? '../shared/data/lfw/pairs_subset.txt',
    calibrate: str('calibrate'),
    calibration: str('calibration'),
    weights: str('weights')?.split(',').map(Number),
    grid: !opts['no-grid'],
    makeSynthetic: str('make-synthetic'),
  };
}

function main(): void {
  const args = parseArgs(process.argv.slice(2));
  const t0 = performance.now();
  const lap = (what: string) => console.error(`[${((performance.now() - t0) / 1000).toFixed(1)} s] ${what}`);
  const rows = parsePairs(readFileSync(args.pairs, 'utf8'));
  const pairImages = [...new Set(rows.flatMap((r) => [r.a, r.b]))].sort();

  if (args.makeSynthetic) {
    mkdirSync(dirname(args.makeSynthetic), { recursive: true });
    writeFileSync(args.makeSynthetic, JSON.stringify(makeSynthetic(pairImages)));
    lap(`wrote a synthetic dump of ${pairImages.length} images to ${args.makeSynthetic}`);
    return;
  }
  if (!args.input)
    throw new Error(
      'usage: node tools/out/analyze.mjs DUMP.json [--pairs FILE] [--calibrate NAME [--calibration OUT.json]]',
    );
  if (args.calibration && !args.calibrate) throw new Error('--calibration needs --calibrate NAME');

  const dump = JSON.parse(readFileSync(args.input, 'utf8')) as Dump;
  const names = Object.keys(dump.pipelines);
  if (names.length === 0) throw new Error('the dump has no pipelines');
  if (args.calibrate) {
    const possible = subsets(names).map((m) => m.join('+'));
    if (!possible.includes(args.calibrate))
      throw new Error(`--calibrate ${args.calibrate}: no such pipeline or fusion; have ${possible.join(', ')}`);
  }
  const imageSet = new Set(pairImages);
  for (const name of names) for (const img of Object.keys(dump.pipelines[name]!.vectors)) imageSet.add(img);
  const images = [...imageSet].sort();
  const index = new Map(images.map((img, i) => [img, i]));
  lap(`${images.length} images (${pairImages.length} in the pairs file), pipelines: ${names.join(', ')}`);

  const layout = makeLayout(images);
  lap(`${layout.count} cross-person pairs`);

  const pipelines = names.flatMap((name) => {
    const pl = loadPipeline(name, dump.pipelines[name]!, images);
    if (images.length - pl.missing < 2) {
      console.error(`warning: ${name}: fewer than 2 images with a face, skipped`);
      return [];
    }
    pl.pairScores = Float64Array.from(rows, (r) => {
      const a = index.get(r.a)!,
        b = index.get(r.b)!;
      return pl.present[a] && pl.present[b] ? Math.fround(dot(pl.vecs, a * pl.dim, b * pl.dim, pl.dim)) : -Infinity;
    });
    pl.impostors = crossScores(pl, layout);
    const st = scoreStats(pl.impostors);
    pl.mean = st.mean;
    pl.std = st.std;
    lap(
      `${name}: dim ${pl.dim}, ${pl.missing} without face, impostor cosine mean ${st.mean.toFixed(4)} std ${st.std.toFixed(4)}`,
    );
    return [pl];
  });
  if (pipelines.length === 0) throw new Error('no usable pipeline');

  const combos: Combo[] = subsets(pipelines).map((members) => ({
    name: members.map((m) => m.name).join('+'),
    members,
  }));
  const scratch = new Float32Array(layout.count);
  const genuineIdx = rows.flatMap((r, i) => (r.same ? [i] : []));
  const impostorIdx = rows.flatMap((r, i) => (r.same ? [] : [i]));
  const folds = new Set(rows.map((r) => r.fold)).size;

  const table: string[] = [];
  table.push(
    `| pipeline | no face | accuracy (${folds}-fold) | acc. CV weights | best grid w (all folds) | AUC | TMR @ FMR 0.1 % | TMR @ FMR 1 % | threshold @ FMR 0.1 % | impostor pairs |`,
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  );
  for (const combo of combos) {
    const { members } = combo;
    const fused = members.length > 1;
    const w = normWeights(members);
    const pairScores = comboPairScores(members, w, fused);
    const acc = foldAccuracy(toFoldPairs(rows, pairScores));
    const genuine = genuineIdx.map((i) => pairScores[i]!);
    const impostorPairs = impostorIdx.map((i) => pairScores[i]!);
    const imp = comboImpostors(members, w, fused, scratch, true);
    let noFace = 0;
    for (let i = 0; i < layout.n; i++) if (members.some((m) => !m.present[i])) noFace++;
    let cv = '—',
      bestW = '—';
    if (fused && args.grid) {
      const r = cvWeights(rows, members);
      cv = `${pct(r.mean)} ± ${pct(r.std)}`;
      bestW = fmtW(r.bestAll);
    }
    table.push(
      `| ${combo.name} | ${noFace} | ${pct(acc.mean)} ± ${pct(acc.std)} | ${cv} | ${bestW} | ${auc(genuine, impostorPairs).toFixed(4)} | ` +
        `${pct(tmrAtFmr(genuine, imp, 1e-3))} | ${pct(tmrAtFmr(genuine, imp, 1e-2))} | ${thresholdAtFmr(imp, 1e-3).toFixed(4)} | ${imp.length} |`,
    );
    lap(combo.name);
  }
  console.log(
    `## LFW verification (${rows.length} pairs, ${folds} folds; ${images.length} images, ${layout.count} cross-person pairs)\n`,
  );
  console.log(table.join('\n'));
  console.log(
    '\nFusions: z-normalised cosines (impostor mean/std), EQUAL weights in every column except "acc. CV weights" ' +
      '(weights from a 0.1-step grid chosen on the other folds). Thresholds of fusions are in z units, of single ' +
      'pipelines in cosine. Accept iff score > threshold; a pair with a no-face image is a non-match.',
  );

  if (args.calibrate) calibrationReport(args, combos, rows, layout, scratch);
  lap('done');
}

function calibrationReport(
  args: ReturnType<typeof parseArgs>,
  combos: Combo[],
  rows: PairRow[],
  layout: Layout,
  scratch: Float32Array,
): void {
  const combo = combos.find((c) => c.name === args.calibrate);
  if (!combo)
    throw new Error(
      `--calibrate ${args.calibrate}: no such pipeline or fusion; have ${combos.map((c) => c.name).join(', ')}`,
    );
  const { members } = combo;
  const w = normWeights(members, args.weights);
  // The matcher's raw score: Σ wₘ (cosₘ − meanₘ) / stdₘ, also for one model.
  const all = comboImpostors(members, w, true, scratch, false);
  const pairScores = comboPairScores(members, w, true);
  const genuine = rows.flatMap((r, i) => (r.same ? [pairScores[i]!] : []));
  const pick = (g: number) => {
    let n = 0;
    for (let i = 0; i < all.length; i++) if (all[i] !== -Infinity && (g < 0 || layout.group[i] === g)) n++;
    const out = new Float64Array(n);
    let q = 0;
    for (let i = 0; i < all.length; i++)
      if (all[i] !== -Infinity && (g < 0 || layout.group[i] === g)) out[q++] = all[i]!;
    return out;
  };

  const full = buildCalibrationTable(combo.name, pick(-1), genuine);
  const fullCal = createCalibrator(full);
  console.log(`\n## Calibration of ${combo.name} (weights ${fmtW(w)})\n`);
  console.log('| FAR | raw (z) | TMR (pairs file) |\n|---:|---:|---:|');
  for (const p of full.points)
    console.log(`| ${p.far.toExponential(2)} | ${p.raw.toFixed(4)} | ${p.tmr === undefined ? '—' : pct(p.tmr, 1)} |`);
  const acceptedGenuine = genuine.filter((s) => fullCal(s) >= 0.7).length;
  console.log(
    `\nTMR at calibrated score ≥ 0.7 on the pairs file's same-person pairs: ${pct(acceptedGenuine / genuine.length)}`,
  );

  console.log(
    '\nHeld-out check: table built on cross-person pairs of identities A–M (both persons), tested on N–Z, and the reverse.\n',
  );
  console.log(
    '| built on | tested on | build / test pairs | FMR @ q ≥ 0.6 (target 1 %) | FMR @ q ≥ 0.7 (target 0.1 %) | FMR @ q ≥ 0.8 (target 0.01 %) |',
  );
  console.log('|---|---|---:|---:|---:|---:|');
  const halves = [
    { g: 0, name: 'A–M' },
    { g: 1, name: 'N–Z' },
  ];
  for (const [build, test] of [
    [halves[0]!, halves[1]!],
    [halves[1]!, halves[0]!],
  ] as const) {
    const buildScores = pick(build.g);
    const testScores = pick(test.g);
    const cal = createCalibrator(buildCalibrationTable(`${combo.name} ${build.name}`, buildScores));
    const fmr = (q: number) => {
      let c = 0;
      for (const s of testScores) if (cal(s) >= q) c++;
      return `${(100 * (c / testScores.length)).toFixed(3)} % (${c})`;
    };
    console.log(
      `| ${build.name} | ${test.name} | ${buildScores.length} / ${testScores.length} | ${fmr(0.6)} | ${fmr(0.7)} | ${fmr(0.8)} |`,
    );
  }

  if (args.calibration) {
    // The search's cohort correction (fitted by tools/domain-study/search-norm.ts) lives in the same file: keep it.
    const previous = existsSync(args.calibration)
      ? (JSON.parse(readFileSync(args.calibration, 'utf8')) as { cohort?: unknown })
      : {};
    const config: {
      models: { id: string; weight: number; mean: number; std: number }[];
      table: CalibrationTable;
      cohort?: unknown;
    } = {
      models: members.map((m, k) => ({ id: m.id, weight: w[k]!, mean: m.mean, std: m.std })),
      table: full,
      ...(previous.cohort === undefined ? {} : { cohort: previous.cohort }),
    };
    mkdirSync(dirname(args.calibration), { recursive: true });
    writeFileSync(args.calibration, JSON.stringify(config, null, 2) + '\n');
    console.log(
      `\nWrote ${args.calibration} (MatcherConfig: models with weight/mean/std, table on the fused z score).`,
    );
  }
}

try {
  main();
} catch (e) {
  console.error(`error: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
}
