import { FaceError } from '../../errors';
import { competingFaces, DEFAULT_GEOMETRY_LIMITS, type GeometryLimits } from './geometry';
import type { CheckedFace, LivenessCode } from './types';

/** validateFace's switches (docs/api.md): each check runs only when asked. */
export interface ValidateRequest {
  validateQuality?: boolean;
  validateAttribute?: boolean;
  validateLiveness?: boolean;
  validateNface?: boolean;
}

/** The seed's FAIL_ON_<n> bits. */
export const FAIL_ON = Object.freeze({ liveness: 1, attribute: 2, quality: 4, nface: 8 });

export type ValidationCheck = keyof typeof FAIL_ON;

export interface ValidationReason {
  check: ValidationCheck;
  /** e.g. 'BLURRY', 'TOO_DARK', 'GRAYSCALE', 'SUNGLASSES', 'MASK', 'TOO_MANY_FACES' or a liveness code. */
  code: string;
  /** A sentence the person in front of the camera can act on. */
  message: string;
}

export type ValidationResult<F> =
  { ok: true; faces: F[] } | { ok: false; failOn: number; reasons: ValidationReason[]; faces: F[] };

/** Attribute probabilities at or above this fail validateAttribute (the heads are calibrated so 0.5 is their chosen threshold). */
export const ATTRIBUTE_FAIL_THRESHOLD = 0.5;

const QUALITY_MESSAGES = {
  BLURRY: 'The face is blurred: hold the camera still, focus on the face and avoid digital zoom.',
  TOO_DARK: 'The face is too dark: add light in front of the face or move away from a bright window behind it.',
  GRAYSCALE: 'The photo is black-and-white: use a colour photo.',
} as const;

export const LIVENESS_MESSAGES: Record<LivenessCode, string> = {
  EYES_CLOSED: 'The eyes look closed: look at the camera with eyes open.',
  FACE_CLOSE_TO_BORDER: 'The face is too close to the edge of the picture: centre the face with some space around it.',
  FACE_CROPPED: 'Part of the face is outside the picture: centre the whole face in the frame.',
  FACE_NOT_LIVE:
    'The face does not look like a live person in front of the camera (a photo or screen was suspected): present your own face, not a picture of it.',
  FACE_TOO_CLOSE: 'The face is too close to the camera: move back so that the head and some background are visible.',
  FACE_ANGLE_TOO_LARGE: 'The head is turned or tilted too far: look straight at the camera.',
  FACE_IS_OCCLUDED: 'Part of the face is covered (mask, sunglasses or hand): uncover the face.',
  FACE_NOT_FOUND: 'No face was found: use a photo where one face is clearly visible.',
  FACE_TOO_SMALL: 'The face is too small in the picture: move closer to the camera or use a higher resolution.',
  TOO_MANY_FACES: 'More than one face is in the picture: make sure only one person is in the frame.',
  UNKNOWN_ERROR: 'The liveness check could not be completed: try again with a clear, well-lit photo of one face.',
};

/**
 * validateFace's decision, pure: `faces` are every face of the image, largest first, with the checks that were
 * asked for already computed (quality for validateQuality, and so on). The largest face is the one checked for
 * quality, attributes and liveness; validateNface fails when another face is at least half its width.
 * Throws ERR_FACE_NOT_DETECTED when there is no face, and ERR_INVALID_ARGUMENT when a check was asked for but not computed.
 */
export function validate<F extends CheckedFace>(
  faces: readonly F[],
  request: ValidateRequest,
  limits: GeometryLimits = DEFAULT_GEOMETRY_LIMITS,
): ValidationResult<F> {
  if (request === null || typeof request !== 'object')
    throw new FaceError(
      'ERR_INVALID_ARGUMENT',
      'validateFace options must be an object such as { validateQuality: true }.',
    );
  const face = faces[0];
  if (!face)
    throw new FaceError(
      'ERR_FACE_NOT_DETECTED',
      'No face was found in the image. Use a photo where the face is visible, frontal and at least ~40 px wide.',
    );
  const reasons: ValidationReason[] = [];
  const missing = (what: string) =>
    new FaceError(
      'ERR_INVALID_ARGUMENT',
      `validate${what} was asked for but the face's ${what.toLowerCase()} was not computed; run the ${what.toLowerCase()} check first.`,
    );

  if (request.validateLiveness) {
    if (!face.liveness) throw missing('Liveness');
    if (!face.liveness.live) {
      const code = face.liveness.code ?? 'FACE_NOT_LIVE';
      reasons.push({ check: 'liveness', code, message: LIVENESS_MESSAGES[code] });
    }
  }
  if (request.validateAttribute) {
    if (!face.attributes) throw missing('Attribute');
    if (face.attributes.sunglasses >= ATTRIBUTE_FAIL_THRESHOLD)
      reasons.push({ check: 'attribute', code: 'SUNGLASSES', message: 'Sunglasses hide the eyes: take them off.' });
    if (face.attributes.mask >= ATTRIBUTE_FAIL_THRESHOLD)
      reasons.push({ check: 'attribute', code: 'MASK', message: 'A mask hides the lower face: take it off.' });
  }
  if (request.validateQuality) {
    if (!face.quality) throw missing('Quality');
    const q = face.quality;
    if (!q.ok) {
      const worst = (['blur', 'dark', 'grayscale'] as const).filter((k) => q[k] >= 0.5);
      if (worst.length === 0) worst.push('blur');
      for (const k of worst) {
        const code = k === 'blur' ? 'BLURRY' : k === 'dark' ? 'TOO_DARK' : 'GRAYSCALE';
        reasons.push({ check: 'quality', code, message: QUALITY_MESSAGES[code] });
      }
    }
  }
  if (request.validateNface && competingFaces(faces, limits) > 0) {
    reasons.push({ check: 'nface', code: 'TOO_MANY_FACES', message: LIVENESS_MESSAGES.TOO_MANY_FACES });
  }
  if (reasons.length === 0) return { ok: true, faces: [...faces] };
  const failOn = reasons.reduce((bits, r) => bits | FAIL_ON[r.check], 0);
  return { ok: false, failOn, reasons, faces: [...faces] };
}

/**
 * checkLiveness for enroll and search (seeds 000/003), pure: null when the largest face is live, else the
 * ERR_LIVENESS_ERROR metadata.code. `faces` are every face found, largest first, the largest with liveness computed.
 */
export function livenessFailure(
  faces: readonly CheckedFace[],
  limits: GeometryLimits = DEFAULT_GEOMETRY_LIMITS,
): LivenessCode | null {
  const face = faces[0];
  if (!face) return 'FACE_NOT_FOUND';
  if (competingFaces(faces, limits) > 0) return 'TOO_MANY_FACES';
  if (!face.liveness) return 'UNKNOWN_ERROR';
  return face.liveness.live ? null : (face.liveness.code ?? 'FACE_NOT_LIVE');
}

/** The FaceError enroll and search throw for a liveness failure. */
export function livenessError(code: LivenessCode): FaceError {
  return new FaceError('ERR_LIVENESS_ERROR', `Liveness check failed (${code}). ${LIVENESS_MESSAGES[code]}`, {
    metadata: { code },
  });
}
