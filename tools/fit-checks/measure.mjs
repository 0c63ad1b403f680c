#!/usr/bin/env node
// Runs tools/fit-checks/harness.ts in headless chromium (WASM) over a list of images and writes raw signals as JSON.
// Usage: node tools/fit-checks/measure.mjs --list FILE --out FILE [--kinds none,dark,blur3,gray] [--features 0|1] [--liveness 0|1|fasnet] [--thumb48 1] [--head-only 1] [--deep 1]
// --head-only 1: only the hat head's head crop of the largest face (rows { head }), to join rows measured without it.
// --deep 1: the attribute heads' inputs: face thumbnail, head crop and FasNet's activations on the liveness crop
// (rows { thumb, head, fas128, fas568rows, fas564rows }).
// --centernet 1: CenterNet's backbone features of the head crop under several input scalings and crops (rows
// { cn<variant>_<block> }), to join --deep rows.
// FILE: one path per line, relative to --root (default ../shared/data).
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { startServer, launchBrowser, newLoggingPage } from '../../bench/browser.mjs';

const args = Object.fromEntries(
  process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith('--') ? [...acc, [a.slice(2), all[i + 1]]] : acc), []),
);
const root = resolve(args.root ?? process.env.SHARED_DATA ?? '../shared/data');
const list = readFileSync(resolve(args.list), 'utf8')
  .split('\n')
  .map((l) => l.trim())
  .filter(Boolean);
const kinds = (args.kinds ?? 'none').split(',');
const features = args.features !== '0';
const liveness = args.liveness === '0' ? false : args.liveness === 'fasnet' ? 'fasnet' : true;
const thumb48 = args.thumb48 === '1';
const outFile = resolve(args.out);
const { server, origin } = await startServer();
const browser = await launchBrowser();
try {
  const page = await newLoggingPage(browser);
  await page.route('**/data-images/**', (route) => {
    const rel = decodeURIComponent(new URL(route.request().url()).pathname.split('/data-images/')[1]);
    route.fulfill({ body: readFileSync(join(root, rel)) });
  });
  await page.goto(`${origin}/tools/fit-checks/index.html`);
  await page.waitForFunction(() => 'checks' in window, null, { timeout: 60000 });
  const info = await page.evaluate(() => window.checks.init());
  console.error(JSON.stringify(info));
  const rows = {};
  const started = Date.now();
  for (let i = 0; i < list.length; i += 20) {
    const batch = list.slice(i, i + 20);
    const got = await page.evaluate(
      ([urls, k, f, l, t48, headOnly]) =>
        headOnly === 'centernet'
          ? window.checks.measureCenternet(urls)
          : headOnly === 'deep'
            ? window.checks.measureDeep(urls)
            : headOnly
              ? window.checks.measureHeads(urls)
              : window.checks.measureUrls(urls, k, f, l, t48),
      [
        batch.map((p) => `/data-images/${p}`),
        kinds,
        features,
        liveness,
        thumb48,
        args.centernet === '1' ? 'centernet' : args.deep === '1' ? 'deep' : args['head-only'] === '1',
      ],
    );
    for (const [k, v] of Object.entries(got)) rows[k.replace('/data-images/', '')] = v;
    process.stderr.write(
      `\r${Math.min(i + 20, list.length)}/${list.length} images, ${((Date.now() - started) / Math.min(i + 20, list.length)).toFixed(0)} ms/image`,
    );
  }
  const stats = await page.evaluate(() => window.checks.stats());
  console.error('\n' + JSON.stringify(stats));
  mkdirSync(dirname(outFile), { recursive: true });
  writeFileSync(outFile, JSON.stringify({ info, stats, kinds, rows }));
  console.error(`wrote ${outFile}`);
} finally {
  await browser.close();
  await server.close();
}
