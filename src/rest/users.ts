// Seed 001, users: POST users/{USER_ID} (enroll; an existing id is refused), POST users/search (threshold and
// similarity in percent), DELETE users/{USER_ID}. Auth: x-api-key. One collection per key: its first collection,
// or `default`. Errors: { status, title, detail, type, errors }.
import { personExisted } from '../collections/restWrites';
import { characterCount } from '../collections/validate';
import { FaceError } from '../errors';
import {
  Fields,
  inKeyCollection,
  putFaceOf,
  searchLargestFace,
  type Dialect,
  type RestContext,
  type Route,
} from './context';
import { header, jsonResponse, lowerFirst, type BodyProblem } from './http';
import { ownsUsersPath } from './paths';

/** Matches returned by users/search at most (the seed returns every match over the threshold; this bounds it). */
export const MAX_USER_MATCHES = 10;
/** The seed's default threshold, in percent. */
export const DEFAULT_THRESHOLD_PERCENT = 80;

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Content Too Large',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
};
const DETAILS: Record<number, string> = {
  400: 'Invalid request.',
  404: 'Server cannot find the requested resource.',
};

/** The seed's problem body; `errors` only when there is something to list (the seed's 404 has none). */
export function problem(status: number, errors?: string[], headers?: Record<string, string>): Response {
  return jsonResponse(
    status,
    {
      status,
      title: TITLES[status] ?? 'Error',
      detail: DETAILS[status] ?? (TITLES[status] ? `${TITLES[status]}.` : 'The request failed.'),
      type: `https://developer.mozilla.org/en-US/docs/Web/HTTP/Status/${status}`,
      ...(errors ? { errors } : {}),
    },
    headers,
  );
}

/** A FaceError as the seed words it: lower-case sentences in `errors`, 400 for every problem with the image. */
export function usersFailure(error: unknown): Response {
  if (!(error instanceof FaceError))
    return problem(500, [`internal error: ${error instanceof Error ? error.message : String(error)}`]);
  switch (error.code) {
    case 'ERR_FACE_NOT_DETECTED':
      return problem(400, ['no face detected in the provided image']);
    case 'ERR_BASE64_IMAGE_CANNOT_BE_DECODED':
      return problem(400, ['the provided image could not be decoded as JPEG or PNG']);
    // Bytes, sides or pixels, each with its own (configurable) limit: the client's sentence says which.
    case 'ERR_IMAGE_TOO_LARGE':
    case 'ERR_IMAGE_TOO_SMALL':
      return problem(400, [lowerFirst(error.message)]);
    case 'ERR_NOT_FOUND':
      return problem(404);
    default:
      return problem(error.status >= 500 ? 500 : error.status, [error.message]);
  }
}

export const users: Dialect = {
  name: '001 users',
  owns: ownsUsersPath,
  routes: [
    { method: 'POST', pattern: 'users/search', handle: searchUsers },
    { method: 'POST', pattern: 'users/:userId', handle: enrollUser },
    { method: 'DELETE', pattern: 'users/:userId', handle: deleteUser },
  ] satisfies Route[],
  credentials: (request) => ({ key: header(request, 'x-api-key') }),
  keyMissing: () => problem(401, ['x-api-key header is missing']),
  keyInvalid: () => problem(403, ['the provided API key is not valid']),
  limited: (refusal) =>
    problem(
      429,
      [
        refusal.limit === 'requestsPerMinute'
          ? 'request rate limit of this API key exceeded'
          : 'daily enroll quota of this API key exceeded',
      ],
      { 'retry-after': String(refusal.retryAfterSeconds) },
    ),
  badBody: (p: BodyProblem) =>
    // The seed answers every problem with the image as a 400, a file over its 5 MB included.
    p.kind === 'tooLarge'
      ? problem(400, ['the request body is too large: the face image may be at most 5 MB'])
      : // Another content type, or a compressed body: the sentence says which, and what to send instead.
        problem(400, [p.kind === 'malformed' ? 'malformed JSON body' : lowerFirst(p.message)]),
  unknownPath: () => problem(404),
  methodNotAllowed: (allowed) =>
    problem(405, [`allowed methods: ${allowed.join(', ')}`], { allow: allowed.join(', ') }),
  failure: usersFailure,
};

function face(fields: Fields): string {
  const value = fields.string('face');
  if (!value)
    throw new FaceError('ERR_INVALID_ARGUMENT', 'face is required: the base64 encoded JPEG or PNG image of the face');
  return value;
}

async function enrollUser(context: RestContext): Promise<Response> {
  const userId = context.params.userId!;
  if (characterCount(userId) > 255) return problem(400, ['userId must be at most 255 characters']);
  const fields = new Fields(await context.body());
  const image = face(fields);
  const allowance = await context.spendEnroll();
  if (!allowance.allowed) return users.limited(allowance);
  // The seed refuses an existing id (the JS client's enroll would replace it), decided in the write's own
  // transaction: of two enrolls of one new id sent at once, or an enroll racing another dialect's write, one is refused.
  return inKeyCollection(context, async (collectionName) => {
    try {
      await putFaceOf(context.client, {
        collectionName,
        personId: userId,
        face: image,
        ifExists: 'refuse',
      });
    } catch (error) {
      if (personExisted(error)) return problem(400, ['provided userId already exists']);
      throw error;
    }
    return new Response(null, { status: 200 });
  });
}

async function searchUsers(context: RestContext): Promise<Response> {
  const fields = new Fields(await context.body());
  const image = face(fields);
  const thresholdPercent = fields.number('threshold', DEFAULT_THRESHOLD_PERCENT, 0, 100);
  return inKeyCollection(context, async (collectionName) => {
    // The user's face: the largest one (a bystander's face must not answer for the person searched).
    const hits = await searchLargestFace(context.client, {
      collectionName,
      face: image,
      minSimilarityScore: percentToScore(thresholdPercent),
      maxResults: MAX_USER_MATCHES,
    });
    if (hits.length === 0) return problem(404);
    return jsonResponse(200, {
      matches: hits.map((h) => ({ userId: h.personId, similarity: scoreToPercent(h.similarityScore) })),
    });
  });
}

async function deleteUser(context: RestContext): Promise<Response> {
  const userId = context.params.userId!;
  return inKeyCollection(context, async (collectionName) => {
    await context.client.deletePerson({ collectionName, personId: userId });
    return new Response(null, { status: 200 });
  });
}

/** 75.5 (%) → 0.755. */
export function percentToScore(percent: number): number {
  return percent / 100;
}

/** 0.9999953 → 99.99953 (%), without binary noise past 5 decimals. */
export function scoreToPercent(score: number): number {
  return Math.round(score * 100 * 1e5) / 1e5;
}
