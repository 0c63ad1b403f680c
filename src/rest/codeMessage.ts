// The error body of seeds 000 (person management) and 003 (face search): { code, message[, metadata] }.
import { FaceError } from '../errors';
import type { Dialect, Refusal } from './context';
import { header, jsonResponse, type BodyProblem } from './http';

/** The seeds' own wording, used verbatim for the codes they show a body for. */
export const SEED_MESSAGES: Record<string, string> = {
  ERR_INVALID_COLLECTION_NAME:
    'Collection names can only contain alphanumeric characters, underscores, hyphens, and periods.',
  ERR_API_KEY_NOT_PRESENT: 'The API key is missing from the request.',
  ERR_API_KEY_NOT_VALID: 'The API key is not valid.',
  ERR_NOT_FOUND: 'The requested entity could not be found.',
  ERR_FACE_NOT_DETECTED: 'A face could not be detected in the image(s).',
  ERR_LIVENESS_ERROR: 'A liveness error occurred. Please check the supplied image and the error metadata.',
  ERR_BASE64_IMAGE_CANNOT_BE_DECODED: 'The posted Base64 image(s) could not be decoded as JPEG/PNG bytes.',
};

export function codeMessage(
  status: number,
  code: string,
  message?: string,
  metadata?: Record<string, unknown>,
  headers?: Record<string, string>,
): Response {
  return jsonResponse(
    status,
    { code, message: message ?? SEED_MESSAGES[code] ?? code, ...(metadata ? { metadata } : {}) },
    headers,
  );
}

/** A FaceError as 000/003 answer it: the seed's message where the seed shows one, else LocalFace's own sentence. */
export function codeMessageFailure(error: unknown): Response {
  if (!(error instanceof FaceError)) {
    return codeMessage(
      500,
      'ERR_INTERNAL',
      `The request failed unexpectedly: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  // Only the liveness code travels in metadata (as the seed shows); other metadata is internal detail.
  const metadata =
    error.code === 'ERR_LIVENESS_ERROR'
      ? { code: error.metadata?.code ?? 'UNKNOWN_ERROR' }
      : error.code === 'ERR_DUPLICATE_FACE'
        ? error.metadata
        : undefined;
  return codeMessage(error.status, error.code, SEED_MESSAGES[error.code] ?? restWording(error), metadata);
}

/** The client's sentence where it names a JavaScript option or method, reworded with the REST field or endpoint. */
function restWording(error: FaceError): string {
  const m = error.metadata ?? {};
  if (error.code === 'ERR_COLLECTION_EXISTS' && typeof m.collectionName === 'string')
    return `A collection named "${m.collectionName}" already exists. Use it, or delete it first (DELETE collection/${m.collectionName}).`;
  if (error.code === 'ERR_DUPLICATE_FACE')
    return error.message.replace('checkDuplicates: false', 'check_duplicates: false');
  return error.message;
}

/** The parts of Dialect shared by 000 and 003 (x-api-key, { code, message } bodies). */
export const codeMessageErrors: Omit<Dialect, 'name' | 'owns' | 'routes'> = {
  credentials: (request) => ({ key: header(request, 'x-api-key') }),
  keyMissing: () => codeMessage(401, 'ERR_API_KEY_NOT_PRESENT'),
  keyInvalid: () => codeMessage(403, 'ERR_API_KEY_NOT_VALID'),
  limited: (refusal: Refusal) =>
    refusal.limit === 'requestsPerMinute'
      ? codeMessage(
          429,
          'ERR_RATE_LIMIT_EXCEEDED',
          `This API key's limit of requests per minute is reached. Retry in ${refusal.retryAfterSeconds} s.`,
          undefined,
          { 'retry-after': String(refusal.retryAfterSeconds) },
        )
      : codeMessage(
          429,
          'ERR_QUOTA_EXCEEDED',
          `This API key's limit of enrolls per day is reached. Retry in ${refusal.retryAfterSeconds} s.`,
          undefined,
          { 'retry-after': String(refusal.retryAfterSeconds) },
        ),
  badBody: (problem: BodyProblem) =>
    problem.kind === 'tooLarge'
      ? codeMessage(413, 'ERR_IMAGE_TOO_LARGE', problem.message)
      : codeMessage(400, 'ERR_INVALID_ARGUMENT', problem.message),
  unknownPath: () =>
    codeMessage(
      404,
      'ERR_NOT_FOUND',
      "No such endpoint. Check the method and path (relative to the handler's basePath).",
    ),
  methodNotAllowed: (allowed: string[]) =>
    codeMessage(405, 'ERR_METHOD_NOT_ALLOWED', `This endpoint takes ${allowed.join(' or ')}.`, undefined, {
      allow: allowed.join(', '),
    }),
  failure: codeMessageFailure,
};
