#!/usr/bin/env node
// Embedding one face: the shipped one-thread FaceEngine.embed against MobileFaceNet in a Worker beside dlib.
// Usage: node tools/speed/two-threads/run.mjs [--rounds N]
import { readdirSync } from 'node:fs';
import { loadavg } from 'node:os';
import { startServer, newLoggingPage, launchBrowser } from '../../../bench/browser.mjs';

const i = process.argv.indexOf('--rounds');
const rounds = i > 0 ? Number(process.argv[i + 1]) : 5;
const urls = readdirSync(new URL('../../../e2e/fixtures/lfw/', import.meta.url)).map((f) => `/e2e/fixtures/lfw/${f}`);
const { server, origin } = await startServer();
const browser = await launchBrowser();
try {
  const page = await newLoggingPage(browser);
  await page.goto(`${origin}/tools/speed/two-threads/index.html`);
  await page.waitForFunction(() => 'twoThreads' in window);
  const load = loadavg()[0];
  const r = await page.evaluate(([u, n]) => window.twoThreads.run(u, n), [urls, rounds]);
  console.log(JSON.stringify({ ...r, loadAverageAtStart: load }, null, 1));
} finally {
  await browser.close();
  await server.close();
}
