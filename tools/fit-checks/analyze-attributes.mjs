#!/usr/bin/env node
// Trains the attribute heads (L2-regularised logistic regression) on the train split and reports precision and
// recall on the held-out split. Writes the heads to src/face/checks/attributeHeads.json with --write.
// Input: tools/out/checks/attributes.json from
//   node tools/fit-checks/measure.mjs --list tools/out/checks/attributes.txt --liveness 0 --out tools/out/checks/attributes.json
// Usage: node tools/fit-checks/analyze-attributes.mjs [--features emb|thumb|both] [--no-webcam] [--augment FILE …] [--write]
// --augment FILE: measure.mjs rows of altered copies (keys "path#kind", e.g. --kinds washed,bright) that join the
// TRAIN split with their original's labels; the test split stays originals only, so the held-out figures compare.
// Webcam negatives (default on; --no-webcam leaves them out): the live NUAA webcam frames of
// tools/out/checks/liveness.json (plain faces, some with clear glasses; no mask, no sunglasses) are negatives for mask
// and sunglasses — odd subject ids train, even ones test — because photos-only training flagged many webcam faces.
import { readFileSync, writeFileSync } from 'node:fs';
import { regionFeatures } from './regions.mjs';
import { textureFeatures } from './texture.mjs';

const args = process.argv.slice(2);
let featureKind = args.includes('--features') ? args[args.indexOf('--features') + 1] : 'regions';
let lambda = args.includes('--lambda') ? Number(args[args.indexOf('--lambda') + 1]) : 1e-2;
let flip = args.includes('--flip');
// ATTRIBUTES_JSON / WEBCAM_JSON: other measure.mjs outputs with the same rows (e.g. with --thumb48 1 for 'tex').
const d = JSON.parse(readFileSync(process.env.ATTRIBUTES_JSON ?? 'tools/out/checks/attributes.json', 'utf8'));
const tags = {};
for (const line of readFileSync('../shared/data/lfw/helper_visual_tags.csv', 'utf8').trim().split('\n').slice(1)) {
  const [file, tag] = line.split(',');
  (tags[`lfw/${file}`] ??= []).push(tag);
}
// Split: every other file of each source in list order (occlusion folders: by file name; LFW: one image per identity).
const rows = [];
const counters = {};
for (const [file, r] of Object.entries(d.rows)) {
  if (!r.emb) continue;
  const source = file.startsWith('occlusion/mask')
    ? 'mask'
    : file.startsWith('occlusion/sunglasses')
      ? 'sunglasses'
      : tags[file]
        ? `lfw-tagged`
        : 'lfw-plain';
  counters[source] = (counters[source] ?? 0) + 1;
  const split = counters[source] % 2 === 1 ? 'train' : 'test';
  rows.push({ file, source, tags: tags[file] ?? [], split, r });
}
const missed = Object.entries(d.rows)
  .filter(([, r]) => !r.emb)
  .map(([f]) => f);
if (!args.includes('--no-webcam')) {
  const live = JSON.parse(readFileSync(process.env.WEBCAM_JSON ?? 'tools/out/checks/liveness.json', 'utf8'));
  for (const [file, r] of Object.entries(live.rows)) {
    if (!file.startsWith('antispoof_nuaa/real/') || !r.emb) continue;
    const subject = Number(file.split('/')[2]);
    rows.push({ file, source: 'webcam-live', tags: [], split: subject % 2 === 1 ? 'train' : 'test', r });
  }
}
if (args.includes('--augment')) {
  const aug = JSON.parse(readFileSync(args[args.indexOf('--augment') + 1], 'utf8'));
  const byFile = new Map(rows.map((x) => [x.file, x]));
  let added = 0;
  for (const [key, r] of Object.entries(aug.rows)) {
    const original = byFile.get(key.split('#')[0]);
    if (!original || original.split !== 'train' || !r.emb) continue;
    // Synthetic occlusions (harness kinds synthmask / synthglasses) carry their own attribute.
    const kind = key.split('#')[1];
    const synthetic = kind === 'synthmask' ? 'mask' : kind === 'synthglasses' ? 'sunglasses' : undefined;
    rows.push({ ...original, file: key, r, synthetic });
    added++;
  }
  console.error(`augmentation: ${added} altered copies of train-split faces`);
}
// The heads as shipped before this run, to compare on the same test rows.
const shipped = JSON.parse(readFileSync('src/face/checks/attributeHeads.json', 'utf8'));

function features(r) {
  if (featureKind === 'emb') return r.emb;
  if (featureKind === 'regions') return regionFeatures(r.thumb);
  if (featureKind === 'regions+emb') return [...regionFeatures(r.thumb), ...r.emb];
  if (featureKind === 'regions+tex') return [...regionFeatures(r.thumb), ...textureFeatures(r.thumb48)];
  if (featureKind === 'regions+emb+tex') return [...regionFeatures(r.thumb), ...r.emb, ...textureFeatures(r.thumb48)];
  if (featureKind === 'tex') return textureFeatures(r.thumb48);
  const t = r.thumb.map((v) => v / 255 - 0.5);
  return featureKind === 'thumb' ? t : [...r.emb, ...t];
}

/** Label per attribute: 1, 0, or undefined (left out: unknown for this attribute). */
const LABELS = {
  mask: (x) => (x.source === 'mask' || x.synthetic === 'mask' ? 1 : 0),
  // (webcam-live rows: 0 for mask and sunglasses; not tagged for headwear, so left out of hat and veil)
  sunglasses: (x) =>
    x.synthetic === 'mask'
      ? 0
      : x.source === 'sunglasses' || x.synthetic === 'sunglasses' || x.tags.includes('sunglasses_or_tinted_glasses')
        ? 1
        : x.tags.includes('helmet_or_goggles')
          ? undefined
          : 0,
  // The occlusion folders were not tagged for headwear (several sunglasses selfies wear caps): left out.
  hat: (x) =>
    x.synthetic || x.source === 'mask' || x.source === 'sunglasses' || x.source === 'webcam-live'
      ? undefined
      : x.tags.includes('hat_or_cap') || x.tags.includes('helmet_or_goggles')
        ? 1
        : 0,
  veil: (x) =>
    x.synthetic || x.source === 'mask' || x.source === 'sunglasses' || x.source === 'webcam-live'
      ? undefined
      : x.tags.includes('head_covering_scarf_turban_veil')
        ? 1
        : 0,
};

function train(X, y, lambda = 1e-2, epochs = 600, lr = 0.5, weights = y.map(() => 1)) {
  const n = X.length,
    dim = X[0].length;
  // Balanced classes over sample weights: each class carries half of the total weight.
  const total = weights.reduce((a, b) => a + b, 0);
  const posWeight = weights.reduce((a, v, i) => a + (y[i] === 1 ? v : 0), 0);
  const wPos = total / (2 * posWeight),
    wNeg = total / (2 * (total - posWeight));
  const w = new Float64Array(dim);
  let b = 0;
  for (let e = 0; e < epochs; e++) {
    const g = new Float64Array(dim);
    let gb = 0;
    for (let i = 0; i < n; i++) {
      let z = b;
      for (let j = 0; j < dim; j++) z += w[j] * X[i][j];
      const p = 1 / (1 + Math.exp(-z));
      const err = (p - y[i]) * (y[i] === 1 ? wPos : wNeg) * weights[i];
      for (let j = 0; j < dim; j++) g[j] += err * X[i][j];
      gb += err;
    }
    for (let j = 0; j < dim; j++) w[j] -= lr * (g[j] / n + lambda * w[j]);
    b -= (lr * gb) / n;
  }
  return { w: Array.from(w, (v) => +v.toFixed(5)), b: +b.toFixed(5) };
}
const predict = (head, x) => 1 / (1 + Math.exp(-(head.b + head.w.reduce((s, wj, j) => s + wj * x[j], 0))));

function fit(tr) {
  // Mirror augmentation (--flip): each training face also enters mirrored (thumbnail only; emb is left as is).
  const flipThumb = (t, size = 24) =>
    t.map((_, i) => {
      const p = Math.floor(i / 3),
        c = i % 3,
        y = Math.floor(p / size),
        x = p % size;
      return t[(y * size + size - 1 - x) * 3 + c];
    });
  const mirrored = (r) => ({
    ...r,
    thumb: flipThumb(r.thumb),
    ...(r.thumb48 ? { thumb48: flipThumb(r.thumb48, 48) } : {}),
  });
  const aug = flip ? tr.map((v) => ({ ...v, x: { ...v.x, r: mirrored(v.x.r) } })) : [];
  const trAll = [...tr, ...aug];
  const Xtr = trAll.map((v) => features(v.x.r));
  const dim = Xtr[0].length;
  const mu = Array.from({ length: dim }, (_, j) => Xtr.reduce((s, x) => s + x[j], 0) / Xtr.length);
  const sd = Array.from(
    { length: dim },
    (_, j) => Math.sqrt(Xtr.reduce((s, x) => s + (x[j] - mu[j]) ** 2, 0) / Xtr.length) || 1,
  );
  const z = (x) => x.map((v, j) => (v - mu[j]) / sd[j]);
  const fitted = train(
    Xtr.map(z),
    trAll.map((v) => v.y),
    lambda,
    600,
    0.5,
    trAll.map((v) => (v.x.synthetic ? synthWeight : 1)),
  );
  // Fold the standardisation into the weights: w·z(x) + b = (w/sd)·x + (b − Σ w·mu/sd).
  const w = fitted.w.map((wj, j) => wj / sd[j]);
  return {
    w: w.map((v) => +v.toPrecision(6)),
    b: +(fitted.b - w.reduce((s, wj, j) => s + wj * mu[j], 0)).toPrecision(6),
  };
}

// --cv: choose features / lambda / mirroring by 4-fold cross-validation on the TRAIN split only (balanced error of the
// mask and sunglasses heads), then fit on the whole train split and report on the test split.
/** Altered copies from --augment have keys "path#kind"; originals are kind 'none'. */
const kindOf = (x) => x.file.split('#')[1] ?? 'none';
/** CV fold of a row: by its original photo, so that a copy and its original always share the fold — and by subject
 * for webcam frames, which are near-duplicates of the same person's other frames. */
const foldOf = (x) => {
  const group = x.source === 'webcam-live' ? x.file.split('/')[2] : x.file.split('#')[0];
  let h = 0;
  for (const c of group) h = (h * 31 + c.charCodeAt(0)) >>> 0;
  return h % 4;
};
/** Which --augment kinds train each head (without --cv: none), and the sample weight of a synthetic copy. */
const augmentFor = {};
const synthWeightFor = {};
let synthWeight = 1;
/** Validation error: mean of the miss rate and the false-flag rate, the latter averaged over the negatives' sources
 * (photos, webcam frames), so that webcam faces count as much as photos although there are fewer of them. */
function balancedError(scored) {
  const rate = (list, wrong) => (list.length ? list.filter(wrong).length / list.length : 0);
  const positives = scored.filter((v) => v.y === 1),
    negatives = scored.filter((v) => v.y === 0);
  const bySource = [
    negatives.filter((v) => v.x.source !== 'webcam-live'),
    negatives.filter((v) => v.x.source === 'webcam-live'),
  ].filter((l) => l.length);
  const missed = rate(positives, (v) => v.p < 0.5);
  const flagged = bySource.map((list) => rate(list, (v) => v.p >= 0.5));
  const error = (missed + flagged.reduce((a, b) => a + b, 0) / flagged.length) / 2;
  return {
    error,
    detail: `missed ${missed.toFixed(3)} of ${positives.length}, flagged ${flagged.map((f, i) => `${f.toFixed(3)} of ${bySource[i].length}`).join(' / ')}`,
  };
}
if (args.includes('--cv')) {
  let best;
  for (const fk of (process.env.CV_FEATURES ?? 'regions,regions+emb,thumb').split(','))
    for (const lam of [0.003, 0.03])
      for (const fl of [false, true]) {
        featureKind = fk;
        lambda = lam;
        flip = fl;
        let err = 0;
        for (const [, label] of Object.entries(LABELS).filter(([n]) => n === 'mask' || n === 'sunglasses')) {
          const lab = rows
            .filter((x) => x.split === 'train' && kindOf(x) === 'none')
            .map((x) => ({ x, y: label(x) }))
            .filter((v) => v.y !== undefined);
          const scored = [];
          for (let k = 0; k < 4; k++) {
            const h = fit(lab.filter((v) => foldOf(v.x) !== k));
            for (const v of lab.filter((v) => foldOf(v.x) === k)) scored.push({ ...v, p: predict(h, features(v.x.r)) });
          }
          err += balancedError(scored).error;
        }
        console.error(`cv ${fk} λ=${lam} flip=${fl}: mean balanced error ${(err / 2).toFixed(3)}`);
        if (!best || err < best.err) best = { fk, lam, fl, err };
      }
  ({ fk: featureKind, lam: lambda, fl: flip } = best);
  console.log(`cross-validation on the train split chose: features ${featureKind}, λ ${lambda}, mirroring ${flip}`);
  // Stage 2, per attribute: which altered copies (--augment) help, by the same 4-fold CV on the train split, folds
  // grouped by original photo (a copy never validates its own original); validation on originals only.
  const kinds = [...new Set(rows.map(kindOf))].filter((k) => k !== 'none');
  const options = [[], ...kinds.map((k) => [k]), ...(kinds.length > 1 ? [kinds] : [])];
  for (const [name, label] of Object.entries(LABELS)) {
    if (kinds.length === 0) break;
    const lab = rows
      .filter((x) => x.split === 'train')
      .map((x) => ({ x, y: label(x) }))
      .filter((v) => v.y !== undefined);
    let chosen;
    for (const option of options)
      for (const weight of option.length ? [0.25, 0.5, 1] : [1]) {
        synthWeight = weight;
        const scored = [];
        for (let k = 0; k < 4; k++) {
          const h = fit(
            lab.filter((v) => foldOf(v.x) !== k && (kindOf(v.x) === 'none' || option.includes(kindOf(v.x)))),
          );
          for (const v of lab.filter((v) => foldOf(v.x) === k && kindOf(v.x) === 'none'))
            scored.push({ ...v, p: predict(h, features(v.x.r)) });
        }
        const { error: err, detail } = balancedError(scored);
        console.error(
          `cv ${name} augmentation [${option.join(',')}] weight ${weight}: balanced error ${err.toFixed(3)} (${detail})`,
        );
        if (!chosen || err < chosen.err) chosen = { option, weight, err };
      }
    augmentFor[name] = chosen.option;
    synthWeightFor[name] = chosen.weight;
  }
  if (kinds.length)
    console.log(
      `augmentation chosen per attribute: ${Object.entries(augmentFor)
        .map(([n, o]) => `${n} [${o.join(',') || 'none'}]${o.length ? ` weight ${synthWeightFor[n]}` : ''}`)
        .join(', ')}`,
    );
}
const heads = {};
const out = [
  '| attribute | train pos/neg | test pos/neg | recall (found) | plain LFW flagged | webcam live flagged (NUAA even ids) | precision | shipped-before heads, same test rows: recall / LFW / webcam flagged |',
  '|---|---|---|---|---|---|---|---|',
];
const pct = (a, b) => (b ? `${a}/${b} (${((100 * a) / b).toFixed(1)} %)` : '–');
for (const [name, label] of Object.entries(LABELS)) {
  const lab = rows.map((x) => ({ x, y: label(x) })).filter((v) => v.y !== undefined);
  const tr = lab.filter(
    (v) => v.x.split === 'train' && (kindOf(v.x) === 'none' || (augmentFor[name] ?? []).includes(kindOf(v.x))),
  );
  const te = lab.filter((v) => v.x.split === 'test');
  synthWeight = synthWeightFor[name] ?? 1;
  const head = fit(tr);
  heads[name] = head;
  const scored = te.map((v) => ({ ...v, p: predict(head, features(v.x.r)) }));
  const tp = scored.filter((v) => v.y === 1 && v.p >= 0.5).length,
    pos = scored.filter((v) => v.y === 1).length;
  const fp = scored.filter((v) => v.y === 0 && v.p >= 0.5).length;
  const plain = scored.filter((v) => v.x.source === 'lfw-plain');
  const plainFlag = plain.filter((v) => v.p >= 0.5).length;
  const webcam = scored.filter((v) => v.x.source === 'webcam-live');
  const webcamFlag = webcam.filter((v) => v.p >= 0.5).length;
  // The previously shipped head on the same test rows (its own feature set).
  const before = shipped.heads[name];
  const kind = featureKind;
  featureKind = shipped.features;
  const old = te.map((v) => ({ ...v, p: predict(before, features(v.x.r)) }));
  featureKind = kind;
  const oldTp = old.filter((v) => v.y === 1 && v.p >= 0.5).length;
  const oldPlain = old.filter((v) => v.x.source === 'lfw-plain' && v.p >= 0.5).length;
  const oldWebcam = old.filter((v) => v.x.source === 'webcam-live' && v.p >= 0.5).length;
  out.push(
    `| ${name} | ${tr.filter((v) => v.y === 1).length}/${tr.filter((v) => v.y === 0).length} | ${pos}/${te.length - pos} | ${pct(tp, pos)} | ${pct(plainFlag, plain.length)} | ${pct(webcamFlag, webcam.length)} | ${tp + fp ? ((100 * tp) / (tp + fp)).toFixed(1) : '–'} % (${tp}/${tp + fp}) | ${pct(oldTp, pos)} / ${pct(oldPlain, plain.length)} / ${pct(oldWebcam, webcam.length)} |`,
  );
  if (args.includes('--scores'))
    for (const v of scored.filter((v) => v.y === 1 || v.x.source === 'webcam-live'))
      console.error(`score ${name} ${v.y} ${v.p.toFixed(3)} ${v.x.source} ${v.x.file}`);
  if (args.includes('--verbose'))
    for (const v of scored.filter((v) => (v.y === 1) !== v.p >= 0.5))
      console.error(name, v.y, v.p.toFixed(2), v.x.file);
}
// The liveness decision refuses occluded faces (FACE_IS_OCCLUDED: mask or sunglasses ≥ T). A live face wrongly
// refused there counts against BPCER, so T is chosen on the TRAIN split alone: out-of-fold scores (the 4 grouped
// folds above) of its originals; the smallest T at which at most 1 % of the live webcam frames are flagged.
const oof = [];
for (let k = 0; k < 4; k++) {
  const fold = {};
  for (const name of ['mask', 'sunglasses']) {
    synthWeight = synthWeightFor[name] ?? 1;
    const lab = rows
      .map((x) => ({ x, y: LABELS[name](x) }))
      .filter(
        (v) =>
          v.y !== undefined &&
          v.x.split === 'train' &&
          foldOf(v.x) !== k &&
          (kindOf(v.x) === 'none' || (augmentFor[name] ?? []).includes(kindOf(v.x))),
      );
    fold[name] = fit(lab);
  }
  for (const x of rows.filter((x) => x.split === 'train' && kindOf(x) === 'none' && foldOf(x) === k)) {
    oof.push({ x, occ: Math.max(predict(fold.mask, features(x.r)), predict(fold.sunglasses, features(x.r))) });
  }
}
const occludedReal = (x) => x.source === 'mask' || x.source === 'sunglasses';
const GRID = [0.5, 0.6, 0.7, 0.8, 0.9, 0.95];
const webcamOof = oof.filter((v) => v.x.source === 'webcam-live');
const livenessOccluded =
  GRID.find((t) => webcamOof.filter((v) => v.occ >= t).length <= 0.01 * webcamOof.length) ?? GRID.at(-1);
const occTable = [
  '| T (mask or sunglasses ≥ T) | train out-of-fold: webcam live flagged | train out-of-fold: real masks + sunglasses caught | held-out: webcam live flagged (even ids) | held-out: real masks + sunglasses caught | held-out: plain LFW flagged |',
  '|---|---|---|---|---|---|',
];
const testOcc = rows
  .filter((x) => x.split === 'test')
  .map((x) => ({ x, occ: Math.max(predict(heads.mask, features(x.r)), predict(heads.sunglasses, features(x.r))) }));
for (const t of GRID) {
  const f = (list, pick) =>
    pct(list.filter((v) => pick(v.x) && v.occ >= t).length, list.filter((v) => pick(v.x)).length);
  occTable.push(
    `| ${t}${t === livenessOccluded ? ' (chosen)' : ''} | ${f(oof, (x) => x.source === 'webcam-live')} | ${f(oof, occludedReal)} | ${f(testOcc, (x) => x.source === 'webcam-live')} | ${f(testOcc, occludedReal)} | ${f(testOcc, (x) => x.source === 'lfw-plain')} |`,
  );
}
console.log(
  `features: ${featureKind}; ${rows.length} faces (${missed.length} images with no face found: ${missed.join(' ')})\n`,
);
console.log(out.join('\n'));
console.log(
  `\nOcclusion threshold of the liveness decision (chosen on the train split: at most 1 % of live webcam frames out-of-fold): ${livenessOccluded}\n`,
);
console.log(occTable.join('\n'));
if (args.includes('--write')) {
  writeFileSync(
    'src/face/checks/attributeHeads.json',
    JSON.stringify({
      features: featureKind,
      lambda,
      flip,
      augmentation: augmentFor,
      syntheticWeight: synthWeightFor,
      livenessOccludedThreshold: livenessOccluded,
      generatedBy: 'tools/fit-checks/analyze-attributes.mjs',
      heads,
    }) + '\n',
  );
  console.log('wrote src/face/checks/attributeHeads.json');
}
