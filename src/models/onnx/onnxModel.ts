/**
 * A minimal ONNX loader and graph executor on TF.js, so small ONNX models (faceplugin's fr_liveness.onnx and
 * fr_eye.onnx) run on the TF.js backends LocalFace already ships instead of onnxruntime-web (≈ 14 MB of WASM).
 *
 * Scope: float32 CNNs. `parseOnnx` (onnxFormat.ts) decodes the file; `OnnxGraphModel` runs the graph node by node.
 * The op set is exactly what those models contain (see OPS below); anything else throws an Error naming the op at
 * load time.
 *
 * Layout: ONNX is NCHW, TF.js conv/pool kernels (WebGL, WASM) are NHWC. Callers feed NCHW exactly as ONNX expects
 * and get ONNX-shaped outputs back. Internally a 4-D value may be held physically transposed to NHWC (each value
 * records which); convolutions, pools, BatchNormalization, activations and elementwise ops run in NHWC, and any op
 * that depends on element order (Flatten, Reshape, Transpose, Softmax, graph outputs …) first transposes back to
 * NCHW, so results match ONNX exactly up to float rounding.
 */
import * as tf from '../tf';
import { parseOnnx, type OnnxTensorProto, type OnnxAttribute, type OnnxNode, type OnnxGraph } from './onnxFormat';

export { parseOnnx };
export type { OnnxGraph } from './onnxFormat';

// ---------------------------------------------------------------------------------------------------------------
// Runtime values and layout
// ---------------------------------------------------------------------------------------------------------------

/** A small host-side tensor: Shape results, Constant nodes, integer initializers (shape vectors …). */
interface HostTensor {
  dims: number[];
  data: Float32Array | Int32Array;
}

/**
 * A value flowing through the graph. Tensors of logical rank 4 may be held physically NHWC (`nhwc`), i.e. the
 * logical NCHW tensor transposed by [0, 2, 3, 1]. Shape arithmetic stays on the host, so Reshape learns its target
 * shape without reading back from the GPU.
 */
type Value = { kind: 'tensor'; tensor: tf.Tensor; nhwc: boolean } | { kind: 'host'; host: HostTensor };

const NCHW_TO_NHWC = [0, 2, 3, 1];
const NHWC_TO_NCHW = [0, 3, 1, 2];

function tensorValue(tensor: tf.Tensor, nhwc = false): Value {
  return { kind: 'tensor', tensor, nhwc };
}

function hostValue(dims: number[], data: Float32Array | Int32Array): Value {
  return { kind: 'host', host: { dims, data } };
}

/** Transpose, done as a free reshape when only size-1 dimensions move (e.g. [1,C,1,1] ↔ [1,1,1,C]). */
function permute(t: tf.Tensor, perm: number[]): tf.Tensor {
  const moved = perm.map((p) => t.shape[p]!);
  const order = perm.filter((p) => t.shape[p]! !== 1);
  const keepsOrder = order.every((p, i) => i === 0 || p > order[i - 1]!);
  return keepsOrder ? tf.reshape(t, moved) : tf.transpose(t, perm);
}

/** The value's ONNX (logical) shape. */
function shapeOf(v: Value): number[] {
  if (v.kind === 'host') return v.host.dims;
  const s = v.tensor.shape;
  return v.nhwc ? NHWC_TO_NCHW.map((p) => s[p]!) : s.slice();
}

/** The value as a tensor in ONNX layout. */
function logical(v: Value): tf.Tensor {
  if (v.kind === 'host') {
    return tf.tensor(v.host.data, v.host.dims, v.host.data instanceof Int32Array ? 'int32' : 'float32');
  }
  return v.nhwc ? permute(v.tensor, NHWC_TO_NCHW) : v.tensor;
}

/** A logical rank-4 value as a physical NHWC tensor. */
function nhwc(v: Value, op: string): tf.Tensor4D {
  if (v.kind === 'tensor' && v.nhwc) return v.tensor as tf.Tensor4D;
  const t = logical(v);
  if (t.rank !== 4) throw new Error(`ONNX ${op}: expected a 4-D (NCHW) input, got shape [${t.shape.join(',')}]`);
  return permute(t, NCHW_TO_NHWC) as tf.Tensor4D;
}

/**
 * A value of logical rank ≤ 4 in the NHWC form that broadcasts against NHWC tensors the way its logical form
 * broadcasts against NCHW ones: right-align to rank 4 (numpy rules), then transpose. E.g. a PRelu slope
 * [C,1,1] → [1,C,1,1] → [1,1,1,C].
 */
function nhwcBroadcast(v: Value): tf.Tensor {
  if (v.kind === 'tensor' && v.nhwc) return v.tensor;
  const t = logical(v);
  const shape4 = [...Array<number>(4 - t.rank).fill(1), ...t.shape];
  return permute(tf.reshape(t, shape4), NCHW_TO_NHWC);
}

function hostInts(v: Value | undefined, what: string): number[] {
  if (!v) throw new Error(`ONNX: missing ${what}`);
  if (v.kind !== 'host') {
    throw new Error(`ONNX: ${what} must be a constant (computed from shapes or initializers), not a runtime tensor`);
  }
  return Array.from(v.host.data);
}

// ---------------------------------------------------------------------------------------------------------------
// Ops
// ---------------------------------------------------------------------------------------------------------------

function attr(node: OnnxNode, name: string): OnnxAttribute | undefined {
  return node.attributes.get(name);
}

function attrInt(node: OnnxNode, name: string, fallback: number): number {
  const a = attr(node, name);
  if (!a) return fallback;
  if (a.type !== 'int') throw new Error(`ONNX ${node.opType}: attribute ${name} should be an int`);
  return a.value;
}

function attrFloat(node: OnnxNode, name: string, fallback: number): number {
  const a = attr(node, name);
  if (!a) return fallback;
  if (a.type !== 'float') throw new Error(`ONNX ${node.opType}: attribute ${name} should be a float`);
  return a.value;
}

function attrInts(node: OnnxNode, name: string): number[] | undefined {
  const a = attr(node, name);
  if (!a) return undefined;
  if (a.type !== 'ints') throw new Error(`ONNX ${node.opType}: attribute ${name} should be a list of ints`);
  return a.value;
}

/** A 2-D window attribute (kernel_shape, strides, dilations): two integers ≥ `min`. */
function attrPair(node: OnnxNode, name: string, fallback: [number, number], min = 1): [number, number] {
  const v = attrInts(node, name);
  if (!v) return fallback;
  if (v.length !== 2 || !v.every((x) => Number.isInteger(x) && x >= min && x <= INT32_MAX)) {
    throw new Error(
      `ONNX ${node.opType} '${node.name}': attribute ${name} [${v.join(',')}] should be two integers ≥ ${min}`,
    );
  }
  return [v[0]!, v[1]!];
}

const INT32_MAX = 2 ** 31 - 1;

function attrString(node: OnnxNode, name: string, fallback: string): string {
  const a = attr(node, name);
  if (!a) return fallback;
  if (a.type !== 'string') throw new Error(`ONNX ${node.opType}: attribute ${name} should be a string`);
  return a.value;
}

function normAxis(axis: number, rank: number, op: string): number {
  const a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank) throw new Error(`ONNX ${op}: axis ${axis} out of range for rank ${rank}`);
  return a;
}

function product(xs: number[]): number {
  return xs.reduce((a, b) => a * b, 1);
}

/** A node compiled into a closure: input values in, output values out (one per node output). */
type Kernel = (inputs: (Value | undefined)[]) => Value[];

interface CompileContext {
  node: OnnxNode;
  opset: number;
  /** Initializers by name, as parsed (for load-time weight preparation). */
  constants: Map<string, OnnxTensorProto>;
  /** Tensors created at load (prepared weights); owned by the model, disposed with it. */
  keep: (t: tf.Tensor) => tf.Tensor;
}

function need(inputs: (Value | undefined)[], i: number, op: string): Value {
  const v = inputs[i];
  if (!v) throw new Error(`ONNX ${op}: missing input ${i}`);
  return v;
}

/** One tensor result, keeping NHWC when the op is layout-agnostic and its input was NHWC. */
function unary(f: (t: tf.Tensor) => tf.Tensor): Kernel {
  return (ins) => {
    const x = need(ins, 0, 'unary op');
    if (x.kind === 'tensor') return [tensorValue(f(x.tensor), x.nhwc)];
    return [tensorValue(f(logical(x)))];
  };
}

/** Elementwise binary op with numpy broadcasting, run in NHWC when either operand is held NHWC. */
function binary(f: (a: tf.Tensor, b: tf.Tensor) => tf.Tensor, op: string): Kernel {
  return (ins) => {
    const a = need(ins, 0, op);
    const b = need(ins, 1, op);
    const anyNhwc = (a.kind === 'tensor' && a.nhwc) || (b.kind === 'tensor' && b.nhwc);
    if (anyNhwc && shapeOf(a).length <= 4 && shapeOf(b).length <= 4) {
      return [tensorValue(f(nhwcBroadcast(a), nhwcBroadcast(b)), true)];
    }
    return [tensorValue(f(logical(a), logical(b)))];
  };
}

/**
 * PRelu. tf.prelu is used only for a per-channel slope (size-1 everywhere but the last, channel, axis), since the
 * WASM kernel indexes the slope by `i % size`; any other broadcast goes through relu(x) + slope·min(x, 0).
 */
function prelu(x: tf.Tensor, slope: tf.Tensor): tf.Tensor {
  const last = x.shape[x.rank - 1];
  const perChannel =
    slope.rank <= x.rank && slope.shape.every((d, i) => d === 1 || (i === slope.rank - 1 && d === last));
  if (perChannel) return tf.prelu(x, slope);
  return tf.add(tf.relu(x), tf.mul(slope, tf.minimum(x, 0)));
}

type Activation = { kind: 'relu' } | { kind: 'prelu'; slope: tf.Tensor };

/** [top, left, bottom, right] padding of a 2-D Conv/MaxPool, honouring auto_pad. */
function spatialPads(node: OnnxNode, inH: number, inW: number, k: number[], s: number[], d: number[]): number[] {
  const autoPad = attrString(node, 'auto_pad', 'NOTSET');
  if (autoPad === 'NOTSET') {
    const p = attrInts(node, 'pads') ?? [0, 0, 0, 0];
    if (p.length !== 4 || !p.every((x) => Number.isInteger(x) && x >= 0 && x <= INT32_MAX)) {
      throw new Error(`ONNX ${node.opType} '${node.name}': pads [${p.join(',')}] should be four integers ≥ 0`);
    }
    // ONNX order: [x1_begin, x2_begin, x1_end, x2_end] = [top, left, bottom, right]
    return [p[0]!, p[1]!, p[2]!, p[3]!];
  }
  if (autoPad === 'VALID') return [0, 0, 0, 0];
  const pads = [0, 0, 0, 0];
  [inH, inW].forEach((size, i) => {
    const out = Math.ceil(size / s[i]!);
    const total = Math.max((out - 1) * s[i]! + (k[i]! - 1) * d[i]! + 1 - size, 0);
    const small = Math.floor(total / 2);
    // SAME_UPPER puts the extra pixel at the end, SAME_LOWER at the beginning.
    pads[i] = autoPad === 'SAME_UPPER' ? small : total - small;
    pads[i + 2] = total - pads[i]!;
  });
  return pads;
}

/** Applies [top, left, bottom, right] padding: symmetric → the kernel's own pad argument, else an explicit pad. */
function withPads(x: tf.Tensor4D, pads: number[], fill: number): [tf.Tensor4D, number] {
  const [t, l, b, r] = pads as [number, number, number, number];
  if (t === l && t === b && t === r) return [x, t];
  return [
    tf.pad(
      x,
      [
        [0, 0],
        [t, b],
        [l, r],
        [0, 0],
      ],
      fill,
    ),
    0,
  ];
}

/**
 * Conv (2-D). Weights are prepared at load from OIHW: group 1 → HWIO for conv2d; group == C_in with one input
 * channel per group → [kh, kw, C_in, multiplier] for depthwiseConv2d (ONNX output channel g·mult + m is TF's
 * c·mult + m); any other grouping → one HWIO filter per group, run on channel slices and concatenated.
 */
function compileConv(ctx: CompileContext, activation?: Activation): Kernel {
  const { node } = ctx;
  const w = ctx.constants.get(node.inputs[1] ?? '');
  if (!w || w.dims.length !== 4 || !(w.data instanceof Float32Array)) {
    throw new Error(`ONNX Conv '${node.name}': only 2-D convolution with constant float weights is supported`);
  }
  const [outC, inPerGroup, kh, kw] = w.dims as [number, number, number, number];
  const group = attrInt(node, 'group', 1);
  // Checked here: a bad group would otherwise make the per-group loop below run for as long as it says.
  if (!Number.isInteger(group) || group < 1 || outC % group !== 0) {
    throw new Error(`ONNX Conv '${node.name}': group ${group} does not divide the ${outC} output channels`);
  }
  const kernel = attrPair(node, 'kernel_shape', [kh, kw]);
  if (kernel[0] !== kh || kernel[1] !== kw) {
    throw new Error(`ONNX Conv '${node.name}': kernel_shape [${kernel}] differs from the weights' [${kh},${kw}]`);
  }
  const s = attrPair(node, 'strides', [1, 1]);
  const d = attrPair(node, 'dilations', [1, 1]);
  if ((s[0] > 1 || s[1] > 1) && (d[0] > 1 || d[1] > 1)) {
    throw new Error(`ONNX Conv '${node.name}': strides > 1 together with dilations > 1 is not supported by TF.js`);
  }
  const b = ctx.constants.get(node.inputs[2] ?? '');
  if (node.inputs[2] && !b) throw new Error(`ONNX Conv '${node.name}': only a constant bias is supported`);
  const bias = b ? (ctx.keep(tf.tensor1d(b.data as Float32Array)) as tf.Tensor1D) : undefined;

  const depthwise = group > 1 && inPerGroup === 1;
  const filter = (data: Float32Array, dims: [number, number, number, number], perm: number[]) =>
    ctx.keep(tf.tidy(() => tf.transpose(tf.tensor4d(data, dims), perm))) as tf.Tensor4D;
  const filters: tf.Tensor4D[] = [];
  if (group === 1) filters.push(filter(w.data, [outC, inPerGroup, kh, kw], [2, 3, 1, 0]));
  else if (depthwise) filters.push(filter(w.data, [group, outC / group, kh, kw], [2, 3, 0, 1]));
  else {
    const per = outC / group;
    const size = per * inPerGroup * kh * kw;
    for (let g = 0; g < group; g++) {
      filters.push(filter(w.data.subarray(g * size, (g + 1) * size), [per, inPerGroup, kh, kw], [2, 3, 1, 0]));
    }
  }
  const fusedArgs = {
    bias,
    activation: activation?.kind,
    preluActivationWeights: activation?.kind === 'prelu' ? activation.slope : undefined,
  };

  return (ins) => {
    const x0 = nhwc(need(ins, 0, 'Conv'), 'Conv');
    const expectedC = inPerGroup * group;
    if (x0.shape[3] !== expectedC) {
      throw new Error(`ONNX Conv '${node.name}': input has ${x0.shape[3]} channels, weights expect ${expectedC}`);
    }
    const pads = spatialPads(node, x0.shape[1], x0.shape[2], [kh, kw], s, d);
    const [x, pad] = withPads(x0, pads, 0);
    if (group === 1) {
      return [
        tensorValue(tf.fused.conv2d({ x, filter: filters[0]!, strides: s, pad, dilations: d, ...fusedArgs }), true),
      ];
    }
    if (depthwise) {
      const y = tf.fused.depthwiseConv2d({ x, filter: filters[0]!, strides: s, pad, dilations: d, ...fusedArgs });
      return [tensorValue(y, true)];
    }
    const parts = tf.split(x, group, 3).map((xg, g) => tf.conv2d(xg as tf.Tensor4D, filters[g]!, s, pad, 'NHWC', d));
    let y: tf.Tensor = tf.concat(parts, 3);
    if (bias) y = tf.add(y, bias);
    if (activation?.kind === 'relu') y = tf.relu(y);
    else if (activation?.kind === 'prelu') y = prelu(y, activation.slope);
    return [tensorValue(y, true)];
  };
}

function compileMaxPool(ctx: CompileContext): Kernel {
  const { node } = ctx;
  const k = attrInts(node, 'kernel_shape');
  if (!k || k.length !== 2) throw new Error(`ONNX MaxPool '${node.name}': only 2-D pooling is supported`);
  if (attrInt(node, 'ceil_mode', 0) !== 0) throw new Error(`ONNX MaxPool '${node.name}': ceil_mode=1 is not supported`);
  const dil = attrInts(node, 'dilations') ?? [1, 1];
  if (dil.some((x) => x !== 1)) throw new Error(`ONNX MaxPool '${node.name}': dilations are not supported`);
  if (node.outputs[1]) throw new Error(`ONNX MaxPool '${node.name}': the Indices output is not supported`);
  const s = attrPair(node, 'strides', [1, 1]);
  const kk = attrPair(node, 'kernel_shape', [1, 1]);
  return (ins) => {
    const x0 = nhwc(need(ins, 0, 'MaxPool'), 'MaxPool');
    // Padding never wins a max: symmetric pads go to tf.maxPool (which skips them), others are padded with −∞.
    const [x, pad] = withPads(x0, spatialPads(node, x0.shape[1], x0.shape[2], kk, s, [1, 1]), -Infinity);
    return [tensorValue(tf.maxPool(x, kk, s, pad), true)];
  };
}

function compileBatchNorm(ctx: CompileContext): Kernel {
  const { node } = ctx;
  if (ctx.opset < 9 && attrInt(node, 'spatial', 1) !== 1) {
    throw new Error(`ONNX BatchNormalization '${node.name}': spatial=0 is not supported`);
  }
  if (node.outputs.slice(1).some((o) => o)) {
    throw new Error(`ONNX BatchNormalization '${node.name}': training outputs are not supported`);
  }
  const eps = attrFloat(node, 'epsilon', 1e-5);
  return (ins) => {
    const x = need(ins, 0, 'BatchNormalization');
    const param = (i: number) => tf.reshape(logical(need(ins, i, 'BatchNormalization')), [-1]);
    const [scale, bias, mean, variance] = [param(1), param(2), param(3), param(4)];
    const shape = shapeOf(x);
    // Parameters are per channel (axis 1 of N×C×…): that is the last axis in NHWC and for N×C.
    if (shape.length === 4 || shape.length === 2) {
      const t = shape.length === 4 ? nhwc(x, 'BatchNormalization') : logical(x);
      return [tensorValue(tf.batchNorm(t, mean, variance, bias, scale, eps), shape.length === 4)];
    }
    const pshape = [shape[1]!, ...Array<number>(shape.length - 2).fill(1)];
    const [m, v, b, sc] = [mean, variance, bias, scale].map((p) => tf.reshape(p, pshape));
    return [tensorValue(tf.batchNorm(logical(x), m!, v!, b, sc, eps))];
  };
}

function compileGlobalAveragePool(): Kernel {
  return (ins) => {
    const x = need(ins, 0, 'GlobalAveragePool');
    const rank = shapeOf(x).length;
    if (rank === 4) return [tensorValue(tf.mean(nhwc(x, 'GlobalAveragePool'), [1, 2], true), true)];
    const axes = Array.from({ length: rank - 2 }, (_, i) => i + 2);
    return [tensorValue(tf.mean(logical(x), axes, true))];
  };
}

function compileShape(ctx: CompileContext): Kernel {
  const { node } = ctx;
  return (ins) => {
    const shape = shapeOf(need(ins, 0, 'Shape'));
    const r = shape.length;
    const clamp = (i: number) => Math.min(r, Math.max(0, i < 0 ? i + r : i));
    const start = clamp(attrInt(node, 'start', 0));
    const end = clamp(attrInt(node, 'end', r));
    const dims = shape.slice(start, Math.max(start, end));
    return [hostValue([dims.length], Int32Array.from(dims))];
  };
}

function compileConstant(ctx: CompileContext): Kernel {
  const { node } = ctx;
  const a = ['value', 'value_float', 'value_floats', 'value_int', 'value_ints']
    .map((k) => attr(node, k))
    .find((x) => x);
  let value: Value;
  if (a?.type === 'tensor') value = hostValue(a.value.dims, a.value.data);
  else if (a?.type === 'float') value = hostValue([], Float32Array.of(a.value));
  else if (a?.type === 'floats') value = hostValue([a.value.length], Float32Array.from(a.value));
  else if (a?.type === 'int') value = hostValue([], Int32Array.of(a.value));
  else if (a?.type === 'ints') value = hostValue([a.value.length], Int32Array.from(a.value));
  else throw new Error(`ONNX Constant '${node.name}': unsupported value attribute`);
  return () => [value];
}

function compileGather(ctx: CompileContext): Kernel {
  const { node } = ctx;
  const axisAttr = attrInt(node, 'axis', 0);
  return (ins) => {
    const data = need(ins, 0, 'Gather');
    const shape = shapeOf(data);
    const axis = normAxis(axisAttr, shape.length, 'Gather');
    const idxValue = need(ins, 1, 'Gather');
    const idxDims = shapeOf(idxValue);
    // ONNX allows negative indices (counted from the end); tf.gather does not.
    const idx = hostInts(idxValue, 'Gather indices').map((i) => (i < 0 ? i + shape[axis]! : i));
    if (data.kind === 'host' && shape.length === 1) {
      const src = data.host.data;
      const picked = idx.map((i) => src[i]!);
      const out = src instanceof Int32Array ? Int32Array.from(picked) : Float32Array.from(picked);
      return [hostValue(idxDims, out)];
    }
    const outShape = [...shape.slice(0, axis), ...idxDims, ...shape.slice(axis + 1)];
    const g = tf.gather(logical(data), tf.tensor1d(idx, 'int32'), axis);
    return [tensorValue(tf.reshape(g, outShape))];
  };
}

function compileUnsqueeze(ctx: CompileContext): Kernel {
  const { node } = ctx;
  const axesAttr = attrInts(node, 'axes');
  return (ins) => {
    const x = need(ins, 0, 'Unsqueeze');
    // opset < 13: axes attribute; opset ≥ 13: second input.
    const axes = axesAttr ?? hostInts(ins[1], 'Unsqueeze axes');
    const shape = shapeOf(x);
    const rank = shape.length + axes.length;
    const set = new Set(axes.map((a) => normAxis(a, rank, 'Unsqueeze')));
    const out: number[] = [];
    let j = 0;
    for (let i = 0; i < rank; i++) out.push(set.has(i) ? 1 : shape[j++]!);
    if (x.kind === 'host') return [hostValue(out, x.host.data)];
    return [tensorValue(tf.reshape(logical(x), out))];
  };
}

function compileConcat(ctx: CompileContext): Kernel {
  const { node } = ctx;
  const axisAttr = attr(node, 'axis');
  if (axisAttr?.type !== 'int') throw new Error(`ONNX Concat '${node.name}': missing axis`);
  return (ins) => {
    const xs = ins.filter((v): v is Value => v !== undefined);
    const rank = shapeOf(xs[0]!).length;
    const axis = normAxis(axisAttr.value, rank, 'Concat');
    if (rank === 1 && xs.every((v) => v.kind === 'host')) {
      const parts = xs.map((v) => (v as { host: HostTensor }).host.data);
      const ints = parts.every((p) => p instanceof Int32Array);
      const all = parts.flatMap((p) => Array.from(p));
      const joined = ints ? Int32Array.from(all) : Float32Array.from(all);
      return [hostValue([joined.length], joined)];
    }
    if (rank === 4 && xs.every((v) => v.kind === 'tensor' && v.nhwc)) {
      return [
        tensorValue(
          tf.concat(
            xs.map((v) => nhwc(v, 'Concat')),
            NCHW_TO_NHWC.indexOf(axis),
          ),
          true,
        ),
      ];
    }
    return [tensorValue(tf.concat(xs.map(logical), axis))];
  };
}

function compileReshape(ctx: CompileContext): Kernel {
  const { node } = ctx;
  const allowZero = attrInt(node, 'allowzero', 0) === 1;
  return (ins) => {
    const x = need(ins, 0, 'Reshape');
    // opset < 5 had the shape as an attribute.
    const target = attrInts(node, 'shape') ?? hostInts(ins[1], 'Reshape shape');
    const inShape = shapeOf(x);
    // 0 copies the input dimension (unless allowzero); −1 is inferred (tf.reshape does that).
    const shape = target.map((dim, i) => (dim === 0 && !allowZero ? inShape[i]! : dim));
    if (x.kind === 'host') {
      const known = product(shape.filter((dim) => dim !== -1));
      return [
        hostValue(
          shape.map((dim) => (dim === -1 ? x.host.data.length / known : dim)),
          x.host.data,
        ),
      ];
    }
    return [tensorValue(tf.reshape(logical(x), shape))];
  };
}

function compileFlatten(ctx: CompileContext): Kernel {
  const { node } = ctx;
  return (ins) => {
    const x = need(ins, 0, 'Flatten');
    const shape = shapeOf(x);
    const axisAttr = attrInt(node, 'axis', 1);
    const axis = axisAttr < 0 ? axisAttr + shape.length : axisAttr;
    return [tensorValue(tf.reshape(logical(x), [product(shape.slice(0, axis)), product(shape.slice(axis))]))];
  };
}

function compileMatMul(): Kernel {
  return (ins) => {
    let a = logical(need(ins, 0, 'MatMul'));
    let b = logical(need(ins, 1, 'MatMul'));
    // numpy semantics: a 1-D operand gains a dimension for the product, which is then dropped again.
    const squeeze: number[] = [];
    if (a.rank === 1) {
      a = tf.reshape(a, [1, -1]);
      squeeze.push(-2);
    }
    if (b.rank === 1) {
      b = tf.reshape(b, [-1, 1]);
      squeeze.push(-1);
    }
    let y: tf.Tensor = tf.matMul(a, b);
    if (squeeze.length)
      y = tf.squeeze(
        y,
        squeeze.map((s) => s + y.rank),
      );
    return [tensorValue(y)];
  };
}

function compileGemm(ctx: CompileContext): Kernel {
  const { node } = ctx;
  const alpha = attrFloat(node, 'alpha', 1);
  const beta = attrFloat(node, 'beta', 1);
  const transA = attrInt(node, 'transA', 0) === 1;
  const transB = attrInt(node, 'transB', 0) === 1;
  return (ins) => {
    let y: tf.Tensor = tf.matMul(logical(need(ins, 0, 'Gemm')), logical(need(ins, 1, 'Gemm')), transA, transB);
    if (alpha !== 1) y = tf.mul(y, alpha);
    const c = ins[2];
    if (c) y = tf.add(y, beta === 1 ? logical(c) : tf.mul(logical(c), beta));
    return [tensorValue(y)];
  };
}

function compileSoftmax(ctx: CompileContext): Kernel {
  const { node, opset } = ctx;
  // opset < 13: default axis 1 and the input is coerced to 2-D at axis; opset ≥ 13: default −1, one axis.
  const legacy = opset < 13;
  const axisAttr = attrInt(node, 'axis', legacy ? 1 : -1);
  return (ins) => {
    const x = logical(need(ins, 0, 'Softmax'));
    const axis = normAxis(axisAttr, x.rank, 'Softmax');
    if (legacy) {
      const flat = tf.reshape(x, [product(x.shape.slice(0, axis)), product(x.shape.slice(axis))]);
      return [tensorValue(tf.reshape(tf.softmax(flat), x.shape))];
    }
    if (axis === x.rank - 1) return [tensorValue(tf.softmax(x))];
    const perm = Array.from({ length: x.rank }, (_, i) => i);
    perm[axis] = x.rank - 1;
    perm[x.rank - 1] = axis;
    return [tensorValue(tf.transpose(tf.softmax(tf.transpose(x, perm)), perm))];
  };
}

/** The supported op types (default ONNX domain). A Map, so an op type named like an Object property is unknown. */
const OPS = new Map<string, (ctx: CompileContext) => Kernel>([
  ['Conv', (ctx) => compileConv(ctx)],
  ['MaxPool', compileMaxPool],
  ['BatchNormalization', compileBatchNorm],
  ['GlobalAveragePool', compileGlobalAveragePool],
  ['Relu', () => unary(tf.relu)],
  ['Sigmoid', () => unary(tf.sigmoid)],
  ['PRelu', () => binary(prelu, 'PRelu')],
  ['Add', () => binary(tf.add, 'Add')],
  ['Mul', () => binary(tf.mul, 'Mul')],
  ['MatMul', compileMatMul],
  ['Gemm', compileGemm],
  ['Flatten', compileFlatten],
  ['Reshape', compileReshape],
  ['Softmax', compileSoftmax],
  ['Shape', compileShape],
  ['Constant', compileConstant],
  ['Gather', compileGather],
  ['Unsqueeze', compileUnsqueeze],
  ['Concat', compileConcat],
]);

// ---------------------------------------------------------------------------------------------------------------
// The model
// ---------------------------------------------------------------------------------------------------------------

/** What a float initializer holds once its weights are tensors. */
const NO_FLOATS = new Float32Array(0);

export interface ExecuteOptions {
  /**
   * Layout of the 4-D input tensors given to execute(): 'NCHW' (default; what the ONNX model declares) or 'NHWC'
   * (e.g. straight from tf.image ops; saves the transpose the first convolution would otherwise need). Outputs
   * are always in ONNX layout.
   */
  inputLayout?: 'NCHW' | 'NHWC';
  /**
   * Names of intermediate values to return too, after the graph outputs and in this order, in ONNX layout (e.g. a
   * network's penultimate activations as a feature). A name no step produces is an error; the output of a Conv
   * fused with its activation is not kept (ask for the activation's output).
   */
  intermediates?: readonly string[];
}

interface Step {
  node: OnnxNode;
  inputs: string[];
  outputs: string[];
  run: Kernel;
}

export class OnnxGraphModel {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  /** The parsed graph (declared input/output shapes, opset …). */
  readonly graph: OnnxGraph;
  private readonly steps: Step[];
  /** Initializers by name; float ones as tensors (created once here), integer ones (shape vectors) on the host. */
  private readonly weights = new Map<string, Value>();
  /** Every tensor the model owns: initializers and weights prepared at load. */
  private readonly owned: tf.Tensor[] = [];
  /** Per step, the values whose last use it is (freed early to keep peak memory down). */
  private readonly frees: string[][];
  /** Names of the values the steps compute (what execute() can return as intermediates). */
  private readonly produced = new Set<string>();
  private disposed = false;

  private constructor(graph: OnnxGraph) {
    this.graph = graph;
    this.inputNames = graph.inputs.map((v) => v.name);
    this.outputNames = graph.outputs.map((v) => v.name);
    const keep = (t: tf.Tensor): tf.Tensor => {
      this.owned.push(t);
      return t;
    };
    try {
      const constants = new Map(graph.initializers.map((t) => [t.name, t]));
      const unsupported = graph.nodes.filter((n) => !(n.domain === '' || n.domain === 'ai.onnx') || !OPS.has(n.opType));
      if (unsupported.length) {
        const names = [...new Set(unsupported.map((n) => (n.domain ? `${n.domain}.${n.opType}` : n.opType)))];
        throw new Error(`ONNX: unsupported op type(s): ${names.join(', ')}`);
      }

      const consumers = new Map<string, number>();
      for (const n of graph.nodes) for (const i of n.inputs) if (i) consumers.set(i, (consumers.get(i) ?? 0) + 1);
      const outputSet = new Set(this.outputNames);

      // Conv → Relu / per-channel PRelu, where the activation is the conv output's only consumer, become one
      // fused TF.js conv (one pass instead of two on WebGL/WASM; same arithmetic).
      const fusedInto = new Map<number, { activation: Activation; outputs: string[] }>();
      const skip = new Set<number>();
      const producer = new Map<string, number>();
      graph.nodes.forEach((n, i) => n.outputs.forEach((o) => producer.set(o, i)));
      graph.nodes.forEach((n, i) => {
        if (n.opType !== 'Relu' && n.opType !== 'PRelu') return;
        const src = producer.get(n.inputs[0] ?? '');
        const conv = src === undefined ? undefined : graph.nodes[src];
        const convOut = n.inputs[0]!;
        if (!conv || src === undefined || conv.opType !== 'Conv') return;
        if (consumers.get(convOut) !== 1 || outputSet.has(convOut)) return;
        const w = constants.get(conv.inputs[1] ?? '');
        const group = attrInt(conv, 'group', 1);
        if (!w || !(group === 1 || w.dims[1] === 1)) return;
        if (n.opType === 'Relu') {
          fusedInto.set(src, { activation: { kind: 'relu' }, outputs: n.outputs });
        } else {
          const slope = constants.get(n.inputs[1] ?? '');
          const outC = w.dims[0]!;
          // Per-channel slope: right-aligned against N×C×H×W it must be [1, C, 1, 1].
          const dims4 = slope ? [...Array<number>(Math.max(0, 4 - slope.dims.length)).fill(1), ...slope.dims] : [];
          if (!slope || slope.dims.length > 4 || dims4[1] !== outC || product(dims4) !== outC) return;
          const activation: Activation = { kind: 'prelu', slope: keep(tf.tensor1d(slope.data as Float32Array)) };
          fusedInto.set(src, { activation, outputs: n.outputs });
        }
        skip.add(i);
      });

      this.steps = [];
      graph.nodes.forEach((node, i) => {
        if (skip.has(i)) return;
        const ctx: CompileContext = { node, opset: graph.opsetVersion || 1, constants, keep };
        const fused = fusedInto.get(i);
        const run = node.opType === 'Conv' ? compileConv(ctx, fused?.activation) : OPS.get(node.opType)!(ctx);
        // A Conv reads only X at run time: its weights and bias were prepared at compile time.
        const inputs = node.opType === 'Conv' ? node.inputs.slice(0, 1) : node.inputs;
        this.steps.push({ node, inputs, outputs: fused ? fused.outputs : node.outputs, run });
      });

      // Initializers read as values at run time (conv weights, biases and fused slopes were prepared above).
      const needed = new Set<string>(this.outputNames);
      for (const s of this.steps) for (const name of s.inputs) if (name) needed.add(name);
      for (const t of graph.initializers) {
        if (!needed.has(t.name)) continue;
        const value =
          t.data instanceof Float32Array ? tensorValue(keep(tf.tensor(t.data, t.dims))) : hostValue(t.dims, t.data);
        this.weights.set(t.name, value);
      }

      for (const s of this.steps) for (const name of s.outputs) if (name) this.produced.add(name);

      // Liveness: after its last reader runs, an intermediate value's tensor can go.
      const lastUse = new Map<string, number>();
      this.steps.forEach((s, i) => s.inputs.forEach((name) => name && lastUse.set(name, i)));
      this.frees = this.steps.map(() => []);
      for (const [name, i] of lastUse) {
        if (!outputSet.has(name) && !this.weights.has(name) && !this.inputNames.includes(name))
          this.frees[i]!.push(name);
      }
      // The float weights are tensors now: their parsed copies are let go (integer shape vectors are read at run time).
      for (const t of graph.initializers) if (t.data instanceof Float32Array) t.data = NO_FLOATS;
    } catch (e) {
      this.owned.forEach((t) => t.dispose());
      throw e;
    }
  }

  /** Parses and prepares a model (the bytes of an .onnx file). Throws on unsupported ops. */
  static fromBytes(bytes: Uint8Array): OnnxGraphModel {
    return new OnnxGraphModel(parseOnnx(bytes));
  }

  /**
   * Runs the graph. Inputs are keyed by graph input name, NCHW unless options.inputLayout says NHWC; they are not
   * disposed. Returns one tensor per graph output, in outputNames order; the caller disposes them.
   */
  execute(inputs: Record<string, tf.Tensor>, options: ExecuteOptions = {}): tf.Tensor[] {
    if (this.disposed) throw new Error('ONNX: model is disposed');
    const feedNhwc = options.inputLayout === 'NHWC';
    const extra = options.intermediates ?? [];
    for (const name of extra) {
      if (!this.produced.has(name)) throw new Error(`ONNX: no step produces a value named '${name}'`);
    }
    const keep = new Set(extra);
    return tf.tidy(() => {
      const env = new Map<string, Value>(this.weights);
      for (const info of this.graph.inputs) {
        const t = inputs[info.name];
        if (!t) throw new Error(`ONNX: missing input '${info.name}'`);
        const value = tensorValue(t, feedNhwc && t.rank === 4);
        const got = shapeOf(value);
        const want = info.shape;
        if (
          want &&
          (want.length !== got.length || want.some((d, i) => typeof d === 'number' && d > 0 && d !== got[i]))
        ) {
          const expected = want.map((d) => d ?? '?').join(',');
          throw new Error(
            `ONNX: input '${info.name}' has (logical) shape [${got.join(',')}], the model expects [${expected}]`,
          );
        }
        env.set(info.name, value);
      }
      this.steps.forEach((step, i) => {
        const ins = step.inputs.map((name) => {
          if (!name) return undefined;
          const v = env.get(name);
          if (!v) throw new Error(`ONNX ${step.node.opType} '${step.node.name}': input '${name}' is not available`);
          return v;
        });
        let outs: Value[];
        try {
          outs = step.run(ins);
        } catch (e) {
          const msg = e instanceof Error ? e.message : String(e);
          throw new Error(msg.startsWith('ONNX') ? msg : `ONNX ${step.node.opType} '${step.node.name}': ${msg}`, {
            cause: e,
          });
        }
        step.outputs.forEach((name, k) => {
          const v = outs[k];
          if (!name || !v) return;
          // An op may hand back an input tensor as-is; give it its own handle so freeing one cannot free both.
          const aliased = v.kind === 'tensor' && ins.some((x) => x?.kind === 'tensor' && x.tensor === v.tensor);
          env.set(name, aliased && v.kind === 'tensor' ? tensorValue(tf.clone(v.tensor), v.nhwc) : v);
        });
        for (const name of this.frees[i]!) {
          if (keep.has(name)) continue;
          const v = env.get(name);
          if (v?.kind === 'tensor') v.tensor.dispose();
          env.delete(name);
        }
      });
      return [...this.outputNames, ...extra].map((name) => {
        const v = env.get(name);
        if (!v) throw new Error(`ONNX: output '${name}' was not computed`);
        const t = logical(v);
        // A graph output may be a graph input or an initializer; return a handle the caller can dispose.
        const external = this.weights.has(name) || this.inputNames.includes(name);
        return external && v.kind === 'tensor' && t === v.tensor ? tf.clone(t) : t;
      });
    });
  }

  /** Frees the model's tensors (initializers and prepared weights). */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.owned.forEach((t) => t.dispose());
    this.owned.length = 0;
    this.weights.clear();
  }
}
