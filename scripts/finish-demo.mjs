#!/usr/bin/env node
// Second half of `npm run build:demo` (after `vite build -c vite.demo.config.ts`): shapes demo-dist/ into the site
// the README describes —
//   demo-dist/index.html          the webcam kiosk (Vite built it as kiosk/index.html)
//   demo-dist/checkin/            the offline check-in PWA, with its service worker and the list of files it caches
//   demo-dist/script-tag/         the plain <script> page, using demo-dist/localface.iife.js (from `npm run build`)
//   demo-dist/compare/            the two-photo comparison page
//   demo-dist/models/             every model file, with manifest.json (sha256 of each)
import { createHash } from 'node:crypto';
import {
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const OUT = join(ROOT, 'demo-dist');
const fail = (message) => {
  console.error(`finish-demo: ${message}`);
  process.exit(1);
};
if (!existsSync(join(OUT, 'kiosk', 'index.html')))
  fail('demo-dist/kiosk/index.html is missing: run `vite build -c vite.demo.config.ts` first.');
if (!existsSync(join(ROOT, 'dist', 'localface.iife.js')))
  fail('dist/localface.iife.js is missing: run `npm run build` first.');

// 1. The kiosk is the site's front page. Its URLs were relative to kiosk/, so "../x" becomes "./x".
const kiosk = readFileSync(join(OUT, 'kiosk', 'index.html'), 'utf8').replaceAll('="../', '="./');
writeFileSync(join(OUT, 'index.html'), kiosk);
rmSync(join(OUT, 'kiosk'), { recursive: true });

// 2. The script-tag page: no build step, only the library path changes (the models sit next to the library).
const scriptTag = readFileSync(join(ROOT, 'demo', 'script-tag', 'index.html'), 'utf8');
if (!scriptTag.includes('../../dist/localface.iife.js'))
  fail('demo/script-tag/index.html no longer loads ../../dist/localface.iife.js');
mkdirSync(join(OUT, 'script-tag'), { recursive: true });
writeFileSync(
  join(OUT, 'script-tag', 'index.html'),
  scriptTag.replace('../../dist/localface.iife.js', '../localface.iife.js'),
);
copyFileSync(join(ROOT, 'dist', 'localface.iife.js'), join(OUT, 'localface.iife.js'));
copyFileSync(join(ROOT, 'dist', 'localface-sw.iife.js'), join(OUT, 'localface-sw.iife.js'));

// 3. The check-in PWA: manifest and icons as they are, and a service worker that precaches the app shell (the check-in
//    page's own chunks, from Vite's manifest) and the model files it uses. Its cache name carries a hash of the
//    cached files, so a new build replaces the old cache.
const checkin = join(OUT, 'checkin');
copyFileSync(join(ROOT, 'demo', 'checkin', 'manifest.webmanifest'), join(checkin, 'manifest.webmanifest'));
cpSync(join(ROOT, 'demo', 'checkin', 'icons'), join(checkin, 'icons'), { recursive: true });
const filesUnder = (dir) =>
  readdirSync(dir, { recursive: true })
    .map(String)
    .filter((f) => statSync(join(dir, f)).isFile())
    .map((f) => join(dir, f));
/** The files an entry of the demo build loads: its chunk, the chunks it imports (also dynamically) and their CSS. */
function chunksOf(entry) {
  const manifestFile = join(OUT, '.vite', 'manifest.json');
  if (!existsSync(manifestFile))
    fail('demo-dist/.vite/manifest.json is missing: vite.demo.config.ts must set build.manifest');
  const manifest = JSON.parse(readFileSync(manifestFile, 'utf8'));
  if (!manifest[entry]) fail(`Vite's manifest has no entry ${entry}`);
  const files = new Set();
  const visit = (key) => {
    const chunk = manifest[key];
    if (!chunk || files.has(join(OUT, chunk.file))) return;
    files.add(join(OUT, chunk.file));
    for (const css of chunk.css ?? []) files.add(join(OUT, css));
    for (const next of [...(chunk.imports ?? []), ...(chunk.dynamicImports ?? [])]) visit(next);
  };
  visit(entry);
  return [...files];
}
// The model files the check-in loads on a browser with WebAssembly SIMD (every browser with service workers and
// module workers has it): the other builds of the runtimes (no SIMD, threaded) are left to the library's own
// model cache, which keeps whatever it loads.
const unusedRuntimeBuild = (file) =>
  /(^|\/)(tfjs-backend-wasm(-threaded-simd)?\.wasm|tflite_web_api_cc(_threaded|_simd_threaded)?(\.worker)?\.(js|wasm))(\.gz)?$/.test(
    file,
  );
// The hat attribute's CenterNet backbone: the check-in decides liveness, which reads mask and sunglasses only, and
// never asks for attributes.
const notAskedByCheckin = (file) => /^centernet-backbone\./.test(file);
// Where the build ships <file>.gz, the library downloads that instead of the file: only the .gz is precached.
const checkinModels = filesUnder(join(OUT, 'models')).filter(
  (f) =>
    !f.endsWith('manifest.json') &&
    !unusedRuntimeBuild(relative(join(OUT, 'models'), f)) &&
    !notAskedByCheckin(relative(join(OUT, 'models'), f)) &&
    !existsSync(`${f}.gz`),
);
const shell = [...filesUnder(checkin), ...chunksOf('checkin/index.html'), ...checkinModels]
  .filter((f) => !f.endsWith('.map'))
  .sort();
const checkinWorker = writeWorker('checkin', checkin, shell);

// 4. The cloud-client page: the same offline cache for its service worker, which also needs the library's
//    service-worker build (it imports mountRestHandler from it).
const cloud = join(OUT, 'cloud-client');
const cloudShell = [
  ...filesUnder(cloud),
  ...filesUnder(join(OUT, 'assets')),
  ...filesUnder(join(OUT, 'models')),
  join(OUT, 'localface-sw.iife.js'),
]
  .filter((f) => !f.endsWith('.map') && !existsSync(`${f}.gz`))
  .sort();
writeWorker('cloud-client', cloud, cloudShell);

/**
 * The app's service worker (demo/<name>/sw.js, which imports demo/shared/precache-sw.js) with its placeholders
 * filled: each cached URL with the sha256 of its bytes (the worker refuses to cache anything else; './' is the app
 * page), and a version hashed from those files and the shared worker script, so a new build replaces the old cache.
 * precache.json lists the same files, for people and tests.
 */
function writeWorker(name, dir, files) {
  const sharedWorker = join(ROOT, 'demo', 'shared', 'precache-sw.js');
  copyFileSync(sharedWorker, join(OUT, 'precache-sw.js'));
  const hash = createHash('sha256').update(readFileSync(sharedWorker));
  for (const file of files) hash.update(relative(OUT, file)).update(readFileSync(file));
  const version = hash.digest('hex').slice(0, 16);
  const sha256 = (file) => createHash('sha256').update(readFileSync(file)).digest('hex');
  const url = (f) => relative(dir, f).split('\\').join('/');
  // A .gz model also names its plain file: the worker can take that from the library's model cache instead.
  const precache = [
    { url: './', sha256: sha256(join(dir, 'index.html')) },
    ...files.map((f) => ({
      url: url(f),
      sha256: sha256(f),
      ...(f.endsWith('.gz') ? { plain: { url: url(f.slice(0, -3)), sha256: sha256(f.slice(0, -3)) } } : {}),
    })),
  ];
  writeFileSync(join(dir, 'precache.json'), `${JSON.stringify({ version, files: precache }, null, 1)}\n`);
  const worker = readFileSync(join(ROOT, 'demo', name, 'sw.js'), 'utf8');
  for (const placeholder of ['__PRECACHE_VERSION__', "'__PRECACHE_FILES__'"]) {
    if (!worker.includes(placeholder)) fail(`demo/${name}/sw.js lost its ${placeholder} placeholder`);
  }
  writeFileSync(
    join(dir, 'sw.js'),
    worker.replace('__PRECACHE_VERSION__', version).replace("'__PRECACHE_FILES__'", JSON.stringify(precache)),
  );
  return { version, files: precache.length };
}

const bytes = shell.reduce((sum, f) => sum + statSync(f).size, 0);
console.log(
  `demo-dist/: kiosk at index.html, checkin/ (service worker caches ${checkinWorker.files} files, ${(bytes / 1e6).toFixed(1)} MB, version ${checkinWorker.version}), script-tag/, compare/, cloud-client/`,
);
