// Collection-aware normalisation for 1:N search at the default threshold: a search scores the probe against every
// person of the collection, so the scores of the persons it does not match are a sample of this camera's
// different-person scores. Each method below turns a probe's raw scores into new raw scores on the shipped
// calibration's scale, and a match is searchSimilarity(raw', N) ≥ 0.7 exactly as src/collections/search scores it.
// Parameters are fitted on LFW's fit half and NUAA odd ids only; LFW's other half, NUAA even ids and xdomain are
// reported. NUAA halves have 7–8 people, so they are run leave-one-out (6–7-person collections).
// Usage: npx rolldown tools/domain-study/search-norm.ts --platform node --file tools/out/search-norm.mjs && node tools/out/search-norm.mjs [--xdomainDir DIR]
import { readFileSync } from 'node:fs';
import { logFarOf } from '../../src/face/similarity/calibration';
import { searchSimilarity } from '../../src/collections/search/fusedScorer';
import { Matcher, type MatcherConfig } from '../../src/face/similarity/matcher';
import type { CalibrationTable } from '../../src/face/similarity/calibration';
import type { PairNormConfig } from '../../src/face/similarity/pairNorm';
import { FusedScorer } from '../../src/collections/search/fusedScorer';
import { RESCORED_CANDIDATES } from '../../src/collections/search/collectionIndex';
import { topK } from '../../src/collections/search/topK';
import {
  fusedRaw,
  galleryTrial,
  leaveOneOut,
  loadStudyData,
  parseArgs,
  partsOf,
  xdomainTrial,
  type Img,
  type Trial,
} from './embeddings';

const args = parseArgs();
// --models: the dump pipelines of the fusion, in calibration.json's order.
const MODELS = (args.models ?? 'dlib128,mfn-flip').split(',');
const config = JSON.parse(readFileSync('src/face/similarity/calibration.json', 'utf8')) as MatcherConfig;
const raw = fusedRaw(partsOf(config, MODELS));

const data = loadStudyData(args, MODELS);
const domains: Record<string, { trials: Trial[]; fit: boolean }> = {
  'LFW fit half': { trials: galleryTrial(data.lfwFit), fit: true },
  'NUAA odd ids (leave one out)': { trials: leaveOneOut(data.nuaaOdd), fit: true },
  'LFW held-out half': { trials: galleryTrial(data.lfwHeldOut), fit: false },
  'NUAA even ids (leave one out)': { trials: leaveOneOut(data.nuaaEven), fit: false },
  xdomain: { trials: xdomainTrial(data), fit: false },
};

/** A probe's raw scores against the gallery, and (for gallery-side methods) each gallery person's scores against the rest. */
interface Scored {
  scores: number[];
  galleryCohort: { mean: number; std: number }[];
  probe: Img;
  gallery: Img[];
}
type Method = (s: Scored) => number[];

const meanStd = (xs: number[]) => {
  const m = xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
  const sd = Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / Math.max(1, xs.length));
  return { mean: m, std: sd };
};
/** The cohort: every score but the best (the best may be the probe's own person). */
const cohortOf = (s: number[]) => {
  const best = s.indexOf(Math.max(...s));
  return s.filter((_, i) => i !== best);
};
const topMean = (xs: number[], k: number) => {
  const t = [...xs].sort((a, b) => b - a).slice(0, k);
  return t.reduce((a, b) => a + b, 0) / Math.max(1, t.length);
};

/** Per-probe statistics on LFW's fit half, the reference the shift is measured against. */
function reference(stat: (cohort: number[]) => number): number[] {
  const t = domains['LFW fit half']!.trials[0]!;
  return [...t.probes, ...t.strangers].map((q) => stat(cohortOf(t.gallery.map((g) => raw(q, g)))));
}
const quantile = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.floor(q * (xs.length - 1))]!;

/**
 * Shift: raw − w(n)·max(0, stat − ref). stat is the probe's cohort mean (or top-k mean); ref is the q-quantile of
 * that statistic over LFW fit-half probes, so an LFW-like camera is left as it is; w(n) = n / (n + n0) shrinks the
 * correction of small collections, whose cohort says little.
 */
function shift(stat: (c: number[]) => number, q: number, n0: number, alpha = 1, minCohort = 1): Method {
  const ref = quantile(reference(stat), q);
  return ({ scores }) => {
    const c = cohortOf(scores);
    if (c.length < minCohort) return scores;
    const w = c.length / (c.length + n0);
    const d = alpha * w * Math.max(0, stat(c) - ref);
    return scores.map((s) => s - d);
  };
}

const methods: Record<string, Method> = {
  'raw (no correction)': ({ scores }) => scores,
};
const meanStat = (c: number[]) => meanStd(c).mean;
for (const q of [0.5, 0.9, 0.99])
  for (const n0 of [0, 10, 30]) methods[`shift by cohort mean above LFW q${q}, n0 ${n0}`] = shift(meanStat, q, n0);
for (const alpha of [0.5, 0.75])
  for (const n0 of [5, 10])
    methods[`shift by ${alpha} × cohort mean above LFW q0.9, n0 ${n0}`] = shift(meanStat, 0.9, n0, alpha);
// The shipped form: no size model (the fitting data has one small collection size, so n0 cannot be fitted), no
// correction below a cohort of 5 (the NUAA fitting collections' size), α the smallest that holds the fitting domains.
const ALPHAS = [0.25, 0.375, 0.5, 0.625, 0.75, 1];
const alphaName = (a: number) => `shift by ${a} × cohort mean above LFW q0.9, cohort ≥ 5`;
for (const alpha of ALPHAS) methods[alphaName(alpha)] = shift(meanStat, 0.9, 0, alpha, 5);
for (const k of [5, 10])
  for (const q of [0.5, 0.9])
    methods[`shift by top-${k} cohort mean above LFW q${q}, n0 10`] = shift((c) => topMean(c, k), q, 10);
{
  // T-norm mapped back: (raw − m)/sd · sdRef + mRef, with LFW's median probe m, sd; blended in by n/(n+n0).
  const ms = reference((c) => meanStd(c).mean),
    ss = reference((c) => meanStd(c).std);
  const mRef = quantile(ms, 0.5),
    sRef = quantile(ss, 0.5);
  for (const n0 of [10, 30])
    methods[`T-norm mapped to LFW's median cohort, n0 ${n0}`] = ({ scores }) => {
      const c = cohortOf(scores);
      if (c.length < 2) return scores;
      const { mean, std } = meanStd(c);
      const w = c.length / (c.length + n0);
      return scores.map((s) => (1 - w) * s + w * (((s - mean) / (std || 1)) * sRef + mRef));
    };
  // Symmetric (S-norm style): also each gallery person's own cohort (its scores against the rest of the gallery).
  methods[`S-norm mapped to LFW's median cohort, n0 10`] = ({ scores, galleryCohort }) => {
    const c = cohortOf(scores);
    if (c.length < 2) return scores;
    const p = meanStd(c);
    const w = c.length / (c.length + 10);
    return scores.map((s, i) => {
      const g = galleryCohort[i]!;
      const z = 0.5 * ((s - p.mean) / (p.std || 1) + (s - g.mean) / (g.std || 1));
      return (1 - w) * s + w * (z * sRef + mRef);
    });
  };
}

// The 1:1 score compareFaces ships (each face's predicted crowding, pairNorm.ts) used for searches too: each
// gallery face has its own μ, σ, so unlike a per-search shift this can change which person ranks first. Its raw
// scores are on pairNorm's calibration table.
// Searches scored as compareFaces scores a pair (shipped, with a camera shift): each face's crowding normalised (pairNorm.ts).
// Each gallery face has its own μ, σ, so unlike a per-search shift this can change which person ranks first. Its raw
// scores are on pairNorm's calibration table.
const pairNormConfig = JSON.parse(readFileSync('src/face/similarity/pairNorm.json', 'utf8')) as PairNormConfig;
const matcher = new Matcher({ ...config, pairNorm: pairNormConfig });
const templates = new WeakMap<Img, { models: string[]; vectors: Float32Array[] }>();
const templateOf = (img: Img) => {
  let t = templates.get(img);
  if (!t) templates.set(img, (t = { models: config.models.map((m) => m.id), vectors: img.v }));
  return t;
};
const pairNormRaw = (a: Img, b: Img) => matcher.compareRaw(templateOf(a), templateOf(b));
const tables = new Map<string, CalibrationTable>();
// The choice among these, on the fitting domains only: the smallest α (0 = none) whose strangers matched are ≤ 1 %
// on both, the rule that chose the cohort shift for the plain score (above).
const NORM_ALPHAS = [0, 0.1, 0.2, 0.3];
const normName = (a: number) =>
  a === 0 ? 'pairNorm (compareFaces score)' : `pairNorm + shift by ${a} × plain cohort mean above LFW q0.9, cohort ≥ 5`;
{
  const plainRef = quantile(reference(meanStat), 0.9);
  for (const alpha of NORM_ALPHAS) {
    methods[normName(alpha)] = ({ scores, probe, gallery }) => {
      const c = cohortOf(scores);
      const d = c.length < 5 ? 0 : alpha * Math.max(0, meanStat(c) - plainRef);
      return gallery.map((g) => pairNormRaw(probe, g) - d);
    };
    tables.set(normName(alpha), pairNormConfig.table);
  }
  // A shift by the pairNorm scores' own cohort mean, its reference the 90th percentile of that mean on LFW's fit half.
  const t = domains['LFW fit half']!.trials[0]!;
  const ref = quantile(
    [...t.probes, ...t.strangers].map((q) => meanStat(cohortOf(t.gallery.map((g) => pairNormRaw(q, g))))),
    0.9,
  );
  for (const alpha of [0.25, 0.5, 1]) {
    const name = `pairNorm + shift by ${alpha} × its cohort mean above LFW q0.9 (${ref.toFixed(2)}), cohort ≥ 5`;
    methods[name] = ({ probe, gallery }) => {
      const scores = gallery.map((g) => pairNormRaw(probe, g));
      const c = cohortOf(scores);
      const d = c.length < 5 ? 0 : alpha * Math.max(0, meanStat(c) - ref);
      return scores.map((s) => s - d);
    };
    tables.set(name, pairNormConfig.table);
  }
  // What ships (src/collections/search): the plain scan's best RESCORED_CANDIDATES persons rescored with pairNorm,
  // less FusedScorer.cohortShift with calibration.json's `cohort` (α chosen by snorm.ts --nested).
  const scorer = new FusedScorer(
    matcher,
    config.models.map((m) => m.id),
    [128, 192],
  );
  const name = `shipped: pairNorm on the plain scan's best ${RESCORED_CANDIDATES}, less FusedScorer.cohortShift (α ${config.cohort!.alpha})`;
  methods[name] = ({ scores, probe, gallery }) => {
    const top = new Set(topK(Float32Array.from(scores), RESCORED_CANDIDATES));
    const c = cohortOf(scores);
    const mean = c.reduce((a, b) => a + b, 0) / Math.max(1, c.length);
    const d = scorer.cohortShift({ meanDot: mean + scorer.offset, size: c.length });
    return gallery.map((g, i) => (top.has(i) ? pairNormRaw(probe, g) - d : -Infinity));
  };
  tables.set(name, pairNormConfig.table);
}

const cohortCache = new Map<Trial, { mean: number; std: number }[]>();
function run(trials: Trial[], method: Method, table: CalibrationTable) {
  let found = 0,
    rank1 = 0,
    probes = 0,
    matched = 0,
    strangers = 0;
  for (const t of trials) {
    let galleryCohort = cohortCache.get(t);
    if (!galleryCohort) {
      galleryCohort = t.gallery.map((g) => meanStd(t.gallery.filter((h) => h !== g).map((h) => raw(g, h))));
      cohortCache.set(t, galleryCohort);
    }
    const cohorts = galleryCohort;
    const top = (q: Img) => {
      const s = method({
        scores: t.gallery.map((g) => raw(q, g)),
        galleryCohort: cohorts,
        probe: q,
        gallery: t.gallery,
      });
      let b = 0;
      s.forEach((v, i) => {
        if (v > s[b]!) b = i;
      });
      return { score: searchSimilarity(logFarOf(s[b]!, table), t.gallery.length), person: t.gallery[b]!.person };
    };
    for (const p of t.probes) {
      const r = top(p);
      probes++;
      if (r.person === p.person) {
        rank1++;
        if (r.score >= 0.7) found++;
      }
    }
    for (const s of t.strangers) {
      strangers++;
      if (top(s).score >= 0.7) matched++;
    }
  }
  return { found, rank1, probes, matched, strangers };
}

const pct = (a: number, b: number) => `${((100 * a) / b).toFixed(1)} %`;
console.log(
  `| method | ${Object.keys(domains)
    .map((d) => `${d}${domains[d]!.fit ? ' (fit)' : ''}: strangers matched / found at 0.7 / rank-1`)
    .join(' | ')} |`,
);
console.log(
  `|---|${Object.keys(domains)
    .map(() => '---:')
    .join('|')}|`,
);
// --only shipped: the plain score, the cohort shift shipped before (α 0.375 on the plain score) and the shipped score;
// --only pairNorm: and every pairNorm row.
const keep = { shipped: /no correction|shipped/, pairNorm: /no correction|shipped|pairNorm/ }[args.only ?? ''];
const before = alphaName(0.375);
if (keep) for (const k of Object.keys(methods)) if (!keep.test(k) && k !== before) delete methods[k];
// The choices, on the fitting domains only: the smallest α whose strangers matched are ≤ 1 % on both.
let chosen = 'none',
  chosenNorm = 'none';
for (const [name, method] of Object.entries(methods)) {
  const results = Object.values(domains).map(({ trials }) => run(trials, method, tables.get(name) ?? config.table));
  const cells = results.map(
    (r) => `${pct(r.matched, r.strangers)} (${r.matched}) / ${pct(r.found, r.probes)} / ${pct(r.rank1, r.probes)}`,
  );
  console.log(`| ${name} | ${cells.join(' | ')} |`);
  const fit = results.filter((_, i) => Object.values(domains)[i]!.fit);
  if (
    chosen === 'none' &&
    ALPHAS.some((a) => alphaName(a) === name) &&
    fit.every((r) => r.matched <= 0.01 * r.strangers)
  )
    chosen = name;
  if (
    chosenNorm === 'none' &&
    NORM_ALPHAS.some((a) => normName(a) === name) &&
    fit.every((r) => r.matched <= 0.01 * r.strangers)
  )
    chosenNorm = name;
}
{
  const ref = quantile(reference(meanStat), 0.9);
  console.log(
    `\nChosen on the fitting data (smallest α with strangers ≤ 1 % on both): plain score: ${chosen} (shipped before); LFW q0.9 reference ${ref.toFixed(4)}. Normalised score: ${chosenNorm} (in-sample; the shipped α comes from snorm.ts --nested).`,
  );
}
{
  // The statistic itself per domain: how far each camera's cohort mean sits above LFW's.
  const stats = Object.entries(domains).map(([d, { trials }]) => {
    const ms: number[] = [];
    for (const t of trials)
      for (const q of [...t.probes, ...t.strangers]) ms.push(meanStd(cohortOf(t.gallery.map((g) => raw(q, g)))).mean);
    return `${d}: median ${quantile(ms, 0.5).toFixed(2)}, q90 ${quantile(ms, 0.9).toFixed(2)}`;
  });
  console.log(`\nProbe cohort mean (raw): ${stats.join('; ')}`);
}
