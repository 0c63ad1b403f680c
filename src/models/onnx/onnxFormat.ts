/**
 * The ONNX file format, decoded by hand (no protobufjs): the protobuf wire format and just the parts of onnx.proto
 * an executor needs (graph, nodes, attributes, initializers, declared inputs/outputs). Pure; used by onnxModel.ts.
 */
// ---------------------------------------------------------------------------------------------------------------
// Protobuf wire format
// ---------------------------------------------------------------------------------------------------------------

const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_LEN = 2;
const WIRE_FIXED32 = 5;

const utf8 = new TextDecoder();

/**
 * Sequential reader over one protobuf message (or a length-delimited sub-range of one). Every read moves forward
 * and stays inside its range, so any input — truncated, corrupted or hostile — ends in a result or an Error
 * naming the problem, in time linear in its length.
 */
class ProtoReader {
  private readonly view: DataView;
  pos: number;

  constructor(
    private readonly buf: Uint8Array,
    start = 0,
    readonly end = buf.length,
  ) {
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    this.pos = start;
  }

  get done(): boolean {
    return this.pos >= this.end;
  }

  private byte(): number {
    if (this.pos >= this.end) throw new Error('ONNX: truncated protobuf message');
    return this.buf[this.pos++]!;
  }

  /**
   * A varint as a signed 64-bit integer converted to Number. Up to 7 bytes (49 bits) stay exact in doubles;
   * longer ones — e.g. any negative int64, which protobuf writes as a 10-byte two's complement — go through BigInt.
   * At most 10 bytes, as protobuf allows.
   */
  varint(): number {
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 7; i++) {
      const b = this.byte();
      value += (b & 0x7f) * scale;
      if (b < 0x80) return value;
      scale *= 128;
    }
    let big = BigInt(value);
    let shift = 49n;
    for (;;) {
      const b = this.byte();
      big |= BigInt(b & 0x7f) << shift;
      if (b < 0x80) break;
      shift += 7n;
      if (shift > 63n) throw new Error('ONNX: malformed varint');
    }
    return Number(BigInt.asIntN(64, big));
  }

  /** Field number and wire type of the next field. Field numbers are 1 … 2²⁹ − 1. */
  tag(): [field: number, wire: number] {
    const t = this.varint();
    const field = Math.floor(t / 8);
    if (field < 1 || field > 0x1fffffff) throw new Error(`ONNX: malformed protobuf field tag ${t}`);
    return [field, t & 7];
  }

  /** A length prefix: a varint that must fit in what is left of this message (a negative one would read backwards). */
  private length(): number {
    const len = this.varint();
    if (len < 0 || len > this.end - this.pos) {
      throw new Error(len < 0 ? `ONNX: malformed protobuf length ${len}` : 'ONNX: truncated protobuf message');
    }
    return len;
  }

  private advance(n: number): number {
    const at = this.pos;
    if (n > this.end - at) throw new Error('ONNX: truncated protobuf message');
    this.pos += n;
    return at;
  }

  float32(): number {
    return this.view.getFloat32(this.advance(4), true);
  }

  /** A length-delimited field's payload as a sub-reader; advances past it. */
  sub(): ProtoReader {
    const len = this.length();
    const start = this.advance(len);
    return new ProtoReader(this.buf, start, start + len);
  }

  /** A length-delimited field's payload as bytes (a view into the model buffer, not a copy). */
  bytes(): Uint8Array {
    const r = this.sub();
    return this.buf.subarray(r.pos, r.end);
  }

  string(): string {
    return utf8.decode(this.bytes());
  }

  /** Appends a repeated int field's values: packed (one length-delimited run) or one varint per occurrence. */
  repeatedVarint(wire: number, out: number[]): void {
    if (wire === WIRE_LEN) {
      const r = this.sub();
      while (!r.done) out.push(r.varint());
    } else out.push(this.varint());
  }

  /** Appends a repeated float field's values: packed or one fixed32 per occurrence. */
  repeatedFloat(wire: number, out: number[]): void {
    if (wire === WIRE_LEN) {
      const r = this.sub();
      while (!r.done) out.push(r.float32());
    } else out.push(this.float32());
  }

  skip(wire: number): void {
    switch (wire) {
      case WIRE_VARINT:
        this.varint();
        return;
      case WIRE_FIXED64:
        this.advance(8);
        return;
      case WIRE_LEN:
        this.sub();
        return;
      case WIRE_FIXED32:
        this.advance(4);
        return;
      default:
        throw new Error(`ONNX: unsupported protobuf wire type ${wire}`);
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// onnx.proto, as far as it is read here (field numbers from onnx/onnx.proto)
// ---------------------------------------------------------------------------------------------------------------

/** TensorProto.DataType values this loader decodes. */
const DT_FLOAT = 1;
const DT_UINT8 = 2;
const DT_INT8 = 3;
const DT_INT32 = 6;
const DT_INT64 = 7;
const DT_BOOL = 9;
const DT_DOUBLE = 11;

export interface OnnxTensorProto {
  name: string;
  dims: number[];
  /** TensorProto.DataType (1 float, 6 int32, 7 int64 …). */
  dataType: number;
  /**
   * The elements: float32 for FLOAT/DOUBLE, int32 for the integer types. INT64 values are narrowed to int32,
   * saturating (INT64_MAX in a Slice end means "to the end" either way); shapes and axes fit.
   */
  data: Float32Array | Int32Array;
}

export type OnnxAttribute =
  | { type: 'float'; value: number }
  | { type: 'int'; value: number }
  | { type: 'string'; value: string }
  | { type: 'tensor'; value: OnnxTensorProto }
  | { type: 'floats'; value: number[] }
  | { type: 'ints'; value: number[] };

export interface OnnxNode {
  name: string;
  opType: string;
  /** Operator set domain; '' is the default ONNX domain. */
  domain: string;
  /** Input value names; '' marks an omitted optional input. */
  inputs: string[];
  outputs: string[];
  attributes: Map<string, OnnxAttribute>;
}

export interface OnnxValueInfo {
  name: string;
  /** Tensor element type (TensorProto.DataType), 0 when not given. */
  elemType: number;
  /** Dimensions: a number, a symbolic name (e.g. 'batch'), or null when unknown. Undefined when no shape given. */
  shape?: (number | string | null)[];
}

export interface OnnxGraph {
  /** Version of the default ('' / 'ai.onnx') operator set, 0 if the model does not declare it. */
  opsetVersion: number;
  nodes: OnnxNode[];
  initializers: OnnxTensorProto[];
  /** Graph inputs, excluding those that are initializers (older exporters list weights as inputs too). */
  inputs: OnnxValueInfo[];
  outputs: OnnxValueInfo[];
}

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;

function checkRawLength(name: string, raw: Uint8Array, bytesPer: number): void {
  if (raw.byteLength % bytesPer !== 0) {
    throw new Error(
      `ONNX: tensor '${name}' has ${raw.byteLength} bytes of raw data, not a multiple of its element size ${bytesPer}`,
    );
  }
}

function parseTensor(r: ProtoReader): OnnxTensorProto {
  let name = '';
  let dataType = 0;
  const dims: number[] = [];
  const floats: number[] = [];
  const ints: number[] = [];
  let raw: Uint8Array | undefined;
  while (!r.done) {
    const [field, wire] = r.tag();
    if (field === 1) r.repeatedVarint(wire, dims);
    else if (field === 2) dataType = r.varint();
    else if (field === 4) r.repeatedFloat(wire, floats);
    else if (field === 5 || field === 7)
      r.repeatedVarint(wire, ints); // int32_data / int64_data
    else if (field === 8) name = r.string();
    else if (field === 9) raw = r.bytes();
    else if (field === 13 || (field === 14 && r.varint() === 1)) {
      // external_data / data_location = EXTERNAL: the weights live in another file, which this loader does not read.
      throw new Error(`ONNX: tensor '${name}' uses external data, which is not supported`);
    } else if (field !== 14) r.skip(wire);
  }
  if (dims.some((d) => !(d >= 0 && d <= INT32_MAX)))
    throw new Error(`ONNX: tensor '${name}' has invalid dims [${dims.join(',')}]`);
  const size = dims.reduce((a, b) => a * b, 1);
  let data: Float32Array | Int32Array;
  if (dataType === DT_FLOAT || dataType === DT_DOUBLE) {
    if (raw) {
      // Copy: raw_data is not guaranteed to be 4-byte aligned within the model file. Little-endian per the spec.
      const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
      const bytesPer = dataType === DT_FLOAT ? 4 : 8;
      checkRawLength(name, raw, bytesPer);
      data = new Float32Array(raw.byteLength / bytesPer);
      for (let i = 0; i < data.length; i++) {
        data[i] = bytesPer === 4 ? dv.getFloat32(i * 4, true) : dv.getFloat64(i * 8, true);
      }
    } else data = Float32Array.from(floats); // double_data (field 10) is not decoded
  } else if ([DT_INT64, DT_INT32, DT_INT8, DT_UINT8, DT_BOOL].includes(dataType)) {
    let values: ArrayLike<number> = ints;
    if (raw) {
      const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
      checkRawLength(name, raw, dataType === DT_INT64 ? 8 : dataType === DT_INT32 ? 4 : 1);
      const out: number[] = [];
      if (dataType === DT_INT64) for (let o = 0; o < raw.byteLength; o += 8) out.push(Number(dv.getBigInt64(o, true)));
      else if (dataType === DT_INT32) for (let o = 0; o < raw.byteLength; o += 4) out.push(dv.getInt32(o, true));
      else if (dataType === DT_INT8) for (let o = 0; o < raw.byteLength; o++) out.push(dv.getInt8(o));
      else for (let o = 0; o < raw.byteLength; o++) out.push(dv.getUint8(o));
      values = out;
    }
    data = new Int32Array(values.length);
    for (let i = 0; i < values.length; i++) data[i] = Math.min(INT32_MAX, Math.max(INT32_MIN, values[i]!));
  } else {
    throw new Error(`ONNX: tensor '${name}' has unsupported data type ${dataType}`);
  }
  if (data.length !== size) {
    throw new Error(`ONNX: tensor '${name}' has ${data.length} elements, its dims [${dims.join(',')}] need ${size}`);
  }
  return { name, dims, dataType, data };
}

/** AttributeProto.AttributeType values. */
const ATTR_TYPES = new Map<number, OnnxAttribute['type']>([
  [1, 'float'],
  [2, 'int'],
  [3, 'string'],
  [4, 'tensor'],
  [6, 'floats'],
  [7, 'ints'],
]);

function parseAttribute(r: ProtoReader): [string, OnnxAttribute | undefined] {
  let name = '';
  let typeCode = 0;
  let f: number | undefined;
  let i: number | undefined;
  let s: string | undefined;
  let t: OnnxTensorProto | undefined;
  const floats: number[] = [];
  const ints: number[] = [];
  while (!r.done) {
    const [field, wire] = r.tag();
    if (field === 1) name = r.string();
    else if (field === 2) f = r.float32();
    else if (field === 3) i = r.varint();
    else if (field === 4) s = r.string();
    else if (field === 5) t = parseTensor(r.sub());
    else if (field === 7) r.repeatedFloat(wire, floats);
    else if (field === 8) r.repeatedVarint(wire, ints);
    else if (field === 20) typeCode = r.varint();
    else r.skip(wire);
  }
  // IR ≥ 2 sets `type`; for older files infer it from the field that is present.
  let type = ATTR_TYPES.get(typeCode);
  if (typeCode === 0) {
    if (f !== undefined) type = 'float';
    else if (i !== undefined) type = 'int';
    else if (s !== undefined) type = 'string';
    else if (t !== undefined) type = 'tensor';
    else if (floats.length) type = 'floats';
    else if (ints.length) type = 'ints';
  }
  switch (type) {
    case 'float':
      return [name, { type, value: f ?? 0 }];
    case 'int':
      return [name, { type, value: i ?? 0 }];
    case 'string':
      return [name, { type, value: s ?? '' }];
    case 'tensor':
      if (!t) throw new Error(`ONNX: attribute '${name}' has no tensor`);
      return [name, { type, value: t }];
    case 'floats':
      return [name, { type, value: floats }];
    case 'ints':
      return [name, { type, value: ints }];
    default:
      // Graph / sparse / string-list attributes: kept out of the map; an op that needs one fails on its absence.
      return [name, undefined];
  }
}

function parseNode(r: ProtoReader): OnnxNode {
  const node: OnnxNode = { name: '', opType: '', domain: '', inputs: [], outputs: [], attributes: new Map() };
  while (!r.done) {
    const [field, wire] = r.tag();
    if (field === 1) node.inputs.push(r.string());
    else if (field === 2) node.outputs.push(r.string());
    else if (field === 3) node.name = r.string();
    else if (field === 4) node.opType = r.string();
    else if (field === 5) {
      const [name, attr] = parseAttribute(r.sub());
      if (attr) node.attributes.set(name, attr);
    } else if (field === 7) node.domain = r.string();
    else r.skip(wire);
  }
  return node;
}

/** ValueInfoProto { name = 1; type = 2 } → TypeProto { tensor_type = 1 } → { elem_type = 1; shape = 2 }. */
function parseValueInfo(r: ProtoReader): OnnxValueInfo {
  const info: OnnxValueInfo = { name: '', elemType: 0 };
  while (!r.done) {
    const [field, wire] = r.tag();
    if (field === 1) info.name = r.string();
    else if (field === 2) {
      const type = r.sub();
      while (!type.done) {
        const [tf_, tw] = type.tag();
        if (tf_ !== 1) {
          type.skip(tw);
          continue;
        }
        const tensorType = type.sub();
        while (!tensorType.done) {
          const [ttf, ttw] = tensorType.tag();
          if (ttf === 1) info.elemType = tensorType.varint();
          else if (ttf === 2) info.shape = parseShape(tensorType.sub());
          else tensorType.skip(ttw);
        }
      }
    } else r.skip(wire);
  }
  return info;
}

/** TensorShapeProto { repeated Dimension dim = 1 }, Dimension { dim_value = 1 | dim_param = 2 }. */
function parseShape(r: ProtoReader): (number | string | null)[] {
  const dims: (number | string | null)[] = [];
  while (!r.done) {
    const [field, wire] = r.tag();
    if (field !== 1) {
      r.skip(wire);
      continue;
    }
    const d = r.sub();
    let dim: number | string | null = null;
    while (!d.done) {
      const [df, dw] = d.tag();
      if (df === 1) {
        dim = d.varint();
        if (dim < 0) throw new Error(`ONNX: negative dimension ${dim} in a declared shape`);
      } else if (df === 2) dim = d.string();
      else d.skip(dw);
    }
    dims.push(dim);
  }
  return dims;
}

function parseGraph(r: ProtoReader, opsetVersion: number): OnnxGraph {
  const graph: OnnxGraph = { opsetVersion, nodes: [], initializers: [], inputs: [], outputs: [] };
  while (!r.done) {
    const [field, wire] = r.tag();
    if (field === 1) graph.nodes.push(parseNode(r.sub()));
    else if (field === 5) graph.initializers.push(parseTensor(r.sub()));
    else if (field === 11) graph.inputs.push(parseValueInfo(r.sub()));
    else if (field === 12) graph.outputs.push(parseValueInfo(r.sub()));
    else r.skip(wire);
  }
  const weights = new Set(graph.initializers.map((t) => t.name));
  graph.inputs = graph.inputs.filter((v) => !weights.has(v.name));
  return graph;
}

/**
 * Decodes an ONNX ModelProto: graph (field 7) and the default-domain opset version (opset_import, field 8).
 * Pure; tensors' data are copied out of `bytes`.
 */
export function parseOnnx(bytes: Uint8Array): OnnxGraph {
  const r = new ProtoReader(bytes);
  let graphReader: ProtoReader | undefined;
  let opsetVersion = 0;
  while (!r.done) {
    const [field, wire] = r.tag();
    if (field === 7) graphReader = r.sub();
    else if (field === 8) {
      // OperatorSetIdProto { domain = 1; version = 2 }
      const o = r.sub();
      let domain = '';
      let version = 0;
      while (!o.done) {
        const [of, ow] = o.tag();
        if (of === 1) domain = o.string();
        else if (of === 2) version = o.varint();
        else o.skip(ow);
      }
      if (domain === '' || domain === 'ai.onnx') opsetVersion = version;
    } else r.skip(wire);
  }
  if (!graphReader) throw new Error('ONNX: the model has no graph');
  return parseGraph(graphReader, opsetVersion);
}
