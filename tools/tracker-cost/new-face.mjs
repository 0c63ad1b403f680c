#!/usr/bin/env node
// How long the tracker takes to name a face that enters the picture, frame by frame: dist/localface.js in the e2e
// harness page (WASM, page thread, no camera), one enrolled person, a 640×480 canvas fed to tracker.process as fast
// as it returns (real timestamps): 1.5 s empty, then the person (a real webcam frame with a few pixels of movement)
// for 2.5 s, `--rounds` times. Prints, per entry, each frame until the track is named and decided live: start (ms
// after the face entered) + its cost, and the stages (d detect, c checks, e embed, s search; N named, L live).
//   npm run build && node tools/tracker-cost/new-face.mjs [--rounds 8] [--root DIR]
// --root measures another checkout's dist/ (with its models) in the same conditions.
import { fileURLToPath } from 'node:url';
import { launchBrowser, openHarnessPage } from '../../bench/browser.mjs';
import { setUpScene } from './scene.mjs';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const ROOT = arg('root', fileURLToPath(new URL('../..', import.meta.url)));
const rounds = Number(arg('rounds', 8));
const browser = await launchBrowser({ args: ['--no-sandbox'] });
const page = await openHarnessPage(browser, ROOT);
await page.evaluate(setUpScene, 'new-face');
const entries = await page.evaluate(async (rounds) => {
  const { tracker, frame } = window.scene;
  const out = [];
  for (let round = 0; round < rounds; round++) {
    const emptyFrom = performance.now();
    while (performance.now() - emptyFrom < 1500) await tracker.process(frame(40), performance.now()); // nobody
    const entered = performance.now();
    const frames = [];
    for (let i = 0; performance.now() - entered < 2500; i++) {
      const canvas = frame(i % 40); // Subject Six, a few pixels of movement
      const t0 = performance.now();
      const { tracks, timings } = await tracker.process(canvas, t0);
      frames.push({
        at: t0 - entered,
        ms: performance.now() - t0,
        ...timings,
        named: tracks[0]?.match != null,
        live: tracks[0]?.liveness?.live ?? null,
      });
    }
    out.push(frames);
  }
  await window.scene.close();
  return out;
}, rounds);
await browser.close();
const times = [];
for (const frames of entries) {
  const k = frames.findIndex((f) => f.named && f.live);
  if (k < 0) {
    console.log('not named within 2.5 s');
    continue;
  }
  const upto = frames.slice(0, k + 1);
  const done = upto[k].at + upto[k].ms;
  times.push(done);
  const r = Math.round;
  console.log(
    `named after ${k + 1} frames, ${r(done)} ms: ` +
      upto
        .map(
          (f) =>
            `[${r(f.at)}+${r(f.ms)} d${r(f.detectMs)} c${r(f.checksMs)} e${r(f.embedMs)} s${r(f.searchMs)} ${f.named ? 'N' : ''}${f.live === null ? '?' : f.live ? 'L' : 'x'}]`,
        )
        .join(' '),
  );
}
const sorted = [...times].sort((a, b) => a - b);
if (sorted.length)
  console.log(
    `median ${Math.round(sorted[Math.floor((sorted.length - 1) / 2)])} ms over ${sorted.length} of ${entries.length} entries`,
  );
