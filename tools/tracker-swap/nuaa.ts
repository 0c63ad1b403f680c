// The tracker's swap check on webcam frames: a track's running template (the mean of a NUAA subject-session's other
// frames) against a frame of the same session (a false split if it scores under the threshold) and against every
// frame of the other subjects of the same parity (a stranger in the tracked face's place: caught if under it), on
// the plain score and on the compareFaces score. Odd ids choose, even ids report.
//   node tools/fit-calibration/embed-lfw.mjs --list tools/out/nuaa-live.txt --images $NUAA --candidates dlib128,mfn-flip --out tools/out/nuaa-embeddings.json
//   npx rolldown tools/tracker-swap/nuaa.ts --platform node --file tools/out/swap-nuaa.mjs && node tools/out/swap-nuaa.mjs odd|even [dump]
import { readFileSync } from 'node:fs';
import { Matcher, type MatcherConfig } from '../../src/face/similarity/matcher';
import calibration from '../../src/face/similarity/calibration.json';
import pairNorm from '../../src/face/similarity/pairNorm.json';

const dump = JSON.parse(readFileSync(process.argv[3] ?? 'tools/out/nuaa-embeddings.json', 'utf8'));
const matcher = new Matcher({ ...(calibration as unknown as MatcherConfig), pairNorm: pairNorm as never });
const ids = matcher.modelIds;
const pipes = dump.pipelines;

const files = Object.keys(pipes[Object.keys(pipes)[0]!].vectors);
const templ = (f: string) => ({
  models: ids,
  vectors: ids.map((id) =>
    Float32Array.from(pipes[Object.keys(pipes).find((k) => pipes[k].id === id || k === id)!].vectors[f]),
  ),
});
const meanOf = (fs: string[]) => ({
  models: ids,
  vectors: ids.map((_, m) => {
    const sum = new Float32Array(templ(fs[0]!).vectors[m]!.length);
    for (const f of fs) templ(f).vectors[m]!.forEach((x, i) => (sum[i]! += x));
    const n = Math.hypot(...sum);
    return sum.map((x) => x / n);
  }),
});
const info = files.map((f) => {
  const name = f.split('/').pop()!;
  const [subject, g, s, l] = name.split('_');
  return { f, subject: Number(subject), session: `${subject}_${g}_${s}_${l}` };
});
const parity = process.argv[2] === 'even' ? 0 : 1;
const mine = info.filter((x) => x.subject % 2 === parity);
const sessions = new Map<string, string[]>();
for (const x of mine) sessions.set(x.session, [...(sessions.get(x.session) ?? []), x.f]);
const same: number[] = [],
  sameC: number[] = [],
  diff: number[] = [],
  diffC: number[] = [];
for (const [s, fs] of sessions) {
  for (const f of fs) {
    const others = fs.filter((g) => g !== f);
    if (others.length === 0) continue;
    const t = meanOf(others);
    same.push(matcher.similarity(templ(f), t));
    sameC.push(matcher.compare(templ(f), t));
  }
  const t = meanOf(fs);
  const subj = Number(s.split('_')[0]);
  for (const x of mine)
    if (x.subject !== subj) {
      diff.push(matcher.similarity(templ(x.f), t));
      diffC.push(matcher.compare(templ(x.f), t));
    }
}
const q = (a: number[], p: number) => {
  const s = [...a].sort((x, y) => x - y);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))]!.toFixed(3);
};
console.log('sessions', sessions.size, 'same n', same.length, 'diff n', diff.length);
console.log(
  'plain  same: min',
  q(same, 0),
  'p1',
  q(same, 0.01),
  'p5',
  q(same, 0.05),
  '| diff: p50',
  q(diff, 0.5),
  'p90',
  q(diff, 0.9),
  'p99',
  q(diff, 0.99),
  'max',
  q(diff, 0.9999),
);
console.log(
  'compare same: min',
  q(sameC, 0),
  'p1',
  q(sameC, 0.01),
  'p5',
  q(sameC, 0.05),
  '| diff: p50',
  q(diffC, 0.5),
  'p90',
  q(diffC, 0.9),
  'p99',
  q(diffC, 0.99),
  'max',
  q(diffC, 0.9999),
);
for (const t of [0.5, 0.6, 0.7, 0.8, 0.85, 0.9])
  console.log(
    'T',
    t,
    'plain: split same',
    same.filter((x) => x < t).length,
    'caught diff',
    ((diff.filter((x) => x < t).length / diff.length) * 100).toFixed(1) + '%',
    '| compare: split',
    sameC.filter((x) => x < t).length,
    'caught',
    ((diffC.filter((x) => x < t).length / diffC.length) * 100).toFixed(1) + '%',
  );
