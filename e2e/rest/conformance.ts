// Every request, response and error example of the five seeds (000 person management, 003 face search, 001 users,
// 002 enroll face, 004 face set) as a test case for createRestHandler. e2e/rest.spec.ts runs them in order in
// Chromium against the real client with real photos; later cases rely on what earlier ones enrolled.
//
// In bodies, '$b64:<fixture>' is replaced by the fixture's bytes as base64, '$file:<fixture>' (multipart only) by the
// file itself, and '$huge' by 5.5 MB of base64 (over the seeds' 5 MB image limit).
import { expect } from '@playwright/test';

export type Seed = '000' | '001' | '002' | '003' | '004';
/** Which credentials the request carries: the unrestricted key, none, a wrong one, or one of the special keys. */
export type Auth = 'key' | 'none' | 'wrong' | 'staffOnly' | 'oneEnroll';

export interface RestCase {
  seed: Seed;
  name: string;
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  path: string;
  auth?: Auth;
  /** JSON body (sent as application/json), or a raw string (sent as is), or multipart fields. */
  json?: unknown;
  raw?: string;
  multipart?: Record<string, string>;
  status: number;
  /** Expected body: matched with toMatchObject (asymmetric matchers allowed); null: an empty body. */
  body?: unknown;
  /** Exact body (toEqual). */
  exactBody?: unknown;
}

const MDN = 'https://developer.mozilla.org/en-US/docs/Web/HTTP/Status';
const SEED_IMAGE = 'U2Vjb25kIGltYWdl'; // the seeds' own placeholder: base64 of "Second image", not an image
const score = expect.any(Number);
const tid = expect.stringMatching(/^TID[0-9a-f]{32}$/);

export const COLLECTION = 'MyCollection';

export const CASES: RestCase[] = [
  // ---- 000 person management ----
  { seed: '000', name: 'create a collection', method: 'POST', path: 'collection', json: { collection_name: COLLECTION }, status: 200, body: { collection_name: COLLECTION, person_count: 0 } },
  { seed: '000', name: 'a second collection (for the key limited to it)', method: 'POST', path: 'collection', json: { collection_name: 'Staff' }, status: 200, body: { collection_name: 'Staff' } },
  { seed: '000', name: 'list collections', method: 'GET', path: 'collections', status: 200, body: expect.arrayContaining([expect.objectContaining({ collection_name: COLLECTION })]) },
  {
    seed: '000', name: 'add a person (response example)', method: 'PUT', path: 'person',
    json: { person_id: 'colin', person_name: 'Colin', check_duplicates: false, check_liveness: false, collection_name: COLLECTION, duplicate_check_min_similarity: 0.7, face_base_64: '$b64:lfw/Colin_Powell_0001.jpg', face_storage_type: 'StoreThumbnails', metadata: { additionalProp1: 'string' } },
    status: 200, exactBody: { face_base_64: expect.stringMatching(/^\/9j\//), metadata: { additionalProp1: 'string' }, person_id: 'colin', person_name: 'Colin' },
  },
  {
    seed: '000', name: 'enrolling the same person_id again updates the name (upsert)', method: 'PUT', path: 'person',
    json: { person_id: 'colin', person_name: 'Colin Powell', collection_name: COLLECTION, face_base_64: '$b64:lfw/Colin_Powell_0001.jpg' },
    status: 200, exactBody: { face_base_64: '', metadata: {}, person_id: 'colin', person_name: 'Colin Powell' },
  },
  {
    seed: '000', name: 'invalid collection name', method: 'PUT', path: 'person',
    json: { person_id: 'x', person_name: 'X', collection_name: 'My Collection!', face_base_64: '$b64:lfw/Colin_Powell_0001.jpg' },
    status: 400, exactBody: { code: 'ERR_INVALID_COLLECTION_NAME', message: 'Collection names can only contain alphanumeric characters, underscores, hyphens, and periods.' },
  },
  {
    seed: '000', name: 'no API key', method: 'PUT', path: 'person', auth: 'none',
    json: { person_id: 'x', person_name: 'X', collection_name: COLLECTION, face_base_64: '$b64:lfw/Colin_Powell_0001.jpg' },
    status: 401, exactBody: { code: 'ERR_API_KEY_NOT_PRESENT', message: 'The API key is missing from the request.' },
  },
  {
    seed: '000', name: 'invalid API key', method: 'PUT', path: 'person', auth: 'wrong',
    json: { person_id: 'x', person_name: 'X', collection_name: COLLECTION, face_base_64: '$b64:lfw/Colin_Powell_0001.jpg' },
    status: 403, exactBody: { code: 'ERR_API_KEY_NOT_VALID', message: 'The API key is not valid.' },
  },
  {
    seed: '000', name: 'collection does not exist', method: 'PUT', path: 'person',
    json: { person_id: 'x', person_name: 'X', collection_name: 'NoSuchCollection', face_base_64: '$b64:lfw/Colin_Powell_0001.jpg' },
    status: 404, exactBody: { code: 'ERR_NOT_FOUND', message: 'The requested entity could not be found.' },
  },
  {
    seed: '000', name: 'a similar face already exists (check_duplicates)', method: 'PUT', path: 'person',
    json: { person_id: 'colin-again', person_name: 'Colin again', collection_name: COLLECTION, check_duplicates: true, face_base_64: '$b64:lfw/Colin_Powell_0002.jpg' },
    status: 409, body: { code: 'ERR_DUPLICATE_FACE', message: expect.any(String), metadata: { personId: 'colin', similarityScore: score } },
  },
  {
    seed: '000', name: 'liveness error with metadata.code (check_liveness on a printed photo)', method: 'PUT', path: 'person',
    json: { person_id: 'print', person_name: 'Print', collection_name: COLLECTION, check_liveness: true, face_base_64: '$b64:checks/nuaa-print.jpg' },
    status: 400, exactBody: { code: 'ERR_LIVENESS_ERROR', message: 'A liveness error occurred. Please check the supplied image and the error metadata.', metadata: { code: 'FACE_NOT_LIVE' } },
  },
  {
    seed: '000', name: 'bulk enroll (PUT persons): each item on its own', method: 'PUT', path: 'persons',
    json: [
      { person_id: 'serena', person_name: 'Serena', collection_name: COLLECTION, face_base_64: '$b64:lfw/Serena_Williams_0001.jpg' },
      { person_id: 'tony', person_name: 'Tony', collection_name: COLLECTION, face_base_64: '$b64:lfw/Tony_Blair_0001.jpg' },
      { person_id: 'nobody', person_name: 'Nobody', collection_name: COLLECTION, face_base_64: '$b64:no-face.jpg' },
    ],
    status: 200,
    exactBody: [
      { face_base_64: '', metadata: {}, person_id: 'serena', person_name: 'Serena' },
      { face_base_64: '', metadata: {}, person_id: 'tony', person_name: 'Tony' },
      { person_id: 'nobody', error: { code: 'ERR_FACE_NOT_DETECTED', message: 'A face could not be detected in the image(s).' } },
    ],
  },
  { seed: '000', name: 'malformed JSON', method: 'PUT', path: 'person', raw: '{"person_id": "x",', status: 400, body: { code: 'ERR_INVALID_ARGUMENT', message: expect.stringMatching(/not valid JSON/) } },
  { seed: '000', name: 'a missing required field', method: 'PUT', path: 'person', json: { person_id: 'x', collection_name: COLLECTION }, status: 400, body: { code: 'ERR_INVALID_ARGUMENT', message: 'person_name is required.' } },

  // ---- 003 face search ----
  {
    seed: '003', name: '1:N face search (response example)', method: 'POST', path: 'face-search',
    json: { check_liveness: false, collection_name: COLLECTION, face_base_64: '$b64:lfw/Colin_Powell_0003.jpg', min_similarity_score: 0.7, max_results: 1 },
    status: 200, exactBody: [{ face_base_64: '', metadata: {}, person_id: 'colin', person_name: 'Colin Powell', similarity_score: score }],
  },
  {
    seed: '003', name: 'defaults: min_similarity_score 0.7, max_results 1', method: 'POST', path: 'face-search',
    json: { collection_name: COLLECTION, face_base_64: '$b64:lfw/Serena_Williams_0002.jpg' },
    status: 200, body: [{ person_id: 'serena' }],
  },
  { seed: '003', name: 'nobody enrolled matches: empty', method: 'POST', path: 'face-search', json: { collection_name: COLLECTION, face_base_64: '$b64:lfw/Jennifer_Aniston_0001.jpg' }, status: 200, exactBody: [] },
  {
    seed: '003', name: 'a face could not be detected', method: 'POST', path: 'face-search', json: { collection_name: COLLECTION, face_base_64: '$b64:no-face.jpg' },
    status: 400, exactBody: { code: 'ERR_FACE_NOT_DETECTED', message: 'A face could not be detected in the image(s).' },
  },
  {
    seed: '003', name: 'no API key', method: 'POST', path: 'face-search', auth: 'none', json: { collection_name: COLLECTION, face_base_64: '$b64:lfw/Colin_Powell_0003.jpg' },
    status: 401, exactBody: { code: 'ERR_API_KEY_NOT_PRESENT', message: 'The API key is missing from the request.' },
  },
  {
    seed: '003', name: 'API key not valid', method: 'POST', path: 'face-search', auth: 'wrong', json: { collection_name: COLLECTION, face_base_64: '$b64:lfw/Colin_Powell_0003.jpg' },
    status: 403, exactBody: { code: 'ERR_API_KEY_NOT_VALID', message: 'The API key is not valid.' },
  },
  {
    seed: '003', name: 'collection does not exist', method: 'POST', path: 'face-search', json: { collection_name: 'NoSuchCollection', face_base_64: '$b64:lfw/Colin_Powell_0003.jpg' },
    status: 404, exactBody: { code: 'ERR_NOT_FOUND', message: 'The requested entity could not be found.' },
  },
  {
    seed: '003', name: 'liveness error', method: 'POST', path: 'face-search', json: { check_liveness: true, collection_name: COLLECTION, face_base_64: '$b64:checks/nuaa-print.jpg' },
    status: 400, exactBody: { code: 'ERR_LIVENESS_ERROR', message: 'A liveness error occurred. Please check the supplied image and the error metadata.', metadata: { code: 'FACE_NOT_LIVE' } },
  },
  {
    seed: '003', name: 'the seed\'s example string is not an image', method: 'POST', path: 'face-search', json: { collection_name: COLLECTION, face_base_64: SEED_IMAGE },
    status: 400, exactBody: { code: 'ERR_BASE64_IMAGE_CANNOT_BE_DECODED', message: 'The posted Base64 image(s) could not be decoded as JPEG/PNG bytes.' },
  },
  {
    seed: '003', name: 'N:N face search (response example)', method: 'POST', path: 'multi-face-search',
    json: { collection_name: COLLECTION, multi_face_img_base_64: '$b64:lfw/Colin_Powell_0002.jpg', min_similarity_score: 0.7 },
    status: 200, exactBody: { person_search_results: [{ person_id: 'colin', person_name: 'Colin Powell', metadata: {}, face_base_64: '', similarity_score: score }], unrecognized_face_thumbnails_base_64: [] },
  },
  {
    seed: '003', name: 'N:N: faces nobody matches come back as thumbnails', method: 'POST', path: 'multi-face-search',
    json: { collection_name: COLLECTION, multi_face_img_base_64: '$b64:two-people.jpg' },
    status: 200, exactBody: { person_search_results: [], unrecognized_face_thumbnails_base_64: [expect.stringMatching(/^\/9j\//), expect.stringMatching(/^\/9j\//)] },
  },

  // ---- 001 users (the unrestricted key's collection is `default`) ----
  { seed: '001', name: 'enroll (200 OK)', method: 'POST', path: 'users/f7eab18f-e5d3-4dac-9d4d-cfb969ef848e', json: { face: '$b64:lfw/Tony_Blair_0001.jpg' }, status: 200, body: null },
  {
    seed: '001', name: 'duplicated user ID', method: 'POST', path: 'users/f7eab18f-e5d3-4dac-9d4d-cfb969ef848e', json: { face: '$b64:lfw/Tony_Blair_0002.jpg' },
    status: 400, exactBody: { status: 400, title: 'Bad Request', detail: 'Invalid request.', type: `${MDN}/400`, errors: ['provided userId already exists'] },
  },
  {
    seed: '001', name: 'invalid face image', method: 'POST', path: 'users/someone-else', json: { face: '$b64:no-face.jpg' },
    status: 400, exactBody: { status: 400, title: 'Bad Request', detail: 'Invalid request.', type: `${MDN}/400`, errors: ['no face detected in the provided image'] },
  },
  {
    seed: '001', name: 'search (response example; threshold in percent)', method: 'POST', path: 'users/search', json: { face: '$b64:lfw/Tony_Blair_0002.jpg', threshold: 75.5 },
    status: 200, exactBody: { matches: [{ userId: 'f7eab18f-e5d3-4dac-9d4d-cfb969ef848e', similarity: expect.any(Number) }] },
  },
  {
    seed: '001', name: 'search: user not found', method: 'POST', path: 'users/search', json: { face: '$b64:lfw/Jennifer_Aniston_0001.jpg' },
    status: 404, exactBody: { status: 404, title: 'Not Found', detail: 'Server cannot find the requested resource.', type: `${MDN}/404` },
  },
  { seed: '001', name: 'no API key', method: 'POST', path: 'users/search', auth: 'none', json: { face: '$b64:lfw/Tony_Blair_0002.jpg' }, status: 401, body: { status: 401, title: 'Unauthorized', type: `${MDN}/401` } },
  { seed: '001', name: 'unenroll (200 OK)', method: 'DELETE', path: 'users/f7eab18f-e5d3-4dac-9d4d-cfb969ef848e', status: 200, body: null },
  { seed: '001', name: 'after unenroll the user is not found', method: 'POST', path: 'users/search', json: { face: '$b64:lfw/Tony_Blair_0002.jpg' }, status: 404, body: { status: 404, title: 'Not Found' } },
  { seed: '001', name: 'unenroll an unknown user', method: 'DELETE', path: 'users/nobody', status: 404, body: { status: 404, title: 'Not Found' } },

  // ---- 002 enroll face ----
  {
    seed: '002', name: 'enroll with quality and attributes (defaults on)', method: 'POST', path: 'enroll-face', json: { image: '$b64:checks/lfw-plain.jpg', subject_id: 'subject-1' },
    status: 200, body: { message: 'enroll face success', subject_id: 'subject-1', nface: expect.any(Number), quality: { blur: score, dark: score, grayscale: score }, attribute: { sunglasses: score, mask: score, veil: score, hat: score } },
  },
  {
    seed: '002', name: 'FAIL_ON_2: fail on attribute', method: 'POST', path: 'enroll-face', json: { image: '$b64:checks/sunglasses.jpg', subject_id: 'subject-2', validate_attribute: true },
    status: 200, body: { error_code: 'FAIL_ON_2', message: 'fail on attribute', subject_id: 'subject-2' },
  },
  {
    seed: '002', name: 'FAIL_ON_1: fail on liveness', method: 'POST', path: 'enroll-face', json: { image: '$b64:checks/nuaa-print.jpg', is_liveness: true, validate_liveness: true },
    status: 200, body: { error_code: 'FAIL_ON_1', message: 'fail on liveness', liveness: { live: false } },
  },
  {
    seed: '002', name: 'FAIL_ON_8: fail on number of face (nface)', method: 'POST', path: 'enroll-face', json: { image: '$b64:two-people.jpg', validate_nface: true },
    status: 200, body: { error_code: 'FAIL_ON_8', message: 'fail on number of face (nface)', nface: 2 },
  },
  { seed: '002', name: 'INVALID_PAYLOAD', method: 'POST', path: 'enroll-face', json: {}, status: 400, exactBody: { error_code: 'INVALID_PAYLOAD', message: 'no value in payload or empty string more than 1' } },
  { seed: '002', name: 'INVALID_PAYLOAD_IMAGE_MISSING', method: 'POST', path: 'enroll-face', json: { image: '', subject_id: 's' }, status: 400, exactBody: { error_code: 'INVALID_PAYLOAD_IMAGE_MISSING', message: 'invalid payload image not a standard b64/url or image empty string' } },
  { seed: '002', name: 'INVALID_PAYLOAD_SUBJECT_ID_MISSING', method: 'POST', path: 'enroll-face', json: { image: '$b64:checks/lfw-plain.jpg', subject_id: '' }, status: 400, exactBody: { error_code: 'INVALID_PAYLOAD_SUBJECT_ID_MISSING', message: 'invalid payload subject id is empty string' } },
  { seed: '002', name: 'INVALID_PAYLOAD_IMAGE_SIZE', method: 'POST', path: 'enroll-face', json: { image: '$huge', subject_id: 's' }, status: 400, body: { error_code: 'INVALID_PAYLOAD_IMAGE_SIZE' } },
  { seed: '002', name: 'MISSING_PAYLOAD_IMAGE', method: 'POST', path: 'enroll-face', json: { subject_id: 's' }, status: 400, exactBody: { error_code: 'MISSING_PAYLOAD_IMAGE', message: 'missing payload image' } },
  { seed: '002', name: 'INVALID_PAYLOAD_IMAGE_FORMAT', method: 'POST', path: 'enroll-face', json: { image: SEED_IMAGE, subject_id: 's' }, status: 400, body: { error_code: 'INVALID_PAYLOAD_IMAGE_FORMAT' } },
  { seed: '002', name: 'FACE_NOT_DETECTED', method: 'POST', path: 'enroll-face', json: { image: '$b64:no-face.jpg', subject_id: 's' }, status: 400, exactBody: { error_code: 'FACE_NOT_DETECTED', message: 'face not detected from image' } },
  { seed: '002', name: 'INVALID_PAYLOAD_QUALITY_VALIDATION_DEPENDENCY', method: 'POST', path: 'enroll-face', json: { image: '$b64:checks/lfw-plain.jpg', is_quality: false, validate_quality: true }, status: 400, exactBody: { error_code: 'INVALID_PAYLOAD_QUALITY_VALIDATION_DEPENDENCY', message: 'is_quality must be true if validate_quality true' } },
  { seed: '002', name: 'INVALID_PAYLOAD_ATTRIBUTE_VALIDATION_DEPENDENCY', method: 'POST', path: 'enroll-face', json: { image: '$b64:checks/lfw-plain.jpg', is_attribute: false, validate_attribute: true }, status: 400, exactBody: { error_code: 'INVALID_PAYLOAD_ATTRIBUTE_VALIDATION_DEPENDENCY', message: 'is_attribute must be true if validate_attribute true' } },
  { seed: '002', name: 'INVALID_PAYLOAD_LIVENESS_VALIDATION_DEPENDENCY', method: 'POST', path: 'enroll-face', json: { image: '$b64:checks/lfw-plain.jpg', validate_liveness: true }, status: 400, exactBody: { error_code: 'INVALID_PAYLOAD_LIVENESS_VALIDATION_DEPENDENCY', message: 'is_liveness must be true if validate_liveness true' } },
  { seed: '002', name: 'INSUFFICIENT_QUOTA_ENROLL (first enroll of the day)', method: 'POST', path: 'enroll-face', auth: 'oneEnroll', json: { image: '$b64:checks/lfw-plain.jpg', subject_id: 'quota-1' }, status: 200, body: { message: 'enroll face success' } },
  { seed: '002', name: 'INSUFFICIENT_QUOTA_ENROLL (second)', method: 'POST', path: 'enroll-face', auth: 'oneEnroll', json: { image: '$b64:checks/lfw-plain.jpg', subject_id: 'quota-2' }, status: 403, body: { error_code: 'INSUFFICIENT_QUOTA_ENROLL' } },

  // ---- 004 face set ----
  {
    seed: '004', name: 'add a face (response example), JSON with image_base64', method: 'POST', path: 'faceset/v2/add_face', json: { name: COLLECTION, image_base64: '$b64:lfw/Gloria_Macapagal_Arroyo_0001.jpg' },
    status: 200, exactBody: { status: 'OK', result: { face_id: expect.any(Number), person_id: expect.any(Number), create_time: expect.any(Number) }, request_id: tid },
  },
  {
    seed: '004', name: 'multipart with a file and an integer person_id (a new person)', method: 'POST', path: 'faceset/v2/add_face', multipart: { name: COLLECTION, file: '$file:lfw/Serena_Williams_0002.jpg', person_id: '435451889' },
    status: 200, exactBody: { status: 'OK', result: { face_id: expect.any(Number), person_id: 435451889, create_time: expect.any(Number) }, request_id: tid },
  },
  {
    seed: '004', name: 'a second face for the same person_id', method: 'POST', path: 'faceset/v2/add_face', json: { name: COLLECTION, image_base64: '$b64:lfw/Serena_Williams_0001.jpg', person_id: 435451889 },
    status: 200, body: { status: 'OK', result: { person_id: 435451889 } },
  },
  {
    seed: '004', name: 'error response example: db not exist', method: 'POST', path: 'faceset/v2/add_face', json: { name: 'NoSuchFaceSet', image_base64: '$b64:lfw/Colin_Powell_0001.jpg' },
    status: 400, exactBody: { status: 'INVALID_ARGUMENT', reason: 'db not exist', request_id: tid },
  },
  { seed: '004', name: 'person_id must be an integer', method: 'POST', path: 'faceset/v2/add_face', json: { name: COLLECTION, image_base64: '$b64:lfw/Colin_Powell_0001.jpg', person_id: 'abc' }, status: 400, body: { status: 'INVALID_ARGUMENT', request_id: tid } },
  { seed: '004', name: 'neither file nor image_base64', method: 'POST', path: 'faceset/v2/add_face', json: { name: COLLECTION }, status: 400, body: { status: 'INVALID_ARGUMENT', request_id: tid } },
  { seed: '004', name: 'UNAUTHORIZED without credentials', method: 'POST', path: 'faceset/v2/add_face', auth: 'none', json: { name: COLLECTION }, status: 401, body: { status: 'UNAUTHORIZED', reason: expect.any(String), request_id: tid } },
  { seed: '004', name: 'UNAUTHORIZED with a wrong secret', method: 'POST', path: 'faceset/v2/add_face', auth: 'wrong', json: { name: COLLECTION }, status: 401, body: { status: 'UNAUTHORIZED', request_id: tid } },
  { seed: '004', name: 'NO_PERMISSION for a face set outside the key\'s collections', method: 'POST', path: 'faceset/v2/add_face', auth: 'staffOnly', json: { name: COLLECTION, image_base64: '$b64:lfw/Colin_Powell_0001.jpg' }, status: 403, body: { status: 'NO_PERMISSION', request_id: tid } },
  { seed: '004', name: 'OUT_OF_QUOTA: the key\'s one enroll of the day went to 002 above', method: 'POST', path: 'faceset/v2/add_face', auth: 'oneEnroll', json: { name: COLLECTION, image_base64: '$b64:lfw/Colin_Powell_0001.jpg' }, status: 403, body: { status: 'OUT_OF_QUOTA', request_id: tid } },
  { seed: '004', name: 'NOT_FOUND: requested API cannot be found', method: 'POST', path: 'faceset/v2/no_such_api', json: {}, status: 404, body: { status: 'NOT_FOUND', reason: 'Requested API cannot be found', request_id: tid } },
  { seed: '004', name: 'malformed JSON', method: 'POST', path: 'faceset/v2/add_face', raw: '{"name": ', status: 400, body: { status: 'INVALID_ARGUMENT', request_id: tid } },

  // ---- 000 again: deleting a collection ----
  { seed: '000', name: 'delete a collection', method: 'DELETE', path: 'collection/Staff', status: 200, exactBody: { collection_name: 'Staff' } },
  { seed: '000', name: 'delete it again: not found', method: 'DELETE', path: 'collection/Staff', status: 404, exactBody: { code: 'ERR_NOT_FOUND', message: 'The requested entity could not be found.' } },
];
