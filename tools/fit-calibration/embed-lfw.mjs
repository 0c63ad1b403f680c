#!/usr/bin/env node
// Embeds every image of an LFW pairs file with each candidate pipeline, in headless chromium, and writes
// { pipelines: { name: { dimension, vectors: { "<Name>/<Name>_0001.jpg": number[] | null } } } }.
// Usage: node tools/fit-calibration/embed-lfw.mjs [--pairs FILE | --list FILE] [--images DIR] [--out FILE] [--backend wasm|webgl] [--limit N]
//          [--candidates dlib128,mfn-flip] [--select largest|center]
// --list FILE: one image path per line, relative to --images (instead of the images of a pairs file).
// --candidates: embed only these pipelines (default: all; the shipped fusion is dlib128 + mfn-flip).
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { startServer, launchBrowser } from '../../bench/browser.mjs';

const args = Object.fromEntries(
  process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith('--') ? [...acc, [a.slice(2), all[i + 1]]] : acc), []),
);
const pairsFile = resolve(args.pairs ?? '../shared/data/lfw/pairs_subset.txt');
const listFile = args.list ? resolve(args.list) : undefined;
const imagesDir = resolve(args.images ?? join(dirname(listFile ?? pairsFile), 'images'));
const only = args.candidates ? args.candidates.split(',') : undefined;
const outFile = resolve(args.out ?? 'tools/out/lfw-embeddings.json');
const backend = args.backend ?? 'wasm';
const limit = args.limit ? Number(args.limit) : Infinity;
// --select center --base DUMP: re-embed only images with several faces, taking the face nearest the centre.
const select = args.select ?? 'largest';
const base = args.base ? JSON.parse(readFileSync(resolve(args.base), 'utf8')) : undefined;

export function imagesOfPairs(text) {
  const names = new Set();
  const img = (n, i) => `${n}/${n}_${String(i).padStart(4, '0')}.jpg`;
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length === 3) {
      names.add(img(f[0], f[1]));
      names.add(img(f[0], f[2]));
    }
    if (f.length === 4) {
      names.add(img(f[0], f[1]));
      names.add(img(f[2], f[3]));
    }
  }
  return [...names];
}

const images = (
  listFile
    ? readFileSync(listFile, 'utf8')
        .split('\n')
        .map((l) => l.trim())
        .filter(Boolean)
    : imagesOfPairs(readFileSync(pairsFile, 'utf8'))
).slice(0, limit);
const { server, origin } = await startServer();
const browser = await launchBrowser();
try {
  const page = await browser.newPage();
  page.on('pageerror', (e) => console.error('pageerror', e));
  await page.route('**/lfw-images/**', (route) => {
    const rel = decodeURIComponent(new URL(route.request().url()).pathname.split('/lfw-images/')[1]);
    route.fulfill({ body: readFileSync(join(imagesDir, rel)), contentType: 'image/jpeg' });
  });
  await page.goto(`${origin}/tools/fit-calibration/index.html`);
  await page.waitForFunction(() => 'lfw' in window);
  const info = await page.evaluate(([b, o]) => window.lfw.init(b, o), [backend, only]);
  console.error(
    `backend ${info.backend}; candidates ${info.candidates.map((c) => c.name).join(', ')}; ${images.length} images`,
  );
  const pipelines =
    base?.pipelines ??
    Object.fromEntries(info.candidates.map((c) => [c.name, { id: c.id, dimension: c.dimension, vectors: {} }]));
  const multiFace = [];
  const faceInfo = base?.faceInfo ?? {};
  const started = Date.now();
  for (let i = 0; i < images.length; i += 50) {
    const batch = images.slice(i, i + 50);
    const rows = await page.evaluate(
      ([urls, select, only]) => window.lfw.embedUrls(urls, select, only),
      [batch.map((p) => `/lfw-images/${p}`), select, Boolean(base)],
    );
    batch.forEach((p) => {
      const row = rows[`/lfw-images/${p}`];
      if (row.faces > 1) multiFace.push(p);
      if (base && row.faces <= 1) return;
      for (const c of info.candidates) pipelines[c.name].vectors[p] = row[c.name];
      if (row.faceWidth)
        faceInfo[p] = {
          width: row.faceWidth,
          score: row.faceScore,
          sharpness: row.sharpness,
          medianLuma: row.medianLuma,
        };
    });
    const done = Math.min(i + 50, images.length);
    process.stderr.write(`\r${done}/${images.length} images, ${((Date.now() - started) / done).toFixed(0)} ms/image`);
  }
  const stats = await page.evaluate(() => window.lfw.stats());
  console.error('\n' + JSON.stringify(stats));
  mkdirSync(dirname(outFile), { recursive: true });
  console.error(`${multiFace.length} images with more than one face (selection: ${select})`);
  writeFileSync(
    outFile,
    JSON.stringify({
      backend: info.backend,
      images: images.length,
      selection: select,
      multiFace,
      stats,
      faceInfo,
      pipelines,
    }),
  );
  console.error(`wrote ${outFile}`);
} finally {
  await browser.close();
  await server.close();
}
