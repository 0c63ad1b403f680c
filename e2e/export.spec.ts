// exportCollection / importCollection (API.md "Moving and protecting data") on real photos, in chromium, with IndexedDB.
import type { Page } from '@playwright/test';
import { ExportWriter } from '../src/collections/exportFormat';
import { test, expect, expectFaceError, openHarness, ORIGIN, withoutModelCache } from './localface';
import { checkConsistency, storeDump } from './storeInspect';

test.describe.configure({ mode: 'serial' });

let counter = 0;
const fresh = (label: string) => `x${Date.now().toString(36)}-${counter++}-${label}`;

const ENROLLED = [
  {
    personId: 'colin',
    photo: 'Colin_Powell_0001',
    storage: 'StoreThumbnails',
    metadata: { role: 'guest', tags: ['a', 'b'], n: 1.5 },
  },
  { personId: 'serena', photo: 'Serena_Williams_0001', storage: 'StoreFullImage', metadata: {} },
  { personId: 'tony', photo: 'Tony_Blair_0001', storage: 'NoStorage', metadata: { nested: { deep: [1, null, true] } } },
  {
    personId: 'jennifer',
    photo: 'Jennifer_Aniston_0001',
    storage: 'StoreThumbnails',
    metadata: { note: 'é ü 漢字 \u{1F600}' },
  },
] as const;
const PROBES = [
  'Colin_Powell_0002',
  'Serena_Williams_0002',
  'Tony_Blair_0002',
  'Colin_Powell_0003',
  'Gloria_Macapagal_Arroyo_0001',
];

async function enrollAll(page: Page, collection: string): Promise<void> {
  await page.evaluate(
    async ({ collection, enrolled }) => {
      await window.client.createCollection(collection);
      for (const e of enrolled) {
        await window.client.enrollPerson({
          collectionName: collection,
          personId: e.personId,
          personName: `Name of ${e.personId}`,
          face: await window.fixture(`lfw/${e.photo}.jpg`),
          faceStorageType: e.storage,
          metadata: e.metadata,
        });
      }
      // A second face for one person, so a person's several faces go through the file too.
      await window.client.addFace({
        collectionName: collection,
        personId: 'colin',
        face: await window.fixture('lfw/Colin_Powell_0003.jpg'),
        faceStorageType: 'StoreThumbnails',
      });
    },
    { collection, enrolled: ENROLLED },
  );
}

/** Everything a user sees of the collection: search results (all persons, scores, images) and every person. */
async function observe(page: Page, collection: string): Promise<unknown> {
  return page.evaluate(
    async ({ collection, probes }) => {
      const searches = [];
      for (const p of probes)
        searches.push(
          await window.client.searchFace({
            collectionName: collection,
            face: await window.fixture(`lfw/${p}.jpg`),
            minSimilarityScore: 0,
            maxResults: 10,
          }),
        );
      const { persons, total } = await window.client.listPersons(collection);
      const full = await Promise.all(persons.map((p) => window.client.getPerson(collection, p.personId)));
      const info = (await window.client.listCollections()).find((c) => c.name === collection);
      return { searches, total, persons: full, info };
    },
    { collection, probes: PROBES },
  );
}

/** The collection's stored records without what a re-import legitimately renumbers (revision, search block ids). */
function collectionRecords(dump: Record<string, unknown[]>, collection: string): unknown {
  const mine = (r: unknown) =>
    (r as { collection?: string; name?: string }).collection === collection ||
    (r as { name?: string }).name === collection;
  return {
    collections: dump.collections!.filter(mine).map((c) => ({ ...(c as object), revision: 0, nextBlockId: 0 })),
    persons: dump.persons!.filter(mine),
    faces: dump.faces!.filter(mine).map((f) => ({ ...(f as object), block: 0 })),
    faceImages: dump.faceImages!.filter(mine),
    searchRows: dump
      .searchBlocks!.filter(mine)
      .flatMap((b) => (b as { faceIds: string[] }).faceIds)
      .sort(),
  };
}

function withoutImages(observed: unknown): unknown {
  return JSON.parse(JSON.stringify(observed, (k, v: unknown) => (k === 'faceBase64' ? '' : v)));
}

for (const variant of [
  { label: 'templates only', includeImages: false, passphrase: undefined },
  { label: 'with images', includeImages: true, passphrase: undefined },
  { label: 'with images and a passphrase', includeImages: true, passphrase: 'kiosk backup 2026' },
  { label: 'a passphrase, no images', includeImages: false, passphrase: 'p' },
]) {
  test(`round trip ${variant.label}: export → delete → import gives identical searches and records`, async ({
    facePage,
  }) => {
    const name = fresh('rt');
    await enrollAll(facePage, name);
    const before = await observe(facePage, name);
    const dumpBefore = collectionRecords(await storeDump(facePage), name);
    const result = await facePage.evaluate(
      async ({ name, includeImages, passphrase }) => {
        const file = await window.client
          .collection(name)
          .export({ includeImages, ...(passphrase ? { passphrase } : {}) });
        (window as unknown as { lastExport: Blob }).lastExport = file;
        await window.client.deleteCollection(name);
        const gone = (await window.client.listCollections()).some((c) => c.name === name);
        const imported = await window.client.importCollection(file, passphrase ? { passphrase } : {});
        return { gone, imported, size: file.size, type: file.type };
      },
      { name, ...variant },
    );
    expect(result.gone).toBe(false);
    expect(result.type).toBe('application/vnd.localface.collection');
    const after = await observe(facePage, name);
    expect(result.imported).toEqual((before as { info: unknown }).info);
    const dumpAfter = collectionRecords(await storeDump(facePage), name);
    if (variant.includeImages) {
      expect(after).toEqual(before);
      expect(dumpAfter).toEqual(dumpBefore);
    } else {
      // Everything but the images: the same search results and persons, the same collection, person and face
      // records (each face now says it has no image), the same search rows; and no image stored or returned.
      expect(withoutImages(after)).toEqual(withoutImages(before));
      type Records = { faces: object[]; faceImages: unknown[] };
      const { faceImages: imagesAfter, ...recordsAfter } = dumpAfter as Records;
      const { faceImages: imagesBefore, ...recordsBefore } = dumpBefore as Records;
      expect(recordsAfter).toEqual({
        ...recordsBefore,
        faces: recordsBefore.faces.map((f) => ({ ...f, image: 'none' })),
      });
      expect(imagesBefore.length).toBeGreaterThan(0);
      expect(imagesAfter).toEqual([]);
      expect(JSON.stringify(after)).not.toContain('"faceBase64":"/9j/');
    }
    // The searches really found people (an empty collection would compare equal too).
    const firstHits = (before as { searches: { personId: string }[][] }).searches.map((s) => s[0]?.personId);
    expect(firstHits.slice(0, 4)).toEqual(['colin', 'serena', 'tony', 'colin']);
    expect((await checkConsistency(facePage)).problems).toEqual([]);
    if (variant.passphrase) {
      // Names, metadata and template bytes are not in the encrypted file.
      const clear = await facePage.evaluate(async () => {
        const bytes = new Uint8Array(await (window as unknown as { lastExport: Blob }).lastExport.arrayBuffer());
        return new TextDecoder('latin1').decode(bytes);
      });
      for (const secret of ['Name of colin', 'serena', 'guest', name]) expect(clear).not.toContain(secret);
    }
    await facePage.evaluate((n) => window.client.deleteCollection(n), name);
  });
}

test('a failed import changes nothing: corrupt, truncated, other models, wrong passphrase, name in use', async ({
  facePage,
}) => {
  test.setTimeout(240_000);
  const name = fresh('err');
  await enrollAll(facePage, name);
  await facePage.evaluate(async (n) => {
    const w = window as unknown as { files: Record<string, Blob> };
    const plain = await window.client.exportCollection(n, { includeImages: true });
    const encrypted = await window.client.exportCollection(n, { includeImages: true, passphrase: 'right' });
    const bytes = new Uint8Array(await plain.arrayBuffer());
    const flipped = bytes.slice();
    flipped[Math.floor(bytes.length / 2)]! ^= 0x01;
    const encBytes = new Uint8Array(await encrypted.arrayBuffer());
    const encFlipped = encBytes.slice();
    encFlipped[encBytes.length - 100]! ^= 0x80;
    w.files = {
      plain,
      encrypted,
      truncated: plain.slice(0, plain.size - 1),
      truncatedHalf: plain.slice(0, Math.floor(plain.size / 2)),
      flipped: new Blob([flipped]),
      encryptedFlipped: new Blob([encFlipped]),
      swapped: new Blob([bytes.slice(0, 4), bytes.slice(5, 6), bytes.slice(4, 5), bytes.slice(6)]),
      notAnExport: new Blob([(await window.fixture('lfw/Tony_Blair_0001.jpg')).slice()]),
      empty: new Blob([]),
    };
  }, name);
  // An intact file of other embedding models, written with the library's own writer.
  const writer = await ExportWriter.create(['some-other-embedder@3'], [128]);
  await writer.collection({ name: 'other', createdAt: 1, personCount: 1, faceCount: 1, includeImages: false });
  await writer.person({
    personId: 'p',
    personName: 'P',
    metadata: {},
    createdAt: 1,
    updatedAt: 1,
    faces: [{ faceId: 'f', createTime: 1, vectors: [new Float32Array(128).fill(Math.SQRT1_2 / 8)] }],
  });
  const otherModels = Array.from(
    new Uint8Array(await (await writer.finish({ persons: 1, faces: 1, images: 0 })).arrayBuffer()),
  );
  // An intact file of this client's models whose collection is named ".." (a name createCollection refuses).
  const plainBytes = new Uint8Array(
    await facePage.evaluate(async () =>
      Array.from(
        new Uint8Array(await (window as unknown as { files: Record<string, Blob> }).files.plain!.arrayBuffer()),
      ),
    ),
  );
  const headerLength = new DataView(plainBytes.buffer).getUint32(8, true);
  const header = JSON.parse(new TextDecoder().decode(plainBytes.subarray(12, 12 + headerLength))) as {
    models: string[];
    dims: number[];
  };
  const dotsWriter = await ExportWriter.create(header.models, header.dims);
  await dotsWriter.collection({ name: '..', createdAt: 1, personCount: 1, faceCount: 1, includeImages: false });
  await dotsWriter.person({
    personId: 'p',
    personName: 'P',
    metadata: {},
    createdAt: 1,
    updatedAt: 1,
    faces: [
      { faceId: 'f', createTime: 1, vectors: header.dims.map((d) => new Float32Array(d).fill(1 / Math.sqrt(d))) },
    ],
  });
  const dotsName = Array.from(
    new Uint8Array(await (await dotsWriter.finish({ persons: 1, faces: 1, images: 0 })).arrayBuffer()),
  );
  await facePage.evaluate(
    ([other, dots]) => {
      const files = (window as unknown as { files: Record<string, Blob> }).files;
      files.otherModels = new Blob([new Uint8Array(other)]);
      files.dotsName = new Blob([new Uint8Array(dots)]);
    },
    [otherModels, dotsName] as const,
  );

  // `as`: the file given as its bytes (an ArrayBuffer, or a Uint8Array viewing the middle of a larger buffer).
  const cases: {
    file: string;
    options: Record<string, unknown>;
    code: string;
    status: number;
    as?: 'arrayBuffer' | 'view';
  }[] = [
    { file: 'truncated', options: { name: 'fresh-a' }, code: 'ERR_INVALID_EXPORT', status: 400 },
    { file: 'truncated', options: { name: 'fresh-a' }, code: 'ERR_INVALID_EXPORT', status: 400, as: 'view' },
    { file: 'flipped', options: { name: 'fresh-a' }, code: 'ERR_INVALID_EXPORT', status: 400, as: 'arrayBuffer' },
    { file: 'truncatedHalf', options: { name: 'fresh-a' }, code: 'ERR_INVALID_EXPORT', status: 400 },
    { file: 'flipped', options: { name: 'fresh-a' }, code: 'ERR_INVALID_EXPORT', status: 400 },
    { file: 'swapped', options: { name: 'fresh-a' }, code: 'ERR_INVALID_EXPORT', status: 400 },
    { file: 'notAnExport', options: { name: 'fresh-a' }, code: 'ERR_INVALID_EXPORT', status: 400 },
    { file: 'empty', options: { name: 'fresh-a' }, code: 'ERR_INVALID_EXPORT', status: 400 },
    // A corrupt file must not clear the collection it would replace.
    { file: 'flipped', options: { onConflict: 'replace' }, code: 'ERR_INVALID_EXPORT', status: 400 },
    {
      file: 'encryptedFlipped',
      options: { passphrase: 'right', onConflict: 'replace' },
      code: 'ERR_INVALID_EXPORT',
      status: 400,
    },
    { file: 'otherModels', options: {}, code: 'ERR_MODEL_MISMATCH', status: 409 },
    { file: 'otherModels', options: { name, onConflict: 'replace' }, code: 'ERR_MODEL_MISMATCH', status: 409 },
    {
      file: 'encrypted',
      options: { passphrase: 'wrong', onConflict: 'replace' },
      code: 'ERR_ENCRYPTION_KEY_INVALID',
      status: 401,
    },
    { file: 'encrypted', options: { name: 'fresh-a' }, code: 'ERR_ENCRYPTION_KEY_INVALID', status: 401 },
    { file: 'plain', options: {}, code: 'ERR_COLLECTION_EXISTS', status: 409 },
    { file: 'dotsName', options: {}, code: 'ERR_INVALID_COLLECTION_NAME', status: 400 },
    {
      file: 'encrypted',
      options: { passphrase: 'right', onConflict: 'fail' },
      code: 'ERR_COLLECTION_EXISTS',
      status: 409,
    },
    { file: 'plain', options: { onConflict: 'overwrite' }, code: 'ERR_INVALID_ARGUMENT', status: 400 },
    {
      file: 'plain',
      options: { name: 'fresh-a', passphrase: 'not encrypted' },
      code: 'ERR_INVALID_ARGUMENT',
      status: 400,
    },
  ];
  const before = await storeDump(facePage);
  const observedBefore = await observe(facePage, name);
  for (const c of cases) {
    const error = await facePage.evaluate(async ({ file, options, as }) => {
      const blob = (window as unknown as { files: Record<string, Blob> }).files[file]!;
      const bytes = new Uint8Array(await blob.arrayBuffer());
      const padded = new Uint8Array(bytes.length + 20);
      padded.set(bytes, 7);
      const input = as === 'arrayBuffer' ? bytes.buffer : as === 'view' ? padded.subarray(7, 7 + bytes.length) : blob;
      return window.errorInfo(() => window.client.importCollection(input, options));
    }, c);
    expectFaceError(error, c.code, c.status);
    expect(await storeDump(facePage), `${c.file} ${c.as ?? ''} ${JSON.stringify(c.options)}`).toEqual(before);
  }
  expect(await observe(facePage, name)).toEqual(observedBefore);
  const notABlob = await facePage.evaluate(() =>
    window.errorInfo(() => window.client.importCollection('file' as unknown as Blob)),
  );
  expectFaceError(notABlob, 'ERR_INVALID_ARGUMENT', 400);
  const missing = await facePage.evaluate(() =>
    window.errorInfo(() => window.client.exportCollection('no-such-collection')),
  );
  expectFaceError(missing, 'ERR_NOT_FOUND', 404);

  // The same files do import where they should: with the right passphrase under another name, and by replace; and
  // as their bytes.
  const ok = await facePage.evaluate(async (n) => {
    const files = (window as unknown as { files: Record<string, Blob> }).files;
    const copy = await window.client.importCollection(files.encrypted!, { passphrase: 'right', name: `${n}-copy` });
    const replaced = await window.client.importCollection(files.plain!, { onConflict: 'replace' });
    const bytes = new Uint8Array(await files.encrypted!.arrayBuffer());
    const padded = new Uint8Array(bytes.length + 20);
    padded.set(bytes, 7);
    const fromBuffer = await window.client.importCollection(bytes.buffer, { passphrase: 'right', name: `${n}-buf` });
    // The bytes are taken when the call is made: a caller reusing its buffer at once does not change the import.
    const importingView = window.client.importCollection(padded.subarray(7, 7 + bytes.length), {
      passphrase: 'right',
      name: `${n}-view`,
    });
    padded.fill(0);
    const fromView = await importingView;
    // ES2024's resizable buffers, which this TypeScript lib does not type.
    const Resizable = ArrayBuffer as unknown as new (length: number, options: { maxByteLength: number }) => ArrayBuffer;
    const resizable = new Resizable(bytes.length, { maxByteLength: bytes.length * 2 });
    new Uint8Array(resizable).set(bytes);
    const fromResizable = await window.client.importCollection(resizable, { passphrase: 'right', name: `${n}-rs` });
    await window.client.deleteCollection(`${n}-rs`);
    const viewHits = await window.client.searchFace({
      collectionName: `${n}-view`,
      face: await window.fixture('lfw/Serena_Williams_0002.jpg'),
    });
    await window.client.deleteCollection(`${n}-buf`);
    await window.client.deleteCollection(`${n}-view`);
    const hits = await window.client.searchFace({
      collectionName: `${n}-copy`,
      face: await window.fixture('lfw/Serena_Williams_0002.jpg'),
    });
    await window.client.deleteCollection(`${n}-copy`);
    return {
      copy: copy.personCount,
      replaced: replaced.personCount,
      hit: hits[0]?.personId,
      bytes: [fromBuffer.personCount, fromView.personCount, fromResizable.personCount, viewHits[0]?.personId],
    };
  }, name);
  expect(ok).toEqual({ copy: 4, replaced: 4, hit: 'serena', bytes: [4, 4, 4, 'serena'] });
  expect(await observe(facePage, name)).toEqual(observedBefore);
  expect((await checkConsistency(facePage)).problems).toEqual([]);
  await facePage.evaluate((n) => window.client.deleteCollection(n), name);
});

test('merge keeps the other persons and replaces those of the same personId', async ({ facePage }) => {
  const source = fresh('src'),
    target = fresh('dst');
  await enrollAll(facePage, source);
  const result = await facePage.evaluate(
    async ({ source, target }) => {
      const file = await window.client.exportCollection(source);
      await window.client.createCollection(target);
      await window.client.enrollPerson({
        collectionName: target,
        personId: 'gloria',
        personName: 'Gloria',
        face: await window.fixture('lfw/Gloria_Macapagal_Arroyo_0001.jpg'),
      });
      // Same personId, another face: the import's colin replaces it.
      await window.client.enrollPerson({
        collectionName: target,
        personId: 'colin',
        personName: 'Old Colin',
        face: await window.fixture('lfw/Serena_Williams_0002.jpg'),
      });
      const merged = await window.client.importCollection(file, { name: target, onConflict: 'merge' });
      const search = async (photo: string) =>
        (await window.client.searchFace({ collectionName: target, face: await window.fixture(`lfw/${photo}.jpg`) }))[0]
          ?.personId;
      return {
        merged: merged.personCount,
        ids: (await window.client.listPersons(target)).persons.map((p) => p.personId),
        colin: (await window.client.getPerson(target, 'colin')).personName,
        gloria: await search('Gloria_Macapagal_Arroyo_0001'),
        serena: await search('Serena_Williams_0002'),
        powell: await search('Colin_Powell_0002'),
      };
    },
    { source, target },
  );
  expect(result).toEqual({
    merged: 5,
    ids: ['colin', 'gloria', 'jennifer', 'serena', 'tony'],
    colin: 'Name of colin',
    gloria: 'gloria',
    serena: 'serena',
    powell: 'colin',
  });
  expect((await checkConsistency(facePage)).problems).toEqual([]);
  await facePage.evaluate(
    async (names) => {
      for (const n of names) await window.client.deleteCollection(n);
    },
    [source, target],
  );
});

test('a person addFace made without a name exports and imports back; a bad onConflict or a misspelt option key is ERR_INVALID_ARGUMENT', async ({
  facePage,
}) => {
  const source = fresh('noname'),
    target = fresh('noname-in'),
    framed = fresh('noname-frame');
  const result = await facePage.evaluate(
    async ({ source, target, framed }) => {
      await window.client.createCollection(source);
      const { personId } = await window.client.addFace({
        collectionName: source,
        face: await window.fixture('lfw/Tony_Blair_0001.jpg'),
      });
      const file = await window.client.exportCollection(source);
      const badConflict = await window.errorInfo(() =>
        window.client.importCollection(file, { name: target, onConflict: 1n as never }),
      );
      // A misspelt key would otherwise leave the file in clear, or import it under the exported name.
      const misspeltExport = await window.errorInfo(() =>
        window.client.exportCollection(source, { passPhrase: 'secret' } as never),
      );
      const misspeltImport = await window.errorInfo(() =>
        window.client.importCollection(file, { Name: target } as never),
      );
      const misspeltClient = await window.errorInfo(() =>
        window.LocalFace.createFaceClient({ encrpytion: { passphrase: 'secret' } } as never),
      );
      await window.client.importCollection(file, { name: target });
      const found = await window.client.searchFace({
        collectionName: target,
        face: await window.fixture('lfw/Tony_Blair_0002.jpg'),
      });
      const back = await window.client.getPerson(target, personId);
      // The file as a Blob of another window (an iframe's file input), which instanceof Blob does not recognise.
      const frame = document.body.appendChild(document.createElement('iframe'));
      const ForeignBlob = (frame.contentWindow as unknown as { Blob: typeof Blob }).Blob;
      const foreign = new ForeignBlob([await file.arrayBuffer()]);
      const fromFrame = {
        instanceOfBlob: foreign instanceof Blob,
        persons: (await window.client.importCollection(foreign, { name: framed })).personCount,
      };
      frame.remove();
      for (const n of [source, target, framed]) await window.client.deleteCollection(n);
      return {
        fromFrame,
        personId,
        found: found[0]?.personId,
        name: back.personName,
        badConflict,
        misspelt: [misspeltExport, misspeltImport, misspeltClient],
      };
    },
    { source, target, framed },
  );
  expect(result.fromFrame).toEqual({ instanceOfBlob: false, persons: 1 });
  expect(result.name).toBe('');
  expect(result.found).toBe(result.personId);
  expectFaceError(result.badConflict, 'ERR_INVALID_ARGUMENT');
  for (const e of result.misspelt) expectFaceError(e, 'ERR_INVALID_ARGUMENT');
  expect(result.misspelt.map((e) => e?.message)).toEqual([
    expect.stringContaining('"passPhrase"'),
    expect.stringContaining('"Name"'),
    expect.stringContaining('"encrpytion"'),
  ]);
});

test('an import that fails in its write transaction (storage quota full) writes nothing', async ({
  facePage,
  browser,
}) => {
  const source = fresh('quota-src');
  const bytes = await facePage.evaluate(async (n) => {
    await window.client.createCollection(n);
    for (const photo of ['Serena_Williams_0001', 'Tony_Blair_0001', 'Jennifer_Aniston_0001']) {
      await window.client.enrollPerson({
        collectionName: n,
        personId: photo,
        personName: photo,
        face: await window.fixture(`lfw/${photo}.jpg`),
        faceStorageType: 'StoreFullImage',
      });
    }
    await window.client.enrollPerson({
      collectionName: n,
      personId: 'big',
      personName: 'Big',
      face: await window.fixture('two-people.jpg'),
      faceStorageType: 'StoreFullImage',
    });
    const file = await window.client.exportCollection(n, { includeImages: true });
    await window.client.deleteCollection(n);
    return Array.from(new Uint8Array(await file.arrayBuffer()));
  }, source);
  const db = `quota-import-${Date.now()}`;
  const page = await browser.newPage();
  await withoutModelCache(page);
  await openHarness(page);
  const cdp = await page.context().newCDPSession(page);
  try {
    // Room for a small collection, not for the export's full images (set before the database opens, as in storage.spec.ts).
    await cdp.send('Storage.overrideQuotaForOrigin', { origin: ORIGIN, quotaSize: 100_000 });
    await page.evaluate(
      async ({ d, b }) => {
        window.client = await window.LocalFace.createFaceClient({ backend: 'wasm', databaseName: d });
        await window.client.createCollection('c');
        await window.client.enrollPerson({
          collectionName: 'c',
          personId: 'colin',
          personName: 'Colin',
          face: await window.fixture('lfw/Colin_Powell_0001.jpg'),
        });
        (window as unknown as { file: Blob }).file = new Blob([new Uint8Array(b)]);
      },
      { d: db, b: bytes },
    );
    const before = await storeDump(page, db);
    const error = await page.evaluate(() =>
      window.errorInfo(() => window.client.importCollection((window as unknown as { file: Blob }).file)),
    );
    expectFaceError(error, 'ERR_STORAGE_QUOTA_EXCEEDED', 500);
    expect(await storeDump(page, db)).toEqual(before);
    // The same merge into the existing collection fails the same way and leaves it as it was.
    const merge = await page.evaluate(() =>
      window.errorInfo(() =>
        window.client.importCollection((window as unknown as { file: Blob }).file, { name: 'c', onConflict: 'merge' }),
      ),
    );
    expectFaceError(merge, 'ERR_STORAGE_QUOTA_EXCEEDED', 500);
    expect(await storeDump(page, db)).toEqual(before);
    await cdp.send('Storage.overrideQuotaForOrigin', { origin: ORIGIN });
    const imported = await page.evaluate(
      async () => (await window.client.importCollection((window as unknown as { file: Blob }).file)).personCount,
    );
    expect(imported).toBe(4);
    expect((await checkConsistency(page, db)).problems).toEqual([]);
  } finally {
    await cdp.send('Storage.overrideQuotaForOrigin', { origin: ORIGIN }).catch(() => undefined);
    await page.evaluate(() => window.client?.close());
    await page.close();
  }
});

test('merge: a face the file gives to another person is taken from its old owner, whose faceCount follows', async ({
  facePage,
}) => {
  const target = `merge-face-${Date.now().toString(36)}`;
  // This client's models and dims, from the header of an export of the (empty) target collection.
  const headerBytes = await facePage.evaluate(async (n) => {
    await window.client.createCollection(n);
    return Array.from(new Uint8Array(await (await window.client.exportCollection(n)).arrayBuffer()));
  }, target);
  const bytes = new Uint8Array(headerBytes);
  const length = new DataView(bytes.buffer).getUint32(8, true);
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(12, 12 + length))) as {
    models: string[];
    dims: number[];
  };
  const fileOf = async (personId: string) => {
    const w = await ExportWriter.create(header.models, header.dims);
    await w.collection({ name: target, createdAt: 1, personCount: 1, faceCount: 1, includeImages: false });
    await w.person({
      personId,
      personName: personId.toUpperCase(),
      metadata: {},
      createdAt: 1,
      updatedAt: 1,
      faces: [
        {
          faceId: 'shared-face',
          createTime: 1,
          vectors: header.dims.map((d) => new Float32Array(d).fill(1 / Math.sqrt(d))),
        },
      ],
    });
    return Array.from(new Uint8Array(await (await w.finish({ persons: 1, faces: 1, images: 0 })).arrayBuffer()));
  };
  const [first, second] = [await fileOf('p'), await fileOf('q')];
  const r = await facePage.evaluate(
    async ({ n, first, second }) => {
      await window.client.importCollection(new Blob([new Uint8Array(first)]), { name: n, onConflict: 'merge' });
      await window.client.importCollection(new Blob([new Uint8Array(second)]), { name: n, onConflict: 'merge' });
      const p = await window.client.getPerson(n, 'p');
      const q = await window.client.getPerson(n, 'q');
      return {
        p: [p.faceCount, p.faces.map((f) => f.faceId)],
        q: [q.faceCount, q.faces.map((f) => f.faceId)],
        listed: (await window.client.listPersons(n)).persons.map((x) => [x.personId, x.faceCount]),
      };
    },
    { n: target, first, second },
  );
  expect(r).toEqual({
    p: [0, []],
    q: [1, ['shared-face']],
    listed: [
      ['p', 0],
      ['q', 1],
    ],
  });
  expect((await checkConsistency(facePage)).problems).toEqual([]);
  await facePage.evaluate((n) => window.client.deleteCollection(n), target);
});
