// The tracker's swap check on webcam frames: a track's running template (the mean of a subject-session's other
// frames) against a frame of the same session (a false split if it scores under the threshold) and against every
// frame of the other subjects (a stranger in the tracked face's place: caught if under it), on the plain score and
// on the compareFaces score; then the tracker's rule as shipped: a frame under SWAP ends the track at once, one under
// DOUBT is kept out and a second such frame in a row ends it (frames taken in file order).
// NUAA: odd ids choose, even ids report. xdomain (CASIA-FaceV5, five photos a person in one sitting, more varied in
// pose than a track's frames): evaluation only, reported, never chosen on.
//   node tools/fit-calibration/embed-lfw.mjs --list tools/out/nuaa-live.txt --images $NUAA --candidates dlib128,mfn-flip --out tools/out/nuaa-embeddings.json
//   (cd ../shared/data/xdomain && ls casia_facev5/*/*.jpg) > tools/out/xdomain-casia.txt
//   node tools/fit-calibration/embed-lfw.mjs --list tools/out/xdomain-casia.txt --images ../shared/data/xdomain --candidates dlib128,mfn-flip --out tools/out/xdomain-casia-embeddings.json
//   npx rolldown tools/tracker-swap/nuaa.ts --platform node --file tools/out/swap-nuaa.mjs
//   node tools/out/swap-nuaa.mjs odd|even [dump]; node tools/out/swap-nuaa.mjs xdomain tools/out/xdomain-casia-embeddings.json
import { readFileSync } from 'node:fs';
import { Matcher, type MatcherConfig } from '../../src/face/similarity/matcher';
import calibration from '../../src/face/similarity/calibration.json';
import pairNorm from '../../src/face/similarity/pairNorm.json';

const SWAP = 0.5;
const DOUBT = 0.7;

const mode = process.argv[2] ?? 'odd';
const dump = JSON.parse(readFileSync(process.argv[3] ?? 'tools/out/nuaa-embeddings.json', 'utf8'));
const matcher = new Matcher({ ...(calibration as unknown as MatcherConfig), pairNorm: pairNorm as never });
const ids = matcher.modelIds;
const pipes = dump.pipelines;

const pipeOf = (id: string) => pipes[Object.keys(pipes).find((k) => pipes[k].id === id || k === id)!];
const files = Object.keys(pipes[Object.keys(pipes)[0]!].vectors).filter((f) =>
  ids.every((id) => pipeOf(id).vectors[f]),
);
const templ = (f: string) => ({ models: ids, vectors: ids.map((id) => Float32Array.from(pipeOf(id).vectors[f])) });
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
  if (mode === 'xdomain') {
    const person = f.split('/').at(-2)!;
    return { f, subject: Number(person.split('_')[1]), session: person };
  }
  const [subject, g, s, l] = name.split('_');
  return { f, subject: Number(subject), session: `${subject}_${g}_${s}_${l}` };
});
const mine = mode === 'xdomain' ? info : info.filter((x) => x.subject % 2 === (mode === 'even' ? 0 : 1));
const sessions = new Map<string, string[]>();
for (const x of mine) sessions.set(x.session, [...(sessions.get(x.session) ?? []), x.f]);
const frameNumber = (f: string) =>
  Number(
    f
      .replace(/\.jpg$/, '')
      .split('_')
      .at(-1),
  );
for (const fs of sessions.values()) fs.sort((a, b) => frameNumber(a) - frameNumber(b));

/** The shipped rule over a sequence of compareFaces scores: the index of the frame that ends the track, or -1. */
const endsAt = (scores: number[], doubtBelow = DOUBT) => {
  let doubt = false;
  for (let i = 0; i < scores.length; i++) {
    if (scores[i]! < SWAP) return i;
    if (scores[i]! < doubtBelow) {
      if (doubt) return i;
      doubt = true;
    } else doubt = false;
  }
  return -1;
};

const same: number[] = [],
  sameC: number[] = [],
  diff: number[] = [],
  diffC: number[] = [];
let sameRuns = 0,
  sameSplit = 0,
  strangerRuns = 0,
  strangerCaught = 0,
  strangerCaughtBefore = 0;
const caughtAt: number[] = [];
for (const fs of sessions.values()) {
  const own: number[] = [];
  for (const f of fs) {
    const others = fs.filter((g) => g !== f);
    if (others.length === 0) continue;
    const t = meanOf(others);
    same.push(matcher.similarity(templ(f), t));
    const c = matcher.compare(templ(f), t);
    sameC.push(c);
    own.push(c);
  }
  sameRuns++;
  if (endsAt(own) >= 0) sameSplit++;
  const t = meanOf(fs);
  const subject = info.find((x) => x.f === fs[0])!.subject;
  for (const fs2 of sessions.values()) {
    if (info.find((x) => x.f === fs2[0])!.subject === subject) continue;
    const scores = fs2.map((f) => matcher.compare(templ(f), t));
    for (const f of fs2) {
      diff.push(matcher.similarity(templ(f), t));
    }
    diffC.push(...scores);
    strangerRuns++;
    if (endsAt(scores, SWAP) >= 0) strangerCaughtBefore++;
    const at = endsAt(scores);
    if (at >= 0) {
      strangerCaught++;
      caughtAt.push(at + 1);
    }
  }
}
const q = (a: number[], p: number) => {
  const s = [...a].sort((x, y) => x - y);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))]!.toFixed(3);
};
const pct = (n: number, d: number) => ((n / d) * 100).toFixed(1) + '%';
console.log(mode, 'sessions', sessions.size, 'same n', same.length, 'diff n', diff.length);
for (const [label, s, d] of [
  ['plain  ', same, diff],
  ['compare', sameC, diffC],
] as const)
  console.log(
    label,
    'same: min',
    q(s, 0),
    'p1',
    q(s, 0.01),
    'p5',
    q(s, 0.05),
    '| diff: p50',
    q(d, 0.5),
    'p90',
    q(d, 0.9),
    'p99',
    q(d, 0.99),
    'max',
    q(d, 0.9999),
  );
for (const t of [0.5, 0.6, 0.7, 0.8])
  console.log(
    'T',
    t,
    'plain: split same',
    same.filter((x) => x < t).length,
    'caught diff',
    pct(diff.filter((x) => x < t).length, diff.length),
    '| compare: split',
    sameC.filter((x) => x < t).length,
    'caught',
    pct(diffC.filter((x) => x < t).length, diffC.length),
  );
caughtAt.sort((a, b) => a - b);
console.log(
  `rule (< ${SWAP} at once, two in a row < ${DOUBT}): sessions split ${sameSplit} of ${sameRuns}; ` +
    `frames of their own session under ${DOUBT}: ${sameC.filter((x) => x < DOUBT).length} of ${sameC.length}; ` +
    `stranger sessions caught ${strangerCaught} of ${strangerRuns} (${pct(strangerCaught, strangerRuns)}), ` +
    `at frame median ${caughtAt[Math.floor(caughtAt.length / 2)] ?? '-'}, ≤ 2nd ${pct(caughtAt.filter((x) => x <= 2).length, strangerRuns)}; ` +
    `with < ${SWAP} alone (before): ${strangerCaughtBefore} (${pct(strangerCaughtBefore, strangerRuns)})`,
);
