import type { FaceKeypoints, HeadPose, Point } from '../../vocabulary';

export type { FaceKeypoints, HeadPose };

const DEG = 180 / Math.PI;
const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));

/**
 * A coarse head pose from the six detector keypoints (no 3-D model): roll from the eye line, yaw from where the
 * nose sits between the ear tragions, pitch from where the nose sits between the eye line and the mouth,
 * relative to a frontal face (nose ≈ 45 % of the way from eyes to mouth). Good to ±10° up to ~60°, enough for
 * "angle too large" checks; not a landmark-fitting pose estimator.
 */
export function estimatePose(k: FaceKeypoints): HeadPose {
  const [left, right] = k.rightEye.x <= k.leftEye.x ? [k.rightEye, k.leftEye] : [k.leftEye, k.rightEye];
  const roll = Math.atan2(right.y - left.y, right.x - left.x) * DEG;

  // Rotate points into the face's upright frame so roll does not leak into yaw and pitch.
  const angle = -roll / DEG;
  const cos = Math.cos(angle),
    sin = Math.sin(angle);
  const up = (p: Point): Point => ({ x: p.x * cos - p.y * sin, y: p.x * sin + p.y * cos });
  const nose = up(k.noseTip),
    mouth = up(k.mouthCenter);
  const earA = up(k.rightEarTragion),
    earB = up(k.leftEarTragion);
  const eyeA = up(k.rightEye),
    eyeB = up(k.leftEye);

  const earMid = (earA.x + earB.x) / 2;
  const earHalf = Math.abs(earB.x - earA.x) / 2;
  const yaw = earHalf > 0 ? Math.asin(clamp((nose.x - earMid) / earHalf, -1, 1)) * DEG : 0;

  const eyeY = (eyeA.y + eyeB.y) / 2;
  const span = mouth.y - eyeY;
  const frontalShare = 0.45;
  const pitch = span > 0 ? clamp(((frontalShare - (nose.y - eyeY) / span) / frontalShare) * 45, -90, 90) : 0;

  return { yaw, pitch, roll };
}
