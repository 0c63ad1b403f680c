// Shared by the three benchmark pages (localface.ts, faceapi.ts, human.ts). Each page runs ONE pipeline in its
// own JS realm (every library bundles its own TF.js) and exposes the same `window.bench` interface to
// bench/run.mjs, so the runner treats them alike.

/** Which detected face is "the" face of an image; the same rule is applied to every pipeline. */
export type Selection = 'center' | 'largest';

export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

/**
 * Index of the face to use: 'largest' = largest box area; 'center' = box centre nearest the image centre (LFW's
 * convention: its images are centred on the labelled person). -1 if there is no face.
 */
export function pickFace(boxes: Box[], width: number, height: number, select: Selection): number {
  let best = -1,
    bestKey = Infinity;
  boxes.forEach((b, i) => {
    const key =
      select === 'largest'
        ? -(b.width * b.height)
        : Math.hypot(b.x + b.width / 2 - width / 2, b.y + b.height / 2 - height / 2);
    if (key < bestKey) {
      bestKey = key;
      best = i;
    }
  });
  return best;
}

/** Stage times of one image, ms. `detect` = everything before the descriptor (detector, landmarks/mesh…). */
export interface StageMs {
  /** Fetch-free decode of the encoded bytes to what the library takes. */
  decode: number;
  detect?: number;
  embed?: number;
  /** decode + the library's calls for one image: bytes in, descriptor(s) out. */
  total: number;
}

export interface EmbedRow {
  /** Faces the library reported. */
  faces: number;
  /** The chosen face's vectors, one per model the pipeline compares (LocalFace: one per fused embedder). */
  vectors: number[][] | null;
  ms: StageMs;
}

export interface InitInfo {
  pipeline: string;
  /** Library and version, e.g. "@vladmandic/face-api 1.7.15". */
  library: string;
  backend: string;
  /** Names of the vectors in EmbedRow.vectors. */
  models: string[];
  /** Model files fetched and instantiated. */
  loadMs: number;
  /** The library's own warm-up (0 when its docs have none). */
  warmupMs: number;
  /** How the pipeline is configured, for the report. */
  config: string;
  /** WASM only: whether TF.js runs its multi-threaded build (a cross-origin-isolated page allows it). */
  wasmThreads?: boolean;
}

export interface BenchPage {
  /**
   * `wasmThreads` 'auto': the library's own choice (TF.js takes its multi-threaded WASM build on a cross-origin
   * isolated page, as the bench pages are); 1: TF.js's single-threaded build (what most pages, not isolated, get).
   */
  init(options: { backend: string; wasmThreads?: 'auto' | 1 }): Promise<InitInfo>;
  /** Embeds each URL; `stages` also measures detect-only calls to split the stages (slower). */
  embed(urls: string[], select: Selection, stages?: boolean): Promise<Record<string, EmbedRow>>;
  /** The library's own comparison of vector pairs, where the runner ports it (checked for equality). */
  score?(pairs: [number[], number[]][]): Promise<number[]>;
  /** The library's documented 1:N search over n random templates per size: ms per query. */
  search?(sizes: number[], queries: number): Promise<SearchTiming[]>;
}

export interface SearchTiming {
  size: number;
  /** Building the library's search structure from the templates (e.g. new FaceMatcher). */
  buildMs: number;
  medianMs: number;
  p90Ms: number;
  queries: number;
}

/** Deterministic pseudo-random unit vectors (mulberry32), so every run searches the same data. */
export function randomUnitVectors(count: number, dim: number, seed = 1): Float32Array[] {
  let a = seed >>> 0;
  const rand = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296 - 0.5;
  };
  return Array.from({ length: count }, () => {
    const v = Float32Array.from({ length: dim }, rand);
    let n = 0;
    for (const x of v) n += x * x;
    n = Math.sqrt(n);
    for (let i = 0; i < dim; i++) v[i]! /= n;
    return v;
  });
}

/** Times `query` on `queries` fresh query vectors; median and p90 ms. */
export async function timeQueries(
  queries: Float32Array[],
  query: (q: Float32Array) => unknown,
): Promise<{ medianMs: number; p90Ms: number }> {
  const times: number[] = [];
  for (const q of queries) {
    const t = performance.now();
    query(q);
    times.push(performance.now() - t);
    await new Promise((r) => setTimeout(r, 0));
  }
  times.sort((x, y) => x - y);
  return {
    medianMs: times[Math.floor(times.length / 2)] ?? NaN,
    p90Ms: times[Math.min(times.length - 1, Math.floor(times.length * 0.9))] ?? NaN,
  };
}

export async function fetchBytes(url: string): Promise<Uint8Array> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
}

/** Encoded bytes → a decoded HTMLImageElement, as the peers' docs feed them (an <img>). */
export async function imageElement(bytes: Uint8Array): Promise<HTMLImageElement> {
  const url = URL.createObjectURL(new Blob([bytes as BlobPart]));
  try {
    const img = new Image();
    img.src = url;
    await img.decode();
    return img;
  } finally {
    URL.revokeObjectURL(url);
  }
}

export function expose(page: BenchPage): void {
  (window as unknown as { bench: BenchPage }).bench = page;
}
