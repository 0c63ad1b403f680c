// How a face tracker should search with several frames of one face: the running template the tracker searches with
// today (the L2-normalised mean of the frames' vectors, src/tracker/decisions.ts meanTemplate), or the plain mean of the
// frames' unit vectors. The plain mean makes the fused raw score the mean of the frames' single-frame raw scores (raw
// is linear in the cosines), so each person's score, and the collection-aware shift, stay what the calibration was
// fitted on (single-photo probes). Re-normalising scales every cosine by 1 / |mean| > 1, strangers' too.
// Protocol (NUAA live frames, as tools/tracker-liveness/nuaa.mjs): a clip is one subject-session's frames; every subject
// of a half is enrolled from the first frame of its first session; its clips of other sessions must be recognised.
// Strangers: each subject left out in turn (the others enrolled), every one of its clips. Scores as searchFace scores
// them (FusedScorer.searchScoreOf: the normalised score, the cohort shift, −0.1·log10 N), at the default 0.7.
// Odd ids are fitting data (the shift was fitted on them), even ids held out, xdomain is not video and is not used.
// Usage: npx rolldown tools/domain-study/track-probe.ts --platform node --file tools/out/track-probe.mjs &&
//        node tools/out/track-probe.mjs [--frames N (the clip's first N frames; default all)] [--detail 1 (per held-out
//        clip: each frame's search and the re-normalised mean's)]
import { readFileSync } from 'node:fs';
import { FusedScorer } from '../../src/collections/search/fusedScorer';
import pairNorm from '../../src/face/similarity/pairNorm.json';
import { Matcher, type MatcherConfig } from '../../src/face/similarity/matcher';
import type { PairNormConfig } from '../../src/face/similarity/pairNorm';
import type { FaceTemplate } from '../../src/vocabulary';
import { fusedRaw, loadStudyData, parseArgs, partsOf, type Img } from './embeddings';

const args = parseArgs();
const MODELS = ['dlib128', 'mfn-flip'];
const config = JSON.parse(readFileSync('src/face/similarity/calibration.json', 'utf8')) as MatcherConfig;
const raw = fusedRaw(partsOf(config, MODELS));
const scorer = new FusedScorer(
  new Matcher({ ...config, pairNorm: pairNorm as PairNormConfig }),
  config.models.map((m) => m.id),
  [128, 192],
);
const templates = new WeakMap<Img, FaceTemplate>();
const templateOf = (img: Img) => {
  let t = templates.get(img);
  if (!t) templates.set(img, (t = { models: config.models.map((m) => m.id), vectors: img.v }));
  return t;
};
const data = loadStudyData({ ...args, noXdomain: '1' }, MODELS);
const FRAMES = args.frames ? Number(args.frames) : Infinity;

const sessionOf = (img: Img) => img.key.split('/').pop()!.split('_').slice(1, 4).join('_');

/** The mean of the frames' vectors per model, re-normalised to unit length or not. */
function meanOf(frames: readonly Img[], renormalise: boolean): Img {
  const v = MODELS.map((_, m) => {
    const sum = new Float32Array(frames[0]!.v[m]!.length);
    for (const f of frames) f.v[m]!.forEach((x, j) => (sum[j]! += x));
    const scale = renormalise ? 1 / (Math.hypot(...sum) || 1) : 1 / frames.length;
    return sum.map((x) => x * scale);
  });
  return { key: frames.map((f) => f.key).join('+'), person: frames[0]!.person, v };
}

/** The search score of the best enrolled person for `probe`, as searchFace reports it (FusedScorer.searchScoreOf). */
function search(probe: Img, gallery: readonly Img[]) {
  const plain = gallery.map((g) => raw(probe, g));
  let b = 0;
  plain.forEach((x, i) => {
    if (x > plain[b]!) b = i;
  });
  const others = plain.filter((_, i) => i !== b);
  const cohort = {
    meanDot: others.reduce((a, x) => a + x, 0) / Math.max(1, others.length) + scorer.offset,
    size: others.length,
  };
  const s = gallery.map((g) => scorer.searchScoreOf(templateOf(probe), templateOf(g), gallery.length, cohort));
  let best = 0;
  s.forEach((x, i) => {
    if (x > s[best]!) best = i;
  });
  return { person: gallery[best]!.person, score: s[best]! };
}

type Probe = 'one frame (the clip’s first)' | 're-normalised mean (today)' | 'plain mean (mean of frame scores)';
const PROBES: Probe[] = [
  'one frame (the clip’s first)',
  're-normalised mean (today)',
  'plain mean (mean of frame scores)',
];
function probeOf(clip: readonly Img[], kind: Probe): Img {
  const frames = clip.slice(0, FRAMES);
  return kind === 'one frame (the clip’s first)' ? frames[0]! : meanOf(frames, kind === 're-normalised mean (today)');
}

function measure(imgs: readonly Img[], kind: Probe) {
  const clips = new Map<string, Img[]>();
  for (const i of imgs) {
    const k = `${i.person}|${sessionOf(i)}`;
    clips.set(k, [...(clips.get(k) ?? []), i]);
  }
  const people = [...new Set(imgs.map((i) => i.person))].sort();
  const firstSession = new Map(
    people.map((p) => [p, [...clips.keys()].filter((k) => k.startsWith(`${p}|`)).sort()[0]!]),
  );
  const enrolled = new Map(people.map((p) => [p, clips.get(firstSession.get(p)!)![0]!]));
  let genuine = 0,
    recognised = 0,
    wrong = 0,
    strangers = 0,
    matched = 0;
  const scores: number[] = [];
  for (const [key, clip] of clips) {
    const person = key.split('|')[0]!;
    const probe = probeOf(clip, kind);
    if (key !== firstSession.get(person)) {
      genuine++;
      const r = search(probe, [...enrolled.values()]);
      scores.push(r.score);
      if (r.score >= 0.7) {
        if (r.person === person) recognised++;
        else wrong++;
      }
    }
    strangers++;
    const r = search(
      probe,
      people.filter((p) => p !== person).map((p) => enrolled.get(p)!),
    );
    if (r.score >= 0.7) matched++;
  }
  return { genuine, recognised, wrong, strangers, matched, scores };
}

const pct = (a: number, b: number) => `${((100 * a) / b).toFixed(1)} %`;
console.log(
  `| probe of a clip${Number.isFinite(FRAMES) ? ` (first ${FRAMES} frames)` : ''} | NUAA odd ids (fit): clips recognised / named as someone else / stranger clips matched | NUAA even ids (held out): same |`,
);
console.log('|---|---:|---:|');
for (const kind of PROBES) {
  const cells = [data.nuaaOdd, data.nuaaEven].map((imgs) => {
    const r = measure(imgs, kind);
    return `${r.recognised}/${r.genuine} (${pct(r.recognised, r.genuine)}) / ${r.wrong} / ${r.matched}/${r.strangers} (${pct(r.matched, r.strangers)})`;
  });
  console.log(`| ${kind} | ${cells.join(' | ')} |`);
}
if (args.detail) {
  // Per clip of the held-out half: its best person and score with each probe.
  const imgs = data.nuaaEven;
  const people = [...new Set(imgs.map((i) => i.person))].sort();
  const bySession = new Map<string, Img[]>();
  for (const i of imgs)
    bySession.set(`${i.person}|${sessionOf(i)}`, [...(bySession.get(`${i.person}|${sessionOf(i)}`) ?? []), i]);
  const first = new Map(people.map((p) => [p, [...bySession.keys()].filter((k) => k.startsWith(`${p}|`)).sort()[0]!]));
  const gallery = people.map((p) => bySession.get(first.get(p)!)![0]!);
  console.log('enrolled:', gallery.map((g) => g.key).join(', '));
  for (const [key, clip] of bySession) {
    if (first.get(key.split('|')[0]!) === key) continue;
    const frames = clip.map((f) => search(f, gallery));
    const mean = search(meanOf(clip, true), gallery);
    console.log(
      key,
      clip.length,
      'frames:',
      frames.map((r) => `${r.person}:${r.score.toFixed(2)}`).join(' '),
      '| mean:',
      `${mean.person}:${mean.score.toFixed(2)}`,
    );
  }
}
