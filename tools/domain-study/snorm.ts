// 1:1 score normalisation against a fixed, built-in reference cohort (adaptive / top-k S-norm), measured per domain.
// Each face is scored (per embedder, before fusion) against a cohort of reference faces drawn only from the fitting
// data (LFW fit half + NUAA odd ids); the mean and spread of its k highest cohort cosines normalise a pair's cosine:
//   sn_m(a, b) = ½ [(cos_m − μ_k(a)) / σ_k(a) + (cos_m − μ_k(b)) / σ_k(b)].
// The normalised scores are z-normalised on LFW fit-half impostors and fused with the shipped weights, then
// calibrated on the fitting data only, as tools/domain-study/study.ts does: on LFW's fit half alone (as shipped) or
// worst-of (LFW fit half, NUAA odd ids). A fitting face is never normalised by its own person's cohort faces.
// Reported: FMR / TMR at 0.7 on LFW's held-out half, NUAA even ids and xdomain (report only), LFW accuracy.
// Usage: npx rolldown tools/domain-study/snorm.ts --platform node --file tools/out/snorm.mjs &&
//        node tools/out/snorm.mjs --xdomainDir $XDOMAIN [--json tools/results/snorm-per-domain.json]
import { readFileSync, writeFileSync } from 'node:fs';
import { buildCalibrationTable } from '../fit-calibration/fit';
import { calibrate, type CalibrationTable } from '../../src/face/similarity/calibration';
import type { MatcherConfig } from '../../src/face/similarity/matcher';
import {
  allPairs,
  byPerson,
  dot,
  fusedRaw,
  lfwProtocol,
  loadStudyData,
  parseArgs,
  partsOf,
  tenFoldAccuracy,
  type Img,
} from './embeddings';

const args = parseArgs();
const MODELS = ['dlib128', 'mfn-flip'];
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
const COHORTS: Record<string, Img[]> = {
  'LFW fit + NUAA odd': [...lfwFit, ...nuaaOdd],
  'LFW fit (one face per person) + NUAA odd': [...firstOfEach(lfwFit), ...nuaaOdd],
  'LFW fit only': lfwFit,
};

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
function cohortCosines(cohort: Img[]): Map<string, Float32Array[]> {
  const faces = new Map<string, Img>();
  for (const d of domains) for (const [a, b] of [...d.gen, ...d.imp]) faces.set(a.key, a).set(b.key, b);
  for (const p of protocolPairs) for (const f of [p.a, p.b]) if (f) faces.set(f.key, f);
  const out = new Map<string, Float32Array[]>();
  for (const f of faces.values())
    out.set(
      f.key,
      MODELS.map((_, m) => {
        const others = cohort.filter((c) => c.person !== f.person);
        return Float32Array.from(others, (c) => dot(f.v[m]!, c.v[m]!))
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
  return (pairs: [Img, Img][]) => {
    const per = snormed(pairs, stats);
    const out = new Float64Array(pairs.length);
    for (let m = 0; m < MODELS.length; m++)
      if (w[m]) for (let i = 0; i < out.length; i++) out[i]! += (w[m]! * (per[m]![i]! - norm[m]!.mu)) / norm[m]!.sd;
    return out;
  };
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
function calibration(score: (p: [Img, Img][]) => Float64Array, worstOf: boolean): CalibrationTable {
  const lfwImp = score(domains[0]!.imp),
    lfwGen = score(domains[0]!.gen);
  const lfwTable = buildCalibrationTable('snorm', lfwImp, lfwGen);
  if (!worstOf) return lfwTable;
  const webcam = tailOf(score(domains[1]!.imp), MIN_TAIL_WEBCAM),
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
  perDomain: { domain: string; fmr: number; tmr: number; impostor: number; genuine: number }[];
  lfwAccuracy: number;
}
const rows: Row[] = [];
const pct = (x: number, d = 2) => `${(100 * x).toFixed(d)} %`;
function evaluate(method: string, calName: string, score: (p: [Img, Img][]) => Float64Array, table: CalibrationTable) {
  const perDomain = domains.map((d) => {
    const q = (pairs: [Img, Img][]) => Array.from(score(pairs), (r) => calibrate(r, table));
    const imp = q(d.imp),
      gen = q(d.gen);
    return {
      domain: d.name + (d.fit ? ' (fit)' : ''),
      fmr: imp.filter((x) => x >= 0.7).length / imp.length,
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
  console.log(
    `| ${method} | ${calName} | ${perDomain.map((r) => `${pct(r.fmr, 3)} / ${pct(r.tmr)}`).join(' | ')} | ${pct(lfwAccuracy)} |`,
  );
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
const TOPK = (args.topK ?? '10,30,100,300,500,1000,all').split(',');
for (const [cohortName, cohort] of Object.entries(COHORTS)) {
  const cosines = cohortCosines(cohort);
  for (const k of TOPK) {
    const stats = cohortStats(cosines, k === 'all' ? Infinity : Number(k));
    for (const [wName, w] of Object.entries(WEIGHTS)) {
      const score = fuser(stats, w);
      const method = `S-norm top-${k} of ${cohortName} (${cohort.length} faces), ${wName}`;
      evaluate(method, 'LFW fit half', score, calibration(score, false));
      evaluate(method, 'worst-of (LFW fit, NUAA odd)', score, calibration(score, true));
    }
  }
}
// The choice, on the fitting data only: among the S-norm rows calibrated worst-of whose fitting FMRs at 0.7 are at
// most 0.1 % (a level dropped as a tie can let one exceed it), the highest TMR at 0.7 on the worse fitting domain,
// then on LFW's fit half. Per cohort (the whole fitting cohort is the one planned; the others are cost checks).
const fitTmr = (r: Row) => Math.min(r.perDomain[0]!.tmr, r.perDomain[1]!.tmr);
const choose = (cohort?: string) =>
  rows
    .filter((r) => r.method.startsWith('S-norm') && r.calibration.startsWith('worst-of'))
    .filter((r) => !cohort || r.method.includes(`of ${cohort} (`))
    .filter((r) => r.perDomain[0]!.fmr <= 0.001 && r.perDomain[1]!.fmr <= 0.001)
    .sort((a, b) => fitTmr(b) - fitTmr(a) || b.perDomain[0]!.tmr - a.perDomain[0]!.tmr)[0];
const chosen = Object.fromEntries(
  [...Object.keys(COHORTS), 'any'].map((c) => [c, choose(c === 'any' ? undefined : c)?.method]),
);
console.log(`\nChosen on the fitting data, per cohort: ${JSON.stringify(chosen, null, 1)}`);
if (args.json) {
  writeFileSync(args.json, JSON.stringify({ command: 'tools/domain-study/snorm.ts', chosen, rows }, null, 2) + '\n');
  console.error(`wrote ${args.json}`);
}
