#!/usr/bin/env node
// Chooses the quality thresholds on half of the LFW identities and reports pass/fail rates on the other half.
// Input: tools/out/checks/quality.json from
//   node tools/fit-checks/measure.mjs --list tools/out/checks/quality.txt --kinds none,dark,blur3,blur2,gray --features 0 --out tools/out/checks/quality.json
// Usage: node tools/fit-checks/analyze-quality.mjs [FILE]   → markdown on stdout.
import { readFileSync } from 'node:fs';

const d = JSON.parse(readFileSync(process.argv[2] ?? 'tools/out/checks/quality.json', 'utf8'));
const rows = Object.entries(d.rows)
  .map(([k, r]) => ({ image: k.split('#')[0], kind: k.split('#')[1], ...r }))
  .filter((r) => r.q);
const images = [...new Set(rows.map((r) => r.image))].sort();
const choose = new Set(images.filter((_, i) => i % 2 === 0)); // one image per identity: even = choose, odd = report
const stat = { blur: 'sharpness', dark: 'medianLuma', grayscale: 'chroma' };
const degraded = { blur: 'blur3', dark: 'dark', grayscale: 'gray' };
const thresholds = {};
const lines = [];
lines.push(
  '| score | statistic | lowest normal (choose half) | highest degraded (choose half) | threshold |',
  '|---|---|---|---|---|',
);
for (const [score, s] of Object.entries(stat)) {
  const normal = rows
    .filter((r) => choose.has(r.image) && r.kind === 'none')
    .map((r) => r.q[s])
    .sort((a, b) => a - b);
  const bad = rows
    .filter((r) => choose.has(r.image) && r.kind === degraded[score])
    .map((r) => r.q[s])
    .sort((a, b) => a - b);
  // Minimise errors on the choose half (normal failing + degraded passing), ties → midpoint of the gap (log scale).
  const candidates = [...new Set([...normal, ...bad])].sort((a, b) => a - b);
  let best = { t: 0, errors: Infinity };
  for (let i = 0; i < candidates.length - 1; i++) {
    // Floor 1 for chroma: JPEG leaves ~1 level of chroma noise in black-and-white photos.
    const t = Math.sqrt(Math.max(candidates[i], s === 'chroma' ? 1 : 1e-3) * candidates[i + 1]);
    const errors = normal.filter((v) => v < t).length + bad.filter((v) => v >= t).length;
    if (errors < best.errors) best = { t, errors };
  }
  thresholds[score] = +best.t.toPrecision(2);
  lines.push(
    `| ${score} | ${s} | ${normal[0].toFixed(3)} | ${bad.at(-1).toFixed(3)} | ${thresholds[score]} (${best.errors} errors of ${normal.length + bad.length}) |`,
  );
}
const ok = (r) =>
  r.q.sharpness >= thresholds.blur && r.q.medianLuma >= thresholds.dark && r.q.chroma >= thresholds.grayscale;
lines.push(
  '',
  `Held-out half (${images.length - choose.size} LFW identities, one image each), with these thresholds:`,
  '',
  '| copy | faces found | quality.ok = false | which score fails |',
  '|---|---|---|---|',
);
for (const kind of ['none', 'dark', 'blur3', 'blur2', 'gray']) {
  const rs = rows.filter((r) => !choose.has(r.image) && r.kind === kind);
  const fails = rs.filter((r) => !ok(r));
  const which = Object.entries(stat)
    .map(([k, s]) => `${k} ${rs.filter((r) => r.q[s] < thresholds[k]).length}`)
    .join(', ');
  lines.push(
    `| ${kind} | ${rs.filter((r) => r.foundOnVariant).length}/${rs.length} | ${fails.length}/${rs.length} (${((100 * fails.length) / rs.length).toFixed(1)} %) | ${which} |`,
  );
}
console.log(lines.join('\n'));
console.log(`\nthresholds: ${JSON.stringify(thresholds)}`);
