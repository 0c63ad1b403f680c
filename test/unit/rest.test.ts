import { describe, expect, it } from 'vitest';
import { ApiKeyService, constantTimeEqual } from '../../src/collections/apiKeys';
import type { FaceStore } from '../../src/collections/store/database';
import type { ApiKeyRecord } from '../../src/collections/store/schema';
import type { FaceClient } from '../../src/client';
import { FaceError } from '../../src/errors';
import { SEARCH_LARGEST_FACE } from '../../src/collections/restWrites';
import { codeMessageFailure } from '../../src/rest/codeMessage';
import { failOnMessage } from '../../src/rest/enrollFace';
import { faceIdToInteger, personIdField } from '../../src/rest/faceSet';
import { requestId } from '../../src/rest/paths';
import { createRestHandler } from '../../src/rest/handler';
import { serveRestRequests } from '../../src/rest/serviceWorker';
import { fakePageContainer } from '../support/pageContainer';
import {
  BodyError,
  headerValue,
  matchPath,
  normalizeBasePath,
  parseBody,
  parseJsonObject,
  readBody,
  relativePath,
} from '../../src/rest/http';
import { percentToScore, problem, scoreToPercent } from '../../src/rest/users';

/** The parts of FaceStore that ApiKeyService uses, in memory. */
/** ApiKeyService's part of FaceStore in memory; `reverse` lists keys newest first (IndexedDB lists by keyId). */
function memoryKeyStore(reverse = false): FaceStore & { records: Map<string, ApiKeyRecord> } {
  const records = new Map<string, ApiKeyRecord>();
  return {
    records,
    addApiKey: async (r: ApiKeyRecord) => void records.set(r.keyId, structuredClone(r)),
    listApiKeys: async () => {
      const all = [...records.values()].map((r) => structuredClone(r));
      return reverse ? all.reverse() : all;
    },
    getApiKey: async (id: string) => structuredClone(records.get(id)),
    deleteApiKey: async (id: string) => records.delete(id),
    updateApiKey: async (id: string, update: (r: ApiKeyRecord) => ApiKeyRecord | null) => {
      const r = records.get(id);
      if (!r) return undefined;
      const next = update(structuredClone(r));
      if (next) records.set(id, next);
      return { record: next ?? r, stored: next !== null };
    },
  } as unknown as FaceStore & { records: Map<string, ApiKeyRecord> };
}

describe('API keys', () => {
  it('stores only a salted hash; verify accepts the secret, refuses a changed one, and stops after revoke', async () => {
    const store = memoryKeyStore();
    const keys = new ApiKeyService(store);
    const { key, keyId } = await keys.create({ name: 'tablet', collections: ['staff'] });
    expect(key).toMatch(/^lf_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
    const stored = JSON.stringify([...store.records.values()], (_, v) => (v instanceof Uint8Array ? Array.from(v) : v));
    expect(stored).not.toContain(key.slice(20));
    expect(await keys.verify(key)).toMatchObject({ keyId, name: 'tablet', collections: ['staff'] });
    expect(await keys.verify(key, keyId)).not.toBeNull();
    expect(await keys.verify(key, '0000000000000000')).toBeNull();
    const last = key.at(-1) === 'A' ? 'B' : 'A';
    expect(await keys.verify(key.slice(0, -1) + last)).toBeNull();
    expect(await keys.list()).toEqual([
      { keyId, name: 'tablet', collections: ['staff'], createdAt: expect.any(Number), limits: {} },
    ]);
    await keys.revoke(keyId);
    expect(await keys.verify(key)).toBeNull();
    await expect(keys.revoke(keyId)).rejects.toMatchObject({ code: 'ERR_NOT_FOUND' });
  });

  it('a secret passed where the keyId goes is not repeated in the error (messages end up in logs)', async () => {
    const keys = new ApiKeyService(memoryKeyStore());
    const { key, keyId } = await keys.create({ name: 'tablet' });
    for (const call of [
      () => keys.revoke(key),
      () => keys.consume(key, 'request'),
      () => keys.consume(key, 'enroll'),
      // with what an env file or a header leaves around it
      () => keys.revoke(`${key}\n`),
      () => keys.revoke(` ${key}`),
      () => keys.consume(`Bearer ${key}`, 'request'),
    ]) {
      const error = (await call().catch((e: unknown) => e)) as FaceError;
      expect(error).toMatchObject({ code: 'ERR_INVALID_ARGUMENT', metadata: { keyId } });
      expect(error.message).toContain(`"${keyId}"`);
      expect(JSON.stringify(error.toJSON())).not.toContain(key.slice(20));
    }
    expect(await keys.list()).toHaveLength(1);
    // Anything else unknown is shown shortened.
    const long = await keys.revoke('x'.repeat(5000)).catch((e: unknown) => e as FaceError);
    expect(long).toMatchObject({ code: 'ERR_NOT_FOUND' });
    expect((long as FaceError).message.length).toBeLessThan(200);
    // Only something shaped like a keyId is repeated: anything else may hold (part of) a secret.
    const part = await keys.revoke(key.slice(20)).catch((e: unknown) => e as FaceError);
    expect(JSON.stringify((part as FaceError).toJSON())).not.toContain(key.slice(20, 30));
    await expect(keys.revoke('0123456789abcdef')).rejects.toMatchObject({
      code: 'ERR_NOT_FOUND',
      metadata: { keyId: '0123456789abcdef' },
    });
  });

  it('checks its arguments', async () => {
    const keys = new ApiKeyService(memoryKeyStore());
    await expect(keys.create({ name: '' })).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
    await expect(keys.create({ name: 'x', collections: [] })).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
    await expect(keys.create({ name: 'x', collections: ['bad name'] })).rejects.toMatchObject({
      code: 'ERR_INVALID_COLLECTION_NAME',
    });
    await expect(keys.create({ name: 'x', limits: { requestsPerMinute: 0 } })).rejects.toMatchObject({
      code: 'ERR_INVALID_ARGUMENT',
    });
  });

  it('limits requests per sliding minute and enrolls per UTC day', async () => {
    let now = Date.parse('2026-11-20T23:59:00Z');
    const keys = new ApiKeyService(memoryKeyStore(), () => now);
    const { keyId } = await keys.create({ name: 'x', limits: { requestsPerMinute: 2, enrollsPerDay: 1 } });
    expect(await keys.consume(keyId, 'request')).toEqual({ allowed: true });
    expect(await keys.consume(keyId, 'request')).toEqual({ allowed: true });
    expect(await keys.consume(keyId, 'request')).toEqual({
      allowed: false,
      limit: 'requestsPerMinute',
      retryAfterSeconds: 60,
    });
    now += 60_001;
    expect(await keys.consume(keyId, 'request')).toEqual({ allowed: true });
    expect(await keys.consume(keyId, 'enroll')).toEqual({ allowed: true });
    expect(await keys.consume(keyId, 'enroll')).toMatchObject({ allowed: false, limit: 'enrollsPerDay' });
    now += 24 * 3600_000; // the next day
    expect(await keys.consume(keyId, 'enroll')).toEqual({ allowed: true });
  });

  it('allows nothing more for a revoked or unknown key (a request that passed its key check is stopped)', async () => {
    const keys = new ApiKeyService(memoryKeyStore());
    const { keyId } = await keys.create({ name: 'x', limits: { enrollsPerDay: 1 } });
    await keys.revoke(keyId);
    for (const use of ['request', 'enroll'] as const)
      await expect(keys.consume(keyId, use)).rejects.toMatchObject({ code: 'ERR_NOT_FOUND', metadata: { keyId } });
    await expect(keys.consume('ffffffffffffffff', 'enroll')).rejects.toMatchObject({ code: 'ERR_NOT_FOUND' });
  });

  it('compares in constant time per length', () => {
    expect(constantTimeEqual(new Uint8Array([1, 2]), new Uint8Array([1, 2]))).toBe(true);
    expect(constantTimeEqual(new Uint8Array([1, 2]), new Uint8Array([1, 3]))).toBe(false);
    expect(constantTimeEqual(new Uint8Array([1]), new Uint8Array([1, 2]))).toBe(false);
  });
});

describe('HTTP helpers', () => {
  it('matches paths with parameters', () => {
    expect(matchPath('users/:userId', 'users/a%20b')).toEqual({ userId: 'a b' });
    expect(matchPath('users/:userId', 'users')).toBeNull();
    expect(matchPath('users/:userId', 'users/')).toBeNull();
    expect(matchPath('users/:userId', 'users/%E0%A4%A')).toBeNull();
    expect(matchPath('faceset/v2/add_face', 'faceset/v2/add_face')).toEqual({});
  });

  it('takes paths relative to basePath', () => {
    expect(normalizeBasePath('api')).toBe('/api/');
    expect(normalizeBasePath('/')).toBe('/');
    expect(relativePath(new URL('http://x/api/face-search'), '/api')).toBe('face-search');
    expect(relativePath(new URL('http://x/api/users/7/'), '/api/')).toBe('users/7');
    expect(relativePath(new URL('http://x/other/face-search'), '/api')).toBeNull();
    expect(relativePath(new URL('http://x/apix/face-search'), '/api')).toBeNull();
    expect(relativePath(new URL('http://x/face-search'), '/')).toBe('face-search');
    // A basePath written as text matches the URL's percent-encoded path, and one written encoded too.
    expect(relativePath(new URL('http://x/my api/face-search'), '/my api/')).toBe('face-search');
    expect(relativePath(new URL('http://x/my api/face-search'), '/my%20api/')).toBe('face-search');
    expect(relativePath(new URL('http://x/café/face-search'), 'café')).toBe('face-search');
  });

  it('refuses a body over the limit, by Content-Length or while streaming', async () => {
    const declared = new Request('http://x/', {
      method: 'POST',
      body: 'x'.repeat(10),
      headers: { 'content-length': '10' },
    });
    await expect(readBody(declared, 5)).rejects.toBeInstanceOf(BodyError);
    const stream = new ReadableStream({
      start(c) {
        c.enqueue(new Uint8Array(4));
        c.enqueue(new Uint8Array(4));
        c.close();
      },
    });
    const streamed = new Request('http://x/', { method: 'POST', body: stream, duplex: 'half' } as RequestInit);
    await expect(readBody(streamed, 5)).rejects.toMatchObject({ problem: { kind: 'tooLarge', maxBytes: 5 } });
    expect((await readBody(new Request('http://x/', { method: 'POST', body: 'abc' }), 5)).byteLength).toBe(3);
  });

  it('parses JSON objects and arrays, and reports malformed JSON', () => {
    const bytes = (s: string) => new TextEncoder().encode(s);
    expect(parseJsonObject(bytes(''))).toEqual({});
    expect(parseJsonObject(bytes('{"a":1}'))).toEqual({ a: 1 });
    expect(parseJsonObject(bytes('[1]'))).toEqual({ items: [1] });
    for (const bad of ['{', '"text"', '42', 'null']) expect(() => parseJsonObject(bytes(bad))).toThrow(BodyError);
    expect(() => parseJsonObject(new Uint8Array([0xff, 0xfe]))).toThrow(/UTF-8/);
  });

  it('parses multipart/form-data into strings and Blobs only where forms are allowed', async () => {
    const form = () => {
      const f = new FormData();
      f.append('name', 'staff');
      f.append('file', new Blob([new Uint8Array([1, 2, 3])], { type: 'image/jpeg' }), 'face.jpg');
      return new Request('http://x/', { method: 'POST', body: f });
    };
    const body = await parseBody(form(), { maxBytes: 10_000, forms: true });
    expect(body.name).toBe('staff');
    expect(body.file).toBeInstanceOf(Blob);
    expect((body.file as Blob).size).toBe(3);
    await expect(parseBody(form(), { maxBytes: 10_000 })).rejects.toMatchObject({
      problem: { kind: 'unsupportedType' },
    });
  });

  it('refuses a compressed body as an unsupported type, saying so (not as text that is not UTF-8)', async () => {
    const gzipped = (encoding: string) =>
      new Request('http://x/', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-encoding': encoding },
        body: new Uint8Array([0x1f, 0x8b, 8, 0]),
      });
    await expect(parseBody(gzipped('gzip'), { maxBytes: 10_000 })).rejects.toMatchObject({
      problem: { kind: 'unsupportedType', message: expect.stringMatching(/Content-Encoding gzip .*uncompressed/) },
    });
    const plain = new Request('http://x/', {
      method: 'POST',
      headers: { 'content-encoding': 'identity' },
      body: '{"a":1}',
    });
    expect(await parseBody(plain, { maxBytes: 10_000 })).toEqual({ a: 1 });
  });

  it("keeps a form field named __proto__ as a field, not as the body's prototype", async () => {
    const f = new FormData();
    f.append('__proto__', new Blob([new Uint8Array([1])]), 'x.jpg');
    f.append('name', 'staff');
    const body = await parseBody(new Request('http://x/', { method: 'POST', body: f }), {
      maxBytes: 10_000,
      forms: true,
    });
    expect(Object.getPrototypeOf(body)).toBe(Object.prototype);
    expect(Object.keys(body).sort()).toEqual(['__proto__', 'name']);
    expect(body.name).toBe('staff');
  });
});

describe('dialect details', () => {
  it("002's detail header: printable ASCII as is, the rest as UTF-8 percent escapes, a lone surrogate as U+FFFD", () => {
    expect(headerValue('plain text: 5 MB')).toBe('plain text: 5 MB');
    expect(headerValue('é × 😀')).toBe('%C3%A9 %C3%97 %F0%9F%98%80');
    expect(headerValue('bad \ud800 name\n')).toBe('bad %EF%BF%BD name%0A');
    expect(() => new Headers({ x: headerValue('\ud800\u0000é') })).not.toThrow();
  });

  it('FAIL_ON_n messages are the seed table', () => {
    expect(failOnMessage(1)).toBe('fail on liveness');
    expect(failOnMessage(3)).toBe('fail on liveness and attribute');
    expect(failOnMessage(7)).toBe('fail on liveness, attribute, and quality');
    expect(failOnMessage(11)).toBe('fail on number of face (nface), attribute, and liveness');
    expect(failOnMessage(15)).toBe('fail on number of face (nface), quality, attribute, and liveness');
  });

  it('001 speaks percent', () => {
    expect(percentToScore(75.5)).toBeCloseTo(0.755, 12);
    expect(percentToScore(80)).toBe(0.8);
    expect(scoreToPercent(0.9999953)).toBe(99.99953);
    expect(scoreToPercent(0.7)).toBe(70);
  });

  it('001 problem bodies are the seed examples', async () => {
    expect(await problem(400, ['provided userId already exists']).json()).toEqual({
      status: 400,
      title: 'Bad Request',
      detail: 'Invalid request.',
      type: 'https://developer.mozilla.org/en-US/docs/Web/HTTP/Status/400',
      errors: ['provided userId already exists'],
    });
    expect(await problem(404).json()).toEqual({
      status: 404,
      title: 'Not Found',
      detail: 'Server cannot find the requested resource.',
      type: 'https://developer.mozilla.org/en-US/docs/Web/HTTP/Status/404',
    });
  });

  it('004 ids are integers', () => {
    expect(faceIdToInteger('0123456789ab-4def-8000-000000000000'.replace(/^(.{8})(.{4})/, '$1-$2'))).toBe(
      0x0123456789ab,
    );
    expect(Number.isSafeInteger(faceIdToInteger(crypto.randomUUID()))).toBe(true);
    expect(personIdField(42)).toBe('42');
    expect(personIdField('42')).toBe('42');
    expect(personIdField('007')).toBe('7');
    expect(personIdField(undefined)).toBeUndefined();
    expect(personIdField('4.2')).toBeNull();
    expect(personIdField(-1)).toBeNull();
    // The seed's own example id, past 2^53: exact as digits; as a JSON number it has already lost digits.
    expect(personIdField('435451889459444247')).toBe('435451889459444247');
    expect(personIdField('9223372036854775807')).toBe('9223372036854775807');
    expect(personIdField('9223372036854775808')).toBeNull();
    expect(personIdField(2 ** 60)).toBeNull();
    expect(requestId()).toMatch(/^TID[0-9a-f]{32}$/);
  });
});

/** A client without models: enough for routing, auth and error shapes. */
function fakeClient(): FaceClient {
  const keys = new ApiKeyService(memoryKeyStore());
  const collections = new Set(['staff', 'guests']);
  const missing = (name: string) =>
    new FaceError('ERR_NOT_FOUND', `No collection named "${name}".`, { metadata: { collectionName: name } });
  return {
    apiKeys: keys,
    listCollections: async () => [...collections].map((name) => ({ name, createdAt: 0, personCount: 0 })),
    createCollection: async (name: string) => {
      if (collections.has(name)) throw new FaceError('ERR_COLLECTION_EXISTS', 'exists');
      collections.add(name);
      return { name, createdAt: 0, personCount: 0 };
    },
    searchFace: async ({ collectionName }: { collectionName: string }) => {
      if (!collections.has(collectionName)) throw missing(collectionName);
      return [];
    },
    getPerson: async ({ collectionName, personId }: { collectionName: string; personId: string }) => {
      if (!collections.has(collectionName)) throw missing(collectionName);
      throw new FaceError('ERR_NOT_FOUND', 'no person', { metadata: { collectionName, personId } });
    },
  } as unknown as FaceClient;
}

describe('000/003 error bodies', () => {
  it("word the client's own sentences in the API's terms, not the JavaScript client's", async () => {
    const exists = codeMessageFailure(
      new FaceError('ERR_COLLECTION_EXISTS', 'A collection named "staff" already exists. … deleteCollection().', {
        metadata: { collectionName: 'staff' },
      }),
    );
    expect(exists.status).toBe(409);
    expect(await exists.json()).toEqual({
      code: 'ERR_COLLECTION_EXISTS',
      message: 'A collection named "staff" already exists. Use it, or delete it first (DELETE collection/staff).',
    });
    const duplicate = await codeMessageFailure(
      new FaceError('ERR_DUPLICATE_FACE', 'Update that person instead, or enroll with checkDuplicates: false.', {
        metadata: { personId: 'colin', similarityScore: 0.9 },
      }),
    ).json();
    expect(duplicate).toEqual({
      code: 'ERR_DUPLICATE_FACE',
      message: 'Update that person instead, or enroll with check_duplicates: false.',
      metadata: { personId: 'colin', similarityScore: 0.9 },
    });
  });
});

describe('createRestHandler without models', () => {
  const post = (path: string, body: string, headers: Record<string, string> = {}) =>
    new Request(`http://app.test/api/${path}`, {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json', ...headers },
    });

  it("answers auth, routing and body errors in each dialect's shape", async () => {
    const client = fakeClient();
    const handler = createRestHandler({ client, basePath: '/api/' });
    const { key, keyId } = await client.apiKeys.create({ name: 'all' });
    const search = '{"collection_name":"staff","face_base_64":"AAAA"}';

    let r = await handler(post('face-search', search));
    expect([r.status, await r.json()]).toEqual([
      401,
      { code: 'ERR_API_KEY_NOT_PRESENT', message: 'The API key is missing from the request.' },
    ]);
    r = await handler(post('face-search', search, { 'x-api-key': `${key}x` }));
    expect([r.status, await r.json()]).toEqual([
      403,
      { code: 'ERR_API_KEY_NOT_VALID', message: 'The API key is not valid.' },
    ]);
    r = await handler(post('face-search', '{"collection_name":', { 'x-api-key': key }));
    expect(r.status).toBe(400);
    expect(await r.json()).toMatchObject({
      code: 'ERR_INVALID_ARGUMENT',
      message: expect.stringMatching(/not valid JSON/),
    });
    r = await handler(
      post('face-search', '{"collection_name":"bad name!","face_base_64":"AAAA"}', { 'x-api-key': key }),
    );
    expect(await r.json()).toEqual({
      code: 'ERR_INVALID_COLLECTION_NAME',
      message: 'Collection names can only contain alphanumeric characters, underscores, hyphens, and periods.',
    });
    // Every bad form of the name has the name's code, as createCollection('') has in the client.
    for (const body of [
      '{"collection_name":"","face_base_64":"AAAA"}',
      '{"collection_name":7}',
      '{"face_base_64":"AAAA"}',
    ]) {
      r = await handler(post('face-search', body, { 'x-api-key': key }));
      expect([r.status, (await r.json()).code], body).toEqual([400, 'ERR_INVALID_COLLECTION_NAME']);
    }
    r = await handler(post('collection', '{"collection_name":""}', { 'x-api-key': key }));
    expect([r.status, (await r.json()).code]).toEqual([400, 'ERR_INVALID_COLLECTION_NAME']);
    r = await handler(post('face-search', '{"collection_name":"nobody","face_base_64":"AAAA"}', { 'x-api-key': key }));
    expect([r.status, await r.json()]).toEqual([
      404,
      { code: 'ERR_NOT_FOUND', message: 'The requested entity could not be found.' },
    ]);
    r = await handler(post('no-such-thing', '{}', { 'x-api-key': key }));
    expect(r.status).toBe(404);
    expect(await r.json()).toMatchObject({ code: 'ERR_NOT_FOUND' });
    r = await handler(new Request('http://app.test/elsewhere/face-search', { method: 'POST' }));
    expect(r.status).toBe(404);
    r = await handler(new Request('http://app.test/api/face-search', { method: 'GET', headers: { 'x-api-key': key } }));
    expect([r.status, r.headers.get('allow')]).toEqual([405, 'POST']);
    // HEAD is GET without its body; where there is no GET it is refused like any other method.
    const get = await handler(
      new Request('http://app.test/api/collections', { method: 'GET', headers: { 'x-api-key': key } }),
    );
    const head = await handler(
      new Request('http://app.test/api/collections', { method: 'HEAD', headers: { 'x-api-key': key } }),
    );
    expect([head.status, head.headers.get('content-type'), await head.text()]).toEqual([
      get.status,
      get.headers.get('content-type'),
      '',
    ]);
    expect(get.status).toBe(200);
    r = await handler(
      new Request('http://app.test/api/face-search', { method: 'HEAD', headers: { 'x-api-key': key } }),
    );
    expect([r.status, r.headers.get('allow')]).toEqual([405, 'POST']);
    r = await handler(
      new Request('http://app.test/api/collections', { method: 'DELETE', headers: { 'x-api-key': key } }),
    );
    expect([r.status, r.headers.get('allow')]).toEqual([405, 'GET, HEAD']);

    r = await handler(post('users/search', '{"face":', { 'x-api-key': key }));
    expect(await r.json()).toMatchObject({ status: 400, title: 'Bad Request', errors: ['malformed JSON body'] });
    r = await handler(post('users/search', '{}'));
    expect(await r.json()).toMatchObject({ status: 401, title: 'Unauthorized' });
    r = await handler(post('users/search', '{"face":"AAAA","threshold":101}', { 'x-api-key': key }));
    expect(await r.json()).toMatchObject({ status: 400, errors: [expect.stringMatching(/threshold/)] });

    r = await handler(post('enroll-face', '{}', { 'x-api-key': key }));
    expect([r.status, await r.json()]).toEqual([
      400,
      { error_code: 'INVALID_PAYLOAD', message: 'no value in payload or empty string more than 1' },
    ]);
    r = await handler(post('enroll-face', '{"subject_id":"a"}', { 'x-api-key': key }));
    expect((await r.json()).error_code).toBe('MISSING_PAYLOAD_IMAGE');
    r = await handler(post('enroll-face', '{"image":"","subject_id":"a"}', { 'x-api-key': key }));
    expect((await r.json()).error_code).toBe('INVALID_PAYLOAD_IMAGE_MISSING');
    r = await handler(post('enroll-face', '{"image":"AAAA","subject_id":""}', { 'x-api-key': key }));
    expect((await r.json()).error_code).toBe('INVALID_PAYLOAD_SUBJECT_ID_MISSING');
    r = await handler(
      post('enroll-face', '{"image":"AAAA","is_quality":false,"validate_quality":true}', { 'x-api-key': key }),
    );
    expect((await r.json()).error_code).toBe('INVALID_PAYLOAD_QUALITY_VALIDATION_DEPENDENCY');
    r = await handler(post('enroll-face', '{"image":"AAAA","validate_liveness":true}', { 'x-api-key': key }));
    expect((await r.json()).error_code).toBe('INVALID_PAYLOAD_LIVENESS_VALIDATION_DEPENDENCY');
    r = await handler(post('enroll-face', '{"image":"https://elsewhere.example/face.jpg"}', { 'x-api-key': key }));
    expect((await r.json()).error_code).toBe('INVALID_PAYLOAD_IMAGE_FORMAT');
    // Seed 002: _MISSING is "not a standard b64/url"; _FORMAT is an image that cannot be decoded.
    r = await handler(post('enroll-face', '{"image":"!!not base64!!","subject_id":"a"}', { 'x-api-key': key }));
    expect((await r.json()).error_code).toBe('INVALID_PAYLOAD_IMAGE_MISSING');
    r = await handler(
      new Request('http://app.test/api/users/search', { method: 'GET', headers: { 'x-api-key': key } }),
    );
    expect([r.status, r.headers.get('allow')]).toEqual([405, 'POST, DELETE']);

    r = await handler(post('faceset/v2/add_face', '{"name":"staff"}', { 'x-df-api-id': keyId }));
    expect(r.status).toBe(401);
    expect(await r.json()).toMatchObject({
      status: 'UNAUTHORIZED',
      request_id: expect.stringMatching(/^TID[0-9a-f]{32}$/),
    });
    r = await handler(
      post('faceset/v2/add_face', '{"name":"staff"}', { 'x-df-api-id': '0000000000000000', 'x-df-api-secret': key }),
    );
    expect((await r.json()).status).toBe('UNAUTHORIZED');
    r = await handler(
      post('faceset/v2/add_face', '{"name":"staff","image_base64":"AAAA","person_id":"x"}', {
        'x-df-api-id': keyId,
        'x-df-api-secret': key,
      }),
    );
    expect(await r.json()).toMatchObject({
      status: 'INVALID_ARGUMENT',
      reason: expect.stringMatching(/^person_id must be an integer/),
    });
    r = await handler(post('faceset/v2/nothing', '{}', { 'x-df-api-id': keyId, 'x-df-api-secret': key }));
    expect([r.status, (await r.json()).status]).toEqual([404, 'NOT_FOUND']);
  });

  it("a key limited to one collection cannot reach another, and rate limits answer in the dialect's codes", async () => {
    const client = fakeClient();
    const handler = createRestHandler({ client, basePath: '/api' });
    const { key, keyId } = await client.apiKeys.create({
      name: 'staff only',
      collections: ['staff'],
      limits: { requestsPerMinute: 3 },
    });
    let r = await handler(
      post('face-search', '{"collection_name":"guests","face_base_64":"AAAA"}', { 'x-api-key': key }),
    );
    expect([r.status, (await r.json()).code]).toEqual([404, 'ERR_NOT_FOUND']);
    r = await handler(
      post('faceset/v2/add_face', '{"name":"guests","image_base64":"AAAA"}', {
        'x-df-api-id': keyId,
        'x-df-api-secret': key,
      }),
    );
    expect([r.status, (await r.json()).status]).toEqual([403, 'NO_PERMISSION']);
    r = await handler(new Request('http://app.test/api/collections', { headers: { 'x-api-key': key } }));
    expect(await r.json()).toEqual([
      { collection_name: 'staff', person_count: 0, created_at: '1970-01-01T00:00:00.000Z' },
    ]);
    r = await handler(post('faceset/v2/add_face', '{}', { 'x-df-api-id': keyId, 'x-df-api-secret': key }));
    expect([r.status, (await r.json()).status, r.headers.get('retry-after')]).toEqual([
      403,
      'RATE_LIMIT_EXCEEDED',
      expect.stringMatching(/^(59|60)$/), // 60 unless a second passed since the first request (a slow machine)
    ]);
    r = await handler(post('face-search', '{}', { 'x-api-key': key }));
    expect([r.status, (await r.json()).code]).toEqual([429, 'ERR_RATE_LIMIT_EXCEEDED']);
  });

  it("002 takes the app's origin from where it runs, not from the request's URL", async () => {
    const client = fakeClient();
    const handler = createRestHandler({ client, basePath: '/api/' });
    const { key } = await client.apiKeys.create({ name: 'x' });
    const fetched: string[] = [];
    const realFetch = globalThis.fetch;
    globalThis.fetch = (async (url: string | URL) => {
      fetched.push(String(url));
      return new Response(new Uint8Array(10), { headers: { 'content-type': 'image/jpeg' } });
    }) as typeof fetch;
    (globalThis as { location?: unknown }).location = new URL('http://app.test/');
    try {
      const r = await handler(
        new Request('https://elsewhere.example/api/enroll-face', {
          method: 'POST',
          body: JSON.stringify({ image: 'https://elsewhere.example/track.jpg', subject_id: 'a' }),
          headers: { 'x-api-key': key, 'content-type': 'application/json' },
        }),
      );
      expect([r.status, (await r.json()).error_code]).toEqual([400, 'INVALID_PAYLOAD_IMAGE_FORMAT']);
      expect(fetched).toEqual([]);
    } finally {
      globalThis.fetch = realFetch;
      delete (globalThis as { location?: unknown }).location;
    }
  });

  it('something that is not a Request, or one whose body was already read, is ERR_INVALID_ARGUMENT saying so', async () => {
    const client = fakeClient();
    const handler = createRestHandler({ client, basePath: '/api/' });
    const { key } = await client.apiKeys.create({ name: 'x' });
    for (const notRequest of [null, '/api/collections', { url: 'http://app.test/api/collections', method: 'GET' }])
      await expect(handler(notRequest as never)).rejects.toMatchObject({
        code: 'ERR_INVALID_ARGUMENT',
        message: expect.stringMatching(/^The REST handler takes a Request .*; got /),
      });
    const read = post('face-search', '{"collection_name":"staff","face_base_64":"AAAA"}', { 'x-api-key': key });
    await read.text();
    await expect(handler(read)).rejects.toMatchObject({
      code: 'ERR_INVALID_ARGUMENT',
      message: expect.stringMatching(/already read.*request\.clone\(\)/),
    });
    // A clone read elsewhere leaves the original to the handler.
    const original = post('face-search', '{"collection_name":"staff","face_base_64":"AAAA"}', { 'x-api-key': key });
    await original.clone().text();
    expect((await handler(original)).status).not.toBe(500);
  });

  it("a body the service worker did not forward (over its limit) is too large in the dialect's words, even where the handler's limit is higher", async () => {
    const client = fakeClient();
    const { key } = await client.apiKeys.create({ name: 'x' });
    const { container, deliver } = fakePageContainer();
    serveRestRequests(createRestHandler({ client, basePath: '/api/', maxBodyBytes: 32 << 20 }), container);
    const forward = async (path: string) => {
      const channel = new MessageChannel();
      const reply = new Promise<{ status: number; headers: [string, string][]; body: ArrayBuffer }>(
        (resolve) => (channel.port1.onmessage = (e) => resolve(e.data)),
      );
      const request = {
        url: `http://app.test/api/${path}`,
        method: 'POST',
        headers: [
          ['content-type', 'application/json'],
          ['x-api-key', key],
        ],
        body: new Uint8Array(101).buffer,
        tooLarge: { bytes: 101, maxBytes: 100 },
      };
      await deliver({ data: { type: 'localface-rest-request', request }, ports: [channel.port2] });
      const r = await reply;
      channel.port1.close();
      return { status: r.status, body: JSON.parse(new TextDecoder().decode(r.body)), headers: new Headers(r.headers) };
    };
    const search = await forward('face-search');
    expect([search.status, search.body]).toEqual([
      413,
      {
        code: 'ERR_IMAGE_TOO_LARGE',
        message:
          "The request body is more than 100 bytes, the most the service worker forwards (mountRestHandler's maxBodyBytes).",
      },
    ]);
    const enroll = await forward('enroll-face');
    expect([enroll.status, enroll.body.error_code]).toEqual([400, 'INVALID_PAYLOAD_IMAGE_SIZE']);
    expect(decodeURIComponent(enroll.headers.get('x-localface-detail')!)).toContain('the service worker forwards');
    const users = await forward('users/search');
    expect([users.status, users.body.errors]).toEqual([
      400,
      ['the request body is too large: the face image may be at most 5 MB'],
    ]);
    // A handler wrapped in the app's own function: no dialect to answer in, but still too large (not malformed JSON).
    const handler = createRestHandler({ client, basePath: '/api/', maxBodyBytes: 32 << 20 });
    serveRestRequests((request) => handler(request), container);
    const wrapped = await forward('face-search');
    expect([wrapped.status, wrapped.body.code]).toEqual([413, 'ERR_IMAGE_TOO_LARGE']);
  });

  it('misspelt option keys of createRestHandler and apiKeys.create are ERR_INVALID_ARGUMENT', async () => {
    const client = fakeClient();
    expect(() => createRestHandler({ client, basepath: '/api/' } as never)).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT', message: expect.stringContaining('basepath') }),
    );
    await expect(client.apiKeys.create({ name: 'x', collection: ['staff'] } as never)).rejects.toMatchObject({
      code: 'ERR_INVALID_ARGUMENT',
    });
    await expect(client.apiKeys.create({ name: 'x', limits: { enrollPerDay: 5 } } as never)).rejects.toMatchObject({
      code: 'ERR_INVALID_ARGUMENT',
    });
  });

  it('002 fetches an image URL of its own origin without following redirects, and no more than the body limit', async () => {
    const client = fakeClient();
    const handler = createRestHandler({ client, basePath: '/api/', maxBodyBytes: 1000 });
    const { key } = await client.apiKeys.create({ name: 'x' });
    const calls: RequestInit[] = [];
    const realFetch = globalThis.fetch;
    globalThis.fetch = (async (url: string | URL, init: RequestInit = {}) => {
      calls.push(init);
      // What a browser does with redirect: 'error' when the URL redirects.
      if (String(url).endsWith('/redirect')) throw new TypeError('Failed to fetch');
      return new Response(new Uint8Array(5000), { headers: { 'content-type': 'image/jpeg' } });
    }) as typeof fetch;
    try {
      const enroll = (image: string) =>
        handler(post('enroll-face', JSON.stringify({ image, subject_id: 'a' }), { 'x-api-key': key }));
      let r = await enroll('http://app.test/redirect');
      expect([r.status, (await r.json()).error_code]).toEqual([400, 'INVALID_PAYLOAD_IMAGE_FORMAT']);
      expect(calls[0]!.redirect).toBe('error');
      r = await enroll('http://app.test/huge.jpg');
      expect([r.status, (await r.json()).error_code]).toEqual([400, 'INVALID_PAYLOAD_IMAGE_SIZE']);
      // The body is the seed's to the letter; what exactly went wrong travels in a header.
      r = await enroll('http://elsewhere.test/face.jpg');
      expect(await r.json()).toEqual({
        error_code: 'INVALID_PAYLOAD_IMAGE_FORMAT',
        message: 'image unable to be decoded/got from url OR invalid image extension',
      });
      expect(r.headers.get('x-localface-detail')).toMatch(/origin \(http:\/\/app.test\) are fetched/);
    } finally {
      globalThis.fetch = realFetch;
    }
  });

  it('000 refuses a too-long person_name or a bad metadata before it counts the enroll', async () => {
    const client = fakeClient();
    const enrolled: unknown[] = [];
    (client as unknown as { enrollPerson: (r: unknown) => Promise<unknown> }).enrollPerson = async (r) => {
      enrolled.push(r);
      return { personId: 'p', personName: 'P', metadata: {}, faceBase64: '' };
    };
    const handler = createRestHandler({ client });
    const { key } = await client.apiKeys.create({ name: 'x', limits: { enrollsPerDay: 1 } });
    const put = (body: object) =>
      handler(
        new Request('http://app.test/person', {
          method: 'PUT',
          body: JSON.stringify({ person_id: 'p', collection_name: 'staff', face_base_64: 'AAAA', ...body }),
          headers: { 'x-api-key': key, 'content-type': 'application/json' },
        }),
      );
    let r = await put({ person_name: 'x'.repeat(1025) });
    expect([r.status, (await r.json()).message]).toEqual([400, expect.stringContaining('person_name')]);
    r = await put({ person_name: 'P', metadata: { big: 'x'.repeat(17_000) } });
    expect([r.status, (await r.json()).code]).toEqual([400, 'ERR_INVALID_ARGUMENT']);
    r = await put({ person_name: 'P' });
    expect(r.status).toBe(200);
    expect(enrolled).toHaveLength(1);
    r = await put({ person_name: 'P' });
    expect([r.status, (await r.json()).code]).toEqual([429, 'ERR_QUOTA_EXCEEDED']);
  });

  it("001 says which image limit was passed (bytes, sides or pixels), in the client's words", async () => {
    const client = fakeClient();
    // 001 searches the largest face through the client's SEARCH_LARGEST_FACE method.
    (client as unknown as Record<symbol, () => Promise<never>>)[SEARCH_LARGEST_FACE] = async () => {
      throw new FaceError('ERR_IMAGE_TOO_LARGE', 'The face is 7000×7000 pixels; the largest accepted is 6000×6000.');
    };
    const handler = createRestHandler({ client });
    const { key } = await client.apiKeys.create({ name: 'x' });
    const r = await handler(
      new Request('http://app.test/users/search', {
        method: 'POST',
        body: JSON.stringify({ face: 'AAAA' }),
        headers: { 'x-api-key': key, 'content-type': 'application/json' },
      }),
    );
    expect([r.status, (await r.json()).errors]).toEqual([
      400,
      ['the face is 7000×7000 pixels; the largest accepted is 6000×6000.'],
    ]);
  });

  it('a closed client behind the handler is a 503 in each dialect, not a 400', async () => {
    const client = fakeClient();
    const { key } = await client.apiKeys.create({ name: 'x' });
    const closed = () =>
      Promise.reject(
        new FaceError('ERR_INVALID_ARGUMENT', 'This LocalFace client is closed.', {
          metadata: { reason: 'client-closed' },
        }),
      );
    (client.apiKeys as unknown as { verify: () => Promise<never> }).verify = closed;
    const handler = createRestHandler({ client });
    const call = async (path: string) => {
      const r = await handler(
        new Request(`http://app.test/${path}`, { method: 'POST', headers: { 'x-api-key': key } }),
      );
      return [r.status, await r.json()];
    };
    expect(await call('face-search')).toEqual([503, expect.objectContaining({ code: 'ERR_INTERNAL' })]);
    expect(await call('users/search')).toEqual([503, expect.objectContaining({ status: 503 })]);
    expect(await call('enroll-face')).toEqual([503, expect.objectContaining({ error_code: 'INTERNAL_SERVER_ERROR' })]);
  });

  it('PUT persons over the per-request limit is 400 ERR_INVALID_ARGUMENT', async () => {
    const client = fakeClient();
    const handler = createRestHandler({ client });
    const { key } = await client.apiKeys.create({ name: 'x' });
    const r = await handler(
      new Request('http://app.test/persons', {
        method: 'PUT',
        body: JSON.stringify(Array.from({ length: 1001 }, (_, i) => ({ person_id: `p${i}` }))),
        headers: { 'x-api-key': key },
      }),
    );
    expect([r.status, (await r.json()).code]).toEqual([400, 'ERR_INVALID_ARGUMENT']);
  });

  it('refuses an oversized body before parsing it', async () => {
    const client = fakeClient();
    const handler = createRestHandler({ client, maxBodyBytes: 100 });
    const { key } = await client.apiKeys.create({ name: 'x' });
    const r = await handler(
      new Request('http://app.test/face-search', {
        method: 'POST',
        body: `{"face_base_64":"${'A'.repeat(200)}"}`,
        headers: { 'x-api-key': key },
      }),
    );
    expect([r.status, (await r.json()).code]).toEqual([413, 'ERR_IMAGE_TOO_LARGE']);
    // 001 answers every image problem as a 400, a body over the limit included; 002 as its image-size code.
    const users = await handler(
      new Request('http://app.test/users/search', {
        method: 'POST',
        body: `{"face":"${'A'.repeat(200)}"}`,
        headers: { 'x-api-key': key },
      }),
    );
    expect([users.status, (await users.json()).errors]).toEqual([
      400,
      ['the request body is too large: the face image may be at most 5 MB'],
    ]);
    const enrollFace = await handler(
      new Request('http://app.test/enroll-face', {
        method: 'POST',
        body: `{"image":"${'A'.repeat(200)}"}`,
        headers: { 'x-api-key': key },
      }),
    );
    expect([enrollFace.status, await enrollFace.json()]).toEqual([
      400,
      { error_code: 'INVALID_PAYLOAD_IMAGE_SIZE', message: 'invalid payload image size too large' },
    ]);
  });
});

describe('API key limits say when to retry', () => {
  it('requests per minute: retry when the oldest request of the window leaves it', async () => {
    let now = Date.parse('2026-11-20T12:00:00Z');
    const keys = new ApiKeyService(memoryKeyStore(), () => now);
    const { keyId } = await keys.create({ name: 'x', limits: { requestsPerMinute: 2 } });
    expect(await keys.consume(keyId, 'request')).toEqual({ allowed: true }); // t = 0 s
    now += 30_000;
    expect(await keys.consume(keyId, 'request')).toEqual({ allowed: true }); // t = 30 s
    now += 10_000;
    // t = 40 s: the request of t = 0 leaves the window at t = 60 s, so in 20 s (not 50 s).
    expect(await keys.consume(keyId, 'request')).toEqual({
      allowed: false,
      limit: 'requestsPerMinute',
      retryAfterSeconds: 20,
    });
  });

  it('enrolls per day: retry at the next UTC midnight', async () => {
    const now = Date.parse('2026-11-20T23:59:00Z');
    const keys = new ApiKeyService(memoryKeyStore(), () => now);
    const { keyId } = await keys.create({ name: 'x', limits: { enrollsPerDay: 1 } });
    expect(await keys.consume(keyId, 'enroll')).toEqual({ allowed: true });
    expect(await keys.consume(keyId, 'enroll')).toEqual({
      allowed: false,
      limit: 'enrollsPerDay',
      retryAfterSeconds: 60,
    });
  });

  it('list() is oldest first whatever order the store returns', async () => {
    let now = 1_000;
    const keys = new ApiKeyService(memoryKeyStore(true), () => now++);
    for (const name of ['first', 'second', 'third']) await keys.create({ name });
    expect((await keys.list()).map((k) => k.name)).toEqual(['first', 'second', 'third']);
  });
});

describe('REST search defaults', () => {
  it('003: min_similarity_score defaults to 0.7 and max_results to 1; 001: threshold defaults to 80 %', async () => {
    const keys = new ApiKeyService(memoryKeyStore());
    const seen: Record<string, unknown>[] = [];
    const client = {
      apiKeys: keys,
      searchFace: async (r: Record<string, unknown>) => (seen.push(r), []),
      multiFaceSearch: async (r: Record<string, unknown>) => (
        seen.push(r),
        { personSearchResults: [], unrecognizedFaceThumbnailsBase64: [] }
      ),
      createCollection: async (name: string) => ({ name, createdAt: 0, personCount: 0 }),
      // 001 searches the largest face through the client's internal SEARCH_LARGEST_FACE method.
      [SEARCH_LARGEST_FACE]: async (r: Record<string, unknown>) => (seen.push(r), []),
    } as unknown as FaceClient;
    const handler = createRestHandler({ client });
    const { key } = await keys.create({ name: 'x' });
    const post = (path: string, body: object) =>
      handler(
        new Request(`http://app.test/${path}`, {
          method: 'POST',
          body: JSON.stringify(body),
          headers: { 'x-api-key': key, 'content-type': 'application/json' },
        }),
      );
    expect((await post('face-search', { collection_name: 'staff', face_base_64: 'AAAA' })).status).toBe(200);
    expect((await post('multi-face-search', { collection_name: 'staff', multi_face_img_base_64: 'AAAA' })).status).toBe(
      200,
    );
    expect((await post('users/search', { face: 'AAAA' })).status).toBe(404); // no match
    expect(seen).toEqual([
      expect.objectContaining({ collectionName: 'staff', minSimilarityScore: 0.7, maxResults: 1 }),
      expect.objectContaining({ collectionName: 'staff', minSimilarityScore: 0.7 }),
      expect.objectContaining({ collectionName: 'default', minSimilarityScore: 0.8 }),
    ]);
  });
});

describe('request bodies at the limit', () => {
  it('refuses by the declared Content-Length alone, before reading the body', async () => {
    let pulled = false;
    const body = new ReadableStream(
      {
        pull(c) {
          pulled = true;
          c.enqueue(new Uint8Array(3));
          c.close();
        },
      },
      { highWaterMark: 0 },
    ); // pulled only when read
    const request = new Request('http://x/', {
      method: 'POST',
      body,
      duplex: 'half',
      headers: { 'content-length': '10' },
    } as RequestInit);
    await expect(readBody(request, 5)).rejects.toMatchObject({ problem: { kind: 'tooLarge', bytes: 10, maxBytes: 5 } });
    expect(pulled).toBe(false);
  });

  it('accepts a body of exactly maxBytes, streamed in several chunks', async () => {
    const stream = new ReadableStream(
      {
        start(c) {
          c.enqueue(new Uint8Array(4));
          c.enqueue(new Uint8Array(4));
          c.close();
        },
      },
      { highWaterMark: 0 },
    ); // pulled only when read
    const request = new Request('http://x/', { method: 'POST', body: stream, duplex: 'half' } as RequestInit);
    expect((await readBody(request, 8)).byteLength).toBe(8);
  });
});
