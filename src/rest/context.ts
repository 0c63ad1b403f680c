import type { FaceClient } from '../client';
import type { ApiKeyAllowance, ApiKeyInfo, ApiKeyUse } from '../collections/apiKeys';
import type { AddedFace, SearchFaceRequest, SearchResult } from '../collections/persons';
import { characterCount } from '../collections/validate';
import { PUT_FACE_OF, SEARCH_LARGEST_FACE, type PutFaceOfRequest } from '../collections/restWrites';
import { FaceError } from '../errors';
import { BodyError, booleanField, parseBody, type BodyObject, type BodyProblem } from './http';

/** What a route sees of one authenticated request. */
export interface RestContext {
  client: FaceClient;
  request: Request;
  url: URL;
  /** Path parameters of the matched route (URL-decoded). */
  params: Record<string, string>;
  key: ApiKeyInfo;
  /** The body as an object (JSON; with `forms`, also multipart/form-data and urlencoded), size-checked first. */
  body(options?: { forms?: boolean }): Promise<BodyObject>;
  /** The handler's body limit, also the most a route downloads on the request's behalf (an image URL). */
  maxBodyBytes: number;
  /** Whether the key may reach this collection. */
  allows(collectionName: string): boolean;
  /** Counts one enroll against the key's daily limit. */
  spendEnroll(): Promise<ApiKeyAllowance>;
  /** For dialects without a collection field: the key's first collection, else `default`; created on first use. */
  keyCollection(): Promise<string>;
  /** Forgets that the key collection exists (it was deleted): the next keyCollection() creates it again. */
  forgetKeyCollection(name: string): void;
}

export interface Route {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Relative to basePath, e.g. "users/:userId". */
  pattern: string;
  handle(context: RestContext): Promise<Response>;
}

export type Refusal = Extract<ApiKeyAllowance, { allowed: false }>;

/** One seed's API: its routes, where it reads the key, and its error bodies. */
export interface Dialect {
  name: string;
  /** Whether an (unknown) path belongs to this dialect, so its 404 is in the dialect's shape. */
  owns(path: string): boolean;
  routes: Route[];
  credentials(request: Request): { key?: string; keyId?: string };
  keyMissing(): Response;
  keyInvalid(): Response;
  limited(refusal: Refusal): Response;
  badBody(problem: BodyProblem): Response;
  unknownPath(): Response;
  methodNotAllowed(allowed: string[]): Response;
  /** Any error a route threw (FaceError or not) in the dialect's shape. */
  failure(error: unknown): Response;
}

/** The collection for keys of dialects that name none. */
export const DEFAULT_COLLECTION = 'default';

/**
 * The client's method under `symbol` (restWrites.ts: what the dialects need beyond the public API), which a client
 * made by createFaceClient has and a stand-in client does not: then a call is ERR_INTERNAL saying so.
 */
function internal<R, T>(client: FaceClient, symbol: symbol): (request: R) => Promise<T> {
  const method = (client as unknown as Partial<Record<symbol, (r: R) => Promise<T>>>)[symbol];
  if (typeof method !== 'function')
    return () =>
      Promise.reject(new FaceError('ERR_INTERNAL', 'createRestHandler needs a client made by createFaceClient().'));
  return (request) => method.call(client, request);
}

/** PutFaceOfRequest on a client made by createFaceClient. */
export function putFaceOf(client: FaceClient, request: PutFaceOfRequest): Promise<AddedFace> {
  return internal<PutFaceOfRequest, AddedFace>(client, PUT_FACE_OF)(request);
}

/** searchFace of the image's largest face only (a client made by createFaceClient; see SEARCH_LARGEST_FACE). */
export function searchLargestFace(client: FaceClient, request: SearchFaceRequest): Promise<SearchResult[]> {
  return internal<SearchFaceRequest, SearchResult[]>(client, SEARCH_LARGEST_FACE)(request);
}

/**
 * Counts a use of the request's key. A key revoked since the request's key check is ERR_API_KEY_NOT_VALID (each
 * dialect answers it as its "not valid" error): revoking stops a running bulk enroll at its next person.
 */
export async function spend(client: FaceClient, keyId: string, use: ApiKeyUse): Promise<ApiKeyAllowance> {
  try {
    return await client.apiKeys.consume(keyId, use);
  } catch (error) {
    if (error instanceof FaceError && error.code === 'ERR_NOT_FOUND' && error.metadata?.keyId === keyId)
      throw new FaceError('ERR_API_KEY_NOT_VALID', 'The API key was revoked while this request ran.');
    throw error;
  }
}

export function createContext(args: {
  client: FaceClient;
  request: Request;
  url: URL;
  params: Record<string, string>;
  key: ApiKeyInfo;
  maxBodyBytes: number;
  knownCollections: Set<string>;
  /** Known before the body is read (the service worker did not forward a body over its own limit). */
  bodyProblem?: BodyProblem;
}): RestContext {
  const { client, key, knownCollections } = args;
  let parsed: Promise<BodyObject> | undefined;
  const readBodyOnce = (forms?: boolean) =>
    args.bodyProblem
      ? Promise.reject(new BodyError(args.bodyProblem))
      : parseBody(args.request, { maxBytes: args.maxBodyBytes, forms });
  return {
    client,
    request: args.request,
    url: args.url,
    params: args.params,
    key,
    body: (options = {}) => (parsed ??= readBodyOnce(options.forms)),
    maxBodyBytes: args.maxBodyBytes,
    allows: (name) => key.collections.length === 0 || key.collections.includes(name),
    spendEnroll: () => spend(client, key.keyId, 'enroll'),
    keyCollection: async () => {
      const name = key.collections[0] ?? DEFAULT_COLLECTION;
      if (!knownCollections.has(name)) {
        try {
          await client.createCollection(name);
        } catch (error) {
          if (!(error instanceof FaceError && error.code === 'ERR_COLLECTION_EXISTS')) throw error;
        }
        knownCollections.add(name);
      }
      return name;
    },
    forgetKeyCollection: (name) => knownCollections.delete(name),
  };
}

/** Runs `use` with the key collection; if the collection was deleted meanwhile, it is created again once. */
export async function inKeyCollection<T>(context: RestContext, use: (name: string) => Promise<T>): Promise<T> {
  const name = await context.keyCollection();
  try {
    return await use(name);
  } catch (error) {
    if (!(
      error instanceof FaceError &&
      error.code === 'ERR_NOT_FOUND' &&
      error.metadata?.collectionName === name &&
      error.metadata.personId === undefined
    ))
      throw error;
    context.forgetKeyCollection(name);
    return use(await context.keyCollection());
  }
}

/** Reads snake_case fields of a request body; a wrong type is ERR_INVALID_ARGUMENT naming the field. */
export class Fields {
  constructor(private readonly body: BodyObject) {}

  has(name: string): boolean {
    return this.body[name] !== undefined;
  }

  /** The field as sent, for checks of its own (e.g. a collection name, whose every bad form has one code). */
  raw(name: string): unknown {
    return this.body[name];
  }

  string(name: string, options: { required: true; maxLength?: number }): string;
  string(name: string, options?: { required?: false; maxLength?: number }): string | undefined;
  string(name: string, options: { required?: boolean; maxLength?: number } = {}): string | undefined {
    const value = this.body[name];
    if (value === undefined || value === null) {
      if (options.required) throw invalidField(name, `${name} is required.`);
      return undefined;
    }
    if (typeof value !== 'string') throw invalidField(name, `${name} must be a string; got ${describe(value)}.`);
    if (options.required && value === '') throw invalidField(name, `${name} must not be empty.`);
    if (options.maxLength !== undefined && characterCount(value) > options.maxLength)
      throw invalidField(name, `${name} must be at most ${options.maxLength} characters.`);
    return value;
  }

  boolean(name: string, fallback: boolean): boolean {
    const value = this.body[name];
    if (value === undefined || value === null) return fallback;
    const flag = booleanField(value); // form fields are strings
    if (flag !== undefined) return flag;
    throw invalidField(name, `${name} must be true or false; got ${describe(value)}.`);
  }

  number(name: string, fallback: number, min: number, max: number): number {
    const value = this.numeric(name);
    if (value === undefined) return fallback;
    if (!(value >= min && value <= max))
      throw invalidField(name, `${name} must be a number from ${min} to ${max}; got ${value}.`);
    return value;
  }

  integer(name: string, fallback: number, min: number, max: number): number {
    const value = this.numeric(name);
    if (value === undefined) return fallback;
    if (!Number.isInteger(value) || value < min || value > max)
      throw invalidField(name, `${name} must be an integer from ${min} to ${max}; got ${value}.`);
    return value;
  }

  object(name: string): Record<string, unknown> | undefined {
    const value = this.body[name];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'object' || Array.isArray(value))
      throw invalidField(name, `${name} must be a JSON object; got ${describe(value)}.`);
    return value as Record<string, unknown>;
  }

  private numeric(name: string): number | undefined {
    const value = this.body[name];
    if (value === undefined || value === null) return undefined;
    const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
    if (typeof n !== 'number' || !Number.isFinite(n))
      throw invalidField(name, `${name} must be a number; got ${describe(value)}.`);
    return n;
  }
}

export function invalidField(field: string, message: string): FaceError {
  return new FaceError('ERR_INVALID_ARGUMENT', message, { metadata: { field } });
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 30 ? `${value.slice(0, 30)}…` : value);
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return value instanceof Blob ? 'a file' : 'an object';
  return String(value);
}
