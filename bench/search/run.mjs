#!/usr/bin/env node
// Search benchmarks in headless chromium: scan time and memory per template at 1k/10k/100k synthetic templates,
// loading them from IndexedDB, memory bandwidth, and bulk enroll throughput on the e2e LFW photos.
// Usage: node bench/search/run.mjs [--sizes 1000,10000,100000] [--copies 4] [--json OUT]
import { readdirSync, writeFileSync } from 'node:fs';
import { startServer, launchBrowser } from '../browser.mjs';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const sizes = arg('sizes', '1000,10000,100000').split(',').map(Number);
const copies = Number(arg('copies', 4));
const urls = readdirSync(new URL('../../e2e/fixtures/lfw/', import.meta.url)).map((f) => `/e2e/fixtures/lfw/${f}`);

const { server, origin } = await startServer();
const browser = await launchBrowser();
try {
  const page = await browser.newPage();
  page.on('pageerror', (e) => console.error('pageerror', e));
  await page.goto(`${origin}/bench/search/index.html`);
  await page.waitForFunction(() => 'bench' in window);
  const bw = await page.evaluate(() => window.bench.bandwidth());
  console.error(JSON.stringify(bw));
  const rows = [];
  for (const n of sizes) {
    const r = await page.evaluate((x) => window.bench.scan(x), n);
    console.error(JSON.stringify(r));
    rows.push(r);
  }
  const bulk = await page.evaluate(([u, c]) => window.bench.bulkEnroll(u, c), [urls, copies]);
  console.error(JSON.stringify(bulk));
  if (arg('json')) writeFileSync(arg('json'), JSON.stringify({ bandwidth: bw, rows, bulk }, null, 2));
  console.log(
    `Memory bandwidth (copyWithin of 128 MB, read + write): ${bw.gbPerS.toFixed(1)} GB/s; load average at start: ${(await import('node:os')).loadavg()[0].toFixed(1)} on ${(await import('node:os')).cpus().length} cores\n`,
  );
  console.log(
    '| templates | scan + top-10, median (ms) | p90 (ms) | lower bound: bytes scanned / bandwidth (ms) | full search path w/o image work, median (ms) | memory per template (bytes) | load from IndexedDB (ms) | of which IndexedDB read (ms) | SIMD |',
  );
  console.log('|---:|---:|---:|---:|---:|---:|---:|---:|---|');
  for (const r of rows) {
    console.log(
      `| ${r.n.toLocaleString('en')} | ${r.scanMedianMs.toFixed(2)} | ${r.scanP90Ms.toFixed(2)} | ${((r.bytesScanned / (bw.gbPerS * 1e9)) * 1000).toFixed(2)} | ${r.searchPathMedianMs.toFixed(2)} | ${r.bytesPerTemplate.toFixed(0)} | ${r.loadMs.toFixed(0)} | ${r.readMs.toFixed(0)} | ${r.simd ? 'yes' : 'no'} |`,
    );
  }
  console.log(
    `\nBulk enroll (enrollPersons, StoreThumbnails, ${bulk.faces} LFW photos 250×250, WASM): ${bulk.facesPerS.toFixed(1)} faces/s (${bulk.ms.toFixed(0)} ms, ${bulk.ok} ok, ${bulk.progressCalls} onProgress calls)`,
  );
} finally {
  await browser.close();
  await server.close();
}
