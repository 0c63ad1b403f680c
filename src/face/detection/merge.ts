// Merging the faces the two BlazeFace models (and the tiles) find in one image or frame: pure, testable without a model.
import { intersectionOverUnion, type Box, type DetectedFace } from '../../vocabulary';

/** Whether boxes `a` and `b` show the same face: overlapping (IoU ≥ 0.3), or one mostly inside the other. */
export function sameFace(a: Box, b: Box): boolean {
  if (intersectionOverUnion(a, b) >= 0.3) return true;
  const width = Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x);
  const height = Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y);
  if (width <= 0 || height <= 0) return false;
  // The full-range model's box of a face that fills the frame can be much smaller or larger than the short-range one's.
  const smaller = Math.min(a.width * a.height, b.width * b.height);
  return (width * height) / smaller >= 0.5;
}

/**
 * The short-range model's faces (`near`) with the full-range model's (`far`) added where no face the short-range model
 * is sure of (score ≥ `minScore`) lies: the faces it is sure of keep its boxes and keypoints, as on the frames it alone
 * sees; one it is unsure of gives way to a full-range face in its place.
 */
export function addFarFaces(
  near: readonly DetectedFace[],
  far: readonly DetectedFace[],
  minScore: number,
): DetectedFace[] {
  const sure = near.filter((f) => f.score >= minScore);
  const added = far.filter((f) => !sure.some((s) => sameFace(s.box, f.box)));
  return [...near.filter((f) => !added.some((a) => sameFace(a.box, f.box))), ...added];
}

/**
 * Greedy non-maximum suppression by score: keeps the most confident of the boxes that show the same face (sameFace:
 * overlapping, or one mostly inside the other). A tile can see a face at the edge of its reach and give it a box
 * twice its size, around the face a closer view found (IoU 0.2): by IoU alone both stayed, and the loose box, the
 * larger, was taken as the largest face.
 */
export function suppressOverlaps(faces: DetectedFace[]): DetectedFace[] {
  const kept: DetectedFace[] = [];
  for (const face of [...faces].sort((a, b) => b.score - a.score)) {
    if (kept.every((k) => !sameFace(k.box, face.box))) kept.push(face);
  }
  return kept;
}
