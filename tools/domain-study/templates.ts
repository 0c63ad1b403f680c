// Templates from several photos per person, per domain: enroll k = 1, 2, 3 (and 5) photos of each person and
// measure 1:N at the default 0.7 as searches score (as tools/domain-study/search-norm.ts does) and
// 1:1 of a probe against the person (FMR / TMR at 0.7). A person scores as src/collections/search/collectionIndex.ts
// scores it: by its mean template (per model, the L2-normalised sum of its faces' unit vectors), one fused dot
// product; "best face" (the highest score over the person's faces) and "mean face score" are measured beside it.
// Probes are fixed per K: a person with ≥ K + 1 photos has photos K + 1, K + 2, … as probes for every k ≤ K, so the
// rows of one K compare the same probes; probes are never among the enrolled photos. Nothing is fitted here.
// Usage: npx rolldown tools/domain-study/templates.ts --platform node --file tools/out/templates.mjs &&
//        node tools/out/templates.mjs --xdomainDir $XDOMAIN [--plain 1] [--alpha A] [--fit 1] [--json tools/results/templates-per-domain.json]
import { readFileSync, writeFileSync } from 'node:fs';
import { calibrate, logFarOf } from '../../src/face/similarity/calibration';
import { searchSimilarity } from '../../src/collections/search/fusedScorer';
import { Matcher, type MatcherConfig } from '../../src/face/similarity/matcher';
import type { PairNormConfig } from '../../src/face/similarity/pairNorm';
import type { FaceTemplate } from '../../src/vocabulary';
import { byPerson, fusedRaw, loadStudyData, parseArgs, partsOf, type Img } from './embeddings';

const args = parseArgs();
// --models: the dump pipelines of the fusion, in calibration.json's order.
const MODELS = (args.models ?? 'dlib128,mfn-flip').split(',');
const config = JSON.parse(readFileSync('src/face/similarity/calibration.json', 'utf8')) as MatcherConfig;
// Persons scored as searches score them: as compareFaces scores a pair (crowding-normalised, pairNorm.ts, on its
// calibration table) less the camera shift (α from calibration.json, or --alpha). --plain 1: the plain fused score with
// the shift searches had before (α 0.375).
const normalised = args.plain === undefined;
const pairNormConfig = JSON.parse(readFileSync('src/face/similarity/pairNorm.json', 'utf8')) as PairNormConfig;
const matcher = new Matcher({ ...config, pairNorm: pairNormConfig });
const templates = new WeakMap<Img, FaceTemplate>();
const templateOf = (img: Img) => {
  let t = templates.get(img);
  if (!t) templates.set(img, (t = { models: config.models.map((m) => m.id), vectors: img.v }));
  return t;
};
const plainRaw = fusedRaw(partsOf(config, MODELS));
const raw = normalised ? (a: Img, b: Img) => matcher.compareRaw(templateOf(a), templateOf(b)) : plainRaw;
const table = normalised ? pairNormConfig.table : config.table;
// The search's cohort correction (FusedScorer.cohortShift): alpha × the probe's plain cohort mean above LFW's q0.9.
const cohort = config.cohort!;
const alpha = args.alpha !== undefined ? Number(args.alpha) : normalised ? cohort.alpha : 0.375;
const cohortShift = (meanRaw: number, size: number) =>
  size < cohort.minCohort ? 0 : alpha * Math.max(0, meanRaw - cohort.reference);
const data = loadStudyData(args, MODELS);

/** The person's mean template: per model, the normalised sum of its faces' vectors (CollectionIndex.refreshMean). */
function meanTemplate(faces: readonly Img[]): Img {
  const v = MODELS.map((_, m) => {
    const sum = new Float64Array(faces[0]!.v[m]!.length);
    for (const f of faces) f.v[m]!.forEach((x, j) => (sum[j]! += x));
    const norm = Math.hypot(...sum) || 1;
    return Float32Array.from(sum, (x) => x / norm);
  });
  return { key: faces.map((f) => f.key).join('+'), person: faces[0]!.person, v };
}

interface Enrolled {
  person: string;
  faces: Img[];
  template: Img;
}
const enroll = (faces: Img[]): Enrolled => ({ person: faces[0]!.person, faces, template: meanTemplate(faces) });

// 'mean face score' (the mean of the per-face scores = the dot with the un-normalised mean) is not what ships: it
// shows how much of a template's effect comes from re-normalising the mean.
// 'mean template − δ(k)' is not shipped either: the mean template's raw minus a shift per number of faces k, fitted on
// LFW's fit half so that a probe against a k-face template has the 1:1 FMR at 0.7 of a single face (kShift below).
type Rule = 'mean template' | 'best face' | 'mean face score' | 'mean template − δ(k)';
const RULES: Rule[] = ['mean template', 'best face', 'mean face score', 'mean template − δ(k)'];
const kShift = new Map<number, number>();
const personRaw = (q: Img, e: Enrolled, rule: Rule): number =>
  rule === 'mean template'
    ? raw(q, e.template)
    : rule === 'mean template − δ(k)'
      ? raw(q, e.template) - (kShift.get(e.faces.length) ?? 0)
      : rule === 'best face'
        ? Math.max(...e.faces.map((f) => raw(q, f)))
        : e.faces.reduce((s, f) => s + raw(q, f), 0) / e.faces.length;

/** One collection: enrolled persons, probes of enrolled persons, strangers (not enrolled). */
interface Trial {
  gallery: Enrolled[];
  probes: Img[];
  strangers: Img[];
}

/**
 * A split's people, enrolled with k photos each for the probes of K: persons with ≥ K + 1 photos are enrolled
 * with their first k, their photos after the K-th are probes. The other persons with ≥ 2 photos are enrolled too
 * (first min(k, n − 1) photos; they keep the collection at its usual size and are not probed); one-photo persons
 * are strangers.
 */
function split(imgs: readonly Img[], k: number, K: number, strangers?: Img[]): Trial {
  const t: Trial = { gallery: [], probes: [], strangers: strangers ?? [] };
  for (const list of byPerson(imgs).values()) {
    const sorted = [...list].sort((a, b) => a.key.localeCompare(b.key, 'en', { numeric: true }));
    if (sorted.length >= K + 1) {
      t.gallery.push(enroll(sorted.slice(0, k)));
      t.probes.push(...sorted.slice(K));
    } else if (sorted.length >= 2) t.gallery.push(enroll(sorted.slice(0, Math.min(k, sorted.length - 1))));
    else if (!strangers) t.strangers.push(sorted[0]!);
  }
  return t;
}

/** NUAA halves are 7 people: each left out in turn as the stranger, the 6 others enrolled (as search-norm.ts). */
function leaveOneOut(imgs: readonly Img[], k: number, K: number): Trial[] {
  const people = [...byPerson(imgs).keys()];
  return people.map((out) => {
    const t = split(
      imgs.filter((i) => i.person !== out),
      k,
      K,
      imgs.filter((i) => i.person === out),
    );
    return t;
  });
}

/** Impostor raws of a 1:1 trial: probes and strangers against every other probed person's mean template. */
function impostorRaws(t: Trial): number[] {
  const probed = new Set(t.probes.map((p) => p.person));
  const out: number[] = [];
  for (const q of [...t.probes, ...t.strangers])
    for (const e of t.gallery) if (probed.has(e.person) && e.person !== q.person) out.push(raw(q, e.template));
  return out;
}
{
  // δ(k): on LFW's fit half, the raw at FMR 0.1 % of k-face templates minus that of 1-face ones (the same probes).
  const at = (xs: number[]) => xs.sort((a, b) => b - a)[Math.floor(1e-3 * xs.length)]!;
  for (const k of [2, 3, 4, 5]) {
    const K = k <= 3 ? 3 : 5;
    kShift.set(k, at(impostorRaws(split(data.lfwFit, k, K))) - at(impostorRaws(split(data.lfwFit, 1, K))));
  }
  console.log(`δ(k) fitted on LFW's fit half: ${[...kShift].map(([k, d]) => `k ${k}: ${d.toFixed(3)}`).join(', ')}\n`);
}

const xEnrollable = data.xdomain.filter((i) => data.xRole.get(i.key)!.role !== 'stranger');
const xStrangers = data.xdomain.filter((i) => data.xRole.get(i.key)!.role === 'stranger');
/** `trials`: the 1:N collections; `pairs`: the collection whose probes and strangers give the 1:1 pairs. */
const DOMAINS: {
  name: string;
  Ks: number[];
  trials: (k: number, K: number) => Trial[];
  pairs: (k: number, K: number) => Trial;
}[] = [
  ...(args.fit === undefined
    ? []
    : [
        {
          name: 'LFW fit half (fit)',
          Ks: [3],
          trials: (k: number, K: number) => [split(data.lfwFit, k, K)],
          pairs: (k: number, K: number) => split(data.lfwFit, k, K),
        },
        {
          name: 'NUAA odd ids (fit)',
          Ks: [3],
          trials: (k: number, K: number) => leaveOneOut(data.nuaaOdd, k, K),
          pairs: (k: number, K: number) => split(data.nuaaOdd, k, K, []),
        },
      ]),
  {
    name: 'LFW held-out half',
    Ks: [3, 5],
    trials: (k, K) => [split(data.lfwHeldOut, k, K)],
    pairs: (k, K) => split(data.lfwHeldOut, k, K),
  },
  {
    name: 'NUAA even ids',
    Ks: [3, 5],
    trials: (k, K) => leaveOneOut(data.nuaaEven, k, K),
    pairs: (k, K) => split(data.nuaaEven, k, K, []),
  },
  {
    name: 'xdomain (report only)',
    Ks: [3],
    trials: (k, K) => [split(xEnrollable, k, K, xStrangers)],
    pairs: (k, K) => split(xEnrollable, k, K, xStrangers),
  },
];

interface Result {
  domain: string;
  K: number;
  k: number;
  rule: Rule;
  persons: number;
  probed: number;
  probes: number;
  strangers: number;
  rank1: number;
  found: number;
  strangersMatched: number;
  genuine: number;
  impostor: number;
  tmr: number;
  fmr: number;
}

function measure(trials: Trial[], pairTrial: Trial, rule: Rule) {
  let rank1 = 0,
    found = 0,
    probes = 0,
    matched = 0,
    strangers = 0,
    gen = 0,
    genHit = 0,
    imp = 0,
    impHit = 0;
  const probed = new Set<string>();
  for (const t of trials) {
    const n = t.gallery.length;
    // 1:N as searchFace: the best person, scored against the probe's cohort (every other person).
    const search = (q: Img) => {
      const s = t.gallery.map((e) => personRaw(q, e, rule));
      let b = 0;
      s.forEach((x, i) => {
        if (x > s[b]!) b = i;
      });
      // The camera signal: the plain fused score of the probe with every other person's template.
      const others = t.gallery.filter((_, i) => i !== b).map((e) => plainRaw(q, e.template));
      const meanRaw = others.reduce((a, x) => a + x, 0) / Math.max(1, others.length);
      const shift = cohortShift(meanRaw, others.length);
      return { person: t.gallery[b]!.person, score: searchSimilarity(logFarOf(s[b]! - shift, table), n), s };
    };
    for (const p of t.probes) {
      probed.add(p.person);
      const r = search(p);
      probes++;
      if (r.person === p.person) {
        rank1++;
        if (r.score >= 0.7) found++;
      }
    }
    for (const q of t.strangers) {
      strangers++;
      if (search(q).score >= 0.7) matched++;
    }
  }
  // 1:1 (compareFaces' calibration, no cohort) of a probe against a person, among the persons that are probed (each
  // enrolled with exactly k photos): genuine = a probe against its own person, impostor = a probe against every
  // other probed person and every stranger against every probed person (NUAA: all its persons enrolled, no stranger).
  const enrolled = pairTrial.gallery.filter((e) => probed.has(e.person));
  for (const q of [...pairTrial.probes, ...pairTrial.strangers])
    for (const e of enrolled) {
      const hit = calibrate(personRaw(q, e, rule), table) >= 0.7;
      if (e.person === q.person) {
        gen++;
        if (hit) genHit++;
      } else {
        imp++;
        if (hit) impHit++;
      }
    }
  const t0 = trials[0]!;
  return {
    persons: t0.gallery.length,
    probed: probed.size,
    probes,
    strangers,
    rank1: rank1 / probes,
    found: found / probes,
    strangersMatched: matched / strangers,
    genuine: gen,
    impostor: imp,
    tmr: genHit / gen,
    fmr: impHit / imp,
  };
}

const results: Result[] = [];
const pct = (x: number, d = 1) => `${(100 * x).toFixed(d)} %`;
console.log(
  '| domain | probes after photo K | photos enrolled (k) | score of a person | persons (probed) | 1:N rank-1 | 1:N probes found at 0.7 | 1:N strangers matched | 1:1 FMR at 0.7 | 1:1 TMR at 0.7 | 1:1 pairs (impostor / genuine) |',
);
console.log('|---|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|');
for (const d of DOMAINS)
  for (const K of d.Ks)
    for (const rule of RULES)
      for (const k of [...new Set([1, 2, 3, K])].filter((k) => k <= K)) {
        const r = measure(d.trials(k, K), d.pairs(k, K), rule);
        results.push({ domain: d.name, K, k, rule, ...r });
        console.log(
          `| ${d.name} | ${K} | ${k} | ${rule} | ${r.persons} (${r.probed}) | ${pct(r.rank1)} | ${pct(r.found)} | ${pct(r.strangersMatched)} (${Math.round(r.strangersMatched * r.strangers)}/${r.strangers}) | ${pct(r.fmr, 3)} | ${pct(r.tmr, 2)} | ${r.impostor} / ${r.genuine} |`,
        );
      }
if (args.json) {
  writeFileSync(args.json, JSON.stringify({ command: 'tools/domain-study/templates.ts', results }, null, 2) + '\n');
  console.error(`wrote ${args.json}`);
}
