#!/usr/bin/env node
// Draws the DET curves (false non-match rate against false match rate, both log scale) that study.ts wrote with
// --det (or snorm.ts with --det): one curve per domain for the shipped matcher (solid) and, dashed, the one it
// replaced; snorm.ts's file also marks where similarityScore 0.7 lands on each curve.
// Usage: node tools/domain-study/det-svg.mjs tools/out/det.json > docs/det-per-domain.svg
import { readFileSync } from 'node:fs';

const data = JSON.parse(readFileSync(process.argv[2] ?? 'tools/out/det.json', 'utf8'));
const W = 640,
  H = 440,
  L = 60,
  R = 180,
  T = 20,
  B = 50;
const x = (fmr) => L + ((Math.log10(fmr) + 6) / 6) * (W - L - R);
const y = (fnmr) => T + (-Math.log10(Math.max(fnmr, 1e-4)) / 4) * (H - T - B);
const colours = {
  'LFW held-out half': '#1f77b4',
  'LFW fit half': '#aec7e8',
  'NUAA odd ids': '#ffbb78',
  'NUAA even ids': '#ff7f0e',
  xdomain: '#d62728',
};
const parts = [
  `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="11">`,
  `<rect width="${W}" height="${H}" fill="white"/>`,
];
for (let e = -6; e <= 0; e++)
  parts.push(
    `<line x1="${x(10 ** e)}" y1="${T}" x2="${x(10 ** e)}" y2="${H - B}" stroke="#ddd"/><text x="${x(10 ** e)}" y="${H - B + 14}" text-anchor="middle">1e${e}</text>`,
  );
for (let e = -4; e <= 0; e++)
  parts.push(
    `<line x1="${L}" y1="${y(10 ** e)}" x2="${W - R}" y2="${y(10 ** e)}" stroke="#ddd"/><text x="${L - 4}" y="${y(10 ** e) + 4}" text-anchor="end">${e === 0 ? '1' : `1e${e}`}</text>`,
  );
parts.push(`<line x1="${x(1e-3)}" y1="${T}" x2="${x(1e-3)}" y2="${H - B}" stroke="#888" stroke-dasharray="2,2"/>`);
parts.push(
  `<text x="${(L + W - R) / 2}" y="${H - 12}" text-anchor="middle">false match rate (different-person pairs scoring above the threshold)</text>`,
);
parts.push(
  `<text transform="translate(14 ${(T + H - B) / 2}) rotate(-90)" text-anchor="middle">false non-match rate</text>`,
);
let ly = T + 10;
for (const [which, dash] of [
  ['after', ''],
  ['before', '4,3'],
]) {
  for (const [domain, entry] of Object.entries(data[which] ?? {})) {
    const c = colours[domain] ?? '#000';
    // study.ts writes a curve per domain; snorm.ts writes { curve, at07 } with where 0.7 lands.
    const pts = Array.isArray(entry) ? entry : entry.curve;
    if (!Array.isArray(entry) && entry.at07[0] > 0)
      parts.push(
        `<circle cx="${x(entry.at07[0]).toFixed(1)}" cy="${y(entry.at07[1]).toFixed(1)}" r="${which === 'after' ? 4 : 3}" fill="${which === 'after' ? c : 'white'}" stroke="${c}"/>`,
      );
    const d = pts
      .filter(([f]) => f >= 1e-6)
      .map(([f, n], i) => `${i ? 'L' : 'M'}${x(f).toFixed(1)},${y(n).toFixed(1)}`)
      .join('');
    parts.push(
      `<path d="${d}" fill="none" stroke="${c}" stroke-width="${which === 'after' ? 2 : 1}" ${dash ? `stroke-dasharray="${dash}"` : ''}/>`,
    );
    if (which === 'after') {
      parts.push(
        `<line x1="${W - R + 10}" y1="${ly}" x2="${W - R + 30}" y2="${ly}" stroke="${c}" stroke-width="2"/><text x="${W - R + 34}" y="${ly + 4}">${domain}</text>`,
      );
      ly += 16;
    }
  }
}
parts.push(
  `<text x="${W - R + 10}" y="${ly + 8}">solid: ${data.chosen}</text><text x="${W - R + 10}" y="${ly + 22}">dashed: before</text>`,
  data.after && !Array.isArray(Object.values(data.after)[0])
    ? `<text x="${W - R + 10}" y="${ly + 36}">dots: where 0.7 lands</text>`
    : '',
);
parts.push('</svg>');
console.log(parts.join('\n'));
