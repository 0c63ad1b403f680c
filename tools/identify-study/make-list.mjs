#!/usr/bin/env node
// Lists the LFW images the identification benchmark needs: every image of identities with ≥ 5 images (gallery +
// probes) and of identities with exactly 1 image (strangers). One path per line, relative to the images folder.
// Usage: node tools/identify-study/make-list.mjs [--images ../shared/data/lfw/images] [--out tools/out/identify-images.txt]
import { readdirSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

const args = Object.fromEntries(
  process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith('--') ? [...acc, [a.slice(2), all[i + 1]]] : acc), []),
);
const imagesDir = resolve(args.images ?? '../shared/data/lfw/images');
const out = resolve(args.out ?? 'tools/out/identify-images.txt');
const lines = [];
for (const name of readdirSync(imagesDir).sort()) {
  const files = readdirSync(resolve(imagesDir, name))
    .filter((f) => f.endsWith('.jpg'))
    .sort();
  if (files.length >= 5 || files.length === 1) lines.push(...files.map((f) => `${name}/${f}`));
}
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, lines.join('\n') + '\n');
console.error(`${lines.length} images → ${out}`);
