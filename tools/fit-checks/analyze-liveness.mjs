#!/usr/bin/env node
// Passive-liveness candidates on NUAA (live vs printed photo), split by subject: the threshold is chosen on the
// odd subject ids (BPCER ≤ 5 % there), APCER/BPCER (ISO/IEC 30107-3) reported on the even ones; plus the
// phone-replay frames and the minivision samples at the same threshold.
// Input: tools/out/checks/liveness.json (every candidate) and tools/out/checks/liveness-fasnet.json (FasNet, the
// shipped model, at several crops), from
//   node tools/fit-checks/measure.mjs --list tools/out/checks/liveness.txt --out tools/out/checks/liveness.json
//   node tools/fit-checks/measure.mjs --list tools/out/checks/liveness.txt --liveness fasnet --out tools/out/checks/liveness-fasnet.json
// Usage: node tools/fit-checks/analyze-liveness.mjs
import { fasnetLogOdds as logOdds, livenessRows, nuaaLabels } from './livenessData.mjs';

const d = { rows: livenessRows() };
const labels = nuaaLabels();
const mean8 = (o) => 1 - o.slice(0, 8).reduce((s, v) => s + Math.min(1, Math.max(0, v)), 0) / 8;
const routed = (o) => 1 - o.slice(0, 8).reduce((s, v, i) => s + Math.abs(v) * o[8 + i], 0);
const CANDIDATES = {
  'FasNet (faceplugin fr_liveness.onnx), live log-odds, crop 2.7× box + its mirror image, mean (shipped)': (r) =>
    (logOdds(r.fasnet) + logOdds(r.fasnetMirror)) / 2,
  "FasNet, crop 2.7× box (its package's rule)": (r) => logOdds(r.fasnet),
  'FasNet, crop 2.0× box': (r) => logOdds(r.fasnet20),
  'FasNet, crop 4.0× box': (r) => logOdds(r.fasnet40),
  'expo FaceAntiSpoofing, 1 − mean leaf score, crop 1.3× box (shipped before)': (r) => mean8(r.fas13),
  'expo FaceAntiSpoofing, 1 − mean leaf score, crop 1.0× box': (r) => mean8(r.fas10),
  "expo FaceAntiSpoofing, 1 − routed leaf score (the Android app's rule), 1.3×": (r) => routed(r.fas13),
  'Human antispoof.json (real score), crop 1.0×': (r) => r.hAnti10[0],
  'Human antispoof.json (real score), crop 1.5×': (r) => r.hAnti15[0],
  'Human liveness.json index 0, crop 1.5×': (r) => r.hLive15[0],
  'Human liveness.json index 1, crop 1.5×': (r) => r.hLive15[1],
};
const rows = Object.entries(d.rows).map(([file, r]) => {
  const l = labels.get(file);
  const mini = file.startsWith('antispoof_minivision');
  const label = l ? l.label : mini ? (file.includes('_T') ? 'real' : 'spoof_minivision') : '?';
  const subject = l?.subject ?? '';
  const half = subject ? (Number(subject) % 2 === 1 ? 'choose' : 'report') : 'other';
  return { file, label, subject, half, r };
});
const noFace = rows.filter((x) => !x.r.fas13 || !x.r.fasnet);
const pct = (a, b) => (b ? `${((100 * a) / b).toFixed(1)} % (${a}/${b})` : '–');
const out = [];
out.push(
  `${rows.length} images; no face found in ${noFace.length} (${noFace.map((x) => x.file).join(', ') || 'none'}), counted as rejected attacks / rejected live faces.`,
  '',
);
out.push(
  '| candidate | threshold (odd subjects, BPCER ≤ 5 %) | APCER print, held-out | BPCER, held-out | APCER print, all | BPCER, all | APCER replay (15) | AUC odd (choosing) | AUC held-out |',
  '|---|---|---|---|---|---|---|---|---|',
);
const summary = {};
for (const [name, score] of Object.entries(CANDIDATES)) {
  const s = (x) => (x.r.fas13 && x.r.fasnet ? score(x.r) : -Infinity);
  const liveChoose = rows
    .filter((x) => x.half === 'choose' && x.label === 'real')
    .map(s)
    .sort((a, b) => a - b);
  // Highest threshold that keeps BPCER ≤ 5 % on the choosing subjects: the 5th percentile of their live scores.
  const k = Math.floor(0.05 * liveChoose.length);
  const t = liveChoose[k];
  const evalOn = (filter) => {
    const live = rows.filter((x) => filter(x) && x.label === 'real');
    const print = rows.filter((x) => filter(x) && x.label === 'spoof_print');
    return {
      apcer: [print.filter((x) => s(x) >= t).length, print.length],
      bpcer: [live.filter((x) => s(x) < t).length, live.length],
      live,
      print,
    };
  };
  const held = evalOn((x) => x.half === 'report');
  const all = evalOn((x) => x.half !== 'other');
  const replay = rows.filter((x) => x.label === 'spoof_replay');
  const aucOf = ({ live, print }) => {
    let auc = 0;
    for (const a of live) for (const b of print) auc += s(a) > s(b) ? 1 : s(a) === s(b) ? 0.5 : 0;
    return auc / (live.length * print.length);
  };
  const auc = aucOf(held),
    aucChoose = aucOf(evalOn((x) => x.half === 'choose'));
  out.push(
    `| ${name} | ${t.toFixed(4)} | ${pct(...held.apcer)} | ${pct(...held.bpcer)} | ${pct(...all.apcer)} | ${pct(...all.bpcer)} | ${pct(replay.filter((x) => s(x) >= t).length, replay.length)} | ${aucChoose.toFixed(3)} | ${auc.toFixed(3)} |`,
  );
  summary[name] = {
    t,
    mini: rows
      .filter((x) => x.half === 'other' && x.file.startsWith('antispoof_minivision'))
      .map((x) => `${x.file.split('/')[1]} ${s(x).toFixed(3)} ${s(x) >= t ? 'live' : 'spoof'}`),
  };
}
console.log(out.join('\n'));
console.log('\nminivision samples (T = live, F1 = print, F2 = tablet) at each threshold:');
for (const [name, v] of Object.entries(summary)) console.log(`- ${name}: ${v.mini.join('; ')}`);
