#!/usr/bin/env node
// Do two builds give the same numbers? Every value detectFaces({ quality, attributes, liveness }) and compareFaces
// (against the first image) return on 40 images (camera, checks and LFW fixtures, two-person, EXIF-rotated and the
// Solvay group photo, NUAA live and print frames, two large group photos of ../shared/data), and the tracker's
// tracks (box, quality, liveness) over 12 frames of a webcam clip, compared as JSON. For a change meant to keep
// results bit-identical (e.g. a faster crop). Each build is a checkout with dist/ built, models included.
// --also DIR adds the first 20 JPEG/PNG files under DIR (e.g. an evaluation-only set: it is only read, to compare).
//   node tools/speed/same-results.mjs BEFORE_DIR [AFTER_DIR, default this checkout] [--also DIR]
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchBrowser, openHarnessPage } from '../../bench/browser.mjs';
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const D = process.env.SHARED_DATA ?? join(ROOT, '..', 'shared', 'data');
const R = join(ROOT, 'e2e/fixtures');
const alsoAt = process.argv.indexOf('--also');
const also = alsoAt > 0 ? process.argv.splice(alsoAt, 2)[1] : undefined;
if (!process.argv[2]) throw new Error('usage: same-results.mjs BEFORE_DIR [AFTER_DIR] [--also DIR]');
const files = [
  ...readdirSync(`${R}/camera`)
    .filter((f) => f.endsWith('.jpg'))
    .map((f) => `${R}/camera/${f}`),
  ...readdirSync(`${R}/checks`)
    .filter((f) => f.endsWith('.jpg'))
    .map((f) => `${R}/checks/${f}`),
  ...readdirSync(`${R}/lfw`)
    .filter((f) => f.endsWith('.jpg'))
    .slice(0, 6)
    .map((f) => `${R}/lfw/${f}`),
  `${R}/two-people.jpg`,
  `${R}/exif-rotated.jpg`,
  `${R}/group-solvay1927.jpg`,
  ...['0002', '0004', '0010'].flatMap((s) =>
    readdirSync(`${D}/antispoof_nuaa/real/${s}`)
      .slice(0, 3)
      .map((f) => `${D}/antispoof_nuaa/real/${s}/${f}`),
  ),
  ...['0002', '0004'].flatMap((s) =>
    readdirSync(`${D}/antispoof_nuaa/spoof_print/${s}`)
      .slice(0, 2)
      .map((f) => `${D}/antispoof_nuaa/spoof_print/${s}/${f}`),
  ),
  ...readdirSync(`${D}/human_samples/groups`)
    .slice(0, 2)
    .map((f) => `${D}/human_samples/groups/${f}`),
];
if (also)
  files.push(
    ...readdirSync(also, { recursive: true })
      .filter((f) => /\.(jpe?g|png)$/i.test(f))
      .sort()
      .slice(0, 20)
      .map((f) => join(also, f)),
  );
const images = files.map((f) => readFileSync(f).toString('base64'));
const out = {};
const browser = await launchBrowser({ args: ['--no-sandbox'] });
for (const [name, root] of [
  ['before', process.argv[2]],
  ['after', process.argv[3] ?? ROOT],
]) {
  const page = await openHarnessPage(browser, root);
  out[name] = await page.evaluate(async (images) => {
    const client = await window.LocalFace.createFaceClient({ backend: 'wasm', databaseName: 'exact' });
    const res = [];
    for (const b64 of images) {
      const r = await client
        .detectFaces(b64, { quality: true, attributes: true, liveness: true })
        .catch((e) => ({ error: e.code }));
      res.push(r);
      res.push(
        await client.compareFaces(b64, images[0]).then(
          (x) => x,
          (e) => ({ error: e.code }),
        ),
      );
    }
    const bm = await createImageBitmap(new Blob([Uint8Array.from(atob(images[1]), (c) => c.charCodeAt(0))]));
    const canvas = new OffscreenCanvas(640, 480);
    const g = canvas.getContext('2d');
    const tracker = client.createFaceTracker({ liveness: true });
    for (let i = 0; i < 12; i++) {
      g.fillStyle = '#808080';
      g.fillRect(0, 0, 640, 480);
      g.drawImage(bm, (i % 5) * 2 - 4, (i % 3) * 2 - 2, 640, 480);
      const u = await tracker.process(canvas, i * 150);
      res.push(
        u.tracks.map(({ trackId, box, quality, liveness, match }) => ({ trackId, box, quality, liveness, match })),
      );
    }
    await client.close();
    return res;
  }, images);
  await page.close();
}
await browser.close();
const a = JSON.stringify(out.before),
  b = JSON.stringify(out.after);
console.log(files.length, 'images;', a === b ? 'IDENTICAL' : 'DIFFERENT', a.length);
if (a !== b) {
  out.before.forEach((x, i) => {
    const s = JSON.stringify(x),
      t = JSON.stringify(out.after[i]);
    if (s !== t)
      console.log(i, files[Math.floor(i / 2)] ?? 'tracker', '\n  ', s.slice(0, 400), '\n  ', t.slice(0, 400));
  });
}
