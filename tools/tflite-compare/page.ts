// MobileFaceNet through LocalFace's own TFLite executor (src/models/tflite/, on the page's TF.js backend) against
// the TFLite WebAssembly runtime of @tensorflow/tfjs-tflite (runtimeMobileFaceNet.ts, the embedder LocalFace used
// before), in one page, on the same aligned fixture faces. run.mjs drives it.
import * as tf from '../../src/models/tf';
import { activateBackend, type BackendName } from '../../src/models/backend';
import { ModelFiles } from '../../src/models/modelFiles';
import { FaceDetector } from '../../src/face/detection/faceDetector';
import { decodeImage } from '../../src/face/input/decode';
import { alignFaces } from '../../src/face/alignment/alignFaces';
import { MOBILEFACENET_TEMPLATE, createMobileFaceNetEmbedder } from '../../src/face/embedding/mobileFaceNet';
import { createMobileFaceNetEmbedder as createRuntimeEmbedder } from './runtimeMobileFaceNet';
import { runtimeFiles } from './tfliteRuntime';
import type { FaceEmbedder } from '../../src/face/embedding/types';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

function cosine(a: Float32Array, b: Float32Array): number {
  let dot = 0,
    na = 0,
    nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
  }
  return dot / Math.sqrt(na * nb);
}

async function run(backend: BackendName, urls: string[], rounds: number) {
  const files = new ModelFiles('/models/');
  await activateBackend(backend, files);
  const detector = await FaceDetector.create(files);
  const crops: tf.Tensor4D[] = [];
  for (const url of urls) {
    const decoded = await decodeImage(new Uint8Array(await (await fetch(url)).arrayBuffer()));
    const faces = await detector.detect(decoded.pixels, 'largest');
    if (faces[0]) crops.push(alignFaces(decoded.pixels, [faces[0].keypoints], MOBILEFACENET_TEMPLATE, 112));
    decoded.pixels.dispose();
  }
  const all = tf.concat(crops);
  tf.dispose(crops);

  let t = performance.now();
  const ours = await createMobileFaceNetEmbedder(files);
  const oursLoadMs = performance.now() - t;
  t = performance.now();
  const theirs = await createRuntimeEmbedder(runtimeFiles(files));
  const runtimeLoadMs = performance.now() - t;

  // Agreement, per face, with and without flip-averaging.
  const agreement: Record<string, number[]> = {};
  for (const flip of [true, false]) {
    const a = await ours.variant(flip).embed(all);
    const b = await theirs.variant(flip).embed(all);
    agreement[flip ? 'flip' : 'plain'] = a.map((v, i) => cosine(v, b[i]!));
  }

  // Speed: one face per call (what compareFaces/searchFace do), shipped flip setting, A/B interleaved.
  const one = tf.slice(all, [0, 0, 0, 0], [1, 112, 112, 3]);
  const four = tf.slice(all, [0, 0, 0, 0], [Math.min(4, all.shape[0]), 112, 112, 3]);
  const timings: Record<string, number[]> = {};
  const time = async (name: string, e: FaceEmbedder, x: tf.Tensor4D) => {
    const t0 = performance.now();
    await e.embed(x);
    (timings[name] ??= []).push((performance.now() - t0) / x.shape[0]);
  };
  const firstOurs = performance.now();
  await ours.embed(one);
  const oursFirstMs = performance.now() - firstOurs;
  const firstTheirs = performance.now();
  await theirs.embed(one);
  const runtimeFirstMs = performance.now() - firstTheirs;
  const before = tf.memory().numTensors;
  for (let r = 0; r < rounds; r++) {
    await time('executor, 1 face, flip', ours, one);
    await time('runtime, 1 face, flip', theirs, one);
    await time('executor, 1 face, no flip', ours.variant(false), one);
    await time('runtime, 1 face, no flip', theirs.variant(false), one);
    await time('executor, 4 faces, flip', ours, four);
    await time('runtime, 4 faces, flip', theirs, four);
  }
  const leaked = tf.memory().numTensors - before;
  tf.dispose([one, four, all]);
  ours.dispose();
  theirs.dispose();
  return {
    backend: tf.getBackend(),
    faces: agreement.flip!.length,
    minCosineFlip: Math.min(...agreement.flip!),
    minCosinePlain: Math.min(...agreement.plain!),
    oursLoadMs,
    runtimeLoadMs,
    oursFirstMs,
    runtimeFirstMs,
    msPerFace: Object.fromEntries(Object.entries(timings).map(([k, v]) => [k, median(v)])),
    leakedTensors: leaked,
  };
}

(window as unknown as { tfliteCompare: { run: typeof run } }).tfliteCompare = { run };
