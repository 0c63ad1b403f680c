import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { dlibResnetFromWeightData, dlibResnetFromWeights } from '../../src/face/embedding/dlibResnet';
import { decodeFloatWeights } from '../../src/models/weightData';
import { useWasmBackend } from '../support/wasmBackend';

const MODELS = fileURLToPath(new URL('../../public/models/', import.meta.url));

function loadWeights(): tf.NamedTensorMap {
  const manifest = JSON.parse(readFileSync(`${MODELS}dlib-resnet128.json`, 'utf8')) as tf.io.WeightsManifestConfig;
  const bin = readFileSync(`${MODELS}dlib-resnet128.bin`);
  const buffer = bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength);
  return tf.io.decodeWeights(
    buffer,
    manifest.flatMap((g) => g.weights),
  );
}

/** Deterministic 150×150 RGB images in 0..255: smooth face-ish shading plus seeded noise, one per seed. */
function testImages(seeds: number[]): tf.Tensor4D {
  const size = 150;
  const data = new Float32Array(seeds.length * size * size * 3);
  let i = 0;
  for (const seed of seeds) {
    let state = seed >>> 0;
    const rand = () => (state = (Math.imul(state, 1664525) + 1013904223) >>> 0) / 2 ** 32;
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        const blob = Math.exp(-((x - 75) ** 2 + (y - 80) ** 2) / (2 * (35 + seed) ** 2));
        const eyes = Math.exp(-(Math.min((x - 48) ** 2, (x - 100) ** 2) + (y - 47) ** 2) / 40);
        for (let c = 0; c < 3; c++) {
          const v = 40 + 170 * blob - 90 * eyes + 25 * Math.sin((x * (c + 1) + y * seed) / 17) + 30 * (rand() - 0.5);
          data[i++] = Math.min(255, Math.max(0, v));
        }
      }
    }
  }
  return tf.tensor4d(data, [seeds.length, size, size, 3]);
}

/*
 * Reference: @vladmandic/face-api bundles its own tfjs build, so rather than load a second tfjs into this
 * process, this is its FaceRecognitionNet forward pass re-implemented literally (unfolded: conv → bias → scale,
 * normalize(batch, meanRgb).div(255), residualDown's padding) from
 * node_modules/@vladmandic/face-api/src/faceRecognitionNet/{FaceRecognitionNet,convLayer,residualLayer,scaleLayer}.ts
 * and src/ops/normalize.ts, on the same unfolded weights.
 */
function referenceForward(w: tf.NamedTensorMap, input: tf.Tensor4D): tf.Tensor2D {
  const get = <T extends tf.Tensor>(name: string): T => {
    const t = w[name];
    if (!t) throw new Error(`missing weight ${name}`);
    return t as T;
  };
  const scale = (x: tf.Tensor4D, p: string): tf.Tensor4D =>
    tf.add(tf.mul(x, get(`${p}/scale/weights`)), get(`${p}/scale/biases`));
  const convLayer = (
    x: tf.Tensor4D,
    p: string,
    strides: [number, number],
    withRelu: boolean,
    padding: 'valid' | 'same' = 'same',
  ): tf.Tensor4D => {
    let out = tf.conv2d(x, get<tf.Tensor4D>(`${p}/conv/filters`), strides, padding);
    out = tf.add(out, get(`${p}/conv/bias`));
    out = scale(out, p);
    return withRelu ? tf.relu(out) : out;
  };
  const conv = (x: tf.Tensor4D, p: string) => convLayer(x, p, [1, 1], true);
  const convNoRelu = (x: tf.Tensor4D, p: string) => convLayer(x, p, [1, 1], false);
  const convDown = (x: tf.Tensor4D, p: string) => convLayer(x, p, [2, 2], true, 'valid');
  const residual = (x: tf.Tensor4D, p: string): tf.Tensor4D => {
    let out = conv(x, `${p}/conv1`);
    out = convNoRelu(out, `${p}/conv2`);
    out = tf.add(out, x);
    return tf.relu(out);
  };
  const residualDown = (x: tf.Tensor4D, p: string): tf.Tensor4D => {
    let out = convDown(x, `${p}/conv1`);
    out = convNoRelu(out, `${p}/conv2`);
    let pooled = tf.avgPool(x, 2, 2, 'valid');
    const zeros = tf.zeros<tf.Rank.R4>(pooled.shape);
    const isPad = pooled.shape[3] !== out.shape[3];
    const isAdjustShape = pooled.shape[1] !== out.shape[1] || pooled.shape[2] !== out.shape[2];
    if (isAdjustShape) {
      const padShapeX = [...out.shape] as [number, number, number, number];
      padShapeX[1] = 1;
      out = tf.concat([out, tf.zeros<tf.Rank.R4>(padShapeX)], 1);
      const padShapeY = [...out.shape] as [number, number, number, number];
      padShapeY[2] = 1;
      out = tf.concat([out, tf.zeros<tf.Rank.R4>(padShapeY)], 2);
    }
    pooled = isPad ? tf.concat([pooled, zeros], 3) : pooled;
    return tf.relu(tf.add<tf.Tensor4D>(pooled, out));
  };
  const normalize = (x: tf.Tensor4D, meanRgb: number[]): tf.Tensor4D => {
    const [r, g, b] = meanRgb as [number, number, number];
    const fill = (v: number) => tf.fill([...x.shape.slice(0, 3), 1], v, 'float32');
    return tf.sub(x, tf.concat([fill(r), fill(g), fill(b)], 3));
  };

  return tf.tidy(() => {
    const batchTensor = tf.cast(input, 'float32');
    const normalized = normalize(batchTensor, [122.782, 117.001, 104.298]).div(255) as tf.Tensor4D;
    let out = convDown(normalized, 'conv32_down');
    out = tf.maxPool(out, 3, 2, 'valid');
    out = residual(out, 'conv32_1');
    out = residual(out, 'conv32_2');
    out = residual(out, 'conv32_3');
    out = residualDown(out, 'conv64_down');
    out = residual(out, 'conv64_1');
    out = residual(out, 'conv64_2');
    out = residual(out, 'conv64_3');
    out = residualDown(out, 'conv128_down');
    out = residual(out, 'conv128_1');
    out = residual(out, 'conv128_2');
    out = residualDown(out, 'conv256_down');
    out = residual(out, 'conv256_1');
    out = residual(out, 'conv256_2');
    out = residualDown(out, 'conv256_down_out');
    const globalAvg = out.mean([1, 2]) as tf.Tensor2D;
    return tf.matMul(globalAvg, get<tf.Tensor2D>('fc'));
  });
}

function l2normalise(v: Float32Array): Float32Array {
  const norm = Math.hypot(...v);
  return v.map((x) => x / norm);
}

describe('dlibResnet embedder', () => {
  beforeAll(async () => {
    await useWasmBackend();
  });

  it('matches the face-api FaceRecognitionNet forward pass and does not leak', async () => {
    const faces = testImages([1, 7]);

    const refWeights = loadWeights();
    const refOut = referenceForward(refWeights, faces);
    const refRows = refOut.arraySync().map((row) => l2normalise(Float32Array.from(row)));
    refOut.dispose();
    tf.dispose(refWeights);

    const baseline = tf.memory().numTensors;
    const embedder = dlibResnetFromWeights(loadWeights());
    expect(embedder.id).toBe('dlib-resnet128@face-api-1.7.15');
    expect(embedder.inputSize).toBe(150);
    expect(embedder.dimension).toBe(128);
    expect(embedder.template).toEqual([
      { x: 47.55, y: 46.6 },
      { x: 100.48, y: 46.6 },
      { x: 74.01, y: 76.56 },
      { x: 74.01, y: 104.44 },
    ]);

    const before = tf.memory().numTensors;
    const ours = await embedder.embed(faces);
    const again = await embedder.embed(faces);
    expect(tf.memory().numTensors).toBe(before);
    expect(again).toEqual(ours);

    expect(ours).toHaveLength(2);
    let maxDiff = 0;
    let minCos = 1;
    for (let f = 0; f < 2; f++) {
      const a = ours[f]!;
      const b = refRows[f]!;
      expect(a).toHaveLength(128);
      expect(Math.hypot(...a)).toBeCloseTo(1, 5);
      let dot = 0;
      for (let k = 0; k < 128; k++) {
        dot += a[k]! * b[k]!;
        maxDiff = Math.max(maxDiff, Math.abs(a[k]! - b[k]!));
      }
      minCos = Math.min(minCos, dot);
    }
    // Different seeds must give clearly different descriptors, or the comparison above proves little.
    let cross = 0;
    for (let k = 0; k < 128; k++) cross += ours[0]![k]! * ours[1]![k]!;
    console.log(
      `dlibResnet vs reference: max |diff| ${maxDiff.toExponential(2)}, min cosine ${minCos.toFixed(9)}, cross-face cosine ${cross.toFixed(4)}`,
    );
    expect(minCos).toBeGreaterThan(0.99999);
    expect(maxDiff).toBeLessThan(1e-4);
    expect(cross).toBeLessThan(0.999);

    const one = faces.slice([0, 0, 0, 0], [1, 150, 150, 3]);
    const t0 = performance.now();
    await embedder.embed(one);
    console.log(
      `dlibResnet: one face on the ${tf.getBackend()} backend took ${(performance.now() - t0).toFixed(0)} ms`,
    );
    one.dispose();

    faces.dispose();
    embedder.dispose();
    // The unfolded weights were disposed at load and the folded ones by dispose(); only `faces` is gone besides.
    expect(tf.memory().numTensors).toBe(baseline - 1);
  }, 20_000);

  it('builds bit-identical descriptors from the undecoded weight data (folded before upload) and does not leak', async () => {
    const manifest = JSON.parse(readFileSync(`${MODELS}dlib-resnet128.json`, 'utf8')) as tf.io.WeightsManifestConfig;
    const bin = readFileSync(`${MODELS}dlib-resnet128.bin`);
    const data = bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength);
    const specs = manifest.flatMap((g) => g.weights);
    const faces = testImages([3, 11]);
    const baseline = tf.memory().numTensors;

    const fromTensors = dlibResnetFromWeights(loadWeights());
    const fromData = dlibResnetFromWeightData(data, specs);
    const a = await fromTensors.embed(faces);
    const b = await fromData.embed(faces);
    expect(b).toHaveLength(2);
    for (let f = 0; f < 2; f++) expect(Array.from(b[f]!)).toEqual(Array.from(a[f]!));
    fromTensors.dispose();
    fromData.dispose();
    expect(tf.memory().numTensors).toBe(baseline);

    // A weight stored in a form the float decoder does not read (float16 here): the builder then decodes with
    // tf.io.decodeWeights, as before.
    const half = specs.map((s) => (s.name === 'fc' ? { ...s, quantization: { dtype: 'float16' as const } } : s));
    expect(decodeFloatWeights(data, half)).toBeUndefined();
    expect(decodeFloatWeights(data, specs)?.get('fc')?.shape).toEqual([256, 128]);
    faces.dispose();
  }, 30_000);
});
