#!/usr/bin/env node
// MobileFaceNet: LocalFace's TFLite executor (TF.js) against the TFLite WASM runtime (@tensorflow/tfjs-tflite, a
// devDependency kept for this comparison), same page, same aligned faces of e2e/fixtures (lfw/ and camera/):
// per-face cosine of the embeddings, load ms, and median ms per face (A/B interleaved).
// Usage: node tools/tflite-compare/run.mjs [--rounds N] [--backends wasm,webgl]
import { readdirSync } from 'node:fs';
import { loadavg } from 'node:os';
import { startServer, launchBrowser, newLoggingPage } from '../../bench/browser.mjs';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const rounds = Number(arg('rounds', 20));
const backends = arg('backends', 'wasm,webgl').split(',');
const fixtures = (dir) =>
  readdirSync(new URL(`../../e2e/fixtures/${dir}/`, import.meta.url))
    .filter((f) => /\.(jpe?g|png)$/i.test(f))
    .map((f) => `/e2e/fixtures/${dir}/${f}`);
const urls = [...fixtures('lfw'), ...fixtures('camera')];

const { server, origin } = await startServer();
const browser = await launchBrowser();
try {
  for (const backend of backends) {
    const page = await newLoggingPage(browser);
    await page.goto(`${origin}/tools/tflite-compare/index.html`);
    await page.waitForFunction(() => 'tfliteCompare' in window);
    const load = loadavg()[0].toFixed(2);
    const r = await page.evaluate(
      ([b, u, n]) => window.tfliteCompare.run(b, u, n),
      [backend, urls, backend === 'webgl' ? Math.min(rounds, 6) : rounds],
    );
    console.log(JSON.stringify({ ...r, loadBefore: load, loadAfter: loadavg()[0].toFixed(2) }, null, 1));
    await page.close();
  }
} finally {
  await browser.close();
  await server.close();
}
