// Markdown and SVG from the JSON that `npm run bench -- <task> --json FILE` writes. Used by bench/run.mjs for the
// stdout summary of each task and by `npm run bench -- report --json A.json [--json B.json …]`, which writes
// bench/results/peers.md, docs/roc-lfw.svg and (--benchmarks FILE) the section of BENCHMARKS.md between the
// markers below. Everything here is a pure function of the JSON: regenerating from the same files gives the same
// bytes. The targets (met / not met) are recomputed here from the figures, not copied from the JSON.

import { startupMarkdown } from './startupReport.mjs';

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
const ms = (x) =>
  x == null || Number.isNaN(x) ? '—' : x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2);
const num = (x) => x.toLocaleString('en-US');

const h = (level, text) => `${'#'.repeat(Math.min(6, Math.max(1, level)))} ${text}`;
const NR = 'not recorded';
const fixed = (x, d = 2) => (Number.isFinite(x) ? x.toFixed(d) : NR);

export function machineText(m) {
  if (!m) return `Machine: ${NR} in this JSON.`;
  const others =
    m.load && Number.isFinite(m.load.othersMeanCores)
      ? `; other processes used ${m.load.othersMeanCores.toFixed(2)} cores on average (max ${m.load.othersMaxCores.toFixed(2)} over 5 s)`
      : '';
  const load = m.load
    ? ` Load average (1 min, includes this run) at start ${m.load.start.toFixed(2)}, end ${m.load.end.toFixed(2)}, max ${m.load.max.toFixed(2)} on ${m.cores} cores${others}${m.load.busy ? ' — **the machine was busy: timings are under load**' : ' — quiet'}.`
    : '';
  return `Machine: ${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB, no GPU (WebGL = ${m.webglRenderer ?? 'SwiftShader'}); ${m.os}${m.distro ? ` (${m.distro})` : ''}; Node ${m.node}; ${m.browser} headless.${load}`;
}

function selectionText(select) {
  return select === 'center'
    ? 'Face used per image: the detected face nearest the image centre (LFW convention), the same rule for every pipeline.'
    : 'Face used per image: the largest detected face, the same rule for every pipeline.';
}

export function accuracyMarkdown(r, { level = 3, machine = true, targets = true } = {}) {
  const out = [];
  out.push(
    `${h(level, 'Verification:')} ${r.dataset.name} (${num(r.dataset.pairs)} pairs${r.dataset.folds > 1 ? `, ${r.dataset.folds} folds` : ''}, ${num(r.dataset.images)} images)`,
  );
  out.push('');
  if (r.dataset.limited) out.push(`**Quick run (--limit ${r.options.limit}): not a benchmark result.**\n`);
  out.push(
    '| pipeline | accuracy | AUC | TMR @ FMR 1 % | TMR @ FMR 0.1 % | default threshold | TMR @ default | FMR @ default | no face found | accuracy, pairs with both faces found | ms / image |',
  );
  out.push('|---|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|');
  for (const p of r.pipelines) {
    const acc = `${pct(p.accuracy)}${p.accuracyStd != null ? ` ± ${pct(p.accuracyStd)}` : ''}`;
    out.push(
      `| ${label(p.name)} | ${acc} | ${p.auc.toFixed(4)} | ${pct(p.tmrAtFmr1e2)} | ${pct(p.tmrAtFmr1e3)} | ${p.defaultRule} | ${pct(p.tmrAt07)} | ${pct(p.fmrAt07, 3)} | ${p.detectFailures} / ${p.images} | ${pct(p.accuracyFacesFound)} (${num(p.pairsFacesFound ?? 0)} pairs) | ${ms(p.msPerImage)} |`,
    );
  }
  out.push('');
  const first = r.pipelines[0];
  out.push(
    `- Accuracy: ${first?.accuracyProtocol ?? ''}. AUC over the file's ${num(first?.genuinePairs ?? 0)} same-person and ${num((first?.pairs ?? 0) - (first?.genuinePairs ?? 0))} different-person pairs.`,
  );
  out.push(
    `- TMR @ FMR: same-person pairs of the file against ALL cross-person pairs of its images that have a face (${r.pipelines.map((p) => `${label(p.name)} ${num(p.impostorPairs)}`).join(', ')}); the file's ${num((first?.pairs ?? 0) - (first?.genuinePairs ?? 0))} different-person pairs alone cannot resolve 0.1 %. FMR @ default is over the same cross-person pairs.`,
  );
  if (r.pipelines.some((p) => p.impostorStride > 1))
    out.push(
      `- Cross-person pairs subsampled evenly (1 in ${Math.max(...r.pipelines.map((p) => p.impostorStride ?? 1))}) to stay under --max-impostors.`,
    );
  out.push(
    "- A pair with an image where no face was found is a non-match at every threshold (it lowers TMR, never raises FMR), as for a user whose photo is rejected; the next-to-last column leaves those pairs out (the embedder alone, on its own detector's faces).",
  );
  out.push(`- ${selectionText(r.options.select)}`);
  const cached = / --cache /.test(r.command ?? '');
  out.push(
    `- ms / image: median of decode + detect + embed (backend ${[...new Set(r.pipelines.map((p) => p.backend).filter(Boolean))].join('/')})${cached ? ', from the --cache run(s) that embedded the images, not from this run (the load figures are about this run)' : ' in this run'}; the speed task has the clean timings.`,
  );
  for (const p of r.pipelines) if (p.config) out.push(`- ${label(p.name)}: ${p.library}; ${p.config}.`);
  if (r.pipelines.some((p) => p.name === 'localface')) {
    out.push(
      "- LocalFace's fusion and its calibration (what 0.7 means) were built on LFW's pairs_subset cross-person pairs: on that data its FMR @ default is in-sample by construction (BENCHMARKS.md has the held-out check); accuracy, AUC and TMR @ FMR do not depend on the calibration table, but they do on pairNorm.json (per-model means and spreads and the crowding term, fitted on the LFW fit half, about half of these pairs' people), and the fusion was chosen among 15 pipelines on these pairs; the peers had no such fitting, so LocalFace's LFW rows are optimistic against theirs (the held-out half: BENCHMARKS.md, section What is held out).",
    );
  }
  if (r.checks?.length) for (const c of r.checks) out.push(`- ${c}`);
  const trade = defaultTradeOff(r);
  if (trade) out.push(`- ${trade}`);
  if (targets) out.push('', ...targetLines(accuracyTargets(r)));
  if (machine) out.push('', machineText(r.machine));
  return out.join('\n');
}

export function identifyMarkdown(r, { level = 3, machine = true } = {}) {
  const out = [];
  out.push(
    `${h(level, '1:N identification:')} ${datasetName(r.dataset.name)} (gallery ${num(r.dataset.galleryPersons)} persons with ≥ ${r.dataset.minPhotos} photos, ${r.dataset.enroll ?? 1} enrolled photo(s) each; ${num(r.dataset.matedProbes)} probes of them; ${num(r.dataset.strangerProbes)} one-photo strangers)`,
  );
  out.push('');
  if (r.dataset.limited) out.push(`**Quick run (--limit ${r.options.limit}): not a benchmark result.**\n`);
  out.push(
    '| pipeline | rank-1 | FNIR @ FPIR 1 % | default threshold | strangers matched @ default | probes missed @ default (FNIR) | enroll / probe images without a face |',
  );
  out.push('|---|---:|---:|---|---:|---:|---:|');
  for (const p of r.pipelines) {
    out.push(
      `| ${label(p.name)} | ${pct(p.rank1)} | ${pct(p.fnirAtFpir1e2)} | ${p.defaultRule} | ${pct(p.strangersMatchedAtDefault)} | ${pct(p.fnirAtDefault)} | ${p.enrollFailures} / ${p.probeDetectFailures} |`,
    );
  }
  out.push('');
  out.push(
    "- Each probe is searched against the whole gallery; the best match is the library's own ranking (LocalFace: highest crowding-normalised score, as compareFaces and its searches score; face-api FaceMatcher and Human match.find: lowest distance).",
  );
  out.push(
    "- rank-1: share of probes of enrolled persons whose best match is their own person. FNIR @ FPIR 1 %: the threshold lets 1 % of strangers' best matches through; FNIR = share of those probes not returned as their own person above it. A photo without a face is a miss.",
  );
  out.push(
    `- strangers matched @ default: share of strangers whose best match passes the library's default (1:1) threshold. A stranger is compared with every one of the ${num(r.dataset.galleryPersons)} persons, so even a 1:1 false-match rate of 0.1 % (LocalFace's 0.7) gives about 1 − 0.999^${r.dataset.galleryPersons} ≈ ${pct(1 - 0.999 ** r.dataset.galleryPersons, 0)} here: open-set search needs a stricter threshold than 1:1 verification.`,
  );
  if (r.pipelines.some((p) => p.name === 'localface')) {
    const n = r.dataset.galleryPersons;
    out.push(
      `- **This table applies each library's 1:1 default threshold to the best match, for every library alike. LocalFace's own \`searchFace\` / \`multiFaceSearch\` do not: they calibrate per collection size (search similarityScore = 1:1 score − 0.1 · log10 N; here N = ${num(n)}, so a search score of 0.7 is a 1:1 score of ${(0.7 + 0.1 * Math.log10(n)).toFixed(2)}), so that 0.7 keeps meaning "0.1 % of stranger searches return a false match".** The "strangers matched @ default" column is therefore not what LocalFace's search API returns; its own figures at search score 0.7 are in [1:N identification on LFW](#1n-identification-on-lfw), under "Collections, persons and search" (tools/identify-study/).`,
    );
  }
  out.push(`- ${selectionText(r.options.select)}`);
  if (r.source) out.push(`- ${r.source}`);
  if (machine) out.push('', machineText(r.machine));
  return out.join('\n');
}

export function speedMarkdown(r, { level = 3, machine = true, targets = true } = {}) {
  const out = [];
  const { best, ratios } = speedSummary(r);
  out.push(`${h(level, 'Speed:')} ${r.dataset.name} (${r.dataset.images} images, ${r.dataset.size})`);
  out.push('');
  const busyPhases = (r.phases ?? []).filter((ph) => ph.busy);
  if (r.phases?.length) {
    if (busyPhases.length)
      out.push(
        `**Other processes were busy during the ${busyPhases.map((ph) => ph.backend.toUpperCase()).join(' and ')} measurements (see below): those rows are indicative only.**\n`,
      );
  } else if (r.machine?.load?.busy)
    out.push('**Measured while the machine was busy (see the load average below): indicative only.**\n');
  out.push(
    '| pipeline | backend | models load (ms) | warm-up (ms) | first result after load (ms) | decode (ms) | detect (ms) | embed (ms) | end-to-end / image (ms) | p90 (ms) | samples |',
  );
  out.push('|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const p of r.runs) {
    const isBest = best[p.pipeline] === p.backend ? ' **(best)**' : '';
    if (p.error) {
      out.push(`| ${label(p.pipeline)} | ${p.backend} | failed: ${p.error} | | | | | | | | |`);
      continue;
    }
    out.push(
      `| ${label(p.pipeline)} | ${p.backend}${isBest} | ${ms(p.loadMs)} | ${ms(p.warmupMs)} | ${ms(p.firstResultMs)} | ${ms(p.median.decode)} | ${ms(p.median.detect)} | ${ms(p.median.embed)} | ${ms(p.median.total)} | ${ms(p.p90Total)} | ${p.samples} |`,
    );
  }
  out.push('');
  if (ratios.length) {
    out.push('| LocalFace / peer (each on its best backend) | end-to-end per image | first result after load |');
    out.push('|---|---:|---:|');
    for (const x of ratios)
      out.push(
        `| LocalFace (${x.localBackend}) / ${label(x.peer)} (${x.peerBackend}) | ${x.endToEnd.toFixed(2)}× | ${x.firstResult.toFixed(2)}× |`,
      );
    out.push('');
  }
  out.push(
    '- end-to-end = decode of the encoded image + detection + descriptor of every face found (LocalFace: every face its compareFaces/enroll detector finds — short-range BlazeFace, full-range if none; all embedders of the shipped fusion); median over all samples after the first result (rounds over the images, the libraries interleaved round by round). detect = everything before the descriptor (face-api: SSD + 68 landmarks; Human: blazeface + mesh + iris + emotion; LocalFace: BlazeFace); embed = end-to-end − decode − detect (peers: measured as the difference to a call without the descriptor step).',
  );
  out.push(
    "- first result after load = model download from localhost + instantiation + the library's warm-up + the first real image, in a fresh browser (cold HTTP and shader caches); the page's own JS download/parse is not included (dev server).",
  );
  for (const ph of r.phases ?? [])
    out.push(
      `- ${ph.backend.toUpperCase()} measurements (${ph.seconds.toFixed(0)} s): other processes used ${ph.othersMeanCores.toFixed(2)} cores on average, max ${ph.othersMaxCores.toFixed(2)} over 5 s — ${ph.busy ? '**busy**' : 'quiet'}.`,
    );
  if (r.notes?.length) for (const n of r.notes) out.push(`- ${n}`);
  if (ratios.length)
    out.push(
      '- The ratios move from run to run on this 2-core machine: the first four runs of this comparison (before these JSON files, some under load) gave 0.40–0.73× end to end against Human. The met / not met verdicts are those of this one run.',
    );
  if (targets) out.push('', ...targetLines(speedTargets(r)));
  if (machine) out.push('', machineText(r.machine));
  return out.join('\n');
}

export function searchMarkdown(r, { level = 3, machine = true } = {}) {
  const out = [h(level, '1:N search latency (ms per query, linear scan)'), ''];
  if (r.options?.limit) out.push(`**Quick run (--limit ${r.options.limit}): not a benchmark result.**\n`);
  if (r.localface && !r.localface.available) out.push(`LocalFace: not available yet — ${r.localface.message}`, '');
  if (r.localface?.available)
    out.push(
      `LocalFace: measured by ${r.localface.delegatedTo} (exit ${r.localface.exitCode}); its output:`,
      '',
      r.localface.output ?? '',
      '',
    );
  if (r.peers?.length) {
    const sizes = r.options.sizes;
    out.push(`| library | method | ${sizes.map((n) => `${num(n)} templates`).join(' | ')} |`);
    out.push(`|---|---|${sizes.map(() => '---:').join('|')}|`);
    const lfRows = Array.isArray(r.localface?.data?.rows) ? r.localface.data.rows : [];
    const lfCell = (n, k, k90) => {
      const row = lfRows.find((x) => x.n === n);
      return row && Number.isFinite(row[k])
        ? `${ms(row[k])}${k90 && Number.isFinite(row[k90]) ? ` (p90 ${ms(row[k90])})` : ''}`
        : '—';
    };
    if (lfRows.length) {
      out.push(
        `| LocalFace | in-memory index scan + top-10 (bench/search) | ${sizes.map((n) => lfCell(n, 'scanMedianMs', 'scanP90Ms')).join(' | ')} |`,
      );
      out.push(
        `| LocalFace | full search path without image work (bench/search) | ${sizes.map((n) => lfCell(n, 'searchPathMedianMs')).join(' | ')} |`,
      );
    }
    for (const p of r.peers)
      out.push(
        `| ${label(p.pipeline)} | \`${p.method}\` | ${sizes
          .map((n) => {
            const row = p.rows.find((x) => x.size === n);
            return row ? `${ms(row.medianMs)} (p90 ${ms(row.p90Ms)})` : '—';
          })
          .join(' | ')} |`,
      );
    out.push(
      '',
      `Random unit templates of each library's descriptor size, ${r.options.queries} queries per size, median (p90); WASM pages, the matchers are plain JS.`,
    );
    const lfDim = lfRows.find((x) => x.n > 0 && x.bytesScanned > 0);
    out.push(
      '',
      `The libraries do not do the same work per template: LocalFace scans ${lfDim ? `${lfDim.bytesScanned / lfDim.n / 4}-d` : 'its'} fused rows with a WebAssembly SIMD kernel and keeps the top 10 persons, face-api's FaceMatcher and Human's match.find return the single best of 128-d and 1024-d descriptors in plain JS: this compares each library's own search path.`,
    );
  }
  if (machine && r.machine) out.push('', machineText(r.machine));
  return out.join('\n');
}

const mark = (ok) => (ok === true ? '✅ met' : ok === false ? '❌ not met' : '— not measured');

function targetLines(targets) {
  return ['Targets (reported against, not tuned on):', '', ...targets.map((t) => `- ${mark(t.ok)}: ${t.text}`)];
}

// ---------------------------------------------------------------------------------------------------------------
// LocalFace's speed and accuracy targets, computed from the figures (bench/run.mjs stores the same ones in the JSON when it runs)

const PEERS = ['faceapi', 'human'];
/** The figures LocalFace must lead on: [key, display name, +1 higher is better / −1 lower is better, format]. */
const FIGURES = [
  ['accuracy', 'accuracy', 1, (x) => pct(x)],
  ['auc', 'AUC', 1, (x) => (x == null ? '—' : x.toFixed(4))],
  ['tmrAtFmr1e2', 'TMR @ FMR 1 %', 1, (x) => pct(x)],
  ['tmrAtFmr1e3', 'TMR @ FMR 0.1 %', 1, (x) => pct(x)],
  ['tmrAt07', 'TMR @ default', 1, (x) => pct(x)],
  ['fmrAt07', 'FMR @ default', -1, (x) => pct(x, 3)],
  ['detectFailures', 'no face found', -1, (x) => (x == null ? '—' : String(x))],
];

/** Accuracy targets: LocalFace ≥ 99.0 %, TMR @ FMR 0.1 % ≥ 96 %, ahead of both peers on every figure. */
export function accuracyTargets(r) {
  const lf = r.pipelines.find((p) => p.name === 'localface');
  if (!lf)
    return [
      {
        ok: undefined,
        text: 'LocalFace accuracy, TMR @ FMR 0.1 % and lead over the peers: LocalFace is not in this JSON',
      },
    ];
  const out = [
    {
      ok: Number.isFinite(lf.accuracy) ? lf.accuracy >= 0.99 : undefined,
      text: `LocalFace accuracy ≥ 99.0 % (aim 99.5 %): ${pct(lf.accuracy)}`,
    },
    {
      ok: Number.isFinite(lf.tmrAtFmr1e3) ? lf.tmrAtFmr1e3 >= 0.96 : undefined,
      text: `LocalFace TMR @ FMR 0.1 % ≥ 96 % (aim 97 %): ${pct(lf.tmrAtFmr1e3)}`,
    },
  ];
  const peers = r.pipelines.filter((p) => PEERS.includes(p.name));
  const what = `accuracy, AUC, TMR @ FMR 1 % and 0.1 %, TMR and FMR @ default, faces not found`;
  if (!peers.length)
    return [
      ...out,
      { ok: undefined, text: `LocalFace ahead of both peers on every figure (${what}): no peer in this JSON` },
    ];
  const behind = [];
  for (const p of peers) {
    for (const [k, name, sign, f] of FIGURES) {
      const ahead = sign * (lf[k] - p[k]) > 0 || (k === 'detectFailures' && lf[k] === 0 && p[k] === 0);
      if (!ahead) behind.push(`${name} vs ${SHORT[p.name] ?? p.name} (${f(lf[k])} vs ${f(p[k])})`);
    }
  }
  const missing = PEERS.filter((n) => !peers.some((p) => p.name === n));
  const ok = behind.length ? false : missing.length ? undefined : true;
  const text = `LocalFace ahead of both peers on every figure (${what})${missing.length ? `; ${missing.map((n) => SHORT[n]).join(', ')} not in this JSON` : ''}${behind.length ? ` — not ahead on: ${behind.join('; ')}` : ''}`;
  return [...out, { ok, text }];
}

/**
 * A default threshold is an operating point, not a pipeline: where LocalFace has a higher FMR @ default than a peer,
 * its TMR at that peer's FMR (the DET point at or below it: a lower bound) says what the peer's stricter rule costs.
 */
function defaultTradeOff(r) {
  const lf = r.pipelines.find((p) => p.name === 'localface');
  if (!lf?.det?.length) return undefined;
  const parts = [];
  for (const p of r.pipelines.filter((q) => PEERS.includes(q.name))) {
    if (!(Number.isFinite(p.fmrAt07) && Number.isFinite(lf.fmrAt07) && lf.fmrAt07 > p.fmrAt07)) continue;
    const at = lf.det.filter(([f]) => f <= p.fmrAt07).pop();
    if (!at) continue;
    parts.push(
      `${SHORT[p.name]}'s default accepts fewer cross-person pairs than LocalFace's (${pct(p.fmrAt07, 3)} vs ${pct(lf.fmrAt07, 3)}) but only ${pct(p.tmrAt07)} of same-person pairs; at FMR ${pct(at[0], 3)} (≤ ${SHORT[p.name]}'s) LocalFace accepts ${pct(1 - at[1])} of them (its DET curve)`,
    );
  }
  return parts.length
    ? `FMR @ default compares each library's operating point, not the pipelines: ${parts.join('; ')}.`
    : undefined;
}

/** Best backend per pipeline (lowest median end-to-end), LocalFace / peer ratios on those backends. */
export function speedSummary(r) {
  const ok = (r.runs ?? []).filter((x) => !x.error && Number.isFinite(x.median?.total));
  const best = {};
  for (const x of ok)
    if (
      !best[x.pipeline] ||
      x.median.total < ok.find((y) => y.pipeline === x.pipeline && y.backend === best[x.pipeline]).median.total
    )
      best[x.pipeline] = x.backend;
  const pick = (name) => ok.find((x) => x.pipeline === name && x.backend === best[name]);
  const lf = pick('localface');
  const ratios = [];
  if (lf) {
    for (const peer of Object.keys(best).filter((n) => n !== 'localface')) {
      const p = pick(peer);
      ratios.push({
        peer,
        localBackend: lf.backend,
        peerBackend: p.backend,
        endToEnd: lf.median.total / p.median.total,
        firstResult: lf.firstResultMs / p.firstResultMs,
      });
    }
  }
  return { best, ratios, pick };
}

/** Speed targets: LocalFace end-to-end per image and first result after load ≤ 0.3× the faster peer. */
const SPEED_TARGET = 0.3;
export function speedTargets(r) {
  const { ratios, pick } = speedSummary(r);
  const lf = pick('localface');
  const texts = [
    `LocalFace end-to-end per image ≤ ${SPEED_TARGET}× the faster peer`,
    `LocalFace first result after load ≤ ${SPEED_TARGET}× the faster peer`,
  ];
  if (!lf || !ratios.length)
    return texts.map((text) => ({ ok: undefined, text: `${text}: ${lf ? 'no peer' : 'LocalFace'} in this JSON` }));
  const fast = (key) => ratios.reduce((a, b) => (key(pick(a.peer)) <= key(pick(b.peer)) ? a : b));
  const e2e = fast((x) => x.median.total);
  const first = fast((x) => x.firstResultMs);
  return [
    {
      ok: e2e.endToEnd <= SPEED_TARGET,
      text: `${texts[0]} (${SHORT[e2e.peer] ?? e2e.peer}, ${e2e.peerBackend}, ${ms(pick(e2e.peer).median.total)} ms): LocalFace (${lf.backend}) ${ms(lf.median.total)} ms = ${e2e.endToEnd.toFixed(2)}×`,
    },
    {
      ok: first.firstResult <= SPEED_TARGET,
      text: `${texts[1]} (${SHORT[first.peer] ?? first.peer}, ${first.peerBackend}, ${ms(pick(first.peer).firstResultMs)} ms): LocalFace (${lf.backend}) ${ms(lf.firstResultMs)} ms = ${first.firstResult.toFixed(2)}×`,
    },
  ];
}

export function taskMarkdown(r, o) {
  if (r.task === 'accuracy') return accuracyMarkdown(r, o);
  if (r.task === 'identify') return identifyMarkdown(r, o);
  if (r.task === 'speed')
    return r.startup ? `${speedMarkdown(r, o)}\n\n${startupMarkdown(r.startup, o?.level)}` : speedMarkdown(r, o);
  if (r.task === 'startup') return startupMarkdown(r.startup, o?.level);
  if (r.task === 'search') return searchMarkdown(r, o);
  throw new Error(`unknown task in JSON: ${r.task}`);
}

/** DET curves (false non-match rate vs false-match rate, log–log) of an accuracy result, as a standalone SVG. */
export function detSvg(r) {
  const W = 720,
    H = 500,
    L = 70,
    R = 20,
    T = 48,
    B = 60;
  const xMin = -6,
    xMax = 0,
    yMin = -3,
    yMax = 0;
  const x = (fmr) => L + ((Math.log10(Math.max(fmr, 10 ** xMin)) - xMin) / (xMax - xMin)) * (W - L - R);
  const y = (fnmr) => T + ((yMax - Math.log10(Math.max(fnmr, 10 ** yMin))) / (yMax - yMin)) * (H - T - B);
  const s = [];
  s.push(
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" font-family="system-ui, sans-serif" font-size="12">`,
  );
  s.push(`<rect width="${W}" height="${H}" fill="#fff"/>`);
  s.push(
    `<text x="${W / 2}" y="20" text-anchor="middle" font-size="15" font-weight="600">DET on ${esc(r.dataset.name)}: ${num(r.dataset.pairs)} pairs, cross-person impostors (lower is better)</text>`,
  );
  s.push(
    `<text x="${W / 2}" y="37" text-anchor="middle" fill="#555">${esc(r.options.select === 'center' ? 'face nearest the image centre' : 'largest face')}; dots = each library's default threshold</text>`,
  );
  for (let e = xMin; e <= xMax; e++) {
    s.push(`<line x1="${x(10 ** e)}" y1="${T}" x2="${x(10 ** e)}" y2="${H - B}" stroke="#ddd"/>`);
    s.push(
      `<text x="${x(10 ** e)}" y="${H - B + 16}" text-anchor="middle">${e === 0 ? '100 %' : `${+(100 * 10 ** e).toPrecision(1)} %`}</text>`,
    );
  }
  for (let e = yMin; e <= yMax; e++) {
    s.push(`<line x1="${L}" y1="${y(10 ** e)}" x2="${W - R}" y2="${y(10 ** e)}" stroke="#ddd"/>`);
    s.push(
      `<text x="${L - 6}" y="${y(10 ** e) + 4}" text-anchor="end">${e === 0 ? '100 %' : `${+(100 * 10 ** e).toPrecision(1)} %`}</text>`,
    );
  }
  s.push(`<rect x="${L}" y="${T}" width="${W - L - R}" height="${H - T - B}" fill="none" stroke="#333"/>`);
  s.push(
    `<text x="${(L + W - R) / 2}" y="${H - 22}" text-anchor="middle">false-match rate (different persons accepted)</text>`,
  );
  s.push(
    `<text transform="translate(18 ${(T + H - B) / 2}) rotate(-90)" text-anchor="middle">false non-match rate (same person rejected)</text>`,
  );
  r.pipelines.forEach((p, k) => {
    const color = COLORS[p.name] ?? '#777';
    const dash = p.name === 'human-cosine' ? ' stroke-dasharray="6 4"' : '';
    const pts = p.det.filter(([f]) => f >= 10 ** xMin).map(([f, n]) => `${x(f).toFixed(1)},${y(n).toFixed(1)}`);
    if (pts.length)
      s.push(`<polyline fill="none" stroke="${color}" stroke-width="2"${dash} points="${pts.join(' ')}"/>`);
    if (p.fmrAt07 != null && p.tmrAt07 != null)
      s.push(`<circle cx="${x(p.fmrAt07).toFixed(1)}" cy="${y(1 - p.tmrAt07).toFixed(1)}" r="4.5" fill="${color}"/>`);
    // Legend bottom-left: low FMR and low FNMR is where no curve goes on real data.
    const top = H - B - 12 - 18 * r.pipelines.length;
    const ly = top + 18 + 18 * k;
    if (k === 0)
      s.push(
        `<rect x="${L + 8}" y="${top + 4}" width="294" height="${18 * r.pipelines.length + 8}" fill="#fff" fill-opacity="0.9" stroke="#bbb"/>`,
      );
    s.push(
      `<line x1="${L + 16}" y1="${ly - 4}" x2="${L + 44}" y2="${ly - 4}" stroke="${color}" stroke-width="2"${dash}/>`,
    );
    s.push(
      `<text x="${L + 50}" y="${ly}">${esc(SHORT[p.name] ?? p.name)}: TMR ${pct(p.tmrAtFmr1e3, 1)} at FMR 0.1 %</text>`,
    );
  });
  s.push('</svg>');
  return s.join('\n') + '\n';
}

const esc = (t) => String(t).replace(/&/g, '&amp;').replace(/</g, '&lt;');

// ---------------------------------------------------------------------------------------------------------------
// The full section: bench/results/peers.md, and the same between the markers of BENCHMARKS.md

export const MARK_BEGIN = '<!-- bench:peers:begin -->';
export const MARK_END = '<!-- bench:peers:end -->';

const TASK_ORDER = ['accuracy', 'identify', 'speed', 'search'];

/** What each field of the machine is, from a task JSON's `machine` ("not recorded" when absent). */
const MACHINE_FIELDS = [
  ['CPU', (m) => m?.cpu],
  ['cores', (m) => m?.cores],
  ['RAM', (m) => (m?.memoryGiB != null ? `${m.memoryGiB} GiB` : undefined)],
  ['OS', (m) => (m?.os ? `${m.os}${m.distro ? ` (${m.distro})` : ', distribution not recorded'}` : undefined)],
  ['browser', (m) => (m?.browser ? `${m.browser} headless` : undefined)],
  ['Node', (m) => m?.node],
  [
    'WebGL',
    (m) =>
      m?.webglRenderer ? `${m.webglRenderer}, as bench/run.mjs labels it (not queried from the browser)` : undefined,
  ],
];

const when = (iso) => (iso ? iso.replace('T', ' ').replace(/:\d\d(\.\d+)?Z$/, ' UTC') : NR);

function machineSection(sorted, sources, level) {
  const out = [h(level, 'Machine'), ''];
  const value = (m, f) => String(f(m) ?? NR);
  const common = MACHINE_FIELDS.filter(([, f]) => new Set(sorted.map((r) => value(r.machine, f))).size === 1);
  const differ = MACHINE_FIELDS.filter((x) => !common.includes(x));
  if (common.length)
    out.push(
      `${sorted.length > 1 ? 'Every run' : 'The run'}: ${common.map(([k, f]) => `${k} ${value(sorted[0].machine, f)}`).join('; ')}.`,
      '',
    );
  out.push(
    `| task (JSON) | run at | load average, 1 min: start / end / max | other processes' CPU, cores: mean / max (samples) | load verdict |${differ.map(([k]) => ` ${k} |`).join('')}`,
  );
  out.push(`|---|---|---:|---:|---|${differ.map(() => '---|').join('')}`);
  sorted.forEach((r, k) => {
    const l = r.machine?.load;
    const la = l ? `${fixed(l.start)} / ${fixed(l.end)} / ${fixed(l.max)}` : NR;
    const others =
      l && Number.isFinite(l.othersMeanCores)
        ? `${fixed(l.othersMeanCores)} / ${fixed(l.othersMaxCores)}${l.intervals != null ? ` (${l.intervals})` : ''}`
        : NR;
    const verdict = l?.busy === true ? '**busy: timings indicative only**' : l?.busy === false ? 'quiet' : NR;
    out.push(
      `| ${r.task} (\`${sources[k]}\`) | ${when(r.createdAt)} | ${la} | ${others} | ${verdict} |${differ.map(([, f]) => ` ${value(r.machine, f)} |`).join('')}`,
    );
  });
  out.push('');
  out.push(
    '- The load average counts the run itself (on 2 cores a run keeps about one core busy). What decides "quiet": the CPU of every OTHER process (from /proc, the run\'s own process tree excluded), sampled every 5 s — under 0.2 cores on average and never above 0.75.',
  );
  const sparse = sorted.filter(
    (r) =>
      Number.isFinite(r.seconds) &&
      Number.isFinite(r.machine?.load?.intervals) &&
      r.machine.load.intervals < r.seconds / 10,
  );
  if (sparse.length)
    out.push(
      `- ${sparse.map((r) => `${r.task}: ${r.machine.load.intervals} samples over ${r.seconds.toFixed(0)} s`).join('; ')}: the sampling timer was held up by the run's own work in Node (metrics), so its samples cover longer intervals than 5 s: together they still span the whole run, but the max is over those longer intervals.`,
    );
  const cached = sorted.filter((r) => / --cache /.test(r.command ?? ''));
  if (cached.length)
    out.push(
      `- ${cached.map((r) => r.task).join(', ')}: embeddings reused from \`--cache\` (computed by earlier runs); the load figures are those of the run that computed the metrics. Their accuracy figures do not depend on the load; their ms are not speed results.`,
    );
  return out.join('\n');
}

function targetsSection(sorted, level) {
  const out = [
    h(level, 'Targets'),
    '',
    'Computed by the report from the figures below (reported against, not tuned on):',
    '',
  ];
  const acc = sorted.find((r) => r.task === 'accuracy');
  const speed = sorted.find((r) => r.task === 'speed');
  const line = (what, t) => `- ${what}: ${mark(t.ok)} — ${t.text}`;
  if (acc) for (const t of accuracyTargets(acc)) out.push(line('accuracy', t));
  else out.push('- accuracy: — not measured (no accuracy JSON given)');
  if (speed) for (const t of speedTargets(speed)) out.push(line('speed', t));
  else out.push('- speed: — not measured (no speed JSON given)');
  return out.join('\n');
}

/**
 * The side-by-side section from task results. `level`: heading level of its title (its parts are one below);
 * `svgPath`: the DET plot's link, relative to the file the section goes in; `link(path)`: a repo-relative path as a
 * link from that file; `sources`: each result's JSON file (repo-relative), `command`: the command that regenerates
 * all of it.
 */
export function fullReport(results, { svgPath, level = 2, link = (p) => p, sources = [], command } = {}) {
  const idx = results
    .map((r, k) => k)
    .sort((a, b) => TASK_ORDER.indexOf(results[a].task) - TASK_ORDER.indexOf(results[b].task));
  const sorted = idx.map((k) => results[k]);
  const src = idx.map((k) => sources[k] ?? `${results[k].task}.json`);
  const out = [h(level, 'Side by side with face-api and Human'), ''];
  out.push(
    `Generated from the JSON of \`npm run bench -- <task> --json FILE\` ([bench/README.md](${link('bench/README.md')})): edit the generator (bench/peers/report.mjs), not this text. LocalFace, @vladmandic/face-api (the maintained fork of face-api.js, its own models) and @vladmandic/human (its default face models) each run in their own page (own TF.js) of the same headless Chromium, used as their documentation shows; models load from this machine only (the runner fails on any request to another host).`,
  );
  out.push('');
  if (command) out.push('Regenerate with:', '', '```sh', command, '```', '');
  out.push(machineSection(sorted, src, level + 1), '');
  out.push(targetsSection(sorted, level + 1), '');
  sorted.forEach((r, k) => {
    out.push(taskMarkdown(r, { level: level + 1, machine: false, targets: false }));
    if (r.task === 'accuracy')
      out.push(
        '',
        svgPath ? `![DET curves of the three pipelines on ${r.dataset.name}](${svgPath})` : 'DET plot: not written.',
      );
    out.push('');
    if (r.command) out.push(`Command (as recorded in \`${src[k]}\`): \`${publicPaths(r.command)}\``, '');
  });
  return out.join('\n').replace(/\n+$/, '\n');
}

/**
 * Where the section goes in a file: the text up to and including the begin marker, the text from the end marker
 * on, and the heading level for the section (that of the last heading above the markers, so it sits beside it;
 * at least 2, the file's title being the only level 1). Throws with what to do when the markers are not usable.
 */
export function markedRange(text, file = 'the file') {
  const count = (m) => text.split(m).length - 1;
  const where = `put a line ${MARK_BEGIN} where the generated section should start and a line ${MARK_END} where it should end (e.g. around the "Side by side with face-api and Human" section); everything between them is replaced, nothing outside them is touched`;
  if (count(MARK_BEGIN) !== 1 || count(MARK_END) !== 1) {
    throw new Error(
      `${file} must contain each marker exactly once (found ${MARK_BEGIN} ×${count(MARK_BEGIN)}, ${MARK_END} ×${count(MARK_END)}): ${where}`,
    );
  }
  const b = text.indexOf(MARK_BEGIN) + MARK_BEGIN.length;
  const e = text.indexOf(MARK_END);
  if (e < b) throw new Error(`${file}: ${MARK_END} comes before ${MARK_BEGIN}: ${where}`);
  let level = 2;
  let fence = false;
  for (const line of text.slice(0, b).split('\n')) {
    if (/^\s*(```|~~~)/.test(line)) fence = !fence;
    const m = !fence && /^(#{1,6})\s/.exec(line);
    if (m) level = Math.max(2, m[1].length);
  }
  return { before: text.slice(0, b), after: text.slice(e), level };
}

/** The file's text with `md` between the markers (one newline on each side: stable under regeneration). */
export function replaceMarked(range, md) {
  return `${range.before}\n${md.replace(/\s+$/, '')}\n${range.after}`;
}

/** A data folder of this machine named as the public dataset it holds, for a reader without that folder. */
function datasetName(name) {
  return /(^|\/)lfw(\/images)?\/?$/.test(name) ? 'LFW' : name;
}

/** Commands as a reader can run them: the LFW folder of this machine becomes $LFW. */
function publicPaths(command) {
  return command.replace(/(\.\.\/)+shared\/data\/lfw/g, '$LFW');
}
