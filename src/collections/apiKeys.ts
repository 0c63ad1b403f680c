import { FaceError } from '../errors';
import { sha256Bytes } from '../sha256';
import type { FaceStore } from './store/database';
import type { ApiKeyLimits, ApiKeyRecord } from './store/schema';
import * as v from './validate';

export type { ApiKeyLimits };

export interface CreateApiKeyRequest {
  /** A label for people (e.g. "front-desk tablet"); 1–255 characters. */
  name: string;
  /** Collections the key may reach. Default: all collections. */
  collections?: string[];
  /** Optional limits; each omitted one is unlimited. Default: none. */
  limits?: ApiKeyLimits;
}

export interface CreatedApiKey {
  /** The secret. It is shown only here: LocalFace keeps only a salted hash of it. */
  key: string;
  keyId: string;
}

export interface ApiKeyInfo {
  keyId: string;
  name: string;
  /** Collections the key may reach; empty: all. */
  collections: string[];
  /** ms since the epoch. */
  createdAt: number;
  limits: ApiKeyLimits;
}

/** What a request spends: every request is a 'request'; one that enrolls a face is also an 'enroll'. */
export type ApiKeyUse = 'request' | 'enroll';

export type ApiKeyAllowance =
  { allowed: true } | { allowed: false; limit: keyof ApiKeyLimits; retryAfterSeconds: number };

/** client.apiKeys: keys for the REST handler (createRestHandler). */
export interface ApiKeys {
  /** A new key; its secret is returned once and never stored. */
  create(request: CreateApiKeyRequest): Promise<CreatedApiKey>;
  /** Every key, oldest first, never with its secret. */
  list(): Promise<ApiKeyInfo[]>;
  /** The key stops working at once. Unknown keyId: ERR_NOT_FOUND. */
  revoke(keyId: string): Promise<void>;
  /**
   * The key's details if `key` is a valid, unrevoked secret (and belongs to `keyId` when given), else null.
   * For apps that write their own handler; the comparison takes the same time however much of the secret matches.
   */
  verify(key: string, keyId?: string): Promise<ApiKeyInfo | null>;
  /**
   * Counts one use of the key against its limits; refused uses are not counted. Requests per minute are counted in
   * this client's memory (a sliding minute); enrolls per day (UTC) are stored with the key. Unknown (or revoked)
   * keyId: ERR_NOT_FOUND.
   */
  consume(keyId: string, use: ApiKeyUse): Promise<ApiKeyAllowance>;
}

const KEY_PATTERN = /^lf_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;
const MAX_NAME_LENGTH = 255;
const MINUTE_MS = 60_000;

/** API keys stored as salted SHA-256 hashes in the client's database. */
export class ApiKeyService implements ApiKeys {
  /** Start times of the requests of the last minute, per key. */
  private readonly recentRequests = new Map<string, number[]>();

  constructor(
    private readonly store: FaceStore,
    private readonly now: () => number = Date.now,
  ) {}

  async create(request: CreateApiKeyRequest): Promise<CreatedApiKey> {
    const r = v.requireObject(request, 'apiKeys.create');
    v.onlyKnownKeys(r, ['name', 'collections', 'limits'], 'apiKeys.create');
    const name = r.name;
    if (typeof name !== 'string' || name.length < 1 || v.characterCount(name) > MAX_NAME_LENGTH) {
      throw new FaceError(
        'ERR_INVALID_ARGUMENT',
        `apiKeys.create needs a name: a string of 1–${MAX_NAME_LENGTH} characters that tells people what the key is for.`,
      );
    }
    const collections = collectionList(r.collections);
    const limits = limitsOf(r.limits);
    const keyId = hex(randomBytes(8));
    const key = `lf_${keyId}_${base64url(randomBytes(32))}`;
    const salt = randomBytes(16);
    const createdAt = this.now();
    await this.store.addApiKey({
      keyId,
      name,
      collections,
      createdAt,
      salt,
      hash: await digest(salt, key),
      limits,
      usage: { day: utcDay(createdAt), enrolls: 0 },
    });
    return { key, keyId };
  }

  async list(): Promise<ApiKeyInfo[]> {
    return (await this.store.listApiKeys()).sort((a, b) => a.createdAt - b.createdAt).map(toInfo);
  }

  async revoke(keyId: string): Promise<void> {
    if (typeof keyId !== 'string' || keyId.length === 0)
      throw new FaceError(
        'ERR_INVALID_ARGUMENT',
        'apiKeys.revoke takes the keyId returned by apiKeys.create() or listed by apiKeys.list().',
      );
    if (!(await this.store.deleteApiKey(keyId))) throw keyNotFound(keyId);
    this.recentRequests.delete(keyId);
  }

  async verify(key: string, keyId?: string): Promise<ApiKeyInfo | null> {
    if (typeof key !== 'string') return null;
    const match = KEY_PATTERN.exec(key);
    if (!match || (keyId !== undefined && keyId !== match[1])) return null;
    const record = await this.store.getApiKey(match[1]!);
    if (!record) return null;
    return constantTimeEqual(await digest(record.salt, key), record.hash) ? toInfo(record) : null;
  }

  async consume(keyId: string, use: ApiKeyUse): Promise<ApiKeyAllowance> {
    if (typeof keyId !== 'string' || keyId.length === 0)
      throw new FaceError('ERR_INVALID_ARGUMENT', `apiKeys.consume takes a keyId string; got ${v.show(keyId)}.`);
    if (use !== 'request' && use !== 'enroll')
      throw new FaceError(
        'ERR_INVALID_ARGUMENT',
        `apiKeys.consume: use must be 'request' or 'enroll'; got ${v.show(use)}.`,
      );
    const now = this.now();
    if (use === 'request') {
      const record = await this.store.getApiKey(keyId);
      if (!record) throw keyNotFound(keyId);
      const perMinute = record.limits.requestsPerMinute;
      if (perMinute === undefined) return { allowed: true };
      const recent = (this.recentRequests.get(keyId) ?? []).filter((t) => t > now - MINUTE_MS);
      if (recent.length >= perMinute) {
        this.recentRequests.set(keyId, recent);
        return {
          allowed: false,
          limit: 'requestsPerMinute',
          retryAfterSeconds: Math.max(1, Math.ceil((recent[0]! + MINUTE_MS - now) / 1000)),
        };
      }
      recent.push(now);
      this.recentRequests.set(keyId, recent);
      return { allowed: true };
    }
    const day = utcDay(now);
    const updated = await this.store.updateApiKey(keyId, (record) => {
      const perDay = record.limits.enrollsPerDay;
      if (perDay === undefined) return null;
      const enrolls = record.usage.day === day ? record.usage.enrolls : 0;
      if (enrolls >= perDay) return null;
      return { ...record, usage: { day, enrolls: enrolls + 1 } };
    });
    // A key revoked meanwhile allows nothing more, even a request that passed its key check before the revoke.
    if (!updated) throw keyNotFound(keyId);
    if (updated.stored || updated.record.limits.enrollsPerDay === undefined) return { allowed: true };
    const tomorrow = Date.parse(`${day}T00:00:00Z`) + 24 * 3600_000;
    return {
      allowed: false,
      limit: 'enrollsPerDay',
      retryAfterSeconds: Math.max(1, Math.ceil((tomorrow - now) / 1000)),
    };
  }
}

/** A key's secret anywhere in a string: with a stray space or newline, or after "Bearer ". */
const SECRET_INSIDE = /lf_([0-9a-f]{16})_[A-Za-z0-9_-]/i;
const KEY_ID = /^[0-9a-f]{16}$/;

function keyNotFound(keyId: string): FaceError {
  // What was passed is repeated only if it has a keyId's shape: it may hold a secret (an easy slip), and error
  // messages end up in logs.
  const secret = SECRET_INSIDE.exec(keyId);
  if (secret)
    return new FaceError(
      'ERR_INVALID_ARGUMENT',
      `That is an API key's secret, not its keyId: pass its keyId, "${secret[1]!.toLowerCase()}" (the 16 hex digits after lf_). The secret is not repeated here.`,
      { metadata: { keyId: secret[1]!.toLowerCase() } },
    );
  if (!KEY_ID.test(keyId))
    return new FaceError(
      'ERR_NOT_FOUND',
      `No API key has that keyId: a keyId is 16 hex digits, this is a string of ${keyId.length} characters (not repeated here). apiKeys.list() shows the existing keys.`,
    );
  return new FaceError('ERR_NOT_FOUND', `No API key with keyId "${keyId}". apiKeys.list() shows the existing keys.`, {
    metadata: { keyId },
  });
}

function toInfo(r: ApiKeyRecord): ApiKeyInfo {
  return {
    keyId: r.keyId,
    name: r.name,
    collections: [...r.collections],
    createdAt: r.createdAt,
    limits: { ...r.limits },
  };
}

function collectionList(value: unknown): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value))
    throw new FaceError(
      'ERR_INVALID_ARGUMENT',
      'apiKeys.create: collections must be an array of collection names (omit it for a key that reaches every collection).',
    );
  if (value.length === 0)
    throw new FaceError(
      'ERR_INVALID_ARGUMENT',
      'apiKeys.create: collections is empty; list at least one collection, or omit it for a key that reaches every collection.',
    );
  return [...new Set(value.map((name) => v.collectionName(name)))];
}

function limitsOf(value: unknown): ApiKeyLimits {
  if (value === undefined) return {};
  const o = v.requireObject(value, 'apiKeys.create limits');
  v.onlyKnownKeys(o, ['requestsPerMinute', 'enrollsPerDay'], 'apiKeys.create limits');
  const limits: ApiKeyLimits = {};
  for (const name of ['requestsPerMinute', 'enrollsPerDay'] as const) {
    if (o[name] === undefined) continue;
    limits[name] = v.integer(o[name], `limits.${name}`, 0, 1, 1_000_000_000);
  }
  return limits;
}

function randomBytes(n: number): Uint8Array<ArrayBuffer> {
  return crypto.getRandomValues(new Uint8Array(n));
}

async function digest(salt: Uint8Array, key: string): Promise<Uint8Array> {
  const secret = new TextEncoder().encode(key);
  const input = new Uint8Array(salt.length + secret.length);
  input.set(salt);
  input.set(secret, salt.length);
  return sha256Bytes(input);
}

/** Equal-length comparison whose time does not depend on where the first difference is. */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

function base64url(bytes: Uint8Array): string {
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

export function utcDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}
