// 1:1 score normalisation against a fixed, built-in reference cohort (adaptive / top-k S-norm), measured per domain.
// Each face is scored (per embedder, before fusion) against a cohort of reference faces drawn only from the fitting
// data (LFW fit half + NUAA odd ids); the mean and spread of its k highest cohort cosines normalise a pair's cosine:
//   sn_m(a, b) = ½ [(cos_m − μ_k(a)) / σ_k(a) + (cos_m − μ_k(b)) / σ_k(b)].
// The normalised scores are z-normalised on LFW fit-half impostors and fused with the shipped weights, then
// calibrated on the fitting data only, as tools/domain-study/study.ts does: on LFW's fit half alone (as shipped) or
// worst-of (LFW fit half, NUAA odd ids). A fitting face is never normalised by its own person's cohort faces.
// Reported: FMR / TMR at 0.7 on LFW's held-out half, NUAA even ids and xdomain (report only), LFW accuracy.
// What the library ships (src/face/similarity/pairNorm.ts) replaces the cohort by a regression that predicts μ_k
// and log σ_k from the face's own vector (crowding.ts): rows "stats predicted from the face".
// Usage: npx rolldown tools/domain-study/snorm.ts --platform node --file tools/out/snorm.mjs &&
//        node tools/out/snorm.mjs --xdomainDir $XDOMAIN [--json tools/results/snorm-per-domain.json]
//   --cohorts faces,one-per-person,lfw-only,centres-N   which cohorts (centres-N: k-means centres, centroids.ts)
//   --topK 100,300,all    --regress P:λ,…   --regressGrid P:λ,… (the best by cross-validated R² is added to --regress)
//   --regressOnly 1 (skip the real-cohort rows)   --balance 1 (each fitting domain weighs the same in the regression)
//   --write FILE (the best predicted row by the fitting-data rule → pairNorm.json)   --det FILE (for det-svg.mjs)
//   --weights d:m,…  fusion weights of the normalised dlib and MobileFaceNet scores for the regression rows
//   --nested 1  searches with the normalised score on fitting people left out of the fit (see the block below)
import { readFileSync, writeFileSync } from 'node:fs';
import { buildCalibrationTable } from '../fit-calibration/fit';
import { calibrate, logFarOf, type CalibrationTable } from '../../src/face/similarity/calibration';
import { searchSimilarity } from '../../src/collections/search/fusedScorer';
import type { MatcherConfig } from '../../src/face/similarity/matcher';
import {
  allPairs,
  byPerson,
  dot,
  fusedRaw,
  galleryTrial,
  hash,
  leaveOneOut,
  MODEL_IDS,
  lfwProtocol,
  loadStudyData,
  parseArgs,
  partsOf,
  tenFoldAccuracy,
  type Img,
} from './embeddings';
import { clusterCentres } from './centroids';
import { crossValidatedR2, fitCrowding, rSquared } from './crowding';
import {
  decodeCrowding,
  encodeCrowding,
  predictCohortStats,
  type CrowdingParams,
  type PairNormConfig,
} from '../../src/face/similarity/pairNorm';

const args = parseArgs();
// --models: the dump pipelines of the fusion, in calibration.json's order.
const MODELS = (args.models ?? 'dlib128,mfn-flip').split(',');
const config = JSON.parse(readFileSync('src/face/similarity/calibration.json', 'utf8')) as MatcherConfig;
const shippedRaw = fusedRaw(partsOf(config, MODELS));
const data = loadStudyData(args, MODELS);
const MIN_TAIL_WEBCAM = Number(args.minTail ?? 2);

// Persons are tagged by domain so that LFW and NUAA names can never collide.
const tag = (prefix: string, imgs: Img[]) => imgs.map((i) => ({ ...i, person: `${prefix}:${i.person}` }));
const lfwFit = tag('lfw', data.lfwFit),
  lfwHeldOut = tag('lfw', data.lfwHeldOut),
  nuaaOdd = tag('nuaa', data.nuaaOdd),
  nuaaEven = tag('nuaa', data.nuaaEven),
  xdomain = tag('x', data.xdomain);

const firstOfEach = (imgs: Img[]) => [...byPerson(imgs).values()].map((list) => list[0]!);
/** A cohort, per model: reference vectors and whose they are (a face is never normalised by its own person's). */
type Cohort = { person: string; v: Float32Array }[][];
const facesCohort = (imgs: Img[]): Cohort => MODELS.map((_, m) => imgs.map((i) => ({ person: i.person, v: i.v[m]! })));
/** Cluster centres of the fitting faces, per model; a centre pools ≥ MIN_PERSONS people, so it is nobody's face. */
const MIN_PERSONS = Number(args.minPersons ?? 5);
function centresCohort(imgs: Img[], count: number): Cohort {
  return MODELS.map((_, m) => {
    const { centres, persons } = clusterCentres(
      imgs.map((i) => i.v[m]!),
      imgs.map((i) => i.person),
      count,
      MIN_PERSONS,
    );
    console.error(
      `${MODELS[m]}: ${centres.length} centres of ${count} asked pool ≥ ${MIN_PERSONS} people (median ${persons.sort((a, b) => a - b)[persons.length >> 1]})`,
    );
    return centres.map((v, j) => ({ person: `centre:${j}`, v }));
  });
}
const fitting = [...lfwFit, ...nuaaOdd];
const COHORTS: Record<string, Cohort> = Object.fromEntries(
  (args.cohorts ?? 'faces,one-per-person,lfw-only,centres-100,centres-300').split(',').map((name): [string, Cohort] => {
    if (name === 'faces') return ['LFW fit + NUAA odd', facesCohort(fitting)];
    if (name === 'one-per-person')
      return ['LFW fit (one face per person) + NUAA odd', facesCohort([...firstOfEach(lfwFit), ...nuaaOdd])];
    if (name === 'lfw-only') return ['LFW fit only', facesCohort(lfwFit)];
    const count = Number(name.replace('centres-', ''));
    return [`${count} centres of LFW fit + NUAA odd`, centresCohort(fitting, count)];
  }),
);

type Domain = { name: string; fit: boolean; gen: [Img, Img][]; imp: [Img, Img][] };
const domains: Domain[] = [
  { name: 'LFW fit half', fit: true, gen: allPairs(lfwFit, true), imp: allPairs(lfwFit, false, 400_000) },
  { name: 'NUAA odd ids', fit: true, gen: allPairs(nuaaOdd, true), imp: allPairs(nuaaOdd, false) },
  {
    name: 'LFW held-out half',
    fit: false,
    gen: allPairs(lfwHeldOut, true),
    imp: allPairs(lfwHeldOut, false, 400_000),
  },
  { name: 'NUAA even ids', fit: false, gen: allPairs(nuaaEven, true), imp: allPairs(nuaaEven, false) },
  { name: 'xdomain (report only)', fit: false, gen: allPairs(xdomain, true), imp: allPairs(xdomain, false) },
];
for (const d of domains) console.error(`${d.name}: ${d.imp.length} impostor / ${d.gen.length} genuine pairs`);
const protocol = lfwProtocol(readFileSync(args.pairs ?? '../shared/data/lfw/pairs_subset.txt', 'utf8'), data.lfw);
const lfwTagged = new Map([...lfwFit, ...lfwHeldOut].map((i) => [i.key, i]));
const protocolPairs = protocol.map((p) => ({
  a: p.a && lfwTagged.get(p.a.key),
  b: p.b && lfwTagged.get(p.b.key),
  same: p.same,
}));

/** Per face and model: its cosines with the cohort, highest first (its own person left out). */
function cohortCosines(cohort: Cohort): Map<string, Float32Array[]> {
  const faces = new Map<string, Img>();
  for (const d of domains) for (const [a, b] of [...d.gen, ...d.imp]) faces.set(a.key, a).set(b.key, b);
  for (const p of protocolPairs) for (const f of [p.a, p.b]) if (f) faces.set(f.key, f);
  const out = new Map<string, Float32Array[]>();
  for (const f of faces.values())
    out.set(
      f.key,
      MODELS.map((_, m) => {
        const others = cohort[m]!.filter((c) => c.person !== f.person);
        return Float32Array.from(others, (c) => dot(f.v[m]!, c.v))
          .sort()
          .reverse();
      }),
    );
  return out;
}

/** Per face and model: mean and spread of its k highest cohort cosines. */
type Stats = Map<string, { mu: number; sd: number }[]>;
function cohortStats(cosines: Map<string, Float32Array[]>, k: number): Stats {
  const stats: Stats = new Map();
  for (const [key, perModel] of cosines)
    stats.set(
      key,
      perModel.map((sorted) => {
        const top = sorted.subarray(0, Math.min(k, sorted.length));
        const mu = top.reduce((s, x) => s + x, 0) / top.length;
        const sd = Math.sqrt(top.reduce((s, x) => s + (x - mu) ** 2, 0) / top.length) || 1e-6;
        return { mu, sd };
      }),
    );
  return stats;
}

/** Cohort statistics predicted from each face's vector by a regression fitted on the fitting faces (crowding.ts). */
const faceByKey = new Map<string, Img>();
for (const d of [lfwFit, lfwHeldOut, nuaaOdd, nuaaEven, xdomain]) for (const i of d) faceByKey.set(i.key, i);
const fittingKeys = new Set([...lfwFit, ...nuaaOdd].map((i) => i.key));
/**
 * --balance 1: each fitting domain (LFW fit half, NUAA odd ids) gets the same total weight in the regression and the
 * same say in its cross-validated R², so 84 webcam frames count as much as 1,863 LFW photos.
 */
const BALANCE = args.balance === '1';
const domainOf = (key: string) => faceByKey.get(key)!.person.split(':')[0]!;
function domainWeights(keys: string[]): number[] {
  const count = new Map<string, number>();
  for (const k of keys) count.set(domainOf(k), (count.get(domainOf(k)) ?? 0) + 1);
  return keys.map((k) => keys.length / count.size / count.get(domainOf(k))!);
}

function regressedStats(
  stats: Stats,
  P: number,
  lambda: number,
): { predicted: Stats; params: CrowdingParams[]; encoded: string[] } {
  const fitKeys = [...stats.keys()].filter((k) => fittingKeys.has(k));
  const models = MODELS.map((_, m) =>
    fitCrowding(
      fitKeys.map((k) => faceByKey.get(k)!.v[m]!),
      fitKeys.map((k) => stats.get(k)![m]!),
      P,
      lambda,
      BALANCE ? domainWeights(fitKeys) : undefined,
    ),
  );
  // Predicted through the float32 encoding the library ships, so these rows measure the shipped parameters.
  const encoded = models.map((model) => encodeCrowding(model));
  const params = models.map((model, m) =>
    decodeCrowding({
      id: MODELS[m]!,
      weight: 1,
      mean: 0,
      std: 1,
      dimension: model.centre.length,
      components: P,
      params: encoded[m]!,
    }),
  );
  const out: Stats = new Map();
  for (const key of stats.keys())
    out.set(
      key,
      params.map((p, m) => predictCohortStats(p, faceByKey.get(key)!.v[m]!)),
    );
  // How well μ is predicted on faces the regression never saw.
  MODELS.forEach((name, m) => {
    const held = [...stats.keys()].filter((k) => !fittingKeys.has(k) && faceByKey.get(k)!.person.startsWith('lfw:'));
    const webcam = [...stats.keys()].filter((k) => faceByKey.get(k)!.person.startsWith('nuaa:') && !fittingKeys.has(k));
    const r2 = (keys: string[]) =>
      rSquared(
        keys.map((k) => stats.get(k)![m]!.mu),
        keys.map((k) => out.get(k)![m]!.mu),
      ).toFixed(3);
    console.error(`  ${name} P ${P} λ ${lambda}: R² of μ on held-out LFW ${r2(held)}, NUAA even ${r2(webcam)}`);
  });
  return { predicted: out, params, encoded };
}

/** Per-model S-normed cosines of pairs. */
function snormed(pairs: [Img, Img][], stats: Stats): Float64Array[] {
  return MODELS.map((_, m) => {
    const out = new Float64Array(pairs.length);
    pairs.forEach(([a, b], i) => {
      const c = dot(a.v[m]!, b.v[m]!),
        sa = stats.get(a.key)![m]!,
        sb = stats.get(b.key)![m]!;
      out[i] = 0.5 * ((c - sa.mu) / sa.sd + (c - sb.mu) / sb.sd);
    });
    return out;
  });
}

/** Fused score: each model's S-normed score z-normalised on LFW fit-half impostors, weighted. */
function fuser(stats: Stats, w: number[]) {
  const fitImp = snormed(domains[0]!.imp, stats);
  const norm = fitImp.map((xs) => {
    const mu = xs.reduce((s, x) => s + x, 0) / xs.length;
    return { mu, sd: Math.sqrt(xs.reduce((s, x) => s + (x - mu) ** 2, 0) / xs.length) };
  });
  const score = (pairs: [Img, Img][]) => {
    const per = snormed(pairs, stats);
    const out = new Float64Array(pairs.length);
    for (let m = 0; m < MODELS.length; m++)
      if (w[m]) for (let i = 0; i < out.length; i++) out[i]! += (w[m]! * (per[m]![i]! - norm[m]!.mu)) / norm[m]!.sd;
    return out;
  };
  return Object.assign(score, { norm });
}

/** Raw threshold with at most `far` of the (descending) impostor scores at or above it; log-linear below minTail. */
function tailOf(imp: Float64Array, minTail: number): (logFar: number) => number {
  const desc = Float64Array.from(imp).sort().reverse();
  const at = (far: number) => {
    const k = Math.floor(far * desc.length + 1e-9);
    return k < 1 ? desc[0]! + 1e-9 : k >= desc.length ? -Infinity : (desc[k - 1]! + desc[k]!) / 2;
  };
  const minLog = Math.log10(minTail / desc.length);
  const r0 = at(10 ** (minLog + 1)),
    r1 = at(10 ** minLog);
  const perDecade = Math.max(r1 - r0, 1e-6);
  return (lf) => (lf >= minLog ? at(10 ** lf) : r1 + (minLog - lf) * perDecade);
}

/** LFW fit half alone (as shipped), or the higher threshold of the two fitting domains at each level (study.ts). */
function calibration(
  score: (p: [Img, Img][]) => Float64Array,
  worstOf: boolean,
  pairs = { lfwImp: domains[0]!.imp, lfwGen: domains[0]!.gen, webcamImp: domains[1]!.imp },
): CalibrationTable {
  const lfwImp = score(pairs.lfwImp),
    lfwGen = score(pairs.lfwGen);
  const lfwTable = buildCalibrationTable('snorm', lfwImp, lfwGen);
  if (!worstOf) return lfwTable;
  const webcam = tailOf(score(pairs.webcamImp), MIN_TAIL_WEBCAM),
    lfw = tailOf(lfwImp, 10);
  const points: CalibrationTable['points'] = [];
  for (const p of lfwTable.points) {
    const raw = Math.max(lfw(Math.log10(p.far)), webcam(Math.log10(p.far)));
    if (points.length && !(raw > points[points.length - 1]!.raw)) continue;
    points.push({ raw, far: p.far });
  }
  return { model: 'snorm worst-of', points };
}

interface Row {
  method: string;
  calibration: string;
  perDomain: { domain: string; fmr: number; fmrAt08: number; tmr: number; impostor: number; genuine: number }[];
  lfwAccuracy: number;
}
const rows: Row[] = [];
const pct = (x: number, d = 2) => `${(100 * x).toFixed(d)} %`;
/**
 * Per domain: DET points (false match rate, false non-match rate) of the score on a quarter-decade grid, and where
 * similarityScore 0.7 lands on it.
 */
type Det = Record<string, { curve: [number, number][]; at07: [number, number] }>;
const DETS = new Map<string, Det>();
function detOf(score: (p: [Img, Img][]) => Float64Array, table: CalibrationTable): Det {
  const out: Det = {};
  for (const d of domains) {
    const imp = Float64Array.from(score(d.imp)).sort().reverse(),
      gen = score(d.gen);
    const fnmrAbove = (t: number) => gen.filter((x) => x < t).length / gen.length;
    const curve: [number, number][] = [];
    for (let lf = -0.5; lf >= Math.log10(1 / imp.length) - 1e-9; lf -= 0.125) {
      const k = Math.floor(10 ** lf * imp.length);
      curve.push([k / imp.length, fnmrAbove(k < 1 ? imp[0]! + 1e-9 : (imp[k - 1]! + imp[k]!) / 2)]);
    }
    const q = Array.from(imp, (r) => calibrate(r, table));
    const at07: [number, number] = [
      q.filter((x) => x >= 0.7).length / q.length,
      Array.from(gen, (r) => calibrate(r, table)).filter((x) => x < 0.7).length / gen.length,
    ];
    out[d.name.replace(' (report only)', '')] = { curve, at07 };
  }
  return out;
}

function evaluate(method: string, calName: string, score: (p: [Img, Img][]) => Float64Array, table: CalibrationTable) {
  const perDomain = domains.map((d) => {
    const q = (pairs: [Img, Img][]) => Array.from(score(pairs), (r) => calibrate(r, table));
    const imp = q(d.imp),
      gen = q(d.gen);
    return {
      domain: d.name + (d.fit ? ' (fit)' : ''),
      fmr: imp.filter((x) => x >= 0.7).length / imp.length,
      fmrAt08: imp.filter((x) => x >= 0.8).length / imp.length,
      tmr: gen.filter((x) => x >= 0.7).length / gen.length,
      impostor: imp.length,
      genuine: gen.length,
    };
  });
  const protocolScores = protocolPairs.map((p) => (p.a && p.b ? score([[p.a, p.b]])[0]! : -Infinity));
  const lfwAccuracy = tenFoldAccuracy(
    protocolScores,
    protocolPairs.map((p) => p.same),
  );
  rows.push({ method, calibration: calName, perDomain, lfwAccuracy });
  if (args.det) DETS.set(`${method} | ${calName}`, detOf(score, table));
  console.log(
    `| ${method} | ${calName} | ${perDomain.map((r) => `${pct(r.fmr, 3)} / ${pct(r.tmr)}`).join(' | ')} | ${pct(lfwAccuracy)} |`,
  );
}

// --nested 1: how the normalised score behaves in searches on webcam faces the regression never saw, from the fitting
// data alone. NUAA odd ids (8 people) are split into 4 folds of 2, LFW's fit half into 4 folds by person; per fold the
// cohort, the regression (top-300 of the faces cohort, P 16, λ 0.01), the z-normalisation and the worst-of
// calibration are refitted without the fold, and the fold's people are searched with it: NUAA odd ids leave one out
// (6–7 enrolled, as search-norm.ts), LFW's fit half as one gallery. A search scores the best person by the
// normalised score less α × the probe's plain cohort mean above LFW's q0.9 (≥ 5 other persons), then −0.1·log10 N.
// The choice: the smallest α whose out-of-fold strangers matched are ≤ 1 % on both.
if (args.nested) {
  const FOLDS = 4,
    P = 16,
    LAMBDA = 0.01,
    TOP = 300;
  const ALPHAS = [0, 0.05, 0.1, 0.15, 0.2, 0.3, 0.375];
  const REFERENCE = config.cohort!.reference;
  const oddIds = [...new Set(nuaaOdd.map((i) => i.person))].sort();
  const foldOf = (person: string) =>
    person.startsWith('nuaa:')
      ? Math.floor((oddIds.indexOf(person) * FOLDS) / oddIds.length)
      : (hash(person) >>> 16) % FOLDS;
  const cosineStats = (f: Img, cohort: Img[], m: number) => {
    const top = Float32Array.from(
      cohort.filter((c) => c.person !== f.person),
      (c) => dot(f.v[m]!, c.v[m]!),
    )
      .sort()
      .reverse()
      .subarray(0, TOP);
    const mu = top.reduce((a, x) => a + x, 0) / top.length;
    return { mu, sd: Math.sqrt(top.reduce((a, x) => a + (x - mu) ** 2, 0) / top.length) || 1e-6 };
  };
  type Tally = { found: number; probes: number; matched: number; strangers: number };
  const tally = () => Object.fromEntries(ALPHAS.map((a) => [a, { found: 0, probes: 0, matched: 0, strangers: 0 }]));
  const result: Record<string, Record<number, Tally>> = { 'LFW fit half': tally(), 'NUAA odd ids': tally() };
  const plainRef = shippedRaw;
  for (let f = 0; f < FOLDS; f++) {
    const out = (i: Img) => foldOf(i.person) === f;
    const train = fitting.filter((i) => !out(i));
    const trainStats = train.map((i) => MODELS.map((_, m) => cosineStats(i, train, m)));
    const models = MODELS.map((_, m) =>
      fitCrowding(
        train.map((i) => i.v[m]!),
        trainStats.map((st) => st[m]!),
        P,
        LAMBDA,
      ),
    );
    const predicted: Stats = new Map();
    for (const i of fitting)
      predicted.set(
        i.key,
        models.map((model, m) => predictCohortStats(model, i.v[m]!)),
      );
    const keep = (pairs: [Img, Img][]) => pairs.filter(([a, b]) => !out(a) && !out(b));
    const fitPairs = {
      lfwImp: keep(domains[0]!.imp),
      lfwGen: keep(domains[0]!.gen),
      webcamImp: keep(domains[1]!.imp),
    };
    // The z-normalisation of each model's normalised score on the training LFW impostors, then the fused score.
    const per = snormed(fitPairs.lfwImp, predicted);
    const norm = per.map((xs) => {
      const mu = xs.reduce((a, x) => a + x, 0) / xs.length;
      return { mu, sd: Math.sqrt(xs.reduce((a, x) => a + (x - mu) ** 2, 0) / xs.length) };
    });
    const w = partsOf(config, MODELS).map((p) => p.weight);
    const score = (pairs: [Img, Img][]) => {
      const s = snormed(pairs, predicted);
      return Float64Array.from(pairs, (_, i) =>
        MODELS.reduce((a, __, m) => a + (w[m]! * (s[m]![i]! - norm[m]!.mu)) / norm[m]!.sd, 0),
      );
    };
    const table = calibration(score, true, fitPairs);
    const trials = {
      'LFW fit half': galleryTrial(lfwFit),
      'NUAA odd ids': leaveOneOut(nuaaOdd),
    };
    for (const [domain, list] of Object.entries(trials))
      for (const t of list) {
        const search = (q: Img, alpha: number) => {
          const s = score(t.gallery.map((g) => [q, g] as [Img, Img]));
          let b = 0;
          s.forEach((x, i) => {
            if (x > s[b]!) b = i;
          });
          const others = t.gallery.filter((_, i) => i !== b).map((g) => plainRef(q, g));
          const mean = others.reduce((a, x) => a + x, 0) / Math.max(1, others.length);
          const shift = others.length < 5 ? 0 : alpha * Math.max(0, mean - REFERENCE);
          return {
            person: t.gallery[b]!.person,
            score: searchSimilarity(logFarOf(s[b]! - shift, table), t.gallery.length),
          };
        };
        for (const alpha of ALPHAS) {
          const r = result[domain]![alpha]!;
          for (const q of t.probes.filter(out)) {
            r.probes++;
            const hit = search(q, alpha);
            if (hit.person === q.person && hit.score >= 0.7) r.found++;
          }
          for (const q of t.strangers.filter(out)) {
            r.strangers++;
            if (search(q, alpha).score >= 0.7) r.matched++;
          }
        }
      }
    console.error(`fold ${f + 1}/${FOLDS}: ${train.length} training faces`);
  }
  const pc = (a: number, b: number) => `${((100 * a) / b).toFixed(1)} %`;
  console.log(
    '| α | LFW fit half, out of fold: strangers matched / found at 0.7 | NUAA odd ids, out of fold: strangers matched / found at 0.7 |',
  );
  console.log('|---:|---:|---:|');
  let chosen: number | undefined;
  for (const alpha of ALPHAS) {
    const cells = Object.values(result).map(
      (r) =>
        `${pc(r[alpha]!.matched, r[alpha]!.strangers)} (${r[alpha]!.matched}/${r[alpha]!.strangers}) / ${pc(r[alpha]!.found, r[alpha]!.probes)}`,
    );
    console.log(`| ${alpha} | ${cells.join(' | ')} |`);
    if (chosen === undefined && Object.values(result).every((r) => r[alpha]!.matched <= 0.01 * r[alpha]!.strangers))
      chosen = alpha;
  }
  console.log(`\nChosen out of fold (smallest α with strangers ≤ 1 % on both): ${chosen ?? 'none'}`);
  process.exit(0);
}

console.log(
  `| score | calibration | ${domains.map((d) => `${d.name}${d.fit ? ' (fit)' : ''}: FMR / TMR at 0.7`).join(' | ')} | LFW accuracy (10-fold) |`,
);
console.log(`|---|---|${domains.map(() => '---:').join('|')}|---:|`);
const shippedScore = (pairs: [Img, Img][]) => Float64Array.from(pairs, ([a, b]) => shippedRaw(a, b));
evaluate('plain fused cosines (shipped)', 'shipped table', shippedScore, config.table);
evaluate(
  'plain fused cosines (shipped)',
  'worst-of (LFW fit, NUAA odd)',
  shippedScore,
  calibration(shippedScore, true),
);
const shippedW = partsOf(config, MODELS).map((p) => p.weight);
const WEIGHTS: Record<string, number[]> = { 'dlib 0.5 + MobileFaceNet 0.5': shippedW, 'MobileFaceNet alone': [0, 1] };
// --weights d:m,…: the fusion weights (dlib : MobileFaceNet) of the normalised scores tried for the regression rows
// (each competes in the choice below, on the fitting data only); the shipped 0.5 : 0.5 by default.
const REGRESS_WEIGHTS = (args.weights ?? '0.5:0.5').split(',').map((x) => x.split(':').map(Number));
/** Rows of predicted statistics as the library would load them (src/face/similarity/pairNorm.json). */
const SHIPPABLE = new Map<string, PairNormConfig>();
const TOPK = (args.topK ?? '10,30,100,300,500,1000,all').split(',');
for (const [cohortName, cohort] of Object.entries(COHORTS)) {
  const cosines = cohortCosines(cohort);
  for (const k of TOPK) {
    const stats = cohortStats(cosines, k === 'all' ? Infinity : Number(k));
    if (args.regressGrid) {
      // P and λ chosen by person-disjoint cross-validated R² on the fitting faces alone.
      const fitKeys = [...stats.keys()].filter((key) => fittingKeys.has(key));
      const grid = args.regressGrid.split(',').map((spec) => {
        const [P, lambda] = spec.split(':').map(Number) as [number, number];
        const r2 = MODELS.map((_, m) =>
          crossValidatedR2(
            fitKeys.map((key) => faceByKey.get(key)!.v[m]!),
            fitKeys.map((key) => stats.get(key)![m]!),
            fitKeys.map((key) => faceByKey.get(key)!.person),
            P,
            lambda,
            BALANCE ? { weights: domainWeights(fitKeys), groups: fitKeys.map(domainOf) } : {},
          ),
        );
        console.error(`  top-${k} P ${P} λ ${lambda}: cross-validated R² ${r2.map((x) => x.toFixed(4)).join(' / ')}`);
        return { spec, r2: r2.reduce((a, b) => a + b, 0) / r2.length };
      });
      const best = grid.sort((a, b) => b.r2 - a.r2)[0]!;
      console.error(`  top-${k}: chosen by cross-validated R²: ${best.spec}`);
      args.regress = [best.spec, ...(args.regress ? args.regress.split(',') : [])].join(',');
    }
    for (const spec of args.regress ? args.regress.split(',') : []) {
      const [P, lambda] = spec.split(':').map(Number) as [number, number];
      const { predicted, params, encoded } = regressedStats(stats, P, lambda);
      for (const w of REGRESS_WEIGHTS) {
        const score = fuser(predicted, w);
        const method = `S-norm top-${k} of ${cohortName}, stats predicted from the face (P ${P}, λ ${lambda}${BALANCE ? ', domains balanced' : ''}), dlib ${w[0]} + MobileFaceNet ${w[1]}`;
        evaluate(method, 'LFW fit half', score, calibration(score, false));
        const table = calibration(score, true);
        evaluate(method, 'worst-of (LFW fit, NUAA odd)', score, table);
        SHIPPABLE.set(method, {
          table,
          models: MODELS.map((name, m) => ({
            id: MODEL_IDS[name]!,
            weight: w[m]!,
            mean: score.norm[m]!.mu,
            std: score.norm[m]!.sd,
            dimension: params[m]!.centre.length,
            components: P,
            params: encoded[m]!,
          })),
        });
      }
    }
    if (args.regressOnly) continue;
    for (const [wName, w] of Object.entries(WEIGHTS)) {
      const score = fuser(stats, w);
      const method = `S-norm top-${k} of ${cohortName} (${cohort[0]!.length} vectors), ${wName}`;
      evaluate(method, 'LFW fit half', score, calibration(score, false));
      evaluate(method, 'worst-of (LFW fit, NUAA odd)', score, calibration(score, true));
    }
  }
}
// The choice, on the fitting data only: among the S-norm rows calibrated worst-of whose fitting FMRs at 0.7 are at
// most 0.1 % (a level dropped as a tie can let one exceed it), the highest TMR at 0.7 on the worse fitting domain,
// then on LFW's fit half. Per cohort (the whole fitting cohort is the one planned; the others are cost checks).
const fitTmr = (r: Row) => Math.min(r.perDomain[0]!.tmr, r.perDomain[1]!.tmr);
/** The best worst-of row among those `which` accepts, by the rule above. */
const bestRow = (which: (r: Row) => boolean) =>
  rows
    .filter((r) => which(r) && r.calibration.startsWith('worst-of'))
    .filter((r) => r.perDomain[0]!.fmr <= 0.001 && r.perDomain[1]!.fmr <= 0.001)
    .sort((a, b) => fitTmr(b) - fitTmr(a) || b.perDomain[0]!.tmr - a.perDomain[0]!.tmr)[0];
const choose = (cohort?: string) =>
  bestRow((r) => r.method.startsWith('S-norm') && (!cohort || r.method.includes(`of ${cohort} (`)));
const chosen = Object.fromEntries(
  [...Object.keys(COHORTS), 'any'].map((c) => [c, choose(c === 'any' ? undefined : c)?.method]),
);
console.log(`\nChosen on the fitting data, per cohort: ${JSON.stringify(chosen, null, 1)}`);
let WRITTEN = '';
// --write: the best row of predicted statistics by the same rule becomes the library's 1:1 normalisation.
if (args.write) {
  const best = bestRow((r) => SHIPPABLE.has(r.method));
  if (!best) throw new Error('no row of predicted statistics holds 0.1 % on both fitting domains');
  WRITTEN = best.method;
  writeFileSync(args.write, JSON.stringify({ source: best.method, ...SHIPPABLE.get(best.method)! }) + '\n');
  console.error(`wrote ${args.write}: ${best.method}`);
}
// --det FILE: the DET curves of the plain shipped score (before) and of the row --write chose (after), for det-svg.mjs.
if (args.det && args.write) {
  const [before, after] = [
    'plain fused cosines (shipped) | shipped table',
    `${WRITTEN} | worst-of (LFW fit, NUAA odd)`,
  ];
  writeFileSync(
    args.det,
    JSON.stringify({ before: DETS.get(before), after: DETS.get(after), chosen: 'compareFaces now' }),
  );
  console.error(`wrote ${args.det}`);
}
if (args.json) {
  writeFileSync(args.json, JSON.stringify({ command: 'tools/domain-study/snorm.ts', chosen, rows }, null, 2) + '\n');
  console.error(`wrote ${args.json}`);
}
