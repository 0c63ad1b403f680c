/**
 * Batched dot products of one query against many contiguous rows: the inner loop of 1:N search.
 *
 * A hand-assembled WebAssembly SIMD kernel (f32x4, two accumulators) — about 4× a scalar JS loop, which is what
 * keeps a 100k-template scan within the 20 ms budget on a 2-core machine (BENCHMARKS.md). There is no WASM
 * toolchain in this repo, so the module is assembled here from its opcodes; `scanJs` is the reference and the
 * fallback where WebAssembly SIMD is unavailable.
 */

/** out[r] = Σ_j rows[r·d + j] · query[j] for r < n. */
export type ScanFn = (rows: Float32Array, query: Float32Array, out: Float32Array, n: number, d: number) => void;

export function scanJs(rows: Float32Array, query: Float32Array, out: Float32Array, n: number, d: number): void {
  const d4 = d - (d % 4);
  for (let r = 0, o = 0; r < n; r++, o += d) {
    let s0 = 0,
      s1 = 0,
      s2 = 0,
      s3 = 0;
    let j = 0;
    for (; j < d4; j += 4) {
      s0 += rows[o + j]! * query[j]!;
      s1 += rows[o + j + 1]! * query[j + 1]!;
      s2 += rows[o + j + 2]! * query[j + 2]!;
      s3 += rows[o + j + 3]! * query[j + 3]!;
    }
    for (; j < d; j++) s0 += rows[o + j]! * query[j]!;
    out[r] = s0 + s1 + s2 + s3;
  }
}

// Opcodes (WebAssembly core spec 2.0 + fixed-width SIMD).
const I32 = 0x7f,
  V128 = 0x7b;
const LOCAL_GET = 0x20,
  LOCAL_SET = 0x21,
  LOCAL_TEE = 0x22;
const I32_CONST = 0x41,
  I32_ADD = 0x6a,
  I32_SUB = 0x6b,
  I32_SHL = 0x74,
  I32_LT_U = 0x49,
  I32_EQZ = 0x45;
const F32_ADD = 0x92,
  F32_STORE = 0x38;
const BLOCK_VOID = 0x40,
  LOOP = 0x03,
  IF = 0x04,
  END = 0x0b,
  BR_IF = 0x0d,
  RETURN = 0x0f;
const SIMD = 0xfd;
const v128Load = (offset: number) => [SIMD, 0x00, 0x04, offset];
const V128_ZERO = [SIMD, 0x0c, ...new Array<number>(16).fill(0)];
const F32X4_ADD = [SIMD, 0xe4, 0x01],
  F32X4_MUL = [SIMD, 0xe6, 0x01];
const lane = (i: number) => [SIMD, 0x1f, i];

/** scan(rowsPtr, queryPtr, outPtr, n, d): byte pointers into the imported memory; d must be a multiple of 8. */
function kernelBytes(): Uint8Array<ArrayBuffer> {
  // params 0 rows, 1 query, 2 out, 3 n, 4 d; locals 5 rowBytes, 6 j (i32); 7 acc0, 8 acc1 (v128)
  const get = (i: number) => [LOCAL_GET, i],
    set = (i: number) => [LOCAL_SET, i],
    tee = (i: number) => [LOCAL_TEE, i];
  const c = (v: number) => [I32_CONST, v];
  const body = [
    0x02,
    0x02,
    I32,
    0x02,
    V128,
    ...get(3),
    I32_EQZ,
    IF,
    BLOCK_VOID,
    RETURN,
    END,
    ...get(4),
    ...c(2),
    I32_SHL,
    ...set(5),
    LOOP,
    BLOCK_VOID,
    ...V128_ZERO,
    ...set(7),
    ...V128_ZERO,
    ...set(8),
    ...c(0),
    ...set(6),
    LOOP,
    BLOCK_VOID,
    ...get(7),
    ...get(0),
    ...get(6),
    I32_ADD,
    ...v128Load(0),
    ...get(1),
    ...get(6),
    I32_ADD,
    ...v128Load(0),
    ...F32X4_MUL,
    ...F32X4_ADD,
    ...set(7),
    ...get(8),
    ...get(0),
    ...get(6),
    I32_ADD,
    ...v128Load(16),
    ...get(1),
    ...get(6),
    I32_ADD,
    ...v128Load(16),
    ...F32X4_MUL,
    ...F32X4_ADD,
    ...set(8),
    ...get(6),
    ...c(32),
    I32_ADD,
    ...tee(6),
    ...get(5),
    I32_LT_U,
    BR_IF,
    0,
    END,
    ...get(2),
    ...get(7),
    ...get(8),
    ...F32X4_ADD,
    ...tee(7),
    ...lane(0),
    ...get(7),
    ...lane(1),
    F32_ADD,
    ...get(7),
    ...lane(2),
    F32_ADD,
    ...get(7),
    ...lane(3),
    F32_ADD,
    F32_STORE,
    0x02,
    0x00,
    ...get(2),
    ...c(4),
    I32_ADD,
    ...set(2),
    ...get(0),
    ...get(5),
    I32_ADD,
    ...set(0),
    ...get(3),
    ...c(1),
    I32_SUB,
    ...tee(3),
    BR_IF,
    0,
    END,
    END,
  ];
  const section = (id: number, content: number[]) => [id, ...uleb(content.length), ...content];
  const name = (s: string) => [s.length, ...Array.from(s, (ch) => ch.charCodeAt(0))];
  return new Uint8Array([
    0x00,
    0x61,
    0x73,
    0x6d,
    0x01,
    0x00,
    0x00,
    0x00,
    ...section(1, [1, 0x60, 5, I32, I32, I32, I32, I32, 0]),
    ...section(2, [1, ...name('env'), ...name('memory'), 0x02, 0x00, 0x01]),
    ...section(3, [1, 0]),
    ...section(7, [1, ...name('scan'), 0x00, 0]),
    ...section(10, [1, ...uleb(body.length), ...body]),
  ]);
}

function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

let cachedModule: WebAssembly.Module | null | undefined;

/** The compiled SIMD kernel, or null where WebAssembly SIMD is unavailable. Compiled once (it is immutable code). */
export function simdKernelModule(): WebAssembly.Module | null {
  if (cachedModule !== undefined) return cachedModule;
  try {
    const bytes = kernelBytes();
    cachedModule =
      typeof WebAssembly === 'object' && WebAssembly.validate(bytes) ? new WebAssembly.Module(bytes) : null;
  } catch {
    cachedModule = null;
  }
  return cachedModule;
}

/** Rows of `d` floats in memory the kernel can read; grows by doubling. */
export class RowMemory {
  /** Bytes reserved at the start for the query vector. */
  private readonly queryBytes: number;
  private memory: WebAssembly.Memory | null;
  private buffer: ArrayBuffer;
  private readonly scanWasm: ((rows: number, query: number, out: number, n: number, d: number) => void) | null;
  rows!: Float32Array;
  private capacityRows = 0;

  /** `initialRows`: allocated exactly (a collection loaded from storage), later growth doubles. */
  constructor(
    readonly d: number,
    initialRows = 256,
    useSimd = true,
  ) {
    this.queryBytes = align16(d * 4);
    const module = useSimd && d % 8 === 0 ? simdKernelModule() : null;
    if (module) {
      this.memory = new WebAssembly.Memory({ initial: 1 });
      const instance = new WebAssembly.Instance(module, { env: { memory: this.memory } });
      this.scanWasm = instance.exports.scan as (rows: number, query: number, out: number, n: number, d: number) => void;
      this.buffer = this.memory.buffer;
    } else {
      this.memory = null;
      this.scanWasm = null;
      this.buffer = new ArrayBuffer(0);
    }
    this.ensureCapacity(initialRows);
  }

  get simd(): boolean {
    return this.scanWasm !== null;
  }

  /** Makes room for `n` rows (plus one score per row), keeping the existing rows. */
  ensureCapacity(n: number): void {
    if (n <= this.capacityRows) return;
    let cap = this.capacityRows === 0 ? Math.max(n, 64) : this.capacityRows;
    while (cap < n) cap *= 2;
    const bytes = this.queryBytes + align16(cap * this.d * 4) + align16(cap * 4);
    const old = this.rows;
    if (this.memory) {
      const pages = Math.ceil(bytes / 65536) - this.memory.buffer.byteLength / 65536;
      if (pages > 0) this.memory.grow(pages);
      this.buffer = this.memory.buffer;
      this.rows = new Float32Array(this.buffer, this.queryBytes, cap * this.d);
      // The rows stay where they were (same offset), only the views are renewed.
    } else {
      this.buffer = new ArrayBuffer(bytes);
      this.rows = new Float32Array(this.buffer, this.queryBytes, cap * this.d);
      if (old) {
        this.rows.set(old);
        old.fill(0); // the outgrown buffer is garbage, but not erased by the collector
      }
    }
    this.capacityRows = cap;
  }

  /** Dot product of `query` with each of the first `n` rows; the result is a view valid until the next call. */
  scan(query: Float32Array, n: number): Float32Array {
    const scoresOffset = this.queryBytes + align16(this.capacityRows * this.d * 4);
    const out = new Float32Array(this.buffer, scoresOffset, n);
    if (this.scanWasm) {
      const queryView = new Float32Array(this.buffer, 0, this.d);
      queryView.set(query);
      this.scanWasm(this.queryBytes, 0, scoresOffset, n, this.d);
      queryView.fill(0); // the probe is a template too: do not leave it in the index's memory
    } else {
      scanJs(this.rows, query, out, n, this.d);
    }
    return out;
  }

  /** Zeroes every byte held (rows, probe, scores): the templates must not outlive the index in the page's heap. */
  erase(): void {
    new Uint8Array(this.buffer).fill(0);
  }

  /** Bytes held (for the memory benchmark). */
  get byteLength(): number {
    return this.buffer.byteLength;
  }
}

function align16(n: number): number {
  return Math.ceil(n / 16) * 16;
}
