// Faults around storage: a page closed in the middle of an import, two tabs enrolling one personId at once, a
// database upgrade blocked by an old connection. (storage.spec.ts has the quota, bulk-enroll and migration cases.)
import type { Browser, BrowserContext, Page } from '@playwright/test';
import { ExportWriter } from '../src/collections/exportFormat';
import { test, expect, expectFaceError, openHarness, ORIGIN } from './localface';
import { checkConsistency, storeCounts } from './storeInspect';

test.describe.configure({ mode: 'serial' });

const PASSPHRASE = 'fault test passphrase';

async function clientPage(browser: Browser | BrowserContext, db: string, encrypted: boolean): Promise<Page> {
  const page = await browser.newPage();
  await openHarness(page);
  await page.evaluate(
    async ({ db, passphrase }) => {
      window.client = await window.LocalFace.createFaceClient({
        backend: 'wasm',
        databaseName: db,
        ...(passphrase ? { encryption: { passphrase } } : {}),
      });
    },
    { db, passphrase: encrypted ? PASSPHRASE : undefined },
  );
  return page;
}

/** The header of an (empty) export of this client: the model ids and dimensions a synthetic export must use. */
async function modelsOf(page: Page): Promise<{ models: string[]; dims: number[] }> {
  const header = await page.evaluate(async () => {
    await window.client.createCollection('probe-header');
    const bytes = new Uint8Array(await (await window.client.exportCollection('probe-header')).arrayBuffer());
    await window.client.deleteCollection('probe-header');
    const n = new DataView(bytes.buffer).getUint32(8, true);
    return new TextDecoder().decode(bytes.subarray(12, 12 + n));
  });
  return JSON.parse(header) as { models: string[]; dims: number[] };
}

/** A valid export of `persons` persons with one random unit template each (a write transaction of ~1 s). */
async function syntheticExport(models: string[], dims: number[], persons: number): Promise<Buffer> {
  const writer = await ExportWriter.create(models, dims);
  await writer.collection({
    name: 'imported',
    createdAt: 1,
    personCount: persons,
    faceCount: persons,
    includeImages: false,
  });
  let seed = 7;
  const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 2 - 1;
  for (let i = 0; i < persons; i++) {
    const vectors = dims.map((d) => {
      const v = Float32Array.from({ length: d }, random);
      const norm = Math.hypot(...v);
      return v.map((x) => x / norm);
    });
    await writer.person({
      personId: `p${i}`,
      personName: `Person ${i}`,
      metadata: { i },
      createdAt: 1,
      updatedAt: 1,
      faces: [{ faceId: `f${i}`, createTime: 1, vectors }],
    });
  }
  return Buffer.from(await (await writer.finish({ persons, faces: persons, images: 0 })).arrayBuffer());
}

for (const encrypted of [false, true]) {
  const mode = encrypted ? 'encrypted' : 'plain';

  test(`${mode}: a page closed in the middle of importCollection leaves the collection whole or absent, and usable`, async ({
    browser,
  }) => {
    test.setTimeout(300_000);
    const PERSONS = 6000;
    const setup = await clientPage(browser, `models-${Date.now()}`, false);
    const { models, dims } = await modelsOf(setup);
    await setup.evaluate(() => window.client.close());
    await setup.close();
    const file = await syntheticExport(models, dims, PERSONS);
    const db = `import-closed-${mode}-${Date.now()}`;
    const context = await browser.newContext();
    await context.route(`${ORIGIN}/synthetic-export.bin`, (route) =>
      route.fulfill({ body: file, contentType: 'application/octet-stream' }),
    );
    const page = await clientPage(context, db, encrypted);
    // Marks the moment the import's write transaction opens (white-box: a readwrite transaction over `faces`).
    await page.evaluate(async () => {
      const open = IDBDatabase.prototype.transaction;
      IDBDatabase.prototype.transaction = function (this: IDBDatabase, ...args: Parameters<typeof open>) {
        const tx = open.apply(this, args);
        if (args[1] === 'readwrite' && [args[0]].flat().includes('faces'))
          (window as unknown as { writing: number }).writing = performance.now();
        return tx;
      } as typeof open;
      await window.client.listCollections(); // opens the database (and an encrypted one's key check) now
      const blob = await (await fetch('/synthetic-export.bin')).blob();
      void window.client.importCollection(blob);
    });
    await page.waitForFunction(() => (window as unknown as { writing?: number }).writing !== undefined, null, {
      polling: 10,
      timeout: 120_000,
    });
    await page.close(); // the write transaction is in flight: the browser aborts it
    const after = await clientPage(context, db, encrypted);
    const state = await checkConsistency(after, db);
    expect(state.problems).toEqual([]);
    expect([0, PERSONS]).toContain(state.persons);
    test.info().annotations.push({ type: 'persons after the close', description: String(state.persons) });
    console.log(`[${mode}] persons after closing mid-import: ${state.persons}`);
    const result = await after.evaluate(async () => {
      const before = (await window.client.listCollections()).map((c) => [c.name, c.personCount]);
      if (before.length === 0)
        await window.client.importCollection(await (await fetch('/synthetic-export.bin')).blob());
      await window.client.enrollPerson({
        collectionName: 'imported',
        personId: 'colin',
        personName: 'Colin',
        face: await window.fixture('lfw/Colin_Powell_0001.jpg'),
      });
      const found = await window.client.searchFace({
        collectionName: 'imported',
        face: await window.fixture('lfw/Colin_Powell_0002.jpg'),
      });
      return {
        before,
        found: found.map((f) => f.personId),
        count: (await window.client.listPersons('imported')).total,
      };
    });
    expect(result.before.length === 0 || result.before[0]![1] === PERSONS).toBe(true);
    expect(result.found).toEqual(['colin']);
    expect(result.count).toBe(PERSONS + 1);
    expect((await checkConsistency(after, db)).problems).toEqual([]);
    await after.evaluate(() => window.client.close());
    await context.close();
  });

  test(`${mode}: two tabs enrolling the same personId at once: one wins, both see the same state`, async ({
    browser,
  }) => {
    const db = `same-id-${mode}-${Date.now()}`;
    const context = await browser.newContext();
    // Both tabs open (and, encrypted, set up the key of) the new database at the same time.
    const [a, b] = await Promise.all([clientPage(context, db, encrypted), clientPage(context, db, encrypted)]);
    await a.evaluate(() => window.client.createCollection('door'));
    const enroll = (p: Page, photo: string, name: string) =>
      p.evaluate(
        async ({ photo, name }) => {
          const face = await window.fixture(`lfw/${photo}.jpg`);
          return window.errorInfo(() =>
            window.client.enrollPerson({ collectionName: 'door', personId: 'x', personName: name, face }),
          );
        },
        { photo, name },
      );
    for (let round = 0; round < 3; round++) {
      const results = await Promise.all([
        enroll(a, 'Colin_Powell_0001', 'from A'),
        enroll(b, 'Serena_Williams_0001', 'from B'),
      ]);
      expect(results).toEqual([null, null]); // an upsert: both succeed, the later commit wins
      const view = (p: Page) =>
        p.evaluate(async () => {
          const person = await window.client.getPerson('door', 'x');
          const search = async (photo: string) =>
            (
              await window.client.searchFace({ collectionName: 'door', face: await window.fixture(`lfw/${photo}.jpg`) })
            ).map((r) => r.personId);
          return {
            name: person.personName,
            faces: person.faces.map((f) => f.faceId),
            colin: await search('Colin_Powell_0002'),
            serena: await search('Serena_Williams_0002'),
            total: (await window.client.listPersons('door')).total,
          };
        });
      const [seenA, seenB] = [await view(a), await view(b)];
      expect(seenA).toEqual(seenB);
      expect(seenA.total).toBe(1);
      expect(seenA.faces).toHaveLength(1);
      // The winner's face is the one found; the loser's was replaced.
      expect(seenA.name === 'from A' ? [seenA.colin, seenA.serena] : [seenA.serena, seenA.colin]).toEqual([['x'], []]);
      expect((await checkConsistency(a, db)).problems).toEqual([]);
    }
    await a.evaluate(() => window.client.close());
    await b.evaluate(() => window.client.close());
    await context.close();
  });
}

test('a database upgrade blocked by an old connection fails clearly after a wait, and works once it closes', async ({
  browser,
}) => {
  const db = `blocked-${Date.now()}`;
  const context = await browser.newContext();
  const old = await context.newPage();
  await openHarness(old);
  // An "old tab": the previous schema (version 3), held open with no versionchange handler, as old code would.
  await old.evaluate(async (db) => {
    const open = indexedDB.open(db, 3);
    open.onupgradeneeded = () => {
      const d = open.result;
      d.createObjectStore('collections', { keyPath: 'name' });
      d.createObjectStore('persons', { keyPath: ['collection', 'personId'] });
      d.createObjectStore('faces', { keyPath: ['collection', 'faceId'] }).createIndex('byPerson', [
        'collection',
        'personId',
      ]);
      d.createObjectStore('faceImages', { keyPath: ['collection', 'faceId'] });
      d.createObjectStore('searchBlocks', { keyPath: ['collection', 'blockId'] });
      d.createObjectStore('apiKeys', { keyPath: 'keyId' });
    };
    (window as unknown as { oldDb: IDBDatabase }).oldDb = await new Promise<IDBDatabase>((ok, ko) => {
      open.onsuccess = () => ok(open.result);
      open.onerror = () => ko(open.error);
    });
  }, db);
  const page = await clientPage(context, db, false);
  const blocked = await page.evaluate(() => window.errorInfo(() => window.client.listCollections()));
  const e = expectFaceError(blocked, 'ERR_INTERNAL', 500);
  expect(e.metadata).toMatchObject({ reason: 'upgrade-blocked' });
  expect(e.message).toContain('other tabs');
  // It failed after its wait (UPGRADE_BLOCKED_TIMEOUT_MS), not at once nor after several.
  expect(e.message).toContain('(waited 5 s)');
  // A retry while the old tab still holds on, and another tab's first call, fail the same way and do not hang: only
  // the first open that waits on the old tab is told it is blocked; later ones queue behind it.
  const other = await clientPage(context, db, false);
  const retries = await Promise.all(
    [page, other].map((p) => p.evaluate(() => window.errorInfo(() => window.client.listCollections()))),
  );
  for (const retry of retries) {
    const r = expectFaceError(retry, 'ERR_INTERNAL', 500);
    expect(r.metadata).toMatchObject({ reason: 'upgrade-blocked' });
    expect(r.message).toContain('(waited 5 s)');
  }
  await other.evaluate(() => window.client.close());
  // A wait that ends: the next attempt opens the database, waits on the old connection, and succeeds once it closes.
  await page.evaluate(() => {
    const w = window as unknown as { opens: number; attempt: Promise<string[]>; attemptSettled: boolean };
    w.opens = 0;
    const open = IDBFactory.prototype.open;
    IDBFactory.prototype.open = function (this: IDBFactory, ...args: Parameters<IDBFactory['open']>) {
      w.opens++;
      return open.apply(this, args);
    };
    w.attemptSettled = false;
    w.attempt = (async () => {
      const names = (await window.client.listCollections()).map((c) => c.name);
      await window.client.createCollection('after-upgrade');
      return names;
    })().finally(() => (w.attemptSettled = true));
  });
  await page.waitForFunction(() => (window as unknown as { opens: number }).opens > 0);
  // Its open has been asked for, and the old connection still holds the database at version 3: it is waiting.
  expect(await page.evaluate(() => (window as unknown as { attemptSettled: boolean }).attemptSettled)).toBe(false);
  expect(await old.evaluate(async (db) => (await indexedDB.databases()).find((d) => d.name === db)?.version, db)).toBe(
    3,
  );
  await old.evaluate(() => (window as unknown as { oldDb: IDBDatabase }).oldDb.close());
  // Succeeding at all proves it did not wait out the blocked-upgrade timeout (that fails with upgrade-blocked).
  const names = await page.evaluate(() => (window as unknown as { attempt: Promise<string[]> }).attempt);
  expect(names).toEqual([]);
  expect(await storeCounts(page, db)).toMatchObject({ collections: 1, meta: 0 });
  await page.evaluate(() => window.client.close());
  await context.close();
});

test('a browser failure in the middle of a call is an ERR_INTERNAL FaceError with its cause, and nothing is stored', async ({
  browser,
}) => {
  const page = await clientPage(browser, `unexpected-${Date.now()}`, false);
  try {
    const r = await page.evaluate(async () => {
      await window.client.createCollection('c');
      const face = await window.fixture('lfw/Colin_Powell_0001.jpg');
      // The JPEG encoder of the thumbnail fails as a browser out of memory would: a plain TypeError, not a FaceError.
      const encode = OffscreenCanvas.prototype.convertToBlob;
      OffscreenCanvas.prototype.convertToBlob = () => Promise.reject(new TypeError('simulated encoder failure'));
      let enroll: unknown;
      let isFaceError = false;
      try {
        await window.client.enrollPerson({
          collectionName: 'c',
          personId: 'colin',
          personName: 'Colin',
          face,
          faceStorageType: 'StoreThumbnails',
        });
      } catch (e) {
        isFaceError = e instanceof window.LocalFace.FaceError;
        enroll = await window.errorInfo(() => Promise.reject(e));
      } finally {
        OffscreenCanvas.prototype.convertToBlob = encode;
      }
      const stored = (await window.client.listPersons('c')).total;
      const after = await window.client
        .enrollPerson({
          collectionName: 'c',
          personId: 'colin',
          personName: 'Colin',
          face,
          faceStorageType: 'StoreThumbnails',
        })
        .then((p) => p.faceBase64.length > 0);
      return { enroll, isFaceError, stored, after };
    });
    const e = expectFaceError(r.enroll as never, 'ERR_INTERNAL', 500);
    expect(e.message).toContain('simulated encoder failure');
    expect(r.isFaceError).toBe(true);
    expect(r.stored).toBe(0);
    expect(r.after).toBe(true);
  } finally {
    await page.close();
  }
});

test('a database written by a newer LocalFace is refused with a reason an app can read, and left as it was', async ({
  browser,
}) => {
  const db = `newer-${Date.now()}`;
  const page = await browser.newPage();
  await openHarness(page);
  const r = await page.evaluate(async (db) => {
    // What a later LocalFace would leave: a schema version above this one's, with a store this one does not know.
    const open = indexedDB.open(db, 99);
    open.onupgradeneeded = () => open.result.createObjectStore('fromTheFuture').put('kept', 'k');
    const before: IDBDatabase = await new Promise((ok) => (open.onsuccess = () => ok(open.result)));
    before.close();
    const client = await window.LocalFace.createFaceClient({ backend: 'wasm', databaseName: db });
    const listed = await window.errorInfo(() => client.listCollections());
    const created = await window.errorInfo(() => client.createCollection('staff'));
    await client.close();
    const reopen = indexedDB.open(db);
    const after: IDBDatabase = await new Promise((ok) => (reopen.onsuccess = () => ok(reopen.result)));
    const state = {
      version: after.version,
      stores: [...after.objectStoreNames],
      value: await new Promise((ok) => {
        const get = after.transaction('fromTheFuture').objectStore('fromTheFuture').get('k');
        get.onsuccess = () => ok(get.result);
      }),
    };
    after.close();
    indexedDB.deleteDatabase(db);
    return { listed, created, state };
  }, db);
  for (const e of [r.listed, r.created]) {
    const info = expectFaceError(e, 'ERR_INTERNAL', 500);
    expect(info.metadata).toMatchObject({ databaseName: db, reason: 'newer-version' });
    expect(info.message).toContain('newer version of LocalFace');
  }
  expect(r.state).toEqual({ version: 99, stores: ['fromTheFuture'], value: 'kept' });
  await page.close();
});
