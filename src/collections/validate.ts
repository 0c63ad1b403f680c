import { FaceError } from '../errors';
import { DEFAULT_MATCH_THRESHOLD } from '../vocabulary';

/** Argument checks of the collection / person / search methods: pure, so unit-tested without a browser. */

const COLLECTION_NAME = /^[A-Za-z0-9_.-]{1,255}$/;

/** Whether `value` is a valid collection name: 1–255 of A-Z a-z 0-9 _ - . (the REST dialects answer in their own words). */
export function isCollectionName(value: unknown): value is string {
  return typeof value === 'string' && COLLECTION_NAME.test(value);
}
export const MAX_METADATA_BYTES = 16 * 1024;
export const MAX_PERSON_NAME_LENGTH = 1024;
export const MAX_RESULTS_LIMIT = 1000;
export const FACE_STORAGE_TYPES = ['NoStorage', 'StoreThumbnails', 'StoreFullImage'] as const;
export type FaceStorageType = (typeof FACE_STORAGE_TYPES)[number];

/** A short, safe rendering of a bad argument for an error message (never throws, unlike JSON.stringify on a BigInt). */
export const show = (v: unknown): string => {
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'object' ? 'an object' : String(v);
};

export function requireObject(value: unknown, what: string): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new FaceError('ERR_INVALID_ARGUMENT', `${what} takes an options object; got ${show(value)}.`);
  }
  return value as Record<string, unknown>;
}

/**
 * Refuses keys other than `known`: options that protect data (encryption, a passphrase) must not be switched off
 * by a misspelt key that would otherwise be ignored.
 */
export function onlyKnownKeys(o: Record<string, unknown>, known: readonly string[], what: string): void {
  const unknown = Object.keys(o).filter((k) => !known.includes(k));
  if (unknown.length > 0)
    throw new FaceError(
      'ERR_INVALID_ARGUMENT',
      `${what} has an unknown key ${JSON.stringify(unknown[0])}; the keys are ${known.join(', ')}.`,
      { metadata: { key: unknown[0] } },
    );
}

/**
 * The request object of a call that names a collection and one item, or the contract's positional form
 * `(collectionName, id)` turned into the same object, so both forms are checked by the same code.
 */
export function requestOrPositional(
  first: unknown,
  positional: Record<string, unknown>,
  what: string,
): Record<string, unknown> {
  if (typeof first === 'string') return { collectionName: first, ...positional };
  return requireObject(first, what);
}

/** What a string refused as a collection name breaks: its length, or its first character outside the set. */
function whatIsWrongWithName(value: unknown): string {
  if (typeof value !== 'string' || value.length === 0) return '';
  if (value.length > 255) return `, ${value.length} characters long`;
  const bad = /[^A-Za-z0-9_.-]/u.exec(value)?.[0];
  return bad === undefined ? '' : `, where ${JSON.stringify(bad)} is not one of them`;
}

export function collectionName(value: unknown): string {
  if (!isCollectionName(value)) {
    throw new FaceError(
      'ERR_INVALID_COLLECTION_NAME',
      `Collection names are 1–255 characters of letters, digits, underscores, hyphens and periods (A-Z a-z 0-9 _ - .); got ${show(value)}${whatIsWrongWithName(value)}.`,
      { metadata: { collectionName: typeof value === 'string' ? value : null } },
    );
  }
  return value;
}

/**
 * The name of a collection about to be made: a collection name, not dots alone (`.` and `..` in a URL path are
 * navigation, so the REST APIs could create such a collection but never name it again to delete it).
 */
export function newCollectionName(value: unknown): string {
  const name = collectionName(value);
  if (/^\.+$/.test(name))
    throw new FaceError(
      'ERR_INVALID_COLLECTION_NAME',
      `A collection name needs a character other than a period (a URL path reads "${name}" as a folder step); got ${show(name)}.`,
      { metadata: { collectionName: name } },
    );
  return name;
}

/** Characters as Unicode code points: most emoji are one, not two UTF-16 units (a flag or a skin tone is two). */
export function characterCount(value: string): number {
  let count = 0;
  for (let i = 0; i < value.length; i++) {
    const unit = value.charCodeAt(i);
    // A high surrogate followed by a low one is one character.
    if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < value.length) {
      const next = value.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) i++;
    }
    count++;
  }
  return count;
}

export function personId(value: unknown, argName = 'personId'): string {
  const length = typeof value === 'string' ? characterCount(value) : 0;
  if (typeof value !== 'string' || length < 1 || length > 255) {
    throw new FaceError(
      'ERR_INVALID_ARGUMENT',
      `${argName} must be a string of 1–255 characters (case-sensitive, unique in the collection); got ${typeof value === 'string' ? `${length} characters` : show(value)}.`,
    );
  }
  return value;
}

export function faceId(value: unknown): string {
  if (typeof value !== 'string' || value.length < 1 || characterCount(value) > 255) {
    throw new FaceError(
      'ERR_INVALID_ARGUMENT',
      `faceId must be the string returned by addFace() or listed by getPerson(); got ${show(value)}.`,
    );
  }
  return value;
}

export function personName(value: unknown): string {
  if (typeof value !== 'string' || value.length < 1 || characterCount(value) > MAX_PERSON_NAME_LENGTH) {
    throw new FaceError(
      'ERR_INVALID_ARGUMENT',
      // A name is personal data: the message (which may end up in a log) gives its length, not its text.
      `personName must be a non-empty string of at most ${MAX_PERSON_NAME_LENGTH} characters; got ${typeof value === 'string' ? `${characterCount(value)} characters` : show(value)}.`,
    );
  }
  return value;
}

/**
 * A JSON object of at most 16 KB serialised (UTF-8). Returns the JSON round-trip of `value`, which is exactly
 * what is stored and returned later (so e.g. a Date becomes its ISO string now, not on the next read). The
 * round-trip must still be a plain object: a `toJSON` that returns null, a string or nothing is refused, and so is
 * a `__proto__` key at any depth (harmless in storage, but a prototype change in code that copies it with
 * Object.assign).
 */
export function metadata(value: unknown): Record<string, unknown> {
  if (value === undefined) return {};
  const notAnObject = (got: string) =>
    new FaceError(
      'ERR_INVALID_ARGUMENT',
      `metadata must be a plain JSON object (e.g. { "employeeId": "42" }); got ${got}.`,
    );
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw notAnObject(show(value));
  let json: string | undefined;
  try {
    json = JSON.stringify(value) as string | undefined;
  } catch (cause) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    throw new FaceError(
      'ERR_INVALID_ARGUMENT',
      `metadata must be serialisable as JSON (no cycles, BigInt values or throwing getters/toJSON): ${reason}.`,
      { cause },
    );
  }
  if (json === undefined) throw notAnObject('an object whose toJSON() returns nothing');
  const bytes = new TextEncoder().encode(json).length;
  if (bytes > MAX_METADATA_BYTES) {
    throw new FaceError(
      'ERR_INVALID_ARGUMENT',
      `metadata is ${bytes} bytes as JSON; at most ${MAX_METADATA_BYTES} bytes (16 KB) are allowed. Store large data elsewhere and keep a key in metadata.`,
      { metadata: { bytes, maxBytes: MAX_METADATA_BYTES } },
    );
  }
  let protoKey = false;
  const parsed: unknown = JSON.parse(json, function (key, v: unknown) {
    if (key === '__proto__') protoKey = true;
    return v;
  });
  if (protoKey)
    throw new FaceError(
      'ERR_INVALID_ARGUMENT',
      'metadata must not contain a "__proto__" key (at any depth). Rename the key.',
    );
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
    throw notAnObject(`${show(parsed)} after JSON serialisation (check its toJSON())`);
  return parsed as Record<string, unknown>;
}

export function boolean(value: unknown, name: string, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean')
    throw new FaceError('ERR_INVALID_ARGUMENT', `${name} must be true or false; got ${show(value)}.`);
  return value;
}

/** A similarity threshold in [0, 1]. */
export function similarity(value: unknown, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !(value >= 0 && value <= 1)) {
    throw new FaceError(
      'ERR_INVALID_ARGUMENT',
      `${name} must be a number from 0 to 1 (${DEFAULT_MATCH_THRESHOLD} is the recommended match threshold); got ${show(value)}.`,
    );
  }
  return value;
}

export function integer(value: unknown, name: string, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new FaceError(
      'ERR_INVALID_ARGUMENT',
      `${name} must be an integer from ${min} to ${max}; got ${show(value)}.`,
    );
  }
  return value;
}

export function faceStorageType(value: unknown): FaceStorageType {
  if (value === undefined) return 'NoStorage';
  if (!FACE_STORAGE_TYPES.includes(value as FaceStorageType)) {
    throw new FaceError(
      'ERR_INVALID_ARGUMENT',
      `faceStorageType must be 'NoStorage', 'StoreThumbnails' or 'StoreFullImage'; got ${show(value)}.`,
    );
  }
  return value as FaceStorageType;
}

export function requireFace(value: unknown, name: string): unknown {
  if (value === undefined || value === null)
    throw new FaceError(
      'ERR_INVALID_ARGUMENT',
      `${name} is required: an image with the face (base64 string, Blob, bytes, ImageData, <img>, <canvas> or <video>).`,
    );
  return value;
}

/**
 * The fields of an enroll from templates (a face tracker's track), checked: ERR_INVALID_ARGUMENT for any bad one, so a
 * caller can tell a bad request from the state of what it enrolls before looking at that.
 */
export function templateEnrollRequest(request: unknown): {
  collection: string;
  personId: string;
  personName: string;
  storage: FaceStorageType;
  metadata: Record<string, unknown>;
} {
  const r = requireObject(request, 'enroll');
  const collection = collectionName(r.collectionName);
  const id = personId(r.personId);
  const name = personName(r.personName);
  const storage = faceStorageType(r.faceStorageType);
  return { collection, personId: id, personName: name, storage, metadata: metadata(r.metadata) };
}
