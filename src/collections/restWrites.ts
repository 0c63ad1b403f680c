/**
 * Writes the REST dialects need beyond the public API. A client made by createFaceClient has a method under this
 * symbol (so the REST layer reaches it without importing the client and its models).
 */
export const PUT_FACE_OF = Symbol('LocalFace.putFaceOf');

/**
 * One face written for `personId`, the decision on an existing person taken in the write's own transaction:
 * 'append' adds the face (seed 004), 'replaceFaces' replaces the person's faces and keeps their name and metadata
 * (seed 002), 'refuse' writes nothing (seed 001: see personExisted). A missing person is created, named by its id
 * (the seeds' persons have no name of their own).
 */
export interface PutFaceOfRequest {
  collectionName: string;
  personId: string;
  face: unknown;
  ifExists: 'append' | 'replaceFaces' | 'refuse';
}

/**
 * A search of the image's largest face only (seed 001 searches "the user's face": a bystander's face in the picture
 * must not answer for the user). Under this symbol a client made by createFaceClient has searchFace with that rule.
 */
export const SEARCH_LARGEST_FACE = Symbol('LocalFace.searchLargestFace');

/** Whether `error` is the refusal of an `ifExists: 'refuse'` write: the person was already there. */
export function personExisted(error: unknown): boolean {
  return (
    typeof error === 'object' &&
    error !== null &&
    (error as { metadata?: { exists?: unknown } }).metadata?.exists === true
  );
}
