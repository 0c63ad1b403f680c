#!/usr/bin/env node
// src/models/onnx/onnxModel.ts (ONNX on TF.js) against onnxruntime-node on faceplugin's fr_liveness.onnx and
// fr_eye.onnx: the same inputs through both, max |Δ| per output (logits, and the softmax the faceplugin library
// applies to them), plus execute() time on the TF.js CPU backend.
//
// Inputs: 3 seeded pseudo-random tensors per model in the range the model really sees (fr_liveness: raw 0–255
// RGB pixels, fr_eye: grey levels / 255), each also fed as NHWC (ExecuteOptions.inputLayout) to check that path;
// with --patches, also the real 128×128 face crops of the scratch liveness evaluation (its out/scores.json:
// base64 RGBA patches cut the way faceplugin's lib/fr_liveness.js does).
//
// onnxruntime-node is a scratch dependency, not in package.json: installed in /tmp/liveness-eval
// (npm install --ignore-scripts onnxruntime-node); pass another install with --ort DIR/node_modules/onnxruntime-node.
//
// Usage: node tools/fit-checks/verify-onnx.mjs [--patches /tmp/liveness-eval/out/scores.json] [--ort PATH] [--runs N]
//                                          [--backend cpu|wasm]
// Node 20 cannot import .ts, so onnxModel.ts is bundled first with the rolldown that ships with Vite 8 (as
// bench/run.mjs does), its `./tf` import mapped to @tensorflow/tfjs (CPU backend in Node).
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as tf from '@tensorflow/tfjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../..');
const arg = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const ORT = arg('--ort', '/tmp/liveness-eval/node_modules/onnxruntime-node');
const PATCHES = arg('--patches', undefined);
const RUNS = Number(arg('--runs', '10'));
const BACKEND = arg('--backend', 'cpu');
const MODELS = join(ROOT, 'node_modules/faceplugin-face-recognition-js/model');

/** Bundles onnxModel.ts (and the shared seeded PRNG) for Node, which cannot import .ts. */
async function loadOnnxModel() {
  const { build } = await import('rolldown');
  const dir = join(ROOT, 'tools/out/verify-onnx');
  mkdirSync(dir, { recursive: true });
  await build({
    input: { onnxModel: join(ROOT, 'src/models/onnx/onnxModel.ts'), seededRandom: join(ROOT, 'test/support/seededRandom.ts') },
    platform: 'node',
    logLevel: 'silent',
    external: ['@tensorflow/tfjs'],
    plugins: [{ name: 'tf-umbrella', resolveId: (id) => (id === './tf' ? { id: '@tensorflow/tfjs', external: true } : null) }],
    output: { dir, format: 'esm', entryFileNames: '[name].mjs' },
  });
  const load = (name) => import(`${pathToFileURL(join(dir, `${name}.mjs`)).href}?t=${Date.now()}`);
  return { ...(await load('onnxModel')), ...(await load('seededRandom')) };
}

if (!existsSync(ORT)) {
  console.error(`onnxruntime-node not found at ${ORT} (see the header of this script)`);
  process.exit(1);
}
const ort = createRequire(import.meta.url)(ORT);
const { OnnxGraphModel, seededRandom } = await loadOnnxModel();
if (BACKEND === 'wasm') await import('@tensorflow/tfjs-backend-wasm'); // single-threaded in Node
if (!(await tf.setBackend(BACKEND))) throw new Error(`backend ${BACKEND} failed to start`);
await tf.ready();

const softmax = (v) => {
  const m = Math.max(...v);
  const e = v.map((x) => Math.exp(x - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / s);
};
const maxAbsDiff = (a, b) => a.reduce((m, x, i) => Math.max(m, Math.abs(x - b[i])), 0);
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const fmt = (v) => `[${Array.from(v, (x) => x.toFixed(4)).join(', ')}]`;

/** Random inputs in the model's real range, plus the real patches for fr_liveness when given. */
function inputsFor(name, shape) {
  const size = shape.reduce((a, b) => a * b, 1);
  const scale = name === 'fr_liveness' ? 255 : 1;
  const cases = [1, 2, 3].map((seed) => {
    const r = seededRandom(seed);
    return { label: `seed ${seed}`, data: Float32Array.from({ length: size }, () => r() * scale) };
  });
  if (name === 'fr_liveness' && PATCHES) {
    const d = JSON.parse(readFileSync(PATCHES, 'utf8'));
    for (const [file, row] of Object.entries(d.rows)) {
      const b64 = row.fp?.['ours_2.7_rgb']?.patch;
      if (!b64) continue;
      // RGBA bytes → NCHW RGB floats 0–255, as preprocessLiveness() (cv.imread is RGBA; no mean/std, no BGR swap).
      const rgba = Buffer.from(b64, 'base64');
      const data = new Float32Array(size);
      const hw = shape[2] * shape[3];
      for (let i = 0; i < hw; i++) for (let c = 0; c < 3; c++) data[c * hw + i] = rgba[i * 4 + c];
      cases.push({ label: `${row.label ?? '?'} ${file.split('/').pop()}`, data });
    }
  }
  return cases;
}

let worst = 0;
for (const name of ['fr_liveness', 'fr_eye']) {
  const bytes = readFileSync(join(MODELS, `${name}.onnx`));
  const session = await ort.InferenceSession.create(join(MODELS, `${name}.onnx`));
  const model = OnnxGraphModel.fromBytes(new Uint8Array(bytes));
  const shape = model.graph.inputs[0].shape;
  const ops = {};
  for (const n of model.graph.nodes) ops[n.opType] = (ops[n.opType] ?? 0) + 1;
  console.log(`\n== ${name}.onnx (opset ${model.graph.opsetVersion}): input ${model.inputNames[0]} [${shape}] → output ${model.outputNames[0]} [${model.graph.outputs[0].shape}]`);
  console.log(`   ops: ${Object.entries(ops).map(([k, v]) => `${k} ${v}`).join(', ')}`);
  let maxLogit = 0;
  let maxProb = 0;
  for (const { label, data } of inputsFor(name, shape)) {
    const ref = (await session.run({ [model.inputNames[0]]: new ort.Tensor('float32', data, shape) }))[model.outputNames[0]].data;
    const x = tf.tensor(data, shape);
    const [y] = model.execute({ [model.inputNames[0]]: x });
    const ours = y.dataSync();
    const xNhwc = tf.transpose(x, [0, 2, 3, 1]);
    const [yNhwc] = model.execute({ [model.inputNames[0]]: xNhwc }, { inputLayout: 'NHWC' });
    const dLayout = maxAbsDiff(yNhwc.dataSync(), ours);
    tf.dispose([x, y, xNhwc, yNhwc]);
    const dLogit = maxAbsDiff(ours, ref);
    const dProb = maxAbsDiff(softmax(Array.from(ours)), softmax(Array.from(ref)));
    maxLogit = Math.max(maxLogit, dLogit);
    maxProb = Math.max(maxProb, dProb);
    console.log(`   ${label.padEnd(34)} ort ${fmt(ref)}  ours ${fmt(ours)}  |Δlogit| ${dLogit.toExponential(2)}  |Δprob| ${dProb.toExponential(2)}  NHWC-feed |Δ| ${dLayout.toExponential(2)}`);
  }
  worst = Math.max(worst, maxLogit, maxProb);

  // Timing (after the runs above warmed up both) and a tensor-leak check.
  const x = tf.tensor(inputsFor(name, shape)[0].data, shape);
  const before = tf.memory().numTensors;
  const ms = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    const out = model.execute({ [model.inputNames[0]]: x });
    out[0].dataSync();
    ms.push(performance.now() - t0);
    tf.dispose(out);
  }
  const leaked = tf.memory().numTensors - before;
  const ortMs = [];
  const feed = { [model.inputNames[0]]: new ort.Tensor('float32', x.dataSync(), shape) };
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    await session.run(feed);
    ortMs.push(performance.now() - t0);
  }
  x.dispose();
  model.dispose();
  console.log(`   max |Δlogit| ${maxLogit.toExponential(2)}, max |Δprob| ${maxProb.toExponential(2)}; execute() on tfjs-${BACKEND}: median ${median(ms).toFixed(1)} ms over ${RUNS} runs (onnxruntime-node ${median(ortMs).toFixed(1)} ms); tensors leaked per ${RUNS} runs: ${leaked}`);
}
console.log(`\nworst max |Δ| ${worst.toExponential(2)} — ${worst <= 1e-3 ? 'OK (≤ 1e-3)' : 'FAIL (> 1e-3)'}; tensors still allocated: ${tf.memory().numTensors}`);
process.exitCode = worst <= 1e-3 ? 0 : 1;
