#!/usr/bin/env node
// False matches between different people on webcam frames (NUAA live frames: 15 people, 10 frames each, a 2010
// webcam, all young East Asian adults) at the thresholds calibrated on LFW. Every pair of frames of different
// subjects is an impostor pair; pairs of the same subject are genuine. Embeddings come from embed-lfw.mjs:
//   grep /real/ tools/out/checks/liveness.txt | sed 's#antispoof_nuaa/##' > tools/out/nuaa-live.txt
//   node tools/fit-calibration/embed-lfw.mjs --list tools/out/nuaa-live.txt --images ../shared/data/antispoof_nuaa --candidates dlib128,mfn-flip --out tools/out/nuaa-embeddings.json
//   node tools/identify-study/webcam-domain.mjs tools/out/nuaa-embeddings.json
import { readFileSync } from 'node:fs';

const embeddings = JSON.parse(readFileSync(process.argv[2] ?? 'tools/out/nuaa-embeddings.json', 'utf8')).pipelines;
const calibration = JSON.parse(readFileSync('src/face/similarity/calibration.json', 'utf8'));
const [dlib, mfn] = ['dlib128', 'mfn-flip'].map((k) => embeddings[k].vectors);
const frames = Object.keys(dlib).filter((k) => dlib[k] && mfn[k]);
const subject = (k) => k.split('/')[1];
const cosine = (a, b) => {
  let s = 0,
    na = 0,
    nb = 0;
  for (let i = 0; i < a.length; i++) {
    s += a[i] * b[i];
    na += a[i] * a[i];
    nb += b[i] * b[i];
  }
  return s / Math.sqrt(na * nb);
};
// The shipped matcher's raw score (src/face/similarity/matcher.ts): Σ w (cos − μ) / σ over the two models.
const [m1, m2] = calibration.models;
const fused = (a, b) =>
  (m1.weight * (cosine(dlib[a], dlib[b]) - m1.mean)) / m1.std +
  (m2.weight * (cosine(mfn[a], mfn[b]) - m2.mean)) / m2.std;
const rawAtFar = (far) =>
  calibration.table.points.find((p) => Math.abs(Math.log10(p.far) - Math.log10(far)) < 0.01)?.raw;
const pairs = { genuine: [], impostor: [] };
for (let i = 0; i < frames.length; i++)
  for (let j = i + 1; j < frames.length; j++) {
    const a = frames[i],
      b = frames[j];
    pairs[subject(a) === subject(b) ? 'genuine' : 'impostor'].push({
      a,
      b,
      fused: fused(a, b),
      dlib: cosine(dlib[a], dlib[b]),
      mfn: cosine(mfn[a], mfn[b]),
    });
  }
const pct = (n, d) => `${((100 * n) / d).toFixed(1)} % (${n}/${d})`;
console.log(
  `${frames.length} frames of ${new Set(frames.map(subject)).size} people: ${pairs.genuine.length} genuine pairs, ${pairs.impostor.length} impostor pairs\n`,
);
console.log(
  '| score | threshold (from LFW) | LFW false-match rate there | NUAA impostor pairs accepted | NUAA genuine pairs accepted |',
);
console.log('|---|---|---|---|---|');
for (const [far, similarity] of [
  [1e-2, 0.6],
  [1e-3, 0.7],
  [1e-4, 0.8],
]) {
  const t = rawAtFar(far);
  console.log(
    `| shipped fusion (similarityScore ${similarity}) | raw ${t.toFixed(3)} | ${far * 100} % | ${pct(pairs.impostor.filter((p) => p.fused >= t).length, pairs.impostor.length)} | ${pct(pairs.genuine.filter((p) => p.fused >= t).length, pairs.genuine.length)} |`,
  );
}
// Per model, at the raw cosine that gives 0.1 % false matches on LFW (../shared/NOTES.md, pairs_subset).
for (const [name, key, t] of [
  ['dlib ResNet 128-d alone', 'dlib', 0.929],
  ['MobileFaceNet (flip) alone', 'mfn', 0.453],
]) {
  const sorted = pairs.impostor.map((p) => p[key]).sort((x, y) => x - y);
  console.log(
    `| ${name} (impostor median cosine ${sorted[Math.floor(sorted.length / 2)].toFixed(3)}) | cosine ${t} | 0.1 % | ${pct(pairs.impostor.filter((p) => p[key] >= t).length, pairs.impostor.length)} | ${pct(pairs.genuine.filter((p) => p[key] >= t).length, pairs.genuine.length)} |`,
  );
}
// Where a threshold would have to sit for NUAA's impostors to be accepted as rarely as LFW's.
const sortedFused = pairs.impostor.map((p) => p.fused).sort((x, y) => x - y);
const lfwFarAt = (raw) => {
  const pts = calibration.table.points;
  const above = pts.filter((p) => p.raw <= raw);
  return above.length ? above[above.length - 1].far : pts[0].far;
};
for (const rate of [1e-2, 1e-3]) {
  const t = sortedFused[Math.ceil((1 - rate) * sortedFused.length) - 1];
  console.log(
    `\nFor ${rate * 100} % of NUAA impostor pairs: fused raw ≥ ${t.toFixed(3)} (on LFW that raw score is a false-match rate ≤ ${(lfwFarAt(t) * 100).toPrecision(2)} %); NUAA genuine pairs above it: ${pct(pairs.genuine.filter((p) => p.fused >= t).length, pairs.genuine.length)}`,
  );
}
