#!/usr/bin/env node
// The face tracker's cost per frame by stage, and its memory over many frames: dist/localface.js in the e2e
// harness page (headless Debian chromium, WASM), a collection with one enrolled person, and a clip of real webcam
// frames (e2e/fixtures/camera/) fed to tracker.process 100 ms apart: the enrolled person for 4 s, nobody for 1 s,
// a stranger for 4 s, nobody for 1 s, looped (so tracks start, are recognised, end). Liveness on.
// Prints ms per frame by stage (mean and median over frames where the stage ran) and the TF.js tensor count and
// JS heap at frame 10 and at the last frame.
//   npm run build && node tools/tracker-cost/cost.mjs [--frames 1000] [--json FILE]
import { existsSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchBrowser, openHarnessPage } from '../../bench/browser.mjs';
import { setUpScene } from './scene.mjs';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const frames = Number(arg('frames', 1000)),
  jsonOut = arg('json');
if (!existsSync(join(ROOT, 'dist', 'localface.js'))) {
  console.error('dist/ is missing: run `npm run build` first.');
  process.exit(2);
}

// gc() before each heap sample: what is still referenced, not what the collector has not reached yet.
const browser = await launchBrowser({
  args: ['--no-sandbox', '--enable-precise-memory-info', '--js-flags=--expose-gc'],
});
const page = await openHarnessPage(browser);
const loadStart = os.loadavg();
await page.evaluate(setUpScene, 'tracker-cost');
const result = await page.evaluate(async (total) => {
  const { tracker } = window.scene;
  const perFrame = [];
  let at10 = null,
    at100 = null;
  const sample = async () => {
    await new Promise((done) => setTimeout(done, 50)); // the last frame's pending work settles
    window.gc?.();
    return { tensors: window.tensorCount(), heap: performance.memory?.usedJSHeapSize ?? null };
  };
  const wall0 = performance.now();
  for (let i = 0; i < total; i++) {
    const frame = window.scene.frame(i);
    const t0 = performance.now();
    const update = await tracker.process(frame, i * 100);
    perFrame.push({
      totalMs: performance.now() - t0,
      faces: update.tracks.length,
      ...update.timings,
      named: update.tracks[0]?.match?.personId ?? null,
    });
    if (i === 9) at10 = await sample();
    // After the script's first loop (person, nobody, stranger, nobody) every lazily loaded model is in memory,
    // e.g. the full-range detector, first needed on an empty frame: the baseline for growth.
    if (i === 99) at100 = await sample();
  }
  const wallSeconds = (performance.now() - wall0) / 1000;
  const end = await sample();
  await window.scene.close();
  return { perFrame, at10, at100, end, wallSeconds };
}, frames);
await browser.close();

const stages = ['totalMs', 'decodeMs', 'detectMs', 'embedMs', 'searchMs', 'checksMs'];
const stat = (values) => {
  if (values.length === 0) return { mean: null, median: null, n: 0 };
  const sorted = [...values].sort((a, b) => a - b);
  return {
    mean: values.reduce((s, x) => s + x, 0) / values.length,
    median: sorted[Math.floor((sorted.length - 1) / 2)],
    n: values.length,
  };
};
const withFace = result.perFrame.filter((f) => f.faces > 0);
const rows = stages.map((stage) => {
  const all = stat(result.perFrame.map((f) => f[stage]));
  const ran = stat(result.perFrame.map((f) => f[stage]).filter((x) => x > 0.05));
  return { stage, meanPerFrame: all.mean, medianWhenRun: ran.median, framesRun: ran.n };
});
const fmt = (x) => (x === null ? '–' : x.toFixed(1));
const mb = (bytes) => (bytes === null ? '–' : (bytes / 2 ** 20).toFixed(1));
const lines = [
  `Tracker cost — ${frames} frames (640×480 canvas, WASM, liveness on, one enrolled person), ${os.cpus().length} cores, load average ${loadStart.map((x) => x.toFixed(2)).join(' / ')} at the start and ${os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(
      ' / ',
    )} at the end (1 / 5 / 15 min); ${result.wallSeconds.toFixed(0)} s wall, ${withFace.length} frames with a face.`,
  '',
  '| stage | mean ms per frame (all frames) | median ms when it ran | frames it ran in |',
  '|---|---:|---:|---:|',
  ...rows.map(
    (r) => `| ${r.stage.replace(/Ms$/, '')} | ${fmt(r.meanPerFrame)} | ${fmt(r.medianWhenRun)} | ${r.framesRun} |`,
  ),
  '',
  `TF.js tensors: ${result.at10.tensors} after frame 10, ${result.at100?.tensors ?? '–'} after frame 100 (every model loaded), ${result.end.tensors} after frame ${frames}; JS heap ${mb(result.at100?.heap ?? null)} MB after frame 100 → ${mb(result.end.heap)} MB.`,
];
console.log(lines.join('\n'));
if (jsonOut)
  writeFileSync(
    jsonOut,
    `${JSON.stringify({ date: new Date().toISOString(), frames, loadStart, loadEnd: os.loadavg(), rows, at10: result.at10, at100: result.at100, end: result.end, wallSeconds: result.wallSeconds }, null, 2)}\n`,
  );
