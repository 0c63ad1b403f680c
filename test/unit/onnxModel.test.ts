import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { OnnxGraphModel, parseOnnx } from '../../src/models/onnx/onnxModel';
import { seededRandom } from '../support/seededRandom';

// ---------------------------------------------------------------------------------------------------------------
// A protobuf writer, just enough to hand-encode ONNX models (field numbers from onnx/onnx.proto)
// ---------------------------------------------------------------------------------------------------------------

type Bytes = number[];

/** Varint of a signed 64-bit value: negative numbers take 10 bytes (two's complement), as protobuf writes int64. */
function varint(v: number | bigint): Bytes {
  let u = BigInt.asUintN(64, BigInt(v));
  const out: Bytes = [];
  do {
    const low = Number(u & 0x7fn);
    u >>= 7n;
    out.push(u > 0n ? low | 0x80 : low);
  } while (u > 0n);
  return out;
}
const key = (field: number, wire: number): Bytes => varint(field * 8 + wire);
const int = (field: number, v: number): Bytes => [...key(field, 0), ...varint(v)];
const len = (field: number, payload: Bytes): Bytes => [...key(field, 2), ...varint(payload.length), ...payload];
const str = (field: number, s: string): Bytes => len(field, [...new TextEncoder().encode(s)]);
const f32 = (v: number): Bytes => [...new Uint8Array(Float32Array.of(v).buffer)];
const fixed32 = (field: number, v: number): Bytes => [...key(field, 5), ...f32(v)];
const packedInts = (field: number, vs: number[]): Bytes =>
  len(
    field,
    vs.flatMap((v) => varint(v)),
  );
const packedFloats = (field: number, vs: ArrayLike<number>): Bytes => len(field, Array.from(vs).flatMap(f32));

/** TensorProto: float weights as raw_data (the usual export) or packed float_data; int64 as int64_data. */
function tensorProto(
  name: string,
  dims: number[],
  values: ArrayLike<number>,
  kind: 'raw' | 'floats' | 'int64' = 'raw',
): Bytes {
  const head = [...packedInts(1, dims), ...int(2, kind === 'int64' ? 7 : 1), ...str(8, name)];
  if (kind === 'int64') return [...head, ...packedInts(7, Array.from(values))];
  if (kind === 'floats') return [...head, ...packedFloats(4, values)];
  return [...head, ...len(9, Array.from(values).flatMap(f32))];
}

type AttrValue = number | number[] | { float: number } | { tensor: Bytes } | { unpacked: number[] };
/** AttributeProto { name 1, f 2, i 3, t 5, floats 7, ints 8, type 20 }. */
function attribute(name: string, v: AttrValue): Bytes {
  const head = str(1, name);
  if (typeof v === 'number') return [...head, ...int(20, 2), ...int(3, v)];
  if (Array.isArray(v)) return [...head, ...int(20, 7), ...packedInts(8, v)];
  if ('float' in v) return [...head, ...int(20, 1), ...fixed32(2, v.float)];
  if ('tensor' in v) return [...head, ...int(20, 4), ...len(5, v.tensor)];
  return [...head, ...int(20, 7), ...v.unpacked.flatMap((x) => int(8, x))]; // ints, one field per element
}

function node(opType: string, inputs: string[], outputs: string[], attrs: Record<string, AttrValue> = {}): Bytes {
  return [
    ...inputs.flatMap((i) => str(1, i)),
    ...outputs.flatMap((o) => str(2, o)),
    ...str(3, `${opType}_${outputs[0]}`),
    ...str(4, opType),
    ...Object.entries(attrs).flatMap(([k, v]) => len(5, attribute(k, v))),
  ];
}

/** ValueInfoProto { name 1, type 2 { tensor_type 1 { elem_type 1, shape 2 { dim 1 { dim_value 1 } } } } }. */
function valueInfo(name: string, dims: number[]): Bytes {
  const shape = dims.flatMap((d) => len(1, int(1, d)));
  return [...str(1, name), ...len(2, len(1, [...int(1, 1), ...len(2, shape)]))];
}

function model(opset: number, g: { nodes: Bytes[]; inits: Bytes[]; inputs: Bytes[]; outputs: Bytes[] }): Uint8Array {
  const graph = [
    ...g.nodes.flatMap((n) => len(1, n)),
    ...str(2, 'test'),
    ...g.inits.flatMap((t) => len(5, t)),
    ...g.inputs.flatMap((v) => len(11, v)),
    ...g.outputs.flatMap((v) => len(12, v)),
  ];
  // ir_version 1, producer_name 2, graph 7, opset_import 8 { version 2 } (graph before opset, as exporters do).
  return Uint8Array.from([...int(1, 7), ...str(2, 'hand'), ...len(7, graph), ...len(8, int(2, opset))]);
}

// ---------------------------------------------------------------------------------------------------------------
// NCHW reference ops in plain JS
// ---------------------------------------------------------------------------------------------------------------

interface Arr {
  shape: number[];
  data: Float64Array;
}
const arr = (shape: number[], data: ArrayLike<number>): Arr => ({ shape, data: Float64Array.from(data) });

function random(n: number, seed: number, lo = -1, hi = 1): Float32Array {
  const r = seededRandom(seed);
  return Float32Array.from({ length: n }, () => lo + (hi - lo) * r());
}

interface ConvAttrs {
  group?: number;
  strides?: number[];
  pads?: number[];
  dilations?: number[];
}
function refConv(x: Arr, w: Arr, bias: ArrayLike<number> | undefined, a: ConvAttrs): Arr {
  const [n, c, h, wd] = x.shape as [number, number, number, number];
  const [o, cg, kh, kw] = w.shape as [number, number, number, number];
  const g = a.group ?? 1;
  const [sh, sw] = a.strides ?? [1, 1];
  const [pt, pl, pb, pr] = a.pads ?? [0, 0, 0, 0];
  const [dh, dw] = a.dilations ?? [1, 1];
  const oh = Math.floor((h + pt! + pb! - (dh! * (kh - 1) + 1)) / sh!) + 1;
  const ow = Math.floor((wd + pl! + pr! - (dw! * (kw - 1) + 1)) / sw!) + 1;
  const out = new Float64Array(n * o * oh * ow);
  const og = o / g;
  for (let b = 0; b < n; b++)
    for (let oc = 0; oc < o; oc++)
      for (let y = 0; y < oh; y++)
        for (let xx = 0; xx < ow; xx++) {
          let s = bias ? bias[oc]! : 0;
          const grp = Math.floor(oc / og);
          for (let ic = 0; ic < cg; ic++)
            for (let i = 0; i < kh; i++)
              for (let j = 0; j < kw; j++) {
                const iy = y * sh! - pt! + i * dh!;
                const ix = xx * sw! - pl! + j * dw!;
                if (iy < 0 || iy >= h || ix < 0 || ix >= wd) continue;
                s +=
                  x.data[((b * c + grp * cg + ic) * h + iy) * wd + ix]! * w.data[((oc * cg + ic) * kh + i) * kw + j]!;
              }
          out[((b * o + oc) * oh + y) * ow + xx] = s;
        }
  return { shape: [n, o, oh, ow], data: out };
}

function refMaxPool(x: Arr, k: number[], strides: number[], pads: number[]): Arr {
  const [n, c, h, w] = x.shape as [number, number, number, number];
  const [pt, pl, pb, pr] = pads as [number, number, number, number];
  const oh = Math.floor((h + pt + pb - k[0]!) / strides[0]!) + 1;
  const ow = Math.floor((w + pl + pr - k[1]!) / strides[1]!) + 1;
  const out = new Float64Array(n * c * oh * ow);
  for (let p = 0; p < n * c; p++)
    for (let y = 0; y < oh; y++)
      for (let xx = 0; xx < ow; xx++) {
        let m = -Infinity;
        for (let i = 0; i < k[0]!; i++)
          for (let j = 0; j < k[1]!; j++) {
            const iy = y * strides[0]! - pt + i;
            const ix = xx * strides[1]! - pl + j;
            if (iy >= 0 && iy < h && ix >= 0 && ix < w) m = Math.max(m, x.data[(p * h + iy) * w + ix]!);
          }
        out[(p * oh + y) * ow + xx] = m;
      }
  return { shape: [n, c, oh, ow], data: out };
}

/** Applies f(value, channel) elementwise to an N×C×… array. */
function perChannel(x: Arr, f: (v: number, c: number) => number): Arr {
  const c = x.shape[1]!;
  const inner = x.shape.slice(2).reduce((a, b) => a * b, 1);
  return { shape: x.shape, data: x.data.map((v, i) => f(v, Math.floor(i / inner) % c)) };
}

function refMatMul(a: Arr, b: Arr): Arr {
  const [m, k] = a.shape as [number, number];
  const n = b.shape[1]!;
  const out = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let t = 0; t < k; t++) s += a.data[i * k + t]! * b.data[t * n + j]!;
      out[i * n + j] = s;
    }
  }
  return { shape: [m, n], data: out };
}

function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number): void {
  expect(actual.length).toBe(expected.length);
  let worst = 0;
  for (let i = 0; i < actual.length; i++) worst = Math.max(worst, Math.abs(actual[i]! - expected[i]!));
  expect(worst).toBeLessThanOrEqual(tol);
}

function run(m: OnnxGraphModel, inputs: Record<string, tf.Tensor>): Float32Array[] {
  const outs = m.execute(inputs);
  const values = outs.map((t) => t.dataSync() as Float32Array);
  tf.dispose(outs);
  return values;
}

// ---------------------------------------------------------------------------------------------------------------

beforeAll(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
});

describe('parseOnnx + OnnxGraphModel on a hand-encoded classifier', () => {
  // X[1,2,5,5] → Conv 3×3 pad 1 (+bias) → Relu → GlobalAveragePool → Flatten → Gemm(transB, α, β) → Softmax
  const x = random(2 * 5 * 5, 1);
  const w = random(3 * 2 * 3 * 3, 2);
  const b = random(3, 3);
  const gw = random(2 * 3, 4);
  const gc = random(2, 5);
  const bytes = model(13, {
    nodes: [
      node('Conv', ['X', 'W', 'B'], ['conv'], {
        kernel_shape: [3, 3],
        pads: { unpacked: [1, 1, 1, 1] },
        strides: [1, 1],
        group: 1,
      }),
      node('Relu', ['conv'], ['relu']),
      node('GlobalAveragePool', ['relu'], ['gap']),
      node('Flatten', ['gap'], ['flat'], { axis: 1 }),
      node('Gemm', ['flat', 'GW', 'GC'], ['logits'], { transB: 1, alpha: { float: 0.5 }, beta: { float: 2 } }),
      node('Softmax', ['logits'], ['prob'], { axis: -1 }),
    ],
    inits: [
      tensorProto('W', [3, 2, 3, 3], w),
      tensorProto('B', [3], b, 'floats'),
      tensorProto('GW', [2, 3], gw),
      tensorProto('GC', [2], gc),
    ],
    // W is also listed as a graph input, as pre-IR-4 exporters did: it must not become a model input.
    inputs: [valueInfo('X', [1, 2, 5, 5]), valueInfo('W', [3, 2, 3, 3])],
    outputs: [valueInfo('prob', [1, 2]), valueInfo('logits', [1, 2])],
  });

  it('decodes the graph structure', () => {
    const g = parseOnnx(bytes);
    expect(g.opsetVersion).toBe(13);
    expect(g.nodes.map((n) => n.opType)).toEqual(['Conv', 'Relu', 'GlobalAveragePool', 'Flatten', 'Gemm', 'Softmax']);
    expect(g.inputs).toEqual([{ name: 'X', elemType: 1, shape: [1, 2, 5, 5] }]);
    expect(g.outputs.map((o) => o.name)).toEqual(['prob', 'logits']);
    const conv = g.nodes[0]!;
    expect(conv.inputs).toEqual(['X', 'W', 'B']);
    expect(conv.attributes.get('pads')).toEqual({ type: 'ints', value: [1, 1, 1, 1] });
    expect(conv.attributes.get('group')).toEqual({ type: 'int', value: 1 });
    expect(g.nodes[4]!.attributes.get('alpha')).toEqual({ type: 'float', value: 0.5 });
    expect(g.nodes[5]!.attributes.get('axis')).toEqual({ type: 'int', value: -1 });
    const init = new Map(g.initializers.map((t) => [t.name, t]));
    expect(init.get('W')!.dims).toEqual([3, 2, 3, 3]);
    expect(Array.from(init.get('W')!.data)).toEqual(Array.from(w));
    expect(Array.from(init.get('B')!.data)).toEqual(Array.from(b));
  });

  it('computes what the ops say', () => {
    const relu = refConv(arr([1, 2, 5, 5], x), arr([3, 2, 3, 3], w), b, { pads: [1, 1, 1, 1] }).data.map((v) =>
      Math.max(v, 0),
    );
    const gap = [0, 1, 2].map((c) => relu.slice(c * 25, (c + 1) * 25).reduce((s, v) => s + v, 0) / 25);
    const logits = [0, 1].map((j) => 0.5 * gap.reduce((s, v, k) => s + v * gw[j * 3 + k]!, 0) + 2 * gc[j]!);
    const e = logits.map((l) => Math.exp(l - Math.max(...logits)));
    const prob = e.map((v) => v / (e[0]! + e[1]!));

    const m = OnnxGraphModel.fromBytes(bytes);
    expect(m.inputNames).toEqual(['X']);
    expect(m.outputNames).toEqual(['prob', 'logits']);
    const input = tf.tensor(x, [1, 2, 5, 5]);
    const [p, l] = run(m, { X: input });
    expectClose(l!, logits, 1e-5);
    expectClose(p!, prob, 1e-6);
    input.dispose();
    m.dispose();
  });

  it('returns requested intermediate values after the outputs, in ONNX layout, and leaks none', () => {
    const relu = refConv(arr([1, 2, 5, 5], x), arr([3, 2, 3, 3], w), b, { pads: [1, 1, 1, 1] }).data.map((v) =>
      Math.max(v, 0),
    );
    const gap = [0, 1, 2].map((c) => relu.slice(c * 25, (c + 1) * 25).reduce((s, v) => s + v, 0) / 25);
    const m = OnnxGraphModel.fromBytes(bytes);
    const input = tf.tensor(x, [1, 2, 5, 5]);
    const before = tf.memory().numTensors;
    for (const layout of ['NCHW', 'NHWC'] as const) {
      const feed = layout === 'NHWC' ? tf.transpose(input, [0, 2, 3, 1]) : input;
      const outs = m.execute({ X: feed }, { inputLayout: layout, intermediates: ['gap', 'relu'] });
      expect(outs.map((t) => t.shape)).toEqual([
        [1, 2],
        [1, 2],
        [1, 3, 1, 1],
        [1, 3, 5, 5],
      ]);
      expectClose(outs[2]!.dataSync(), gap, 1e-5);
      expectClose(outs[3]!.dataSync(), relu, 1e-5);
      tf.dispose(outs);
      if (feed !== input) feed.dispose();
    }
    expect(tf.memory().numTensors).toBe(before);
    expect(() => m.execute({ X: input }, { intermediates: ['nope'] })).toThrow(/no step produces a value named 'nope'/);
    expect(tf.memory().numTensors).toBe(before);
    input.dispose();
    m.dispose();
  });
});

describe('OnnxGraphModel op semantics against an NCHW reference', () => {
  // Grouped / depthwise / dilated / asymmetric-padded convs, PRelu (fused and not), MaxPool with asymmetric pads,
  // BatchNormalization, broadcast Mul/Add, NHWC Concat + Flatten, and the Shape→Gather→Unsqueeze→Concat→Reshape
  // idiom of PyTorch's x.view(x.size(0), -1) with a negative int64 (10-byte varint) — all in NHWC internally.
  const X = random(1 * 4 * 7 * 7, 10);
  const W1 = random(4 * 2 * 3 * 3, 11);
  const B1 = random(4, 12);
  const S1 = random(4, 13, 0, 0.5);
  const W2 = random(8 * 1 * 3 * 3, 14);
  const [bnScale, bnBias, bnMean] = [random(8, 15, 0.5, 1.5), random(8, 16), random(8, 17)];
  const bnVar = random(8, 18, 0.1, 2);
  const W3 = random(8 * 8, 19);
  const S2 = random(8, 20, 0, 0.5);
  const M1 = random(8, 21);
  const W4 = random(72 * 3, 22);
  const bytes = model(11, {
    nodes: [
      node('Conv', ['X', 'W1', 'B1'], ['a'], { group: 2, strides: [2, 2], pads: [0, 1, 1, 0], kernel_shape: [3, 3] }),
      node('PRelu', ['a', 'S1'], ['b']),
      node('Conv', ['b', 'W2'], ['c'], { group: 4, dilations: [2, 2], pads: [2, 2, 2, 2] }),
      node('MaxPool', ['c'], ['d'], { kernel_shape: [2, 2], strides: [1, 1], pads: [0, 0, 1, 1] }),
      node('BatchNormalization', ['d', 'bnScale', 'bnBias', 'bnMean', 'bnVar'], ['e'], { epsilon: { float: 1e-3 } }),
      node('Conv', ['e', 'W3'], ['f']),
      node('Relu', ['f'], ['g']),
      node('PRelu', ['g', 'S2'], ['h']),
      node('Mul', ['h', 'M1'], ['i']),
      node('Add', ['i', 'g'], ['j']),
      node('Shape', ['j'], ['shape']),
      node('Constant', [], ['zero'], { value: { tensor: tensorProto('', [], [0], 'int64') } }),
      node('Gather', ['shape', 'zero'], ['batch'], { axis: 0 }),
      node('Unsqueeze', ['batch'], ['batch1'], { axes: [0] }),
      node('Concat', ['batch1', 'minus1'], ['newShape'], { axis: 0 }),
      node('Reshape', ['j', 'newShape'], ['k']),
      node('MatMul', ['k', 'W4'], ['out']),
      node('Concat', ['b', 'c'], ['bc'], { axis: 1 }),
      node('Flatten', ['bc'], ['out2']),
    ],
    inits: [
      tensorProto('W1', [4, 2, 3, 3], W1),
      tensorProto('B1', [4], B1),
      tensorProto('S1', [4, 1, 1], S1),
      tensorProto('W2', [8, 1, 3, 3], W2),
      tensorProto('bnScale', [8], bnScale),
      tensorProto('bnBias', [8], bnBias),
      tensorProto('bnMean', [8], bnMean),
      tensorProto('bnVar', [8], bnVar),
      tensorProto('W3', [8, 8, 1, 1], W3),
      tensorProto('S2', [8, 1, 1], S2),
      tensorProto('M1', [1, 8, 1, 1], M1),
      tensorProto('minus1', [1], [-1], 'int64'),
      tensorProto('W4', [72, 3], W4),
    ],
    inputs: [valueInfo('X', [1, 4, 7, 7])],
    outputs: [valueInfo('out', [1, 3]), valueInfo('out2', [1, 108])],
  });

  function reference(): { out: Float64Array; out2: Float64Array } {
    const a = refConv(arr([1, 4, 7, 7], X), arr([4, 2, 3, 3], W1), B1, {
      group: 2,
      strides: [2, 2],
      pads: [0, 1, 1, 0],
    });
    const b = perChannel(a, (v, ch) => (v < 0 ? S1[ch]! * v : v));
    const c = refConv(b, arr([8, 1, 3, 3], W2), undefined, { group: 4, dilations: [2, 2], pads: [2, 2, 2, 2] });
    const d = refMaxPool(c, [2, 2], [1, 1], [0, 0, 1, 1]);
    const e = perChannel(d, (v, ch) => ((v - bnMean[ch]!) / Math.sqrt(bnVar[ch]! + 1e-3)) * bnScale[ch]! + bnBias[ch]!);
    const g = perChannel(refConv(e, arr([8, 8, 1, 1], W3), undefined, {}), (v) => Math.max(v, 0));
    const j = perChannel(g, (v, ch) => (v < 0 ? S2[ch]! * v : v) * M1[ch]! + v);
    const out = refMatMul({ shape: [1, 72], data: j.data }, arr([72, 3], W4)).data;
    const out2 = Float64Array.from([...b.data, ...c.data]);
    return { out, out2 };
  }

  it('matches for NCHW and NHWC feeds, and does not leak tensors', () => {
    const ref = reference();
    expect(ref.out2.length).toBe(108);
    const baseline = tf.memory().numTensors;
    const m = OnnxGraphModel.fromBytes(bytes);
    const loaded = tf.memory().numTensors;
    const x = tf.tensor(X, [1, 4, 7, 7]);
    const [out, out2] = run(m, { X: x });
    expectClose(out!, ref.out, 1e-4);
    expectClose(out2!, ref.out2, 1e-5);

    const xNhwc = tf.transpose(x, [0, 2, 3, 1]);
    const outs = m.execute({ X: xNhwc }, { inputLayout: 'NHWC' });
    expect(outs.map((t) => t.shape)).toEqual([
      [1, 3],
      [1, 108],
    ]);
    expectClose(outs[0]!.dataSync(), out!, 0);
    tf.dispose([...outs, xNhwc]);

    for (let i = 0; i < 3; i++) run(m, { X: x });
    expect(tf.memory().numTensors).toBe(loaded + 1); // + x
    x.dispose();
    m.dispose();
    expect(tf.memory().numTensors).toBe(baseline);
  });

  it('rejects inputs of the wrong shape', () => {
    const m = OnnxGraphModel.fromBytes(bytes);
    const x = tf.zeros([1, 7, 7, 4]); // NHWC fed as NCHW
    expect(() => m.execute({ X: x })).toThrow(/shape \[1,7,7,4\].*expects \[1,4,7,7\]/);
    expect(() => m.execute({})).toThrow(/missing input 'X'/);
    x.dispose();
    m.dispose();
  });
});

describe('OnnxGraphModel error handling', () => {
  it('names unsupported ops at load', () => {
    const bytes = model(13, {
      nodes: [node('Relu', ['X'], ['r']), node('LSTM', ['r'], ['y']), node('Erf', ['y'], ['z'])],
      inits: [],
      inputs: [valueInfo('X', [1, 4])],
      outputs: [valueInfo('z', [1, 4])],
    });
    expect(() => OnnxGraphModel.fromBytes(bytes)).toThrow('ONNX: unsupported op type(s): LSTM, Erf');
  });

  it('rejects truncated files', () => {
    const bytes = model(13, {
      nodes: [node('Relu', ['X'], ['r'])],
      inits: [],
      inputs: [valueInfo('X', [1])],
      outputs: [valueInfo('r', [1])],
    });
    expect(() => parseOnnx(bytes.subarray(0, bytes.length - 5))).toThrow(/truncated/);
  });

  it('does not treat Object properties as op types', () => {
    for (const opType of ['constructor', '__proto__', 'toString', 'hasOwnProperty']) {
      const bytes = model(13, {
        nodes: [node(opType, ['X'], ['y'])],
        inits: [],
        inputs: [valueInfo('X', [1, 4])],
        outputs: [valueInfo('y', [1, 4])],
      });
      expect(() => OnnxGraphModel.fromBytes(bytes)).toThrow(`ONNX: unsupported op type(s): ${opType}`);
    }
  });

  it('rejects a Conv whose group does not divide its output channels, before looping over groups', () => {
    const conv = (group: number) =>
      model(13, {
        nodes: [node('Conv', ['X', 'W'], ['y'], { group })],
        inits: [tensorProto('W', [4, 1, 1, 1], [1, 2, 3, 4])],
        inputs: [valueInfo('X', [1, 4, 2, 2])],
        outputs: [valueInfo('y', [1, 4, 2, 2])],
      });
    expect(() => OnnxGraphModel.fromBytes(conv(3))).toThrow(/group 3 does not divide the 4 output channels/);
    expect(() => OnnxGraphModel.fromBytes(conv(2 ** 40))).toThrow(/group .* does not divide/);
    expect(() => OnnxGraphModel.fromBytes(conv(-4))).toThrow(/group -4 does not divide/);
  });
});

describe('parseOnnx on malformed bytes', () => {
  const LEN = 2;
  it('rejects a negative length instead of reading backwards (this 11-byte file used to hang)', () => {
    // producer_name (field 2), length −11: protobuf writes it as a 10-byte varint; read as a length it would move
    // the reader back to the start of the file, forever.
    const bytes = Uint8Array.from(key(2, LEN).concat(varint(-11)));
    expect(bytes.length).toBe(11);
    expect(() => parseOnnx(bytes)).toThrow('ONNX: malformed protobuf length -11');
  });

  it('rejects lengths past the end, over-long varints, field number 0, group wire types and odd raw data', () => {
    expect(() => parseOnnx(Uint8Array.from([...key(7, LEN), ...varint(2 ** 40)]))).toThrow(
      'ONNX: truncated protobuf message',
    );
    expect(() => parseOnnx(Uint8Array.from([...key(1, 0), ...Array<number>(10).fill(0xff), 1]))).toThrow(
      'ONNX: malformed varint',
    );
    expect(() => parseOnnx(Uint8Array.from([0x02, 0x00]))).toThrow(/malformed protobuf field tag/);
    expect(() => parseOnnx(Uint8Array.from(key(5, 3)))).toThrow('ONNX: unsupported protobuf wire type 3');
    const oddRaw = [...packedInts(1, [2]), ...int(2, 1), ...str(8, 'w'), ...len(9, [0, 0, 0, 0, 0, 0, 0])];
    expect(() => parseOnnx(Uint8Array.from(len(7, len(5, oddRaw))))).toThrow(
      /7 bytes of raw data, not a multiple of its element size 4/,
    );
    const negativeDims = [...packedInts(1, [-1]), ...int(2, 1), ...str(8, 'w'), ...len(9, f32(1))];
    expect(() => parseOnnx(Uint8Array.from(len(7, len(5, negativeDims))))).toThrow(
      "ONNX: tensor 'w' has invalid dims [-1]",
    );
    expect(() => parseOnnx(new Uint8Array(0))).toThrow('ONNX: the model has no graph');
  });

  // Seeded corruptions of the two real models: each must parse (a corrupted weight is still a valid file) or throw an
  // Error, quickly; loading (parse + weight preparation) likewise, without leaking tensors.
  const FACEPLUGIN = fileURLToPath(
    new URL('../../node_modules/faceplugin-face-recognition-js/model/', import.meta.url),
  );

  /** Start offsets of the fields of the ModelProto and of its graph: where the parser reads a tag. */
  function fieldStarts(bytes: Uint8Array): number[] {
    const starts: number[] = [];
    const readVarint = (pos: number): [number, number] => {
      let v = 0;
      for (let scale = 1; ; scale *= 128) {
        const b = bytes[pos++]!;
        v += (b & 0x7f) * scale;
        if (b < 0x80) return [v, pos];
      }
    };
    const walk = (pos: number, end: number, graphField?: number) => {
      while (pos < end) {
        starts.push(pos);
        const [tag, afterTag] = readVarint(pos);
        const [value, afterValue] = readVarint(afterTag);
        const wire = tag & 7;
        pos = wire === 0 ? afterValue : wire === 2 ? afterValue + value : afterTag + (wire === 5 ? 4 : 8);
        if (wire === 2 && tag >>> 3 === graphField) walk(afterValue, pos);
      }
    };
    walk(0, bytes.length, 7);
    return starts;
  }

  /**
   * Cycles through truncation, bit flips (anywhere, or in the first 4 KB where the graph's nodes are: most of a file
   * is weights), 0xff bytes (varints that run on), and a length-delimited field whose negative length points back to
   * an earlier field (a reader that follows it reads the same fields again, forever).
   */
  function mutants(bytes: Uint8Array, seed: number, count: number): Uint8Array[] {
    const r = seededRandom(seed);
    const at = (limit: number) => Math.floor(r() * limit);
    const head = Math.min(4096, bytes.length);
    const starts = fieldStarts(bytes).filter((p) => p + 11 <= bytes.length);
    return Array.from({ length: count }, (_, i) => {
      if (i % 5 === 0) return bytes.slice(0, at(bytes.length));
      const copy = bytes.slice();
      if (i % 5 === 4) {
        const k = at(starts.length);
        const [from, to] = [starts[k]!, starts[at(k + 1)]!];
        copy.set([...key(1 + at(12), LEN), ...varint(to - (from + 11))], from);
        return copy;
      }
      for (let k = 0, n = 1 + at(4); k < n; k++) {
        const pos = at(i % 5 === 1 ? bytes.length : head);
        copy[pos] = i % 5 === 3 ? 0xff : copy[pos]! ^ (1 << at(8));
      }
      return copy;
    });
  }

  function outcome(f: () => unknown): 'ok' | 'error' {
    try {
      f();
      return 'ok';
    } catch (e) {
      expect(e).toBeInstanceOf(Error);
      return 'error';
    }
  }

  it.each([
    ['fr_eye.onnx', 1],
    ['fr_liveness.onnx', 2],
  ])(
    'survives 200 corruptions of %s',
    (file, seed) => {
      const bytes = new Uint8Array(readFileSync(`${FACEPLUGIN}${file}`));
      const counts = { ok: 0, error: 0 };
      for (const m of mutants(bytes, seed, 200)) {
        const t0 = performance.now();
        const result = outcome(() => parseOnnx(m));
        counts[result]++;
        expect(performance.now() - t0).toBeLessThan(2000);
      }
      // Both outcomes occur: the mutants are neither all harmless nor all fatal.
      expect(counts.ok).toBeGreaterThan(10);
      expect(counts.error).toBeGreaterThan(10);
    },
    60_000,
  );

  it('loads or rejects 60 corruptions of fr_eye.onnx, leaking no tensors', () => {
    const bytes = new Uint8Array(readFileSync(`${FACEPLUGIN}fr_eye.onnx`));
    const before = tf.memory().numTensors;
    for (const m of mutants(bytes, 3, 60)) {
      const t0 = performance.now();
      outcome(() => OnnxGraphModel.fromBytes(m).dispose());
      expect(performance.now() - t0).toBeLessThan(2000);
    }
    expect(tf.memory().numTensors).toBe(before);
  }, 60_000);
});
