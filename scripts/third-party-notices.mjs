// Writes dist/THIRD_PARTY_NOTICES.txt: the npm packages bundled into dist/localface.js (and its .iife.js and the
// embedding Worker script), each with its version and licence, and the licence texts they require to travel with
// them (minification drops their header comments). The model files' sources and licences are in models/manifest.json
// and the README ("Models, where they come from, and what their licences allow").
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const require = createRequire(join(root, 'package.json'));

/** The packages the bundles contain (TF.js's own dependencies `long` and `seedrandom` included). */
const BUNDLED = [
  '@tensorflow/tfjs-core',
  '@tensorflow/tfjs-converter',
  '@tensorflow/tfjs-backend-cpu',
  '@tensorflow/tfjs-backend-webgl',
  '@tensorflow/tfjs-backend-wasm',
  '@tensorflow-models/face-detection',
  'idb',
  'long',
  'seedrandom',
];

const packageDir = (name) => dirname(require.resolve(`${name}/package.json`));
const packages = BUNDLED.map((name) => {
  const meta = JSON.parse(readFileSync(join(packageDir(name), 'package.json'), 'utf8'));
  return { name, version: meta.version, license: meta.license };
});

const texts = {
  'Apache-2.0': readFileSync(join(packageDir('long'), 'LICENSE'), 'utf8'),
  ISC: readFileSync(join(packageDir('idb'), 'LICENSE'), 'utf8'),
  // seedrandom ships its MIT text only in its README.
  MIT: (() => {
    const readme = readFileSync(join(packageDir('seedrandom'), 'README.md'), 'utf8');
    const start = readme.indexOf('LICENSE (MIT)');
    if (start < 0) throw new Error('third-party-notices: the MIT licence text of seedrandom was not found');
    return readme.slice(start).trim();
  })(),
};

const lines = [
  'LocalFace bundles the following npm packages into dist/localface.js, dist/localface.iife.js and',
  'dist/models/localface-embedder.worker.js (the TF.js .wasm files in dist/models/wasm/ come from',
  '@tensorflow/tfjs-backend-wasm, Apache-2.0):',
  '',
  ...packages.map((p) => `- ${p.name} ${p.version} (${p.license})`),
  '',
  'TensorFlow.js: Copyright The TensorFlow Authors. Licensed under the Apache License, Version 2.0.',
  'long.js: Copyright Daniel Wirtz / The long.js Authors. Licensed under the Apache License, Version 2.0.',
  'idb: Copyright (c) 2016, Jake Archibald. ISC License.',
  'seedrandom: Copyright 2019 David Bau. MIT License.',
  '',
  'The model files in dist/models/ are listed with their npm package, sha256 and licence in',
  'dist/models/manifest.json; README.md ("Models, where they come from, and what their licences allow") says what is known of each.',
];
for (const [license, text] of Object.entries(texts)) {
  if (!packages.some((p) => p.license === license)) continue;
  lines.push('', '='.repeat(78), `${license}`, '='.repeat(78), '', text.trim());
}
writeFileSync(join(root, 'dist', 'THIRD_PARTY_NOTICES.txt'), `${lines.join('\n')}\n`);
