// What the `npm run bench` tasks share: the usage text, argument errors and logging, the Node-side metrics bundle,
// the machine description and load monitor, image folders, and the pipeline pages (one browser context per library,
// images served from disk, embeddings cached per configuration) on the local Vite server and headless chromium.
import { createHash } from 'node:crypto';
import os from 'node:os';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { launchBrowser, startServer } from '../browser.mjs';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export const USAGE = `Usage: npm run bench -- <task> [options]

Tasks
  accuracy --pairs FILE --images DIR [--peers]   1:1 verification on an LFW-format pairs file
  identify --images DIR [--gallery-size N] [--peers] [--min-photos 5] [--enroll 1] [--strangers N]
                                                 1:N: persons with >= 5 photos (first --enroll photos enrolled,
                                                 the rest probe) plus one-photo strangers
  speed [--images DIR] [--backends wasm,webgl] [--rounds 5] [--max-seconds 60] [--no-peers] [--no-startup]
                                                 per-stage and end-to-end ms per image, load + warm-up, per backend;
                                                 then the startup task (unless --no-startup)
  startup [--lib dist] [--demo demo-dist]        the built library on a static server: bytes per file before the
                                                 first compareFaces result, first visit (cold profile) and second
                                                 visit (warm model cache), and what the checks load on first use
  search [--sizes 1000,10000,100000] [--queries 20] [--copies 4] [--no-peers]
                                                 query latency over 1k/10k/100k templates: the peers' own
                                                 matchers here, LocalFace's via bench/search/ when present
                                                 (--require fails while it is not)
  fuzz [--count 1200] [--huge]                   malformed inputs against every public method: each must be a
                                                 specific FaceError within 10 s, no tensor growth, nothing stored
                                                 changed (200 of them run in CI: e2e/fuzz.spec.ts)
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
  --peer-wasm-threads auto|1   the peers' TF.js WASM build: 'auto' (default: their own choice, multi-threaded on
                       these cross-origin-isolated pages) or 1 (single-threaded, as LocalFace and most pages run)
  --cache DIR          reuse/store embeddings per pipeline in DIR (resumable long runs; timings are then those
                       of the run that embedded each image)
Images: DIR/<name>/<name>_<nnnn>.jpg (LFW layout) or DIR/<name>_<nnnn>.jpg (flat).`;

export function fail(message) {
  console.error(`bench: ${message}\n\n${USAGE}`);
  process.exit(2);
}

export const log = (...a) => console.error(...a);

// ---------------------------------------------------------------------------------------------------------------
// Node-side TypeScript (metrics) via rolldown, as tools/fit-calibration/analyze.ts does

export async function loadMetrics() {
  const { build } = await import('rolldown');
  const out = join(ROOT, 'bench/out/peers-metrics.mjs');
  mkdirSync(dirname(out), { recursive: true });
  await build({
    input: join(ROOT, 'bench/peers/metrics.ts'),
    platform: 'node',
    logLevel: 'silent',
    output: { file: out, format: 'esm' },
  });
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
export function startLoadMonitor() {
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
    return {
      start: samples[0],
      end: samples[samples.length - 1],
      max: Math.max(...samples),
      othersMeanCores: mean,
      othersMaxCores: max,
      intervals: others.length,
      busy,
    };
  };
  stop.between = (t0, t1) => {
    sample();
    return between(t0, t1);
  };
  return stop;
}

export async function machine(browser, load) {
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
export function scanImages(dir) {
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
export function resolveKey(dir, key) {
  for (const p of [join(dir, key), join(dir, basename(key))]) if (existsSync(p)) return p;
  return undefined;
}

// ---------------------------------------------------------------------------------------------------------------
// Running a pipeline page

export const ALL_PIPELINES = ['localface', 'faceapi', 'human'];

export function pipelinesOf(opts, defaultPeers) {
  if (opts.pipelines) {
    const list = opts.pipelines
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    for (const p of list)
      if (!ALL_PIPELINES.includes(p)) fail(`unknown pipeline ${p} (have ${ALL_PIPELINES.join(', ')})`);
    return list;
  }
  const peers = opts['no-peers'] ? false : opts.peers || defaultPeers;
  return peers ? ALL_PIPELINES : ['localface'];
}

const CONTENT_TYPES = { '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg', '.png': 'image/png' };

/** A page of one pipeline in its own browser context; images are served as /bench-images/<i> from `paths`. */
export async function openPipeline(browser, origin, name, paths) {
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
  await context.route(
    (url) => !url.href.startsWith(origin) && url.protocol.startsWith('http'),
    (route) => route.abort(),
  );
  await page.route(`${origin}/bench-images/**`, (route) => {
    const i = Number(new URL(route.request().url()).pathname.split('/').pop());
    const path = paths[i];
    if (path === undefined) return route.fulfill({ status: 404 });
    return route.fulfill({
      body: readFileSync(path),
      contentType: CONTENT_TYPES[extname(path).toLowerCase()] ?? 'application/octet-stream',
    });
  });
  await page.goto(`${origin}/bench/peers/${name}.html`);
  await page.waitForFunction(() => 'bench' in window, null, { timeout: 180_000 });
  return {
    page,
    foreign,
    httpErrors,
    pageErrors,
    // --peer-wasm-threads 1 (BENCH_PEER_WASM_THREADS): the peers on TF.js's single-threaded WASM build, as LocalFace.
    init: (backend) =>
      page.evaluate(
        ([b, t]) => window.bench.init({ backend: b, wasmThreads: t }),
        [backend, process.env.BENCH_PEER_WASM_THREADS === '1' ? 1 : 'auto'],
      ),
    embed: (indices, select, stages = false) =>
      page.evaluate(
        ([urls, s, st]) => window.bench.embed(urls, s, st),
        [indices.map((i) => `/bench-images/${i}`), select, stages],
      ),
    close: () => context.close(),
  };
}

/** sha256 (first 16 hex digits) of every file under src/ (the library's code, calibration and model manifest). */
function sourceHash() {
  const hash = createHash('sha256');
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else hash.update(path.slice(ROOT.length)).update(readFileSync(path));
    }
  };
  walk(join(ROOT, 'src'));
  return hash.digest('hex').slice(0, 16);
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
export async function embedAll(browser, origin, name, items, { backend, select, cacheDir, metrics, batch = 20 }) {
  const paths = items.map((it) => it.path);
  const pipe = await openPipeline(browser, origin, name, paths);
  try {
    const info = await pipe.init(backend);
    log(
      `[${name}] ${info.library}, backend ${info.backend}, models ${info.models.join(' + ')}; load ${info.loadMs.toFixed(0)} ms, warm-up ${info.warmupMs.toFixed(0)} ms`,
    );
    // LocalFace's own code and models name its rows too: a change of detection, alignment or input between runs
    // must not reuse vectors an older build made (the peers are pinned npm packages, named by their version).
    const code = name === 'localface' ? `|${sourceHash()}` : '';
    const cacheId = `${info.library}|${info.backend}|${select}|${info.config}|${info.models.join(',')}${code}`;
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
    let done = 0,
      lastSave = Date.now(),
      lastLine = 0;
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
            result[`/bench-images/${i}`] = {
              faces: 0,
              vectors: null,
              ms: { decode: NaN, total: NaN },
              error: String(e2).split('\n')[0],
            };
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
      const line = `[${name}] ${done}/${todo.length} images, ${per.toFixed(0)} ms/image wall, ETA ${(((todo.length - done) * per) / 60000).toFixed(1)} min`;
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
    if (pipe.foreign.length)
      throw new Error(`${name} requested other hosts: ${[...new Set(pipe.foreign)].slice(0, 5).join(', ')}`);
    if (pipe.pageErrors.length) log(`[${name}] page errors: ${pipe.pageErrors.slice(0, 3).join(' | ')}`);
    return { info, rows, check, httpErrors: pipe.httpErrors, foreign: pipe.foreign };
  } finally {
    await pipe.close();
  }
}

/** Human's scores are computed in Node by a port of human.match.similarity: check it against the library. */
async function checkHumanPort(pipe, rows, metrics) {
  const vecs = [...rows.values()]
    .filter((r) => r.vectors)
    .map((r) => r.vectors[0])
    .slice(0, 40);
  const pairs = [];
  for (let i = 0; i + 1 < vecs.length; i++)
    pairs.push(
      [Array.from(vecs[i]), Array.from(vecs[i + 1])],
      [Array.from(vecs[i]), Array.from(vecs[(i * 7 + 3) % vecs.length])],
    );
  if (!pairs.length) return undefined;
  const theirs = await pipe.page.evaluate((p) => window.bench.score(p), pairs);
  const ours = pairs.map(([a, b]) => metrics.humanSimilarity(a, b));
  const mismatches = ours.filter((s, i) => s !== theirs[i]).length;
  if (mismatches)
    throw new Error(
      `the port of human.match.similarity differs from the library on ${mismatches} of ${pairs.length} pairs`,
    );
  return `Human's scores: a port of human.match.similarity (default options) — identical to the library's own function on ${pairs.length} checked pairs.`;
}

export const median = (xs) => {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  return s.length ? s[Math.floor(s.length / 2)] : NaN;
};
export const quantile = (xs, q) => {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor(s.length * q))] : NaN;
};

/** Runs `fn` with a fresh local Vite server and headless chromium, closing both afterwards. */
export async function withBrowser(fn) {
  const { server, origin } = await startServer();
  const browser = await launchBrowser();
  try {
    return await fn(browser, origin);
  } finally {
    await browser.close();
    await server.close();
  }
}
