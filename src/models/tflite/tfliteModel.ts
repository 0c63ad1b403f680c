/**
 * A minimal TFLite graph executor on TF.js, so MobileFaceNet (a float TFLite model) runs on the TF.js backend
 * LocalFace already ships (WASM or WebGL) instead of the TFLite WebAssembly runtime (≈ 3.6 MB of WASM plus an
 * Emscripten loader that needs blob: scripts, which a strict Content-Security-Policy forbids).
 *
 * Scope: float CNNs in NHWC, TFLite's own layout, so no transposes. `parseTflite` (tfliteFormat.ts) decodes the
 * file; `TfliteGraphModel` runs the first subgraph op by op. The op set is what MobileFaceNet contains plus the
 * DEQUANTIZE and PRELU ops a float16 or PReLU-exporting converter writes (see KERNELS); any other op is rejected at
 * load. Weights may be stored as float32, float16 or quantized integers: they are widened to float32 at load.
 *
 * Two rewrites make the graph cheaper without changing its arithmetic: the TF 1.x PReLU pattern
 * relu(x) + c·(x − |x|) (five ops) becomes one PReLU with slope 2c (x − |x| is 2·min(x, 0), and doubling is exact),
 * and a convolution whose only consumer is a ReLU/ReLU6/PReLU becomes one fused TF.js convolution.
 */
import { FaceError } from '../../errors';
import * as tf from '../tf';
import {
  BuiltinOperator as Op,
  TensorType,
  constantFloats,
  constantInts,
  operatorName,
  parseTflite,
  tensorTypeName,
  type Activation,
  type TfliteGraph,
  type TfliteOperator,
  type TfliteTensor,
} from './tfliteFormat';

export { parseTflite };
export type { TfliteGraph, TfliteTensor } from './tfliteFormat';

/** Fused activations a TF.js fused convolution applies itself. */
type FusedActivation = { kind: 'relu' } | { kind: 'relu6' } | { kind: 'prelu'; slope: tf.Tensor };

/** A step of the compiled graph: reads tensors by index, writes its outputs. */
interface Step {
  what: string;
  inputs: number[];
  outputs: number[];
  run: (inputs: tf.Tensor[]) => tf.Tensor;
}

interface CompileContext {
  graph: TfliteGraph;
  op: TfliteOperator;
  what: string;
  /** The constant behind a tensor index (through a DEQUANTIZE), or undefined for computed tensors. */
  constantTensor: (index: number) => TfliteTensor | undefined;
  /** Float constants as tensors (created once, owned by the model). */
  constant: (index: number) => tf.Tensor;
  keep: <T extends tf.Tensor>(t: T) => T;
}

function tensorAt(graph: TfliteGraph, index: number | undefined, what: string): TfliteTensor {
  const t = index === undefined ? undefined : graph.tensors[index];
  if (!t) throw new Error(`TFLite ${what}: missing input`);
  return t;
}

/** An activation applied after an op (for ops whose fused activation TF.js cannot fold in). */
function applyActivation(y: tf.Tensor, activation: Activation, what: string): tf.Tensor {
  switch (activation) {
    case 'none':
      return y;
    case 'relu':
      return tf.relu(y);
    case 'relu6':
      return tf.relu6(y);
    case 'relu_n1_to_1':
      return tf.clipByValue(y, -1, 1);
    case 'tanh':
      return tf.tanh(y);
    default:
      throw new Error(`TFLite ${what}: fused activation ${activation} is not supported`);
  }
}

function positive(value: number, name: string, what: string): number {
  if (!Number.isInteger(value) || value < 1 || value > 1024) throw new Error(`TFLite ${what}: ${name} ${value}`);
  return value;
}

/**
 * CONV_2D and DEPTHWISE_CONV_2D. TFLite filters are [out, kh, kw, in] (conv: transposed to TF.js's HWIO) and
 * [1, kh, kw, in·multiplier] (depthwise: output channel c·multiplier + m, which is TF.js's [kh, kw, in, multiplier]
 * read in order, so a reshape suffices).
 */
function compileConv(ctx: CompileContext, extra?: FusedActivation): Step['run'] {
  const { op, what } = ctx;
  const options = op.options;
  const depthwise = op.code === Op.DEPTHWISE_CONV_2D;
  if (options?.kind !== (depthwise ? 'depthwiseConv2d' : 'conv2d')) throw new Error(`TFLite ${what}: no options`);
  const w = ctx.constantTensor(op.inputs[1] ?? -1);
  if (!w || w.shape.length !== 4) throw new Error(`TFLite ${what}: only constant 4-D filters are supported`);
  const [outC, kh, kw, inC] = w.shape as [number, number, number, number];
  const strides: [number, number] = [
    positive(options.strideH, 'stride', what),
    positive(options.strideW, 'stride', what),
  ];
  const dilations: [number, number] = [
    positive(options.dilationH, 'dilation', what),
    positive(options.dilationW, 'dilation', what),
  ];
  if ((strides[0] > 1 || strides[1] > 1) && (dilations[0] > 1 || dilations[1] > 1))
    throw new Error(`TFLite ${what}: strides > 1 together with dilations > 1 is not supported by TF.js`);
  const biasIndex = op.inputs[2];
  const bias = biasIndex !== undefined && biasIndex >= 0 ? (ctx.constant(biasIndex) as tf.Tensor1D) : undefined;
  if (bias && bias.size !== (depthwise ? inC : outC)) throw new Error(`TFLite ${what}: bias size ${bias.size}`);

  const weights = constantFloats(w);
  let filter: tf.Tensor4D;
  let inChannels: number;
  if (depthwise) {
    if (outC !== 1) throw new Error(`TFLite ${what}: depthwise filter [${w.shape}] should start with 1`);
    const multiplier = options.kind === 'depthwiseConv2d' ? options.depthMultiplier : 1;
    // Older files may leave depth_multiplier 0; the filter's channel count is what counts.
    const mult = multiplier >= 1 && inC % multiplier === 0 ? multiplier : 1;
    inChannels = inC / mult;
    filter = ctx.keep(tf.tensor4d(weights, [kh, kw, inChannels, mult]));
  } else {
    inChannels = inC;
    filter = ctx.keep(hwioFilter(weights, [outC, kh, kw, inC]));
  }

  let activation = extra;
  let after: Activation = 'none';
  if (options.activation === 'relu' || options.activation === 'relu6') {
    if (activation) throw new Error(`TFLite ${what}: two activations`);
    activation = { kind: options.activation };
  } else after = options.activation;
  const fused = {
    bias,
    activation: activation?.kind,
    preluActivationWeights: activation?.kind === 'prelu' ? activation.slope : undefined,
  };
  const pad = options.padding;

  return ([x]) => {
    if (!x || x.rank !== 4 || x.shape[3] !== inChannels)
      throw new Error(`TFLite ${what}: input [${x?.shape}] does not have the filter's ${inChannels} channels`);
    const args = { x: x as tf.Tensor4D, filter, strides, pad, dilations, ...fused };
    const y = depthwise ? tf.fused.depthwiseConv2d(args) : tf.fused.conv2d(args);
    return applyActivation(y, after, what);
  };
}

/**
 * A conv filter [out, kh, kw, in] as TF.js's [kh, kw, in, out]. Outside compileConv: a closure there that read the
 * weights would keep them (megabytes per model) alive in every step's context for as long as the model lives.
 */
function hwioFilter(weights: Float32Array, shape: [number, number, number, number]): tf.Tensor4D {
  return tf.tidy(() => tf.transpose(tf.tensor4d(weights, shape), [1, 2, 3, 0]));
}

/** ADD, SUB, MUL with broadcasting and a fused activation. */
function compileBinary(ctx: CompileContext, f: (a: tf.Tensor, b: tf.Tensor) => tf.Tensor): Step['run'] {
  const { op, what } = ctx;
  const activation = op.options?.kind === 'activation' ? op.options.activation : 'none';
  return ([a, b]) => applyActivation(f(a!, b!), activation, what);
}

/**
 * PRELU: tf.prelu for a per-channel slope (the WASM kernel indexes the slope by `i % size`, so only a slope that is
 * size-1 everywhere but the channel axis may go there); relu(x) + slope·min(x, 0) otherwise.
 */
function prelu(x: tf.Tensor, slope: tf.Tensor): tf.Tensor {
  const channels = x.shape[x.rank - 1];
  const perChannel =
    slope.rank <= x.rank && slope.shape.every((d, i) => d === 1 || (i === slope.rank - 1 && d === channels));
  if (perChannel) return tf.prelu(x, tf.reshape(slope, [slope.size]));
  return tf.add(tf.relu(x), tf.mul(slope, tf.minimum(x, 0)));
}

/**
 * RESHAPE to new_shape (or the constant second input). A batch-sized first dimension follows the batch the model
 * is run with (files fix the batch in their reshape targets; TF.js runs any batch).
 */
function compileReshape(ctx: CompileContext, declaredBatch: number): Step['run'] {
  const { graph, op, what } = ctx;
  const shapeInput = op.inputs[1];
  let target = op.options?.kind === 'reshape' && op.options.newShape.length ? op.options.newShape : undefined;
  if (!target && shapeInput !== undefined && shapeInput >= 0) {
    const t = ctx.constantTensor(shapeInput);
    if (!t) throw new Error(`TFLite ${what}: only a constant target shape is supported`);
    target = constantInts(t);
  }
  if (!target) target = tensorAt(graph, op.outputs[0], what).shape;
  const shape = target;
  if (shape.some((d) => !Number.isInteger(d) || d < -1)) throw new Error(`TFLite ${what}: target [${shape}]`);
  return ([x]) => {
    const batch = x!.shape[0];
    const out = shape.map((d, i) => (i === 0 && d === declaredBatch && batch !== declaredBatch ? batch! : d));
    return tf.reshape(x!, out);
  };
}

/** The kernels, by builtin op code. A Map, so an unknown code is simply absent. */
const KERNELS = new Map<number, (ctx: CompileContext, declaredBatch: number) => Step['run']>([
  [Op.CONV_2D, (ctx) => compileConv(ctx)],
  [Op.DEPTHWISE_CONV_2D, (ctx) => compileConv(ctx)],
  [Op.ADD, (ctx) => compileBinary(ctx, tf.add)],
  [Op.SUB, (ctx) => compileBinary(ctx, tf.sub)],
  [Op.MUL, (ctx) => compileBinary(ctx, tf.mul)],
  [
    Op.RELU,
    () =>
      ([x]) =>
        tf.relu(x!),
  ],
  [
    Op.RELU6,
    () =>
      ([x]) =>
        tf.relu6(x!),
  ],
  [
    Op.ABS,
    () =>
      ([x]) =>
        tf.abs(x!),
  ],
  [
    Op.PRELU,
    () =>
      ([x, slope]) =>
        prelu(x!, slope!),
  ],
  [Op.RESHAPE, compileReshape],
  // Only ever on constants (float16 or quantized weights), which are widened at load: see the constructor.
  [
    Op.DEQUANTIZE,
    () =>
      ([x]) =>
        x!,
  ],
]);

export interface TfliteModelOptions {
  /** Apply the PReLU and conv+activation rewrites (default true; false runs the file's ops one by one). */
  fuse?: boolean;
}

/** A float value the graph computes: index of the producing op and of its consumers. */
interface Usage {
  producer?: number;
  consumers: number[];
}

export class TfliteGraphModel {
  readonly graph: TfliteGraph;
  readonly input: TfliteTensor;
  readonly output: TfliteTensor;
  private readonly steps: Step[] = [];
  /** Every tensor the model owns (weights prepared at load), freed by dispose(). */
  private readonly owned: tf.Tensor[] = [];
  /** Constant inputs read at run time (biases of elementwise ops, slopes …), by tensor index. */
  private readonly constants = new Map<number, tf.Tensor>();
  /** Per step, the tensor indices whose last use it is (freed early to keep peak memory down). */
  private readonly frees: number[][] = [];
  private disposed = false;

  private constructor(graph: TfliteGraph, options: TfliteModelOptions) {
    this.graph = graph;
    const keep = <T extends tf.Tensor>(t: T): T => {
      this.owned.push(t);
      return t;
    };
    try {
      if (graph.inputs.length !== 1 || graph.outputs.length !== 1)
        throw new Error(
          `TFLite: expected one input and one output, found ${graph.inputs.length} and ${graph.outputs.length}`,
        );
      this.input = graph.tensors[graph.inputs[0]!]!;
      this.output = graph.tensors[graph.outputs[0]!]!;
      for (const t of [this.input, this.output]) {
        if (t.type !== TensorType.FLOAT32)
          throw new Error(`TFLite: tensor '${t.name}' is ${tensorTypeName(t.type)}, only float32 models are supported`);
      }
      const unsupported = graph.operators.filter((op) => !KERNELS.has(op.code));
      if (unsupported.length) {
        const names = [...new Set(unsupported.map((op) => op.customCode ?? operatorName(op.code)))];
        throw new Error(`TFLite: unsupported op(s): ${names.join(', ')}`);
      }
      for (const op of graph.operators) {
        if (op.code === Op.DEQUANTIZE && !graph.tensors[op.inputs[0] ?? -1]?.data)
          throw new Error('TFLite: DEQUANTIZE of a computed tensor (a quantized model) is not supported');
      }
      // DEQUANTIZE outputs stand for their (widened) constant input.
      const dequantized = new Map<number, TfliteTensor>();
      for (const op of graph.operators)
        if (op.code === Op.DEQUANTIZE) dequantized.set(op.outputs[0]!, graph.tensors[op.inputs[0]!]!);
      const constantTensor = (index: number): TfliteTensor | undefined =>
        dequantized.get(index) ?? (graph.tensors[index]?.data ? graph.tensors[index] : undefined);
      const constant = (index: number): tf.Tensor => {
        let t = this.constants.get(index);
        if (!t) {
          const source = constantTensor(index);
          if (!source) throw new Error(`TFLite: tensor ${index} is not a constant`);
          t = keep(tf.tensor(constantFloats(source), source.shape, 'float32'));
          this.constants.set(index, t);
        }
        return t;
      };

      const ops = graph.operators.filter((op) => op.code !== Op.DEQUANTIZE);
      const fuse = options.fuse ?? true;
      const { rewritten, slopes } = fuse ? rewritePrelu(graph, ops, constantTensor) : { rewritten: ops, slopes: [] };
      for (const { index, data, shape } of slopes) this.constants.set(index, keep(tf.tensor(data, shape)));

      // Conv (no fused activation of its own) → RELU / RELU6 / PRELU as its only consumer: one fused conv.
      const usage = usages(rewritten);
      const isOutput = new Set(graph.outputs);
      const skip = new Set<number>();
      const fusedInto = new Map<number, { activation: FusedActivation; outputs: number[] }>();
      if (fuse) {
        rewritten.forEach((op, i) => {
          if (op.code !== Op.RELU && op.code !== Op.RELU6 && op.code !== Op.PRELU) return;
          const x = op.inputs[0]!;
          const src = usage.get(x)?.producer;
          const conv = src === undefined ? undefined : rewritten[src];
          if (src === undefined || !conv || (conv.code !== Op.CONV_2D && conv.code !== Op.DEPTHWISE_CONV_2D)) return;
          const convOptions = conv.options;
          if (!convOptions || !('activation' in convOptions) || convOptions.activation !== 'none') return;
          if (usage.get(x)!.consumers.length !== 1 || isOutput.has(x)) return;
          let activation: FusedActivation;
          if (op.code === Op.PRELU) {
            const slopeIndex = op.inputs[1]!;
            const channels = graph.tensors[x]!.shape[3];
            const slope = this.constants.get(slopeIndex) ?? (constantTensor(slopeIndex) && constant(slopeIndex));
            if (!slope || slope.size !== channels) return;
            activation = { kind: 'prelu', slope: keep(tf.reshape(slope, [slope.size])) };
          } else activation = { kind: op.code === Op.RELU ? 'relu' : 'relu6' };
          fusedInto.set(src, { activation, outputs: op.outputs });
          skip.add(i);
        });
      }

      const declaredBatch = this.input.shape[0] ?? 1;
      rewritten.forEach((op, i) => {
        if (skip.has(i)) return;
        const what = `${operatorName(op.code)} #${graph.operators.indexOf(op)}`;
        const ctx: CompileContext = { graph, op, what, constantTensor, constant, keep };
        const fused = fusedInto.get(i);
        const run = fused ? compileConv(ctx, fused.activation) : KERNELS.get(op.code)!(ctx, declaredBatch);
        // Convolutions and reshapes read only their first input at run time: weights, bias and target shape were
        // prepared here.
        const firstOnly = op.code === Op.CONV_2D || op.code === Op.DEPTHWISE_CONV_2D || op.code === Op.RESHAPE;
        const inputs = firstOnly ? op.inputs.slice(0, 1) : op.inputs.filter((t) => t >= 0);
        for (const t of inputs) if (t !== this.input.index && constantTensor(t)) constant(t);
        this.steps.push({ what, inputs, outputs: fused ? fused.outputs : op.outputs.slice(0, 1), run });
      });

      // Liveness: after its last reader runs, an intermediate tensor can go.
      const lastUse = new Map<number, number>();
      this.steps.forEach((s, i) => s.inputs.forEach((t) => lastUse.set(t, i)));
      this.frees = this.steps.map(() => []);
      for (const [t, i] of lastUse)
        if (t !== this.output.index && t !== this.input.index && !this.constants.has(t)) this.frees[i]!.push(t);
      // The weights are tensors now: the file's bytes, which every constant's data is a view into, are let go.
      for (const t of graph.tensors) delete t.data;
    } catch (e) {
      this.owned.forEach((t) => t.dispose());
      throw e;
    }
  }

  /**
   * Parses and prepares a model (the bytes of a .tflite file). A malformed file or one using an op this executor
   * does not run is ERR_MODEL_LOAD_FAILED, with `metadata` attached.
   */
  static fromBytes(
    bytes: Uint8Array,
    options: TfliteModelOptions = {},
    metadata?: Record<string, unknown>,
  ): TfliteGraphModel {
    try {
      return new TfliteGraphModel(parseTflite(bytes), options);
    } catch (cause) {
      throw new FaceError('ERR_MODEL_LOAD_FAILED', (cause as Error).message, {
        cause,
        ...(metadata ? { metadata } : {}),
      });
    }
  }

  /**
   * Runs the graph on `input` (the model's declared input shape; any batch size). The input is not disposed; the
   * caller disposes the returned tensor.
   */
  execute(input: tf.Tensor): tf.Tensor {
    if (this.disposed) throw new Error('TFLite: the model is disposed');
    const want = this.input.shape;
    if (input.rank !== want.length || input.shape.some((d, i) => i > 0 && d !== want[i]))
      throw new Error(`TFLite: input shape [${input.shape}] does not match the model's [${want}] (any batch)`);
    return tf.tidy(() => {
      const env = new Map<number, tf.Tensor>(this.constants);
      env.set(this.input.index, input);
      this.steps.forEach((step, i) => {
        const ins = step.inputs.map((t) => {
          const v = env.get(t);
          if (!v) throw new Error(`TFLite ${step.what}: input tensor ${t} is not available`);
          return v;
        });
        let y = step.run(ins);
        // An op may hand back an input as-is (a no-op reshape); give it its own handle so freeing one keeps both.
        if (ins.includes(y)) y = tf.clone(y);
        env.set(step.outputs[0]!, y);
        for (const t of this.frees[i]!) {
          env.get(t)?.dispose();
          env.delete(t);
        }
      });
      const out = env.get(this.output.index);
      if (!out) throw new Error(`TFLite: output '${this.output.name}' was not computed`);
      return out === input ? tf.clone(out) : out;
    });
  }

  /** Frees the model's tensors. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.owned.forEach((t) => t.dispose());
    this.owned.length = 0;
    this.constants.clear();
  }
}

function usages(ops: TfliteOperator[]): Map<number, Usage> {
  const usage = new Map<number, Usage>();
  const get = (t: number): Usage => {
    let u = usage.get(t);
    if (!u) usage.set(t, (u = { consumers: [] }));
    return u;
  };
  ops.forEach((op, i) => {
    for (const t of op.inputs) if (t >= 0) get(t).consumers.push(i);
    for (const t of op.outputs) get(t).producer = i;
  });
  return usage;
}

/**
 * Finds relu(x) + c·(x − |x|) — RELU(x), ABS(x), SUB(x, abs), MUL(c, sub), ADD(relu, mul), each intermediate
 * used only there, c a constant — and replaces the five ops by PRELU(x, 2c). The slope gets a new tensor index
 * (past the file's tensors).
 */
function rewritePrelu(
  graph: TfliteGraph,
  ops: TfliteOperator[],
  constantTensor: (index: number) => TfliteTensor | undefined,
): { rewritten: TfliteOperator[]; slopes: { index: number; data: Float32Array; shape: number[] }[] } {
  const usage = usages(ops);
  const noActivation = (op: TfliteOperator) => op.options?.kind !== 'activation' || op.options.activation === 'none';
  const only = (t: number, code: number): [TfliteOperator, number] | undefined => {
    const consumers = usage.get(t)?.consumers ?? [];
    const op = consumers.length === 1 ? ops[consumers[0]!] : undefined;
    return op && op.code === code && noActivation(op) && !graph.outputs.includes(t) ? [op, consumers[0]!] : undefined;
  };
  const removed = new Set<number>();
  const replaced = new Map<number, TfliteOperator>();
  const slopes: { index: number; data: Float32Array; shape: number[] }[] = [];
  ops.forEach((relu, reluAt) => {
    if (relu.code !== Op.RELU) return;
    const x = relu.inputs[0]!;
    const xUsers = (usage.get(x)?.consumers ?? []).map((i) => ops[i]!);
    const abs = xUsers.find((op) => op.code === Op.ABS);
    const sub = xUsers.find((op) => op.code === Op.SUB && op.inputs[0] === x && op.inputs[1] === abs?.outputs[0]);
    if (!abs || !sub || !noActivation(sub)) return;
    if ((usage.get(abs.outputs[0]!)?.consumers.length ?? 0) !== 1) return;
    const mul = only(sub.outputs[0]!, Op.MUL);
    if (!mul) return;
    const cIndex = mul[0].inputs[0] === sub.outputs[0] ? mul[0].inputs[1]! : mul[0].inputs[0]!;
    const c = constantTensor(cIndex);
    const add = only(mul[0].outputs[0]!, Op.ADD);
    const reluUsers = usage.get(relu.outputs[0]!)?.consumers ?? [];
    if (!c || !add || reluUsers.length !== 1 || reluUsers[0] !== add[1]) return;
    if (graph.outputs.includes(relu.outputs[0]!)) return;
    const index = graph.tensors.length + slopes.length;
    slopes.push({ index, data: constantFloats(c).map((v) => 2 * v), shape: c.shape });
    for (const op of [abs, sub, mul[0]]) removed.add(ops.indexOf(op));
    removed.add(reluAt);
    replaced.set(add[1], { code: Op.PRELU, inputs: [x, index], outputs: add[0].outputs, optionsType: 0 });
  });
  const rewritten = ops.flatMap((op, i) => (removed.has(i) ? [] : [replaced.get(i) ?? op]));
  return { rewritten, slopes };
}
