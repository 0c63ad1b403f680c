import { Lazy, type DetectedFace } from '../../vocabulary';
import * as tf from '../../models/tf';
import { alignFaces } from '../alignment/alignFaces';

import { MOBILEFACENET_TEMPLATE } from '../embedding/mobileFaceNet';
import { FaceError } from '../../errors';
import type { ModelFiles } from '../../models/modelFiles';
import { FasNetModel } from './fasnet';
import { EyeStateModel } from './eyeState';
import {
  ATTRIBUTE_HEADS,
  attributeFeatures,
  attributesFromFeatures,
  FASNET_BLOCKS,
  fasnetBlockOf,
  needsCenterNet,
} from './attributes';
import { CENTERNET_HEAD_FEATURES, CenterNetBackbone } from './centerNetBackbone';
import { EyeModel } from './eyes';
import { DEFAULT_GEOMETRY_LIMITS, geometryProblems, type GeometryLimits } from './geometry';
import {
  decideLiveness,
  DEFAULT_LIVENESS_THRESHOLDS,
  livenessScore,
  type LivenessEvidence,
  type LivenessThresholds,
} from './liveness';
import {
  DEFAULT_QUALITY_THRESHOLDS,
  faceQualityStats,
  qualityFromStats,
  QUALITY_CROP_SIZE,
  type QualityThresholds,
} from './quality';
import type { CheckRequest, FaceAttributes, FaceCheckResult, FaceQuality } from './types';

/** What frameChecks() gives for one face: its quality, and its liveness evidence when that was asked for. */
export interface FrameCheckResult {
  quality: FaceQuality;
  evidence?: LivenessEvidence;
}

/** FasNet's logits on a face's crop and its mirror image (the liveness score), when the attribute heads ran it. */
interface FasnetRun {
  logits: Float32Array;
  mirrored?: Float32Array;
}

/** Extra ms spent per check in the last analyze() call (for benchmarks). */
export interface CheckTimes {
  quality: number;
  attributes: number;
  liveness: number;
}

/**
 * Quality, attribute and passive-liveness checks on detected faces. Each check's models load on its first use
 * (quality needs none; attributes what their heads read: FasNet for mask and sunglasses, the CenterNet backbone for
 * hat; liveness FasNet, Face Mesh to find the eyes, the eye-state model and the mask and sunglasses heads for
 * occlusion), so a client that never asks pays nothing.
 */
export class FaceChecks {
  readonly lastTimes: CheckTimes = { quality: 0, attributes: 0, liveness: 0 };
  // Each model loads on its first use.
  private readonly antispoof: Lazy<FasNetModel>;
  private readonly eyes: Lazy<EyeModel>;
  private readonly eyeState: Lazy<EyeStateModel>;
  private readonly centerNet: Lazy<CenterNetBackbone>;
  private closed = false;
  private readonly quality: QualityThresholds = DEFAULT_QUALITY_THRESHOLDS;
  private readonly liveness: LivenessThresholds = DEFAULT_LIVENESS_THRESHOLDS;
  private readonly geometry: GeometryLimits = DEFAULT_GEOMETRY_LIMITS;

  /** Loads no model yet: each check's models load on its first use (or `load`). */
  constructor(files: ModelFiles) {
    this.antispoof = new Lazy(() => FasNetModel.create(files));
    this.eyes = new Lazy(() => EyeModel.create(files));
    this.eyeState = new Lazy(() => EyeStateModel.create(files));
    this.centerNet = new Lazy(() => CenterNetBackbone.create(files));
  }

  /** Loads the models the requested checks need (idempotent; a failed load is retried next time). */
  async load(which: CheckRequest): Promise<void> {
    const pending: Promise<unknown>[] = [];
    // FasNet serves liveness, and the attribute heads when they read its activations.
    if (which.liveness || (which.attributes && fasnetBlockOf())) pending.push(this.antispoof.get());
    if (which.liveness) pending.push(this.eyes.get(), this.eyeState.get());
    // Only the hat head reads CenterNet, and the liveness decision does not read hat.
    if (which.attributes && needsCenterNet()) pending.push(this.centerNet.get());
    await Promise.all(pending);
  }

  /** Starts loading the models `which` needs without waiting (the call that needs them awaits them then). */
  prepare(which: CheckRequest): void {
    this.load(which).catch(() => undefined);
  }

  /**
   * The requested checks for each of `faces` (detected in `pixels`, [h, w, 3] RGB 0..255), in the same order.
   * Does not dispose `pixels`; every tensor it creates is disposed before it returns.
   */
  async analyze(
    pixels: tf.Tensor3D,
    faces: readonly DetectedFace[],
    request: CheckRequest,
  ): Promise<FaceCheckResult[]> {
    if (this.closed) throw new FaceError('ERR_INTERNAL', 'These face checks have been disposed');
    if (!(pixels instanceof tf.Tensor) || pixels.rank !== 3 || pixels.shape[2] !== 3) {
      throw new FaceError(
        'ERR_INVALID_ARGUMENT',
        `Face checks need an [height, width, 3] RGB image tensor, got ${pixels instanceof tf.Tensor ? `[${pixels.shape.join(', ')}]` : typeof pixels}.`,
      );
    }
    if (request === null || typeof request !== 'object')
      throw new FaceError(
        'ERR_INVALID_ARGUMENT',
        'Face check options must be an object such as { quality: true, attributes: true, liveness: false }.',
      );
    const results: FaceCheckResult[] = faces.map(() => ({}));
    this.lastTimes.quality = this.lastTimes.attributes = this.lastTimes.liveness = 0;
    if (faces.length === 0 || !(request.quality || request.attributes || request.liveness)) return results;
    await this.load(request);
    await this.withAligned(pixels, faces, async (aligned) => {
      if (request.quality) {
        const t0 = performance.now();
        faceQualityStats(aligned).forEach((s, i) => (results[i]!.quality = qualityFromStats(s, this.quality)));
        this.lastTimes.quality = performance.now() - t0;
      }
      let attributes: FaceAttributes[] | undefined;
      let fasnetRuns: FasnetRun[] | undefined;
      if (request.attributes || request.liveness) {
        const t0 = performance.now();
        ({ attributes, fasnetRuns } = await this.attributesOf(
          pixels,
          faces,
          aligned,
          !!request.liveness,
          !!request.attributes,
        ));
        if (request.attributes) attributes.forEach((a, i) => (results[i]!.attributes = a));
        this.lastTimes.attributes = performance.now() - t0;
      }
      if (request.liveness) {
        const t0 = performance.now();
        const evidence = await this.evidenceFor(pixels, faces, attributes!, fasnetRuns);
        evidence.forEach((e, i) => (results[i]!.liveness = decideLiveness(e, this.liveness)));
        this.lastTimes.liveness = performance.now() - t0;
      }
    });
    return results;
  }

  /**
   * One video frame's checks with one aligning per face: the quality of every face, and the undecided liveness
   * evidence of the faces `evidenceFor` selects (the others get none). For callers that measure quality on every
   * frame and take liveness evidence on some (the face tracker). Same models and disposal rules as analyze().
   */
  async frameChecks(
    pixels: tf.Tensor3D,
    faces: readonly DetectedFace[],
    evidenceFor: (index: number) => boolean,
    options: { hat?: boolean } = {},
  ): Promise<FrameCheckResult[]> {
    if (this.closed) throw new FaceError('ERR_INTERNAL', 'These face checks have been disposed');
    if (faces.length === 0) return [];
    const picked = faces.map((_, i) => i).filter((i) => evidenceFor(i));
    if (picked.length > 0) await this.load({ liveness: true });
    return this.withAligned(pixels, faces, async (aligned) => {
      const results: FrameCheckResult[] = faceQualityStats(aligned).map((s) => ({
        quality: qualityFromStats(s, this.quality),
      }));
      if (picked.length === 0) return results;
      const subset =
        picked.length === faces.length ? aligned : tf.tidy(() => tf.gather(aligned, tf.tensor1d(picked, 'int32')));
      try {
        const pickedFaces = picked.map((i) => faces[i]!);
        const { attributes, fasnetRuns } = await this.attributesOf(
          pixels,
          pickedFaces,
          subset,
          true,
          options.hat ?? true,
        );
        const evidence = await this.evidenceFor(pixels, pickedFaces, attributes, fasnetRuns);
        picked.forEach((faceIndex, j) => (results[faceIndex]!.evidence = evidence[j]));
      } finally {
        if (subset !== aligned) subset.dispose();
      }
      return results;
    });
  }

  /** Runs `use` on the faces aligned to the checks' crop (MobileFaceNet's template), then frees the crops. */
  private async withAligned<T>(
    pixels: tf.Tensor3D,
    faces: readonly DetectedFace[],
    use: (aligned: tf.Tensor4D) => Promise<T>,
  ): Promise<T> {
    const aligned = alignFaces(
      pixels,
      faces.map((f) => f.keypoints),
      MOBILEFACENET_TEMPLATE,
      QUALITY_CROP_SIZE,
    );
    try {
      return await use(aligned);
    } finally {
      aligned.dispose();
    }
  }

  /**
   * The attribute probabilities of each aligned face (also the occlusion evidence of the liveness decision). When
   * the heads read FasNet's activations, FasNet runs here once per face (`forLiveness`: on its mirror image too) and
   * its logits are handed back for the liveness score, so liveness does not run it again. Without `withHat` (the
   * liveness decision alone reads mask and sunglasses) the hat head's head-crop descriptor is not computed and `hat`
   * is NaN.
   */
  private async attributesOf(
    pixels: tf.Tensor3D,
    faces: readonly DetectedFace[],
    aligned: tf.Tensor4D,
    forLiveness: boolean,
    withHat: boolean,
  ): Promise<{ attributes: FaceAttributes[]; fasnetRuns?: FasnetRun[] }> {
    const block = fasnetBlockOf();
    let fasnetRuns: FasnetRun[] | undefined;
    let activations: Float32Array[] | undefined;
    if (block) {
      const antispoof = await this.antispoof.get();
      const runs = faces.map((face) =>
        antispoof.runWithActivations(pixels, face, {
          mirror: forLiveness,
          activations: [FASNET_BLOCKS[block].activation],
        }),
      );
      fasnetRuns = runs.map(({ logits, mirrored }) => ({ logits, mirrored }));
      activations = runs.map((r) => r.activations[0]!);
    }
    // Without the hat, its head-crop features are not computed: zeros stand in, and its score is set to NaN below.
    const skipHat = !withHat && needsCenterNet();
    let headObjectFeatures: Float32Array[] | undefined;
    if (skipHat) headObjectFeatures = faces.map(() => new Float32Array(CENTERNET_HEAD_FEATURES));
    else if (needsCenterNet())
      headObjectFeatures = (await this.centerNet.get()).describe(
        pixels,
        faces.map((f) => f.keypoints),
      );
    const features = attributeFeatures(aligned, ATTRIBUTE_HEADS, activations, headObjectFeatures);
    const attributes = features.map((x) => attributesFromFeatures(x));
    if (skipHat) attributes.forEach((a) => (a.hat = Number.NaN));
    return { attributes, fasnetRuns };
  }

  /** The liveness thresholds in use (the tracker decides over frames with the same ones). */
  get livenessThresholds(): LivenessThresholds {
    return this.liveness;
  }

  private async evidenceFor(
    pixels: tf.Tensor3D,
    faces: readonly DetectedFace[],
    attributes: readonly FaceAttributes[],
    fasnetRuns?: readonly FasnetRun[],
  ): Promise<LivenessEvidence[]> {
    const [height, width] = pixels.shape;
    const [antispoof, eyes, eyeState] = await Promise.all([this.antispoof.get(), this.eyes.get(), this.eyeState.get()]);
    return faces.map((face, i) => {
      const geometry = geometryProblems(face, { width, height }, this.geometry);
      if (geometry.length > 0) return { geometry };
      const earlier = fasnetRuns?.[i];
      const { logits, mirrored } = earlier?.mirrored
        ? { logits: earlier.logits, mirrored: earlier.mirrored }
        : antispoof.runWithMirror(pixels, face);
      const rawScore = livenessScore(logits, mirrored);
      const found = eyes.run(pixels, face);
      const eyesClosed = eyeState.run(pixels, [found.rightEye, found.leftEye]);
      return { geometry, rawScore, eyesClosed, attributes: attributes[i] };
    });
  }

  dispose(): void {
    if (this.closed) return;
    this.closed = true;
    for (const model of [this.antispoof, this.eyes, this.eyeState, this.centerNet]) model.dispose();
  }
}
