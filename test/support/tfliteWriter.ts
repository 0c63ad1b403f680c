import type { BuiltinOptions, TfliteGraph } from '../../src/models/tflite/tfliteFormat';

/**
 * Writes a TfliteGraph (as parseTflite returns it) back into a TFLite flatbuffer, so tests can build variants of
 * a model: other ops, float16 weights behind DEQUANTIZE, broken indices. A forward-only writer: every table is
 * preceded by its own vtable and followed by what it refers to (FlatBuffers offsets point forward), each scalar
 * field in a 4-byte slot.
 */

type Field =
  | { kind: 'i8' | 'u8' | 'i32' | 'u32' | 'f32'; value: number }
  | { kind: 'ref'; write: (w: Writer) => number }
  | undefined;

class Writer {
  private buf = new Uint8Array(1 << 16);
  private view = new DataView(this.buf.buffer);
  length = 0;

  private ensure(n: number): void {
    if (this.length + n <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.length + n));
    next.set(this.buf);
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  align(n: number): void {
    const pad = (n - (this.length % n)) % n;
    this.ensure(pad);
    this.length += pad;
  }

  reserve(n: number): number {
    this.ensure(n);
    const at = this.length;
    this.length += n;
    return at;
  }

  setU16(at: number, v: number): void {
    this.view.setUint16(at, v, true);
  }
  setI32(at: number, v: number): void {
    this.view.setInt32(at, v, true);
  }
  setU32(at: number, v: number): void {
    this.view.setUint32(at, v, true);
  }
  setF32(at: number, v: number): void {
    this.view.setFloat32(at, v, true);
  }
  setU8(at: number, v: number): void {
    this.view.setUint8(at, v & 0xff);
  }
  setBytes(at: number, bytes: Uint8Array): void {
    this.buf.set(bytes, at);
  }

  /** Points the uoffset at `at` to `target` (which must lie after it). */
  patch(at: number, target: number): void {
    this.setU32(at, target - at);
  }

  table(fields: Field[]): number {
    this.align(4);
    const vtableSize = 4 + 2 * fields.length;
    const vtable = this.reserve(vtableSize);
    this.align(4);
    const table = this.reserve(4 + 4 * fields.length);
    this.setI32(table, table - vtable);
    this.setU16(vtable, vtableSize);
    this.setU16(vtable + 2, 4 + 4 * fields.length);
    const refs: [number, (w: Writer) => number][] = [];
    fields.forEach((f, i) => {
      if (!f) return this.setU16(vtable + 4 + 2 * i, 0);
      const at = table + 4 + 4 * i;
      this.setU16(vtable + 4 + 2 * i, at - table);
      if (f.kind === 'ref') refs.push([at, f.write]);
      else if (f.kind === 'i8' || f.kind === 'u8') this.setU8(at, f.value);
      else if (f.kind === 'f32') this.setF32(at, f.value);
      else if (f.kind === 'u32') this.setU32(at, f.value);
      else this.setI32(at, f.value);
    });
    for (const [at, write] of refs) this.patch(at, write(this));
    return table;
  }

  bytes(data: Uint8Array, align = 4): number {
    this.align(Math.max(4, align));
    // The length prefix sits right before the data, which is aligned to `align`.
    const pad = (align - ((this.length + 4) % align)) % align;
    this.reserve(pad);
    const at = this.reserve(4 + data.length);
    this.setU32(at, data.length);
    this.setBytes(at + 4, data);
    return at;
  }

  i32s(values: number[]): number {
    this.align(4);
    const at = this.reserve(4 + 4 * values.length);
    this.setU32(at, values.length);
    values.forEach((v, i) => this.setI32(at + 4 + 4 * i, v));
    return at;
  }

  string(s: string): number {
    return this.bytes(new TextEncoder().encode(`${s}\0`).subarray(0, -1));
  }

  tables(items: Field[][]): number {
    this.align(4);
    const at = this.reserve(4 + 4 * items.length);
    this.setU32(at, items.length);
    items.forEach((fields, i) => this.patch(at + 4 + 4 * i, this.table(fields)));
    return at;
  }

  result(): Uint8Array {
    return this.buf.slice(0, this.length);
  }
}

const ref = (write: (w: Writer) => number): Field => ({ kind: 'ref', write });
const i32 = (value: number): Field => ({ kind: 'i32', value });
const i8 = (value: number): Field => ({ kind: 'i8', value });

const PADDING = { same: 0, valid: 1 };
const ACTIVATION = { none: 0, relu: 1, relu_n1_to_1: 2, relu6: 3, tanh: 4, sign_bit: 5 };

/** The BuiltinOptions union type and table fields of decoded options (see parseOptions). */
function optionsFields(code: number, o: BuiltinOptions): [number, Field[]] {
  switch (o.kind) {
    case 'conv2d':
      return [
        1,
        [
          i8(PADDING[o.padding]),
          i32(o.strideW),
          i32(o.strideH),
          i8(ACTIVATION[o.activation]),
          i32(o.dilationW),
          i32(o.dilationH),
        ],
      ];
    case 'depthwiseConv2d':
      return [
        2,
        [
          i8(PADDING[o.padding]),
          i32(o.strideW),
          i32(o.strideH),
          i32(o.depthMultiplier),
          i8(ACTIVATION[o.activation]),
          i32(o.dilationW),
          i32(o.dilationH),
        ],
      ];
    case 'activation':
      // ADD 0 → AddOptions 11, MUL 18 → MulOptions 21, SUB 41 → SubOptions 28.
      return [code === 0 ? 11 : code === 18 ? 21 : 28, [i8(ACTIVATION[o.activation])]];
    case 'reshape':
      return [17, [ref((w) => w.i32s(o.newShape))]];
  }
}

export function writeTflite(graph: TfliteGraph, version = graph.version): Uint8Array {
  const codes = [...new Set(graph.operators.map((op) => op.code))];
  const buffers: Uint8Array[] = [new Uint8Array(0)];
  const bufferOf = graph.tensors.map((t) => (t.data ? buffers.push(t.data) - 1 : 0));
  const w = new Writer();
  const root = w.reserve(4);
  w.patch(
    root,
    w.table([
      { kind: 'u32', value: version },
      ref((w) => w.tables(codes.map((c) => [i8(Math.min(c, 127)), undefined, i32(1), i32(c)]))),
      ref((w) =>
        w.tables([
          [
            ref((w) =>
              w.tables(
                graph.tensors.map((t, i) => [
                  ref((w) => w.i32s(t.shape)),
                  i8(t.type),
                  { kind: 'u32', value: bufferOf[i]! },
                  ref((w) => w.string(t.name)),
                ]),
              ),
            ),
            ref((w) => w.i32s(graph.inputs)),
            ref((w) => w.i32s(graph.outputs)),
            ref((w) =>
              w.tables(
                graph.operators.map((op) => {
                  const [type, fields] = op.options ? optionsFields(op.code, op.options) : [0, []];
                  return [
                    { kind: 'u32', value: codes.indexOf(op.code) },
                    ref((w) => w.i32s(op.inputs)),
                    ref((w) => w.i32s(op.outputs)),
                    { kind: 'u8', value: type },
                    type ? ref((w) => w.table(fields)) : undefined,
                  ];
                }),
              ),
            ),
          ],
        ]),
      ),
      undefined,
      ref((w) => w.tables(buffers.map((b) => [b.length ? ref((w) => w.bytes(b, 16)) : undefined]))),
    ]),
  );
  return w.result();
}
