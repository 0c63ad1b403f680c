// createRestHandler in Chromium with the real client, models and IndexedDB: every example of the five seeds
// (e2e/rest/conformance.ts), keys never stored in clear, revoked and wrong keys refused in each dialect's own
// words, and a key limited to one collection kept out of the others.
import { test, expect, type Page } from '@playwright/test';
import { openHarness } from './localface';
import { CASES, COLLECTION, type Auth, type RestCase } from './rest/conformance';

interface Keys {
  key: { key: string; keyId: string };
  /** Made when first used: its collection (Staff) must exist, and the conformance table creates it. */
  staffOnly?: { key: string; keyId: string };
  oneEnroll: { key: string; keyId: string };
}

interface Answer {
  status: number;
  contentType: string | null;
  text: string;
}

declare global {
  interface Window {
    restHandler: (request: Request) => Promise<Response>;
    restCall(c: {
      method: string;
      path: string;
      headers: Record<string, string>;
      json?: unknown;
      raw?: string;
      multipart?: Record<string, string>;
    }): Promise<Answer>;
  }
}

let page: Page;
let keys: Keys;
const database = `rest-${Date.now()}`;

test.describe.configure({ mode: 'serial' });

test.beforeAll(async ({ browser }) => {
  test.setTimeout(240_000);
  page = await browser.newPage();
  await openHarness(page);
  keys = await page.evaluate(async (db) => {
    window.client = await window.LocalFace.createFaceClient({ backend: 'wasm', databaseName: db });
    window.restHandler = window.LocalFace.createRestHandler({ client: window.client, basePath: '/api/' });
    const toBase64 = (bytes: Uint8Array) => {
      let s = '';
      for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
      return btoa(s);
    };
    const fill = async (value: unknown): Promise<unknown> => {
      if (typeof value === 'string' && value.startsWith('$b64:')) return toBase64(await window.fixture(value.slice(5)));
      if (value === '$huge') return 'A'.repeat(Math.ceil((5.5 * 1024 * 1024 * 4) / 3 / 4) * 4);
      if (value === '$huger') return 'A'.repeat(Math.ceil((7 * 1024 * 1024 * 4) / 3 / 4) * 4);
      if (Array.isArray(value)) return Promise.all(value.map(fill));
      if (value && typeof value === 'object')
        return Object.fromEntries(await Promise.all(Object.entries(value).map(async ([k, v]) => [k, await fill(v)])));
      return value;
    };
    window.restCall = async ({ method, path, headers, json, raw, multipart }) => {
      let body: BodyInit | undefined;
      const h = new Headers(headers);
      if (multipart) {
        const form = new FormData();
        for (const [k, v] of Object.entries(multipart)) {
          if (v.startsWith('$file:'))
            form.append(
              k,
              new Blob([(await window.fixture(v.slice(6))) as Uint8Array<ArrayBuffer>], { type: 'image/jpeg' }),
              v.split('/').pop(),
            );
          // what a form's file input sends when no file was chosen
          else if (v === '$nofile') form.append(k, new Blob([], { type: 'application/octet-stream' }), '');
          else form.append(k, (await fill(v)) as string);
        }
        body = form;
      } else if (raw !== undefined) {
        body = raw;
        h.set('content-type', 'application/json');
      } else if (json !== undefined) {
        body = JSON.stringify(await fill(json));
        h.set('content-type', 'application/json');
      }
      const response = await window.restHandler(
        new Request(new URL(`/api/${path}`, location.href), { method, headers: h, body }),
      );
      return {
        status: response.status,
        contentType: response.headers.get('content-type'),
        text: await response.text(),
      };
    };
    return {
      key: await window.client.apiKeys.create({ name: 'conformance' }),
      oneEnroll: await window.client.apiKeys.create({ name: 'one enroll a day', limits: { enrollsPerDay: 1 } }),
    };
  }, database);
});

test.afterAll(async () => {
  await page.evaluate(async (db) => {
    await window.client.close();
    await new Promise((done) => {
      const r = indexedDB.deleteDatabase(db);
      r.onsuccess = r.onerror = r.onblocked = done;
    });
  }, database);
  await page.close();
});

/** The headers a seed's client sends for `auth`. */
function authHeaders(seed: RestCase['seed'], auth: Auth): Record<string, string> {
  if (auth === 'none') return {};
  const k =
    auth === 'wrong'
      ? { key: `${keys.key.key.slice(0, -4)}AAAA`, keyId: keys.key.keyId }
      : keys[auth === 'staffOnly' ? 'staffOnly' : auth === 'oneEnroll' ? 'oneEnroll' : 'key']!;
  return seed === '004' ? { 'X-DF-API-ID': k.keyId, 'X-DF-API-SECRET': k.key } : { 'x-api-key': k.key };
}

async function call(
  c: Pick<RestCase, 'seed' | 'method' | 'path' | 'json' | 'raw' | 'multipart'> & { auth?: Auth },
): Promise<Answer & { body: unknown }> {
  if (c.auth === 'staffOnly')
    keys.staffOnly ??= await page.evaluate(() =>
      window.client.apiKeys.create({ name: 'staff only', collections: ['Staff'] }),
    );
  const answer = await page.evaluate((args) => window.restCall(args), {
    method: c.method,
    path: c.path,
    headers: authHeaders(c.seed, c.auth ?? 'key'),
    json: c.json,
    raw: c.raw,
    multipart: c.multipart,
  });
  return { ...answer, body: answer.text === '' ? null : JSON.parse(answer.text) };
}

for (const c of CASES) {
  test(`seed ${c.seed}: ${c.name}`, async () => {
    test.setTimeout(60_000);
    const r = await call(c);
    expect(r.status, r.text.slice(0, 500)).toBe(c.status);
    if (r.body !== null) expect(r.contentType).toBe('application/json');
    if (c.exactBody !== undefined) expect(r.body).toEqual(c.exactBody);
    if (c.body === null) expect(r.text).toBe('');
    else if (c.body !== undefined) expect(r.body).toMatchObject(c.body as Record<string, unknown>);
  });
}

test('001 similarity is a percentage, over the threshold, of the same person', async () => {
  await call({
    seed: '001',
    method: 'POST',
    path: 'users/colin-001',
    json: { face: '$b64:lfw/Colin_Powell_0001.jpg' },
  });
  const r = await call({
    seed: '001',
    method: 'POST',
    path: 'users/search',
    json: { face: '$b64:lfw/Colin_Powell_0003.jpg', threshold: 70 },
  });
  expect(r.status).toBe(200);
  const [match] = (r.body as { matches: { userId: string; similarity: number }[] }).matches;
  expect(match!.userId).toBe('colin-001');
  expect(match!.similarity).toBeGreaterThanOrEqual(70);
  expect(match!.similarity).toBeLessThanOrEqual(100);
  // The same search through the JS client gives the same score, in [0, 1].
  const [direct] = await page.evaluate(async () =>
    window.client.searchFace({
      collectionName: 'default',
      face: await window.fixture('lfw/Colin_Powell_0003.jpg'),
      minSimilarityScore: 0.7,
    }),
  );
  expect(match!.similarity).toBeCloseTo(direct!.similarityScore * 100, 3);
});

test("001 searches the user's face: a bystander's face in the photo does not answer for the user", async () => {
  expect(
    (
      await call({
        seed: '001',
        method: 'POST',
        path: 'users/geoff-bystander',
        json: { face: '$b64:lfw/Geoff_Hoon_0002.jpg' },
      })
    ).status,
  ).toBe(200);
  // Tony_Blair_0001 shows Tony Blair, with Geoff Hoon's face at its left edge: the JS search, which searches each
  // face, finds Geoff in it.
  const eachFace = await page.evaluate(async () =>
    window.client.searchFace({
      collectionName: 'default',
      face: await window.fixture('lfw/Tony_Blair_0001.jpg'),
      maxResults: 10,
    }),
  );
  expect(eachFace.map((r) => r.personId)).toContain('geoff-bystander');
  const r = await call({
    seed: '001',
    method: 'POST',
    path: 'users/search',
    json: { face: '$b64:lfw/Tony_Blair_0001.jpg' },
  });
  // Whether another user matches is not the point: a 200 with its matches, or the seed's 404 for none; never an error.
  expect([200, 404]).toContain(r.status);
  if (r.status === 404)
    expect(r.body).toEqual({
      status: 404,
      title: 'Not Found',
      detail: 'Server cannot find the requested resource.',
      type: 'https://developer.mozilla.org/en-US/docs/Web/HTTP/Status/404',
    });
  const matched = r.status === 200 ? (r.body as { matches: { userId: string }[] }).matches.map((m) => m.userId) : [];
  expect(matched).not.toContain('geoff-bystander');
  expect((await call({ seed: '001', method: 'DELETE', path: 'users/geoff-bystander' })).status).toBe(200);
});

test('requests sent at once: three photos of a new person_id make one person with three faces; of two enrolls of one new userId, one is refused', async () => {
  test.setTimeout(120_000);
  const faceSet = 'AtOnce';
  await page.evaluate(async (name) => window.client.createCollection(name), faceSet);
  const photos = ['Colin_Powell_0001', 'Colin_Powell_0002', 'Colin_Powell_0003'];
  const added = await Promise.all(
    photos.map((photo) =>
      call({
        seed: '004',
        method: 'POST',
        path: 'faceset/v2/add_face',
        json: { name: faceSet, image_base64: `$b64:lfw/${photo}.jpg`, person_id: 9090 },
      }),
    ),
  );
  expect(added.map((r) => r.status)).toEqual([200, 200, 200]);
  const faceIds = added.map((r) => (r.body as { result: { face_id: number } }).result.face_id);
  expect(new Set(faceIds).size).toBe(3);
  const person = await page.evaluate(
    async (collectionName) => window.client.getPerson({ collectionName, personId: '9090' }),
    faceSet,
  );
  expect(person.faceCount).toBe(3);

  const enrolls = await Promise.all(
    ['Geoff_Hoon_0001', 'Geoff_Hoon_0002'].map((photo) =>
      call({ seed: '001', method: 'POST', path: 'users/same-new-id', json: { face: `$b64:lfw/${photo}.jpg` } }),
    ),
  );
  expect(enrolls.map((r) => r.status).sort()).toEqual([200, 400]);
  expect(enrolls.find((r) => r.status === 400)!.text).toContain('already exists');
});

test('a person written through two dialects at once keeps what each wrote: 000 sets the name, 004 adds a face, 002 replaces the photo only', async () => {
  test.setTimeout(120_000);
  await page.evaluate(async () => window.client.createCollection('Race').catch(() => undefined));
  // 004's "new person_id creates the person" and 000's upsert race on the same new id: whichever writes first, the
  // name and metadata 000 set stay (004 appends to an existing person; 000 replaces what 004 created).
  for (const personId of ['4242', '4343']) {
    const [added, put] = await Promise.all([
      call({
        seed: '004',
        method: 'POST',
        path: 'faceset/v2/add_face',
        json: { name: 'Race', image_base64: '$b64:lfw/Colin_Powell_0001.jpg', person_id: Number(personId) },
      }),
      call({
        seed: '000',
        method: 'PUT',
        path: 'person',
        json: {
          collection_name: 'Race',
          person_id: personId,
          person_name: 'Alice',
          face_base_64: '$b64:lfw/Colin_Powell_0002.jpg',
          metadata: { badge: 7 },
        },
      }),
    ]);
    expect([added.status, put.status]).toEqual([200, 200]);
    const person = await page.evaluate(
      async (id) => window.client.getPerson({ collectionName: 'Race', personId: id }),
      personId,
    );
    expect([person.personName, person.metadata]).toEqual(['Alice', { badge: 7 }]);
    expect([1, 2]).toContain(person.faceCount);
  }

  // 002 on an existing subject replaces the photo and keeps the name and metadata set through 000.
  await page.evaluate(async () => window.client.createCollection('default').catch(() => undefined));
  const put = await call({
    seed: '000',
    method: 'PUT',
    path: 'person',
    json: {
      collection_name: 'default',
      person_id: 'subject-kept',
      person_name: 'Ada',
      face_base_64: '$b64:lfw/Colin_Powell_0001.jpg',
      metadata: { badge: 8 },
    },
  });
  expect(put.status).toBe(200);
  const before = await page.evaluate(async () =>
    window.client.getPerson({ collectionName: 'default', personId: 'subject-kept' }),
  );
  const enrolled = await call({
    seed: '002',
    method: 'POST',
    path: 'enroll-face',
    json: { image: '$b64:lfw/Colin_Powell_0003.jpg', subject_id: 'subject-kept' },
  });
  expect(enrolled.status, enrolled.text).toBe(200);
  const after = await page.evaluate(async () =>
    window.client.getPerson({ collectionName: 'default', personId: 'subject-kept' }),
  );
  expect([after.personName, after.metadata, after.faceCount]).toEqual(['Ada', { badge: 8 }, 1]);
  expect(after.faces[0]!.faceId).not.toBe(before.faces[0]!.faceId);
});

test('a key revoked during a PUT persons enrolls no one after the revoke; a malformed 002 image costs no enroll', async () => {
  test.setTimeout(120_000);
  const k = await page.evaluate(async () => {
    await window.client.createCollection('Revoked').catch(() => undefined);
    return window.client.apiKeys.create({ name: 'revoked mid-request' });
  });
  const ids = ['r1', 'r2', 'r3', 'r4', 'r5'];
  const bulk = page.evaluate(
    async ([key, personIds]) =>
      window.restCall({
        method: 'PUT',
        path: 'persons',
        headers: { 'x-api-key': key },
        json: personIds.map((id) => ({
          collection_name: 'Revoked',
          person_id: id,
          person_name: id,
          face_base_64: '$b64:lfw/Colin_Powell_0001.jpg',
        })),
      }),
    [k.key, ids] as const,
  );
  // Revoked as soon as the first person is stored; how many were stored once the revoke was written.
  const storedAtRevoke = await page.evaluate(async (keyId) => {
    for (const deadline = Date.now() + 60_000; ;) {
      const { total } = await window.client.listPersons({ collectionName: 'Revoked' });
      if (total > 0) break;
      if (Date.now() > deadline) throw new Error('the bulk enroll stored no one within 60 s');
      await new Promise((r) => setTimeout(r, 20));
    }
    await window.client.apiKeys.revoke(keyId);
    return (await window.client.listPersons({ collectionName: 'Revoked' })).total;
  }, k.keyId);
  const answer = await bulk;
  expect(answer.status).toBe(200);
  const results = JSON.parse(answer.text) as { person_id: string; error?: { code: string } }[];
  const refused = results.filter((r) => r.error);
  // The person being enrolled when the revoke landed may complete; the rest are refused, in order.
  expect(ids.length - refused.length).toBeLessThanOrEqual(storedAtRevoke + 1);
  expect(refused.length).toBeGreaterThan(0);
  expect(refused.every((r) => r.error!.code === 'ERR_API_KEY_NOT_VALID')).toBe(true);
  expect(results.slice(results.length - refused.length).every((r) => r.error)).toBe(true);
  const stored = await page.evaluate(async () =>
    (await window.client.listPersons({ collectionName: 'Revoked' })).persons.map((p) => p.personId).sort(),
  );
  expect(stored).toEqual(results.filter((r) => !r.error).map((r) => r.person_id));

  const oneEnroll = await page.evaluate(async () =>
    window.client.apiKeys.create({ name: 'one enroll', limits: { enrollsPerDay: 1 } }),
  );
  const headers = { 'x-api-key': oneEnroll.key };
  const malformed = await page.evaluate(
    async (h) =>
      window.restCall({ method: 'POST', path: 'enroll-face', headers: h, json: { image: 12345, subject_id: 'm' } }),
    headers,
  );
  expect([malformed.status, JSON.parse(malformed.text).error_code]).toEqual([400, 'INVALID_PAYLOAD_IMAGE_MISSING']);
  const valid = await page.evaluate(
    async (h) =>
      window.restCall({
        method: 'POST',
        path: 'enroll-face',
        headers: h,
        json: { image: '$b64:lfw/Colin_Powell_0001.jpg', subject_id: 'm' },
      }),
    headers,
  );
  expect(valid.status, valid.text).toBe(200);
  await page.evaluate(async (keyId) => window.client.apiKeys.revoke(keyId), oneEnroll.keyId);
});

test("004 takes the seed's own 64-bit person_id (435451889459444247) and answers it digit for digit", async () => {
  const faceSet = 'BigIds';
  await page.evaluate(async (name) => window.client.createCollection(name), faceSet);
  const r = await call({
    seed: '004',
    method: 'POST',
    path: 'faceset/v2/add_face',
    multipart: { name: faceSet, file: '$file:lfw/Tony_Blair_0001.jpg', person_id: '435451889459444247' },
  });
  expect(r.status, r.text).toBe(200);
  // As text: JSON.parse would round the number to 435451889459444200.
  expect(r.text).toContain('"person_id":435451889459444247,');
  const person = await page.evaluate(
    async (collectionName) => window.client.getPerson({ collectionName, personId: '435451889459444247' }),
    faceSet,
  );
  expect(person.faceCount).toBe(1);
  // The same id as a JSON number, as the seed's example writes it (JSON.parse alone would round its last digits).
  const rawBody = await page.evaluate(async (name) => {
    const bytes = (await window.fixture('lfw/Tony_Blair_0002.jpg')) as Uint8Array;
    let binary = '';
    for (const b of bytes) binary += String.fromCharCode(b);
    return `{"name":${JSON.stringify(name)},"image_base64":"${btoa(binary)}","person_id":435451889459444299}`;
  }, faceSet);
  const asNumber = await call({ seed: '004', method: 'POST', path: 'faceset/v2/add_face', raw: rawBody });
  expect(asNumber.status, asNumber.text).toBe(200);
  expect(asNumber.text).toContain('"person_id":435451889459444299,');
  const tooLarge = await call({
    seed: '004',
    method: 'POST',
    path: 'faceset/v2/add_face',
    multipart: { name: faceSet, file: '$file:lfw/Tony_Blair_0001.jpg', person_id: '9223372036854775808' },
  });
  expect([tooLarge.status, (tooLarge.body as { status: string }).status]).toEqual([400, 'INVALID_ARGUMENT']);
});

test('a compressed body is refused in every dialect with the sentence that says to send it uncompressed', async () => {
  const answers = await page.evaluate(async (apiKey) => {
    const paths = ['collection', 'users/search', 'enroll-face', 'face-search', 'faceset/v2/add_face'];
    return Promise.all(
      paths.map(async (path) => {
        const response = await window.restHandler(
          new Request(new URL(`/api/${path}`, location.href), {
            method: 'POST',
            headers: {
              'content-type': 'application/json',
              'content-encoding': 'gzip',
              'x-api-key': apiKey.key,
              'X-DF-API-ID': apiKey.keyId,
              'X-DF-API-SECRET': apiKey.key,
            },
            body: '{}',
          }),
        );
        // 002 keeps its fixed message and gives the sentence in its detail header.
        return {
          path,
          status: response.status,
          said: `${await response.text()} ${response.headers.get('x-localface-detail') ?? ''}`,
        };
      }),
    );
  }, keys.key);
  for (const answer of answers) {
    expect(answer.status, answer.path).toBe(400);
    expect(answer.said, answer.path).toMatch(
      /[Rr]equest bodies with Content-Encoding gzip are not accepted: send the body uncompressed\./,
    );
  }
});

test('004 says what is wrong with an image in words for an HTTP client; booleans are read as form libraries write them', async () => {
  // A 1×1 WebP, and a string that is not base64.
  await ensureColinInMyCollection();
  const webp = 'UklGRiQAAABXRUJQVlA4IBgAAAAwAQCdASoBAAEAAQAcJaQAA3AA/v3AgAA=';
  const reasons: string[] = [];
  for (const image of [webp, '====']) {
    const r = await call({
      seed: '004',
      method: 'POST',
      path: 'faceset/v2/add_face',
      json: { name: COLLECTION, image_base64: image },
    });
    expect(r.status).toBe(400);
    reasons.push((r.body as { reason: string }).reason);
  }
  expect(reasons).toEqual([
    'invalid image: the image is a WebP file; only JPEG and PNG bytes are accepted.',
    'invalid image: the image string is not valid base64 (plain or a data: URL).',
  ]);
  // Python's requests sends True as "True": read as true (so this asks for a check it turns off), "1" and "0" too.
  for (const [flags, code] of [
    [{ validate_attribute: 'True', is_attribute: 'False' }, 'INVALID_PAYLOAD_ATTRIBUTE_VALIDATION_DEPENDENCY'],
    [{ validate_quality: '1', is_quality: '0' }, 'INVALID_PAYLOAD_QUALITY_VALIDATION_DEPENDENCY'],
    [{ is_attribute: 'maybe' }, 'INVALID_PAYLOAD'],
  ] as const) {
    const r = await call({
      seed: '002',
      method: 'POST',
      path: 'enroll-face',
      multipart: { image: '$b64:checks/lfw-plain.jpg', subject_id: 'flags', ...flags },
    });
    expect([r.status, (r.body as { error_code: string }).error_code], JSON.stringify(flags)).toEqual([400, code]);
  }
});

/** Run alone (-g), a test has no MyCollection with Colin in it: the conformance table makes them. */
async function ensureColinInMyCollection(): Promise<void> {
  await page.evaluate(async () => {
    await window.client.createCollection('MyCollection').catch(() => undefined);
    if (!(await window.client.listPersons('MyCollection', { limit: 1000 })).persons.some((p) => p.personId === 'colin'))
      await window.client.enrollPerson({
        collectionName: 'MyCollection',
        personId: 'colin',
        personName: 'Colin',
        face: await window.fixture('lfw/Colin_Powell_0001.jpg'),
      });
  });
}

test('no API key secret is stored in clear: every record of every store is scanned', async () => {
  // Run alone (-g), the conformance table has not made the staff-only key: make it, with Staff, and delete Staff,
  // as the table does, so that the key goes with it.
  if (!keys.staffOnly)
    keys.staffOnly = await page.evaluate(async () => {
      await window.client.createCollection('Staff');
      const k = await window.client.apiKeys.create({ name: 'staff only', collections: ['Staff'] });
      await window.client.deleteCollection('Staff');
      return k;
    });
  await ensureColinInMyCollection();
  const secrets = [keys.key.key, keys.staffOnly.key, keys.oneEnroll.key];
  const found = await page.evaluate(
    async ([db, all]) => {
      const open = indexedDB.open(db);
      const d: IDBDatabase = await new Promise((ok, ko) => {
        open.onsuccess = () => ok(open.result);
        open.onerror = () => ko(open.error);
      });
      const stores = Array.from(d.objectStoreNames);
      const tx = d.transaction(stores);
      const records = await Promise.all(
        stores.map(
          (s) =>
            new Promise<unknown[]>((ok) => {
              const r = tx.objectStore(s).getAll();
              r.onsuccess = () => ok(r.result);
            }),
        ),
      );
      d.close();
      // Every string and every byte sequence (typed arrays, Blobs) of every record, as text.
      const texts: string[] = [];
      const walk = async (v: unknown): Promise<void> => {
        if (typeof v === 'string') texts.push(v);
        else if (v instanceof Blob) texts.push(new TextDecoder('latin1').decode(await v.arrayBuffer()));
        else if (v instanceof ArrayBuffer) texts.push(new TextDecoder('latin1').decode(v));
        else if (ArrayBuffer.isView(v))
          texts.push(new TextDecoder('latin1').decode(new Uint8Array(v.buffer, v.byteOffset, v.byteLength)));
        else if (v && typeof v === 'object') for (const x of Object.values(v)) await walk(x);
      };
      for (const list of records) for (const r of list) await walk(r);
      const haystack = texts.join('\n');
      const keyRecords = records[stores.indexOf('apiKeys')]!.length;
      // The random part of each secret (after lf_<keyId>_), and the whole secret.
      return {
        stores,
        keyRecords,
        hits: all.flatMap((s) => [s, s.slice(20)].filter((needle) => haystack.includes(needle))),
        scanned: haystack.length,
        // proof that the walk reached the keys' records and the persons' and faces' records
        sawKeyName: haystack.includes('one enroll a day'),
        sawPerson: haystack.includes('colin'),
      };
    },
    [database, secrets] as const,
  );
  expect(found.stores).toContain('apiKeys');
  // The staff-only key went with the Staff collection, which the conformance table deletes at its end.
  expect(found.keyRecords).toBe(2);
  expect(found.scanned).toBeGreaterThan(2_000);
  expect([found.sawKeyName, found.sawPerson]).toEqual([true, true]);
  expect(found.hits).toEqual([]);
  // list() never shows a secret either.
  const listed = await page.evaluate(() => window.client.apiKeys.list());
  expect(JSON.stringify(listed)).not.toContain(keys.key.key.slice(20));
  expect(listed.map((k) => k.name)).toEqual(['conformance', 'one enroll a day']);
});

test('a revoked key is refused with each dialect\'s own "not valid" error', async () => {
  const revoked = await page.evaluate(async () => {
    const k = await window.client.apiKeys.create({ name: 'to revoke' });
    await window.client.apiKeys.revoke(k.keyId);
    return k;
  });
  const headers = { 'x-api-key': revoked.key };
  const answers = await page.evaluate(
    async ([h, k]) =>
      Promise.all([
        window.restCall({ method: 'GET', path: 'collections', headers: h }),
        window.restCall({
          method: 'POST',
          path: 'face-search',
          headers: h,
          json: { collection_name: 'MyCollection', face_base_64: 'AAAA' },
        }),
        window.restCall({ method: 'POST', path: 'users/search', headers: h, json: { face: 'AAAA' } }),
        window.restCall({ method: 'POST', path: 'enroll-face', headers: h, json: { image: 'AAAA' } }),
        window.restCall({
          method: 'POST',
          path: 'faceset/v2/add_face',
          headers: { 'X-DF-API-ID': k.keyId, 'X-DF-API-SECRET': k.key },
          json: { name: 'MyCollection' },
        }),
      ]),
    [headers, revoked] as const,
  );
  const parsed = answers.map((a) => [a.status, JSON.parse(a.text)]);
  expect(parsed[0]).toEqual([403, { code: 'ERR_API_KEY_NOT_VALID', message: 'The API key is not valid.' }]);
  expect(parsed[1]).toEqual([403, { code: 'ERR_API_KEY_NOT_VALID', message: 'The API key is not valid.' }]);
  expect(parsed[2]).toEqual([
    403,
    expect.objectContaining({ status: 403, title: 'Forbidden', errors: ['the provided API key is not valid'] }),
  ]);
  expect(parsed[3]).toEqual([403, { error_code: 'API_KEY_NOT_VALID', message: 'invalid api key' }]);
  expect(parsed[4]).toEqual([401, expect.objectContaining({ status: 'UNAUTHORIZED', reason: 'access is denied' })]);
});

test('a key limited to one collection cannot reach another, in any dialect', async () => {
  // Staff again, and a key for it: the conformance table deleted Staff, and its key with it.
  keys.staffOnly = await page.evaluate(async () => {
    await window.client.createCollection('Staff').catch(() => undefined);
    return window.client.apiKeys.create({ name: 'staff only', collections: ['Staff'] });
  });
  await page.evaluate(async () => {
    await window.client.enrollPerson({
      collectionName: 'Staff',
      personId: 'tony',
      personName: 'Tony',
      face: await window.fixture('lfw/Tony_Blair_0001.jpg'),
    });
  });
  const myCollection = () =>
    page.evaluate(async () => {
      const { persons } = await window.client.listPersons('MyCollection', { limit: 1000 });
      return Promise.all(persons.map((p) => window.client.getPerson('MyCollection', p.personId)));
    });
  await ensureColinInMyCollection();
  const before = await myCollection();
  // Its own collection works.
  let r = await call({
    seed: '003',
    method: 'POST',
    path: 'face-search',
    auth: 'staffOnly',
    json: { collection_name: 'Staff', face_base_64: '$b64:lfw/Tony_Blair_0002.jpg' },
  });
  expect(r.status).toBe(200);
  expect(r.body).toMatchObject([{ person_id: 'tony' }]);
  // MyCollection exists and has Colin, but this key gets "not found", exactly as for a missing collection.
  r = await call({
    seed: '003',
    method: 'POST',
    path: 'face-search',
    auth: 'staffOnly',
    json: { collection_name: 'MyCollection', face_base_64: '$b64:lfw/Colin_Powell_0003.jpg' },
  });
  expect([r.status, r.body]).toEqual([
    404,
    { code: 'ERR_NOT_FOUND', message: 'The requested entity could not be found.' },
  ]);
  r = await call({
    seed: '003',
    method: 'POST',
    path: 'multi-face-search',
    auth: 'staffOnly',
    json: { collection_name: 'MyCollection', multi_face_img_base_64: '$b64:lfw/Colin_Powell_0003.jpg' },
  });
  expect(r.status).toBe(404);
  r = await call({
    seed: '000',
    method: 'PUT',
    path: 'person',
    auth: 'staffOnly',
    json: {
      person_id: 'intruder',
      person_name: 'I',
      collection_name: 'MyCollection',
      face_base_64: '$b64:lfw/Jennifer_Aniston_0001.jpg',
    },
  });
  expect([r.status, (r.body as { code: string }).code]).toEqual([404, 'ERR_NOT_FOUND']);
  r = await call({ seed: '000', method: 'DELETE', path: 'collection/MyCollection', auth: 'staffOnly' });
  expect(r.status).toBe(404);
  r = await call({ seed: '000', method: 'GET', path: 'collections', auth: 'staffOnly' });
  expect((r.body as { collection_name: string }[]).map((c) => c.collection_name)).toEqual(['Staff']);
  // 001 and 002 use the key's first collection: its users are Staff's persons, never MyCollection's.
  r = await call({
    seed: '001',
    method: 'POST',
    path: 'users/search',
    auth: 'staffOnly',
    json: { face: '$b64:lfw/Colin_Powell_0003.jpg' },
  });
  expect(r.status).toBe(404);
  r = await call({
    seed: '001',
    method: 'POST',
    path: 'users/search',
    auth: 'staffOnly',
    json: { face: '$b64:lfw/Colin_Powell_0003.jpg', threshold: 0 },
  });
  expect((r.body as { matches: { userId: string }[] }).matches.map((m) => m.userId)).toEqual(['tony']);
  r = await call({
    seed: '001',
    method: 'POST',
    path: 'users/search',
    auth: 'staffOnly',
    json: { face: '$b64:lfw/Tony_Blair_0002.jpg' },
  });
  expect(r.body).toMatchObject({ matches: [{ userId: 'tony' }] });
  r = await call({
    seed: '004',
    method: 'POST',
    path: 'faceset/v2/add_face',
    auth: 'staffOnly',
    json: { name: 'MyCollection', image_base64: '$b64:lfw/Jennifer_Aniston_0001.jpg' },
  });
  expect([r.status, (r.body as { status: string }).status]).toEqual([403, 'NO_PERMISSION']);
  // Nothing reached MyCollection: the same persons, names, metadata and faces as before the first refused call.
  const after = await myCollection();
  expect(after).toEqual(before);
  expect(after.map((p) => p.personId)).toContain('colin');
});

test('deleting a collection revokes the keys limited to it alone and takes it from the others: a collection made again under its name is not theirs', async () => {
  const r = await page.evaluate(async () => {
    const c = window.client;
    await c.createCollection('Erased');
    await c.createCollection('Kept');
    const only = await c.apiKeys.create({ name: 'erased only', collections: ['Erased'] });
    const both = await c.apiKeys.create({ name: 'erased and kept', collections: ['Erased', 'Kept'] });
    await c.deleteCollection('Erased');
    const listed = (await c.apiKeys.list()).filter((k) => k.keyId === only.keyId || k.keyId === both.keyId);
    // The key limited to the erased collection alone would have re-created it (000 POST collection) and filled it.
    const create = await window.restHandler(
      new Request(new URL('/api/collection', location.href), {
        method: 'POST',
        headers: { 'x-api-key': only.key, 'content-type': 'application/json' },
        body: JSON.stringify({ collection_name: 'Erased' }),
      }),
    );
    await c.createCollection('Erased');
    const search = await window.restHandler(
      new Request(new URL('/api/face-search', location.href), {
        method: 'POST',
        headers: { 'x-api-key': both.key, 'content-type': 'application/json' },
        body: JSON.stringify({ collection_name: 'Erased', face_base_64: 'AAAA' }),
      }),
    );
    await c.deleteCollection('Erased');
    await c.deleteCollection('Kept');
    // Nor is a key made for a name no collection has yet (a misspelt one): the collection must exist.
    const keysBefore = (await c.apiKeys.list()).length;
    const forMissing = await c.apiKeys.create({ name: 'too early', collections: ['Erased'] }).then(
      () => 'created',
      (e: { code?: string; message?: string }) => `${e.code}: ${e.message}`,
    );
    return {
      forMissing,
      keysAfterMissing: (await c.apiKeys.list()).length - keysBefore,
      listed: listed.map((k) => [k.name, k.collections]),
      onlyVerifies: (await c.apiKeys.verify(only.key)) !== null,
      create: create.status,
      search: search.status,
    };
  });
  expect(r.listed).toEqual([['erased and kept', ['Kept']]]);
  expect(r.forMissing).toBe(
    'ERR_NOT_FOUND: No collection named "Erased". Create it first with createCollection("Erased"), or check listCollections().',
  );
  expect(r.keysAfterMissing).toBe(0);
  expect(r.onlyVerifies).toBe(false);
  expect(r.create).toBe(403);
  expect(r.search).toBe(404);
});
