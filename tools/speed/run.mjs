#!/usr/bin/env node
// compareFaces median on 250×250 LFW photos, per backend and threads setting (alternating when several).
// Usage: node tools/speed/run.mjs [--rounds N] [--backends wasm,webgl] [--threads auto,1] [--repeat N]
import { readdirSync } from 'node:fs';
import { startServer, launchBrowser } from '../../bench/browser.mjs';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const rounds = Number(arg('rounds', 30));
const backends = arg('backends', 'wasm,webgl').split(',');
const threadsList = arg('threads', 'auto')
  .split(',')
  .map((t) => (t === '1' ? 1 : 'auto'));
const repeat = Number(arg('repeat', 1));
const urls = readdirSync(new URL('../../e2e/fixtures/lfw/', import.meta.url)).map((f) => `/e2e/fixtures/lfw/${f}`);

const { server, origin } = await startServer();
const browser = await launchBrowser();
try {
  const rows = [];
  for (let k = 0; k < repeat; k++)
    for (const backend of backends)
      for (const threads of k % 2 === 0 ? threadsList : [...threadsList].reverse()) {
        const page = await browser.newPage();
        await page.goto(`${origin}/tools/speed/index.html`);
        await page.waitForFunction(() => 'speed' in window);
        const r = await page.evaluate(
          ([b, u, n, t]) => window.speed.run(b, u, n, t),
          [backend, urls, backend === 'webgl' ? Math.min(rounds, 8) : rounds, threads],
        );
        console.error(JSON.stringify(r));
        rows.push(r);
        await page.close();
      }
  console.log(
    '| backend | threads | models + warm-up (ms) | first compareFaces (ms) | compareFaces median (ms) | p90 (ms) | rounds |',
  );
  console.log('|---|---:|---:|---:|---:|---:|---:|');
  for (const r of rows)
    console.log(
      `| ${r.backend} | ${r.threads} | ${r.loadAndWarmUpMs.toFixed(0)} | ${r.firstCompareMs.toFixed(0)} | ${r.compareMedianMs.toFixed(0)} | ${r.compareP90Ms.toFixed(0)} | ${r.rounds} |`,
    );
} finally {
  await browser.close();
  await server.close();
}
