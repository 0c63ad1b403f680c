#!/usr/bin/env node
// The runtime decision's numbers: the in-house ONNX executor (src/models/onnx/, on TF.js) against onnxruntime-web.
// 1. Bundle bytes each option adds to an app (minified Vite build, TF.js external since the app ships it anyway).
// 2. In headless chromium, fresh pages, WASM for both (TF.js backend and ORT's wasm build, single-threaded: the page is
//    not cross-origin isolated): model load, first call and median ms per call of FasNet (crop + mirror, two runs, as
//    src/face/checks/fasnet.ts) and of the eye-state model (one eye); 'both' runs the two runtimes in one page and
//    checks that their outputs agree.
// Usage: node tools/onnx-runtime-compare/run.mjs [pages per mode, default 5]
import { build } from 'vite';
import { createServer } from 'node:http';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { extname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { chromium } from '@playwright/test';

const here = fileURLToPath(new URL('.', import.meta.url));
const repo = join(here, '../..');
const pages = Number(process.argv[2] ?? 5);
const tmp = mkdtempSync(join(tmpdir(), 'onnx-runtime-compare-'));
const files = (dir) =>
  readdirSync(dir).flatMap((f) => (statSync(join(dir, f)).isDirectory() ? files(join(dir, f)) : [join(dir, f)]));

// 1. Bundle bytes
// Each entry hands its runtime to the page (an app build drops an entry's exports, and then what they would keep).
const entries = {
  'in-house executor':
    "import { OnnxGraphModel } from '../../src/models/onnx/onnxModel'; globalThis.runtime = OnnxGraphModel;",
  'onnxruntime-web/wasm': "import * as ort from 'onnxruntime-web/wasm'; globalThis.runtime = ort;",
  'onnxruntime-web/webgpu': "import * as ort from 'onnxruntime-web/webgpu'; globalThis.runtime = ort;",
};
console.log('bundle bytes added (minified; gzip -9):');
for (const [name, code] of Object.entries(entries)) {
  const id = join(here, '__entry.ts');
  const outDir = join(tmp, 'size');
  await build({
    configFile: false,
    logLevel: 'silent',
    root: here,
    plugins: [{ name: 'entry', resolveId: (s) => (s === id ? id : null), load: (s) => (s === id ? code : null) }],
    build: {
      outDir,
      emptyOutDir: true,
      minify: true,
      copyPublicDir: false,
      assetsInlineLimit: 0,
      rollupOptions: { input: id, external: [/^@tensorflow\//] },
    },
  });
  for (const f of files(outDir)) {
    const b = readFileSync(f);
    const kind = extname(f) === '.wasm' ? '.wasm' : 'JS';
    const gz = gzipSync(b, { level: 9 }).length;
    console.log(
      `  ${name.padEnd(24)} ${kind.padEnd(6)} ${String(b.length).padStart(9)} B  ${String(gz).padStart(9)} B gz`,
    );
  }
}

// 2. Timing in chromium
const out = join(tmp, 'page');
await build({
  configFile: false,
  logLevel: 'error',
  root: here,
  build: { outDir: out, emptyOutDir: true, minify: true, assetsInlineLimit: 0, chunkSizeWarningLimit: 1e9 },
});
const types = {
  '.html': 'text/html',
  '.js': 'text/javascript',
  '.mjs': 'text/javascript',
  '.wasm': 'application/wasm',
};
const server = createServer((req, res) => {
  const path = new URL(req.url, 'http://localhost').pathname;
  const file = path.startsWith('/models/')
    ? join(repo, 'public', path)
    : path.startsWith('/tfwasm/')
      ? join(repo, 'node_modules/@tensorflow/tfjs-backend-wasm/dist', path.slice(8))
      : join(out, path === '/' ? 'index.html' : path);
  if (!file.startsWith(repo) && !file.startsWith(out)) return res.writeHead(403).end();
  if (!existsSync(file) || !statSync(file).isFile()) return res.writeHead(404).end();
  res.writeHead(200, { 'content-type': types[extname(file)] ?? 'application/octet-stream' }).end(readFileSync(file));
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const origin = `http://127.0.0.1:${server.address().port}`;
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: [
    '--no-sandbox',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
  ],
});
const results = {};
for (const mode of ['ours', 'ort', 'both']) {
  results[mode] = [];
  for (let i = 0; i < pages; i++) {
    const context = await browser.newContext();
    const page = await context.newPage();
    page.on('pageerror', (e) => console.error('pageerror', e));
    await page.goto(`${origin}/`);
    results[mode].push(await page.evaluate((m) => window.runBench(m), mode));
    await context.close();
  }
}
await browser.close();
server.close();
if (!process.env.KEEP) rmSync(tmp, { recursive: true, force: true });

const med = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
console.log(
  `\nms, median of ${pages} fresh pages each (backend ${results.ours[0].backend}, cross-origin isolated: ${results.ours[0].isolated})`,
);
for (const [mode, rs] of Object.entries(results)) {
  for (const rt of ['ours', 'ort']) {
    if (!rs[0][rt]) continue;
    const nums = Object.keys(rs[0][rt]).filter((k) => typeof rs[0][rt][k] === 'number');
    const line = nums.map((k) => `${k} ${med(rs.map((r) => r[rt][k])).toFixed(1)}`).join(', ');
    console.log(`  ${`${mode}: ${rt}`.padEnd(11)} ${line}`);
  }
  if (rs[0].agreement) {
    const worst = (k) => Math.max(...rs.map((r) => r.agreement[k])).toExponential(1);
    console.log(`  both: outputs agree to max |Δ| ${worst('fas')} (FasNet), ${worst('eye')} (eye)`);
  }
}
