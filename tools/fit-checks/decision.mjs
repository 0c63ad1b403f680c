#!/usr/bin/env node
// The liveness DECISION users get — `detectFaces(image, { liveness: true })[0].liveness.live` of the library as
// built in dist/ — on NUAA (live webcam frames vs printed photos, per subject), the phone-replay frames and the
// minivision samples. Unlike analyze-liveness.mjs (the model score alone), this counts every reason a face is
// refused: geometry codes, FACE_IS_OCCLUDED from the attribute heads, EYES_CLOSED, and the score threshold.
// APCER / BPCER (ISO/IEC 30107-3) on the even subject ids (the liveness head and the attribute heads' webcam
// negatives were fitted on the odd ones), and on all subjects for reference.
//   npm run build && node tools/fit-checks/decision.mjs [--json FILE] [--rows FILE]
// --json: the summary (tools/results/liveness-decision.json); --rows: every image's decision, for a closer look
// (kept out of git: it is raw per-image data, regenerated on demand).
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchBrowser, openHarnessPage } from '../../bench/browser.mjs';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const DATA = process.env.SHARED_DATA ?? join(ROOT, '..', 'shared', 'data');
const arg = (name) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
};

const images = readFileSync(join(DATA, 'antispoof_nuaa', 'labels.csv'), 'utf8')
  .trim()
  .split('\n')
  .slice(1)
  .map((line) => {
    const [file, label, subject] = line.split(',');
    return { file: `antispoof_nuaa/${file}`, label, subject: Number(subject) };
  });
for (const name of ['image_T1.jpg', 'image_T2.jpg', 'image_F1.jpg', 'image_F2.jpg']) {
  try {
    readFileSync(join(DATA, 'antispoof_minivision', name));
    images.push({
      file: `antispoof_minivision/${name}`,
      label: name.includes('_T') ? 'real' : 'spoof_minivision',
      subject: 0,
    });
  } catch {
    /* absent */
  }
}

const browser = await launchBrowser();
const results = [];
try {
  const page = await openHarnessPage(browser);
  await page.evaluate(async () => {
    window.client = await window.LocalFace.createFaceClient({ backend: 'wasm' });
  });
  for (const [i, image] of images.entries()) {
    const base64 = readFileSync(join(DATA, image.file)).toString('base64');
    const face = await page.evaluate(async (b64) => {
      const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
      const [first] = await window.client.detectFaces(bytes, { quality: false, attributes: true, liveness: true });
      return first
        ? {
            live: first.liveness.live,
            code: first.liveness.code,
            score: first.liveness.score,
            attributes: first.attributes,
          }
        : null;
    }, base64);
    results.push({ ...image, face });
    process.stderr.write(`\r${i + 1}/${images.length}`);
  }
} finally {
  await browser.close();
}
process.stderr.write('\n');

const accepted = (r) => r.face?.live === true;
function rates(rows) {
  const live = rows.filter((r) => r.label === 'real'),
    attacks = rows.filter((r) => r.label !== 'real');
  const rejected = live.filter((r) => !accepted(r));
  const codes = {};
  for (const r of rejected) codes[r.face?.code ?? 'no face'] = (codes[r.face?.code ?? 'no face'] ?? 0) + 1;
  return {
    live: live.length,
    attacks: attacks.length,
    bpcer: live.length ? rejected.length / live.length : null,
    apcer: attacks.length ? attacks.filter(accepted).length / attacks.length : null,
    liveRejectedBy: codes,
  };
}
const nuaa = results.filter((r) => r.file.startsWith('antispoof_nuaa/'));
const summary = {
  evenPrint: rates(nuaa.filter((r) => r.subject % 2 === 0 && r.label !== 'spoof_replay')),
  allPrint: rates(nuaa.filter((r) => r.label !== 'spoof_replay')),
  replayAccepted: nuaa.filter((r) => r.label === 'spoof_replay').filter(accepted).length,
  replay: nuaa.filter((r) => r.label === 'spoof_replay').length,
  minivision: results
    .filter((r) => r.file.startsWith('antispoof_minivision/'))
    .map((r) => `${r.file.split('/')[1]}: ${r.face ? (r.face.live ? 'live' : r.face.code) : 'no face'}`),
};
const pct = (x) => (x === null ? '–' : `${(100 * x).toFixed(1)} %`);
const codes = (o) =>
  Object.entries(o)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ') || '–';
console.log(
  [
    '| NUAA subjects | live frames | print attacks | APCER (prints accepted) | BPCER (live refused) | live refused because |',
    '|---|---:|---:|---:|---:|---|',
    `| even ids (held out) | ${summary.evenPrint.live} | ${summary.evenPrint.attacks} | ${pct(summary.evenPrint.apcer)} | ${pct(summary.evenPrint.bpcer)} | ${codes(summary.evenPrint.liveRejectedBy)} |`,
    `| all | ${summary.allPrint.live} | ${summary.allPrint.attacks} | ${pct(summary.allPrint.apcer)} | ${pct(summary.allPrint.bpcer)} | ${codes(summary.allPrint.liveRejectedBy)} |`,
    '',
    `Phone-replay frames accepted as live: ${summary.replayAccepted}/${summary.replay}. Minivision: ${summary.minivision.join('; ')}.`,
  ].join('\n'),
);
const date = new Date().toISOString();
const out = arg('json');
if (out) writeFileSync(out, `${JSON.stringify({ date, summary }, null, 1)}\n`);
const rowsOut = arg('rows');
if (rowsOut) writeFileSync(rowsOut, `${JSON.stringify({ date, results }, null, 1)}\n`);
