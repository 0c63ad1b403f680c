#!/usr/bin/env node
// `npm run bench -- <task> [options]`: LocalFace side by side with @vladmandic/face-api and @vladmandic/human, in
// headless Debian chromium. Each library runs in its own page and browser context (each bundles its own TF.js),
// loads its models from the local Vite server only, and is called the way its documentation shows (see
// bench/peers/*.ts). Writes JSON with --json FILE and a markdown summary to stdout; progress goes to stderr.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { basename, dirname, extname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { launchBrowser, startServer } from './browser.mjs';
import { accuracyTargets, detSvg, fullReport, markedRange, replaceMarked, speedSummary, speedTargets, taskMarkdown } from './peers/report.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const USAGE = `Usage: npm run bench -- <task> [options]

Tasks
  accuracy --pairs FILE --images DIR [--peers]   1:1 verification on an LFW-format pairs file
  identify --images DIR [--gallery-size N] [--peers] [--min-photos 5] [--enroll 1] [--strangers N]
                                                 1:N: persons with >= 5 photos (first --enroll photos enrolled,
                                                 the rest probe) plus one-photo strangers
  speed [--images DIR] [--backends wasm,webgl] [--rounds 5] [--max-seconds 60] [--no-peers]
                                                 per-stage and end-to-end ms per image, load + warm-up, per backend
  search [--sizes 1000,10000,100000] [--queries 20] [--copies 4] [--no-peers]
                                                 query latency over 1k/10k/100k templates: the peers' own
                                                 matchers here, LocalFace's via bench/search/ when present
                                                 (--require fails while it is not)
  report --json FILE [--json FILE ...] [--md bench/results/peers.md] [--svg docs/roc-lfw.svg]
         [--benchmarks FILE]                     markdown section + DET plot from task JSON files; with
                                                 --benchmarks (default none) the section also replaces the text
                                                 between the lines <!-- bench:peers:begin --> and
                                                 <!-- bench:peers:end --> of FILE, e.g. BENCHMARKS.md (nothing
                                                 outside them changes; fails, writing nothing, without them)

Options
  --json FILE          write the task's results as JSON
  --limit N            quick run: about N pairs (accuracy), N gallery persons and N strangers (identify),
                       N images (speed)
  --peers              also run face-api and Human (accuracy, identify); speed runs them unless --no-peers
  --pipelines LIST     explicit list among localface,faceapi,human
  --select center|largest   which detected face is "the" face of an image, for every pipeline (default center:
                       LFW images are centred on the labelled person)
  --backend wasm|webgl backend for accuracy/identify (default wasm)
  --max-impostors N    accuracy: cap on the cross-person pairs scored for TMR @ FMR (default 20,000,000; above
                       it an even subsample is used)
  --cache DIR          reuse/store embeddings per pipeline in DIR (resumable long runs; timings are then those
                       of the run that embedded each image)
Images: DIR/<name>/<name>_<nnnn>.jpg (LFW layout) or DIR/<name>_<nnnn>.jpg (flat).`;

// ---------------------------------------------------------------------------------------------------------------
// Arguments

function parseArgs(argv) {
  const flags = new Set(['peers', 'no-peers', 'require', 'help']);
  const opts = { json: [] };
  const positional = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) {
      positional.push(a);
      continue;
    }
    const key = a.slice(2);
    if (flags.has(key)) opts[key] = true;
    else {
      const v = argv[++i];
      if (v === undefined) fail(`${a} needs a value`);
      if (key === 'json') opts.json.push(v);
      else opts[key] = v;
    }
  }
  return { task: positional[0], rest: positional.slice(1), opts };
}

function fail(message) {
  console.error(`bench: ${message}\n\n${USAGE}`);
  process.exit(2);
}

const log = (...a) => console.error(...a);

// ---------------------------------------------------------------------------------------------------------------
// Node-side TypeScript (metrics) via rolldown, as tools/fit-calibration/analyze.ts does

async function loadMetrics() {
  const { build } = await import('rolldown');
  const out = join(ROOT, 'bench/out/peers-metrics.mjs');
  mkdirSync(dirname(out), { recursive: true });
  await build({ input: join(ROOT, 'bench/peers/metrics.ts'), platform: 'node', logLevel: 'silent', output: { file: out, format: 'esm' } });
  return import(`${pathToFileURL(out).href}?t=${Date.now()}`);
}

// ---------------------------------------------------------------------------------------------------------------
// Machine description and load monitoring

/**
 * utime + stime (jiffies) of every process on the machine (/proc; empty off Linux), split into this run's own
 * process tree (this Node process and its descendants: Vite, Chromium) and all the others.
 */
function processJiffies() {
  const info = new Map();
  if (!existsSync('/proc/self/stat')) return undefined;
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      info.set(Number(pid), { ppid: Number(f[1]), jiffies: Number(f[11]) + Number(f[12]) });
    } catch {
      // the process exited meanwhile
    }
  }
  const children = new Map();
  for (const [pid, { ppid }] of info) children.set(ppid, [...(children.get(ppid) ?? []), pid]);
  const own = new Set();
  const stack = [process.pid];
  while (stack.length) {
    const pid = stack.pop();
    own.add(pid);
    stack.push(...(children.get(pid) ?? []));
  }
  const others = new Map();
  for (const [pid, { jiffies }] of info) if (!own.has(pid)) others.set(pid, jiffies);
  return others;
}

/**
 * Watches how busy the machine is while a task runs: the load average (which includes this run), and — what
 * decides "quiet" — the CPU used by OTHER processes (every process outside this run's own tree; per process, its
 * growth between samples), sampled every 5 s, in cores.
 */
function startLoadMonitor() {
  const HZ = 100; // USER_HZ on Linux
  const samples = [os.loadavg()[0]];
  const others = [];
  const timeline = [];
  let last = { t: Date.now(), procs: processJiffies() };
  const sample = () => {
    samples.push(os.loadavg()[0]);
    const now = { t: Date.now(), procs: processJiffies() };
    if (now.procs && last.procs && now.t > last.t) {
      let used = 0;
      for (const [pid, j] of now.procs) {
        const before = last.procs.get(pid);
        used += before === undefined ? 0 : Math.max(0, j - before);
      }
      others.push(used / HZ / ((now.t - last.t) / 1000));
      timeline.push({ from: last.t, to: now.t, cores: others[others.length - 1] });
    }
    last = now;
  };
  const timer = setInterval(sample, 5000);
  timer.unref();
  /** Other processes' CPU (cores) over the 5-s intervals overlapping [t0, t1]: mean, max and the quiet verdict. */
  const between = (t0, t1) => {
    const xs = timeline.filter((x) => x.to > t0 && x.from < t1).map((x) => x.cores);
    const mean = xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN;
    const max = xs.length ? Math.max(...xs) : NaN;
    return { othersMeanCores: mean, othersMaxCores: max, busy: xs.length ? mean > 0.2 || max > 0.75 : undefined };
  };
  const stop = () => {
    clearInterval(timer);
    sample();
    const cores = os.cpus().length;
    const mean = others.length ? others.reduce((a, b) => a + b, 0) / others.length : NaN;
    const max = others.length ? Math.max(...others) : NaN;
    // Quiet: other processes used on average < 0.2 cores and never > 0.75 cores over a 5-s interval.
    const busy = others.length ? mean > 0.2 || max > 0.75 : Math.max(...samples) > cores * 0.5;
    return { start: samples[0], end: samples[samples.length - 1], max: Math.max(...samples), othersMeanCores: mean, othersMaxCores: max, intervals: others.length, busy };
  };
  stop.between = (t0, t1) => {
    sample();
    return between(t0, t1);
  };
  return stop;
}

async function machine(browser, load) {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model?.trim() ?? 'unknown CPU',
    cores: cpus.length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    os: `${os.type()} ${os.release()}`,
    distro: distro(),
    node: process.version,
    browser: browser ? `Chromium ${browser.version()}` : 'Chromium',
    webglRenderer: 'SwiftShader (software)',
    load,
  };
}

/** The Linux distribution (PRETTY_NAME of /etc/os-release), or undefined. */
function distro() {
  try {
    return /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(readFileSync('/etc/os-release', 'utf8'))?.[1] || undefined;
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Images

const IMAGE_EXT = new Set(['.jpg', '.jpeg', '.png']);

/** Persons → their photos ({ key: "Name/Name_0001.jpg", path }), from the LFW layout or a flat folder. */
function scanImages(dir) {
  const persons = new Map();
  const add = (person, key, path) => {
    if (!persons.has(person)) persons.set(person, []);
    persons.get(person).push({ key, path });
  };
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) {
      for (const f of readdirSync(join(dir, entry.name)).sort()) {
        if (IMAGE_EXT.has(extname(f).toLowerCase())) add(entry.name, `${entry.name}/${f}`, join(dir, entry.name, f));
      }
    } else if (IMAGE_EXT.has(extname(entry.name).toLowerCase())) {
      const m = /^(.+)_(\d{4})\.[a-z]+$/i.exec(entry.name);
      const person = m ? m[1] : basename(entry.name, extname(entry.name));
      add(person, `${person}/${entry.name}`, join(dir, entry.name));
    }
  }
  for (const list of persons.values()) list.sort((a, b) => a.key.localeCompare(b.key));
  return new Map([...persons.entries()].sort((a, b) => a[0].localeCompare(b[0])));
}

/** Path of an LFW image key "Name/Name_0001.jpg" under DIR (LFW layout or flat), or undefined. */
function resolveKey(dir, key) {
  for (const p of [join(dir, key), join(dir, basename(key))]) if (existsSync(p)) return p;
  return undefined;
}

// ---------------------------------------------------------------------------------------------------------------
// Running a pipeline page

const ALL_PIPELINES = ['localface', 'faceapi', 'human'];

function pipelinesOf(opts, defaultPeers) {
  if (opts.pipelines) {
    const list = opts.pipelines.split(',').map((s) => s.trim()).filter(Boolean);
    for (const p of list) if (!ALL_PIPELINES.includes(p)) fail(`unknown pipeline ${p} (have ${ALL_PIPELINES.join(', ')})`);
    return list;
  }
  const peers = opts['no-peers'] ? false : opts.peers || defaultPeers;
  return peers ? ALL_PIPELINES : ['localface'];
}

const CONTENT_TYPES = { '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg', '.png': 'image/png' };

/** A page of one pipeline in its own browser context; images are served as /bench-images/<i> from `paths`. */
async function openPipeline(browser, origin, name, paths) {
  const context = await browser.newContext();
  const page = await context.newPage();
  const foreign = [];
  const httpErrors = [];
  const pageErrors = [];
  page.on('request', (req) => {
    const url = req.url();
    if (!url.startsWith(origin) && !url.startsWith('data:') && !url.startsWith('blob:')) foreign.push(url);
  });
  page.on('response', (res) => {
    if (res.status() >= 400 && !res.url().endsWith('/favicon.ico')) httpErrors.push(`${res.status()} ${res.url()}`);
  });
  page.on('pageerror', (e) => pageErrors.push(String(e)));
  // Anything not on the local server is refused: the libraries must work offline.
  await context.route((url) => !url.href.startsWith(origin) && url.protocol.startsWith('http'), (route) => route.abort());
  await page.route(`${origin}/bench-images/**`, (route) => {
    const i = Number(new URL(route.request().url()).pathname.split('/').pop());
    const path = paths[i];
    if (path === undefined) return route.fulfill({ status: 404 });
    return route.fulfill({ body: readFileSync(path), contentType: CONTENT_TYPES[extname(path).toLowerCase()] ?? 'application/octet-stream' });
  });
  await page.goto(`${origin}/bench/peers/${name}.html`);
  await page.waitForFunction(() => 'bench' in window, null, { timeout: 180_000 });
  return {
    page,
    foreign,
    httpErrors,
    pageErrors,
    init: (backend) => page.evaluate((b) => window.bench.init({ backend: b }), backend),
    embed: (indices, select, stages = false) =>
      page.evaluate(([urls, s, st]) => window.bench.embed(urls, s, st), [indices.map((i) => `/bench-images/${i}`), select, stages]),
    close: () => context.close(),
  };
}

const toF32 = (v) => Float32Array.from(v);
const b64 = (f32) => Buffer.from(f32.buffer, f32.byteOffset, f32.byteLength).toString('base64');
const fromB64 = (s) => {
  const buf = Buffer.from(s, 'base64');
  return new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
};

/**
 * Embeds `items` ({ key, path }) with one pipeline; returns { info, rows: Map(path → { faces, vectors, ms }) }.
 * With a cache dir, rows already embedded by the same library/config/backend/selection are reused and new ones
 * are saved as they come (a long run can be resumed).
 */
async function embedAll(browser, origin, name, items, { backend, select, cacheDir, metrics, batch = 20 }) {
  const paths = items.map((it) => it.path);
  const pipe = await openPipeline(browser, origin, name, paths);
  try {
    const info = await pipe.init(backend);
    log(`[${name}] ${info.library}, backend ${info.backend}, models ${info.models.join(' + ')}; load ${info.loadMs.toFixed(0)} ms, warm-up ${info.warmupMs.toFixed(0)} ms`);
    const cacheId = `${info.library}|${info.backend}|${select}|${info.config}|${info.models.join(',')}`;
    const cacheFile = cacheDir ? join(cacheDir, `${name}-${info.backend}-${select}.json`) : undefined;
    let cache = { id: cacheId, rows: {} };
    if (cacheFile && existsSync(cacheFile)) {
      const c = JSON.parse(readFileSync(cacheFile, 'utf8'));
      if (c.id === cacheId) cache = c;
      else log(`[${name}] cache ${cacheFile} is for another configuration; not used`);
    }
    const rows = new Map();
    const todo = [];
    items.forEach((it, i) => {
      const c = cache.rows[it.path];
      if (c) rows.set(it.path, { faces: c.f, vectors: c.v ? c.v.map(fromB64) : null, ms: c.ms, cached: true });
      else todo.push(i);
    });
    if (rows.size) log(`[${name}] ${rows.size} images from the cache, ${todo.length} to embed`);
    const started = Date.now();
    let done = 0, lastSave = Date.now(), lastLine = 0;
    const save = () => {
      if (!cacheFile) return;
      mkdirSync(dirname(cacheFile), { recursive: true });
      writeFileSync(cacheFile, JSON.stringify(cache));
      lastSave = Date.now();
    };
    for (let b = 0; b < todo.length; b += batch) {
      const chunk = todo.slice(b, b + batch);
      let result;
      try {
        result = await pipe.embed(chunk, select);
      } catch (e) {
        // One bad image must not sink the run: retry one by one, recording failures as "no face".
        log(`\n[${name}] batch failed (${String(e).split('\n')[0]}); retrying its images one by one`);
        result = {};
        for (const i of chunk) {
          try {
            Object.assign(result, await pipe.embed([i], select));
          } catch (e2) {
            result[`/bench-images/${i}`] = { faces: 0, vectors: null, ms: { decode: NaN, total: NaN }, error: String(e2).split('\n')[0] };
            log(`[${name}] ${items[i].key}: ${String(e2).split('\n')[0]}`);
          }
        }
      }
      for (const i of chunk) {
        const r = result[`/bench-images/${i}`];
        const vectors = r.vectors ? r.vectors.map(toF32) : null;
        rows.set(items[i].path, { faces: r.faces, vectors, ms: r.ms, error: r.error });
        if (!r.error) cache.rows[items[i].path] = { f: r.faces, v: vectors ? vectors.map(b64) : null, ms: r.ms };
      }
      done += chunk.length;
      const per = (Date.now() - started) / done;
      const line = `[${name}] ${done}/${todo.length} images, ${per.toFixed(0)} ms/image wall, ETA ${((todo.length - done) * per / 60000).toFixed(1)} min`;
      if (process.stderr.isTTY) process.stderr.write(`\r${line}   `);
      else if (Date.now() - lastLine > 60_000 || done === todo.length) {
        log(line);
        lastLine = Date.now();
      }
      if (Date.now() - lastSave > 30_000) save();
    }
    if (todo.length && process.stderr.isTTY) process.stderr.write('\n');
    save();
    const check = name === 'human' ? await checkHumanPort(pipe, rows, metrics) : undefined;
    if (pipe.foreign.length) throw new Error(`${name} requested other hosts: ${[...new Set(pipe.foreign)].slice(0, 5).join(', ')}`);
    if (pipe.pageErrors.length) log(`[${name}] page errors: ${pipe.pageErrors.slice(0, 3).join(' | ')}`);
    return { info, rows, check, httpErrors: pipe.httpErrors, foreign: pipe.foreign };
  } finally {
    await pipe.close();
  }
}

/** Human's scores are computed in Node by a port of human.match.similarity: check it against the library. */
async function checkHumanPort(pipe, rows, metrics) {
  const vecs = [...rows.values()].filter((r) => r.vectors).map((r) => r.vectors[0]).slice(0, 40);
  const pairs = [];
  for (let i = 0; i + 1 < vecs.length; i++) pairs.push([Array.from(vecs[i]), Array.from(vecs[i + 1])], [Array.from(vecs[i]), Array.from(vecs[(i * 7 + 3) % vecs.length])]);
  if (!pairs.length) return undefined;
  const theirs = await pipe.page.evaluate((p) => window.bench.score(p), pairs);
  const ours = pairs.map(([a, b]) => metrics.humanSimilarity(a, b));
  const mismatches = ours.filter((s, i) => s !== theirs[i]).length;
  if (mismatches) throw new Error(`the port of human.match.similarity differs from the library on ${mismatches} of ${pairs.length} pairs`);
  return `Human's scores: a port of human.match.similarity (default options) — identical to the library's own function on ${pairs.length} checked pairs.`;
}

const median = (xs) => {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  return s.length ? s[Math.floor(s.length / 2)] : NaN;
};
const quantile = (xs, q) => {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor(s.length * q))] : NaN;
};

// ---------------------------------------------------------------------------------------------------------------
// Tasks

async function withBrowser(fn) {
  const { server, origin } = await startServer();
  const browser = await launchBrowser();
  try {
    return await fn(browser, origin);
  } finally {
    await browser.close();
    await server.close();
  }
}

async function taskAccuracy(opts) {
  if (!opts.pairs) fail('accuracy needs --pairs FILE');
  const pairsPath = resolve(opts.pairs);
  const imagesDir = resolve(opts.images ?? join(dirname(pairsPath), 'images'));
  const select = opts.select ?? 'center';
  const backend = opts.backend ?? 'wasm';
  const metrics = await loadMetrics();
  const file = metrics.parsePairs(readFileSync(pairsPath, 'utf8'));
  const total = file.pairs.length;
  // Pairs whose images are not all present are dropped (reported).
  let pairs = file.pairs.filter((p) => resolveKey(imagesDir, p.a) && resolveKey(imagesDir, p.b));
  const missingPairs = total - pairs.length;
  const limited = opts.limit !== undefined && Number(opts.limit) < pairs.length;
  if (limited) pairs = metrics.limitPairs(pairs, Number(opts.limit));
  if (!pairs.length) fail(`no pair of ${pairsPath} has both images under ${imagesDir}`);
  const keys = [...new Set(pairs.flatMap((p) => [p.a, p.b]))].sort();
  const items = keys.map((key) => ({ key, path: resolveKey(imagesDir, key) }));
  const used = { ...file, pairs, folds: new Set(pairs.map((p) => p.fold)).size };
  log(`accuracy: ${pairs.length} pairs (${missingPairs} of ${total} dropped for missing images), ${items.length} images, ${used.folds} fold(s), selection ${select}`);

  const names = pipelinesOf(opts, false);
  const stopLoad = startLoadMonitor();
  const result = await withBrowser(async (browser, origin) => {
    const pipelines = [];
    const checks = [];
    for (const name of names) {
      const run = await embedAll(browser, origin, name, items, { backend, select, cacheDir: opts.cache, metrics });
      if (run.check) checks.push(run.check);
      const vectors = items.map((it) => run.rows.get(it.path)?.vectors ?? null);
      const msPerImage = median(items.map((it) => run.rows.get(it.path)?.ms?.total));
      const scorers = name === 'human' ? ['human', 'human-cosine'] : [name];
      for (const s of scorers) {
        const t = Date.now();
        const scorer = metrics.scorerFor(s, run.info.models);
        const m = metrics.verification(used, keys, vectors, scorer, Number(opts['max-impostors'] ?? 2e7));
        log(`[${s}] metrics in ${((Date.now() - t) / 1000).toFixed(1)} s: accuracy ${(100 * m.accuracy).toFixed(2)} %, TMR@0.1% ${(100 * m.tmrAtFmr1e3).toFixed(2)} %`);
        pipelines.push({
          name: s,
          library: run.info.library,
          backend: run.info.backend,
          config: s === 'human-cosine' ? 'the same embeddings compared by plain cosine (not what Human documents)' : run.info.config,
          defaultRule: scorer.defaultRule,
          ...m,
          msPerImage,
          loadMs: run.info.loadMs,
          warmupMs: run.info.warmupMs,
          errors: items.filter((it) => run.rows.get(it.path)?.error).length,
          cachedImages: items.filter((it) => run.rows.get(it.path)?.cached).length,
        });
      }
    }
    return { pipelines, checks, machine: await machine(browser) };
  });
  result.machine.load = stopLoad();
  return {
    task: 'accuracy',
    createdAt: new Date().toISOString(),
    dataset: { name: basename(pairsPath), pairsFile: relative(ROOT, pairsPath), imagesDir: relative(ROOT, imagesDir), pairs: pairs.length, pairsInFile: total, pairsMissingImages: missingPairs, folds: used.folds, images: items.length, limited },
    options: { select, backend, limit: opts.limit ? Number(opts.limit) : null },
    ...result,
    targets: accuracyTargets(result),
  };
}

async function taskIdentify(opts) {
  if (!opts.images) fail('identify needs --images DIR');
  const imagesDir = resolve(opts.images);
  const select = opts.select ?? 'center';
  const backend = opts.backend ?? 'wasm';
  const minPhotos = Number(opts['min-photos'] ?? 5);
  const limit = opts.limit !== undefined ? Number(opts.limit) : Infinity;
  const persons = scanImages(imagesDir);
  const eligible = [...persons.entries()].filter(([, photos]) => photos.length >= minPhotos);
  const galleryAll = eligible.slice(0, Math.min(Number(opts['gallery-size'] ?? Infinity), limit));
  const strangersAll = [...persons.entries()].filter(([, photos]) => photos.length === 1).slice(0, Math.min(Number(opts.strangers ?? Infinity), limit));
  if (!galleryAll.length) fail(`no person under ${imagesDir} has ≥ ${minPhotos} photos (use --min-photos)`);
  const items = [];
  const setup = { gallery: [], mated: [], strangers: [] };
  const push = (person, photo, list) => {
    list.push({ person, image: items.length });
    items.push(photo);
  };
  const enroll = Number(opts.enroll ?? 1);
  if (!(enroll >= 1 && enroll < minPhotos)) fail('--enroll must be between 1 and --min-photos − 1');
  for (const [person, photos] of galleryAll) {
    for (const photo of photos.slice(0, enroll)) push(person, photo, setup.gallery);
    for (const photo of photos.slice(enroll)) push(person, photo, setup.mated);
  }
  for (const [person, photos] of strangersAll) push(person, photos[0], setup.strangers);
  log(`identify: gallery ${galleryAll.length} persons (${enroll} photo(s) each), ${setup.mated.length} mated probes, ${setup.strangers.length} strangers; ${items.length} images, selection ${select}`);

  const metrics = await loadMetrics();
  const names = pipelinesOf(opts, false);
  const stopLoad = startLoadMonitor();
  const result = await withBrowser(async (browser, origin) => {
    const pipelines = [];
    for (const name of names) {
      const run = await embedAll(browser, origin, name, items, { backend, select, cacheDir: opts.cache, metrics });
      const vectors = items.map((it) => run.rows.get(it.path)?.vectors ?? null);
      const scorer = metrics.scorerFor(name, run.info.models);
      const m = metrics.identify(setup, vectors, scorer);
      log(`[${name}] rank-1 ${(100 * m.rank1).toFixed(2)} %, FNIR@FPIR1% ${(100 * m.fnirAtFpir1e2).toFixed(2)} %`);
      pipelines.push({ name, library: run.info.library, backend: run.info.backend, config: run.info.config, ...m });
    }
    return { pipelines, machine: await machine(browser) };
  });
  result.machine.load = stopLoad();
  return {
    task: 'identify',
    createdAt: new Date().toISOString(),
    dataset: { name: relative(ROOT, imagesDir) || imagesDir, minPhotos, enroll, galleryPersons: galleryAll.length, matedProbes: setup.mated.length, strangerProbes: setup.strangers.length, images: items.length, limited: Number.isFinite(limit) },
    options: { select, backend, limit: Number.isFinite(limit) ? limit : null, gallerySize: opts['gallery-size'] ? Number(opts['gallery-size']) : null },
    source: `Computed in bench/peers/metrics.ts from each pipeline's embeddings, the same protocol for all three (${enroll} enrolled photo(s) per person, a person scores by its best-matching photo). tools/identify-study/identify.ts is LocalFace's own, LocalFace-only study (photos per person, best face vs mean template).`,
    ...result,
  };
}

async function taskSpeed(opts) {
  const dir = resolve(opts.images ?? join(ROOT, 'e2e/fixtures/lfw'));
  const all = [...scanImages(dir).values()].flat();
  const items = all.slice(0, opts.limit !== undefined ? Number(opts.limit) : 10);
  if (!items.length) fail(`no images under ${dir}`);
  const backends = (opts.backends ?? 'wasm,webgl').split(',');
  const rounds = Number(opts.rounds ?? 5);
  const maxSeconds = Number(opts['max-seconds'] ?? 60);
  const select = opts.select ?? 'center';
  const names = pipelinesOf(opts, true);
  const sizes = new Set(items.map((it) => imageSize(it.path)).filter(Boolean));
  log(`speed: ${items.length} images from ${dir}; pipelines ${names.join(', ')}; backends ${backends.join(', ')}; up to ${rounds} rounds or ${maxSeconds} s each`);
  const stopLoad = startLoadMonitor();
  const runs = [];
  const phases = [];
  let machineInfo;
  const { server, origin } = await startServer();
  try {
    for (const backend of backends) {
      const phaseStart = Date.now();
      // Cold start, one pipeline at a time: a fresh browser each (cold HTTP and shader caches, as a first visit),
      // models + warm-up + the first image.
      const open = [];
      for (const name of names) {
        const browser = await launchBrowser();
        machineInfo ??= await machine(browser);
        let pipe;
        try {
          pipe = await openPipeline(browser, origin, name, items.map((it) => it.path));
          const info = await pipe.init(backend);
          const firstMs = (await pipe.embed([0], select))['/bench-images/0'].ms.total;
          log(`[${name}/${info.backend}] load ${info.loadMs.toFixed(0)} + warm-up ${info.warmupMs.toFixed(0)} + first image ${firstMs.toFixed(0)} ms`);
          open.push({ name, backend, browser, pipe, info, firstMs, samples: [], spent: 0 });
        } catch (e) {
          log(`[${name}/${backend}] failed: ${String(e).split('\n')[0]}`);
          runs.push({ pipeline: name, backend, error: String(e).split('\n')[0].slice(0, 200) });
          await browser.close();
        }
      }
      // Steady state: rounds over the images, the pipelines interleaved round by round so that a slow or fast
      // spell of the machine does not fall on one library only; each pipeline stops at its time budget.
      try {
        for (let r = 0; r < rounds; r++) {
          for (const o of open) {
            if (o.error || (o.spent > maxSeconds * 1000 && o.samples.length >= 5)) continue;
            const t0 = Date.now();
            try {
              for (let i = 0; i < items.length; i++) o.samples.push((await o.pipe.embed([i], select, true))[`/bench-images/${i}`].ms);
            } catch (e) {
              o.error = String(e).split('\n')[0].slice(0, 200);
              log(`[${o.name}/${o.backend}] failed: ${o.error}`);
            }
            o.spent += Date.now() - t0;
          }
        }
        for (const o of open) {
          if (!o.error && o.pipe.foreign.length) o.error = `requested other hosts: ${[...new Set(o.pipe.foreign)].slice(0, 3).join(', ')}`;
          if (o.error) {
            runs.push({ pipeline: o.name, backend: o.info.backend, error: o.error });
            continue;
          }
          const m = (k) => median(o.samples.map((x) => x[k]));
          const run = {
            pipeline: o.name,
            backend: o.info.backend,
            requestedBackend: o.backend,
            library: o.info.library,
            loadMs: o.info.loadMs,
            warmupMs: o.info.warmupMs,
            firstImageMs: o.firstMs,
            firstResultMs: o.info.loadMs + o.info.warmupMs + o.firstMs,
            median: { decode: m('decode'), detect: m('detect'), embed: m('embed'), total: m('total') },
            p90Total: quantile(o.samples.map((x) => x.total), 0.9),
            samples: o.samples.length,
            seconds: o.spent / 1000,
          };
          runs.push(run);
          log(`[${o.name}/${o.info.backend}] end-to-end median ${run.median.total.toFixed(1)} ms over ${run.samples}`);
        }
      } finally {
        for (const o of open) {
          await o.pipe.close().catch(() => {});
          await o.browser.close();
        }
      }
      phases.push({ backend, seconds: (Date.now() - phaseStart) / 1000, ...stopLoad.between(phaseStart, Date.now()) });
    }
  } finally {
    await server.close();
  }
  machineInfo.load = stopLoad();
  const speed = { runs };
  const { best, ratios } = speedSummary(speed);
  const targets = speedTargets(speed);
  return {
    task: 'speed',
    createdAt: new Date().toISOString(),
    dataset: { name: relative(ROOT, dir) || dir, images: items.length, size: [...sizes].join(', ') || 'unknown size' },
    options: { backends, rounds, maxSeconds, select, limit: opts.limit ? Number(opts.limit) : null },
    runs,
    phases,
    best,
    ratios,
    targets,
    machine: machineInfo,
  };
}

/** Width×height of a JPEG/PNG from its header (for the report). */
function imageSize(path) {
  const b = readFileSync(path);
  if (b[0] === 0x89 && b[1] === 0x50) return `${b.readUInt32BE(16)}×${b.readUInt32BE(20)}`;
  for (let i = 2; i + 9 < b.length;) {
    if (b[i] !== 0xff) return undefined;
    const marker = b[i + 1];
    const len = b.readUInt16BE(i + 2);
    if (marker >= 0xc0 && marker <= 0xcf && ![0xc4, 0xc8, 0xcc].includes(marker)) return `${b.readUInt16BE(i + 7)}×${b.readUInt16BE(i + 5)}`;
    i += 2 + len;
  }
  return undefined;
}

/**
 * search: query latency of a linear 1:N search over 1k / 10k / 100k templates. The peers' documented matchers
 * (face-api FaceMatcher.findBestMatch, Human match.find) are timed here on random unit templates of their sizes;
 * LocalFace's persons/search is being written elsewhere, so its side is delegated to bench/search/ once that
 * exists, and reported as not available until then (--require makes that an error).
 */
async function taskSearch(opts, argv) {
  let sizes = (opts.sizes ?? '1000,10000,100000').split(',').map(Number);
  if (opts.limit !== undefined) sizes = sizes.filter((n) => n <= Number(opts.limit)).concat(sizes.some((n) => n <= Number(opts.limit)) ? [] : [Number(opts.limit)]);
  const queries = Number(opts.queries ?? (opts.limit !== undefined ? 5 : 20));
  const names = pipelinesOf(opts, true);
  const result = { task: 'search', createdAt: new Date().toISOString(), options: { sizes, queries, limit: opts.limit ? Number(opts.limit) : null }, peers: [] };

  const dir = join(ROOT, 'bench/search');
  const scripts = existsSync(dir) ? readdirSync(dir).filter((f) => /\.m?js$/.test(f)).sort() : [];
  const script = ['run.mjs', 'search.mjs', 'index.mjs', 'bench.mjs'].find((f) => scripts.includes(f)) ?? scripts[0];
  if (names.includes('localface')) {
    if (!script) {
      result.localface = { available: false, message: "LocalFace's persons/search (src/collections/search) and its benchmark (bench/search/) are still being written; this task runs bench/search/ once it exists." };
      log(`search: LocalFace: not available yet`);
      if (opts.require) result.exitCode = 3;
    } else {
      log(`search: LocalFace: running bench/search/${script}`);
      // Their script's options: --sizes, --copies (bulk-enroll photos), --json OUT.
      const tmp = join(os.tmpdir(), `localface-search-${process.pid}.json`);
      const args = ['--sizes', sizes.join(','), '--json', tmp, ...(opts.copies ? ['--copies', opts.copies] : [])];
      const r = spawnSync(process.execPath, [join(dir, script), ...args], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 64 << 20 });
      let data;
      try {
        data = JSON.parse(readFileSync(tmp, 'utf8'));
      } catch {
        data = undefined;
      }
      result.localface = { available: true, delegatedTo: `bench/search/${script} ${args.join(' ').replace(tmp, 'TMP.json')}`, exitCode: r.status, output: (r.stdout ?? '').trim().slice(0, 20000), data };
      if (r.status !== 0) result.exitCode = r.status ?? 1;
    }
  }
  const peers = names.filter((n) => n !== 'localface');
  if (peers.length) {
    const stopLoad = startLoadMonitor();
    await withBrowser(async (browser, origin) => {
      for (const name of peers) {
        const pipe = await openPipeline(browser, origin, name, []);
        try {
          const info = await pipe.init('wasm');
          const rows = await pipe.page.evaluate(([s, q]) => window.bench.search(s, q), [sizes, queries]);
          for (const r of rows) log(`[${name}] ${r.size} templates: ${r.medianMs.toFixed(2)} ms per query`);
          result.peers.push({ pipeline: name, library: info.library, method: name === 'faceapi' ? 'new FaceMatcher(labeled, 0.6).findBestMatch(descriptor), 128-d' : 'human.match.find(embedding, db), 1024-d', rows });
        } finally {
          await pipe.close();
        }
      }
      result.machine = await machine(browser);
    });
    result.machine.load = stopLoad();
  }
  return result;
}

function taskReport(opts) {
  if (!opts.json.length) fail('report needs --json FILE (one or more)');
  const files = opts.json.map((f) => resolve(f));
  const results = files.map((f) => {
    if (!existsSync(f)) fail(`--json ${f}: no such file`);
    return JSON.parse(readFileSync(f, 'utf8'));
  });
  const rel = (f) => {
    const r = relative(ROOT, f);
    return !r || r.startsWith('..') ? f : r.split('\\').join('/');
  };
  const svgOut = resolve(opts.svg ?? join(ROOT, 'docs/roc-lfw.svg'));
  const mdOut = resolve(opts.md ?? join(ROOT, 'bench/results/peers.md'));
  const benchOut = opts.benchmarks ? resolve(opts.benchmarks) : undefined;
  const accuracy = results.find((r) => r.task === 'accuracy');
  // The markers are checked before anything is written.
  let range;
  if (benchOut) {
    if (!existsSync(benchOut)) fail(`--benchmarks ${rel(benchOut)}: no such file`);
    try {
      range = markedRange(readFileSync(benchOut, 'utf8'), rel(benchOut));
    } catch (e) {
      console.error(`bench report: ${e.message}`);
      process.exit(2);
    }
  }
  // Targets are recomputed from the figures; say so when the JSON recorded another verdict.
  for (const r of results) {
    const now = r.task === 'accuracy' ? accuracyTargets(r) : r.task === 'speed' ? speedTargets(r) : [];
    if (r.targets && r.targets.map((t) => t.ok).join() !== now.map((t) => t.ok).join()) {
      log(`note: ${r.task}: the targets stored in the JSON (${r.targets.map((t) => t.ok).join(', ')}) differ from those recomputed from its figures (${now.map((t) => t.ok).join(', ')}); the report shows the recomputed ones`);
    }
  }
  const command = [
    'npm run bench -- report',
    ...files.map((f) => `--json ${rel(f)}`),
    `--md ${rel(mdOut)}`,
    ...(accuracy ? [`--svg ${rel(svgOut)}`] : []),
    ...(benchOut ? [`--benchmarks ${rel(benchOut)}`] : []),
  ].join(' ');
  const sources = files.map(rel);
  const linkFrom = (out) => (p) => relative(dirname(out), join(ROOT, p)).split('\\').join('/');
  if (accuracy) {
    mkdirSync(dirname(svgOut), { recursive: true });
    writeFileSync(svgOut, detSvg(accuracy));
    log(`wrote ${rel(svgOut)}`);
  }
  const section = (out, level) =>
    fullReport(results, { level, sources, command, link: linkFrom(out), svgPath: accuracy ? relative(dirname(out), svgOut).split('\\').join('/') : undefined });
  const md = section(mdOut, 2);
  mkdirSync(dirname(mdOut), { recursive: true });
  writeFileSync(mdOut, md);
  log(`wrote ${rel(mdOut)}`);
  if (benchOut) {
    writeFileSync(benchOut, replaceMarked(range, section(benchOut, range.level)));
    log(`wrote ${rel(benchOut)} (between the bench:peers markers)`);
  }
  return md;
}

// ---------------------------------------------------------------------------------------------------------------

async function main() {
  const argv = process.argv.slice(2);
  const { task, opts } = parseArgs(argv);
  if (!task || opts.help) {
    console.log(USAGE);
    return task ? 0 : 2;
  }
  if (opts.select && !['center', 'largest'].includes(opts.select)) fail('--select must be center or largest');
  if (opts.backend && !['wasm', 'webgl'].includes(opts.backend)) fail('--backend must be wasm or webgl');
  if (opts.limit !== undefined && !(Number(opts.limit) >= 1)) fail('--limit must be a positive number');
  if (task === 'report') {
    console.log(taskReport(opts));
    return 0;
  }
  const command = `npm run bench -- ${argv.join(' ')}`;
  const started = Date.now();
  let result;
  if (task === 'accuracy') result = await taskAccuracy(opts);
  else if (task === 'identify') result = await taskIdentify(opts);
  else if (task === 'speed') result = await taskSpeed(opts);
  else if (task === 'search') result = await taskSearch(opts, argv);
  else fail(`unknown task ${task}`);
  result.command = command;
  result.seconds = (Date.now() - started) / 1000;
  if (opts.json.length) {
    const out = resolve(opts.json[0]);
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, JSON.stringify(result, null, 1) + '\n');
    log(`wrote ${relative(ROOT, out) || out}`);
  }
  console.log(taskMarkdown(result));
  return result.exitCode ?? 0;
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error(`bench: ${e instanceof Error ? e.stack : String(e)}`);
    process.exit(1);
  },
);
