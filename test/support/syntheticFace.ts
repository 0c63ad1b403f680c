import type { DetectedFace } from '../../src/vocabulary';

/** A frontal face of `size` px with its box at (x, y) and keypoints where a detector would put them. */
export function syntheticFace(
  x: number,
  y: number,
  size: number,
  pose = { yaw: 0, pitch: 0, roll: 0 },
  score = 0.9,
): DetectedFace {
  const p = (dx: number, dy: number) => ({ x: x + dx * size, y: y + dy * size });
  return {
    box: { x, y, width: size, height: size },
    score,
    keypoints: {
      rightEye: p(0.3, 0.35),
      leftEye: p(0.7, 0.35),
      noseTip: p(0.5, 0.55),
      mouthCenter: p(0.5, 0.75),
      rightEarTragion: p(0, 0.45),
      leftEarTragion: p(1, 0.45),
    },
    pose,
  };
}
