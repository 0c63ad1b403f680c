// Seed 000, person management: PUT person (an upsert), PUT persons (bulk), POST collection, GET collections,
// DELETE collection/{name}. Auth: x-api-key. Errors: { code, message }.
import type { EnrolledPerson } from '../collections/persons';
import {
  characterCount,
  isCollectionName,
  MAX_PERSON_NAME_LENGTH,
  metadata as validMetadata,
} from '../collections/validate';
import { isClientClosed, FaceError } from '../errors';
import { DEFAULT_MATCH_THRESHOLD } from '../vocabulary';
import type { Dialect, RestContext, Route } from './context';
import { Fields } from './context';
import { codeMessage, codeMessageErrors, codeMessageFailure, SEED_MESSAGES } from './codeMessage';
import { jsonResponse, type BodyObject } from './http';
import { ownsPersonManagementPath } from './paths';

/** At most this many persons per PUT persons request. */
export const MAX_BULK_PERSONS = 1000;

const FACE_STORAGE_TYPES = ['NoStorage', 'StoreThumbnails', 'StoreFullImage'] as const;

export const personManagement: Dialect = {
  name: '000 person management',
  owns: ownsPersonManagementPath,
  routes: [
    { method: 'PUT', pattern: 'person', handle: putPerson },
    { method: 'PUT', pattern: 'persons', handle: putPersons },
    { method: 'POST', pattern: 'collection', handle: postCollection },
    { method: 'GET', pattern: 'collections', handle: getCollections },
    { method: 'DELETE', pattern: 'collection/:name', handle: deleteCollection },
  ] satisfies Route[],
  ...codeMessageErrors,
};

/** The key may not reach this collection: answered as if it did not exist (no hint that it does). */
export function outOfScope(): FaceError {
  return new FaceError('ERR_NOT_FOUND', SEED_MESSAGES.ERR_NOT_FOUND!);
}

/**
 * The body's collection_name, checked as the client checks names: missing, empty, not a string or outside
 * [A-Za-z0-9_.-]{1,255} is ERR_INVALID_COLLECTION_NAME (as `createCollection('')` is); out of the key's scope, ERR_NOT_FOUND.
 */
export function collectionField(context: RestContext, fields: Fields): string {
  return allowedCollection(context, fields.raw('collection_name'));
}

/** A collection name from a body or a path, checked and within the key's scope. */
function allowedCollection(context: RestContext, name: unknown): string {
  if (!isCollectionName(name))
    throw new FaceError('ERR_INVALID_COLLECTION_NAME', SEED_MESSAGES.ERR_INVALID_COLLECTION_NAME!);
  if (!context.allows(name)) throw outOfScope();
  return name;
}

async function enrollOne(context: RestContext, body: BodyObject): Promise<EnrolledPerson> {
  const fields = new Fields(body);
  const personId = fields.string('person_id', { required: true, maxLength: 255 });
  const personName = fields.string('person_name', { required: true });
  const collectionName = collectionField(context, fields);
  const face = fields.string('face_base_64', { required: true });
  const checkDuplicates = fields.boolean('check_duplicates', false);
  const checkLiveness = fields.boolean('check_liveness', false);
  // The seed: "If check_duplicates set as false, duplicate_check_min_similarity will not be used" (nor checked).
  const duplicateCheckMinSimilarity = checkDuplicates
    ? fields.number('duplicate_check_min_similarity', DEFAULT_MATCH_THRESHOLD, 0, 1)
    : undefined;
  const storage = fields.string('face_storage_type') ?? 'NoStorage';
  if (!(FACE_STORAGE_TYPES as readonly string[]).includes(storage)) {
    throw new FaceError(
      'ERR_INVALID_ARGUMENT',
      `face_storage_type must be "NoStorage", "StoreThumbnails" or "StoreFullImage"; got ${JSON.stringify(storage)}.`,
      { metadata: { field: 'face_storage_type' } },
    );
  }
  const nameLength = characterCount(personName);
  if (nameLength > MAX_PERSON_NAME_LENGTH)
    throw new FaceError(
      'ERR_INVALID_ARGUMENT',
      `person_name must be at most ${MAX_PERSON_NAME_LENGTH} characters; got ${nameLength}.`,
      { metadata: { field: 'person_name' } },
    );
  // Checked before the enroll is counted: a request the client would refuse costs the key nothing.
  const metadata = validMetadata(fields.object('metadata') ?? {});
  const allowance = await context.spendEnroll();
  if (!allowance.allowed) throw new QuotaRefused(allowance.retryAfterSeconds);
  return context.client.enrollPerson({
    collectionName,
    personId,
    personName,
    face,
    checkDuplicates,
    ...(duplicateCheckMinSimilarity === undefined ? {} : { duplicateCheckMinSimilarity }),
    checkLiveness,
    faceStorageType: storage as (typeof FACE_STORAGE_TYPES)[number],
    metadata,
  });
}

/** The key's enrolls-per-day limit refused an enroll. */
class QuotaRefused extends Error {
  constructor(readonly retryAfterSeconds: number) {
    super('enrolls per day reached');
  }
}

function personBody(p: EnrolledPerson) {
  return { face_base_64: p.faceBase64, metadata: p.metadata, person_id: p.personId, person_name: p.personName };
}

async function putPerson(context: RestContext): Promise<Response> {
  try {
    return jsonResponse(200, personBody(await enrollOne(context, await context.body())));
  } catch (error) {
    if (error instanceof QuotaRefused)
      return personManagement.limited({
        allowed: false,
        limit: 'enrollsPerDay',
        retryAfterSeconds: error.retryAfterSeconds,
      });
    throw error;
  }
}

/** Body: a JSON array of PUT person bodies, or { "persons": [...] }. Each is enrolled on its own. */
async function putPersons(context: RestContext): Promise<Response> {
  const body = await context.body();
  const items = Array.isArray(body.items) ? body.items : Array.isArray(body.persons) ? body.persons : undefined;
  if (!items)
    return codeMessage(
      400,
      'ERR_INVALID_ARGUMENT',
      'PUT persons takes a JSON array of persons (each as the body of PUT person), or { "persons": [...] }.',
    );
  if (items.length > MAX_BULK_PERSONS)
    return codeMessage(
      400,
      'ERR_INVALID_ARGUMENT',
      `PUT persons takes at most ${MAX_BULK_PERSONS} persons per request; got ${items.length}.`,
    );
  const results: unknown[] = [];
  for (const item of items as unknown[]) {
    const personId =
      item !== null && typeof item === 'object' && typeof (item as BodyObject).person_id === 'string'
        ? (item as BodyObject).person_id
        : null;
    try {
      if (item === null || typeof item !== 'object' || Array.isArray(item))
        throw new FaceError('ERR_INVALID_ARGUMENT', 'Each person must be a JSON object with the fields of PUT person.');
      results.push(personBody(await enrollOne(context, item as BodyObject)));
    } catch (error) {
      // A client closed meanwhile ends the whole request (the handler answers 503); a key revoked meanwhile fails
      // each remaining item with ERR_API_KEY_NOT_VALID, before any image work (docs/rest.md).
      if (isClientClosed(error)) throw error;
      const response =
        error instanceof QuotaRefused
          ? personManagement.limited({
              allowed: false,
              limit: 'enrollsPerDay',
              retryAfterSeconds: error.retryAfterSeconds,
            })
          : codeMessageFailure(error);
      results.push({ person_id: personId, error: await response.json() });
    }
  }
  return jsonResponse(200, results);
}

function collectionBody(c: { name: string; personCount: number; createdAt: number }) {
  return { collection_name: c.name, person_count: c.personCount, created_at: new Date(c.createdAt).toISOString() };
}

async function postCollection(context: RestContext): Promise<Response> {
  const name = collectionField(context, new Fields(await context.body()));
  return jsonResponse(200, collectionBody(await context.client.createCollection(name)));
}

async function getCollections(context: RestContext): Promise<Response> {
  const all = await context.client.listCollections();
  return jsonResponse(200, all.filter((c) => context.allows(c.name)).map(collectionBody));
}

async function deleteCollection(context: RestContext): Promise<Response> {
  const name = allowedCollection(context, context.params.name);
  await context.client.deleteCollection(name);
  return jsonResponse(200, { collection_name: name });
}
