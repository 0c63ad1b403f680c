// Seed 002, enroll face with checks: POST enroll-face. The image is checked first (quality, attributes, liveness,
// number of faces, each computed with is_* and enforced with validate_*); a failed check answers 200 with
// FAIL_ON_<n> (liveness 1, attribute 2, quality 4, faces 8) and enrolls nothing. Auth: x-api-key. The subject is
// enrolled into the key's first collection (or `default`); enroll is an upsert, so an existing subject_id's photo is
// replaced. Errors: { error_code, message }.
import { characterCount } from '../collections/validate';
import type { Face } from '../client';
import { FaceError } from '../errors';
import { randomId } from '../vocabulary';
import { validate, type CheckedFace } from '../face/checks';
import type { Dialect, RestContext, Route } from './context';
import { inKeyCollection, putFaceOf } from './context';
import { base64Payload } from '../face/input/imageHeader';
import {
  BodyError,
  booleanField,
  DETAIL_HEADER,
  header,
  headerValue,
  jsonResponse,
  readBody,
  type BodyObject,
  type BodyProblem,
} from './http';
import { ownsEnrollFacePath } from './paths';

/** The seed's descriptions of FAIL_ON_1 … FAIL_ON_15 (bits: liveness 1, attribute 2, quality 4, number of faces 8). */
const FAIL_ON_MESSAGES = [
  '',
  'fail on liveness',
  'fail on attribute',
  'fail on liveness and attribute',
  'fail on quality',
  'fail on liveness and quality',
  'fail on attribute and quality',
  'fail on liveness, attribute, and quality',
  'fail on number of face (nface)',
  'fail on number of face (nface) and liveness',
  'fail on number of face (nface) and attribute',
  'fail on number of face (nface), attribute, and liveness',
  'fail on number of face (nface) and quality',
  'fail on number of face (nface), quality, and liveness',
  'fail on number of face (nface), quality, and attribute',
  'fail on number of face (nface), quality, attribute, and liveness',
] as const;

export function failOnMessage(mask: number): string {
  return FAIL_ON_MESSAGES[mask] ?? `fail on checks (${mask})`;
}

/** The seed's error codes with their HTTP status. */
export const ENROLL_FACE_ERRORS = {
  INVALID_PAYLOAD: [400, 'no value in payload or empty string more than 1'],
  INVALID_PAYLOAD_IMAGE_MISSING: [400, 'invalid payload image not a standard b64/url or image empty string'],
  INVALID_PAYLOAD_SUBJECT_ID_MISSING: [400, 'invalid payload subject id is empty string'],
  INVALID_PAYLOAD_IMAGE_SIZE: [400, 'invalid payload image size too large'],
  MISSING_PAYLOAD_IMAGE: [400, 'missing payload image'],
  INVALID_PAYLOAD_IMAGE_TIMEOUT: [400, 'timeout getting image from url in 15 seconds'],
  INVALID_PAYLOAD_IMAGE_FORMAT: [400, 'image unable to be decoded/got from url OR invalid image extension'],
  FACE_NOT_DETECTED: [400, 'face not detected from image'],
  INVALID_PAYLOAD_QUALITY_VALIDATION_DEPENDENCY: [400, 'is_quality must be true if validate_quality true'],
  INVALID_PAYLOAD_ATTRIBUTE_VALIDATION_DEPENDENCY: [400, 'is_attribute must be true if validate_attribute true'],
  INVALID_PAYLOAD_LIVENESS_VALIDATION_DEPENDENCY: [400, 'is_liveness must be true if validate_liveness true'],
  INSUFFICIENT_QUOTA_ENROLL: [403, 'usage reach it quota limit for enroll'],
  INSUFFICIENT_QUOTA_LIVENESS: [403, 'usage reach it quota limit for liveness'],
  // Not in the seed's table (it names no auth or routing errors): the same style.
  API_KEY_NOT_PRESENT: [401, 'missing api key'],
  API_KEY_NOT_VALID: [403, 'invalid api key'],
  NOT_FOUND: [404, 'endpoint not found'],
  METHOD_NOT_ALLOWED: [405, 'method not allowed'],
  INTERNAL_SERVER_ERROR: [500, 'internal server error'],
} as const satisfies Record<string, readonly [number, string]>;

export type EnrollFaceErrorCode = keyof typeof ENROLL_FACE_ERRORS;

export function enrollFaceError(
  code: EnrollFaceErrorCode,
  detail?: string,
  headers?: Record<string, string>,
): Response {
  const [status, message] = ENROLL_FACE_ERRORS[code];
  // The body is the seed's exactly (apps compare message to its table); the specific cause goes in a header.
  const extra: Record<string, string> = detail ? { [DETAIL_HEADER]: headerValue(detail) } : {};
  return jsonResponse(status, { error_code: code, message }, { ...extra, ...headers });
}

class Refused extends Error {
  constructor(readonly response: Response) {
    super('refused');
  }
}

export function enrollFaceFailure(error: unknown): Response {
  if (error instanceof Refused) return error.response;
  if (!(error instanceof FaceError)) return enrollFaceError('INTERNAL_SERVER_ERROR');
  switch (error.code) {
    case 'ERR_FACE_NOT_DETECTED':
      return enrollFaceError('FACE_NOT_DETECTED');
    case 'ERR_IMAGE_TOO_LARGE':
      return enrollFaceError('INVALID_PAYLOAD_IMAGE_SIZE', error.message);
    case 'ERR_BASE64_IMAGE_CANNOT_BE_DECODED':
    case 'ERR_IMAGE_TOO_SMALL':
      return enrollFaceError('INVALID_PAYLOAD_IMAGE_FORMAT', error.message);
    case 'ERR_INVALID_ARGUMENT':
      return enrollFaceError('INVALID_PAYLOAD', error.message);
    default:
      return error.status >= 500
        ? enrollFaceError('INTERNAL_SERVER_ERROR', error.message)
        : jsonResponse(error.status, { error_code: error.code, message: error.message });
  }
}

export const enrollFace: Dialect = {
  name: '002 enroll face',
  owns: ownsEnrollFacePath,
  routes: [{ method: 'POST', pattern: 'enroll-face', handle: enroll }] satisfies Route[],
  credentials: (request) => ({ key: header(request, 'x-api-key') }),
  keyMissing: () => enrollFaceError('API_KEY_NOT_PRESENT'),
  keyInvalid: () => enrollFaceError('API_KEY_NOT_VALID'),
  limited: (refusal) =>
    enrollFaceError(
      'INSUFFICIENT_QUOTA_ENROLL',
      refusal.limit === 'requestsPerMinute' ? 'requests per minute' : 'enrolls per day',
      { 'retry-after': String(refusal.retryAfterSeconds) },
    ),
  badBody: (p: BodyProblem) =>
    p.kind === 'tooLarge'
      ? enrollFaceError('INVALID_PAYLOAD_IMAGE_SIZE', p.message)
      : enrollFaceError('INVALID_PAYLOAD', p.message),
  unknownPath: () => enrollFaceError('NOT_FOUND'),
  methodNotAllowed: (allowed) =>
    enrollFaceError('METHOD_NOT_ALLOWED', `use ${allowed.join(' or ')}`, { allow: allowed.join(', ') }),
  failure: enrollFaceFailure,
};

const URL_TIMEOUT_MS = 15_000;

function flag(body: BodyObject, name: string, fallback: boolean): boolean {
  const value = body[name];
  if (value === undefined || value === null) return fallback;
  const flagValue = booleanField(value);
  if (flagValue !== undefined) return flagValue;
  throw new Refused(enrollFaceError('INVALID_PAYLOAD', `${name} must be true or false`));
}

/**
 * The image field, checked without any download: base64 (plain or data: URL) or a file (multipart) as it is, or a
 * URL of the page's own origin, fetched later by fetchImage once the enroll is counted.
 */
function imageField(context: RestContext, body: BodyObject): string | Blob | URL {
  const image = body.image;
  if (image === undefined || image === null) throw new Refused(enrollFaceError('MISSING_PAYLOAD_IMAGE'));
  if (image instanceof Blob) return image;
  if (typeof image !== 'string' || image.trim() === '')
    throw new Refused(enrollFaceError('INVALID_PAYLOAD_IMAGE_MISSING'));
  if (!/^https?:\/\//i.test(image)) {
    // The seed's _MISSING is "not a standard b64/url"; _FORMAT is for bytes that do not decode as an image.
    if (base64Payload(image) === undefined) throw new Refused(enrollFaceError('INVALID_PAYLOAD_IMAGE_MISSING'));
    return image;
  }
  // No network beyond the app's own origin: a URL of another host is refused, not fetched.
  let url: URL;
  try {
    url = new URL(image);
  } catch {
    throw new Refused(enrollFaceError('INVALID_PAYLOAD_IMAGE_MISSING'));
  }
  // The app's origin is where the handler runs; the request's own URL is whatever its caller wrote.
  const ownOrigin = (globalThis as { location?: Location }).location?.origin ?? context.url.origin;
  if (url.origin !== ownOrigin)
    throw new Refused(
      enrollFaceError(
        'INVALID_PAYLOAD_IMAGE_FORMAT',
        `only images of this app's origin (${ownOrigin}) are fetched; send the image as base64`,
      ),
    );
  return url;
}

/** The image at a URL of the page's own origin (checked by imageField). */
async function fetchImage(context: RestContext, url: URL): Promise<Blob> {
  // The timeout covers the body too; a redirect is refused, since it could lead to another host.
  const signal = AbortSignal.timeout(URL_TIMEOUT_MS);
  const failed = (error: unknown): Refused => {
    if (error instanceof Refused) return error;
    if (error instanceof DOMException && error.name === 'TimeoutError')
      return new Refused(enrollFaceError('INVALID_PAYLOAD_IMAGE_TIMEOUT'));
    if (error instanceof BodyError) return new Refused(enrollFaceError('INVALID_PAYLOAD_IMAGE_SIZE', error.message));
    return new Refused(enrollFaceError('INVALID_PAYLOAD_IMAGE_FORMAT', 'the image URL could not be fetched'));
  };
  try {
    const response = await fetch(url, { signal, redirect: 'error', credentials: 'omit' });
    if (!response.ok)
      throw new Refused(
        enrollFaceError('INVALID_PAYLOAD_IMAGE_FORMAT', `the image URL answered HTTP ${response.status}`),
      );
    const bytes = await readBody(response, context.maxBodyBytes, 'The image at the URL');
    return new Blob([bytes as Uint8Array<ArrayBuffer>], { type: response.headers.get('content-type') ?? '' });
  } catch (error) {
    // A timeout while reading the body surfaces as the signal's reason, not always as the read's own error.
    throw failed(signal.aborted ? signal.reason : error);
  }
}

function checksBody(face: Face) {
  // The seed says "grayscale is true" for a black & white image: a boolean, where blur and dark are scores checked
  // against a threshold (a grayscale score of 0.0006 would be truthy to an app testing `quality.grayscale`).
  return {
    ...(face.quality
      ? { quality: { blur: face.quality.blur, dark: face.quality.dark, grayscale: face.quality.grayscale >= 0.5 } }
      : {}),
    ...(face.attributes ? { attribute: { ...face.attributes } } : {}),
    ...(face.liveness ? { liveness: { live: face.liveness.live, probability: face.liveness.score } } : {}),
  };
}

async function enroll(context: RestContext): Promise<Response> {
  const body = await context.body({ forms: true });
  const values = Object.values(body);
  if (values.length === 0 || values.filter((v) => v === '').length > 1) return enrollFaceError('INVALID_PAYLOAD');
  if (body.subject_id === '') return enrollFaceError('INVALID_PAYLOAD_SUBJECT_ID_MISSING');
  // null is "not given", as for the image and the flags.
  if (
    body.subject_id !== undefined &&
    body.subject_id !== null &&
    (typeof body.subject_id !== 'string' || characterCount(body.subject_id) > 255)
  )
    return enrollFaceError('INVALID_PAYLOAD', 'subject_id must be a string of at most 255 characters');
  const isQuality = flag(body, 'is_quality', true),
    isAttribute = flag(body, 'is_attribute', true),
    isLiveness = flag(body, 'is_liveness', false);
  const validateQuality = flag(body, 'validate_quality', false),
    validateAttribute = flag(body, 'validate_attribute', false);
  const validateLiveness = flag(body, 'validate_liveness', false),
    validateNface = flag(body, 'validate_nface', false);
  if (validateQuality && !isQuality) return enrollFaceError('INVALID_PAYLOAD_QUALITY_VALIDATION_DEPENDENCY');
  if (validateAttribute && !isAttribute) return enrollFaceError('INVALID_PAYLOAD_ATTRIBUTE_VALIDATION_DEPENDENCY');
  if (validateLiveness && !isLiveness) return enrollFaceError('INVALID_PAYLOAD_LIVENESS_VALIDATION_DEPENDENCY');
  // The image field is checked before the enroll is counted (a malformed request costs nothing), and an image URL
  // fetched after it (a key whose enrolls are used up does not make the device download anything).
  const field = imageField(context, body);
  const allowance = await context.spendEnroll();
  if (!allowance.allowed)
    return enrollFaceError(
      isLiveness ? 'INSUFFICIENT_QUOTA_LIVENESS' : 'INSUFFICIENT_QUOTA_ENROLL',
      'enrolls per day',
      { 'retry-after': String(allowance.retryAfterSeconds) },
    );
  const image = field instanceof URL ? await fetchImage(context, field) : field;
  const subjectId = (body.subject_id as string | null | undefined) ?? randomId();

  const faces = await context.client.detectFaces(image, {
    quality: isQuality,
    attributes: isAttribute,
    liveness: isLiveness,
  });
  if (faces.length === 0) return enrollFaceError('FACE_NOT_DETECTED');
  // validate() reads only boxes and the computed checks, which public faces carry too.
  const verdict = validate(faces as unknown as CheckedFace[], {
    validateQuality,
    validateAttribute,
    validateLiveness,
    validateNface,
  });
  const checks = { subject_id: subjectId, nface: faces.length, ...checksBody(faces[0]!) };
  if (!verdict.ok) {
    return jsonResponse(200, {
      error_code: `FAIL_ON_${verdict.failOn}`,
      message: failOnMessage(verdict.failOn),
      reasons: verdict.reasons.map((r) => ({ check: r.check, code: r.code, message: r.message })),
      ...checks,
    });
  }
  // An existing subject's photo is replaced; their name and metadata (perhaps set through 000) are kept.
  await inKeyCollection(context, (collectionName) =>
    putFaceOf(context.client, {
      collectionName,
      personId: subjectId,
      face: image,
      ifExists: 'replaceFaces',
    }),
  );
  return jsonResponse(200, { message: 'enroll face success', ...checks });
}
