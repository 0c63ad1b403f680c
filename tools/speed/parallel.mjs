#!/usr/bin/env node
// Do two single-threaded WASM pipelines run side by side at their solo speed on this machine? compareFaces medians
// in one browser alone, then in two browsers at once (separate renderer processes). If the pair is as fast as one
// alone, splitting the per-image work over two threads (e.g. MobileFaceNet in a Worker while dlib runs) can gain.
// Usage: node tools/speed/parallel.mjs [--rounds N]
import { readdirSync } from 'node:fs';
import { loadavg } from 'node:os';
import { startServer, launchBrowser } from '../../bench/browser.mjs';

const i = process.argv.indexOf('--rounds');
const rounds = i > 0 ? Number(process.argv[i + 1]) : 40;
const urls = readdirSync(new URL('../../e2e/fixtures/lfw/', import.meta.url)).map((f) => `/e2e/fixtures/lfw/${f}`);

const { server, origin } = await startServer();
const browsers = [await launchBrowser(), await launchBrowser()];
const runIn = async (browser) => {
  const page = await browser.newPage();
  await page.goto(`${origin}/tools/speed/index.html`);
  await page.waitForFunction(() => 'speed' in window);
  const r = await page.evaluate(([u, n]) => window.speed.run('wasm', u, n), [urls, rounds]);
  await page.close();
  return r;
};
try {
  const rows = [];
  for (const order of ['solo', 'pair', 'solo', 'pair']) {
    const load = loadavg()[0];
    const results = order === 'solo' ? [await runIn(browsers[0])] : await Promise.all(browsers.map(runIn));
    for (const r of results) rows.push({ order, load, median: r.compareMedianMs, p90: r.compareP90Ms });
    console.error(order, results.map((r) => r.compareMedianMs.toFixed(1)).join(' / '), `load ${load.toFixed(2)}`);
  }
  console.log('| run | load average (1 min) at start | compareFaces median (ms) | p90 (ms) |');
  console.log('|---|---:|---:|---:|');
  for (const r of rows)
    console.log(`| ${r.order} | ${r.load.toFixed(2)} | ${r.median.toFixed(1)} | ${r.p90.toFixed(1)} |`);
} finally {
  for (const b of browsers) await b.close();
  await server.close();
}
