#!/usr/bin/env node
// Draws the shipped calibration (src/face/similarity/calibration.json) as an SVG: fused raw score → similarityScore,
// with the measured false-match rate at each table point. Usage: node tools/fit-calibration/calibration-svg.mjs > docs/calibration.svg
import { readFileSync } from 'node:fs';

const config = JSON.parse(readFileSync(new URL('../../src/face/similarity/calibration.json', import.meta.url), 'utf8'));
const points = config.table.points;
const W = 640,
  H = 400,
  M = { l: 60, r: 20, t: 30, b: 50 };
const rawMin = Math.min(0, points[0].raw),
  rawMax = points.at(-1).raw + 0.3;
const x = (raw) => M.l + ((raw - rawMin) / (rawMax - rawMin)) * (W - M.l - M.r);
const y = (q) => H - M.b - q * (H - M.t - M.b);
const q = (far) => Math.min(1, Math.max(0, (4 - Math.log10(far)) / 10));
const path = points.map((p, i) => `${i ? 'L' : 'M'}${x(p.raw).toFixed(1)},${y(q(p.far)).toFixed(1)}`).join(' ');
const ticks = [0, 0.2, 0.4, 0.6, 0.7, 0.8, 1]
  .map(
    (v) =>
      `<line x1="${M.l}" x2="${W - M.r}" y1="${y(v)}" y2="${y(v)}" stroke="${v === 0.7 ? '#c00' : '#ddd'}"/><text x="${M.l - 8}" y="${y(v) + 4}" text-anchor="end" font-size="11">${v}</text>`,
  )
  .join('');
const rawTicks = [];
for (let r = Math.ceil(rawMin); r <= rawMax; r += 1)
  rawTicks.push(`<text x="${x(r)}" y="${H - M.b + 16}" text-anchor="middle" font-size="11">${r}</text>`);
const dots = points
  .map(
    (p) =>
      `<circle cx="${x(p.raw).toFixed(1)}" cy="${y(q(p.far)).toFixed(1)}" r="3" fill="#1f77b4"><title>raw ${p.raw.toFixed(3)}: FAR ${p.far.toExponential(2)}${p.tmr !== undefined ? `, TMR ${(p.tmr * 100).toFixed(1)} %` : ''}</title></circle>`,
  )
  .join('');
console.log(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif">
<rect width="100%" height="100%" fill="white"/>
<text x="${W / 2}" y="18" text-anchor="middle" font-size="13">LocalFace calibration of ${config.table.model}</text>
${ticks}${rawTicks.join('')}
<path d="${path}" fill="none" stroke="#1f77b4" stroke-width="2"/>${dots}
<text x="${W / 2}" y="${H - 12}" text-anchor="middle" font-size="12">fused raw score (mean of z-normalised cosines)</text>
<text x="14" y="${H / 2}" transform="rotate(-90 14 ${H / 2})" text-anchor="middle" font-size="12">similarityScore = 0.4 − 0.1·log10(FAR)</text>
<text x="${M.l + 6}" y="${y(0.7) - 5}" text-anchor="start" font-size="11" fill="#c00">0.7 = FAR 0.1 % on LFW different-person pairs</text>
</svg>`);
