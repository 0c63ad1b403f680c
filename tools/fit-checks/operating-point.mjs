#!/usr/bin/env node
// The single-image liveness threshold: where on the DET curve the whole decision of `detectFaces({ liveness: true })`
// sits. The rule: the anti-spoofing threshold that minimises max(BPCER / 10 %, APCER / 5 %) of the whole decision
// (the targets users were promised: BPCER ≤ 10 % at APCER ≤ 5 %) on the NUAA subjects with odd ids (the fitting
// subjects), the midpoint of the interval that does; reported on the even ids beside the track threshold (the 5th
// percentile of the odd ids' live scores, tools/fit-checks/train-liveness.mjs). Reads the per-image rows of
// decision.mjs, made with a build of the current src/face/checks/livenessThreshold.json:
//   npm run build && node tools/fit-checks/decision.mjs --rows tools/out/liveness-rows.json
//   node tools/fit-checks/operating-point.mjs --rows tools/out/liveness-rows.json [--write]
// The rows hold each face's code and calibrated score σ(raw − threshold), so the raw score is recovered from it. A
// frame refused before the model (geometry, occlusion) stays refused; one refused as EYES_CLOSED stays refused; a
// frame the model refused does not record its eye state, so a frame accepted here below the build's threshold is
// counted as accepted even if its eyes would read closed (the real decision can only accept fewer). Re-run
// decision.mjs on a build with the threshold written to get the decision itself.
import { readFileSync } from 'node:fs';
import { updateLivenessThresholds } from './livenessData.mjs';
import chosen from '../../src/face/checks/livenessThreshold.json' with { type: 'json' };

const i = process.argv.indexOf('--rows');
if (i < 0) throw new Error('usage: operating-point.mjs --rows FILE (from decision.mjs --rows)');
const rows = JSON.parse(readFileSync(process.argv[i + 1], 'utf8')).results.filter(
  (r) => r.file.startsWith('antispoof_nuaa/') && r.label !== 'spoof_replay',
);
const shipped = chosen.threshold; // the threshold the rows were made with

const rawScore = (r) => {
  const s = r.face.score;
  if (s <= 0) return -Infinity;
  if (s >= 1) return Infinity;
  return shipped + Math.log(s / (1 - s));
};
const liveAt = (r, threshold) => {
  if (!r.face) return false;
  const code = r.face.code;
  if (code !== null && code !== 'FACE_NOT_LIVE') return false; // geometry, occlusion, closed eyes: not the model's
  return rawScore(r) >= threshold;
};
function rates(subset, threshold) {
  const live = subset.filter((r) => r.label === 'real');
  const attacks = subset.filter((r) => r.label !== 'real');
  const refused = live.filter((r) => !liveAt(r, threshold)).length;
  const accepted = attacks.filter((r) => liveAt(r, threshold)).length;
  return { bpcer: refused / live.length, apcer: accepted / attacks.length, refused, accepted, live, attacks };
}

const odd = rows.filter((r) => r.subject % 2 === 1);
const even = rows.filter((r) => r.subject % 2 === 0);
// Candidate thresholds: one between each two consecutive distinct raw scores of the odd subjects' faces. The best
// run of consecutive candidates spans an interval of scores (from the score below its first to the score above its
// last); the threshold is that interval's midpoint.
const scores = [...new Set(odd.filter((r) => r.face).map(rawScore))].filter(Number.isFinite).sort((a, b) => a - b);
let best;
let previousCost;
for (let k = 0; k + 1 < scores.length; k++) {
  const r = rates(odd, (scores[k] + scores[k + 1]) / 2);
  const cost = Math.max(r.bpcer / 0.1, r.apcer / 0.05);
  if (!best || cost < best.cost - 1e-12) best = { cost, from: scores[k], to: scores[k + 1] };
  else if (Math.abs(cost - best.cost) <= 1e-12 && previousCost === cost && best.to === scores[k])
    best.to = scores[k + 1];
  previousCost = cost;
}
const minimax = (best.from + best.to) / 2;

const pct = (x) => `${(100 * x).toFixed(1)} %`;
const row = (name, t) => {
  const o = rates(odd, t);
  const e = rates(even, t);
  return `| ${name} | ${t.toFixed(3)} | ${pct(o.bpcer)} (${o.refused}/${o.live.length}) | ${pct(o.apcer)} (${o.accepted}/${o.attacks.length}) | ${pct(e.bpcer)} (${e.refused}/${e.live.length}) | ${pct(e.apcer)} (${e.accepted}/${e.attacks.length}) |`;
};
console.log(
  [
    '| threshold rule | threshold | BPCER odd (fitting) | APCER odd | BPCER even (held out) | APCER even |',
    '|---|---:|---:|---:|---:|---:|',
    row(
      '5th percentile of the odd ids’ live scores (the model alone at BPCER 5 %; the track threshold)',
      chosen.trackThreshold,
    ),
    row(
      `minimax of max(BPCER / 10 %, APCER / 5 %) of the decision on the odd ids (interval ${best.from.toFixed(3)} … ${best.to.toFixed(3)}, its midpoint)`,
      minimax,
    ),
  ].join('\n'),
);
if (process.argv.includes('--write')) {
  updateLivenessThresholds({
    threshold: +minimax.toPrecision(6),
    chosenOn:
      'NUAA subjects with odd ids: the threshold minimising max(BPCER / 10 %, APCER / 5 %) of the whole single-image decision (the midpoint of the interval that does)',
    generatedBy: 'tools/fit-checks/operating-point.mjs',
  });
}
