import * as tf from '@tensorflow/tfjs';
import type { DetectedFace } from './detection/faceDetector';
import { FaceDetector } from './detection/faceDetector';
import type { HeadPose } from './detection/pose';
import { createEmbedder } from './embedding/registry';
import { FaceError } from './errors';
import { decodeImage, DEFAULT_IMAGE_LIMITS, type DecodedImage, type ImageInput, type ImageLimits } from './input/decode';
import { FacePipeline, type FaceTemplate } from './pipeline';
import { activateBackend, type BackendChoice, type BackendName } from './runtime/backend';
import { defaultModelBaseUrl } from './runtime/defaultModelBase';
import { ModelFiles, type LoadProgress } from './runtime/modelFiles';
import calibration from './similarity/calibration.json';
import { Matcher, type MatcherConfig } from './similarity/matcher';

export interface FaceClientOptions {
  /** Where models/ is served; default: the models/ folder next to the library file. */
  modelBaseUrl?: string | URL;
  /** Default 'auto': WebGL on a hardware GPU, else WASM (software WebGL is ~10× slower than WASM). */
  backend?: BackendChoice;
  /** IndexedDB database for collections (default 'localface'). */
  databaseName?: string;
  /** Model download progress, per stage ('detector', 'embedder'). */
  onProgress?: (p: LoadProgress) => void;
  /** Limits for encoded images (default 5 MB, 128–6000 px). */
  imageLimits?: Partial<ImageLimits>;
}

export interface DetectFacesOptions {
  quality?: boolean;
  attributes?: boolean;
  liveness?: boolean;
}

export interface FaceKeypoint {
  name: 'rightEye' | 'leftEye' | 'noseTip' | 'mouthCenter' | 'rightEarTragion' | 'leftEarTragion';
  x: number;
  y: number;
}

export interface Face {
  box: { x: number; y: number; width: number; height: number };
  /** Detector confidence in [0, 1]. */
  score: number;
  keypoints: FaceKeypoint[];
  /** Degrees, estimated from the keypoints. */
  pose: HeadPose;
}

export interface FaceClient {
  /** The TF.js backend actually in use. */
  readonly backend: BackendName;
  /** Ids of the embedding models whose templates this client makes and compares. */
  readonly modelIds: readonly string[];
  detectFaces(image: ImageInput, options?: DetectFacesOptions): Promise<Face[]>;
  compareFaces(faceA: ImageInput, faceB: ImageInput): Promise<{ similarityScore: number }>;
  close(): Promise<void>;
}

export async function createFaceClient(options: FaceClientOptions = {}): Promise<FaceClient> {
  if (options === null || typeof options !== 'object') throw new FaceError('ERR_INVALID_ARGUMENT', 'createFaceClient takes an options object (or nothing).');
  const backendChoice = options.backend ?? 'auto';
  if (!['auto', 'webgl', 'wasm', 'cpu'].includes(backendChoice)) {
    throw new FaceError('ERR_INVALID_ARGUMENT', `backend must be 'auto', 'webgl', 'wasm' or 'cpu'; got ${JSON.stringify(backendChoice)}.`);
  }
  const limits: ImageLimits = { ...DEFAULT_IMAGE_LIMITS, ...options.imageLimits };
  const files = new ModelFiles(options.modelBaseUrl ?? defaultModelBaseUrl(), options.onProgress);
  const backend = await activateBackend(backendChoice, files);
  const matcher = new Matcher(calibration as MatcherConfig);
  const [detector, embedders] = await Promise.all([
    FaceDetector.create(files),
    Promise.all(matcher.modelIds.map((id) => createEmbedder(id, files))),
  ]);
  const pipeline = new FacePipeline(detector, embedders);
  await pipeline.warmUp();
  return new LocalFaceClient(backend, pipeline, matcher, limits);
}

class LocalFaceClient implements FaceClient {
  private closed = false;

  constructor(
    readonly backend: BackendName,
    private readonly pipeline: FacePipeline,
    private readonly matcher: Matcher,
    private readonly limits: ImageLimits,
  ) {}

  get modelIds(): readonly string[] {
    return this.pipeline.modelIds;
  }

  async detectFaces(image: ImageInput, options: DetectFacesOptions = {}): Promise<Face[]> {
    this.assertOpen();
    if (options === null || typeof options !== 'object') throw new FaceError('ERR_INVALID_ARGUMENT', 'detectFaces options must be an object.');
    return this.withImage(image, 'image', async (decoded) => {
      const faces = await this.pipeline.detect(decoded.pixels, 'all');
      return faces.map(toPublicFace);
    });
  }

  async compareFaces(faceA: ImageInput, faceB: ImageInput): Promise<{ similarityScore: number }> {
    this.assertOpen();
    const [a, b] = [await this.templateOf(faceA, 'faceA'), await this.templateOf(faceB, 'faceB')];
    return { similarityScore: this.matcher.similarity(a, b) };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.pipeline.dispose();
  }

  /** The template of the largest face in `image`. */
  private async templateOf(image: ImageInput, argName: string): Promise<FaceTemplate> {
    return this.withImage(image, argName, async (decoded) => {
      const [face] = await this.pipeline.detect(decoded.pixels, 'largest');
      if (!face) {
        throw new FaceError('ERR_FACE_NOT_DETECTED', `No face was found in ${argName}. Use a photo where the face is visible, frontal and at least ~40 px wide.`, { metadata: { argument: argName } });
      }
      const [template] = await this.pipeline.embed(decoded.pixels, [face]);
      return template!;
    });
  }

  private async withImage<T>(image: ImageInput, argName: string, use: (decoded: DecodedImage) => Promise<T>): Promise<T> {
    const decoded = await decodeImage(image, this.limits, argName);
    try {
      return await use(decoded);
    } finally {
      decoded.pixels.dispose();
    }
  }

  private assertOpen(): void {
    if (this.closed) throw new FaceError('ERR_INVALID_ARGUMENT', 'This LocalFace client is closed. Create a new one with createFaceClient().');
  }
}

function toPublicFace(face: DetectedFace): Face {
  const { box, score, keypoints, pose } = face;
  return {
    box: { ...box },
    score,
    keypoints: (Object.keys(keypoints) as FaceKeypoint['name'][]).map((name) => ({ name, x: keypoints[name].x, y: keypoints[name].y })),
    pose: { ...pose },
  };
}

/** Exposed for tests: tensors currently allocated by TF.js (must not grow across calls). */
export function tensorCount(): number {
  return tf.memory().numTensors;
}
