/**
 * The TFLite file format, decoded by hand (no flatbuffers library): the FlatBuffers binary layout and just the
 * parts of tensorflow/lite/schema/schema.fbs an executor needs (the first subgraph's tensors, inputs, outputs and
 * operators; operator codes; buffers; the builtin options of the ops tfliteModel.ts runs). Pure; used by
 * tfliteModel.ts.
 */

// ---------------------------------------------------------------------------------------------------------------
// FlatBuffers binary layout
// ---------------------------------------------------------------------------------------------------------------

const utf8 = new TextDecoder();

/**
 * Bounds-checked access to a FlatBuffers buffer. Every read checks its range against the buffer, so any input —
 * truncated, corrupted or hostile — ends in a result or an Error naming the problem. Tables are only reached
 * through the schema's fixed nesting (model → subgraph → operator → options), so reading cannot loop.
 */
class FlatBuffer {
  readonly view: DataView;

  constructor(readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  check(at: number, size: number, what: string): void {
    if (!(at >= 0 && size >= 0 && at + size <= this.bytes.length))
      throw new Error(`TFLite: ${what} at byte ${at} runs past the end of the ${this.bytes.length}-byte file`);
  }

  u8(at: number): number {
    this.check(at, 1, 'a byte');
    return this.view.getUint8(at);
  }

  i8(at: number): number {
    this.check(at, 1, 'a byte');
    return this.view.getInt8(at);
  }

  u16(at: number): number {
    this.check(at, 2, 'a 16-bit value');
    return this.view.getUint16(at, true);
  }

  i32(at: number): number {
    this.check(at, 4, 'a 32-bit value');
    return this.view.getInt32(at, true);
  }

  u32(at: number): number {
    this.check(at, 4, 'a 32-bit value');
    return this.view.getUint32(at, true);
  }

  f32(at: number): number {
    this.check(at, 4, 'a float');
    return this.view.getFloat32(at, true);
  }

  /** A uint64 as a Number; values above 2⁵³ (no real file has them) are rejected rather than rounded. */
  u64(at: number): number {
    this.check(at, 8, 'a 64-bit value');
    const value = this.view.getBigUint64(at, true);
    if (value > BigInt(Number.MAX_SAFE_INTEGER))
      throw new Error(`TFLite: 64-bit value ${value} at byte ${at} too large`);
    return Number(value);
  }

  i64(at: number): number {
    this.check(at, 8, 'a 64-bit value');
    const value = this.view.getBigInt64(at, true);
    if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < -BigInt(Number.MAX_SAFE_INTEGER))
      throw new Error(`TFLite: 64-bit value ${value} at byte ${at} out of range`);
    return Number(value);
  }

  /** Follows a uoffset_t stored at `at` (always forward, relative to where it is stored). */
  indirect(at: number): number {
    const target = at + this.u32(at);
    this.check(target, 0, 'an offset target');
    return target;
  }

  table(at: number, what: string): Table {
    return new Table(this, at, what);
  }
}

/** One FlatBuffers table: its vtable says where (if anywhere) each field is stored. */
class Table {
  private readonly vtable: number;
  private readonly vtableSize: number;

  constructor(
    private readonly fb: FlatBuffer,
    private readonly at: number,
    private readonly what: string,
  ) {
    // soffset_t from the table to its vtable (table position minus the stored value).
    const vtable = at - fb.i32(at);
    fb.check(vtable, 4, `the vtable of ${what}`);
    this.vtable = vtable;
    this.vtableSize = fb.u16(vtable);
    if (this.vtableSize < 4 || this.vtableSize % 2 !== 0)
      throw new Error(`TFLite: malformed vtable (size ${this.vtableSize}) for ${what}`);
    fb.check(vtable, this.vtableSize, `the vtable of ${what}`);
    fb.check(at, fb.u16(vtable + 2), what);
  }

  /** Absolute position of field `index`, or 0 when the field is absent (holds its default). */
  private field(index: number): number {
    const entry = 4 + 2 * index;
    if (entry >= this.vtableSize) return 0;
    const offset = this.fb.u16(this.vtable + entry);
    return offset === 0 ? 0 : this.at + offset;
  }

  has(index: number): boolean {
    return this.field(index) !== 0;
  }

  u8(index: number, fallback = 0): number {
    const p = this.field(index);
    return p ? this.fb.u8(p) : fallback;
  }

  i8(index: number, fallback = 0): number {
    const p = this.field(index);
    return p ? this.fb.i8(p) : fallback;
  }

  bool(index: number, fallback = false): boolean {
    const p = this.field(index);
    return p ? this.fb.u8(p) !== 0 : fallback;
  }

  i32(index: number, fallback = 0): number {
    const p = this.field(index);
    return p ? this.fb.i32(p) : fallback;
  }

  u32(index: number, fallback = 0): number {
    const p = this.field(index);
    return p ? this.fb.u32(p) : fallback;
  }

  f32(index: number, fallback = 0): number {
    const p = this.field(index);
    return p ? this.fb.f32(p) : fallback;
  }

  u64(index: number, fallback = 0): number {
    const p = this.field(index);
    return p ? this.fb.u64(p) : fallback;
  }

  table(index: number, what: string): Table | undefined {
    const p = this.field(index);
    return p ? this.fb.table(this.fb.indirect(p), what) : undefined;
  }

  /** Start and length of a vector field whose elements are `elementSize` bytes; checked to lie in the buffer. */
  private vector(index: number, elementSize: number, what: string): [start: number, length: number] {
    const p = this.field(index);
    if (!p) return [0, 0];
    const v = this.fb.indirect(p);
    const length = this.fb.u32(v);
    this.fb.check(v + 4, length * elementSize, `${what} (${length} elements)`);
    return [v + 4, length];
  }

  string(index: number, what: string): string {
    const [start, length] = this.vector(index, 1, what);
    return utf8.decode(this.fb.bytes.subarray(start, start + length));
  }

  /** A [ubyte] vector as a view into the file (not a copy). */
  bytes(index: number, what: string): Uint8Array {
    const [start, length] = this.vector(index, 1, what);
    return this.fb.bytes.subarray(start, start + length);
  }

  i32s(index: number, what: string): number[] {
    const [start, length] = this.vector(index, 4, what);
    return Array.from({ length }, (_, i) => this.fb.i32(start + 4 * i));
  }

  f32s(index: number, what: string): number[] {
    const [start, length] = this.vector(index, 4, what);
    return Array.from({ length }, (_, i) => this.fb.f32(start + 4 * i));
  }

  i64s(index: number, what: string): number[] {
    const [start, length] = this.vector(index, 8, what);
    return Array.from({ length }, (_, i) => this.fb.i64(start + 8 * i));
  }

  tables(index: number, what: string): Table[] {
    const [start, length] = this.vector(index, 4, what);
    return Array.from({ length }, (_, i) => this.fb.table(this.fb.indirect(start + 4 * i), `${what}[${i}]`));
  }
}

// ---------------------------------------------------------------------------------------------------------------
// schema.fbs, as far as it is read here (field indices from tensorflow/lite/schema/schema.fbs)
// ---------------------------------------------------------------------------------------------------------------

/** TensorType values. */
export const TensorType = {
  FLOAT32: 0,
  FLOAT16: 1,
  INT32: 2,
  UINT8: 3,
  INT64: 4,
  STRING: 5,
  BOOL: 6,
  INT16: 7,
  COMPLEX64: 8,
  INT8: 9,
  FLOAT64: 10,
} as const;

const TENSOR_TYPE_NAMES = new Map(Object.entries(TensorType).map(([name, code]) => [code as number, name]));

export function tensorTypeName(type: number): string {
  return TENSOR_TYPE_NAMES.get(type) ?? `type ${type}`;
}

/** BuiltinOperator codes of the ops tfliteModel.ts knows by name (for messages and dispatch). */
export const BuiltinOperator = {
  ADD: 0,
  CONV_2D: 3,
  DEPTHWISE_CONV_2D: 4,
  DEQUANTIZE: 6,
  MUL: 18,
  RELU: 19,
  RELU6: 21,
  RESHAPE: 22,
  CUSTOM: 32,
  SUB: 41,
  PRELU: 54,
  ABS: 101,
} as const;

const OPERATOR_NAMES = new Map(Object.entries(BuiltinOperator).map(([name, code]) => [code as number, name]));

export function operatorName(code: number): string {
  return OPERATOR_NAMES.get(code) ?? `builtin operator ${code}`;
}

/** Padding enum: SAME = 0, VALID = 1. */
export type Padding = 'same' | 'valid';
/** ActivationFunctionType: NONE = 0, RELU = 1, RELU_N1_TO_1 = 2, RELU6 = 3, TANH = 4, SIGN_BIT = 5. */
export type Activation = 'none' | 'relu' | 'relu_n1_to_1' | 'relu6' | 'tanh' | 'sign_bit';
const ACTIVATIONS: Activation[] = ['none', 'relu', 'relu_n1_to_1', 'relu6', 'tanh', 'sign_bit'];

/** The builtin options of the ops read here, decoded; fields follow schema.fbs names in camelCase. */
export interface Conv2DOptions {
  kind: 'conv2d';
  padding: Padding;
  strideW: number;
  strideH: number;
  activation: Activation;
  dilationW: number;
  dilationH: number;
}
export interface DepthwiseConv2DOptions extends Omit<Conv2DOptions, 'kind'> {
  kind: 'depthwiseConv2d';
  depthMultiplier: number;
}
/** Add, Sub, Mul: a fused activation. */
export interface ActivationOptions {
  kind: 'activation';
  activation: Activation;
}
export interface ReshapeOptions {
  kind: 'reshape';
  newShape: number[];
}
export type BuiltinOptions = Conv2DOptions | DepthwiseConv2DOptions | ActivationOptions | ReshapeOptions;

export interface TfliteQuantization {
  scale: number[];
  zeroPoint: number[];
  quantizedDimension: number;
}

export interface TfliteTensor {
  index: number;
  name: string;
  shape: number[];
  /** TensorType code (TensorType.FLOAT32 …). */
  type: number;
  /** The tensor's constant data (a view into the file), or undefined for activations and inputs. */
  data?: Uint8Array;
  quantization?: TfliteQuantization;
}

export interface TfliteOperator {
  /** BuiltinOperator code (BuiltinOperator.CONV_2D …); CUSTOM for custom ops. */
  code: number;
  /** The custom op's name, for CUSTOM. */
  customCode?: string;
  /** Tensor indices; −1 marks an omitted optional input. */
  inputs: number[];
  outputs: number[];
  /** Decoded builtin options, for the option types read here; undefined for others or when absent. */
  options?: BuiltinOptions;
  /** BuiltinOptions union type (0 = none), kept so an executor can tell "absent" from "not decoded". */
  optionsType: number;
}

export interface TfliteGraph {
  /** Schema version of the file (3 for every current converter). */
  version: number;
  tensors: TfliteTensor[];
  inputs: number[];
  outputs: number[];
  operators: TfliteOperator[];
}

function padding(code: number): Padding {
  if (code === 0) return 'same';
  if (code === 1) return 'valid';
  throw new Error(`TFLite: unknown padding ${code}`);
}

function activation(code: number): Activation {
  const a = ACTIVATIONS[code];
  if (!a) throw new Error(`TFLite: unknown fused activation ${code}`);
  return a;
}

/** BuiltinOptions union type codes read here. */
const OPTIONS_CONV2D = 1;
const OPTIONS_DEPTHWISE_CONV2D = 2;
const OPTIONS_ADD = 11;
const OPTIONS_RESHAPE = 17;
const OPTIONS_MUL = 21;
const OPTIONS_SUB = 28;

function parseOptions(type: number, t: Table): BuiltinOptions | undefined {
  switch (type) {
    case OPTIONS_CONV2D:
      return {
        kind: 'conv2d',
        padding: padding(t.i8(0)),
        strideW: t.i32(1),
        strideH: t.i32(2),
        activation: activation(t.i8(3)),
        dilationW: t.i32(4, 1),
        dilationH: t.i32(5, 1),
      };
    case OPTIONS_DEPTHWISE_CONV2D:
      return {
        kind: 'depthwiseConv2d',
        padding: padding(t.i8(0)),
        strideW: t.i32(1),
        strideH: t.i32(2),
        depthMultiplier: t.i32(3),
        activation: activation(t.i8(4)),
        dilationW: t.i32(5, 1),
        dilationH: t.i32(6, 1),
      };
    case OPTIONS_ADD:
    case OPTIONS_MUL:
    case OPTIONS_SUB:
      return { kind: 'activation', activation: activation(t.i8(0)) };
    case OPTIONS_RESHAPE:
      return { kind: 'reshape', newShape: t.i32s(0, 'ReshapeOptions.new_shape') };
    default:
      return undefined;
  }
}

/** Size in bytes of one element of each fixed-size TensorType. */
const ELEMENT_BYTES = new Map<number, number>([
  [TensorType.FLOAT32, 4],
  [TensorType.FLOAT16, 2],
  [TensorType.INT32, 4],
  [TensorType.UINT8, 1],
  [TensorType.INT64, 8],
  [TensorType.BOOL, 1],
  [TensorType.INT16, 2],
  [TensorType.INT8, 1],
  [TensorType.FLOAT64, 8],
]);

const MAX_RANK = 8;

/**
 * Decodes a TFLite model (schema version 3): the first subgraph, its tensors (with constant data as views into
 * `bytes`), operators and builtin options. Checks what the executor relies on: indices in range, shapes
 * non-negative, constant data exactly as long as shape and type say.
 */
export function parseTflite(bytes: Uint8Array): TfliteGraph {
  if (bytes.length < 8) throw new Error(`TFLite: the file is too short (${bytes.length} bytes)`);
  const fb = new FlatBuffer(bytes);
  // An optional 4-byte file identifier follows the root offset; when present it must be "TFL3".
  const identifier = utf8.decode(bytes.subarray(4, 8));
  if (/^[A-Z0-9]{4}$/.test(identifier) && identifier !== 'TFL3')
    throw new Error(`TFLite: file identifier "${identifier}" is not "TFL3"`);
  const model = fb.table(fb.indirect(0), 'the model');
  const version = model.u32(0);
  if (version !== 3) throw new Error(`TFLite: schema version ${version} is not supported (expected 3)`);

  const opcodes = model.tables(1, 'operator_codes').map((c) => ({
    // builtin_code (field 3, int32) superseded deprecated_builtin_code (field 0, int8) at code 127; writers fill
    // both, and the larger one is the real code.
    code: Math.max(c.i8(0), c.i32(3)),
    customCode: c.has(1) ? c.string(1, 'OperatorCode.custom_code') : undefined,
  }));

  const subgraphs = model.tables(2, 'subgraphs');
  const subgraph = subgraphs[0];
  if (!subgraph) throw new Error('TFLite: the model has no subgraph');

  const buffers = model.tables(4, 'buffers');
  const bufferData = (index: number, what: string): Uint8Array | undefined => {
    // Buffer 0 is the empty sentinel; activations point at it (or at another empty buffer).
    if (index === 0) return undefined;
    const buffer = buffers[index];
    if (!buffer) throw new Error(`TFLite: ${what} refers to buffer ${index}, the file has ${buffers.length}`);
    // Files over 2 GB keep data outside the flatbuffer: offset (from the file start) and size.
    const offset = buffer.u64(1);
    if (offset > 1) {
      const size = buffer.u64(2);
      fb.check(offset, size, `the data of buffer ${index}`);
      return bytes.subarray(offset, offset + size);
    }
    const data = buffer.bytes(0, `buffer ${index}`);
    return data.length ? data : undefined;
  };

  const tensors: TfliteTensor[] = subgraph.tables(0, 'tensors').map((t, index) => {
    const name = t.string(3, `tensor ${index} name`);
    const what = `tensor ${index} '${name}'`;
    const shape = t.i32s(0, `${what} shape`);
    if (shape.length > MAX_RANK || shape.some((d) => d < 0))
      throw new Error(`TFLite: ${what} has invalid shape [${shape.join(',')}]`);
    const type = t.i8(1);
    const data = bufferData(t.u32(2), what);
    if (data) {
      const elementBytes = ELEMENT_BYTES.get(type);
      if (elementBytes === undefined) throw new Error(`TFLite: ${what} holds constant ${tensorTypeName(type)} data`);
      const size = shape.reduce((a, b) => a * b, 1);
      if (data.length !== size * elementBytes) {
        throw new Error(
          `TFLite: ${what} has ${data.length} bytes of data, its ${tensorTypeName(type)} shape [${shape.join(',')}] needs ${size * elementBytes}`,
        );
      }
    }
    const q = t.table(4, `${what} quantization`);
    const scale = q ? q.f32s(2, `${what} quantization scale`) : [];
    const quantization =
      q && scale.length
        ? { scale, zeroPoint: q.i64s(3, `${what} zero points`), quantizedDimension: q.i32(6) }
        : undefined;
    return { index, name, shape, type, data, quantization };
  });

  const tensorIndex = (i: number, what: string, optional: boolean): number => {
    if ((optional && i === -1) || (Number.isInteger(i) && i >= 0 && i < tensors.length)) return i;
    throw new Error(`TFLite: ${what} refers to tensor ${i}, the subgraph has ${tensors.length}`);
  };

  const operators: TfliteOperator[] = subgraph.tables(3, 'operators').map((op, i) => {
    const opcode = opcodes[op.u32(0)];
    if (!opcode) throw new Error(`TFLite: operator ${i} has opcode index ${op.u32(0)}, the file has ${opcodes.length}`);
    const what = `operator ${i} (${operatorName(opcode.code)})`;
    const optionsType = op.u8(3);
    const optionsTable = optionsType ? op.table(4, `${what} options`) : undefined;
    return {
      code: opcode.code,
      customCode: opcode.customCode,
      inputs: op.i32s(1, `${what} inputs`).map((t) => tensorIndex(t, what, true)),
      outputs: op.i32s(2, `${what} outputs`).map((t) => tensorIndex(t, what, false)),
      options: optionsTable ? parseOptions(optionsType, optionsTable) : undefined,
      optionsType,
    };
  });

  return {
    version,
    tensors,
    inputs: subgraph.i32s(1, 'subgraph inputs').map((t) => tensorIndex(t, 'a subgraph input', false)),
    outputs: subgraph.i32s(2, 'subgraph outputs').map((t) => tensorIndex(t, 'a subgraph output', false)),
    operators,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Constant data
// ---------------------------------------------------------------------------------------------------------------

/** IEEE 754 half → float. */
function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const fraction = h & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24;
  if (exponent === 31) return fraction ? NaN : sign * Infinity;
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * A constant tensor's values as float32: FLOAT32 as stored, FLOAT16 widened, INT8/UINT8/INT16/INT32 with
 * quantization parameters dequantized ((q − zero_point) · scale, per channel along quantized_dimension when
 * there are several scales). Copied out of the file (whose data need not be aligned).
 */
export function constantFloats(t: TfliteTensor): Float32Array {
  const data = t.data;
  if (!data) throw new Error(`TFLite: tensor '${t.name}' has no constant data`);
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const size = t.shape.reduce((a, b) => a * b, 1);
  if (t.type === TensorType.FLOAT32 && LITTLE_ENDIAN && data.byteLength >= 4 * size) {
    // TFLite stores little-endian: on a little-endian machine (every browser's) the bytes are the floats; slice()
    // copies them into an aligned buffer (constants need not be 4-byte aligned in the file).
    return new Float32Array(data.slice(0, 4 * size).buffer);
  }
  const out = new Float32Array(size);
  if (t.type === TensorType.FLOAT32) {
    for (let i = 0; i < size; i++) out[i] = dv.getFloat32(4 * i, true);
    return out;
  }
  if (t.type === TensorType.FLOAT16) {
    for (let i = 0; i < size; i++) out[i] = halfToFloat(dv.getUint16(2 * i, true));
    return out;
  }
  const read =
    t.type === TensorType.INT8
      ? (i: number) => dv.getInt8(i)
      : t.type === TensorType.UINT8
        ? (i: number) => dv.getUint8(i)
        : t.type === TensorType.INT16
          ? (i: number) => dv.getInt16(2 * i, true)
          : t.type === TensorType.INT32
            ? (i: number) => dv.getInt32(4 * i, true)
            : undefined;
  const q = t.quantization;
  if (!read || !q) throw new Error(`TFLite: tensor '${t.name}' (${tensorTypeName(t.type)}) is not a float constant`);
  const channels = q.scale.length;
  const axis = q.quantizedDimension;
  if (channels > 1 && (axis < 0 || axis >= t.shape.length || t.shape[axis] !== channels))
    throw new Error(`TFLite: tensor '${t.name}' has ${channels} scales for dimension ${axis} of [${t.shape}]`);
  if (q.zeroPoint.length !== 0 && q.zeroPoint.length !== channels)
    throw new Error(`TFLite: tensor '${t.name}' has ${channels} scales but ${q.zeroPoint.length} zero points`);
  // Elements between consecutive steps of the quantized dimension.
  const inner = channels > 1 ? t.shape.slice(axis + 1).reduce((a, b) => a * b, 1) : 1;
  for (let i = 0; i < size; i++) {
    const c = channels > 1 ? Math.floor(i / inner) % channels : 0;
    out[i] = (read(i) - (q.zeroPoint[c] ?? 0)) * q.scale[c]!;
  }
  return out;
}

/** A constant INT32 (or INT64, narrowed) tensor's values: shapes, axes, paddings. */
export function constantInts(t: TfliteTensor): number[] {
  const data = t.data;
  if (!data) throw new Error(`TFLite: tensor '${t.name}' has no constant data`);
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const size = t.shape.reduce((a, b) => a * b, 1);
  if (t.type === TensorType.INT32) return Array.from({ length: size }, (_, i) => dv.getInt32(4 * i, true));
  if (t.type === TensorType.INT64) return Array.from({ length: size }, (_, i) => Number(dv.getBigInt64(8 * i, true)));
  throw new Error(`TFLite: tensor '${t.name}' (${tensorTypeName(t.type)}) is not an integer constant`);
}
