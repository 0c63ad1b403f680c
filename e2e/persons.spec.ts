// Collections and persons (API.md "Collections", "Persons") on real photos, in chromium, with IndexedDB.
import type { Page } from '@playwright/test';
import { test, expect, expectFaceError, openHarness } from './localface';
import { checkConsistency, storeCounts, storeDump } from './storeInspect';

test.describe.configure({ mode: 'serial' });

let counter = 0;
/** A fresh collection name per test: the worker's client (and its database) is shared by all suites. */
const fresh = (label: string) => `t${Date.now().toString(36)}-${counter++}-${label}`;

async function create(page: Page, name: string): Promise<void> {
  await page.evaluate((n) => window.client.createCollection(n), name);
}

test('collections: create, list, duplicate name, invalid names, delete with its persons', async ({ facePage }) => {
  const name = fresh('col');
  const created = await facePage.evaluate((n) => window.client.createCollection(n), name);
  expect(created.name).toBe(name);
  expect(created.personCount).toBe(0);
  expect(Math.abs(created.createdAt - Date.now())).toBeLessThan(60_000);
  const listed = await facePage.evaluate(() => window.client.listCollections());
  expect(listed.find((c) => c.name === name)).toEqual(created);

  expectFaceError(
    await facePage.evaluate((n) => window.errorInfo(() => window.client.createCollection(n)), name),
    'ERR_COLLECTION_EXISTS',
    409,
  );
  for (const bad of ['has space', 'ümlaut', '', 'x'.repeat(256), 'slash/no']) {
    expectFaceError(
      await facePage.evaluate((n) => window.errorInfo(() => window.client.createCollection(n)), bad),
      'ERR_INVALID_COLLECTION_NAME',
      400,
    );
  }
  expectFaceError(
    await facePage.evaluate(() => window.errorInfo(() => window.client.createCollection(42 as unknown as string))),
    'ERR_INVALID_COLLECTION_NAME',
    400,
  );
  // Exactly 255 characters of every allowed kind is fine.
  const longest = ('Az09_-.' + 'x'.repeat(255)).slice(0, 255);
  await facePage.evaluate((n) => window.client.createCollection(n), longest);

  await facePage.evaluate(
    async (n) =>
      window.client.enrollPerson({
        collectionName: n,
        personId: 'p1',
        personName: 'Colin',
        face: await window.fixture('lfw/Colin_Powell_0001.jpg'),
        faceStorageType: 'StoreThumbnails',
      }),
    name,
  );
  expect(
    (await facePage.evaluate(() => window.client.listCollections())).find((c) => c.name === name)!.personCount,
  ).toBe(1);
  await facePage.evaluate((n) => window.client.deleteCollection(n), name);
  await facePage.evaluate((n) => window.client.deleteCollection(n), longest);
  expect((await facePage.evaluate(() => window.client.listCollections())).map((c) => c.name)).not.toContain(name);
  // Re-created under the same name, it is empty: deleteCollection removed its persons and faces.
  await create(facePage, name);
  expect(await facePage.evaluate((n) => window.client.listPersons(n), name)).toEqual({ persons: [], total: 0 });
  expect((await checkConsistency(facePage)).problems).toEqual([]);
});

test('every call naming a missing collection fails with ERR_NOT_FOUND', async ({ facePage }) => {
  const errors = await facePage.evaluate(async () => {
    const face = await window.fixture('lfw/Colin_Powell_0001.jpg');
    const c = 'no-such-collection';
    const calls: Record<string, () => Promise<unknown>> = {
      deleteCollection: () => window.client.deleteCollection(c),
      enrollPerson: () => window.client.enrollPerson({ collectionName: c, personId: 'a', personName: 'A', face }),
      addFace: () => window.client.addFace({ collectionName: c, face }),
      getPerson: () => window.client.getPerson(c, 'a'),
      listPersons: () => window.client.listPersons(c),
      updatePerson: () => window.client.updatePerson({ collectionName: c, personId: 'a', personName: 'B' }),
      deletePerson: () => window.client.deletePerson(c, 'a'),
      deleteFace: () => window.client.deleteFace(c, 'f'),
      searchFace: () => window.client.searchFace({ collectionName: c, face }),
      multiFaceSearch: () => window.client.multiFaceSearch({ collectionName: c, image: face }),
    };
    const out: Record<string, unknown> = {};
    for (const [k, fn] of Object.entries(calls)) out[k] = await window.errorInfo(fn);
    return out as Record<string, import('./localface').ErrorInfo | null>;
  });
  for (const [method, info] of Object.entries(errors)) {
    const e = expectFaceError(info, 'ERR_NOT_FOUND', 404);
    expect(e.message, method).toContain('no-such-collection');
  }
});

test('enrollPerson returns the person with the face stored as asked (NoStorage, StoreThumbnails, StoreFullImage) and metadata', async ({
  facePage,
}) => {
  const name = fresh('enroll');
  await create(facePage, name);
  const out = await facePage.evaluate(async (n) => {
    const bytes = await window.fixture('lfw/Colin_Powell_0001.jpg');
    const none = await window.client.enrollPerson({
      collectionName: n,
      personId: 'none',
      personName: 'No storage',
      face: bytes,
    });
    const thumb = await window.client.enrollPerson({
      collectionName: n,
      personId: 'thumb',
      personName: 'Thumb',
      face: bytes,
      faceStorageType: 'StoreThumbnails',
      metadata: { role: 'guest', level: 3, tags: ['a'] },
    });
    const full = await window.client.enrollPerson({
      collectionName: n,
      personId: 'full',
      personName: 'Full',
      face: bytes,
      faceStorageType: 'StoreFullImage',
    });
    const img = new Image();
    img.src = `data:image/jpeg;base64,${thumb.faceBase64}`;
    await img.decode();
    let binary = '';
    for (const b of bytes) binary += String.fromCharCode(b);
    const got = await window.client.getPerson(n, 'thumb');
    const fullImage = new Image();
    fullImage.src = `data:image/jpeg;base64,${full.faceBase64}`;
    await fullImage.decode();
    return {
      none,
      thumb: { ...thumb, faceBase64: thumb.faceBase64.slice(0, 8) },
      thumbSize: [img.naturalWidth, img.naturalHeight],
      fullIsInput: full.faceBase64 === btoa(binary),
      fullSize: [fullImage.naturalWidth, fullImage.naturalHeight],
      got: { ...got, faces: got.faces.map((f) => ({ ...f, same: f.faceBase64 === thumb.faceBase64, faceBase64: '' })) },
    };
  }, name);
  expect(out.none).toEqual({ personId: 'none', personName: 'No storage', metadata: {}, faceBase64: '' });
  expect(out.thumb.metadata).toEqual({ role: 'guest', level: 3, tags: ['a'] });
  expect(out.thumb.faceBase64.startsWith('/9j/')).toBe(true); // JPEG
  expect(Math.max(...out.thumbSize)).toBeLessThanOrEqual(150);
  expect(Math.min(...out.thumbSize)).toBeGreaterThan(40);
  // The full image is re-encoded from the pixels (see the EXIF test below), at the input's size.
  expect(out.fullIsInput).toBe(false);
  expect(out.fullSize).toEqual([250, 250]);
  expect(out.got.personId).toBe('thumb');
  expect(out.got.faceCount).toBe(1);
  expect(out.got.faces[0]!.same).toBe(true);
  expect(typeof out.got.faces[0]!.faceId).toBe('string');
});

test('StoreFullImage stores the photo re-encoded: no EXIF (APP1) segment left, and upright', async ({ facePage }) => {
  const name = fresh('exif');
  await create(facePage, name);
  const out = await facePage.evaluate(async (n) => {
    /** The APPn / COM markers of a JPEG before its first scan. */
    const markers = (b: Uint8Array) => {
      const found: string[] = [];
      for (let o = 2; o + 4 <= b.length && b[o] === 0xff;) {
        const m = b[o + 1]!;
        if (m === 0xda) break;
        if ((m >= 0xe0 && m <= 0xef) || m === 0xfe) found.push(`APP${m === 0xfe ? 'COM' : m - 0xe0}`);
        o += 2 + ((b[o + 2]! << 8) | b[o + 3]!);
      }
      return found;
    };
    const input = await window.fixture('exif-rotated.jpg');
    await window.client.enrollPerson({
      collectionName: n,
      personId: 'p',
      personName: 'P',
      face: input,
      faceStorageType: 'StoreFullImage',
    });
    const stored = (await window.client.getPerson(n, 'p')).faces[0]!.faceBase64;
    const bytes = Uint8Array.from(atob(stored), (c) => c.charCodeAt(0));
    // Its pixel size as stored, with any orientation tag ignored.
    const raw = await createImageBitmap(new Blob([bytes]), { imageOrientation: 'none' });
    const [face] = await window.client.detectFaces(bytes);
    return {
      inputMarkers: markers(input),
      storedMarkers: markers(bytes),
      size: [raw.width, raw.height],
      hasExifText: atob(stored).includes('Exif'),
      roll: face?.pose.roll,
    };
  }, name);
  // The fixture carries EXIF (orientation 6: stored 640×480, displayed 480×640).
  expect(out.inputMarkers).toContain('APP1');
  expect(out.storedMarkers).not.toContain('APP1');
  // Only the encoder's own JFIF (APP0) and sRGB colour profile (APP2): no EXIF/XMP (APP1), IPTC (APP13) or comment.
  expect(
    out.storedMarkers.every((m) => m === 'APP0' || m === 'APP2'),
    out.storedMarkers.join(),
  ).toBe(true);
  expect(out.hasExifText).toBe(false);
  expect(out.size).toEqual([480, 640]);
  expect(Math.abs(out.roll!)).toBeLessThan(45);
});

test('enrollPerson argument errors: each code, with nothing stored', async ({ facePage }) => {
  const name = fresh('errors');
  await create(facePage, name);
  const before = await storeCounts(facePage);
  const errors = await facePage.evaluate(async (n) => {
    const face = await window.fixture('lfw/Colin_Powell_0001.jpg');
    const base = { collectionName: n, personId: 'p', personName: 'P', face };
    const tiny = new OffscreenCanvas(64, 64);
    tiny.getContext('2d')!.fillRect(0, 0, 64, 64);
    const wide = new OffscreenCanvas(6001, 130);
    wide.getContext('2d')!.fillRect(0, 0, 10, 10);
    const e = (r: object) => window.errorInfo(() => window.client.enrollPerson(r as never));
    return {
      noFace: await e({ ...base, face: await window.fixture('no-face.jpg') }),
      undecodable: await e({ ...base, face: 'bm90IGFuIGltYWdl' }),
      tooSmall: await e({ ...base, face: await tiny.convertToBlob({ type: 'image/png' }) }),
      tooLarge: await e({ ...base, face: await wide.convertToBlob({ type: 'image/png' }) }),
      livenessNotBoolean: await e({ ...base, checkLiveness: 'yes' }),
      badCollectionName: await e({ ...base, collectionName: 'bad name' }),
      personIdEmpty: await e({ ...base, personId: '' }),
      personIdLong: await e({ ...base, personId: 'x'.repeat(256) }),
      personNameMissing: await e({ ...base, personName: undefined }),
      metadataArray: await e({ ...base, metadata: [1, 2] }),
      metadataTooBig: await e({ ...base, metadata: { blob: 'x'.repeat(16 * 1024) } }),
      storageType: await e({ ...base, faceStorageType: 'StoreEverything' }),
      minSimilarity: await e({ ...base, checkDuplicates: true, duplicateCheckMinSimilarity: 1.5 }),
      faceMissing: await e({ ...base, face: undefined }),
      notAnObject: await window.errorInfo(() => window.client.enrollPerson(null as never)),
    };
  }, name);
  expectFaceError(errors.noFace, 'ERR_FACE_NOT_DETECTED', 400);
  expectFaceError(errors.undecodable, 'ERR_BASE64_IMAGE_CANNOT_BE_DECODED', 400);
  expectFaceError(errors.tooSmall, 'ERR_IMAGE_TOO_SMALL', 400);
  expectFaceError(errors.tooLarge, 'ERR_IMAGE_TOO_LARGE', 413);
  expect(expectFaceError(errors.livenessNotBoolean, 'ERR_INVALID_ARGUMENT', 400).message).toMatch(/checkLiveness/);
  expectFaceError(errors.badCollectionName, 'ERR_INVALID_COLLECTION_NAME', 400);
  for (const k of [
    'personIdEmpty',
    'personIdLong',
    'personNameMissing',
    'metadataArray',
    'metadataTooBig',
    'storageType',
    'minSimilarity',
    'faceMissing',
    'notAnObject',
  ] as const) {
    expectFaceError(errors[k], 'ERR_INVALID_ARGUMENT', 400);
  }
  expect(errors.metadataTooBig!.message).toContain('16');
  expect(await storeCounts(facePage)).toEqual(before);
});

test('enroll is an upsert on personId: name, metadata and faces are replaced', async ({ facePage }) => {
  const name = fresh('upsert');
  await create(facePage, name);
  const r = await facePage.evaluate(async (n) => {
    const f = (x: string) => window.fixture(`lfw/${x}.jpg`);
    await window.client.enrollPerson({
      collectionName: n,
      personId: 'X',
      personName: 'First',
      face: await f('Colin_Powell_0001'),
      metadata: { v: 1 },
    });
    const second = await window.client.enrollPerson({
      collectionName: n,
      personId: 'X',
      personName: 'Second',
      face: await f('Serena_Williams_0001'),
      metadata: { v: 2 },
    });
    // personId is case-sensitive: 'x' is another person.
    await window.client.enrollPerson({
      collectionName: n,
      personId: 'x',
      personName: 'Lower',
      face: await f('Tony_Blair_0001'),
    });
    return {
      second,
      person: await window.client.getPerson(n, 'X'),
      list: await window.client.listPersons(n),
      colin: await window.client.searchFace({ collectionName: n, face: await f('Colin_Powell_0002') }),
      serena: await window.client.searchFace({ collectionName: n, face: await f('Serena_Williams_0002') }),
    };
  }, name);
  expect(r.second).toEqual({ personId: 'X', personName: 'Second', metadata: { v: 2 }, faceBase64: '' });
  expect(r.person.faceCount).toBe(1);
  expect(r.person.faces).toHaveLength(1);
  expect(r.list.total).toBe(2);
  expect(r.colin).toEqual([]); // the old face is gone
  expect(r.serena.map((s) => s.personId)).toEqual(['X']);
  expect((await checkConsistency(facePage)).problems).toEqual([]);
});

test('checkDuplicates: another person with a matching face is ERR_DUPLICATE_FACE and nothing changes', async ({
  facePage,
}) => {
  const name = fresh('dup');
  await create(facePage, name);
  await facePage.evaluate(
    async (n) =>
      window.client.enrollPerson({
        collectionName: n,
        personId: 'colin',
        personName: 'Colin',
        face: await window.fixture('lfw/Colin_Powell_0001.jpg'),
      }),
    name,
  );
  const before = await storeCounts(facePage);
  const dumpBefore = await storeDump(facePage);
  const dup = await facePage.evaluate(async (n) => {
    const colin2 = await window.fixture('lfw/Colin_Powell_0002.jpg');
    return window.errorInfo(() =>
      window.client.enrollPerson({
        collectionName: n,
        personId: 'colin-again',
        personName: 'C',
        face: colin2,
        checkDuplicates: true,
      }),
    );
  }, name);
  // The refused enroll wrote nothing at all: no person, face, search row or image.
  expect(await storeDump(facePage)).toEqual(dumpBefore);
  const r = await facePage.evaluate(async (n) => {
    const colin2 = await window.fixture('lfw/Colin_Powell_0002.jpg');
    return {
      // Off by default: the seed warns that the same face under another id makes a duplicate record.
      allowedWithoutCheck: await window.client
        .enrollPerson({ collectionName: n, personId: 'colin-copy', personName: 'C', face: colin2 })
        .then(() => true),
    };
  }, name);
  const e = expectFaceError(dup, 'ERR_DUPLICATE_FACE', 409);
  expect(e.metadata!.personId).toBe('colin');
  expect(e.metadata!.similarityScore as number).toBeGreaterThanOrEqual(0.7);
  expect(r.allowedWithoutCheck).toBe(true);
  const after = await storeCounts(facePage);
  expect(after.persons).toBe(before.persons! + 1); // only colin-copy was added
  const more = await facePage.evaluate(async (n) => {
    const colin3 = await window.fixture('lfw/Colin_Powell_0003.jpg');
    await window.client.deletePerson(n, 'colin-copy');
    return {
      // Re-enrolling the same personId is an update, not a duplicate of itself.
      self: await window.client
        .enrollPerson({
          collectionName: n,
          personId: 'colin',
          personName: 'Colin P.',
          face: colin3,
          checkDuplicates: true,
        })
        .then((p) => p.personName),
      // The threshold is honoured: below a stranger's (low) score, the stranger counts as a duplicate.
      loose: await (async () => {
        const tony = await window.fixture('lfw/Tony_Blair_0001.jpg');
        const { similarityScore } = await window.client.compareFaces(tony, colin3);
        const e = await window.errorInfo(() =>
          window.client.enrollPerson({
            collectionName: n,
            personId: 'tony',
            personName: 'T',
            face: tony,
            checkDuplicates: true,
            duplicateCheckMinSimilarity: similarityScore / 2,
          }),
        );
        return similarityScore > 0 && similarityScore < 0.7 ? e?.code : `score ${similarityScore}`;
      })(),
      stranger: await window.client
        .enrollPerson({
          collectionName: n,
          personId: 'serena',
          personName: 'S',
          face: await window.fixture('lfw/Serena_Williams_0001.jpg'),
          checkDuplicates: true,
        })
        .then(() => true),
    };
  }, name);
  expect(more).toEqual({ self: 'Colin P.', loose: 'ERR_DUPLICATE_FACE', stranger: true });
});

test('duplicate-checked enrolls started together in one tab all finish, and a duplicate among them is caught', async ({
  facePage,
}) => {
  const name = fresh('dup-parallel');
  await create(facePage, name);
  const r = await facePage.evaluate(async (n) => {
    const people = [
      'Candice_Bergen_0002',
      'Colin_Powell_0001',
      'Geoff_Hoon_0001',
      'Gloria_Macapagal_Arroyo_0001',
      'Jennifer_Aniston_0001',
      'Serena_Williams_0001',
      'Tony_Blair_0001',
      'Colin_Powell_0002', // the same man as the second: one of the two must be refused
    ];
    const faces = await Promise.all(people.map((p) => window.fixture(`lfw/${p}.jpg`)));
    const outcomes = await Promise.all(
      people.map((p, i) =>
        window.client
          .enrollPerson({ collectionName: n, personId: p, personName: p, face: faces[i]!, checkDuplicates: true })
          .then(
            () => 'ok',
            (e: { code: string }) => e.code,
          ),
      ),
    );
    return { outcomes, total: (await window.client.listPersons(n)).total };
  }, name);
  expect(r.outcomes.slice(0, 7).filter((o, i) => i !== 1)).toEqual(['ok', 'ok', 'ok', 'ok', 'ok', 'ok']);
  expect([r.outcomes[1], r.outcomes[7]].sort()).toEqual(['ERR_DUPLICATE_FACE', 'ok']);
  expect(r.total).toBe(7);
  expect((await checkConsistency(facePage)).problems).toEqual([]);
});

test('validateNface: a photo of two people is ERR_TOO_MANY_FACES and stores nothing; without it the largest face is enrolled', async ({
  facePage,
}) => {
  const name = fresh('nface');
  await create(facePage, name);
  const before = await storeCounts(facePage);
  const dumpBefore = await storeDump(facePage);
  const refused = await facePage.evaluate(async (n) => {
    const group = await window.fixture('two-people.jpg');
    const enroll = (validateNface: unknown) =>
      window.client.enrollPerson({
        collectionName: n,
        personId: 'group',
        personName: 'group',
        face: group,
        validateNface,
      } as never);
    return {
      group: await window.errorInfo(() => enroll(true)),
      notBoolean: await window.errorInfo(() => enroll('yes')),
    };
  }, name);
  expect(await storeDump(facePage)).toEqual(dumpBefore);
  const later = await facePage.evaluate(async (n) => {
    const group = await window.fixture('two-people.jpg');
    const one = await window.fixture('lfw/Colin_Powell_0001.jpg');
    const enroll = (personId: string, face: Uint8Array, validateNface?: unknown) =>
      window.client.enrollPerson({ collectionName: n, personId, personName: personId, face, validateNface } as never);
    return {
      afterRefusal: (await window.client.listPersons(n)).total,
      single: await enroll('colin', one, true).then((p) => p.personId),
      groupByDefault: await enroll('largest', group).then((p) => p.personId),
    };
  }, name);
  const r = { ...refused, ...later };
  const e = expectFaceError(r.group, 'ERR_TOO_MANY_FACES', 400);
  expect(e.message).toMatch(/one person/);
  expect(e.metadata).toEqual({ argument: 'face', faces: 2 });
  expectFaceError(r.notBoolean, 'ERR_INVALID_ARGUMENT', 400);
  expect(r.afterRefusal).toBe(0);
  expect(r.single).toBe('colin');
  expect(r.groupByDefault).toBe('largest');
  expect((await storeCounts(facePage)).persons).toBe(before.persons! + 2);
});

test('face sets (addFace): new person with a generated id, more faces for a person, deleteFace', async ({
  facePage,
}) => {
  const name = fresh('faceset');
  await create(facePage, name);
  const r = await facePage.evaluate(async (n) => {
    const f = (x: string) => window.fixture(`lfw/${x}.jpg`);
    const first = await window.client.addFace({ collectionName: n, face: await f('Colin_Powell_0001') });
    const second = await window.client.addFace({
      collectionName: n,
      personId: first.personId,
      face: await f('Colin_Powell_0003'),
      faceStorageType: 'StoreThumbnails',
    });
    const person = await window.client.getPerson(n, first.personId);
    const found = await window.client.searchFace({ collectionName: n, face: await f('Colin_Powell_0002') });
    const missingPerson2 = await window.errorInfo(async () =>
      window.client.addFace({ collectionName: n, personId: 'nobody', face: await f('Colin_Powell_0001') }),
    );
    const noFace = await window.errorInfo(async () =>
      window.client.addFace({ collectionName: n, personId: first.personId, face: await window.fixture('no-face.jpg') }),
    );
    await window.client.deleteFace(n, first.faceId);
    const afterDelete = await window.client.getPerson(n, first.personId);
    const missingFace = await window.errorInfo(() => window.client.deleteFace(n, first.faceId));
    await window.client.deleteFace(n, second.faceId);
    const empty = await window.client.getPerson(n, first.personId);
    const foundEmpty = await window.client.searchFace({ collectionName: n, face: await f('Colin_Powell_0002') });
    return { first, second, person, found, missingPerson2, noFace, afterDelete, missingFace, empty, foundEmpty };
  }, name);
  expect(r.first.personId).toMatch(/^[0-9a-f-]{36}$/);
  expect(r.second.personId).toBe(r.first.personId);
  expect(r.second.faceId).not.toBe(r.first.faceId);
  expect(r.second.createTime).toBeGreaterThanOrEqual(r.first.createTime);
  expect(r.person.faceCount).toBe(2);
  expect(r.person.faces.map((x) => x.faceId)).toEqual([r.first.faceId, r.second.faceId]);
  expect(r.person.faces[0]!.faceBase64).toBe('');
  expect(r.person.faces[1]!.faceBase64.startsWith('/9j/')).toBe(true);
  expect(r.found.map((x) => x.personId)).toEqual([r.first.personId]);
  expect(r.found[0]!.similarityScore).toBeGreaterThanOrEqual(0.7);
  expectFaceError(r.missingPerson2, 'ERR_NOT_FOUND', 404);
  expectFaceError(r.noFace, 'ERR_FACE_NOT_DETECTED', 400);
  expect(r.afterDelete.faceCount).toBe(1);
  expect(r.afterDelete.faces.map((x) => x.faceId)).toEqual([r.second.faceId]);
  expectFaceError(r.missingFace, 'ERR_NOT_FOUND', 404);
  // A person whose faces are all deleted still exists, and is not found by searches.
  expect(r.empty.faceCount).toBe(0);
  expect(r.foundEmpty).toEqual([]);
  expect((await checkConsistency(facePage)).problems).toEqual([]);
});

test('getPerson, listPersons (paging), updatePerson and deletePerson', async ({ facePage }) => {
  const name = fresh('crud');
  await create(facePage, name);
  const r = await facePage.evaluate(async (n) => {
    const face = await window.fixture('lfw/Tony_Blair_0001.jpg');
    // Bulk enroll of the same photo under 5 ids (no duplicate check): cheap way to fill a collection.
    await window.client.enrollPersons(
      ['p3', 'p1', 'p5', 'p2', 'p4'].map((id) => ({ collectionName: n, personId: id, personName: `Name ${id}`, face })),
    );
    const page1 = await window.client.listPersons(n, { limit: 2 });
    const page2 = await window.client.listPersons(n, { offset: 2, limit: 2 });
    const page3 = await window.client.listPersons(n, { offset: 4 });
    const beyond = await window.client.listPersons(n, { offset: 10 });
    const badLimit = await window.errorInfo(() => window.client.listPersons(n, { limit: 0 }));
    const badOffset = await window.errorInfo(() => window.client.listPersons(n, { offset: -1 }));
    // Past IDBCursor.advance's 32-bit range: an empty page, not an internal error.
    const farBeyond = await window.client.listPersons(n, { offset: 2 ** 32 });
    // A misspelt paging key would otherwise page through page 1 for ever.
    const misspelt = await window.errorInfo(() => window.client.listPersons(n, { ofset: 2 } as never));
    const misspeltRequest = await window.errorInfo(() =>
      window.client.listPersons({ collectionName: n, offest: 2 } as never),
    );
    const misspeltGet = await window.errorInfo(() =>
      window.client.getPerson({ collectionName: n, personID: 'p1' } as never),
    );
    const updated = await window.client.updatePerson({
      collectionName: n,
      personId: 'p2',
      personName: 'Renamed',
      metadata: { k: 'v' },
    });
    const nameOnly = await window.client.updatePerson({
      collectionName: n,
      personId: 'p2',
      personName: 'Renamed again',
    });
    const got = await window.client.getPerson(n, 'p2');
    const updateMissing = await window.errorInfo(() =>
      window.client.updatePerson({ collectionName: n, personId: 'zz', personName: 'x' }),
    );
    const updateNothing = await window.errorInfo(() =>
      window.client.updatePerson({ collectionName: n, personId: 'p2' }),
    );
    const updateBadMeta = await window.errorInfo(() =>
      window.client.updatePerson({ collectionName: n, personId: 'p2', metadata: 'x' as never }),
    );
    await window.client.deletePerson(n, 'p2');
    const getDeleted = await window.errorInfo(() => window.client.getPerson(n, 'p2'));
    const deleteAgain = await window.errorInfo(() => window.client.deletePerson(n, 'p2'));
    const after = await window.client.listPersons(n);
    const search = await window.client.searchFace({
      collectionName: n,
      face: await window.fixture('lfw/Tony_Blair_0002.jpg'),
      maxResults: 10,
    });
    return {
      page1,
      page2,
      page3,
      beyond,
      badLimit,
      badOffset,
      farBeyond,
      misspelt,
      misspeltRequest,
      misspeltGet,
      updated,
      nameOnly,
      got,
      updateMissing,
      updateNothing,
      updateBadMeta,
      getDeleted,
      deleteAgain,
      after,
      search,
    };
  }, name);
  expect(r.page1.total).toBe(5);
  expect(r.page1.persons.map((p) => p.personId)).toEqual(['p1', 'p2']);
  expect(r.page2.persons.map((p) => p.personId)).toEqual(['p3', 'p4']);
  expect(r.page3.persons.map((p) => p.personId)).toEqual(['p5']);
  expect(r.beyond).toEqual({ persons: [], total: 5 });
  expect(r.page1.persons[0]).toEqual({ personId: 'p1', personName: 'Name p1', metadata: {}, faceCount: 1 });
  expectFaceError(r.badLimit, 'ERR_INVALID_ARGUMENT', 400);
  expectFaceError(r.badOffset, 'ERR_INVALID_ARGUMENT', 400);
  expect(r.farBeyond).toEqual({ persons: [], total: 5 });
  expect(expectFaceError(r.misspelt, 'ERR_INVALID_ARGUMENT', 400).message).toContain('ofset');
  expect(expectFaceError(r.misspeltRequest, 'ERR_INVALID_ARGUMENT', 400).message).toContain('offest');
  expect(expectFaceError(r.misspeltGet, 'ERR_INVALID_ARGUMENT', 400).message).toContain('personID');
  expect(r.updated).toEqual({ personId: 'p2', personName: 'Renamed', metadata: { k: 'v' }, faceCount: 1 });
  expect(r.nameOnly.metadata).toEqual({ k: 'v' }); // untouched
  expect(r.got.personName).toBe('Renamed again');
  expect(r.got.faces).toHaveLength(1);
  expectFaceError(r.updateMissing, 'ERR_NOT_FOUND', 404);
  expectFaceError(r.updateNothing, 'ERR_INVALID_ARGUMENT', 400);
  expectFaceError(r.updateBadMeta, 'ERR_INVALID_ARGUMENT', 400);
  expectFaceError(r.getDeleted, 'ERR_NOT_FOUND', 404);
  expectFaceError(r.deleteAgain, 'ERR_NOT_FOUND', 404);
  expect(r.after.total).toBe(4);
  expect(r.search.map((s) => s.personId).sort()).toEqual(['p1', 'p3', 'p4', 'p5']);
  expect((await checkConsistency(facePage)).problems).toEqual([]);
});

test('enrollPersons: per-item results and progress; failing items store nothing', async ({ facePage }) => {
  const name = fresh('bulk');
  await create(facePage, name);
  const r = await facePage.evaluate(async (n) => {
    const f = (x: string) => window.fixture(x);
    const progress: unknown[] = [];
    const results = await window.client.enrollPersons(
      [
        { collectionName: n, personId: 'a', personName: 'A', face: await f('lfw/Colin_Powell_0001.jpg') },
        { collectionName: n, personId: 'b', personName: 'B', face: await f('no-face.jpg') },
        {
          collectionName: 'missing-collection',
          personId: 'c',
          personName: 'C',
          face: await f('lfw/Serena_Williams_0001.jpg'),
        },
        {
          collectionName: n,
          personId: 'd',
          personName: 'D',
          face: await f('lfw/Colin_Powell_0002.jpg'),
          checkDuplicates: true,
        },
        {
          collectionName: n,
          personId: 'e',
          personName: 'E',
          face: await f('lfw/Serena_Williams_0001.jpg'),
          metadata: { i: 5 },
        },
      ],
      { onProgress: (p) => progress.push(p) },
    );
    return {
      results,
      progress,
      list: await window.client.listPersons(n),
      notArray: await window.errorInfo(() => window.client.enrollPersons({} as never)),
    };
  }, name);
  expect(r.results.map((x) => [x.personId, x.ok, x.ok ? null : x.error.code])).toEqual([
    ['a', true, null],
    ['b', false, 'ERR_FACE_NOT_DETECTED'],
    ['c', false, 'ERR_NOT_FOUND'],
    ['d', false, 'ERR_DUPLICATE_FACE'],
    ['e', true, null],
  ]);
  const e = r.results[4]!;
  expect(e.ok && e.person).toEqual({ personId: 'e', personName: 'E', metadata: { i: 5 }, faceBase64: '' });
  expect(r.progress).toEqual(
    [1, 2, 3, 4, 5].map((done, i) => ({
      done,
      total: 5,
      personId: 'abcde'[i],
      ok: [true, false, false, false, true][i],
    })),
  );
  expect(r.list.persons.map((p) => p.personId)).toEqual(['a', 'e']);
  expectFaceError(r.notArray, 'ERR_INVALID_ARGUMENT', 400);
  expect((await checkConsistency(facePage)).problems).toEqual([]);
});

for (const threads of ['auto', 1] as const) {
  // With 'auto', MobileFaceNet runs in a Worker whose tensors this page cannot count; with 1 it runs here, so its
  // code (the same in both places) is in the count too.
  test(`tensors do not leak across enroll, search and multi-face search (threads: ${threads})`, async ({
    facePage,
  }) => {
    const name = fresh('leak');
    const counts = await facePage.evaluate(
      async ({ n, threads }) => {
        const client =
          threads === 1 ? await window.LocalFace.createFaceClient({ backend: 'wasm', threads: 1 }) : window.client;
        await client.createCollection(n);
        const face = await window.fixture('lfw/Colin_Powell_0001.jpg');
        const group = await window.fixture('two-people.jpg');
        const codes: (string | undefined)[] = [];
        const round = async () => {
          await client.enrollPerson({
            collectionName: n,
            personId: 'c',
            personName: 'C',
            face,
            faceStorageType: 'StoreThumbnails',
          });
          await client.addFace({ collectionName: n, personId: 'c', face });
          await client.searchFace({ collectionName: n, face });
          await client.multiFaceSearch({ collectionName: n, image: group });
          // A failing call on every round: its error path is in the count.
          const refused = await window.errorInfo(() =>
            client.enrollPerson({
              collectionName: n,
              personId: 'x',
              personName: 'X',
              face: group,
              checkLiveness: true,
            }),
          );
          codes.push(refused?.code);
        };
        await round();
        const before = window.tensorCount();
        await round();
        await round();
        const after = window.tensorCount();
        const used = client.threads;
        await client.deleteCollection(n);
        if (client !== window.client) await client.close();
        return { before, after, codes, threads: used };
      },
      { n: name, threads },
    );
    expect(counts.threads).toBe(threads === 1 ? 1 : 2);
    expect(counts.codes).toEqual(['ERR_LIVENESS_ERROR', 'ERR_LIVENESS_ERROR', 'ERR_LIVENESS_ERROR']);
    expect(counts.after).toBe(counts.before);
  });
}

test('data persists across a page reload (new client, same database)', async ({ browser }) => {
  const page = await browser.newPage();
  const db = `persist-${Date.now()}`;
  await openHarness(page);
  await page.evaluate(async (d) => {
    window.client = await window.LocalFace.createFaceClient({ backend: 'wasm', databaseName: d });
    await window.client.createCollection('staff');
    await window.client.enrollPerson({
      collectionName: 'staff',
      personId: 'serena',
      personName: 'Serena',
      face: await window.fixture('lfw/Serena_Williams_0001.jpg'),
      faceStorageType: 'StoreThumbnails',
      metadata: { desk: 7 },
    });
    await window.client.close();
  }, db);
  await page.reload();
  await page.waitForFunction(() => window.harnessReady === true);
  const r = await page.evaluate(async (d) => {
    window.client = await window.LocalFace.createFaceClient({ backend: 'wasm', databaseName: d });
    const out = {
      collections: await window.client.listCollections(),
      person: await window.client.getPerson('staff', 'serena'),
      found: await window.client.searchFace({
        collectionName: 'staff',
        face: await window.fixture('lfw/Serena_Williams_0002.jpg'),
      }),
    };
    await window.client.close();
    return out;
  }, db);
  expect(r.collections.map((c) => [c.name, c.personCount])).toEqual([['staff', 1]]);
  expect(r.person.metadata).toEqual({ desk: 7 });
  expect(r.found).toHaveLength(1);
  expect(r.found[0]!.personId).toBe('serena');
  // The stored thumbnail came back (a JPEG), not two empty strings.
  expect(r.person.faces[0]!.faceBase64.startsWith('/9j/')).toBe(true);
  expect(r.found[0]!.faceBase64).toBe(r.person.faces[0]!.faceBase64);
  await page.close();
});

test('request objects, the positional forms and a collection handle reach the same persons', async ({ facePage }) => {
  const name = fresh('styles');
  await create(facePage, name);
  const result = await facePage.evaluate(async (n) => {
    const staff = window.client.collection(n);
    const colin = await window.fixture('lfw/Colin_Powell_0001.jpg');
    const tony = await window.fixture('lfw/Tony_Blair_0001.jpg');
    await staff.enrollPerson({ personId: 'colin', personName: 'Colin', face: colin });
    await window.client.enrollPerson({ collectionName: n, personId: 'tony', personName: 'Tony', face: tony });
    const { faceId } = await staff.addFace({
      personId: 'colin',
      face: await window.fixture('lfw/Colin_Powell_0002.jpg'),
    });
    const byObject = await window.client.getPerson({ collectionName: n, personId: 'colin' });
    const byPosition = await window.client.getPerson(n, 'colin');
    const byHandle = await staff.getPerson({ personId: 'colin' });
    const listed = [
      await window.client.listPersons({ collectionName: n, limit: 1 }),
      await window.client.listPersons(n, { limit: 1 }),
      await staff.listPersons({ limit: 1 }),
    ];
    const [found] = await staff.searchFace({ face: await window.fixture('lfw/Colin_Powell_0003.jpg') });
    await staff.deleteFace({ faceId });
    const afterDeleteFace = (await window.client.getPerson(n, 'colin')).faceCount;
    await window.client.deletePerson({ collectionName: n, personId: 'tony' });
    await staff.deletePerson({ personId: 'colin' });
    const badName = await window.errorInfo(async () => window.client.collection('no spaces allowed'));
    const missingId = await window.errorInfo(() => window.client.getPerson({ collectionName: n } as never));
    return {
      byObject,
      byPosition,
      byHandle,
      listed,
      found,
      afterDeleteFace,
      left: await staff.listPersons(),
      badName,
      missingId,
    };
  }, name);
  expect(result.byObject.faceCount).toBe(2);
  expect(result.byPosition).toEqual(result.byObject);
  expect(result.byHandle).toEqual(result.byObject);
  expect(result.listed[0]!.total).toBe(2);
  expect(result.listed[1]).toEqual(result.listed[0]);
  expect(result.listed[2]).toEqual(result.listed[0]);
  expect(result.found!.personId).toBe('colin');
  expect(result.afterDeleteFace).toBe(1);
  expect(result.left).toEqual({ persons: [], total: 0 });
  expectFaceError(result.badName, 'ERR_INVALID_COLLECTION_NAME', 400);
  expectFaceError(result.missingId, 'ERR_INVALID_ARGUMENT', 400);
});

test('enrollPersons: an onProgress that throws does not stop the remaining persons', async ({ facePage }) => {
  const n = `progress-${Date.now().toString(36)}`;
  const r = await facePage.evaluate(async (n) => {
    await window.client.createCollection(n);
    const f = (x: string) => window.fixture(`lfw/${x}.jpg`);
    let calls = 0;
    const outcome = await window.client
      .enrollPersons(
        [
          { collectionName: n, personId: 'a', personName: 'A', face: await f('Colin_Powell_0001') },
          { collectionName: n, personId: 'b', personName: 'B', face: await f('Serena_Williams_0001') },
        ],
        {
          onProgress: () => {
            calls++;
            throw new Error('a bug in the progress bar');
          },
        },
      )
      .then(
        (results) => results.map((x) => [x.personId, x.ok]),
        (e: Error) => `rejected: ${e.message}`,
      );
    const total = (await window.client.listPersons(n)).total;
    await window.client.deleteCollection(n);
    return { outcome, calls, total };
  }, n);
  expect(r).toEqual({
    outcome: [
      ['a', true],
      ['b', true],
    ],
    calls: 2,
    total: 2,
  });
});
