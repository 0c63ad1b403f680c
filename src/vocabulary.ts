/**
 * The words every layer shares: points, boxes, detected faces and templates. Plain data and pure functions only,
 * so any module can import them without pulling in models, storage or the client.
 */

/**
 * The default "same person" threshold of every calibrated similarity the library returns (compareFaces, searches,
 * the duplicate check, the tracker): 0.7 ⇔ about 0.1 % false matches on LFW different-person pairs.
 */
export const DEFAULT_MATCH_THRESHOLD = 0.7;

/**
 * A random (version 4) UUID. crypto.randomUUID exists only in secure contexts; getRandomValues, which this uses,
 * everywhere, so ids are made the same way on a page served over plain http.
 */
export function randomId(): string {
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6]! & 0x0f) | 0x40;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const hex = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Whether two arrays (plain or typed) hold the same elements in the same order. */
export function sameElements<T>(a: ArrayLike<T>, b: ArrayLike<T>): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Everything a `face` / `image` argument may be (docs/api.md, "Images"). Declared here, apart from the decoder, so
 * that fewer public type declarations reach TF.js's.
 */
export type ImageInput =
  | string
  | Blob
  | ArrayBuffer
  | Uint8Array
  | ImageData
  | ImageBitmap
  | HTMLImageElement
  | HTMLCanvasElement
  | OffscreenCanvas
  | HTMLVideoElement
  | VideoFrame;

/** Progress of createFaceClient's model loading (its `onProgress` option). */
export interface LoadProgress {
  /** 'backend' (the TF.js `.wasm`), 'detector', 'embedder' or 'checks' (check models, loaded on their first use). */
  stage: string;
  /** Bytes of the stage's files in so far; a file read from the model cache counts as loaded. */
  loaded: number;
  /**
   * Bytes of the stage's files known so far. It can grow when a model of the stage loads later (the full-range
   * detector on its first use, each check model on the first call that needs it): a bar may fill, then fall back.
   */
  total: number;
}

/** createFaceClient's `encryption` option: a passphrase, or an AES-GCM key the app keeps. */
export type EncryptionOption = { passphrase: string } | { key: CryptoKey };

/** A 2-D point in pixels. */
export interface Point {
  x: number;
  y: number;
}

/** An axis-aligned box in pixels of the input image: top-left corner, width and height. */
export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** Sort order of faces by box area, largest first (the order detectFaces gives). */
export function largerBoxFirst(a: { box: Box }, b: { box: Box }): number {
  return b.box.width * b.box.height - a.box.width * a.box.height;
}

/** The six keypoints' names, in the order the detector gives them and the public API lists them. */
export const KEYPOINT_NAMES = [
  'rightEye',
  'leftEye',
  'noseTip',
  'mouthCenter',
  'rightEarTragion',
  'leftEarTragion',
] as const;

/** The six MediaPipe face-detector keypoints, in pixels of the input image. */
export interface FaceKeypoints {
  rightEye: Point;
  leftEye: Point;
  noseTip: Point;
  mouthCenter: Point;
  rightEarTragion: Point;
  leftEarTragion: Point;
}

export interface HeadPose {
  /** Degrees; positive = face turned towards the image's right. */
  yaw: number;
  /** Degrees; positive = face tilted up. */
  pitch: number;
  /** Degrees; positive = clockwise in the image (head tilted towards its left shoulder as seen). */
  roll: number;
}

/** One detected face, in pixels of the input image. */
export interface DetectedFace {
  box: Box;
  /** Detector confidence in [0, 1]. */
  score: number;
  keypoints: FaceKeypoints;
  pose: HeadPose;
}

/** One keypoint of a face as the public API lists it. */
export interface FaceKeypoint {
  name: (typeof KEYPOINT_NAMES)[number];
  x: number;
  y: number;
}

/** The keypoints of a detection as the public API's list. */
export function keypointList(keypoints: FaceKeypoints): FaceKeypoint[] {
  return KEYPOINT_NAMES.map((name) => ({ name, x: keypoints[name].x, y: keypoints[name].y }));
}

/** A face's identity template: one L2-normalised vector per embedding model, in the engine's model order. */
export interface FaceTemplate {
  models: string[];
  vectors: Float32Array[];
}

/** Pixels of an image per pixel of a copy of it scaled down (an image too large for the GPU), along each axis. */
export interface ToInput {
  x: number;
  y: number;
}

/** `face` found in a scaled-down copy of an image, in pixels of the image itself. The same face at scale 1, 1. */
export function faceInInput<T extends DetectedFace>(face: T, toInput: ToInput): T {
  if (toInput.x === 1 && toInput.y === 1) return face;
  return transformFace(face, { sx: toInput.x, sy: toInput.y, dx: 0, dy: 0 });
}

/** A face's box and keypoints mapped by (x, y) ↦ (dx + sx·x, dy + sy·y); the rest (its pose) is kept. */
export function transformFace<T extends DetectedFace>(
  face: T,
  { sx, sy, dx, dy }: { sx: number; sy: number; dx: number; dy: number },
): T {
  const keypoints = Object.fromEntries(
    KEYPOINT_NAMES.map((name) => [name, { x: dx + face.keypoints[name].x * sx, y: dy + face.keypoints[name].y * sy }]),
  ) as unknown as FaceKeypoints;
  const { box } = face;
  return {
    ...face,
    box: { x: dx + box.x * sx, y: dy + box.y * sy, width: box.width * sx, height: box.height * sy },
    keypoints,
  };
}

/** A box of a scaled-down copy of an image, in pixels of the image itself. */
export function boxInInput(box: Box, toInput: ToInput): Box {
  return { x: box.x * toInput.x, y: box.y * toInput.y, width: box.width * toInput.x, height: box.height * toInput.y };
}

/** Intersection over union of two boxes, in [0, 1]. */
export function intersectionOverUnion(a: Box, b: Box): number {
  const w = Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x);
  const h = Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y);
  if (w <= 0 || h <= 0) return 0;
  const inter = w * h;
  return inter / (a.width * a.height + b.width * b.height - inter);
}

/**
 * A value made on its first use and kept; one whose making failed (a model that did not download) is made again on
 * the next use, not kept as a failure for ever.
 */
export class Lazy<T> {
  private made: Promise<T> | undefined;

  constructor(private readonly make: () => Promise<T>) {}

  get(): Promise<T> {
    if (!this.made) {
      const made = this.make();
      this.made = made;
      made.catch(() => {
        if (this.made === made) this.made = undefined;
      });
    }
    return this.made;
  }

  /** Disposes the value once it is made, if its making began (a value still being made is disposed when made). */
  dispose(this: Lazy<{ dispose(): void }>): void {
    void this.made?.then(
      (value) => value.dispose(),
      () => undefined,
    );
  }
}

/** Byte arrays end to end, in one new array. */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array<ArrayBuffer> {
  return concatInto(new Uint8Array(totalLength(parts)), parts);
}

/** Float arrays end to end, in one new array (templates' vectors into one row, rows into one block). */
export function concatFloats(parts: readonly Float32Array[]): Float32Array<ArrayBuffer> {
  return concatInto(new Float32Array(totalLength(parts)), parts);
}

function totalLength(parts: readonly ArrayLike<number>[]): number {
  return parts.reduce((n, p) => n + p.length, 0);
}

function concatInto<T extends Uint8Array<ArrayBuffer> | Float32Array<ArrayBuffer>>(
  out: T,
  parts: readonly ArrayLike<number>[],
): T {
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}
