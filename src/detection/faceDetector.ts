import * as tf from '@tensorflow/tfjs';
import { createDetector, SupportedModels, MediaPipeFaceDetectorTfjs } from '@tensorflow-models/face-detection';
import type { ModelFiles } from '../runtime/modelFiles';
import { estimatePose, type FaceKeypoints, type HeadPose } from './pose';

export interface FaceBox {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** One detected face, in pixels of the input image. */
export interface DetectedFace {
  box: FaceBox;
  /** Detector confidence in [0, 1]. */
  score: number;
  keypoints: FaceKeypoints;
  pose: HeadPose;
}

export type DetectionMode =
  /** One face wanted (enroll, compare, 1:N search): the short-range model, full-range only if it finds none. */
  | 'largest'
  /** Every face (group photos, N:N search): the full-range model, which also finds small faces. */
  | 'all';

const KEYPOINT_NAMES = ['rightEye', 'leftEye', 'noseTip', 'mouthCenter', 'rightEarTragion', 'leftEarTragion'] as const;

/** Face detection with MediaPipe's BlazeFace models through @tensorflow-models/face-detection (tfjs runtime). */
export class FaceDetector {
  private constructor(
    private readonly shortRange: MediaPipeFaceDetectorTfjs,
    private readonly fullRange: MediaPipeFaceDetectorTfjs,
  ) {}

  static async create(files: ModelFiles): Promise<FaceDetector> {
    const load = async (modelType: 'short' | 'full', file: string) => {
      const detector = await createDetector(SupportedModels.MediaPipeFaceDetector, {
        runtime: 'tfjs',
        modelType,
        maxFaces: 100,
        detectorModelUrl: await files.graphModel(file, 'detector'),
      });
      // createDetector's tfjs runtime returns this class; its detectFaces() keeps the scores estimateFaces() drops.
      if (!(detector instanceof MediaPipeFaceDetectorTfjs)) throw new Error('unexpected face-detection runtime');
      return detector;
    };
    const [shortRange, fullRange] = await Promise.all([load('short', 'face-detector-short.json'), load('full', 'face-detector-full.json')]);
    return new FaceDetector(shortRange, fullRange);
  }

  /** Faces in `image` (int32 or float32 [h, w, 3] RGB), largest first. Does not dispose `image`. */
  async detect(image: tf.Tensor3D, mode: DetectionMode): Promise<DetectedFace[]> {
    const [height, width] = image.shape;
    let faces = await this.run(mode === 'largest' ? this.shortRange : this.fullRange, image, width, height);
    if (faces.length === 0) faces = await this.run(mode === 'largest' ? this.fullRange : this.shortRange, image, width, height);
    return faces.sort((a, b) => b.box.width * b.box.height - a.box.width * a.box.height);
  }

  /** Runs both models once so their WebGL shaders / WASM kernels are ready before the first real call. */
  async warmUp(): Promise<void> {
    const blank = tf.zeros([192, 192, 3], 'int32') as tf.Tensor3D;
    try {
      await this.shortRange.detectFaces(blank);
      await this.fullRange.detectFaces(blank);
    } finally {
      blank.dispose();
    }
  }

  dispose(): void {
    this.shortRange.dispose();
    this.fullRange.dispose();
  }

  private async run(model: MediaPipeFaceDetectorTfjs, image: tf.Tensor3D, width: number, height: number): Promise<DetectedFace[]> {
    const detections = await model.detectFaces(image, false);
    const faces: DetectedFace[] = [];
    for (const d of detections) {
      const rel = d.locationData.relativeBoundingBox;
      const points = d.locationData.relativeKeypoints;
      if (!rel || !points || points.length < KEYPOINT_NAMES.length) continue;
      const keypoints = Object.fromEntries(
        KEYPOINT_NAMES.map((name, i) => [name, { x: points[i]!.x * width, y: points[i]!.y * height }]),
      ) as unknown as FaceKeypoints;
      faces.push({
        box: { x: rel.xMin * width, y: rel.yMin * height, width: rel.width * width, height: rel.height * height },
        score: d.score?.[0] ?? 0,
        keypoints,
        pose: estimatePose(keypoints),
      });
    }
    return faces;
  }
}
