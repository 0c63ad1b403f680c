#!/usr/bin/env node
// Reporting only: how often the shipped attribute heads (src/face/checks/attributeHeads.json) and, for comparison, the
// heads of a git revision flag the plain faces of ../shared/data/xdomain (CASIA webcam frames, London studio photos).
// Nothing here is fitted or chosen on xdomain.
//   node tools/fit-checks/measure.mjs --list tools/out/checks/xdomain.txt --liveness 0 --out tools/out/checks/xdomain.json
//   node tools/fit-checks/report-attributes-xdomain.mjs [--before <git revision>]
// or, for heads that read FasNet's activations: measure.mjs … --deep 1 --out tools/out/checks/xdomain-deep.json and
//   XDOMAIN_JSON=tools/out/checks/xdomain-deep.json node tools/fit-checks/report-attributes-xdomain.mjs …
// (xdomain.txt: every .jpg under xdomain/, paths relative to the data folder.)
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { headFeatures, regionFeatures } from './regions.mjs';
import { FASNET_BLOCKS } from './fasnetFeatures.mjs';

const arg = (name) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
};
// XDOMAIN_JSON: measure.mjs rows with thumb (and head, emb or FasNet activations for heads that read them), e.g. of
// --deep 1 (thumbnail, head crop and FasNet activations).
const rows = Object.entries(
  JSON.parse(readFileSync(process.env.XDOMAIN_JSON ?? 'tools/out/checks/xdomain.json', 'utf8')).rows,
).filter(([, r]) => r.thumb);
const models = { shipped: JSON.parse(readFileSync('src/face/checks/attributeHeads.json', 'utf8')) };
const before = arg('before');
if (before)
  models[`at ${before}`] = JSON.parse(
    execFileSync('git', ['show', `${before}:src/face/checks/attributeHeads.json`], { encoding: 'utf8' }),
  );
function features(kind, r) {
  const f = [...regionFeatures(r.thumb)];
  if (kind.includes('emb')) f.push(...r.emb);
  if (kind.includes('+head')) f.push(...headFeatures(r.head));
  if (kind.includes('+mfnhead')) f.push(...r.mfnHead);
  if (kind.includes('+cnhead')) f.push(...r.cnHead);
  const fas = kind.match(/\+(fas\w+)$/)?.[1];
  if (fas) f.push(...FASNET_BLOCKS[fas](r));
  return f;
}
const p = (h, x) => 1 / (1 + Math.exp(-(h.b + h.w.reduce((s, w, j) => s + w * x[j], 0))));
const pct = (a, b) => `${a}/${b} (${((100 * a) / b).toFixed(1)} %)`;
console.log(
  '| heads | source | faces | mask | sunglasses | hat | veil | occluded for liveness (mask or sunglasses ≥ T) |',
);
console.log('|---|---|---:|---:|---:|---:|---:|---:|');
for (const [name, m] of Object.entries(models))
  for (const source of ['casia_facev5', 'london_set']) {
    const list = rows.filter(([f]) => f.includes(`/${source}/`));
    const scores = list.map(([, r]) => {
      const x = features(m.features, r);
      return Object.fromEntries(Object.entries(m.heads).map(([k, h]) => [k, p(h, x)]));
    });
    const n = (pick) => scores.filter(pick).length;
    console.log(
      `| ${name} | ${source} | ${list.length} | ${['mask', 'sunglasses', 'hat', 'veil']
        .map((k) =>
          pct(
            n((s) => s[k] >= 0.5),
            list.length,
          ),
        )
        .join(' | ')} | ${pct(
        n((s) => Math.max(s.mask, s.sunglasses) >= m.livenessOccludedThreshold),
        list.length,
      )} (T ${m.livenessOccludedThreshold}) |`,
    );
  }
