#!/usr/bin/env node
// EYES_CLOSED: how often the eye-state model (src/face/checks/eyeState.ts) reads BOTH eyes as closed, per threshold, on
// faces whose eyes are open (plain LFW photos, live NUAA webcam frames), on portraits from other sources, and on the
// few photos known to show closed or downcast eyes. Reads rows measured by tools/fit-checks/measure.mjs (`eyeClosed`:
// closed probability of the right and left eye):
//   node tools/fit-checks/measure.mjs --list tools/out/checks/liveness.txt --liveness fasnet --out tools/out/checks/liveness-fasnet.json
//   node tools/fit-checks/measure.mjs --list tools/out/checks/attributes.txt --liveness 0 --out tools/out/checks/attributes-eyes.json
//   node tools/fit-checks/measure.mjs --list tools/out/checks/bonafide.txt --liveness fasnet --out tools/out/checks/bonafide.json
// Usage: node tools/fit-checks/analyze-eyes.mjs [--list]   (--list prints every face read as closed at the shipped threshold)
import { readFileSync } from 'node:fs';

// The shipped threshold (src/face/checks/liveness.ts). A stricter one (0.999: ≤ 2.5 % of odd-id live frames and
// ≤ 0.5 % of plain LFW flagged) would no longer find the closed-eyes portraits nor any LFW photo tagged closed/downcast.
const SHIPPED = 0.99;
const THRESHOLDS = [0.5, 0.9, 0.99, 0.995, 0.999, 0.9995, 0.9999];
const read = (f) => JSON.parse(readFileSync(`tools/out/checks/${f}`, 'utf8')).rows;
const tags = {};
for (const line of readFileSync(`${process.env.SHARED_DATA ?? '../shared/data'}/lfw/helper_visual_tags.csv`, 'utf8')
  .trim()
  .split('\n')
  .slice(1)) {
  const [file, tag] = line.split(',');
  (tags[`lfw/${file}`] ??= []).push(tag);
}
const subjectOf = (f) => Number(f.split('/')[2]);
const nuaa = Object.entries(read('liveness-fasnet.json'));
const lfw = Object.entries(read('attributes-eyes.json')).filter(([f]) => f.startsWith('lfw/'));
const other = Object.entries(read('bonafide.json'));
const sets = {
  'plain LFW photos (eyes open)': lfw.filter(([f]) => !tags[f]),
  'live NUAA webcam frames, odd subject ids (fit)': nuaa.filter(
    ([f]) => f.includes('/real/') && subjectOf(f) % 2 === 1,
  ),
  'live NUAA webcam frames, even subject ids (held out)': nuaa.filter(
    ([f]) => f.includes('/real/') && subjectOf(f) % 2 === 0,
  ),
  'printed NUAA photos': nuaa.filter(([f]) => f.includes('/spoof_print/')),
  'portraits (human_samples, deepface_tests)': other,
  'LFW tagged "eyes closed or downcast"': lfw.filter(([f]) => (tags[f] ?? []).includes('eyes_closed_or_downcast')),
};
const bothClosed = (r) => Math.min(...r.eyeClosed);
const thresholds = THRESHOLDS.filter((t) => t >= 0.9);
console.log(`| faces | ${thresholds.map((t) => `both eyes ≥ ${t}${t === SHIPPED ? ' (shipped)' : ''}`).join(' | ')} |`);
console.log(`|---|${thresholds.map(() => '---:').join('|')}|`);
for (const [name, rows] of Object.entries(sets)) {
  const measured = rows.filter(([, r]) => r.eyeClosed);
  console.log(
    `| ${name} | ${thresholds
      .map((t) => {
        const n = measured.filter(([, r]) => bothClosed(r) >= t).length;
        return `${n}/${measured.length} (${((100 * n) / measured.length).toFixed(1)} %)`;
      })
      .join(' | ')} |`,
  );
}
if (process.argv.includes('--list')) {
  for (const [name, rows] of Object.entries(sets))
    for (const [f, r] of rows)
      if (r.eyeClosed && bothClosed(r) >= SHIPPED)
        console.log(`${name}: ${f} ${r.eyeClosed.map((v) => v.toFixed(4)).join(' ')}`);
}
