import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import * as ort from 'onnxruntime-web';
import { beforeAll, describe, expect, it } from 'vitest';
import { OnnxGraphModel } from '../../src/models/onnx/onnxModel';
import { seededRandom } from '../support/seededRandom';

// The two shipped ONNX models (the same files scripts/copy-models.mjs copies to public/models/) through the in-house
// executor on the TF.js CPU backend and through onnxruntime-web (its WASM build runs in Node, no native binaries),
// on the same inputs: every output value must agree within 1e-4.

const MODEL_DIR = fileURLToPath(new URL('../../node_modules/faceplugin-face-recognition-js/model/', import.meta.url));
const TOLERANCE = 1e-4;

interface Case {
  label: string;
  data: Float32Array;
}

function seeded(seed: number, size: number, scale: number, integers = false): Float32Array {
  const r = seededRandom(seed);
  return Float32Array.from({ length: size }, () => (integers ? Math.floor(r() * (scale + 1)) : r() * scale));
}

/** A 24×24 grey eye-like patch in 0..1, as fr_eye sees it: a dark disc (squashed when closed) plus seeded noise. */
function eyePatch(seed: number, open: boolean): Float32Array {
  const r = seededRandom(seed);
  const d = new Float32Array(24 * 24);
  for (let y = 0; y < 24; y++) {
    for (let x = 0; x < 24; x++) {
      const dist = Math.hypot(x - 11.5, (y - 11.5) * (open ? 1 : 4));
      d[y * 24 + x] = Math.min(1, Math.max(0, 0.75 - 0.5 * Math.exp((-dist * dist) / 30) + 0.1 * (r() - 0.5)));
    }
  }
  return d;
}

const MODELS: { file: string; shape: number[]; outputSize: number; cases: (size: number) => Case[] }[] = [
  {
    // MiniFASNet liveness: RGB 0..255, no normalisation (src/face/checks/fasnet.ts).
    file: 'fr_liveness.onnx',
    shape: [1, 3, 128, 128],
    outputSize: 3,
    cases: (size) => [
      { label: 'zeros', data: new Float32Array(size) },
      { label: 'seeded pixels 21', data: seeded(21, size, 255, true) },
      { label: 'seeded pixels 22', data: seeded(22, size, 255, true) },
    ],
  },
  {
    // Eye state: grey / 255 (src/face/checks/eyeState.ts).
    file: 'fr_eye.onnx',
    shape: [1, 1, 24, 24],
    outputSize: 2,
    cases: (size) => [
      { label: 'zeros', data: new Float32Array(size) },
      { label: 'seeded noise 13', data: seeded(13, size, 1) },
      { label: 'open eye', data: eyePatch(11, true) },
      { label: 'closed eye', data: eyePatch(12, false) },
    ],
  },
];

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  return worst;
}

beforeAll(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
  ort.env.wasm.numThreads = 1; // no worker threads in the test process
});

describe.each(MODELS)('$file: in-house executor against onnxruntime-web', ({ file, shape, outputSize, cases }) => {
  it(`agrees within ${TOLERANCE} on every output value`, async () => {
    const bytes = new Uint8Array(readFileSync(`${MODEL_DIR}${file}`));
    const ours = OnnxGraphModel.fromBytes(bytes);
    const reference = await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'] });
    try {
      expect(ours.inputNames).toEqual(reference.inputNames);
      expect(ours.outputNames).toEqual(reference.outputNames);
      const input = ours.inputNames[0]!;
      const output = ours.outputNames[0]!;
      const size = shape.reduce((a, b) => a * b, 1);
      const before = tf.memory().numTensors;
      const diffs: Record<string, number> = {};
      const references: Float32Array[] = [];
      for (const { label, data } of cases(size)) {
        const expected = (await reference.run({ [input]: new ort.Tensor('float32', data, shape) }))[output]!
          .data as Float32Array;
        expect(expected.length).toBe(outputSize);
        expect(expected.every(Number.isFinite)).toBe(true);
        references.push(expected);

        // NHWC as fasnet.ts and eyeState.ts feed it; the first case also NCHW, as the file declares its input.
        const x = tf.tensor4d(data, shape as [number, number, number, number]);
        const xNhwc = tf.transpose(x, [0, 2, 3, 1]);
        const [yNhwc] = ours.execute({ [input]: xNhwc }, { inputLayout: 'NHWC' });
        diffs[`${label} (NHWC feed)`] = maxAbsDiff(yNhwc!.dataSync(), expected);
        if (Object.keys(diffs).length === 1) {
          const [y] = ours.execute({ [input]: x });
          diffs[`${label} (NCHW feed)`] = maxAbsDiff(y!.dataSync(), expected);
          y!.dispose();
        }
        tf.dispose([x, xNhwc, yNhwc!]);
      }
      expect(tf.memory().numTensors).toBe(before);
      // The cases are far apart in output space, so agreement within the tolerance is not agreement on a constant.
      for (let i = 1; i < references.length; i++)
        expect(maxAbsDiff(references[i]!, references[0]!)).toBeGreaterThan(100 * TOLERANCE);
      for (const [label, diff] of Object.entries(diffs))
        expect(diff, `max |Δ| on ${label}`).toBeLessThanOrEqual(TOLERANCE);
    } finally {
      ours.dispose();
      await reference.release();
    }
  }, 60_000);
});
