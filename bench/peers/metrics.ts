/// <reference types="node" />
/**
 * Node-side metrics of `npm run bench` (bench/run.mjs bundles this file with rolldown, as
 * tools/fit-calibration/analyze.ts explains: Node 20 runs no TypeScript). Pure functions over embeddings; the ROC/AUC/fold code is LocalFace's own
 * tools/metrics/verification.ts, and LocalFace's score is the shipped MatcherConfig (calibration.json).
 *
 * Score conventions (higher = more similar; accept iff score > threshold, as verification.ts):
 * - localface: fused raw score Σ wₘ (cosₘ − meanₘ)/stdₘ exactly as src/face/similarity/matcher.ts; its default decision
 *   is calibrated similarityScore ≥ 0.7.
 * - faceapi: −euclideanDistance (face-api's FaceMatcher: match iff distance < 0.6).
 * - human: human.match.similarity with its default options, ported below (the runner checks the port against the
 *   library's own function on real vectors); match iff similarity > 0.5 (its docs / faceid demo).
 * - human-cosine: plain cosine of Human's embeddings (secondary row; Human documents no cosine threshold).
 */
import { createCalibrator } from '../../src/face/similarity/calibration';
import { Matcher, type MatcherConfig } from '../../src/face/similarity/matcher';
import type { PairNormConfig } from '../../src/face/similarity/pairNorm';
import type { FaceTemplate } from '../../src/vocabulary';
import pairNormJson from '../../src/face/similarity/pairNorm.json';
import calibrationJson from '../../src/face/similarity/calibration.json';
import {
  auc,
  bestThresholdAccuracy,
  foldAccuracy,
  thresholdAtFmr,
  type FoldPair,
} from '../../tools/metrics/verification';

export const calibration = calibrationJson as MatcherConfig;

// ---------------------------------------------------------------------------------------------------------------
// Pairs files

export interface Pair {
  fold: number;
  /** Image keys "Name/Name_0001.jpg". */
  a: string;
  b: string;
  same: boolean;
}

export interface PairsFile {
  pairs: Pair[];
  /** Number of folds (1 when the file has no "folds n" header). */
  folds: number;
  header: string | null;
}

export const imageKey = (person: string, index: string | number) =>
  `${person}/${person}_${String(index).padStart(4, '0')}.jpg`;

/**
 * LFW pairs format: an optional header ("folds n", View 2, or "n", View 1), then `name n1 n2` (same person) and
 * `name1 n1 name2 n2` (different persons) lines, tab or space separated. With a "folds n" header, line k (0-based
 * after the header) is in fold floor(k / 2n); otherwise everything is fold 0.
 */
export function parsePairs(text: string): PairsFile {
  const lines = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l.length > 0 && !l.startsWith('#'));
  const first = lines[0]?.split(/\s+/) ?? [];
  let header: string | null = null;
  let perFold = 0;
  if (first.length > 0 && first.length <= 2 && first.every((f) => /^\d+$/.test(f))) {
    header = lines.shift()!;
    if (first.length === 2) perFold = 2 * Number(first[1]);
  }
  const pairs: Pair[] = lines.map((line, k) => {
    const f = line.split(/\s+/);
    const fold = perFold > 0 ? Math.floor(k / perFold) : 0;
    if (f.length === 3) return { fold, a: imageKey(f[0]!, f[1]!), b: imageKey(f[0]!, f[2]!), same: true };
    if (f.length === 4) return { fold, a: imageKey(f[0]!, f[1]!), b: imageKey(f[2]!, f[3]!), same: false };
    throw new Error(
      `pairs file line ${k + (header ? 2 : 1)}: expected "name n1 n2" or "name1 n1 name2 n2", got "${line}"`,
    );
  });
  return { pairs, folds: new Set(pairs.map((p) => p.fold)).size, header };
}

/** About `limit` pairs, taken evenly from every fold and both kinds (same / different), in file order. */
export function limitPairs(pairs: Pair[], limit: number): Pair[] {
  if (!(limit < pairs.length)) return pairs;
  const groups = new Map<string, Pair[]>();
  for (const p of pairs) {
    const k = `${p.fold}:${p.same}`;
    if (!groups.has(k)) groups.set(k, []);
    groups.get(k)!.push(p);
  }
  const each = Math.max(1, Math.ceil(limit / groups.size));
  const keep = new Set([...groups.values()].flatMap((g) => g.slice(0, each)));
  return pairs.filter((p) => keep.has(p));
}

// ---------------------------------------------------------------------------------------------------------------
// Scorers

/** Per image: the vectors a pipeline compares (one per model), or null when no face was found. */
export type Vectors = (Float32Array[] | null)[];

export interface Scorer {
  name: string;
  /** Higher = more similar. */
  score(a: Float32Array[], b: Float32Array[]): number;
  /** What the library's own 1:N search ranks by (higher = better), when it is not `score`. */
  rank?: (a: Float32Array[], b: Float32Array[]) => number;
  /** The pipeline's documented default decision on a score, or undefined if it documents none. */
  accept?: (score: number) => boolean;
  defaultRule: string;
}

function dot(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

function squaredDistance(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) {
    const d = a[i]! - b[i]!;
    sum += d * d;
  }
  return sum;
}

/** human.match.distance with its default options { order: 2, multiplier: 25 } (Human 3.3.6 src/face/match.ts). */
export function humanDistance(a: ArrayLike<number>, b: ArrayLike<number>): number {
  return Math.round(100 * 25 * squaredDistance(a, b)) / 100;
}

/** human.match.similarity with its default options { order: 2, multiplier: 25, min: 0.2, max: 0.8 }. */
export function humanSimilarity(a: ArrayLike<number>, b: ArrayLike<number>): number {
  return humanSimilarityOfDistance(humanDistance(a, b));
}

export function humanSimilarityOfDistance(dist: number): number {
  if (dist === 0) return 1;
  const root = Math.sqrt(dist);
  const norm = (1 - root / 100 - 0.2) / (0.8 - 0.2);
  return Math.round(100 * Math.max(Math.min(norm, 1), 0)) / 100;
}

/**
 * LocalFace's score, as compareFaces and its searches rank and compute it (Matcher.compareRaw, calibrated by the
 * pairNorm table). `accept` is the 1:1 threshold; a search also subtracts its camera correction and 0.1·log10 N.
 */
export function localFaceCompareScorer(modelIds: string[]): Scorer {
  const matcher = new Matcher({ ...calibration, pairNorm: pairNormJson as PairNormConfig });
  const templates = new WeakMap<Float32Array[], FaceTemplate>();
  const template = (vectors: Float32Array[]) => {
    let t = templates.get(vectors);
    if (!t) templates.set(vectors, (t = { models: modelIds, vectors }));
    return t;
  };
  const calibrate = createCalibrator(matcher.config.pairNorm!.table);
  return {
    name: 'localface',
    score: (a, b) => matcher.compareRaw(template(a), template(b)),
    accept: (raw) => calibrate(raw) >= 0.7,
    defaultRule: 'calibrated 1:1 similarityScore ≥ 0.7 (compareFaces)',
  };
}

export const faceApiScorer: Scorer = {
  name: 'faceapi',
  score: (a, b) => -Math.sqrt(squaredDistance(a[0]!, b[0]!)),
  accept: (s) => -s < 0.6,
  defaultRule: 'euclidean distance < 0.6 (FaceMatcher default)',
};

export const humanScorer: Scorer = {
  name: 'human',
  score: (a, b) => humanSimilarity(a[0]!, b[0]!),
  rank: (a, b) => -humanDistance(a[0]!, b[0]!),
  accept: (s) => s > 0.5,
  defaultRule: 'match.similarity > 0.5 (its docs and faceid demo)',
};

export const humanCosineScorer: Scorer = {
  name: 'human-cosine',
  score: (a, b) => dot(a[0]!, b[0]!) / Math.sqrt(dot(a[0]!, a[0]!) * dot(b[0]!, b[0]!)),
  defaultRule: 'none documented',
};

// ---------------------------------------------------------------------------------------------------------------
// Verification (accuracy task)

export interface VerificationResult {
  images: number;
  detectFailures: number;
  pairs: number;
  genuinePairs: number;
  accuracy: number;
  accuracyStd: number | null;
  accuracyProtocol: string;
  /** Accuracy on the pairs where a face was found in both images (same protocol). */
  accuracyFacesFound: number;
  pairsFacesFound: number;
  auc: number;
  impostorPairs: number;
  /** Every how many-th cross-person pair was scored (1 = all). */
  impostorStride: number;
  tmrAtFmr1e2: number;
  tmrAtFmr1e3: number;
  tmrAt07: number | null;
  fmrAt07: number | null;
  /** DET curve [fmr, fnmr] at log-spaced false-match rates, for the plot. */
  det: [number, number][];
}

const personOf = (key: string) => key.slice(0, key.indexOf('/'));

/**
 * Accuracy (LFW protocol on the folds, else best threshold on all pairs — optimistic), AUC on the file's pairs,
 * TMR at FMR over ALL cross-person pairs among the file's images that have a face (the pairs file alone has too
 * few different-person pairs for 0.1 %), and the rates at the pipeline's default threshold. A pair with a no-face
 * image scores −Infinity: never accepted.
 */
export function verification(
  file: PairsFile,
  keys: string[],
  vectors: Vectors,
  scorer: Scorer,
  maxImpostors = 2e7,
): VerificationResult {
  const index = new Map(keys.map((k, i) => [k, i]));
  const pairScore = (a: string, b: string) => {
    const va = vectors[index.get(a)!],
      vb = vectors[index.get(b)!];
    return va && vb ? scorer.score(va, vb) : -Infinity;
  };
  const scored: FoldPair[] = file.pairs.map((p) => ({ fold: p.fold, same: p.same, score: pairScore(p.a, p.b) }));
  const genuine = scored.filter((p) => p.same).map((p) => p.score);
  const pairImpostors = scored.filter((p) => !p.same).map((p) => p.score);

  const folded = (pairs: FoldPair[]) => {
    const folds = new Set(pairs.map((p) => p.fold)).size;
    if (pairs.length === 0) return { accuracy: NaN, std: null };
    if (folds >= 2 && folds === file.folds) {
      const r = foldAccuracy(pairs);
      return { accuracy: r.mean, std: r.std };
    }
    return { accuracy: bestThresholdAccuracy(pairs).accuracy, std: null };
  };
  const all = folded(scored);
  const accuracy = all.accuracy,
    accuracyStd = all.std;
  const accuracyProtocol =
    file.folds >= 2
      ? `${file.folds}-fold (threshold from the other folds)`
      : 'best threshold on all pairs (no folds in the file; optimistic)';
  // The same, only on pairs where the pipeline found a face in both images (what the model does when it gets a face).
  const detectedPairs = scored.filter((p) => p.score > -Infinity);
  const detected = folded(detectedPairs);

  // All cross-person pairs among images with a face.
  const present = keys.flatMap((k, i) => (vectors[i] ? [i] : []));
  const persons = keys.map(personOf);
  let count = 0;
  for (let x = 0; x < present.length; x++)
    for (let y = x + 1; y < present.length; y++) if (persons[present[x]!] !== persons[present[y]!]) count++;
  // Above maxImpostors (large pairs files: the count grows with images²) every stride-th pair is scored.
  const stride = Math.max(1, Math.ceil(count / maxImpostors));
  const impostors = new Float64Array(Math.ceil(count / stride));
  let q = 0,
    seen = 0;
  for (let x = 0; x < present.length; x++) {
    const i = present[x]!,
      vi = vectors[i]!,
      pi = persons[i];
    for (let y = x + 1; y < present.length; y++) {
      const j = present[y]!;
      if (pi !== persons[j] && seen++ % stride === 0) impostors[q++] = scorer.score(vi, vectors[j]!);
    }
  }
  const sortedImp = Float64Array.from(impostors).sort();
  const sortedGen = Float64Array.from(genuine).sort();
  const tmrAt = (fmr: number) => (impostors.length ? shareAbove(sortedGen, thresholdAtFmr(sortedImp, fmr)) : NaN);

  let tmrAt07: number | null = null,
    fmrAt07: number | null = null;
  if (scorer.accept) {
    tmrAt07 = genuine.filter((s) => s > -Infinity && scorer.accept!(s)).length / genuine.length;
    let accepted = 0;
    for (let i = 0; i < impostors.length; i++) if (scorer.accept(impostors[i]!)) accepted++;
    fmrAt07 = impostors.length ? accepted / impostors.length : NaN;
  }

  const det: [number, number][] = [];
  const n = sortedImp.length;
  for (let e = -7; e <= 0.0001; e += 0.1) {
    const fmr = 10 ** e;
    const k = Math.floor(fmr * n + 1e-9);
    if (k < 1 || k >= n) continue;
    const t = sortedImp[n - 1 - k]!; // accept iff score > t: at most k impostors accepted
    det.push([round(shareAbove(sortedImp, t), 9), round(1 - shareAbove(sortedGen, t), 6)]);
  }

  return {
    images: keys.length,
    detectFailures: vectors.filter((v) => !v).length,
    pairs: scored.length,
    genuinePairs: genuine.length,
    accuracy,
    accuracyStd,
    accuracyProtocol,
    accuracyFacesFound: detected.accuracy,
    pairsFacesFound: detectedPairs.length,
    auc: genuine.length && pairImpostors.length ? auc(genuine, pairImpostors) : NaN,
    impostorPairs: q,
    impostorStride: stride,
    tmrAtFmr1e2: tmrAt(1e-2),
    tmrAtFmr1e3: tmrAt(1e-3),
    tmrAt07,
    fmrAt07,
    det: dedupe(det),
  };
}

/** Share of an ascending array strictly above t. */
function shareAbove(sorted: Float64Array, t: number): number {
  let lo = 0,
    hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid]! <= t) lo = mid + 1;
    else hi = mid;
  }
  return (sorted.length - lo) / sorted.length;
}

const round = (x: number, digits: number) => Math.round(x * 10 ** digits) / 10 ** digits;
const dedupe = (pts: [number, number][]) =>
  pts.filter((p, i) => i === 0 || p[0] !== pts[i - 1]![0] || p[1] !== pts[i - 1]![1]);

// ---------------------------------------------------------------------------------------------------------------
// Identification (identify task)

export interface IdentifySetup {
  /** Gallery: enrolled photos (several per person allowed: a person scores by its best-matching photo). */
  gallery: { person: string; image: number }[];
  /** Mated probes: other photos of gallery persons. */
  mated: { person: string; image: number }[];
  /** Non-mated probes: strangers (persons not in the gallery). */
  strangers: { person: string; image: number }[];
}

export interface IdentifyResult {
  galleryPersons: number;
  enrollFailures: number;
  matedProbes: number;
  strangerProbes: number;
  probeDetectFailures: number;
  rank1: number;
  fnirAtFpir1e2: number;
  thresholdAtFpir1e2: number;
  strangersMatchedAtDefault: number | null;
  fnirAtDefault: number | null;
  defaultRule: string;
}

/**
 * Open-set 1:N search of every probe against the gallery (one enrolled photo per person), best match first as each
 * library's own search does (LocalFace: highest crowding-normalised score; face-api FaceMatcher: lowest distance; Human
 * match.find: lowest distance). rank1 = share of mated probes whose best match is their own person.
 * FNIR at FPIR 1 %: the threshold lets ≤ 1 % of strangers' best matches through; FNIR = share of mated probes not
 * returned as their own person above it. A probe or enrollment without a face is a miss.
 */
export function identify(setup: IdentifySetup, vectors: Vectors, scorer: Scorer): IdentifyResult {
  const enrolled = setup.gallery.filter((g) => vectors[g.image]);
  const best = (image: number) => {
    const v = vectors[image];
    if (!v || enrolled.length === 0) return { person: '', score: -Infinity };
    const rank = scorer.rank ?? scorer.score;
    let bestRank = -Infinity,
      bestImage = -1,
      bestPerson = '';
    for (const g of enrolled) {
      const r = rank(v, vectors[g.image]!);
      if (r > bestRank) {
        bestRank = r;
        bestImage = g.image;
        bestPerson = g.person;
      }
    }
    return { person: bestPerson, score: bestImage >= 0 ? scorer.score(v, vectors[bestImage]!) : -Infinity };
  };
  const mated = setup.mated.map((p) => ({ ...best(p.image), truth: p.person }));
  const strangers = setup.strangers.map((p) => best(p.image));
  const correct = mated.filter((m) => m.person === m.truth);
  const t = strangers.length
    ? thresholdAtFmr(
        strangers.map((s) => s.score),
        0.01,
      )
    : -Infinity;
  const share = (n: number, of: number) => (of ? n / of : NaN);
  return {
    galleryPersons: new Set(setup.gallery.map((g) => g.person)).size,
    enrollFailures: setup.gallery.length - enrolled.length,
    matedProbes: mated.length,
    strangerProbes: strangers.length,
    probeDetectFailures: [...setup.mated, ...setup.strangers].filter((p) => !vectors[p.image]).length,
    rank1: share(correct.length, mated.length),
    fnirAtFpir1e2: 1 - share(correct.filter((m) => m.score > t).length, mated.length),
    thresholdAtFpir1e2: t,
    strangersMatchedAtDefault: scorer.accept
      ? share(strangers.filter((s) => s.score > -Infinity && scorer.accept!(s.score)).length, strangers.length)
      : null,
    fnirAtDefault: scorer.accept
      ? 1 - share(correct.filter((m) => scorer.accept!(m.score)).length, mated.length)
      : null,
    defaultRule: scorer.defaultRule,
  };
}

/** Each library's own scorer; LocalFace's is normalised for crowding (src/face/similarity/pairNorm.ts). */
export function scorerFor(name: string, modelIds: string[]): Scorer {
  if (name === 'localface') return localFaceCompareScorer(modelIds);
  if (name === 'faceapi') return faceApiScorer;
  if (name === 'human') return humanScorer;
  if (name === 'human-cosine') return humanCosineScorer;
  throw new Error(`no scorer for pipeline ${name}`);
}
