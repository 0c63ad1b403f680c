#!/usr/bin/env node
// LFW-format pair lists for the peer benchmark on the other domains: NUAA live frames of even subject ids and
// xdomain (both held out). The images are linked (not copied) into tools/out/<domain>/images/<Person>/<Person>_NNNN.jpg,
// the layout `npm run bench -- accuracy` reads; one fold of N same-person and N different-person pairs.
// Usage: node tools/domain-study/make-pair-lists.mjs [--nuaa DIR] [--xdomain DIR] [--pairs N]
//   then: npm run bench -- accuracy --pairs tools/out/xdomain-lfw/pairs.txt --select largest
import { mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const NUAA = resolve(arg('nuaa', '../shared/data/antispoof_nuaa'));
const XDOMAIN = resolve(arg('xdomain', '../shared/data/xdomain'));
const N = Number(arg('pairs', 300));
let seed = 7;
const rand = () => (seed = (Math.imul(seed, 1103515245) + 12345) & 0x7fffffff) / 0x7fffffff;

function build(name, images) {
  const dir = resolve('tools/out', `${name}-lfw`);
  rmSync(dir, { recursive: true, force: true });
  const byPerson = new Map();
  for (const { person, path } of images) {
    const list = byPerson.get(person) ?? [];
    list.push(path);
    byPerson.set(person, list);
    mkdirSync(join(dir, 'images', person), { recursive: true });
    symlinkSync(path, join(dir, 'images', person, `${person}_${String(list.length).padStart(4, '0')}.jpg`));
  }
  const people = [...byPerson.keys()];
  const same = [],
    diff = [];
  for (const p of people) {
    const n = byPerson.get(p).length;
    for (let i = 1; i <= n; i++) for (let j = i + 1; j <= n; j++) same.push(`${p}\t${i}\t${j}`);
  }
  const seen = new Set();
  while (diff.length < Math.min(N, same.length)) {
    const a = people[Math.floor(rand() * people.length)],
      b = people[Math.floor(rand() * people.length)];
    if (a === b) continue;
    const i = 1 + Math.floor(rand() * byPerson.get(a).length),
      j = 1 + Math.floor(rand() * byPerson.get(b).length);
    const line = `${a}\t${i}\t${b}\t${j}`;
    if (!seen.has(line)) {
      seen.add(line);
      diff.push(line);
    }
  }
  const sameUsed = same.sort(() => rand() - 0.5).slice(0, diff.length);
  writeFileSync(join(dir, 'pairs.txt'), `1\t${diff.length}\n${sameUsed.join('\n')}\n${diff.join('\n')}\n`);
  console.log(
    `${dir}/pairs.txt: ${sameUsed.length} same, ${diff.length} different pairs, ${images.length} images of ${people.length} people`,
  );
}

const nuaa = readFileSync(join(NUAA, 'labels.csv'), 'utf8')
  .split('\n')
  .slice(1)
  .filter((l) => l.includes(',real,'))
  .map((l) => l.split(','))
  .filter((f) => Number(f[2]) % 2 === 0)
  .map((f) => ({ person: `nuaa_${f[2]}`, path: join(NUAA, f[0]) }));
build('nuaa-even', nuaa);
const x = readFileSync(join(XDOMAIN, 'ident.tsv'), 'utf8')
  .split('\n')
  .filter((l) => l && !l.startsWith('#'))
  .map((l) => l.split('\t'))
  .map((f) => ({ person: f[1], path: join(XDOMAIN, f[3]) }));
build('xdomain', x);

// xdomain's 1:N protocol (ident.tsv) in the layout `npm run bench -- identify --min-photos 2` reads: each gallery
// person's enrolled frame first, then their probe frames; each stranger frame as a one-photo person.
{
  const dir = resolve('tools/out', 'xdomain-ident');
  rmSync(dir, { recursive: true, force: true });
  const rows = readFileSync(join(XDOMAIN, 'ident.tsv'), 'utf8')
    .split('\n')
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => l.split('\t'));
  const order = { gallery: 0, probe: 1 };
  const known = rows.filter((f) => f[0] in order).sort((a, b) => order[a[0]] - order[b[0]]);
  const count = new Map();
  for (const [, person, , path] of known) {
    const n = (count.get(person) ?? 0) + 1;
    count.set(person, n);
    mkdirSync(join(dir, 'images', person), { recursive: true });
    symlinkSync(join(XDOMAIN, path), join(dir, 'images', person, `${person}_${String(n).padStart(4, '0')}.jpg`));
  }
  const strangers = rows.filter((f) => f[0] === 'stranger');
  strangers.forEach(([, , , path], i) => {
    const name = `stranger_${String(i).padStart(3, '0')}`;
    mkdirSync(join(dir, 'images', name), { recursive: true });
    symlinkSync(join(XDOMAIN, path), join(dir, 'images', name, `${name}_0001.jpg`));
  });
  console.log(
    `${dir}/images: ${count.size} gallery persons, ${known.length - count.size} probes, ${strangers.length} strangers`,
  );
}
