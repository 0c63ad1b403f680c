// What the liveness analyses share: the measured rows (every candidate from liveness.json, FasNet's outputs from
// liveness-fasnet.json joined by image), NUAA's labels, and FasNet's score.
import { readFileSync, writeFileSync } from 'node:fs';

/** measure.mjs rows of the liveness list, with the FasNet outputs of the separate --liveness fasnet run merged in. */
export function livenessRows() {
  const d = JSON.parse(readFileSync('tools/out/checks/liveness.json', 'utf8'));
  for (const [file, r] of Object.entries(
    JSON.parse(readFileSync('tools/out/checks/liveness-fasnet.json', 'utf8')).rows,
  )) {
    if (d.rows[file] && r.fasnet)
      Object.assign(d.rows[file], {
        fasnet: r.fasnet,
        fasnetMirror: r.fasnetMirror,
        fasnet20: r.fasnet20,
        fasnet40: r.fasnet40,
        eyeClosed: r.eyeClosed,
      });
  }
  return d.rows;
}

/** NUAA's labels.csv: "antispoof_nuaa/<file>" → { label, subject }. */
export function nuaaLabels() {
  return new Map(
    readFileSync(`${process.env.SHARED_DATA ?? '../shared/data'}/antispoof_nuaa/labels.csv`, 'utf8')
      .trim()
      .split('\n')
      .slice(1)
      .map((l) => {
        const [file, label, subject] = l.split(',');
        return [`antispoof_nuaa/${file}`, { label, subject }];
      }),
  );
}

/** FasNet's live log-odds against both attack classes (as src/face/checks/fasnet.ts fasnetLiveLogOdds). */
export function fasnetLogOdds(l) {
  const m = Math.max(l[1], l[2]);
  return l[0] - (m + Math.log(Math.exp(l[1] - m) + Math.exp(l[2] - m)));
}

/** Writes `fields` into src/face/checks/livenessThreshold.json, keeping the fields another tool wrote. */
export function updateLivenessThresholds(fields) {
  const path = 'src/face/checks/livenessThreshold.json';
  writeFileSync(path, JSON.stringify({ ...JSON.parse(readFileSync(path, 'utf8')), ...fields }) + '\n');
  console.error(`wrote ${path}`);
}
