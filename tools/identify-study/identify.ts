/// <reference types="node" />
/**
 * LFW 1:N identification with the shipped fused, calibrated matcher, and the person-scoring comparison
 * (best face vs mean template) — over an embeddings dump, no browser.
 *
 * RUN (make the dump once, ≈ 10 min: the images of persons with ≥ 5 photos and of one-photo persons):
 *   node tools/identify-study/make-list.mjs
 *   node tools/fit-calibration/embed-lfw.mjs --list tools/out/identify-images.txt --images ../shared/data/lfw/images \
 *     --out tools/out/lfw-identify-embeddings.json --candidates dlib128,mfn-flip --select center
 *   npx rolldown tools/identify-study/identify.ts --platform node --file tools/out/identify.mjs \
 *     && node tools/out/identify.mjs tools/out/lfw-identify-embeddings.json [--plain]
 *
 * Scores as searches score: as compareFaces scores a pair (src/face/similarity/pairNorm.ts, calibrated by its table)
 * less the camera shift (calibration.json `cohort`; the probe's plain cohort mean is mostly below its reference on
 * LFW); --plain: the plain fused score and the shift searches had before (α 0.375). Every gallery person is scored
 * (the library rescores the scan's best 50, which gives the same results on these sets).
 *
 * Protocol: gallery = the first k photos (by file name) of each person with ≥ 5 photos that have a face;
 * probes = that person's other photos; strangers = every one-photo person (not in the gallery).
 * rank-1 = share of probes whose best-scoring gallery person is the right one (no threshold); "identified at 0.7" also
 * requires score ≥ 0.7; "strangers matched" = share of strangers whose best score is ≥ 0.7 (false alarms).
 * A photo where no face was found counts as a miss (probe) or is skipped (gallery).
 */
import { readFileSync } from 'node:fs';
import calibration from '../../src/face/similarity/calibration.json';
import { calibrate, logFarOf } from '../../src/face/similarity/calibration';
import { searchSimilarity } from '../../src/collections/search/fusedScorer';
import pairNorm from '../../src/face/similarity/pairNorm.json';
import { Matcher, type MatcherConfig } from '../../src/face/similarity/matcher';
import type { PairNormConfig } from '../../src/face/similarity/pairNorm';
import type { FaceTemplate } from '../../src/vocabulary';

const config = calibration as MatcherConfig;
const file = process.argv.slice(2).find((a) => !a.startsWith('--')) ?? 'tools/out/lfw-identify-embeddings.json';
// --plain: the plain fused score searches had before they were scored as compareFaces scores a pair.
const plain = process.argv.includes('--plain');
const matcher = new Matcher({ ...config, pairNorm: pairNorm as PairNormConfig });
const table = plain ? config.table : (pairNorm as PairNormConfig).table;
const cohort = config.cohort!;
const alpha = plain ? 0.375 : cohort.alpha;
const dump = JSON.parse(readFileSync(file, 'utf8')) as {
  pipelines: Record<string, { id: string; dimension: number; vectors: Record<string, number[] | null> }>;
};
const pipelines = config.models.map((m) => {
  const p = Object.values(dump.pipelines).find((x) => x.id === m.id);
  if (!p) throw new Error(`dump lacks ${m.id}`);
  return { ...m, vectors: p.vectors };
});

/** A template: per-model unit vectors. */
type Template = Float32Array[];
const byPerson = new Map<string, string[]>();
for (const path of Object.keys(pipelines[0]!.vectors).sort()) {
  const name = path.split('/')[0]!;
  byPerson.set(name, [...(byPerson.get(name) ?? []), path]);
}
const templateOf = (path: string): Template | null => {
  const vs = pipelines.map((p) => p.vectors[path]);
  return vs.every((v) => v) ? vs.map((v) => Float32Array.from(v!)) : null;
};
const faceTemplates = new WeakMap<Template, FaceTemplate>();
const faceTemplate = (t: Template) => {
  let f = faceTemplates.get(t);
  if (!f) faceTemplates.set(t, (f = { models: config.models.map((m) => m.id), vectors: t }));
  return f;
};
/** The score a search ranks and calibrates (src/collections/search/fusedScorer.ts), or the normalised one. */
const raw = (a: Template, b: Template): number =>
  plain ? plainRaw(a, b) : matcher.compareRaw(faceTemplate(a), faceTemplate(b));
const plainRaw = (a: Template, b: Template): number => {
  let s = 0;
  pipelines.forEach((m, i) => {
    let dot = 0;
    const x = a[i]!,
      y = b[i]!;
    for (let j = 0; j < x.length; j++) dot += x[j]! * y[j]!;
    s += (m.weight * (dot - m.mean)) / m.std;
  });
  return s;
};
const meanTemplate = (ts: Template[]): Template =>
  pipelines.map((_, i) => {
    const d = ts[0]![i]!.length,
      out = new Float32Array(d);
    for (const t of ts) for (let j = 0; j < d; j++) out[j]! += t[i]![j]!;
    let n = 0;
    for (const x of out) n += x * x;
    return out.map((x) => x / Math.sqrt(n));
  });

type Strategy = 'best-face' | 'mean-template' | 'max(both)';
interface Row {
  k: number;
  strategy: Strategy;
  gallery: number;
  probes: number;
  rank1: number;
  identified07: number;
  strangers: number;
  strangerMatched07: number;
  probeNoFace: number;
  identifiedSearch07: number;
  strangerMatchedSearch07: number;
}

function run(k: number, strategy: Strategy): Row {
  const gallery: { name: string; faces: Template[]; mean: Template }[] = [];
  const probes: { name: string; t: Template | null }[] = [];
  const strangers: Template[] = [];
  for (const [name, paths] of byPerson) {
    if (paths.length === 1) {
      const t = templateOf(paths[0]!);
      if (t) strangers.push(t);
      continue;
    }
    if (paths.length < 5) continue;
    const withFace = paths.filter((p) => templateOf(p));
    const enrolled = withFace.slice(0, k);
    if (enrolled.length < k) continue;
    const faces = enrolled.map((p) => templateOf(p)!);
    gallery.push({ name, faces, mean: meanTemplate(faces) });
    for (const p of paths) if (!enrolled.includes(p)) probes.push({ name, t: templateOf(p) });
  }
  const score = (t: Template, g: (typeof gallery)[number]): number => {
    const best = Math.max(...g.faces.map((f) => raw(t, f)));
    if (strategy === 'best-face') return best;
    const mean = raw(t, g.mean);
    return strategy === 'mean-template' ? mean : Math.max(best, mean);
  };
  const top = (t: Template) => {
    let bestName = '',
      bestRaw = -Infinity,
      bestIndex = -1;
    gallery.forEach((g, i) => {
      const s = score(t, g);
      if (s > bestRaw) {
        bestRaw = s;
        bestName = g.name;
        bestIndex = i;
      }
    });
    // The search's camera shift (FusedScorer.cohortShift): the probe's mean plain score over every other person.
    let others = 0;
    gallery.forEach((g, i) => {
      if (i !== bestIndex) others += plainRaw(t, g.mean);
    });
    const meanOthers = others / Math.max(1, gallery.length - 1);
    const shift = gallery.length - 1 < cohort.minCohort ? 0 : alpha * Math.max(0, meanOthers - cohort.reference);
    return {
      name: bestName,
      q: calibrate(bestRaw, table),
      qSearch: searchSimilarity(logFarOf(bestRaw - shift, table), comparisons),
    };
  };
  // Comparisons one search makes: what the search score (src/collections/search/fusedScorer.ts) accounts for.
  const comparisons =
    strategy === 'best-face'
      ? gallery.length * k
      : strategy === 'mean-template'
        ? gallery.length
        : gallery.length * (k + 1);
  let rank1 = 0,
    identified = 0,
    identifiedSearch = 0,
    noFace = 0;
  for (const p of probes) {
    if (!p.t) {
      noFace++;
      continue;
    }
    const r = top(p.t);
    if (r.name === p.name) {
      rank1++;
      if (r.q >= 0.7) identified++;
      if (r.qSearch >= 0.7) identifiedSearch++;
    }
  }
  let matched = 0,
    matchedSearch = 0;
  for (const s of strangers) {
    const r = top(s);
    if (r.q >= 0.7) matched++;
    if (r.qSearch >= 0.7) matchedSearch++;
  }
  return {
    k,
    strategy,
    gallery: gallery.length,
    probes: probes.length,
    rank1: rank1 / probes.length,
    identified07: identified / probes.length,
    strangers: strangers.length,
    strangerMatched07: matched / strangers.length,
    probeNoFace: noFace,
    identifiedSearch07: identifiedSearch / probes.length,
    strangerMatchedSearch07: matchedSearch / strangers.length,
  };
}

const pct = (x: number) => `${(100 * x).toFixed(2)} %`;
console.log(
  '| gallery photos per person | person score | persons | probes | rank-1 | identified, search score ≥ 0.7 | strangers | strangers matched, search score ≥ 0.7 | identified, pair score ≥ 0.7 | strangers matched, pair score ≥ 0.7 |',
);
console.log('|---|---|---|---|---|---|---|---|---|---|');
const t0 = Date.now();
for (const [k, strategies] of [
  [1, ['best-face']],
  [2, ['best-face', 'mean-template', 'max(both)']],
  [3, ['best-face', 'mean-template', 'max(both)']],
] as const) {
  for (const s of strategies) {
    const r = run(k, s);
    console.log(
      `| ${r.k} | ${r.strategy} | ${r.gallery} | ${r.probes}${r.probeNoFace ? ` (${r.probeNoFace} no face)` : ''} | ${pct(r.rank1)} | ${pct(r.identifiedSearch07)} | ${r.strangers} | ${pct(r.strangerMatchedSearch07)} | ${pct(r.identified07)} | ${pct(r.strangerMatched07)} |`,
    );
  }
}
console.error(`${((Date.now() - t0) / 1000).toFixed(1)} s`);
