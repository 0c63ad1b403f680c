// Face checks (docs/api.md, "Face checks"): quality, attributes, passive liveness, validateFace's decision and
// checkLiveness's error code. The client wires these; everything but FaceChecks is a pure function.
export { FaceChecks, type CheckTimes, type FrameCheckResult } from './faceChecks';
export {
  validate,
  livenessFailure,
  livenessError,
  FAIL_ON,
  LIVENESS_MESSAGES,
  ATTRIBUTE_FAIL_THRESHOLD,
  type ValidateRequest,
  type ValidationResult,
  type ValidationReason,
  type ValidationCheck,
} from './validate';
export {
  geometryProblems,
  competingFaces,
  noseOffset,
  DEFAULT_GEOMETRY_LIMITS,
  LIVENESS_CROP_SCALE,
  type GeometryLimits,
} from './geometry';
export {
  qualityFromStats,
  faceQualityStats,
  DEFAULT_QUALITY_THRESHOLDS,
  type QualityStats,
  type QualityThresholds,
} from './quality';
export {
  decideLiveness,
  evidenceIsNumbers,
  calibratedLiveScore,
  livenessScore,
  DEFAULT_LIVENESS_THRESHOLDS,
  LIVENESS_SCORE_THRESHOLD,
  TRACK_LIVENESS_SCORE_THRESHOLD,
  type LivenessThresholds,
  type LivenessEvidence,
} from './liveness';
export { fasnetLiveLogOdds, fasnetCropRect } from './fasnet';
export { eyeClosedProbability } from './eyeState';
export { attributesFromFeatures } from './attributes';
export type {
  FaceQuality,
  FaceAttributes,
  FaceLiveness,
  LivenessCode,
  FaceCheckResult,
  CheckRequest,
  CheckedFace,
} from './types';
