#!/usr/bin/env node
// The full bad-input run: `node bench/fuzz.mjs [--count 1200] [--seed 20261203] [--huge] [--encrypted] [--json FILE]`
// (needs `npm run build`). --huge adds headers claiming 12–24 MP, inside the default limits (decoded at full size).
// --encrypted runs the cases against a client with encryption at rest (createFaceClient's `encryption`).
// Sends seeded malformed inputs (e2e/fuzz/fuzz.mjs) through every public method of the built library in headless
// chromium, and prints the count per outcome / error code, the slowest case, and any failure (a raw throw,
// ERR_INTERNAL, a case over 10 s, a failed call that changed stored data, tensor growth, prototype pollution).
// Exits 1 on any failure. CI runs 200 of the same cases in e2e/fuzz.spec.ts.
import { existsSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { launchBrowser, openHarnessPage } from './browser.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const count = Number(arg('count', 1200));
const seed = Number(arg('seed', 20261203));
const hugeInLimit = process.argv.includes('--huge');
const encrypted = process.argv.includes('--encrypted');
if (!existsSync(`${ROOT}dist/localface.js`)) {
  console.error('bench/fuzz: dist/localface.js is missing: run `npm run build` first.');
  process.exit(2);
}

const browser = await launchBrowser();
let failed;
try {
  const page = await openHarnessPage(browser);
  await page.addScriptTag({
    type: 'module',
    content: "import * as fuzz from '/e2e/fuzz/fuzz.mjs'; window.fuzz = fuzz;",
  });
  await page.waitForFunction(() => 'fuzz' in window);
  const started = Date.now();
  const run = await page.evaluate(
    async ({ count, seed, hugeInLimit, encrypted }) => {
      const { fuzz } = window;
      window.client = await window.LocalFace.createFaceClient({
        backend: 'wasm',
        databaseName: encrypted ? 'localface-fuzz-encrypted' : 'localface-fuzz',
        ...(encrypted ? { encryption: { passphrase: 'fuzz run passphrase' } } : {}),
      });
      const seeds = await fuzz.makeSeeds(await window.fixture('lfw/Tony_Blair_0002.jpg'));
      await window.client.detectFaces(seeds.jpeg, { liveness: true }); // loads the lazily loaded check models
      const tensorsBefore = window.tensorCount();
      const { results, polluted } = await fuzz.runCases(
        window.client,
        window.LocalFace,
        fuzz.makeCases(seed, count, seeds, { hugeInLimit }),
        { seeds },
      );
      return { summary: fuzz.summarize(results), results, polluted, tensorsBefore, tensorsAfter: window.tensorCount() };
    },
    { count, seed, hugeInLimit, encrypted },
  );
  const { summary } = run;
  const seconds = (Date.now() - started) / 1000;
  console.log(
    `bench/fuzz${encrypted ? ' (encrypted at rest)' : ''}: ${summary.total} cases (seed ${seed}) over ${Object.keys(summary.byMethod).length} methods in ${seconds.toFixed(0)} s`,
  );
  console.log('\nby outcome / code:');
  for (const [code, n] of Object.entries(summary.byCode).sort((a, b) => b[1] - a[1]))
    console.log(`  ${code.padEnd(36)} ${n}`);
  console.log('\nby method:');
  for (const [method, n] of Object.entries(summary.byMethod)) console.log(`  ${method.padEnd(36)} ${n}`);
  const s = summary.slowest;
  console.log(
    `\nslowest: #${s.id} ${s.method} ${s.label} → ${s.outcome === 'error' ? s.code : s.outcome} in ${Math.round(s.ms)} ms`,
  );
  console.log(
    `tensors: ${run.tensorsBefore} before, ${run.tensorsAfter} after; Object.prototype polluted: ${run.polluted}`,
  );
  if (summary.failures.length) {
    console.log(`\nFAILURES (${summary.failures.length}):`);
    for (const f of summary.failures.slice(0, 30))
      console.log(
        `  #${f.id} ${f.method} ${f.label}: ${f.outcome} ${f.code ?? ''}${f.storeChanged ? ' (store changed)' : f.unexpectedOk ? ' (an invalid call succeeded)' : ''} ${f.message}`,
      );
  }
  failed =
    summary.failures.length > 0 || run.polluted || run.tensorsAfter !== run.tensorsBefore || summary.total < 1000;
  const json = arg('json');
  if (json)
    writeFileSync(
      json,
      `${JSON.stringify({ seed, count, seconds, summary, tensors: [run.tensorsBefore, run.tensorsAfter], polluted: run.polluted, results: run.results }, null, 1)}\n`,
    );
} finally {
  await browser.close();
}
process.exit(failed ? 1 : 0);
