// Encryption at rest (createFaceClient({ encryption })) and deletion, checked by scanning the raw IndexedDB records.
import type { Page } from '@playwright/test';
import { test, expect, expectFaceError, openHarness } from './localface';
import { checkConsistency, faceNeedles, findNeedles, scanRecords, storeDump, type ScannedRecord } from './storeInspect';

test.describe.configure({ mode: 'serial' });

let counter = 0;
const fresh = (label: string) => `enc${Date.now().toString(36)}-${counter++}-${label}`;

const SECRET_NAME = 'Quentin Zabriskie-Holloway';
const SECRET_META = { badge: 'BADGE-7781-ZX-secret', note: 'allergic to penicillin; room 4417' };

/** A new page whose `window.client` is on `db`; with `keyed`, encrypted with an extractable key kept as window.testKey. */
async function clientPage(page: Page, db: string, encryption: 'none' | 'key' | { passphrase: string }) {
  await openHarness(page);
  await page.evaluate(
    async ({ db, encryption }) => {
      let option: { key: CryptoKey } | { passphrase: string } | undefined;
      if (encryption === 'key') {
        const key = await crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, true, ['encrypt', 'decrypt']);
        (window as unknown as { testKey: CryptoKey }).testKey = key;
        option = { key };
      } else if (encryption !== 'none') option = encryption;
      window.client = await window.LocalFace.createFaceClient({
        backend: 'wasm',
        databaseName: db,
        ...(option ? { encryption: option } : {}),
      });
    },
    { db, encryption },
  );
}

/** colin (2 faces, thumbnails, secret name and metadata), serena (full image), tony (no image). */
async function enrollThree(page: Page, collection: string): Promise<string[]> {
  return page.evaluate(
    async ({ collection, name, meta }) => {
      const c = window.client.collection(collection);
      await window.client.createCollection(collection);
      await c.enrollPerson({
        personId: 'colin',
        personName: name,
        metadata: meta,
        face: await window.fixture('lfw/Colin_Powell_0001.jpg'),
        faceStorageType: 'StoreThumbnails',
      });
      const second = await c.addFace({
        personId: 'colin',
        face: await window.fixture('lfw/Colin_Powell_0003.jpg'),
        faceStorageType: 'StoreThumbnails',
      });
      await c.enrollPerson({
        personId: 'serena',
        personName: 'Serena Other-Name',
        metadata: { badge: 'SERENA-BADGE-0042' },
        face: await window.fixture('lfw/Serena_Williams_0001.jpg'),
        faceStorageType: 'StoreFullImage',
      });
      await c.enrollPerson({
        personId: 'tony',
        personName: 'Tony Third',
        face: await window.fixture('lfw/Tony_Blair_0001.jpg'),
      });
      const colin = await c.getPerson({ personId: 'colin' });
      return [...colin.faces.map((f) => f.faceId).filter((id) => id !== second.faceId), second.faceId];
    },
    { collection, name: SECRET_NAME, meta: SECRET_META },
  );
}

async function searchIds(page: Page, collection: string, photo: string): Promise<string[]> {
  return page.evaluate(
    async ({ collection, photo }) =>
      (
        await window.client.searchFace({ collectionName: collection, face: await window.fixture(`lfw/${photo}.jpg`) })
      ).map((r) => r.personId),
    { collection, photo },
  );
}

function facesOf(records: ScannedRecord[], personId: string): string[] {
  return records.filter((r) => r.store === 'faces' && r.personId === personId).map((r) => r.faceId!);
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]).toString('base64');
// SOI, then an APP0/JFIF or APP1/Exif or DQT marker: the start of every JPEG the library writes or keeps.
const JPEG_STARTS = [
  [0xff, 0xd8, 0xff, 0xe0],
  [0xff, 0xd8, 0xff, 0xe1],
  [0xff, 0xd8, 0xff, 0xdb],
].map((b) => Buffer.from(b).toString('base64'));

test('an encrypted database: a scan of its raw records finds no template, name, metadata or image in clear', async ({
  browser,
}) => {
  const page = await browser.newPage();
  const db = fresh('scan');
  try {
    await clientPage(page, db, 'key');
    await enrollThree(page, 'staff');
    await page.evaluate(() =>
      window.client.updatePerson({ collectionName: 'staff', personId: 'tony', metadata: { desk: 'DESK-UPDATED-9' } }),
    );
    expect(await searchIds(page, 'staff', 'Colin_Powell_0002')).toEqual(['colin']);
    const seen = await page.evaluate(async () => {
      const p = await window.client.getPerson('staff', 'colin');
      const s = await window.client.getPerson('staff', 'serena');
      return {
        name: p.personName,
        metadata: p.metadata,
        thumbs: p.faces.map((f) => f.faceBase64?.slice(0, 4)),
        full: s.faces[0]!.faceBase64?.slice(0, 4),
      };
    });
    expect(seen).toEqual({ name: SECRET_NAME, metadata: SECRET_META, thumbs: ['/9j/', '/9j/'], full: '/9j/' });

    const opened = await scanRecords(page, db, true);
    const raw = await scanRecords(page, db, false);
    const allFaces = opened.filter((r) => r.store === 'faces').map((r) => r.faceId!);
    expect(allFaces).toHaveLength(4);
    const needles = [
      ...faceNeedles(opened, allFaces),
      { label: 'name', text: SECRET_NAME },
      { label: 'badge', text: SECRET_META.badge },
      { label: 'note', text: 'penicillin' },
      { label: 'serena badge', text: 'SERENA-BADGE-0042' },
      { label: 'updated metadata', text: 'DESK-UPDATED-9' },
      { label: 'other name', text: 'Serena Other-Name' },
    ];
    // 4 templates and 3 images, 3 slices each, plus the strings.
    expect(needles.length).toBe(7 * 3 + 6);
    // With the key everything is there (so the scan can find what it looks for) ...
    const withKey = new Set(findNeedles(opened, needles).map((h) => h.split(':').slice(1).join(':')));
    expect(needles.filter((n) => !withKey.has(n.label)).map((n) => n.label)).toEqual([]);
    // ... without it, nothing: not in persons, faces, images, search blocks or anywhere else.
    expect(findNeedles(raw, needles)).toEqual([]);
    const markers = [
      { label: 'PNG', bytes: PNG_SIGNATURE },
      ...JPEG_STARTS.map((bytes, i) => ({ label: `JPEG${i}`, bytes })),
    ];
    expect(findNeedles(raw, markers)).toEqual([]);
    expect(findNeedles(opened, markers).length).toBeGreaterThan(0);

    // The same key reopens it; the collection is whole and searchable.
    await page.evaluate(async (db) => {
      const key = (window as unknown as { testKey: CryptoKey }).testKey;
      await window.client.close();
      window.client = await window.LocalFace.createFaceClient({
        backend: 'wasm',
        databaseName: db,
        encryption: { key },
      });
    }, db);
    expect(await searchIds(page, 'staff', 'Serena_Williams_0002')).toEqual(['serena']);
    expect((await checkConsistency(page, db)).problems).toEqual([]);
  } finally {
    await page.evaluate(() => window.client?.close()).catch(() => undefined);
    await page.close();
  }
});

test('a wrong, missing or other kind of key is ERR_ENCRYPTION_KEY_INVALID and changes nothing; a plain database is not encrypted in place', async ({
  browser,
}) => {
  const page = await browser.newPage();
  const db = fresh('keys');
  const plainDb = fresh('plain');
  try {
    await clientPage(page, db, { passphrase: 'correct horse battery staple' });
    await page.evaluate(async () => {
      await window.client.createCollection('c');
      await window.client.enrollPerson({
        collectionName: 'c',
        personId: 'colin',
        personName: 'Colin',
        face: await window.fixture('lfw/Colin_Powell_0001.jpg'),
      });
      await window.client.close();
    });
    const before = await storeDump(page, db);
    const attempts = await page.evaluate(async (db) => {
      const key = await crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt']);
      const out: Record<string, unknown> = {};
      for (const [label, encryption] of [
        ['wrong passphrase', { passphrase: 'correct horse battery stapler' }],
        ['a key for a passphrase database', { key }],
        ['none', undefined],
      ] as const) {
        // A wrong key or passphrase is refused by createFaceClient itself (it opens the database to check it).
        let client: Awaited<ReturnType<typeof window.LocalFace.createFaceClient>> | undefined;
        const created = await window.errorInfo(async () => {
          client = await window.LocalFace.createFaceClient({
            backend: 'wasm',
            databaseName: db,
            ...(encryption ? { encryption } : {}),
          });
        });
        if (!client) {
          out[`${label} (createFaceClient)`] = created;
          continue;
        }
        out[label] = await window.errorInfo(() => client!.listCollections());
        // Every later call fails the same way; nothing is read or written.
        out[`${label} (enroll)`] = await window.errorInfo(async () =>
          client!.enrollPerson({
            collectionName: 'c',
            personId: 'intruder',
            personName: 'Intruder',
            face: await window.fixture('lfw/Tony_Blair_0001.jpg'),
          }),
        );
        await client.close();
      }
      return out;
    }, db);
    expect(Object.keys(attempts)).toEqual([
      'wrong passphrase (createFaceClient)',
      'a key for a passphrase database (createFaceClient)',
      'none',
      'none (enroll)',
    ]);
    for (const [label, info] of Object.entries(attempts)) {
      const e = expectFaceError(info as never, 'ERR_ENCRYPTION_KEY_INVALID', 401);
      expect(e.message, label).toContain(db);
    }
    expect(await storeDump(page, db)).toEqual(before);

    // The right passphrase still opens it.
    const found = await page.evaluate(async (db) => {
      const client = await window.LocalFace.createFaceClient({
        backend: 'wasm',
        databaseName: db,
        encryption: { passphrase: 'correct horse battery staple' },
      });
      const r = await client.searchFace({
        collectionName: 'c',
        face: await window.fixture('lfw/Colin_Powell_0002.jpg'),
      });
      await client.close();
      return r.map((x) => x.personId);
    }, db);
    expect(found).toEqual(['colin']);

    // A plain database with a collection: encryption is refused, nothing changes; without it, it opens as before.
    const plain = await page.evaluate(async (plainDb) => {
      const client = await window.LocalFace.createFaceClient({ backend: 'wasm', databaseName: plainDb });
      await client.createCollection('c');
      await client.close();
      const encrypted = await window.LocalFace.createFaceClient({
        backend: 'wasm',
        databaseName: plainDb,
        encryption: { passphrase: 'a long passphrase' },
      });
      const error = await window.errorInfo(() => encrypted.listCollections());
      await encrypted.close();
      const again = await window.LocalFace.createFaceClient({ backend: 'wasm', databaseName: plainDb });
      const names = (await again.listCollections()).map((c) => c.name);
      await again.close();
      return { error, names };
    }, plainDb);
    expectFaceError(plain.error, 'ERR_INVALID_ARGUMENT', 400);
    expect(plain.error!.message).toContain('Export');
    expect(plain.names).toEqual(['c']);
    expect((await storeDump(page, plainDb)).meta).toEqual([]);

    // Malformed options are refused before anything loads.
    const bad = await page.evaluate(async () => {
      const out = [];
      for (const encryption of [
        null,
        'secret',
        { passphrase: '' },
        { passphrase: 42 },
        { key: 'not a key' },
        { key: await crypto.subtle.generateKey({ name: 'AES-CBC', length: 256 }, false, ['encrypt', 'decrypt']) },
        { passphrase: 'long enough passphrase', key: null },
      ])
        out.push(
          await window.errorInfo(() =>
            window.LocalFace.createFaceClient({ backend: 'wasm', encryption: encryption as never }),
          ),
        );
      return out;
    });
    for (const e of bad) expectFaceError(e, 'ERR_INVALID_ARGUMENT', 400);
  } finally {
    await page.close();
  }
});

test('a plain client that opened an empty database another client then encrypted writes nothing into it, nor exports it', async ({
  browser,
}) => {
  const page = await browser.newPage();
  const db = fresh('race');
  try {
    await openHarness(page);
    const r = await page.evaluate(async (db) => {
      const plain = await window.LocalFace.createFaceClient({ backend: 'wasm', databaseName: db });
      await plain.listCollections(); // opened while the database is empty and plain
      const encrypted = await window.LocalFace.createFaceClient({
        backend: 'wasm',
        databaseName: db,
        encryption: { passphrase: 'correct horse battery staple' },
      });
      const plainWrite = await window.errorInfo(() => plain.createCollection('c'));
      await encrypted.createCollection('c');
      await encrypted.enrollPerson({
        collectionName: 'c',
        personId: 'colin',
        personName: 'Colin',
        face: await window.fixture('lfw/Colin_Powell_0001.jpg'),
      });
      const plainRead = await window.errorInfo(() => plain.getPerson('c', 'colin'));
      // An export would otherwise be a file of ciphertext and empty names that no import can restore.
      const plainExport = await window.errorInfo(() => plain.exportCollection('c', { includeImages: true }));
      const plainEnroll = await window.errorInfo(async () =>
        plain.enrollPerson({
          collectionName: 'c',
          personId: 'tony',
          personName: 'Tony',
          face: await window.fixture('lfw/Tony_Blair_0001.jpg'),
        }),
      );
      const persons = (await encrypted.listPersons('c')).persons.map((p) => p.personId);
      await plain.close();
      await encrypted.close();
      return { plainWrite, plainRead, plainExport, plainEnroll, persons };
    }, db);
    expectFaceError(r.plainWrite, 'ERR_ENCRYPTION_KEY_INVALID', 401);
    expectFaceError(r.plainRead, 'ERR_ENCRYPTION_KEY_INVALID', 401);
    expectFaceError(r.plainExport, 'ERR_ENCRYPTION_KEY_INVALID', 401);
    expectFaceError(r.plainEnroll, 'ERR_ENCRYPTION_KEY_INVALID', 401);
    expect(r.persons).toEqual(['colin']);
    const records = await scanRecords(page, db);
    // The scan reads the person's record (its id is a key, in the clear): an empty scan would find no names either.
    expect(records.filter((x) => x.store === 'persons').map((x) => x.personId)).toEqual(['colin']);
    expect(findNeedles(records, [{ label: 'id', text: 'colin' }])).toContain('persons:id');
    expect(
      findNeedles(records, [
        { label: 'name', text: 'Colin' },
        { label: 'name', text: 'Tony' },
      ]),
    ).toEqual([]);
  } finally {
    await page.close();
  }
});

test('an encrypted client whose database another tab deleted and made again with another passphrase is told so', async ({
  browser,
}) => {
  const context = await browser.newContext();
  const [a, b] = [await context.newPage(), await context.newPage()];
  const db = fresh('remade');
  try {
    await clientPage(a, db, { passphrase: 'first passphrase' });
    await a.evaluate(async (db) => {
      await window.client.createCollection('c');
      // A second client that has only checked its key (createFaceClient opens the database for that), no call yet.
      (window as unknown as { unused: unknown }).unused = await window.LocalFace.createFaceClient({
        backend: 'wasm',
        databaseName: db,
        encryption: { passphrase: 'first passphrase' },
      });
    }, db);
    await clientPage(b, db, 'none');
    await b.evaluate(async (db) => {
      await new Promise((done, fail) => {
        const r = indexedDB.deleteDatabase(db);
        r.onsuccess = done;
        r.onerror = () => fail(r.error);
        r.onblocked = () => fail(new Error('blocked'));
      });
      const other = await window.LocalFace.createFaceClient({
        backend: 'wasm',
        databaseName: db,
        encryption: { passphrase: 'second passphrase' },
      });
      await other.createCollection('d');
      await other.close();
    }, db);
    const after = await a.evaluate(async () => {
      const unused = (window as unknown as { unused: typeof window.client }).unused;
      return [
        await window.errorInfo(() => window.client.listCollections()),
        await window.errorInfo(() => unused.listCollections()),
      ];
    });
    // The passphrase that opened it is not the problem: the database is another one now.
    for (const error of after)
      expect(expectFaceError(error, 'ERR_ENCRYPTION_KEY_INVALID', 401).message).toMatch(
        /was deleted by another tab or window of this site after this client opened it, and has been created again with another encryption key/,
      );
    await a.evaluate(async () => {
      await window.client.close();
      await (window as unknown as { unused: typeof window.client }).unused.close();
    });
  } finally {
    await context.close();
  }
});

test('an encrypted client whose database another tab deleted and made again without encryption is told so', async ({
  browser,
}) => {
  const context = await browser.newContext();
  const [a, b] = [await context.newPage(), await context.newPage()];
  const db = fresh('remade-plain');
  try {
    await clientPage(a, db, { passphrase: 'first passphrase' });
    await a.evaluate(() => window.client.createCollection('c'));
    await clientPage(b, db, 'none');
    await b.evaluate(async (db) => {
      await window.client.close();
      await new Promise((done, fail) => {
        const r = indexedDB.deleteDatabase(db);
        r.onsuccess = done;
        r.onerror = () => fail(r.error);
        r.onblocked = () => fail(new Error('blocked'));
      });
      const other = await window.LocalFace.createFaceClient({ backend: 'wasm', databaseName: db });
      await other.createCollection('plain');
      await other.close();
    }, db);
    const error = await a.evaluate(() => window.errorInfo(() => window.client.listCollections()));
    // Not the advice for a database that was always plain (export it, then delete it): that would delete the other
    // tab's new data.
    const message = expectFaceError(error, 'ERR_INVALID_ARGUMENT').message;
    expect(message).toMatch(
      /was deleted by another tab or window of this site after this client opened it, and has been created again without encryption/,
    );
    expect(message).not.toMatch(/delete the plain database/);
    await a.evaluate(() => window.client.close());
  } finally {
    await context.close();
  }
});

test('a non-extractable key kept in IndexedDB (unattended kiosk) opens the database after a reload', async ({
  browser,
}) => {
  const page = await browser.newPage();
  const db = fresh('kiosk');
  // The README recipe: one key per device, made once, never extractable, kept in the site's own IndexedDB.
  const deviceClient = async () =>
    page.evaluate(async (db) => {
      const keys: IDBDatabase = await new Promise((ok, ko) => {
        const r = indexedDB.open('kiosk-device-key', 1);
        r.onupgradeneeded = () => r.result.createObjectStore('keys');
        r.onsuccess = () => ok(r.result);
        r.onerror = () => ko(r.error);
      });
      const get = (): Promise<CryptoKey | undefined> =>
        new Promise((ok) => {
          const r = keys.transaction('keys').objectStore('keys').get(db);
          r.onsuccess = () => ok(r.result as CryptoKey | undefined);
        });
      let key = await get();
      const created = !key;
      if (!key) {
        key = await crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt']);
        await new Promise((ok) => {
          const tx = keys.transaction('keys', 'readwrite');
          tx.objectStore('keys').put(key, db);
          tx.oncomplete = ok;
        });
      }
      keys.close();
      window.client = await window.LocalFace.createFaceClient({
        backend: 'wasm',
        databaseName: db,
        encryption: { key },
      });
      return { created, extractable: key.extractable };
    }, db);
  try {
    await openHarness(page);
    expect(await deviceClient()).toEqual({ created: true, extractable: false });
    await page.evaluate(async () => {
      await window.client.createCollection('door');
      await window.client.enrollPerson({
        collectionName: 'door',
        personId: 'gloria',
        personName: 'Gloria',
        face: await window.fixture('lfw/Gloria_Macapagal_Arroyo_0001.jpg'),
      });
    });
    await page.reload();
    await page.waitForFunction(() => window.harnessReady === true);
    expect(await deviceClient()).toEqual({ created: false, extractable: false });
    expect(await searchIds(page, 'door', 'Gloria_Macapagal_Arroyo_0001')).toEqual(['gloria']);
  } finally {
    await page.evaluate(() => window.client?.close()).catch(() => undefined);
    await page.close();
  }
});

/**
 * While the app is closed, someone with the profile's files edits the database: swaps colin's and serena's ids in the
 * faces and the search blocks (which keep ids in clear for IndexedDB's keys and indexes), and/or removes the
 * encryption record's `bindsIds` flag. Returns how many records changed and the flag as it was.
 */
async function tamper(page: Page, db: string, edits: { swapIds: boolean; removeFlag: boolean }) {
  return page.evaluate(
    async ({ name, edits }) => {
      const open = indexedDB.open(name);
      const d: IDBDatabase = await new Promise((ok) => {
        open.onsuccess = () => ok(open.result);
      });
      const swap = (id: string) => (id === 'colin' ? 'serena' : id === 'serena' ? 'colin' : id);
      const tx = d.transaction(['faces', 'searchBlocks', 'meta'], 'readwrite');
      const all = <T>(store: string) =>
        new Promise<T[]>((ok) => {
          const r = tx.objectStore(store).getAll();
          r.onsuccess = () => ok(r.result as T[]);
        });
      let changed = 0;
      if (edits.swapIds) {
        for (const face of await all<{ personId: string }>('faces')) {
          if (swap(face.personId) === face.personId) continue;
          tx.objectStore('faces').put({ ...face, personId: swap(face.personId) });
          changed++;
        }
        for (const block of await all<{ personIds: string[] }>('searchBlocks')) {
          tx.objectStore('searchBlocks').put({ ...block, personIds: block.personIds.map(swap) });
          changed++;
        }
      }
      const meta = await all<{ bindsIds?: boolean }>('meta');
      if (edits.removeFlag) for (const { bindsIds: _, ...record } of meta) tx.objectStore('meta').put(record);
      await new Promise((ok) => {
        tx.oncomplete = ok;
      });
      d.close();
      return { changed, bindsIds: meta[0]?.bindsIds };
    },
    { name: db, edits },
  );
}

async function reopenAndSearch(page: Page, db: string, passphrase: string) {
  return page.evaluate(
    async ({ name, passphrase }) => {
      window.client = await window.LocalFace.createFaceClient({
        backend: 'wasm',
        databaseName: name,
        encryption: { passphrase },
      });
      return window.errorInfo(async () =>
        window.client.searchFace({ collectionName: 'staff', face: await window.fixture('lfw/Colin_Powell_0002.jpg') }),
      );
    },
    { name: db, passphrase },
  );
}

test("an encrypted database binds whose face each template is: ids swapped on disk do not open, never under the other's name", async ({
  browser,
}) => {
  const page = await browser.newPage();
  const db = fresh('swap');
  try {
    await clientPage(page, db, { passphrase: 'kiosk passphrase 2' });
    // Code handed the client cannot read the passphrase off it.
    expect(
      await page.evaluate(() =>
        Object.values(window.client as unknown as Record<string, unknown>).some(
          (v) => typeof v === 'object' && v !== null && 'passphrase' in v,
        ),
      ),
    ).toBe(false);
    await enrollThree(page, 'staff');
    const before = await searchIds(page, 'staff', 'Colin_Powell_0002');
    await page.evaluate(() => window.client.close());
    // colin's two faces, serena's face, the one block
    expect(await tamper(page, db, { swapIds: true, removeFlag: false })).toEqual({ changed: 4, bindsIds: true });
    const after = await reopenAndSearch(page, db, 'kiosk passphrase 2');
    expect(before).toEqual(['colin']);
    expect(expectFaceError(after, 'ERR_INTERNAL').message).toContain('altered');
  } finally {
    await page.evaluate(() => window.client?.close()).catch(() => undefined);
    await page.close();
  }
});

test('removing the binding flag on disk does not unbind a database: persons enrolled afterwards, their ids swapped, still do not open', async ({
  browser,
}) => {
  const page = await browser.newPage();
  const db = fresh('unflag');
  try {
    await clientPage(page, db, { passphrase: 'kiosk passphrase 3' });
    await page.evaluate(() => window.client.close());
    expect(await tamper(page, db, { swapIds: false, removeFlag: true })).toEqual({ changed: 0, bindsIds: true });
    // The owner opens the database as usual and enrolls; then the ids are swapped.
    await clientPage(page, db, { passphrase: 'kiosk passphrase 3' });
    await enrollThree(page, 'staff');
    expect(await searchIds(page, 'staff', 'Colin_Powell_0002')).toEqual(['colin']);
    await page.evaluate(() => window.client.close());
    expect(await tamper(page, db, { swapIds: true, removeFlag: false })).toMatchObject({ changed: 4 });
    const after = await reopenAndSearch(page, db, 'kiosk passphrase 3');
    expect(expectFaceError(after, 'ERR_INTERNAL').message).toContain('altered');
  } finally {
    await page.evaluate(() => window.client?.close()).catch(() => undefined);
    await page.close();
  }
});

test('an encrypted database bound by an earlier version gets the key check that says so when it is next opened', async ({
  browser,
}) => {
  const page = await browser.newPage();
  const db = fresh('oldcheck');
  try {
    await clientPage(page, db, 'key');
    await enrollThree(page, 'staff');
    const result = await page.evaluate(async (name) => {
      const key = (window as unknown as { testKey: CryptoKey }).testKey;
      await window.client.close();
      const additional = (x: unknown) => new TextEncoder().encode(JSON.stringify(x));
      const opens = (check: Uint8Array<ArrayBuffer>, ad: unknown) =>
        crypto.subtle
          .decrypt(
            { name: 'AES-GCM', iv: check.subarray(0, 12), additionalData: additional(ad) },
            key,
            check.subarray(12),
          )
          .then(
            () => true,
            () => false,
          );
      const raw = () =>
        new Promise<IDBDatabase>((ok) => {
          const open = indexedDB.open(name);
          open.onsuccess = () => ok(open.result);
        });
      const meta = (d: IDBDatabase) =>
        new Promise<{ check: Uint8Array<ArrayBuffer>; bindsIds?: boolean }>((ok) => {
          const r = d.transaction('meta').objectStore('meta').get('encryption');
          r.onsuccess = () => ok(r.result);
        });
      // The key check earlier versions wrote: its additional data says nothing of the binding.
      let d = await raw();
      const made = await meta(d);
      const iv = crypto.getRandomValues(new Uint8Array(12));
      const ct = new Uint8Array(
        await crypto.subtle.encrypt(
          { name: 'AES-GCM', iv, additionalData: additional(['meta', 'encryption']) },
          key,
          new TextEncoder().encode('LocalFace encryption key check v1'),
        ),
      );
      const old = new Uint8Array(12 + ct.length);
      old.set(iv);
      old.set(ct, 12);
      await new Promise((ok) => {
        const tx = d.transaction('meta', 'readwrite');
        tx.objectStore('meta').put({ ...made, check: old, bindsIds: true });
        tx.oncomplete = ok;
      });
      d.close();
      window.client = await window.LocalFace.createFaceClient({
        backend: 'wasm',
        databaseName: name,
        encryption: { key },
      });
      const found = (
        await window.client.searchFace({
          collectionName: 'staff',
          face: await window.fixture('lfw/Colin_Powell_0002.jpg'),
        })
      ).map((r) => r.personId);
      await window.client.close();
      d = await raw();
      const now = await meta(d);
      d.close();
      return {
        madeBound: await opens(made.check, ['meta', 'encryption', ['bindsIds']]),
        found,
        rewritten: await opens(now.check, ['meta', 'encryption', ['bindsIds']]),
        stillOld: await opens(now.check, ['meta', 'encryption']),
        flag: now.bindsIds,
      };
    }, db);
    expect(result).toEqual({ madeBound: true, found: ['colin'], rewritten: true, stillOld: false, flag: true });
  } finally {
    await page.evaluate(() => window.client?.close()).catch(() => undefined);
    await page.close();
  }
});

test('export from an encrypted client, import into a plain one and back: identical searches', async ({ browser }) => {
  const page = await browser.newPage();
  const db = fresh('exp-enc');
  const plainDb = fresh('exp-plain');
  try {
    await clientPage(page, db, { passphrase: 'kiosk passphrase 1' });
    await enrollThree(page, 'staff');
    const observe = () =>
      page.evaluate(async () => {
        const out = [];
        for (const photo of ['Colin_Powell_0002', 'Serena_Williams_0002', 'Tony_Blair_0002'])
          out.push(
            await window.client.searchFace({
              collectionName: 'staff',
              face: await window.fixture(`lfw/${photo}.jpg`),
              minSimilarityScore: 0,
              maxResults: 5,
            }),
          );
        const persons = await window.client.listPersons('staff');
        return {
          out,
          persons: await Promise.all(persons.persons.map((p) => window.client.getPerson('staff', p.personId))),
        };
      });
    const original = await observe();
    await page.evaluate(async (plainDb) => {
      const file = await window.client.exportCollection('staff', { includeImages: true });
      (window as unknown as { file: Blob }).file = file;
      await window.client.close();
      window.client = await window.LocalFace.createFaceClient({ backend: 'wasm', databaseName: plainDb });
      await window.client.importCollection(file);
    }, plainDb);
    expect(await observe()).toEqual(original);
    // And back into the encrypted database under the same name.
    await page.evaluate(async (db) => {
      const file = await window.client.exportCollection('staff', { includeImages: true, passphrase: 'export pass' });
      await window.client.close();
      window.client = await window.LocalFace.createFaceClient({
        backend: 'wasm',
        databaseName: db,
        encryption: { passphrase: 'kiosk passphrase 1' },
      });
      await window.client.importCollection(file, { passphrase: 'export pass', onConflict: 'replace' });
    }, db);
    expect(await observe()).toEqual(original);
    expect((await checkConsistency(page, db)).problems).toEqual([]);
  } finally {
    await page.evaluate(() => window.client?.close()).catch(() => undefined);
    await page.close();
  }
});

for (const mode of ['plain', 'encrypted'] as const) {
  test(`${mode}: deletePerson, deleteFace and deleteCollection leave none of the deleted template, image or metadata bytes`, async ({
    browser,
  }) => {
    const page = await browser.newPage();
    const db = fresh(`del-${mode}`);
    // A scan with the key reads everything the key holder could read; in a plain database that is everything.
    const scan = () => scanRecords(page, db, mode === 'encrypted');
    try {
      await clientPage(page, db, mode === 'plain' ? 'none' : 'key');
      await enrollThree(page, 'staff');
      const before = await scan();
      const inStaff = before;
      const colin = [
        ...faceNeedles(inStaff, facesOf(inStaff, 'colin')),
        { label: 'name', text: SECRET_NAME },
        { label: 'badge', text: SECRET_META.badge },
      ];
      const serena = faceNeedles(inStaff, facesOf(inStaff, 'serena'));
      const tonyTemplate = faceNeedles(inStaff, facesOf(inStaff, 'tony'));
      // colin: 2 templates + 2 thumbnails; serena: template + full image; tony: template only.
      expect([colin.length, serena.length, tonyTemplate.length]).toEqual([4 * 3 + 2, 2 * 3, 3]);
      // Each needle is found before (in its face/image record and, for templates, its search block) ...
      expect(findNeedles(before, colin).filter((h) => h.startsWith('searchBlocks:template')).length).toBe(6);

      await page.evaluate(() => window.client.deletePerson('staff', 'colin'));
      // ... and gone after: from persons, faces, images and the search blocks; the others' are still there.
      const afterPerson = await scan();
      expect(findNeedles(afterPerson, colin)).toEqual([]);
      expect(findNeedles(afterPerson, serena).length).toBeGreaterThan(0);

      const serenaFace = facesOf(inStaff, 'serena')[0]!;
      await page.evaluate((faceId) => window.client.deleteFace('staff', faceId), serenaFace);
      const afterFace = await scan();
      expect(findNeedles(afterFace, serena)).toEqual([]);
      expect(findNeedles(afterFace, tonyTemplate).length).toBeGreaterThan(0);
      expect(await searchIds(page, 'staff', 'Tony_Blair_0002')).toEqual(['tony']);

      await page.evaluate(() => window.client.deleteCollection('staff'));
      const afterCollection = await scan();
      expect(findNeedles(afterCollection, tonyTemplate)).toEqual([]);
      expect(afterCollection.filter((r) => JSON.stringify(r.key).includes('staff'))).toEqual([]);
      // The database is still usable: a new collection of the same name starts empty.
      await enrollThree(page, 'staff');
      expect(await searchIds(page, 'staff', 'Colin_Powell_0002')).toEqual(['colin']);
      expect((await checkConsistency(page, db)).problems).toEqual([]);
    } finally {
      await page.evaluate(() => window.client?.close()).catch(() => undefined);
      await page.close();
    }
  });
}
