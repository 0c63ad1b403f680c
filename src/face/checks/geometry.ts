import type { DetectedFace } from '../../vocabulary';
import type { ImageSize, LivenessCode } from './types';

/**
 * Geometric preconditions of a face check, pure functions of a detection and the image size. The passive-liveness
 * model looks at the face and the area around it (up to 2.7 × the face box, see fasnet.ts), so a face must be whole,
 * have some margin around it (LIVENESS_CROP_SCALE × the box inside the image), be large enough, not fill the frame,
 * and be roughly frontal for its score to mean anything.
 */
export interface GeometryLimits {
  /** Smallest face box side in pixels (below this the eyes and the skin texture the checks look at are a few pixels). */
  minFaceSize: number;
  /** Largest face box side as a share of the image's shorter side (a face filling the frame leaves no context). */
  maxFaceShare: number;
  /** The liveness crop (box × this, square) must lie inside the image by at least this much of the box, else "close to border". */
  borderMargin: number;
  /** A box reaching further than this share of its size outside the image is "cropped". */
  croppedShare: number;
  /**
   * Largest sideways offset of the nose tip from the eyes' midpoint, in eye distances (≈ sin yaw × 1.1; 0.5 ≈ 30°).
   * Used instead of pose.yaw, whose ear keypoints are unreliable: pose.yaw exceeded 35° on 82 of 400 plain LFW
   * faces, this offset exceeded 0.5 on 9 (tools/results/face-checks-notes.md).
   */
  maxNoseOffset: number;
  /** Largest |pitch| in degrees (pose.pitch; no plain LFW face exceeded 30°). */
  maxPitch: number;
  /** A second face at least this share of the largest face's width counts for TOO_MANY_FACES. */
  secondFaceShare: number;
}

export const DEFAULT_GEOMETRY_LIMITS: GeometryLimits = Object.freeze({
  minFaceSize: 64,
  maxFaceShare: 0.9,
  borderMargin: 0,
  croppedShare: 0.1,
  maxNoseOffset: 0.5,
  maxPitch: 35,
  secondFaceShare: 0.5,
});

/** The square around the face (box × this) that must lie inside the image: the margin the liveness check needs. */
export const LIVENESS_CROP_SCALE = 1.3;

/** Geometry problems of one face, in the order a user should fix them. Empty when none. */
export function geometryProblems(
  face: DetectedFace,
  image: ImageSize,
  limits: GeometryLimits = DEFAULT_GEOMETRY_LIMITS,
): LivenessCode[] {
  const { x, y, width, height } = face.box;
  const problems: LivenessCode[] = [];
  const side = Math.max(width, height);
  // A face filling the frame is also cut by it: "too close" is the actionable one, so it comes first. So is a face
  // whose margin square (LIVENESS_CROP_SCALE) is larger than the picture: centred or not, it cannot fit.
  const shorter = Math.min(image.width, image.height);
  const tooClose = side > limits.maxFaceShare * shorter || side * LIVENESS_CROP_SCALE > shorter;
  if (tooClose) problems.push('FACE_TOO_CLOSE');
  const outside = Math.max(-x, -y, x + width - image.width, y + height - image.height, 0);
  if (outside > limits.croppedShare * side) problems.push('FACE_CROPPED');
  else {
    const crop = side * LIVENESS_CROP_SCALE;
    const cx = x + width / 2,
      cy = y + height / 2;
    const margin = Math.min(
      cx - crop / 2,
      cy - crop / 2,
      image.width - (cx + crop / 2),
      image.height - (cy + crop / 2),
    );
    if (margin < -limits.borderMargin * side) problems.push('FACE_CLOSE_TO_BORDER');
  }
  if (side < limits.minFaceSize) problems.push('FACE_TOO_SMALL');
  if (noseOffset(face) > limits.maxNoseOffset || Math.abs(face.pose.pitch) > limits.maxPitch)
    problems.push('FACE_ANGLE_TOO_LARGE');
  return problems;
}

/** Faces other than the largest that are big enough to matter (background faces far smaller are ignored). */
export function competingFaces(
  faces: readonly DetectedFace[],
  limits: GeometryLimits = DEFAULT_GEOMETRY_LIMITS,
): number {
  const largest = faces[0];
  if (!largest) return 0;
  return faces.slice(1).filter((f) => f.box.width >= limits.secondFaceShare * largest.box.width).length;
}

/** |nose tip − eye midpoint| along the eye line, over the eye distance (0 frontal; grows with yaw); pure. */
export function noseOffset(face: DetectedFace): number {
  const { rightEye: r, leftEye: l, noseTip: n } = face.keypoints;
  const dx = l.x - r.x,
    dy = l.y - r.y;
  const eyes = Math.hypot(dx, dy);
  if (!(eyes > 0)) return Infinity;
  const along = (n.x - (r.x + l.x) / 2) * dx + (n.y - (r.y + l.y) / 2) * dy;
  return Math.abs(along) / (eyes * eyes);
}
