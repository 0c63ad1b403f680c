// Markdown and SVG from the JSON that `npm run bench -- <task> --json FILE` writes. Used by bench/run.mjs for the
// stdout summary of each task and by `npm run bench -- report --json A.json [--json B.json …]`, which writes
// bench/results/peers.md (a section for BENCHMARKS.md) and docs/roc-lfw.svg.

const LABELS = {
  localface: 'LocalFace',
  faceapi: 'face-api (@vladmandic/face-api)',
  human: 'Human (@vladmandic/human)',
  'human-cosine': 'Human, cosine (secondary)',
};
export const label = (name) => LABELS[name] ?? name;
const SHORT = { localface: 'LocalFace', faceapi: 'face-api', human: 'Human', 'human-cosine': 'Human (cosine)' };
const COLORS = { localface: '#1b7f3b', faceapi: '#c0392b', human: '#2960b0', 'human-cosine': '#2960b0' };

const pct = (x, d = 2) => (x == null || Number.isNaN(x) ? '—' : `${(100 * x).toFixed(d)} %`);
const ms = (x) => (x == null || Number.isNaN(x) ? '—' : x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));
const num = (x) => x.toLocaleString('en-US');

export function machineText(m) {
  if (!m) return '';
  const others = m.load && Number.isFinite(m.load.othersMeanCores) ? `; other processes used ${m.load.othersMeanCores.toFixed(2)} cores on average (max ${m.load.othersMaxCores.toFixed(2)} over 5 s)` : '';
  const load = m.load ? ` Load average (1 min, includes this run) at start ${m.load.start.toFixed(2)}, end ${m.load.end.toFixed(2)}, max ${m.load.max.toFixed(2)} on ${m.cores} cores${others}${m.load.busy ? ' — **the machine was busy: timings are under load**' : ' — quiet'}.` : '';
  return `Machine: ${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB, no GPU (WebGL = ${m.webglRenderer ?? 'SwiftShader'}); ${m.os}; Node ${m.node}; ${m.browser} headless.${load}`;
}

function selectionText(select) {
  return select === 'center'
    ? 'Face used per image: the detected face nearest the image centre (LFW convention), the same rule for every pipeline.'
    : 'Face used per image: the largest detected face, the same rule for every pipeline.';
}

export function accuracyMarkdown(r) {
  const out = [];
  out.push(`### Verification: ${r.dataset.name} (${num(r.dataset.pairs)} pairs${r.dataset.folds > 1 ? `, ${r.dataset.folds} folds` : ''}, ${num(r.dataset.images)} images)`);
  out.push('');
  if (r.dataset.limited) out.push(`**Quick run (--limit ${r.options.limit}): not a benchmark result.**\n`);
  out.push('| pipeline | accuracy | AUC | TMR @ FMR 1 % | TMR @ FMR 0.1 % | default threshold | TMR @ default | FMR @ default | no face found | accuracy, pairs with both faces found | ms / image |');
  out.push('|---|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|');
  for (const p of r.pipelines) {
    const acc = `${pct(p.accuracy)}${p.accuracyStd != null ? ` ± ${pct(p.accuracyStd)}` : ''}`;
    out.push(`| ${label(p.name)} | ${acc} | ${p.auc.toFixed(4)} | ${pct(p.tmrAtFmr1e2)} | ${pct(p.tmrAtFmr1e3)} | ${p.defaultRule} | ${pct(p.tmrAt07)} | ${pct(p.fmrAt07, 3)} | ${p.detectFailures} / ${p.images} | ${pct(p.accuracyFacesFound)} (${num(p.pairsFacesFound ?? 0)} pairs) | ${ms(p.msPerImage)} |`);
  }
  out.push('');
  const first = r.pipelines[0];
  out.push(`- Accuracy: ${first?.accuracyProtocol ?? ''}. AUC over the file's ${num(first?.genuinePairs ?? 0)} same-person and ${num((first?.pairs ?? 0) - (first?.genuinePairs ?? 0))} different-person pairs.`);
  out.push(`- TMR @ FMR: same-person pairs of the file against ALL cross-person pairs of its images that have a face (${r.pipelines.map((p) => `${label(p.name)} ${num(p.impostorPairs)}`).join(', ')}); the file's ${num((first?.pairs ?? 0) - (first?.genuinePairs ?? 0))} different-person pairs alone cannot resolve 0.1 %. FMR @ default is over the same cross-person pairs.`);
  if (r.pipelines.some((p) => p.impostorStride > 1)) out.push(`- Cross-person pairs subsampled evenly (1 in ${Math.max(...r.pipelines.map((p) => p.impostorStride ?? 1))}) to stay under --max-impostors.`);
  out.push('- A pair with an image where no face was found is a non-match at every threshold (it lowers TMR, never raises FMR), as for a user whose photo is rejected; the next-to-last column leaves those pairs out (the embedder alone, on its own detector\'s faces).');
  out.push(`- ${selectionText(r.options.select)}`);
  const cached = / --cache /.test(r.command ?? '');
  out.push(`- ms / image: median of decode + detect + embed (backend ${[...new Set(r.pipelines.map((p) => p.backend).filter(Boolean))].join('/')})${cached ? ', from the --cache run(s) that embedded the images, not from this run (the machine line below is about this run)' : ' in this run'}; the speed task has the clean timings.`);
  for (const p of r.pipelines) if (p.config) out.push(`- ${label(p.name)}: ${p.library}; ${p.config}.`);
  if (r.pipelines.some((p) => p.name === 'localface')) {
    out.push("- LocalFace's fusion and its calibration (what 0.7 means) were built on LFW's pairs_subset cross-person pairs: on that data its FMR @ default is in-sample by construction (BENCHMARKS.md has the held-out check); accuracy, AUC and TMR @ FMR do not depend on the calibration.");
  }
  if (r.checks?.length) for (const c of r.checks) out.push(`- ${c}`);
  if (r.targets) out.push('', ...targetLines(r.targets));
  out.push('', machineText(r.machine));
  return out.join('\n');
}

export function identifyMarkdown(r) {
  const out = [];
  out.push(`### 1:N identification: ${r.dataset.name} (gallery ${num(r.dataset.galleryPersons)} persons with ≥ ${r.dataset.minPhotos} photos, ${r.dataset.enroll ?? 1} enrolled photo(s) each; ${num(r.dataset.matedProbes)} probes of them; ${num(r.dataset.strangerProbes)} one-photo strangers)`);
  out.push('');
  if (r.dataset.limited) out.push(`**Quick run (--limit ${r.options.limit}): not a benchmark result.**\n`);
  out.push('| pipeline | rank-1 | FNIR @ FPIR 1 % | default threshold | strangers matched @ default | probes missed @ default (FNIR) | enroll / probe images without a face |');
  out.push('|---|---:|---:|---|---:|---:|---:|');
  for (const p of r.pipelines) {
    out.push(`| ${label(p.name)} | ${pct(p.rank1)} | ${pct(p.fnirAtFpir1e2)} | ${p.defaultRule} | ${pct(p.strangersMatchedAtDefault)} | ${pct(p.fnirAtDefault)} | ${p.enrollFailures} / ${p.probeDetectFailures} |`);
  }
  out.push('');
  out.push('- Each probe is searched against the whole gallery; the best match is the library\'s own ranking (LocalFace: highest fused score; face-api FaceMatcher and Human match.find: lowest distance).');
  out.push('- rank-1: share of probes of enrolled persons whose best match is their own person. FNIR @ FPIR 1 %: the threshold lets 1 % of strangers\' best matches through; FNIR = share of those probes not returned as their own person above it. A photo without a face is a miss.');
  out.push(`- strangers matched @ default: share of strangers whose best match passes the library's default (1:1) threshold. A stranger is compared with every one of the ${num(r.dataset.galleryPersons)} persons, so even a 1:1 false-match rate of 0.1 % (LocalFace's 0.7) gives about 1 − 0.999^${r.dataset.galleryPersons} ≈ ${pct(1 - 0.999 ** r.dataset.galleryPersons, 0)} here: open-set search needs a stricter threshold than 1:1 verification.`);
  out.push(`- ${selectionText(r.options.select)}`);
  if (r.source) out.push(`- ${r.source}`);
  out.push('', machineText(r.machine));
  return out.join('\n');
}

export function speedMarkdown(r) {
  const out = [];
  out.push(`### Speed: ${r.dataset.name} (${r.dataset.images} images, ${r.dataset.size})`);
  out.push('');
  const busyPhases = (r.phases ?? []).filter((ph) => ph.busy);
  if (r.phases?.length) {
    if (busyPhases.length) out.push(`**Other processes were busy during the ${busyPhases.map((ph) => ph.backend.toUpperCase()).join(' and ')} measurements (see below): those rows are indicative only.**\n`);
  } else if (r.machine?.load?.busy) out.push('**Measured while the machine was busy (see the load average below): indicative only.**\n');
  out.push('| pipeline | backend | models load (ms) | warm-up (ms) | first result after load (ms) | decode (ms) | detect (ms) | embed (ms) | end-to-end / image (ms) | p90 (ms) | samples |');
  out.push('|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const p of r.runs) {
    const best = r.best?.[p.pipeline] === p.backend ? ' **(best)**' : '';
    if (p.error) {
      out.push(`| ${label(p.pipeline)} | ${p.backend} | failed: ${p.error} | | | | | | | | |`);
      continue;
    }
    out.push(`| ${label(p.pipeline)} | ${p.backend}${best} | ${ms(p.loadMs)} | ${ms(p.warmupMs)} | ${ms(p.firstResultMs)} | ${ms(p.median.decode)} | ${ms(p.median.detect)} | ${ms(p.median.embed)} | ${ms(p.median.total)} | ${ms(p.p90Total)} | ${p.samples} |`);
  }
  out.push('');
  if (r.ratios?.length) {
    out.push('| LocalFace / peer (each on its best backend) | end-to-end per image | first result after load |');
    out.push('|---|---:|---:|');
    for (const x of r.ratios) out.push(`| LocalFace (${x.localBackend}) / ${label(x.peer)} (${x.peerBackend}) | ${x.endToEnd.toFixed(2)}× | ${x.firstResult.toFixed(2)}× |`);
    out.push('');
  }
  out.push('- end-to-end = decode of the encoded image + detection + descriptor of every face found (LocalFace: every face its compareFaces/enroll detector finds — short-range BlazeFace, full-range if none; all embedders of the shipped fusion); median over all samples after the first result (rounds over the images, the libraries interleaved round by round). detect = everything before the descriptor (face-api: SSD + 68 landmarks; Human: blazeface + mesh + iris + emotion; LocalFace: BlazeFace); embed = end-to-end − decode − detect (peers: measured as the difference to a call without the descriptor step).');
  out.push('- first result after load = model download from localhost + instantiation + the library\'s warm-up + the first real image, in a fresh browser (cold HTTP and shader caches); the page\'s own JS download/parse is not included (dev server).');
  for (const ph of r.phases ?? []) out.push(`- ${ph.backend.toUpperCase()} measurements (${ph.seconds.toFixed(0)} s): other processes used ${ph.othersMeanCores.toFixed(2)} cores on average, max ${ph.othersMaxCores.toFixed(2)} over 5 s — ${ph.busy ? '**busy**' : 'quiet'}.`);
  if (r.notes?.length) for (const n of r.notes) out.push(`- ${n}`);
  if (r.targets) out.push('', ...targetLines(r.targets));
  out.push('', machineText(r.machine));
  return out.join('\n');
}

export function searchMarkdown(r) {
  const out = ['### 1:N search latency (ms per query, linear scan)', ''];
  if (r.options?.limit) out.push(`**Quick run (--limit ${r.options.limit}): not a benchmark result.**\n`);
  if (r.localface && !r.localface.available) out.push(`LocalFace: not available yet — ${r.localface.message}`, '');
  if (r.localface?.available) out.push(`LocalFace: measured by ${r.localface.delegatedTo} (exit ${r.localface.exitCode}); its output:`, '', r.localface.output ?? '', '');
  if (r.peers?.length) {
    const sizes = r.options.sizes;
    out.push(`| library | method | ${sizes.map((n) => `${num(n)} templates`).join(' | ')} |`);
    out.push(`|---|---|${sizes.map(() => '---:').join('|')}|`);
    const lfRows = Array.isArray(r.localface?.data?.rows) ? r.localface.data.rows : [];
    const lfCell = (n, k, k90) => { const row = lfRows.find((x) => x.n === n); return row && Number.isFinite(row[k]) ? `${ms(row[k])}${k90 && Number.isFinite(row[k90]) ? ` (p90 ${ms(row[k90])})` : ''}` : '—'; };
    if (lfRows.length) {
      out.push(`| LocalFace | in-memory index scan + top-10 (bench/search) | ${sizes.map((n) => lfCell(n, 'scanMedianMs', 'scanP90Ms')).join(' | ')} |`);
      out.push(`| LocalFace | full search path without image work (bench/search) | ${sizes.map((n) => lfCell(n, 'searchPathMedianMs')).join(' | ')} |`);
    }
    for (const p of r.peers) out.push(`| ${label(p.pipeline)} | \`${p.method}\` | ${sizes.map((n) => { const row = p.rows.find((x) => x.size === n); return row ? `${ms(row.medianMs)} (p90 ${ms(row.p90Ms)})` : '—'; }).join(' | ')} |`);
    out.push('', `Random unit templates of each library's descriptor size, ${r.options.queries} queries per size, median (p90); WASM pages, the matchers are plain JS.`);
  }
  if (r.machine) out.push('', machineText(r.machine));
  return out.join('\n');
}

function targetLines(targets) {
  return ['Targets (reported against, not tuned on):', '', ...targets.map((t) => `- ${t.ok === true ? '✅' : t.ok === false ? '❌' : '—'} ${t.text}`)];
}

export function taskMarkdown(r) {
  if (r.task === 'accuracy') return accuracyMarkdown(r);
  if (r.task === 'identify') return identifyMarkdown(r);
  if (r.task === 'speed') return speedMarkdown(r);
  if (r.task === 'search') return searchMarkdown(r);
  throw new Error(`unknown task in JSON: ${r.task}`);
}

/** DET curves (false non-match rate vs false-match rate, log–log) of an accuracy result, as a standalone SVG. */
export function detSvg(r) {
  const W = 720, H = 500, L = 70, R = 20, T = 48, B = 60;
  const xMin = -6, xMax = 0, yMin = -3, yMax = 0;
  const x = (fmr) => L + ((Math.log10(Math.max(fmr, 10 ** xMin)) - xMin) / (xMax - xMin)) * (W - L - R);
  const y = (fnmr) => T + ((yMax - Math.log10(Math.max(fnmr, 10 ** yMin))) / (yMax - yMin)) * (H - T - B);
  const s = [];
  s.push(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" font-family="system-ui, sans-serif" font-size="12">`);
  s.push(`<rect width="${W}" height="${H}" fill="#fff"/>`);
  s.push(`<text x="${W / 2}" y="20" text-anchor="middle" font-size="15" font-weight="600">DET on ${esc(r.dataset.name)}: ${num(r.dataset.pairs)} pairs, cross-person impostors (lower is better)</text>`);
  s.push(`<text x="${W / 2}" y="37" text-anchor="middle" fill="#555">${esc(r.options.select === 'center' ? 'face nearest the image centre' : 'largest face')}; dots = each library's default threshold</text>`);
  for (let e = xMin; e <= xMax; e++) {
    s.push(`<line x1="${x(10 ** e)}" y1="${T}" x2="${x(10 ** e)}" y2="${H - B}" stroke="#ddd"/>`);
    s.push(`<text x="${x(10 ** e)}" y="${H - B + 16}" text-anchor="middle">${e === 0 ? '100 %' : `${+(100 * 10 ** e).toPrecision(1)} %`}</text>`);
  }
  for (let e = yMin; e <= yMax; e++) {
    s.push(`<line x1="${L}" y1="${y(10 ** e)}" x2="${W - R}" y2="${y(10 ** e)}" stroke="#ddd"/>`);
    s.push(`<text x="${L - 6}" y="${y(10 ** e) + 4}" text-anchor="end">${e === 0 ? '100 %' : `${+(100 * 10 ** e).toPrecision(1)} %`}</text>`);
  }
  s.push(`<rect x="${L}" y="${T}" width="${W - L - R}" height="${H - T - B}" fill="none" stroke="#333"/>`);
  s.push(`<text x="${(L + W - R) / 2}" y="${H - 22}" text-anchor="middle">false-match rate (different persons accepted)</text>`);
  s.push(`<text transform="translate(18 ${(T + H - B) / 2}) rotate(-90)" text-anchor="middle">false non-match rate (same person rejected)</text>`);
  r.pipelines.forEach((p, k) => {
    const color = COLORS[p.name] ?? '#777';
    const dash = p.name === 'human-cosine' ? ' stroke-dasharray="6 4"' : '';
    const pts = p.det.filter(([f]) => f >= 10 ** xMin).map(([f, n]) => `${x(f).toFixed(1)},${y(n).toFixed(1)}`);
    if (pts.length) s.push(`<polyline fill="none" stroke="${color}" stroke-width="2"${dash} points="${pts.join(' ')}"/>`);
    if (p.fmrAt07 != null && p.tmrAt07 != null) s.push(`<circle cx="${x(p.fmrAt07).toFixed(1)}" cy="${y(1 - p.tmrAt07).toFixed(1)}" r="4.5" fill="${color}"/>`);
    // Legend bottom-left: low FMR and low FNMR is where no curve goes on real data.
    const top = H - B - 12 - 18 * r.pipelines.length;
    const ly = top + 18 + 18 * k;
    if (k === 0) s.push(`<rect x="${L + 8}" y="${top + 4}" width="294" height="${18 * r.pipelines.length + 8}" fill="#fff" fill-opacity="0.9" stroke="#bbb"/>`);
    s.push(`<line x1="${L + 16}" y1="${ly - 4}" x2="${L + 44}" y2="${ly - 4}" stroke="${color}" stroke-width="2"${dash}/>`);
    s.push(`<text x="${L + 50}" y="${ly}">${esc(SHORT[p.name] ?? p.name)}: TMR ${pct(p.tmrAtFmr1e3, 1)} at FMR 0.1 %</text>`);
  });
  s.push('</svg>');
  return s.join('\n') + '\n';
}

const esc = (t) => String(t).replace(/&/g, '&amp;').replace(/</g, '&lt;');

/** The section for BENCHMARKS.md: every task result given, in a fixed order. */
export function fullReport(results, { svgPath } = {}) {
  const order = ['accuracy', 'identify', 'speed', 'search'];
  const sorted = [...results].sort((a, b) => order.indexOf(a.task) - order.indexOf(b.task));
  const out = ['## LocalFace, face-api and Human side by side', ''];
  out.push('Generated by `npm run bench -- report` from the JSON of `npm run bench -- <task> --json FILE` (bench/run.mjs). Each library runs in its own page (own TF.js) of the same headless Chromium, used as its own documentation shows; models load from this machine only (the runner fails on any request to another host).');
  out.push('');
  for (const r of sorted) {
    out.push(taskMarkdown(r));
    if (r.task === 'accuracy' && svgPath) out.push('', `![DET curves](${svgPath})`);
    out.push('');
    if (r.command) out.push(`Command: \`${r.command}\``, '');
  }
  return out.join('\n');
}
