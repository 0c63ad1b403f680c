#!/usr/bin/env node
// A liveness head (L2 logistic regression) over features LocalFace already computes per face: the 16 outputs of
// FaceAntiSpoofing.tflite at two crops, quality statistics and region colour statistics. Trained on NUAA's odd
// subject ids; the threshold is the 5 % BPCER point of leave-one-subject-out scores on those same subjects;
// APCER/BPCER reported on the even subject ids (never seen), the phone replays and the minivision samples.
// Usage: node tools/fit-checks/train-liveness.mjs [--features fas|fas+q|fas+q+regions|...] [--write]
import { regionFeatures } from './regions.mjs';
import { fasnetLogOdds, livenessRows, nuaaLabels, updateLivenessThresholds } from './livenessData.mjs';

const args = process.argv.slice(2);
const d = { rows: livenessRows() };
const labels = nuaaLabels();
const rows = Object.entries(d.rows)
  .filter(([, r]) => r.fas13 && r.fasnet)
  .map(([file, r]) => {
    const l = labels.get(file) ?? { label: file.includes('_T') ? 'real' : 'spoof_minivision', subject: '' };
    return { file, r, label: l.label, subject: l.subject, y: l.label === 'real' ? 1 : 0 };
  });
const clip = (v) => Math.min(1.5, Math.max(-0.5, v));
const FEATURES = {
  fas: (r) => [...r.fas13.slice(0, 8), ...r.fas10.slice(0, 8)].map(clip),
  'fas+q': (r) => [
    ...FEATURES.fas(r),
    Math.log(r.quality.lapVar + 1),
    Math.log(r.quality.grad + 1),
    r.quality.mean / 255,
    r.quality.std / 255,
    r.quality.chroma / 255,
    r.quality.sat,
  ],
  'fas+q+regions': (r) => [...FEATURES['fas+q'](r), ...regionFeatures(r.thumb)],
  regions: (r) => regionFeatures(r.thumb),
  'fas13+q': (r) => [...r.fas13.slice(0, 8).map(clip), ...FEATURES['fas+q'](r).slice(16)],
  q: (r) => FEATURES['fas+q'](r).slice(16),
  fasnet: (r) => [fasnetLogOdds(r.fasnet)],
  'fasnet-mirrored': (r) => [(fasnetLogOdds(r.fasnet) + fasnetLogOdds(r.fasnetMirror)) / 2],
  'fasnet-2.0': (r) => [fasnetLogOdds(r.fasnet20)],
  'fasnet-4.0': (r) => [fasnetLogOdds(r.fasnet40)],
  'fasnet-2.7+4.0': (r) => [(fasnetLogOdds(r.fasnet) + fasnetLogOdds(r.fasnet40)) / 2],
  'fasnet+q': (r) => [fasnetLogOdds(r.fasnet), ...FEATURES.q(r)],
  'fasnet+fas13+q': (r) => [fasnetLogOdds(r.fasnet), ...FEATURES['fas13+q'](r)],
  'fasnet+fas13': (r) => [fasnetLogOdds(r.fasnet), ...r.fas13.slice(0, 8).map(clip)],
  'q+regions': (r) => [...FEATURES['fas+q'](r).slice(16), ...regionFeatures(r.thumb)],
};
const kind = args.includes('--features') ? args[args.indexOf('--features') + 1] : 'fas+q';
const lambda = args.includes('--lambda') ? Number(args[args.indexOf('--lambda') + 1]) : 0.03;
const feat = FEATURES[kind];
/** Single model scores (fasnet, fasnet-mirrored, …) need no training: the score is the model's live log-odds. */
const untrained = kind.startsWith('fasnet') && !kind.includes('+');

function fit(set) {
  if (untrained) return null;
  const X = set.map((v) => feat(v.r)),
    y = set.map((v) => v.y);
  const dim = X[0].length,
    n = X.length;
  const mu = Array.from({ length: dim }, (_, j) => X.reduce((s, x) => s + x[j], 0) / n);
  const sd = Array.from({ length: dim }, (_, j) => Math.sqrt(X.reduce((s, x) => s + (x[j] - mu[j]) ** 2, 0) / n) || 1);
  const Z = X.map((x) => x.map((v, j) => (v - mu[j]) / sd[j]));
  const pos = y.filter((v) => v).length,
    wPos = n / (2 * pos),
    wNeg = n / (2 * (n - pos));
  const w = new Float64Array(dim);
  let b = 0;
  for (let e = 0; e < 800; e++) {
    const g = new Float64Array(dim);
    let gb = 0;
    for (let i = 0; i < n; i++) {
      let z = b;
      for (let j = 0; j < dim; j++) z += w[j] * Z[i][j];
      const err = (1 / (1 + Math.exp(-z)) - y[i]) * (y[i] ? wPos : wNeg);
      for (let j = 0; j < dim; j++) g[j] += err * Z[i][j];
      gb += err;
    }
    for (let j = 0; j < dim; j++) w[j] -= 0.5 * (g[j] / n + lambda * w[j]);
    b -= (0.5 * gb) / n;
  }
  const wx = Array.from(w, (wj, j) => wj / sd[j]);
  return { w: wx, b: b - wx.reduce((s, wj, j) => s + wj * mu[j], 0) };
}
const score = (h, r) =>
  h === null ? feat(r)[0] : 1 / (1 + Math.exp(-(h.b + h.w.reduce((s, wj, j) => s + wj * feat(r)[j], 0))));

const odd = rows.filter((x) => x.subject && Number(x.subject) % 2 === 1 && x.label !== 'spoof_replay');
const even = rows.filter((x) => x.subject && Number(x.subject) % 2 === 0 && x.label !== 'spoof_replay');
// Leave-one-subject-out scores on the odd subjects → threshold at BPCER 5 %.
const oof = [];
for (const s of [...new Set(odd.map((x) => x.subject))]) {
  const h = fit(odd.filter((x) => x.subject !== s));
  for (const x of odd.filter((x) => x.subject === s)) oof.push({ ...x, p: score(h, x.r) });
}
const liveOof = oof
  .filter((x) => x.y)
  .map((x) => x.p)
  .sort((a, b) => a - b);
const t = liveOof[Math.floor(0.05 * liveOof.length)];
const head = fit(odd);
const pct = (a, b) => `${((100 * a) / b).toFixed(1)} % (${a}/${b})`;
const rate = (set, live) =>
  live
    ? pct(set.filter((x) => x.y && score(head, x.r) < t).length, set.filter((x) => x.y).length)
    : pct(set.filter((x) => !x.y && score(head, x.r) >= t).length, set.filter((x) => !x.y).length);
const oofApcer = pct(oof.filter((x) => !x.y && x.p >= t).length, oof.filter((x) => !x.y).length);
const replay = rows.filter((x) => x.label === 'spoof_replay');
let auc = 0;
const L = even.filter((x) => x.y),
  S = even.filter((x) => !x.y);
for (const a of L) for (const b of S) auc += score(head, a.r) > score(head, b.r) ? 1 : 0;
auc /= L.length * S.length;
// The same on the odd subjects' leave-one-subject-out scores: what a choice among features may look at.
let oofAuc = 0;
const oL = oof.filter((x) => x.y),
  oS = oof.filter((x) => !x.y);
for (const a of oL) for (const b of oS) oofAuc += a.p > b.p ? 1 : 0;
oofAuc /= oL.length * oS.length;
console.log(
  `| ${kind}${untrained ? ' (model score, no training)' : ` (λ ${lambda})`} | ${t.toFixed(4)} | ${oofApcer} | ${oofAuc.toFixed(3)} | ${rate(even, false)} | ${rate(even, true)} | ${pct(replay.filter((x) => score(head, x.r) >= t).length, replay.length)} | ${auc.toFixed(3)} | ${rows
    .filter((x) => !x.subject && x.label !== 'spoof_replay')
    .map((x) => `${x.file.split('/')[1].replace('.jpg', '')} ${score(head, x.r) >= t ? 'live' : 'spoof'}`)
    .join(', ')} |`,
);
if (args.includes('--write')) {
  if (!untrained)
    throw new Error(
      '--write ships a model score only (src/face/checks/liveness.ts compares FasNet log-odds with the threshold)',
    );
  // The track threshold; the single-image one is chosen from the whole decision by operating-point.mjs.
  updateLivenessThresholds({
    score: kind,
    trackThreshold: +t.toPrecision(6),
    trackChosenOn: 'NUAA subjects with odd ids: the 5th percentile of their live scores (BPCER 5 %)',
    trackGeneratedBy: 'tools/fit-checks/train-liveness.mjs',
  });
}
