import * as tf from '../models/tf';
import { readSyncAndDispose } from '../models/tensorRead';
import { asFaceError, clientClosedError, FaceError } from '../errors';
import {
  activateClientBackend,
  watchWebglContext,
  type BackendChoice,
  type BackendName,
  type WebglContextWatch,
} from '../models/backend';
import type { ModelFiles } from '../models/modelFiles';
import type { Box, DetectedFace, FaceTemplate } from '../vocabulary';
import { alignFaces } from './alignment/alignFaces';
import {
  FaceChecks,
  livenessError,
  livenessFailure,
  type CheckRequest,
  type FaceCheckResult,
  type FrameCheckResult,
  type LivenessThresholds,
} from './checks';
import { FaceDetector, type DetectionMode } from './detection/faceDetector';
import { planTiles } from './detection/tiles';
import { createEmbedder, embedderFiles, warmUpEmbedder, workerEmbedderShape } from './embedding/registry';
import type { FaceEmbedder } from './embedding/types';
import { EMBEDDER_WORKER_FILE } from './embedding/worker/protocol';
import { WorkerEmbedder } from './embedding/worker/workerEmbedder';
import { decodeImage, DEFAULT_IMAGE_LIMITS, type DecodedImage, type ImageLimits } from './input/decode';
import calibration from './similarity/calibration.json';
import pairNorm from './similarity/pairNorm.json';
import type { PairNormConfig } from './similarity/pairNorm';
import { Matcher, type MatcherConfig } from './similarity/matcher';

export interface FaceEngineOptions {
  /** Where every model file comes from (sha256-checked against its manifest). */
  files: ModelFiles;
  /** Default 'auto'. */
  backend?: BackendChoice;
  /** Limits for input images. Default DEFAULT_IMAGE_LIMITS (5 MB, 128–6000 px, 36 MP). */
  imageLimits?: ImageLimits;
  /** How embeddings become a calibrated score, and so which embedders are loaded. Default: the shipped calibration. */
  matcher?: MatcherConfig;
  /**
   * Run every recognition model once on a blank input before resolving (each as soon as it is built, while the
   * others load), so the first real call is not slow. Default true.
   */
  warmUp?: boolean;
  /**
   * Default 'auto': on the WASM backend, with at least 2 cores, Workers and a model cache, MobileFaceNet loads and
   * runs in a Worker, beside dlib and the detector on the calling thread: the same vectors, less work on the calling
   * thread at start-up and a fifth to a third less time per face (2 cores). 1: every model on the calling thread.
   */
  threads?: 'auto' | 1;
}

/**
 * The one owner of every model: decodes images, detects, aligns and embeds faces, runs the face checks and scores
 * templates. Each model is loaded once per engine. Owns no storage; every tensor it
 * creates is disposed before its call returns, except a decoded image, which lives until the `withImage` callback
 * settles.
 */
export class FaceEngine {
  readonly matcher: Matcher;
  private disposed = false;

  private constructor(
    readonly backend: BackendName,
    private readonly detector: FaceDetector,
    readonly embedders: readonly FaceEmbedder[],
    private readonly checks: FaceChecks,
    private readonly imageLimits: ImageLimits,
    matcher: Matcher,
    private readonly files: ModelFiles,
    /** The embedder that moves to a Worker (threads 'auto'), if any. */
    private readonly offloaded: WorkerEmbedder | undefined,
    /** On WebGL: the loss of the GPU context the models live on. */
    private readonly gpu: WebglContextWatch | undefined,
    /** Lets another client of this page start another backend once this one is gone. */
    private readonly releaseBackend: () => Promise<void>,
  ) {
    this.matcher = matcher;
    // A client whose GPU context is lost holds no backend: its error tells the app to create a new client, on any
    // backend, before closing this one.
    void gpu?.lost.catch(() => releaseBackend());
  }

  /**
   * Activates the TF.js backend and loads the detector and the embedders the matcher fuses; the checks' models
   * load on their first use. Every file those models need starts downloading (or being read from the model cache
   * and checked) at once, while the backend instantiates; each model warms up as soon as it is built, while the
   * others are still loading.
   */
  static async create(options: FaceEngineOptions): Promise<FaceEngine> {
    const { files } = options;
    const matcher = new Matcher(
      options.matcher ?? { ...(calibration as MatcherConfig), pairNorm: pairNorm as PairNormConfig },
    );
    const warm = options.warmUp ?? true;
    // Warm-up is a model's first real run, where a shader that does not compile or memory that runs out shows: a
    // model that fails it is disposed, not left holding its weights.
    // `lost`: a GPU context lost under the model, which leaves its warm-up waiting for ever on a read.
    const warmedUp = async <M extends { dispose(): void }>(
      model: M,
      run: (model: M) => Promise<unknown>,
      lost?: Promise<never>,
    ) => {
      if (!warm) return model;
      try {
        await (lost ? Promise.race([run(model), lost]) : run(model));
      } catch (error) {
        model.dispose();
        throw error;
      }
      return model;
    };
    const loadEmbedder = async (id: string, lost?: Promise<never>): Promise<FaceEmbedder> =>
      warmedUp(await createEmbedder(id, files), (embedder) => warmUpEmbedder(embedder), lost);
    // MobileFaceNet (the slower of the two: 32 against 19 ms per face) loads and runs in a Worker where that helps.
    const offloadId =
      (options.threads ?? 'auto') === 'auto' && matcher.modelIds.length > 1 && canUseWorkers()
        ? matcher.modelIds.find((id) => workerEmbedderShape(id))
        : undefined;
    let offloaded: WorkerEmbedder | undefined;
    let backend: BackendName;
    let releaseBackend: () => Promise<void>;
    // Every start-up model's bytes are in the progress totals from the start (wherever each model will load).
    files.announce(FaceDetector.files, 'detector');
    files.announce(
      matcher.modelIds.flatMap((id) => embedderFiles(id)),
      'embedder',
    );
    try {
      // The backend's binary first (alone, it arrives sooner), then every model file and the Worker at once.
      ({ backend, release: releaseBackend } = await activateClientBackend(
        options.backend ?? 'auto',
        files,
        ({ backend: next, wasm }) => {
          files.prefetch(FaceDetector.files, 'detector');
          if (offloadId && next === 'wasm') {
            offloaded = new WorkerEmbedder(
              workerEmbedderShape(offloadId)!,
              {
                scriptUrl: files.url(EMBEDDER_WORKER_FILE),
                modelBaseUrl: files.baseUrl,
                warmUp: warm,
                wasm,
                onProgress: (p) => files.reportFrom('worker', p),
              },
              () => loadEmbedder(offloadId),
            );
            files.expectFrom('worker', embedderFiles(offloadId), 'embedder');
          }
          files.prefetch(
            matcher.modelIds.filter((id) => id !== offloaded?.id).flatMap((id) => embedderFiles(id)),
            'embedder',
          );
        },
      ));
    } catch (error) {
      offloaded?.dispose();
      throw error;
    }
    if (offloaded && backend !== 'wasm') {
      offloaded.dispose(); // WASM did not start after all: a Worker on WASM would not give this backend's vectors
      offloaded = undefined;
    }
    try {
      return await FaceEngine.load(options, { backend, matcher, offloaded, loadEmbedder, warmedUp, releaseBackend });
    } catch (error) {
      void releaseBackend();
      throw error;
    }
  }

  /** The models on an activated backend (create's second half). */
  private static async load(
    options: FaceEngineOptions,
    started: {
      backend: BackendName;
      matcher: Matcher;
      offloaded: WorkerEmbedder | undefined;
      loadEmbedder: (id: string, lost?: Promise<never>) => Promise<FaceEmbedder>;
      warmedUp: <M extends { dispose(): void }>(
        model: M,
        run: (model: M) => Promise<unknown>,
        lost?: Promise<never>,
      ) => Promise<M>;
      releaseBackend: () => Promise<void>;
    },
  ): Promise<FaceEngine> {
    const { files } = options;
    const { backend, matcher, loadEmbedder, warmedUp } = started;
    const worker = started.offloaded;
    const gpu = backend === 'webgl' ? watchWebglContext() : undefined;
    // Each model's warm-up also ends at a lost context, so that every model settles and allOrDispose disposes them:
    // the tensors of a client that never started would otherwise stay in the page (and keep the WASM backend's memory
    // from being given back later).
    const loading = allOrDispose<FaceDetector | FaceEmbedder>([
      FaceDetector.create(files).then((detector) => warmedUp(detector, (d) => d.warmUp(), gpu?.lost)),
      ...matcher.modelIds.map((id) =>
        worker && id === worker.id
          ? worker.ready().then(
              () => worker,
              (error: unknown) => {
                worker.dispose();
                throw error;
              },
            )
          : loadEmbedder(id, gpu?.lost),
      ),
    ]);
    // The loss is reported at once; models still loading then are disposed as they settle.
    const loaded = await (gpu ? Promise.race([loading, gpu.lost]) : loading).catch((error: unknown) => {
      gpu?.stop();
      loading.then(
        (models) => models.forEach((model) => model.dispose()),
        () => undefined,
      );
      throw error;
    });
    const detector = loaded[0] as FaceDetector;
    const embedders = loaded.slice(1) as FaceEmbedder[];
    const checks = new FaceChecks(files);
    const engine = new FaceEngine(
      backend,
      detector,
      embedders,
      checks,
      options.imageLimits ?? DEFAULT_IMAGE_LIMITS,
      matcher,
      files,
      worker,
      gpu,
      started.releaseBackend,
    );
    return engine;
  }

  /** Ids of the embedding models whose templates this engine makes, in template order. */
  get modelIds(): string[] {
    return this.embedders.map((e) => e.id);
  }

  /** Threads the embedders run on now: 2 once the Worker of `threads: 'auto'` is ready, else 1. */
  get threads(): 1 | 2 {
    return this.offloaded?.state === 'on' ? 2 : 1;
  }

  /** Dimension of each model's vector, in template order. */
  get dimensions(): number[] {
    return this.embedders.map((e) => e.dimension);
  }

  /**
   * `work` (e.g. a read of a tensor's values started in a call and awaited after it), or the context-loss error if
   * the GPU context is lost first: TF.js never settles its reads after a loss.
   */
  untilContextLoss<T>(work: Promise<T>): Promise<T> {
    return this.gpu ? Promise.race([work, this.gpu.lost]) : work;
  }

  /** Decodes `input` (any ImageInput; bad input → a FaceError naming `argName`), runs `use`, then frees the pixels. */
  async withImage<T>(input: unknown, argName: string, use: (decoded: DecodedImage) => Promise<T>): Promise<T> {
    this.assertUsable();
    // After a context loss TF.js never settles its reads: the call rejects instead of waiting for ever.
    return this.untilContextLoss(this.decodeAndUse(input, argName, use));
  }

  private async decodeAndUse<T>(
    input: unknown,
    argName: string,
    use: (decoded: DecodedImage) => Promise<T>,
  ): Promise<T> {
    let decoded: DecodedImage;
    try {
      decoded = await decodeImage(input, this.imageLimits, argName);
    } catch (error) {
      throw asFaceError(error, `Reading the ${argName}`);
    }
    try {
      return await use(decoded);
    } catch (error) {
      throw asFaceError(error, `Working on the ${argName}`);
    } finally {
      decoded.pixels.dispose();
    }
  }

  /**
   * Faces in `pixels`, largest first. `thenChecks`: the checks the caller will run on these faces; the models they
   * need (loaded on first use) start loading now, while detection runs. `minScore`: see FaceDetector.detect.
   */
  async detect(
    pixels: tf.Tensor3D,
    mode: DetectionMode,
    thenChecks?: CheckRequest,
    minScore?: number,
    expectedFaces?: number,
  ): Promise<DetectedFace[]> {
    this.assertUsable();
    if (thenChecks) this.checks.prepare(thenChecks);
    this.detector.prepare(mode);
    return this.detector.detect(pixels, mode, minScore, expectedFaces);
  }

  /** The face near each of `boxes` of `pixels`, where the whole-frame detection found none (see FaceDetector). */
  async findNear(pixels: tf.Tensor3D, boxes: readonly Box[]): Promise<DetectedFace[]> {
    this.assertUsable();
    return this.detector.findNear(pixels, boxes);
  }

  /**
   * Templates for `faces` of `pixels`, in the same order. Every embedder is started before any is awaited, the one
   * in a Worker first (its crops are posted before the others run here), so that they overlap.
   */
  async embed(pixels: tf.Tensor3D, faces: readonly DetectedFace[]): Promise<FaceTemplate[]> {
    this.assertUsable();
    if (faces.length === 0) return [];
    // A face small in its image has imprecise keypoints unless refined (the tracker's faces are not, yet).
    const keypoints = (await this.detector.refineSmall(pixels, faces)).map((f) => f.keypoints);
    /** Aligns for `embedder` and starts it; its crops are disposed once it settles. */
    const start = (embedder: FaceEmbedder): Promise<Float32Array[]> => {
      const crops = alignFaces(pixels, keypoints, embedder.template, embedder.inputSize);
      try {
        return embedder.embed(crops).finally(() => crops.dispose());
      } catch (error) {
        crops.dispose();
        throw error;
      }
    };
    const offloadedAt = this.offloaded ? this.embedders.indexOf(this.offloaded) : -1;
    const order = this.embedders.map((_, i) => i).filter((i) => i !== offloadedAt);
    if (offloadedAt >= 0) order.unshift(offloadedAt);
    const running: Promise<Float32Array[]>[] = [];
    try {
      for (const i of order) running[i] = start(this.embedders[i]!);
    } catch (error) {
      await Promise.allSettled(running); // nothing of this call keeps running after it rejects
      throw error;
    }
    const settled = await Promise.allSettled(running);
    const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    const perModel = settled.map((r) => (r as PromiseFulfilledResult<Float32Array[]>).value);
    const models = this.modelIds;
    return faces.map((_, i) => ({ models: [...models], vectors: perModel.map((vs) => vs[i]!) }));
  }

  /** The requested quality / attribute / liveness checks for each of `faces`, in the same order. */
  check(pixels: tf.Tensor3D, faces: readonly DetectedFace[], request: CheckRequest): Promise<FaceCheckResult[]> {
    this.assertUsable();
    return this.checks.analyze(pixels, faces, request);
  }

  /**
   * A video frame's checks, aligning each face once: the quality of every one of `faces`, and the liveness evidence
   * of those `evidenceFor` selects (by index), in the same order.
   */
  frameChecks(
    pixels: tf.Tensor3D,
    faces: readonly DetectedFace[],
    evidenceFor: (index: number) => boolean,
    options: { hat?: boolean } = {},
  ): Promise<FrameCheckResult[]> {
    this.assertUsable();
    return this.checks.frameChecks(pixels, faces, evidenceFor, options);
  }

  /** The thresholds single-frame liveness decides with. */
  get livenessThresholds(): LivenessThresholds {
    return this.checks.livenessThresholds;
  }

  /**
   * Rejects with ERR_LIVENESS_ERROR (metadata.code) unless the largest of `faces` is live and alone (a second face
   * at least half its width is TOO_MANY_FACES).
   */
  async assertLive(pixels: tf.Tensor3D, faces: readonly DetectedFace[]): Promise<void> {
    const [largest] = await this.check(pixels, faces.slice(0, 1), { liveness: true });
    const code = livenessFailure(faces.map((f, i) => (i === 0 ? { ...f, ...largest } : f)));
    if (code) throw livenessError(code);
  }

  /** The template of the largest face in `input`; ERR_FACE_NOT_DETECTED when there is none. */
  templateOf(input: unknown, argName: string): Promise<FaceTemplate> {
    return this.withImage(input, argName, async (decoded) => {
      const [face] = await this.detect(decoded.pixels, 'largest');
      if (!face) throw noFaceError(argName, decoded);
      const [template] = await this.embed(decoded.pixels, [face]);
      return template!;
    });
  }

  /**
   * The plain calibrated score of two templates (0.7 ⇔ 0.1 % false matches on LFW), not normalised for crowding as
   * `compare` and searches are: the tracker compares a track's own frames with it.
   */
  similarity(a: FaceTemplate, b: FaceTemplate): number {
    return this.matcher.similarity(a, b);
  }

  /** The 1:1 similarityScore of `compareFaces`: normalised against the reference cohort (Matcher.compare). */
  compare(a: FaceTemplate, b: FaceTemplate): number {
    return this.matcher.compare(a, b);
  }

  /** Settles once the model cache holds what this engine downloaded (its writes run in the background). */
  async cacheWritten(): Promise<void> {
    await Promise.all([this.files.flush(), this.offloaded?.flush()]);
  }

  /** Frees the models; resolves once the backend this engine leaves behind is ready for the page's next user. */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    this.gpu?.stop();
    const released = this.releaseBackend();
    this.checks.dispose();
    this.detector.dispose();
    for (const e of this.embedders) e.dispose();
    await released;
  }

  private assertUsable(): void {
    const lost = this.disposed ? undefined : this.gpu?.error;
    if (lost) throw new FaceError(lost.code, lost.message, { metadata: { ...lost.metadata } });
    if (this.disposed) throw clientClosedError();
  }
}

/**
 * Workers, at least 2 cores, and a model cache (should the Worker fail, the model loaded here in its place reads the
 * Worker's download from there instead of downloading it again).
 */
function canUseWorkers(): boolean {
  const cores = typeof navigator === 'undefined' ? 1 : (navigator.hardwareConcurrency ?? 1);
  return typeof Worker !== 'undefined' && cores >= 2 && typeof globalThis.caches !== 'undefined';
}

/** All of `loading`; if one fails, the others are disposed once loaded and the first failure is thrown. */
async function allOrDispose<T extends { dispose(): void }>(loading: Promise<T>[]): Promise<T[]> {
  const settled = await Promise.allSettled(loading);
  const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (!failed) return settled.map((r) => (r as PromiseFulfilledResult<T>).value);
  for (const r of settled) if (r.status === 'fulfilled') r.value.dispose();
  throw failed.reason;
}

/**
 * ERR_FACE_NOT_DETECTED for the image passed as `argName`. On a small image (long side ≤ 480 px) the face, if
 * there is one, is small too (webcam frames of 168×193 px hold 50–90-px faces): the message says what to change.
 */
export function noFaceError(
  argName: string,
  image?: { pixels?: tf.Tensor3D; inputWidth: number; inputHeight: number },
): FaceError {
  // The input's own size (also where it was decoded scaled down).
  const size = image && { width: image.inputWidth, height: image.inputHeight };
  const metadata = { argument: argName, ...size };
  if (image?.pixels && isBlank(image.pixels)) {
    return new FaceError(
      'ERR_FACE_NOT_DETECTED',
      `The ${argName} is blank (every pixel the same colour): a canvas not drawn on yet, a WebGL canvas made without preserveDrawingBuffer, or a camera that has not started. Pass a picture with a face.`,
      { metadata: { ...metadata, reason: 'IMAGE_BLANK' } },
    );
  }
  if (size && Math.max(size.width, size.height) <= 480) {
    return new FaceError(
      'ERR_FACE_NOT_DETECTED',
      `No face was found in ${argName} (${size.width}×${size.height} px). The face may be too small, cut by the frame's edge or turned away: move closer to the camera, look at it, keep the whole face in the frame, or use a larger image (a face at least ~80 px wide is found reliably).`,
      { metadata: { ...metadata, reason: 'FACE_TOO_SMALL_OR_CUT' } },
    );
  }
  // In a large photo the detector sees faces through tiles (planTiles), so the smallest face it finds grows with the
  // photo: about a tenth of a tile's longer side (~100 px in 4000 × 3000), in a tall strip as in a wide one.
  const first = size ? planTiles(size.width, size.height)[0]?.size : undefined;
  const tile = first && Math.max(first.width, first.height);
  if (size && tile && tile > 400) {
    return new FaceError(
      'ERR_FACE_NOT_DETECTED',
      `No face was found in ${argName} (${size.width}×${size.height} px). In a photo this large a face is found reliably from ~${Math.round(tile / 10)} px wide: crop the photo around the face, or use one where the face is visible, frontal and larger.`,
      { metadata },
    );
  }
  return new FaceError(
    'ERR_FACE_NOT_DETECTED',
    `No face was found in ${argName}. Use a photo where the face is visible, frontal and at least ~40 px wide.`,
    { metadata },
  );
}

/** Whether every pixel has the same colour (read back only when no face was found). */
function isBlank(pixels: tf.Tensor3D): boolean {
  return readSyncAndDispose(tf.tidy(() => tf.sub(tf.max(pixels), tf.min(pixels))))[0]! < 1;
}
