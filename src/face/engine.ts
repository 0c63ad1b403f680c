import * as tf from '../models/tf';
import { alignFaces } from './alignment/alignFaces';
import { FaceDetector, type DetectedFace, type DetectionMode } from './detection/faceDetector';
import { createEmbedder } from './embedding/registry';
import type { FaceEmbedder } from './embedding/types';
import { activateBackend, type BackendChoice, type BackendName } from '../models/backend';
import type { ModelFiles } from '../models/modelFiles';

/** A face's identity template: one L2-normalised vector per embedder, in the pipeline's embedder order. */
export interface FaceTemplate {
  models: string[];
  vectors: Float32Array[];
}

/** Per-stage timings of the last call, in ms (for benchmarks). */
export interface StageTimes {
  detect: number;
  align: number;
  embed: number;
}

/**
 * detection → alignment → embedding on a decoded image tensor. Owns no I/O and no storage; every tensor it
 * creates is disposed before it returns.
 */
export class FacePipeline {
  readonly lastTimes: StageTimes = { detect: 0, align: 0, embed: 0 };

  constructor(
    readonly detector: FaceDetector,
    readonly embedders: readonly FaceEmbedder[],
  ) {}

  get modelIds(): string[] {
    return this.embedders.map((e) => e.id);
  }

  async detect(pixels: tf.Tensor3D, mode: DetectionMode): Promise<DetectedFace[]> {
    const t0 = performance.now();
    const faces = await this.detector.detect(pixels, mode);
    this.lastTimes.detect = performance.now() - t0;
    return faces;
  }

  /** Templates for `faces` of `pixels`, in the same order. */
  async embed(pixels: tf.Tensor3D, faces: readonly DetectedFace[]): Promise<FaceTemplate[]> {
    if (faces.length === 0) return [];
    const perModel: Float32Array[][] = [];
    let align = 0, embed = 0;
    for (const embedder of this.embedders) {
      const t0 = performance.now();
      const crops = alignFaces(pixels, faces.map((f) => f.keypoints), embedder.template, embedder.inputSize);
      const t1 = performance.now();
      try {
        perModel.push(await embedder.embed(crops));
      } finally {
        crops.dispose();
      }
      align += t1 - t0;
      embed += performance.now() - t1;
    }
    this.lastTimes.align = align;
    this.lastTimes.embed = embed;
    return faces.map((_, i) => ({ models: this.modelIds, vectors: perModel.map((vs) => vs[i]!) }));
  }

  /** Runs every model once on a blank input so that first real calls do not pay shader/kernel set-up. */
  async warmUp(): Promise<void> {
    await this.detector.warmUp();
    for (const embedder of this.embedders) {
      const blank = tf.zeros([1, embedder.inputSize, embedder.inputSize, 3]) as tf.Tensor4D;
      try {
        await embedder.embed(blank);
      } finally {
        blank.dispose();
      }
    }
  }

  dispose(): void {
    this.detector.dispose();
    for (const e of this.embedders) e.dispose();
  }
}

/**
 * Activates the TF.js backend, then loads the detector and the embedders `modelIds` (not yet warmed up): what
 * createFaceClient and the benchmarks both run. (Starting the downloads and the TFLite model while the backend
 * starts was measured: no gain on 2 cores, where all of it is CPU-bound.)
 */
export async function loadFacePipeline(files: ModelFiles, backendChoice: BackendChoice, modelIds: readonly string[]): Promise<{ backend: BackendName; pipeline: FacePipeline }> {
  const backend = await activateBackend(backendChoice, files);
  const [detector, embedders] = await Promise.all([
    FaceDetector.create(files),
    Promise.all(modelIds.map((id) => createEmbedder(id, files))),
  ]);
  return { backend, pipeline: new FacePipeline(detector, embedders) };
}
