#!/usr/bin/env node
// detectFaces on the group photos of ../shared/data (and the Solvay fixture) with two builds of the library, run
// alternately (A B A B) in one headless Chromium, WASM: face counts, how many of B's boxes match A's (IoU > 0.7), and
// ms per photo. Each build is a repository checkout with dist/ built (`npm run build`).
//   node tools/detect-groups/compare.mjs --before /tmp/wt-before [--after .]
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchBrowser, openHarnessPage } from '../../bench/browser.mjs';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const arg = (name) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const D = process.env.SHARED_DATA ?? join(ROOT, '..', 'shared', 'data');
const files = [
  ...readdirSync(`${D}/human_samples/groups`).map((f) => `${D}/human_samples/groups/${f}`),
  ...['bbt1.jpg', 'bbt2.jpg', 'bbt3.jpg', 'bbt4.jpg', 'bbt5.jpg'].map((f) => `${D}/faceapi_js/images/${f}`),
  `${D}/face_recognition_examples/groups/two_people.jpg`,
  join(ROOT, 'e2e/fixtures/group-solvay1927.jpg'),
];
if (!arg('before')) throw new Error('usage: compare.mjs --before DIR [--after DIR]');
const roots = { before: arg('before'), after: arg('after') ?? ROOT };
const results = {};
const browser = await launchBrowser();
for (const round of ['before', 'after', 'before', 'after']) {
  const page = await openHarnessPage(browser, roots[round]);
  await page.evaluate(async () => {
    window.client = await window.LocalFace.createFaceClient({ backend: 'wasm' });
  });
  for (const f of files) {
    const b64 = readFileSync(f).toString('base64');
    const r = await page.evaluate(async (b64) => {
      const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
      const t0 = performance.now();
      const faces = await window.client.detectFaces(bytes, { quality: false, attributes: false });
      return {
        ms: performance.now() - t0,
        boxes: faces.map((x) => [x.box.x, x.box.y, x.box.width, x.box.height, x.score]),
      };
    }, b64);
    (results[f] ??= {})[round] ??= [];
    results[f][round].push(r);
  }
  await page.close();
}
await browser.close();
const iou = (a, b) => {
  const x1 = Math.max(a[0], b[0]),
    y1 = Math.max(a[1], b[1]),
    x2 = Math.min(a[0] + a[2], b[0] + b[2]),
    y2 = Math.min(a[1] + a[3], b[1] + b[3]);
  const i = Math.max(0, x2 - x1) * Math.max(0, y2 - y1);
  return i / (a[2] * a[3] + b[2] * b[3] - i);
};
for (const [f, r] of Object.entries(results)) {
  const b = r.before[0].boxes,
    a = r.after[0].boxes;
  const matched = a.filter((x) => b.some((y) => iou(x, y) > 0.7)).length;
  const ms = (k) => r[k].map((x) => Math.round(x.ms)).join('/');
  console.log(
    `${f.split('/').pop().padEnd(22)} before ${String(b.length).padStart(3)} after ${String(a.length).padStart(3)} matched ${matched}  ms before ${ms('before')} after ${ms('after')}`,
  );
}
