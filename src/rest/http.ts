// Small HTTP helpers shared by the dialects: routing, bounded body reading and parsing, JSON responses.
// Pure apart from the Fetch API types, so they are unit-tested in Node.
import { FaceError } from '../errors';
import { concatBytes } from '../vocabulary';

/** Default request body limit: a 5 MB image as base64 (≈ 6.7 MB) plus the other fields. */
export const DEFAULT_MAX_BODY_BYTES = 8 * 1024 * 1024;

export type BodyProblem =
  | { kind: 'tooLarge'; message: string; bytes: number; maxBytes: number }
  | { kind: 'malformed'; message: string }
  | { kind: 'unsupportedType'; message: string };

/** The header that carries what went wrong in a person's words, beside the seed's fixed message. */
export const DETAIL_HEADER = 'x-localface-detail';

/**
 * `text` as a header value (header values are bytes): printable ASCII as is, anything else percent-encoded as UTF-8,
 * a lone surrogate (which the client's sentences may echo from a request) as U+FFFD rather than an exception.
 */
export function headerValue(text: string): string {
  const utf8 = new TextEncoder();
  return text.replace(/[^\x20-\x7e]/gu, (c) =>
    Array.from(utf8.encode(c), (b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join(''),
  );
}

/**
 * A RestHandler's own way to answer a request whose body is known to be too large without the body: the service
 * worker forwards no body over its limit (mountRestHandler's maxBodyBytes), which may be lower than the handler's.
 * A symbol on the handler function, so that RestHandler stays `(request) => Promise<Response>` for users.
 */
export const ANSWER_BODY_PROBLEM = Symbol.for('localface.rest.answerBodyProblem');
export type AnswerBodyProblem = (request: Request, problem: BodyProblem) => Promise<Response>;

/** A body that could not be read or parsed; each dialect turns it into its own 400 / 413. */
export class BodyError extends Error {
  constructor(readonly problem: BodyProblem) {
    super(problem.message);
    this.name = 'BodyError';
  }
}

/**
 * The body's bytes, refusing more than `maxBytes` before reading them all: a declared Content-Length over the limit
 * is refused without reading, and a streamed body is cut off as soon as it passes the limit.
 */
export async function readBody(
  request: Pick<Request, 'headers' | 'body'>,
  maxBytes: number,
  what = 'The request body',
): Promise<Uint8Array> {
  const tooLarge = (bytes: number) =>
    new BodyError({
      kind: 'tooLarge',
      bytes,
      maxBytes,
      message: `${what} is ${bytes > maxBytes ? `more than ${maxBytes}` : bytes} bytes; at most ${maxBytes} bytes are accepted.`,
    });
  const declared = Number(request.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > maxBytes) throw tooLarge(declared);
  if (!request.body) return new Uint8Array(0);
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge(total);
    }
    chunks.push(value);
  }
  return concatBytes(chunks);
}

export type BodyObject = Record<string, unknown>;

/**
 * The body as an object: JSON (any content type but multipart, since clients often omit it), or
 * multipart/form-data and application/x-www-form-urlencoded when `forms` is true (fields as strings, files as Blobs).
 * An empty body is an empty object.
 */
export async function parseBody(request: Request, options: { maxBytes: number; forms?: boolean }): Promise<BodyObject> {
  const type = (request.headers.get('content-type') ?? '').toLowerCase();
  const isForm = type.startsWith('multipart/form-data') || type.startsWith('application/x-www-form-urlencoded');
  if (isForm && !options.forms) {
    throw new BodyError({
      kind: 'unsupportedType',
      message: `This endpoint takes a JSON body (Content-Type: application/json), not ${type.split(';')[0]}.`,
    });
  }
  // A compressed body would otherwise be read as text and refused as "not valid UTF-8", which says nothing useful.
  const encoding = (request.headers.get('content-encoding') ?? '').trim().toLowerCase();
  if (encoding !== '' && encoding !== 'identity') {
    throw new BodyError({
      kind: 'unsupportedType',
      message: `Request bodies with Content-Encoding ${encoding} are not accepted: send the body uncompressed.`,
    });
  }
  const bytes = await readBody(request, options.maxBytes);
  if (isForm) {
    let form: FormData;
    try {
      form = await new Response(bytes as Uint8Array<ArrayBuffer>, {
        headers: { 'content-type': request.headers.get('content-type')! },
      }).formData();
    } catch (cause) {
      throw new BodyError({
        kind: 'malformed',
        message: `The form body could not be parsed (${cause instanceof Error ? cause.message : String(cause)}).`,
      });
    }
    const out: BodyObject = {};
    form.forEach((value, key) => {
      // Defined, not assigned: a field named "__proto__" would otherwise replace the object's prototype.
      Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
    });
    return out;
  }
  return parseJsonObject(bytes);
}

/** JSON text that must be an object; an empty body is `{}`. */
export function parseJsonObject(bytes: Uint8Array): BodyObject {
  if (bytes.byteLength === 0) return {};
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new BodyError({ kind: 'malformed', message: 'The request body is not valid UTF-8 text.' });
  }
  if (text.trim() === '') return {};
  let value: unknown;
  // A top-level integer past 2^53 (seed 004's 64-bit person_id: 435451889459444247) would lose digits as a number:
  // where the browser gives the reviver the source text, it is kept as its digits, which the fields read as a string.
  const digits = new WeakMap<object, Map<string, string>>();
  const keepDigits = function (this: object, key: string, v: unknown, context?: { source?: string }) {
    if (typeof v === 'number' && !Number.isSafeInteger(v) && /^\d+$/.test(context?.source ?? '')) {
      const inHolder = digits.get(this) ?? new Map<string, string>();
      inHolder.set(key, context!.source!);
      digits.set(this, inHolder);
    }
    return v;
  };
  try {
    value = JSON.parse(text, keepDigits as (key: string, v: unknown) => unknown);
  } catch (cause) {
    throw new BodyError({
      kind: 'malformed',
      message: `The request body is not valid JSON (${cause instanceof Error ? cause.message : String(cause)}).`,
    });
  }
  if (value === null || typeof value !== 'object') {
    throw new BodyError({
      kind: 'malformed',
      message: 'The request body must be a JSON object (or, for a bulk request, an array).',
    });
  }
  if (Array.isArray(value)) return { items: value };
  for (const [key, text] of digits.get(value) ?? []) (value as BodyObject)[key] = text;
  return value as BodyObject;
}

export function jsonResponse(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(body === undefined ? null : JSON.stringify(body), {
    status,
    headers: {
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      'cache-control': 'no-store',
      ...headers,
    },
  });
}

/**
 * Matches a path such as "users/abc" against a pattern such as "users/:userId"; parameters are URL-decoded.
 * null when it does not match (or a parameter is not valid percent-encoding).
 */
export function matchPath(pattern: string, path: string): Record<string, string> | null {
  const want = pattern.split('/');
  const got = path.split('/');
  if (want.length !== got.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < want.length; i++) {
    const w = want[i]!,
      g = got[i]!;
    if (w.startsWith(':')) {
      if (g === '') return null;
      try {
        params[w.slice(1)] = decodeURIComponent(g);
      } catch {
        return null;
      }
    } else if (w !== g) {
      return null;
    }
  }
  return params;
}

/**
 * The request path relative to `basePath` without leading or trailing slashes, or null when the request is not
 * under `basePath`.
 */
export function relativePath(url: URL, basePath: string): string | null {
  const base = normalizeBasePath(basePath);
  if (!url.pathname.startsWith(base) && `${url.pathname}/` !== base) return null;
  return url.pathname.slice(base.length).replace(/^\/+|\/+$/g, '');
}

/** "/api" and "api/" become "/api/"; "" and "/" are "/"; written as a URL's path is ("/my api" → "/my%20api/"). */
export function normalizeBasePath(basePath: string): string {
  const trimmed = basePath.replace(/^\/+|\/+$/g, '');
  return trimmed === '' ? '/' : new URL(`/${trimmed}/`, 'http://base.invalid').pathname;
}

/** A header's value, trimmed; undefined when absent or blank. */
export function header(request: Request, name: string): string | undefined {
  const value = request.headers.get(name)?.trim();
  return value ? value : undefined;
}

/**
 * A boolean field: JSON's true and false, or a form's text for them, as clients write it ("true", "True" from Python's
 * requests, "1"); undefined for anything else.
 */
export function booleanField(value: unknown): boolean | undefined {
  if (typeof value === 'boolean') return value;
  if (typeof value !== 'string') return undefined;
  const text = value.trim().toLowerCase();
  return text === 'true' || text === '1' ? true : text === 'false' || text === '0' ? false : undefined;
}

/** A client sentence inside a REST message ("The face is …" → "the face is …"). */
export function lowerFirst(text: string): string {
  return text.charAt(0).toLowerCase() + text.slice(1);
}

/** The basePath option of createRestHandler and mountRestHandler (default '/'): a string, else ERR_INVALID_ARGUMENT. */
export function basePathOption(value: unknown = '/'): string {
  if (typeof value !== 'string')
    throw new FaceError('ERR_INVALID_ARGUMENT', `basePath must be a path such as '/' or '/api/'; got ${typeof value}.`);
  return value;
}

/** The maxBodyBytes option of createRestHandler and mountRestHandler: a positive integer, else ERR_INVALID_ARGUMENT. */
export function maxBodyBytesOption(value: unknown = DEFAULT_MAX_BODY_BYTES): number {
  if (!Number.isInteger(value) || (value as number) < 1)
    throw new FaceError('ERR_INVALID_ARGUMENT', `maxBodyBytes must be a positive integer; got ${String(value)}.`);
  return value as number;
}
