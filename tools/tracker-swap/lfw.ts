// How many LFW same-person pairs (photos years apart: far more unlike than a track's frames) score under each swap
// threshold, on the compareFaces score and the plain score; the LFW fit half chooses, the held-out half reports.
//   npx rolldown tools/tracker-swap/lfw.ts --platform node --file tools/out/swap-lfw.mjs && node tools/out/swap-lfw.mjs fit|heldout [dump]
import { readFileSync } from 'node:fs';
import { Matcher, type MatcherConfig } from '../../src/face/similarity/matcher';
import calibration from '../../src/face/similarity/calibration.json';
import pairNorm from '../../src/face/similarity/pairNorm.json';
import { hash } from '../domain-study/embeddings';

const dump = JSON.parse(readFileSync(process.argv[3] ?? 'tools/out/lfw-embeddings-center.json', 'utf8'));
const matcher = new Matcher({ ...(calibration as unknown as MatcherConfig), pairNorm: pairNorm as never });
const ids = matcher.modelIds;
const keys = Object.keys(dump.pipelines);
const cache = new Map<string, { models: string[]; vectors: Float32Array[] }>();
const templ = (f: string) => {
  let t = cache.get(f);
  if (!t) {
    t = { models: ids, vectors: keys.map((k) => Float32Array.from(dump.pipelines[k].vectors[f])) };
    cache.set(f, t);
  }
  return t;
};
const fit = process.argv[2] !== 'heldout';
const lines = readFileSync(process.env.LFW_PAIRS ?? '../shared/data/lfw/pairs_subset.txt', 'utf8')
  .trim()
  .split('\n');
const name = (p: string, n: string) => `${p}/${p}_${n.padStart(4, '0')}.jpg`;
const same: number[] = [],
  sameP: number[] = [];
for (const l of lines) {
  const f = l.trim().split(/\s+/);
  if (f.length !== 3) continue;
  if ((hash(f[0]!) % 2 === 0) !== fit) continue;
  const a = name(f[0]!, f[1]!),
    b = name(f[0]!, f[2]!);
  if (!dump.pipelines[keys[0]!].vectors[a] || !dump.pipelines[keys[0]!].vectors[b]) continue;
  same.push(matcher.compare(templ(a), templ(b)));
  sameP.push(matcher.similarity(templ(a), templ(b)));
}
for (const t of [0.3, 0.4, 0.5, 0.6, 0.7])
  console.log(
    fit ? 'fit' : 'heldout',
    'T',
    t,
    'same-person LFW pairs below: compare',
    ((same.filter((x) => x < t).length / same.length) * 100).toFixed(2) + '%',
    'plain',
    ((sameP.filter((x) => x < t).length / sameP.length) * 100).toFixed(2) + '%',
    'n',
    same.length,
  );
