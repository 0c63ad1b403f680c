// Seed 004, face set: POST faceset/v2/add_face (JSON, multipart/form-data or urlencoded: `name`, `file` or
// `image_base64`, optional integer `person_id`). Auth: X-DF-API-ID (the key id) + X-DF-API-SECRET (the key).
// Answers { status, result | reason, request_id }.
import { personExisted } from '../collections/restWrites';
import { isCollectionName } from '../collections/validate';
import { FaceError } from '../errors';
import { putFaceOf, type Dialect, type RestContext, type Route } from './context';
import { header, jsonResponse, lowerFirst, type BodyObject, type BodyProblem } from './http';
import { ownsFaceSetPath, requestId } from './paths';

export const FACE_SET_ERRORS = {
  INVALID_ARGUMENT: 400,
  DOWNLOAD_ERROR: 400,
  UNAUTHORIZED: 401,
  KEY_EXPIRED: 401,
  NO_PERMISSION: 403,
  OUT_OF_QUOTA: 403,
  RATE_LIMIT_EXCEEDED: 403,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  INTERNAL_ERROR: 500,
} as const;

export type FaceSetStatus = keyof typeof FACE_SET_ERRORS;

export function faceSetError(status: FaceSetStatus, reason: string, headers?: Record<string, string>): Response {
  return jsonResponse(FACE_SET_ERRORS[status], { status, reason, request_id: requestId() }, headers);
}

/** The largest person id generated (2^53 − 1): ids stay exact as JSON numbers. */
const MAX_PERSON_ID = Number.MAX_SAFE_INTEGER;

/** The integer face_id of a LocalFace faceId (a UUID): its first 48 bits. */
export function faceIdToInteger(faceId: string): number {
  const hex = faceId.replace(/-/g, '').slice(0, 12);
  return /^[0-9a-f]{12}$/i.test(hex) ? parseInt(hex, 16) : 0;
}

/** The largest person_id taken: the seed's ids are 64-bit (its example: 435451889459444247). */
const MAX_GIVEN_PERSON_ID = 2n ** 63n - 1n;

/**
 * person_id as the seed takes it, as the decimal string that is the LocalFace personId: an integer from 0 to 2^63 − 1,
 * as digits (a form field, a JSON string, or a JSON number above 2^53 that parseJsonObject kept as its digits) or as a
 * JSON number up to 2^53. Null: not such an integer.
 */
export function personIdField(value: unknown): string | undefined | null {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value === 'number') return Number.isSafeInteger(value) && value >= 0 ? String(value) : null;
  if (typeof value !== 'string' || !/^\d{1,19}$/.test(value.trim())) return null;
  const n = BigInt(value.trim());
  return n <= MAX_GIVEN_PERSON_ID ? n.toString() : null;
}

/** A JSON number's text for a decimal personId (exact, also past 2^53), or the id as a string if it is not one. */
function personIdJson(personId: string): string {
  return /^(0|[1-9]\d{0,18})$/.test(personId) ? personId : JSON.stringify(personId);
}

/**
 * The client's sentence about an image, for an HTTP client, naming "the image" (the client's argument is "face"): its
 * first sentence only (what follows advises browser code: an <img>, createImageBitmap), or `whole` (a size limit's
 * advice: re-encode it smaller).
 */
function imageProblem(message: string, { whole = false } = {}): string {
  const said = whole ? message : (/^.*?[.!?](?=\s|$)/.exec(message)?.[0] ?? message);
  return lowerFirst(said.replace(/^The face\b/, 'The image'));
}

export function faceSetFailure(error: unknown): Response {
  if (!(error instanceof FaceError)) return faceSetError('INTERNAL_ERROR', 'internal server error');
  switch (error.code) {
    case 'ERR_FACE_NOT_DETECTED':
      return faceSetError('INVALID_ARGUMENT', 'no face detected in image');
    case 'ERR_IMAGE_TOO_LARGE':
      // The file's bytes, or its sides or pixels (the seed: "between 128*128 and 6000*6000"): the client's sentence
      // says which limit, with its value.
      return faceSetError(
        'INVALID_ARGUMENT',
        `${error.metadata?.bytes !== undefined ? 'image file size too large' : 'image too large'}: ${imageProblem(error.message, { whole: true })}`,
      );
    case 'ERR_IMAGE_TOO_SMALL':
    case 'ERR_BASE64_IMAGE_CANNOT_BE_DECODED':
      return faceSetError('INVALID_ARGUMENT', `invalid image: ${imageProblem(error.message)}`);
    case 'ERR_NOT_FOUND':
      return faceSetError(
        'INVALID_ARGUMENT',
        error.metadata?.personId !== undefined ? 'person not exist' : 'db not exist',
      );
    default:
      return error.status >= 500
        ? faceSetError('INTERNAL_ERROR', error.message)
        : faceSetError('INVALID_ARGUMENT', error.message);
  }
}

export const faceSet: Dialect = {
  name: '004 face set',
  owns: ownsFaceSetPath,
  routes: [{ method: 'POST', pattern: 'faceset/v2/add_face', handle: addFace }] satisfies Route[],
  credentials: (request) => {
    const keyId = header(request, 'x-df-api-id'),
      key = header(request, 'x-df-api-secret');
    // Both are needed: with one missing the credentials are "not present".
    return keyId && key ? { key, keyId } : {};
  },
  keyMissing: () => faceSetError('UNAUTHORIZED', 'missing X-DF-API-ID or X-DF-API-SECRET'),
  keyInvalid: () => faceSetError('UNAUTHORIZED', 'access is denied'),
  limited: (refusal) =>
    refusal.limit === 'requestsPerMinute'
      ? faceSetError('RATE_LIMIT_EXCEEDED', 'API request frequency exceeds the limit', {
          'retry-after': String(refusal.retryAfterSeconds),
        })
      : faceSetError('OUT_OF_QUOTA', 'API calls quota exceeded', { 'retry-after': String(refusal.retryAfterSeconds) }),
  badBody: (p: BodyProblem) =>
    faceSetError('INVALID_ARGUMENT', p.kind === 'tooLarge' ? 'request body too large' : p.message),
  unknownPath: () => faceSetError('NOT_FOUND', 'Requested API cannot be found'),
  methodNotAllowed: (allowed) =>
    faceSetError('METHOD_NOT_ALLOWED', `use ${allowed.join(' or ')}`, { allow: allowed.join(', ') }),
  failure: faceSetFailure,
};

/**
 * The image: `file`, else `image_base64`. A form's empty file input (a file of 0 bytes), an empty `file` text field
 * and a JSON `"file": null` count as not given, as every other optional field's null or empty string does.
 */
function imageOf(body: BodyObject): string | Blob | undefined {
  if (body.file instanceof Blob && body.file.size > 0) return body.file;
  if (typeof body.image_base64 === 'string' && body.image_base64 !== '') return body.image_base64;
  if (body.file instanceof Blob) return body.file; // an empty file alone: refused as an image that does not decode
  return undefined;
}

async function addFace(context: RestContext): Promise<Response> {
  const body = await context.body({ forms: true });
  const name = body.name;
  if (typeof name !== 'string' || name === '') return faceSetError('INVALID_ARGUMENT', 'name is required');
  if (!isCollectionName(name)) return faceSetError('INVALID_ARGUMENT', 'invalid name');
  if (!context.allows(name)) return faceSetError('NO_PERMISSION', 'this API key may not use this face set');
  if (body.file !== undefined && body.file !== null && body.file !== '' && !(body.file instanceof Blob))
    return faceSetError('INVALID_ARGUMENT', 'file must be a file field of a multipart/form-data body');
  const image = imageOf(body);
  if (!image) return faceSetError('INVALID_ARGUMENT', 'either file or image_base64 is required');
  const personId = personIdField(body.person_id);
  if (personId === null)
    return faceSetError(
      'INVALID_ARGUMENT',
      'person_id must be an integer from 0 to 2^63 - 1 (in a browser that rounds a JSON number above 2^53, send it as a string of digits)',
    );

  const allowance = await context.spendEnroll();
  if (!allowance.allowed) return faceSet.limited(allowance);
  // The person is found or created in the write's own transaction: a request, tab or app call that writes the same
  // person meanwhile is never overwritten. A generated id that turns out to be taken is drawn again.
  const added =
    personId !== undefined
      ? await putFaceOf(context.client, { collectionName: name, personId, face: image, ifExists: 'append' })
      : await addToNewPerson(context, name, image);
  // person_id is written as its digits: a 64-bit id would lose its last digits as a JS number.
  const text =
    `{"status":"OK","result":{"face_id":${faceIdToInteger(added.faceId)},"person_id":${personIdJson(added.personId)},` +
    `"create_time":${Math.floor(added.createTime / 1000)}},"request_id":${JSON.stringify(requestId())}}`;
  return new Response(text, {
    status: 200,
    headers: { 'content-type': 'application/json', 'cache-control': 'no-store' },
  });
}

/** A new person with a random integer id (the JS client would generate a UUID). */
async function addToNewPerson(context: RestContext, collectionName: string, image: string | Blob) {
  for (;;) {
    const random = crypto.getRandomValues(new Uint32Array(2));
    const id = String((random[0]! % 2 ** 21) * 2 ** 32 + random[1]! || 1);
    if (Number(id) > MAX_PERSON_ID) continue;
    try {
      return await putFaceOf(context.client, { collectionName, personId: id, face: image, ifExists: 'refuse' });
    } catch (error) {
      if (!personExisted(error)) throw error;
    }
  }
}
