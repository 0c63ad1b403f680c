// Start-up and bytes (part of `npm run bench -- speed`, or alone as `npm run bench -- startup`): the built library
// (dist/) on a plain static server, as an app serves it, in a fresh browser profile. Every file the page and its
// Workers download is counted at the server (bytes of each response body), attributed to the call during which its
// request arrived: page load, createFaceClient, the first compareFaces, then a detectFaces with every check (what
// the checks load lazily). Then a second visit in the same profile (the library's model cache is warm; the server
// sends `Cache-Control: no-store`, so the HTTP cache holds nothing and every byte not re-requested came from the
// library's own cache). gzip sizes are what a server that compresses would send.
import { createServer } from 'node:http';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { gzipSync } from 'node:zlib';
import { chromium } from '@playwright/test';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../../e2e/chromium.mjs';
import { ROOT, fail, log, startLoadMonitor } from './common.mjs';

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.jpg': 'image/jpeg',
};

export const PAGE = `<!doctype html><meta charset="utf-8"><title>startup</title>
<script type="module">
  import * as LocalFace from '/lib/localface.js';
  const bytes = async (u) => new Uint8Array(await (await fetch(u)).arrayBuffer());
  let client, images;
  window.startup = {
    async images(urls) { images = await Promise.all(urls.map(bytes)); },
    async create() {
      const t0 = performance.now();
      client = await LocalFace.createFaceClient({ modelBaseUrl: '/lib/models/', databaseName: 'startup-bench' });
      return { ms: performance.now() - t0, backend: client.backend };
    },
    async compare() {
      const t0 = performance.now();
      const r = await client.compareFaces(images[0], images[1]);
      const t1 = performance.now();
      return { ms: t1 - t0, sinceNavigation: t1, similarityScore: r.similarityScore };
    },
    async compareAgain() {
      const t0 = performance.now();
      await client.compareFaces(images[1], images[0]);
      return { ms: performance.now() - t0 };
    },
    async checks() {
      const t0 = performance.now();
      await client.detectFaces(images[0], { quality: true, attributes: true, liveness: true });
      return { ms: performance.now() - t0 };
    },
    async close() { await client.close(); },
    // What checking a cached copy costs (WebCrypto SHA-256 over the compareFaces models' bytes), and compiling
    // the WASM backend's binary from bytes (what TF.js does with the verified bytes it is handed).
    async costs(wasmUrl, hashBytes) {
      const data = new Uint8Array(hashBytes).map((_, i) => i * 31);
      let t0 = performance.now();
      await crypto.subtle.digest('SHA-256', data);
      const sha256Ms = performance.now() - t0;
      const wasm = await (await fetch(wasmUrl)).arrayBuffer();
      t0 = performance.now();
      await WebAssembly.compile(wasm);
      return { sha256Ms, hashBytes, wasmCompileMs: performance.now() - t0, wasmBytes: wasm.byteLength };
    },
  };
  window.ready = true;
</script>`;

/**
 * The library's files, the startup page and the images, as a plain static server sends them. `served.listener`, if
 * set, hears of each request as it arrives: `{ url, start, bytes }`, then `end` (or `failed`) set on that object when
 * the response has been sent.
 */
export function startStaticServer(libDir, images, served = {}) {
  const lib = resolve(libDir);
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    const record = { url: `http://127.0.0.1${req.url ?? '/'}`, start: Date.now(), bytes: 0 };
    served.listener?.(record);
    res.on('finish', () => (record.end = Date.now()));
    res.on('close', () => {
      if (record.end === undefined) record.failed = 'connection closed before the response was sent';
    });
    let body;
    let type = 'text/html; charset=utf-8';
    if (path === '/' || path === '/index.html') body = Buffer.from(PAGE);
    else if (path.startsWith('/img/') && images[Number(path.slice(5))]) {
      body = readFileSync(images[Number(path.slice(5))]);
      type = 'image/jpeg';
    } else if (path.startsWith('/lib/')) {
      const file = normalize(join(lib, path.slice(5)));
      if (file.startsWith(lib + sep) && existsSync(file) && statSync(file).isFile()) {
        body = readFileSync(file);
        type = TYPES[extname(file)] ?? 'application/octet-stream';
      }
    }
    if (!body) {
      record.failed = 'HTTP 404';
      return res.writeHead(404).end();
    }
    record.bytes = body.length;
    res.writeHead(200, {
      'Content-Type': type,
      'Content-Length': body.length,
      'Cache-Control': 'no-store',
      'Cross-Origin-Opener-Policy': 'same-origin',
      'Cross-Origin-Embedder-Policy': 'require-corp',
      'Cross-Origin-Resource-Policy': 'same-origin',
    });
    res.end(body);
  });
  return new Promise((ok) => server.listen(0, '127.0.0.1', () => ok(server)));
}

/**
 * Records every request the server answers while a visit runs (the page's, and its Workers', which Chromium's
 * per-page network events miss or report as aborted): path, bytes sent, start/end ms, and the phase it started in.
 */
function recordNetwork(served) {
  const requests = [];
  const state = { phase: 'page' };
  served.listener = (r) => requests.push(Object.assign(r, { phase: state.phase }));
  return { state, requests: () => requests.filter((r) => r.end !== undefined || r.failed) };
}

async function visit(context, origin, served, imageCount, withChecks) {
  const page = await context.newPage();
  const net = recordNetwork(served);
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  const t0 = Date.now();
  await page.goto(`${origin}/`);
  await page.waitForFunction(() => window.ready === true);
  const pageMs = Date.now() - t0;
  net.state.phase = 'images';
  await page.evaluate(
    (urls) => window.startup.images(urls),
    Array.from({ length: imageCount }, (_, i) => `/img/${i}`),
  );
  net.state.phase = 'createFaceClient';
  const create = await page.evaluate(() => window.startup.create());
  net.state.phase = 'compareFaces';
  const compare = await page.evaluate(() => window.startup.compare());
  const again = await page.evaluate(() => window.startup.compareAgain());
  let checks;
  if (withChecks) {
    net.state.phase = 'detectFaces (quality, attributes, liveness)';
    checks = await page.evaluate(() => window.startup.checks());
  }
  await page.evaluate(() => window.startup.close());
  net.state.phase = 'measurement (not the library)';
  const costs = withChecks
    ? await page.evaluate(
        ([url, n]) => window.startup.costs(url, n),
        ['/lib/models/wasm/tfjs-backend-wasm-simd.wasm', 12_000_000],
      )
    : undefined;
  // Lazy loads started during a call may still be finishing: give them a moment before reading the events.
  await page.waitForTimeout(500);
  const requests = net.requests();
  await page.close();
  if (errors.length) log(`startup: page errors: ${errors.slice(0, 3).join(' | ')}`);
  return {
    pageMs,
    createMs: create.ms,
    backend: create.backend,
    firstCompareMs: compare.ms,
    firstResultSinceNavigationMs: compare.sinceNavigation,
    secondCompareMs: again.ms,
    checksMs: checks?.ms,
    similarityScore: compare.similarityScore,
    costs,
    requests,
  };
}

const gzipSizes = new Map();
function gzipSize(libDir, url) {
  const path = new URL(url).pathname;
  if (!path.startsWith('/lib/')) return undefined;
  if (!gzipSizes.has(path)) {
    const file = join(libDir, path.slice(5));
    gzipSizes.set(path, existsSync(file) ? gzipSync(readFileSync(file), { level: 6 }).length : undefined);
  }
  return gzipSizes.get(path);
}

/** Per-file rows of one visit, and totals up to and including the first compareFaces result. */
function summarize(v, libDir) {
  const files = v.requests
    .filter((r) => !new URL(r.url).pathname.startsWith('/img/') && !r.phase.startsWith('measurement'))
    .map((r) => ({
      file: new URL(r.url).pathname.replace(/^\/lib\//, ''),
      phase: r.phase,
      bytes: r.bytes ?? 0,
      gzipBytes: gzipSize(libDir, r.url),
      ms: r.end !== undefined ? r.end - r.start : undefined,
      failed: r.failed,
    }));
  const beforeFirst = files.filter((f) => ['page', 'createFaceClient', 'compareFaces'].includes(f.phase));
  const sum = (xs, k) => xs.reduce((s, f) => s + (f[k] ?? f.bytes), 0);
  return {
    ...v,
    requests: undefined,
    files,
    bytesBeforeFirstResult: sum(beforeFirst, 'bytes'),
    gzipBytesBeforeFirstResult: sum(beforeFirst, 'gzipBytes'),
    modelBytesBeforeFirstResult: sum(
      beforeFirst.filter((f) => f.file.startsWith('models/')),
      'bytes',
    ),
    requestsBeforeFirstResult: beforeFirst.length,
    modelRequests: files.filter((f) => f.file.startsWith('models/')).length,
  };
}

export async function measureStartup(opts = {}) {
  const libDir = resolve(opts.lib ?? join(ROOT, 'dist'));
  if (!existsSync(join(libDir, 'localface.js')) || !existsSync(join(libDir, 'models')))
    fail(`startup: ${libDir} has no localface.js + models/: run \`npm run build\` first (or pass --lib DIR)`);
  const images = [
    join(ROOT, 'e2e/fixtures/lfw/Colin_Powell_0001.jpg'),
    join(ROOT, 'e2e/fixtures/lfw/Colin_Powell_0002.jpg'),
  ].filter(existsSync);
  if (images.length < 2) fail('startup: e2e/fixtures/lfw/Colin_Powell_000{1,2}.jpg missing');
  const served = {};
  const server = await startStaticServer(libDir, images, served);
  const origin = `http://127.0.0.1:${server.address().port}`;
  const profile = mkdtempSync(join(tmpdir(), 'localface-startup-'));
  const stopLoad = startLoadMonitor();
  try {
    // One persistent profile: the first visit is cold (empty profile), the second finds what the first stored.
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM_PATH,
      args: CHROMIUM_ARGS,
    });
    try {
      log('startup: first visit (cold profile)');
      const cold = summarize(await visit(context, origin, served, images.length, true), libDir);
      log('startup: second visit (same profile)');
      const warm = summarize(await visit(context, origin, served, images.length, false), libDir);
      return { lib: libDir, cold, warm, load: stopLoad() };
    } finally {
      await context.close();
    }
  } finally {
    server.close();
    rmSync(profile, { recursive: true, force: true });
  }
}

/**
 * The check-in PWA's first visit (demo-dist/ from `npm run build:demo`): every byte the server sends — the page's
 * and its service worker's requests alike — until the page says its offline cache is ready, then a reload (the
 * second visit's bytes). Chromium's fake camera (a test pattern, no face) stands in for a webcam.
 */
export async function measureCheckin(demoDir) {
  const root = resolve(demoDir);
  if (!existsSync(join(root, 'checkin', 'sw.js')))
    fail(`startup: ${root}/checkin/sw.js missing: run \`npm run build:demo\``);
  const sent = [];
  const server = createServer((req, res) => {
    let path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    if (path.endsWith('/')) path += 'index.html';
    const file = normalize(join(root, path));
    if (!file.startsWith(root + sep) || !existsSync(file) || !statSync(file).isFile()) return res.writeHead(404).end();
    const body = readFileSync(file);
    sent.push({ path, bytes: body.length, at: Date.now() });
    res.writeHead(200, {
      'Content-Type':
        {
          ...TYPES,
          '.css': 'text/css',
          '.png': 'image/png',
          '.svg': 'image/svg+xml',
          '.webmanifest': 'application/manifest+json',
        }[extname(file)] ?? 'application/octet-stream',
      'Content-Length': body.length,
      'Cache-Control': 'no-store',
      'Cross-Origin-Opener-Policy': 'same-origin',
      'Cross-Origin-Embedder-Policy': 'require-corp',
      'Cross-Origin-Resource-Policy': 'same-origin',
    });
    res.end(body);
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  const origin = `http://127.0.0.1:${server.address().port}`;
  const profile = mkdtempSync(join(tmpdir(), 'localface-checkin-'));
  try {
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM_PATH,
      args: [...CHROMIUM_ARGS, '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream'],
    });
    try {
      const page = context.pages()[0] ?? (await context.newPage());
      const t0 = Date.now();
      await page.goto(`${origin}/checkin/`);
      await page
        .getByTestId('status')
        .filter({ hasText: /^Ready on/ })
        .waitFor({ timeout: 300_000 });
      const readyMs = Date.now() - t0;
      await page
        .getByTestId('offline-status')
        .filter({ hasText: /^offline ready/ })
        .waitFor({ timeout: 300_000 });
      const offlineReadyMs = Date.now() - t0;
      const offlineText = await page.getByTestId('offline-status').textContent();
      const first = sent.splice(0);
      await page.reload();
      await page
        .getByTestId('status')
        .filter({ hasText: /^Ready on/ })
        .waitFor({ timeout: 300_000 });
      const second = sent.splice(0);
      const total = (xs) => xs.reduce((n, x) => n + x.bytes, 0);
      const paths = (xs) => {
        const byPath = new Map();
        for (const x of xs)
          byPath.set(x.path, { path: x.path, bytes: x.bytes, times: (byPath.get(x.path)?.times ?? 0) + 1 });
        return [...byPath.values()];
      };
      return {
        readyMs,
        offlineReadyMs,
        offlineText,
        firstVisitBytes: total(first),
        firstVisitFiles: paths(first),
        secondVisitBytes: total(second),
        secondVisitFiles: paths(second),
      };
    } finally {
      await context.close();
    }
  } finally {
    server.close();
    rmSync(profile, { recursive: true, force: true });
  }
}

export default async function taskStartup(opts) {
  const startup = await measureStartup(opts);
  if (opts.demo !== undefined || existsSync(join(ROOT, 'demo-dist', 'checkin', 'sw.js')))
    startup.checkin = await measureCheckin(opts.demo ?? join(ROOT, 'demo-dist'));
  return { task: 'startup', createdAt: new Date().toISOString(), startup };
}
