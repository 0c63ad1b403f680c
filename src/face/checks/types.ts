import type { DetectedFace } from '../../vocabulary';

/** Quality of the face region: each score in [0, 1], higher = worse; `ok` when all are under their thresholds. */
export interface FaceQuality {
  /** 1 = no fine detail in the face (out of focus, motion blur, heavy upscaling). */
  blur: number;
  /** 1 = the face is too dark to see. */
  dark: number;
  /** 1 = no colour at all (black-and-white photo or IR camera). */
  grayscale: number;
  ok: boolean;
}

/** Probabilities in [0, 1]. */
export interface FaceAttributes {
  sunglasses: number;
  mask: number;
  veil: number;
  hat: number;
}

/** The codes of ERR_LIVENESS_ERROR's metadata.code: why a face was not judged live, or could not be judged. */
export type LivenessCode =
  | 'EYES_CLOSED'
  | 'FACE_CLOSE_TO_BORDER'
  | 'FACE_CROPPED'
  | 'FACE_NOT_LIVE'
  | 'FACE_TOO_CLOSE'
  | 'FACE_ANGLE_TOO_LARGE'
  | 'FACE_IS_OCCLUDED'
  | 'FACE_NOT_FOUND'
  | 'FACE_TOO_SMALL'
  | 'TOO_MANY_FACES'
  | 'UNKNOWN_ERROR';

export interface FaceLiveness {
  /** True when every precondition holds and the anti-spoofing model scores the face live. */
  live: boolean;
  /** Probability-like score in [0, 1] that the face is live (0 when a precondition failed and the model did not run). */
  score: number;
  /** Why the face is not live; null when it is. */
  code: LivenessCode | null;
}

/** What analyze() adds to a detected face; each part only when it was asked for. */
export interface FaceCheckResult {
  quality?: FaceQuality;
  attributes?: FaceAttributes;
  liveness?: FaceLiveness;
}

export interface CheckRequest {
  quality?: boolean;
  attributes?: boolean;
  liveness?: boolean;
}

export type CheckedFace = DetectedFace & FaceCheckResult;

export interface ImageSize {
  width: number;
  height: number;
}
