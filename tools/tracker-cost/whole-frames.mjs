#!/usr/bin/env node
// What keeping whole frames for tracker.enroll (createFaceTracker's keepFrames, default true) costs per frame, by
// camera size: dist/localface.js in the e2e harness page (headless Debian chromium, WASM), a collection with one
// enrolled person, and the tracker-cost loop (Subject Six 40 frames, nobody 10, a stranger 40, nobody 10) drawn at
// 640×480, 1280×720 and 1920×1080, 100 ms apart, liveness on. Each size is played with keepFrames false and true,
// alternating, `--rounds` times; every run starts a new tracker. Prints the mean ms per frame (wall time of the
// loop, which includes the background JPEG encodings, over the frames) and how many frames each run kept whole.
//   npm run build && node tools/tracker-cost/whole-frames.mjs [--rounds 2] [--frames 100]
import { existsSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchBrowser, openHarnessPage } from '../../bench/browser.mjs';
import { setUpScene } from './scene.mjs';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const rounds = arg('rounds', 2),
  frames = arg('frames', 100);
if (!existsSync(join(ROOT, 'dist', 'localface.js'))) {
  console.error('dist/ is missing: run `npm run build` first.');
  process.exit(2);
}

const browser = await launchBrowser();
const page = await openHarnessPage(browser);
const loadStart = os.loadavg()[0];
await page.evaluate(setUpScene, 'whole-frames');
const runs = await page.evaluate(
  async ({ rounds, frames }) => {
    const { client, drawOn } = window.scene;
    // Counts the whole-frame encodings (the only JPEGs of a camera's size; thumbnails are at most 150 px).
    let wholeEncodings = 0;
    const encode = OffscreenCanvas.prototype.convertToBlob;
    OffscreenCanvas.prototype.convertToBlob = function (options) {
      if (this.width >= 640) wholeEncodings++;
      return encode.call(this, options);
    };
    const out = [];
    for (let round = 0; round < rounds; round++) {
      for (const [width, height] of [
        [640, 480],
        [1280, 720],
        [1920, 1080],
      ]) {
        const canvas = new OffscreenCanvas(width, height);
        for (const keepFrames of round % 2 === 0 ? [false, true] : [true, false]) {
          const tracker = client.createFaceTracker({ collectionName: 'cost', liveness: true, keepFrames });
          wholeEncodings = 0;
          const t0 = performance.now();
          for (let i = 0; i < frames; i++) await tracker.process(drawOn(canvas, i), i * 100);
          // The last kept frames' encodings finish (they are part of the cost).
          await new Promise((resolve) => setTimeout(resolve, 300));
          const ms = performance.now() - t0 - 300;
          tracker.close();
          out.push({ size: `${width}×${height}`, keepFrames, msPerFrame: ms / frames, wholeEncodings });
        }
      }
    }
    OffscreenCanvas.prototype.convertToBlob = encode;
    await window.scene.close();
    return out;
  },
  { rounds, frames },
);
await browser.close();

console.log(
  `Whole frames kept for enroll, per camera size (${frames} frames a run, ${rounds} rounds; load average ${loadStart.toFixed(2)} → ${os.loadavg()[0].toFixed(2)}, ${os.cpus().length} cores)\n`,
);
console.log(
  '| camera | ms per frame, keepFrames false | ms per frame, keepFrames true | difference | frames encoded whole (true) |',
);
console.log('|---|---:|---:|---:|---:|');
for (const size of [...new Set(runs.map((r) => r.size))]) {
  const of = (keep) => runs.filter((r) => r.size === size && r.keepFrames === keep);
  const mean = (rs) => rs.reduce((s, r) => s + r.msPerFrame, 0) / rs.length;
  const off = of(false),
    on = of(true);
  console.log(
    `| ${size} | ${off.map((r) => r.msPerFrame.toFixed(1)).join(', ')} | ${on.map((r) => r.msPerFrame.toFixed(1)).join(', ')} | ${(mean(on) - mean(off)).toFixed(1)} | ${on.map((r) => r.wholeEncodings).join(', ')} |`,
  );
}
