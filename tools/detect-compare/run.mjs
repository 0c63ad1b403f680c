// The detector's own box decoding (src/face/detection/blazeFace.ts) against @tensorflow-models/face-detection's
// detectFaces, on whole image sets: every score, box and keypoint of both BlazeFace models must be the same to the
// last bit. The page is e2e/pages/blazeface.html on a Vite dev server (the source modules); images are served from
// disk through the browser's request routing, so any folder can be read (never ../shared/data/xdomain: evaluation only).
//   node tools/detect-compare/run.mjs [--backend wasm|webgl] [--every N] [--json FILE] DIR...
// --every N: every N-th image of each folder (default 1). Exits 1 if any detection differs.
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { extname, join, resolve } from 'node:path';
import { launchBrowser, startServer } from '../../bench/browser.mjs';

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const [value] = args.splice(i, 2).slice(1);
  return value;
};
const backend = option('backend', 'wasm');
const every = Number(option('every', '1'));
const jsonFile = option('json', undefined);
const dirs = args.map((d) => resolve(d));
if (dirs.length === 0) {
  console.error('usage: node tools/detect-compare/run.mjs [--backend wasm|webgl] [--every N] [--json FILE] DIR...');
  process.exit(2);
}
if (dirs.some((d) => d.includes('xdomain'))) {
  console.error('xdomain is an evaluation-only set: not used here');
  process.exit(2);
}
const walk = (d) =>
  readdirSync(d)
    .sort()
    .flatMap((f) => {
      const p = join(d, f);
      return statSync(p).isDirectory() ? walk(p) : /\.(jpe?g|png)$/i.test(f) ? [p] : [];
    });
const files = dirs.flatMap((d) => walk(d).filter((_, i) => i % every === 0));
console.log(`${files.length} images from ${dirs.join(', ')} on ${backend}`);

const { server, origin } = await startServer();
const browser = await launchBrowser();
try {
  const page = await browser.newPage();
  await page.route(`${origin}/detect-compare/**`, (route) => {
    const path = files[Number(new URL(route.request().url()).pathname.split('/').pop())];
    if (path === undefined) return route.fulfill({ status: 404 });
    const type = extname(path).toLowerCase() === '.png' ? 'image/png' : 'image/jpeg';
    return route.fulfill({ body: readFileSync(path), contentType: type });
  });
  await page.goto(`${origin}/e2e/pages/blazeface.html`);
  await page.waitForFunction(() => 'compareDetections' in window, null, { timeout: 120_000 });
  const names = files.map((_, i) => `/detect-compare/${i}`);
  const started = Date.now();
  const r = await page.evaluate(([b, list]) => window.compareDetections(b, list), [backend, names]);
  const differing = r.rows
    .filter((row) => !row.same)
    .map((row) => `${files[Number(row.image.split('/').pop())]} (${row.model})`);
  const summary = {
    backend,
    images: files.length,
    skipped: r.skipped.length,
    comparisons: r.rows.length,
    faces: r.rows.reduce((n, row) => n + row.faces, 0),
    differing,
    tensorsAfterFirst: r.tensorsAfterFirst,
    tensorsAtEnd: r.tensorsAtEnd,
    seconds: Math.round((Date.now() - started) / 1000),
  };
  console.log(JSON.stringify(summary, null, 1));
  if (jsonFile) writeFileSync(jsonFile, JSON.stringify({ ...summary, dirs, every }, null, 1));
  process.exitCode = differing.length === 0 && r.tensorsAtEnd === r.tensorsAfterFirst ? 0 : 1;
} finally {
  await browser.close();
  await server.close();
}
