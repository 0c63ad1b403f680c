// 1:N and N:N search (API.md "Search") on real photos, in chromium.
import { test, expect, expectFaceError } from './localface';

test.describe.configure({ mode: 'serial' });

const collection = `search-${Date.now().toString(36)}`;

test.beforeAll(async ({ facePage }) => {
  await facePage.evaluate(async (n) => {
    const f = (x: string) => window.fixture(`lfw/${x}.jpg`);
    await window.client.createCollection(n);
    await window.client.enrollPersons([
      {
        collectionName: n,
        personId: 'colin',
        personName: 'Colin Powell',
        face: await f('Colin_Powell_0001'),
        faceStorageType: 'StoreThumbnails',
        metadata: { team: 'a' },
      },
      {
        collectionName: n,
        personId: 'serena',
        personName: 'Serena Williams',
        face: await f('Serena_Williams_0001'),
        faceStorageType: 'StoreThumbnails',
      },
      { collectionName: n, personId: 'tony', personName: 'Tony Blair', face: await f('Tony_Blair_0001') },
      {
        collectionName: n,
        personId: 'jennifer',
        personName: 'Jennifer Aniston',
        face: await f('Jennifer_Aniston_0001'),
      },
    ]);
  }, collection);
});

test('searchFace finds the enrolled person from another photo, with name, metadata, stored face and a calibrated score', async ({
  facePage,
}) => {
  const r = await facePage.evaluate(async (n) => {
    const results = await window.client.searchFace({
      collectionName: n,
      face: await window.fixture('lfw/Colin_Powell_0002.jpg'),
    });
    const stored = await window.client.getPerson(n, 'colin');
    return { results, storedFace: stored.faces[0]!.faceBase64 };
  }, collection);
  expect(r.results).toHaveLength(1); // maxResults defaults to 1
  const [hit] = r.results;
  expect(hit).toMatchObject({ personId: 'colin', personName: 'Colin Powell', metadata: { team: 'a' } });
  expect(hit!.similarityScore).toBeGreaterThanOrEqual(0.7);
  expect(hit!.similarityScore).toBeLessThanOrEqual(1);
  expect(hit!.faceBase64).toBe(r.storedFace);
});

test('a search scores as compareFaces does, less 0.1 per tenfold persons; webcam frames are found across sessions', async ({
  facePage,
}) => {
  const r = await facePage.evaluate(async () => {
    const lfw = (x: string) => window.fixture(`lfw/${x}.jpg`);
    const cam = (x: string) => window.fixture(`camera/${x}.jpg`);
    const one = `search-one-${Date.now().toString(36)}`,
      webcam = `search-webcam-${Date.now().toString(36)}`;
    await window.client.createCollection(one);
    await window.client.enrollPerson({
      collectionName: one,
      personId: 'colin',
      personName: 'Colin Powell',
      face: await lfw('Colin_Powell_0001'),
    });
    // Another person's photo, so that the score is inside (0, 1), not clipped.
    const oneHit = await window.client.searchFace({
      collectionName: one,
      face: await lfw('Tony_Blair_0001'),
      minSimilarityScore: 0,
    });
    const compared = await window.client.compareFaces(await lfw('Tony_Blair_0001'), await lfw('Colin_Powell_0001'));
    // NUAA webcam frames of held-out subjects: subject 6 enrolled from one session, searched from another.
    await window.client.createCollection(webcam);
    for (const s of ['06-enroll', '10', '12', '14'])
      await window.client.enrollPerson({
        collectionName: webcam,
        personId: `s${s.slice(0, 2)}`,
        personName: `subject ${s.slice(0, 2)}`,
        face: await cam(`subject${s}`),
      });
    const later = await window.client.searchFace({
      collectionName: webcam,
      face: await cam('subject06-later'),
      maxResults: 4,
      minSimilarityScore: 0,
    });
    const laterAlone = await window.client.compareFaces(await cam('subject06-later'), await cam('subject06-enroll'));
    await window.client.deleteCollection(one);
    await window.client.deleteCollection(webcam);
    return {
      one: oneHit.map((h) => h.similarityScore),
      compared: compared.similarityScore,
      later: later.map((h) => [h.personId, h.similarityScore] as const),
      laterAlone: laterAlone.similarityScore,
    };
  });
  console.log(JSON.stringify(r));
  // One person: the search score is compareFaces' score of the same two photos.
  expect(r.one).toHaveLength(1);
  expect(r.compared).toBeGreaterThan(0);
  expect(r.compared).toBeLessThan(0.7);
  expect(r.one[0]).toBeCloseTo(r.compared, 4);
  // Four persons: subject 6 first, at or above the default 0.7, its score 0.1·log10 4 below the 1:1 score (which is
  // clipped at 1, so the search score is at least that).
  expect(r.later.map(([id]) => id)).toHaveLength(4);
  expect(r.later[0]![0]).toBe('s06');
  expect(r.later[0]![1]).toBeGreaterThanOrEqual(0.7);
  expect(r.later[0]![1]).toBeLessThan(r.laterAlone);
  expect(r.later[0]![1]).toBeGreaterThanOrEqual(r.laterAlone - 0.1 * Math.log10(4) - 1e-6);
  for (const [, score] of r.later.slice(1)) expect(score).toBeLessThan(0.7);
});

test('maxResults and minSimilarityScore: best first, each person once, only scores at or above the threshold', async ({
  facePage,
}) => {
  // A webcam frame of a person enrolled from another session scores inside (0.7, 1) here; the LFW photos of the
  // enrolled persons score exactly 1 (clipped), where "just above the best score" is out of range.
  const r = await facePage.evaluate(async (n) => {
    await window.client.enrollPerson({
      collectionName: n,
      personId: 's06',
      personName: 'subject 06',
      face: await window.fixture('camera/subject06-enroll.jpg'),
    });
    const face = await window.fixture('camera/subject06-later.jpg');
    const search = (minSimilarityScore: number, maxResults = 10) =>
      window.client.searchFace({ collectionName: n, face, minSimilarityScore, maxResults });
    const all = await search(0);
    const two = await search(0, 2);
    // At the best score exactly: that person (the threshold is "at or above"); just above it, nobody.
    const best = all[0]!.similarityScore;
    const atBest = (await search(best)).map((x) => x.personId);
    const aboveBest = (await search(best + 1e-9)).map((x) => x.personId);
    await window.client.deletePerson(n, 's06');
    return { all, two, atBest, aboveBest };
  }, collection);

  expect(r.all.map((x) => x.personId).sort()).toEqual(['colin', 'jennifer', 's06', 'serena', 'tony']);
  expect(r.all[0]!.personId).toBe('s06');
  expect(r.all[0]!.similarityScore).toBeGreaterThanOrEqual(0.7);
  expect(r.all[0]!.similarityScore).toBeLessThan(1);
  for (let i = 1; i < r.all.length; i++)
    expect(r.all[i - 1]!.similarityScore).toBeGreaterThanOrEqual(r.all[i]!.similarityScore);
  expect(r.all.slice(1).every((x) => x.similarityScore < 0.7)).toBe(true);
  expect(r.all.find((x) => x.personId === 'tony')!.faceBase64).toBe(''); // NoStorage
  expect(r.two.map((x) => x.personId)).toEqual(r.all.slice(0, 2).map((x) => x.personId));
  // The others score below 0.7, so the best score is the only edge between one hit and none.
  expect(r.atBest).toEqual(['s06']);
  expect(r.aboveBest).toEqual([]);
});

test('a stranger or an empty collection gives [], and errors carry their codes', async ({ facePage }) => {
  const r = await facePage.evaluate(async (n) => {
    const gloria = await window.fixture('lfw/Gloria_Macapagal_Arroyo_0001.jpg');
    const empty = `${n}-empty`;
    await window.client.createCollection(empty);
    const e = (req: object) => window.errorInfo(() => window.client.searchFace(req as never));
    const out = {
      stranger: await window.client.searchFace({ collectionName: n, face: gloria }),
      empty: await window.client.searchFace({ collectionName: empty, face: gloria }),
      noFace: await e({ collectionName: n, face: await window.fixture('no-face.jpg') }),
      undecodable: await e({ collectionName: n, face: 'data:image/jpeg;base64,/9j/AAAA' }),
      livenessNotBoolean: await e({ collectionName: n, face: gloria, checkLiveness: 1 }),
      maxResults: await e({ collectionName: n, face: gloria, maxResults: 0 }),
      minScore: await e({ collectionName: n, face: gloria, minSimilarityScore: 2 }),
      badName: await e({ collectionName: 'no spaces', face: gloria }),
      missing: await e({ collectionName: 'missing-collection', face: gloria }),
      multiNoFace: await window.errorInfo(async () =>
        window.client.multiFaceSearch({ collectionName: n, image: await window.fixture('no-face.jpg') }),
      ),
      multiBadScore: await window.errorInfo(() =>
        window.client.multiFaceSearch({ collectionName: n, image: gloria, minSimilarityScore: -1 }),
      ),
    };
    await window.client.deleteCollection(empty);
    return out;
  }, collection);
  expect(r.stranger).toEqual([]);
  expect(r.empty).toEqual([]);
  expectFaceError(r.noFace, 'ERR_FACE_NOT_DETECTED', 400);
  expectFaceError(r.undecodable, 'ERR_BASE64_IMAGE_CANNOT_BE_DECODED', 400);
  expect(expectFaceError(r.livenessNotBoolean, 'ERR_INVALID_ARGUMENT', 400).message).toMatch(/checkLiveness/);
  expectFaceError(r.maxResults, 'ERR_INVALID_ARGUMENT', 400);
  expectFaceError(r.minScore, 'ERR_INVALID_ARGUMENT', 400);
  expectFaceError(r.badName, 'ERR_INVALID_COLLECTION_NAME', 400);
  expectFaceError(r.missing, 'ERR_NOT_FOUND', 404);
  expectFaceError(r.multiNoFace, 'ERR_FACE_NOT_DETECTED', 400);
  expectFaceError(r.multiBadScore, 'ERR_INVALID_ARGUMENT', 400);
});

test('enrolling a small image with no face found says what to change (move closer), with the image size', async ({
  facePage,
}) => {
  const r = await facePage.evaluate(async (n) => {
    const small = async (name: string, width: number, height: number) => {
      const bitmap = await createImageBitmap(new Blob([(await window.fixture(name)) as Uint8Array<ArrayBuffer>]));
      const canvas = new OffscreenCanvas(width, height);
      canvas.getContext('2d')!.drawImage(bitmap, 0, 0, width, height);
      return canvas.convertToBlob({ type: 'image/jpeg', quality: 0.95 });
    };
    return {
      smallNoFace: await window.errorInfo(async () =>
        window.client.enrollPerson({
          collectionName: n,
          personId: 'nobody',
          personName: 'Nobody',
          face: await small('no-face.jpg', 168, 193),
        }),
      ),
      largeNoFace: await window.errorInfo(async () =>
        window.client.enrollPerson({
          collectionName: n,
          personId: 'nobody',
          personName: 'Nobody',
          face: await window.fixture('no-face.jpg'),
        }),
      ),
    };
  }, collection);
  expect(r.smallNoFace).toMatchObject({
    code: 'ERR_FACE_NOT_DETECTED',
    metadata: { width: 168, height: 193, reason: 'FACE_TOO_SMALL_OR_CUT' },
  });
  expect(r.smallNoFace!.message).toMatch(/168×193 px.*move closer/);
  expect(r.largeNoFace).toMatchObject({ code: 'ERR_FACE_NOT_DETECTED', metadata: { width: 1280, height: 800 } });
  expect(r.largeNoFace!.message).not.toMatch(/move closer/);
});

test('multiFaceSearch: a recognized face with its box, and a JPEG thumbnail for each face nobody matches', async ({
  facePage,
}) => {
  const r = await facePage.evaluate(async (n) => {
    const group = await window.fixture('two-people.jpg');
    const faces = await window.client.detectFaces(group);
    // Enroll one of the two people from this very photo (enroll takes the largest face); the other stays unknown.
    await window.client.enrollPerson({
      collectionName: n,
      personId: 'left',
      personName: 'Larger face',
      face: group,
      faceStorageType: 'StoreThumbnails',
    });
    const result = await window.client.multiFaceSearch({ collectionName: n, image: group });
    const sizes = await Promise.all(
      result.unrecognizedFaceThumbnailsBase64.map(async (b64) => {
        const img = new Image();
        img.src = `data:image/jpeg;base64,${b64}`;
        await img.decode();
        return [img.naturalWidth, img.naturalHeight];
      }),
    );
    await window.client.deletePerson(n, 'left');
    // The threshold at a hit's own score keeps it; just above, its face is unrecognised. A face enrolled from this
    // very photo scores 1, with nothing above it, so this is another photo of Tony Blair (enrolled from his first).
    const tony = await window.fixture('lfw/Tony_Blair_0002.jpg');
    const tonyHit = await window.client.multiFaceSearch({ collectionName: n, image: tony });
    const score = tonyHit.personSearchResults[0]?.similarityScore ?? 0;
    const atScore = await window.client.multiFaceSearch({ collectionName: n, image: tony, minSimilarityScore: score });
    const above = await window.client.multiFaceSearch({
      collectionName: n,
      image: tony,
      minSimilarityScore: score + 1e-9,
    });
    return { faces, result, sizes, tonyHit, atScore, above, score };
  }, collection);
  expect(r.faces).toHaveLength(2);
  expect(r.result.personSearchResults).toHaveLength(1);
  const hit = r.result.personSearchResults[0]!;
  expect(hit).toMatchObject({ personId: 'left', personName: 'Larger face' });
  expect(hit.similarityScore).toBeGreaterThanOrEqual(0.7);
  expect(hit.faceBase64.startsWith('/9j/')).toBe(true);
  // The box is one of the photo's two faces (enroll's single-face detector and the group detector may differ on
  // which of the two is larger, so either may be the enrolled one).
  const near = r.faces.filter(
    (f) => Math.abs(hit.box.x - f.box.x) < f.box.width * 0.2 && Math.abs(hit.box.y - f.box.y) < f.box.height * 0.2,
  );
  expect(near).toHaveLength(1);
  expect(r.result.unrecognizedFaceThumbnailsBase64).toHaveLength(1);
  expect(r.result.unrecognizedFaceThumbnailsBase64[0]!.startsWith('/9j/')).toBe(true);
  for (const [w, h] of r.sizes) {
    expect(Math.max(w!, h!)).toBeLessThanOrEqual(150);
    expect(Math.min(w!, h!)).toBeGreaterThan(30);
  }
  expect(r.tonyHit.personSearchResults.map((x) => x.personId)).toEqual(['tony']);
  expect(r.score).toBeGreaterThanOrEqual(0.7);
  expect(r.score).toBeLessThan(1);
  expect(r.atScore.personSearchResults.map((x) => x.personId)).toEqual(['tony']);
  expect(r.atScore.unrecognizedFaceThumbnailsBase64).toEqual([]);
  expect(r.above.personSearchResults).toEqual([]);
  expect(r.above.unrecognizedFaceThumbnailsBase64).toHaveLength(1);
});

test('multiFaceSearch finds every enrolled person that searchFace finds, on collages of real photos, and searchFace of the collage finds them all', async ({
  facePage,
}) => {
  // Three 250-px LFW photos side by side (750×250), drawn in the page: the same faces as the single photos, but the
  // group detector sees them among others. Candice Bergen's and Geoff Hoon's second photos lost most of their score
  // in a collage when the group detector's own keypoints were used for alignment.
  const collages = [
    ['Tony_Blair_0002', 'Candice_Bergen_0003', 'Colin_Powell_0002'],
    ['Geoff_Hoon_0002', 'Gloria_Macapagal_Arroyo_0001', 'Candice_Bergen_0003'],
    ['Colin_Powell_0002', 'Serena_Williams_0002', 'Geoff_Hoon_0002'],
    ['Gloria_Macapagal_Arroyo_0001', 'Colin_Powell_0003', 'Serena_Williams_0002'],
  ];
  const r = await facePage.evaluate(
    async ({ n, collages }) => {
      const f = (x: string) => window.fixture(`lfw/${x}.jpg`);
      await window.client.enrollPersons([
        { collectionName: n, personId: 'candice', personName: 'Candice Bergen', face: await f('Candice_Bergen_0002') },
        { collectionName: n, personId: 'geoff', personName: 'Geoff Hoon', face: await f('Geoff_Hoon_0001') },
      ]);
      const out: {
        photos: string[];
        single: Record<string, number>;
        multi: Record<string, number>;
        onCollage: Record<string, number>;
        unrecognized: number;
      }[] = [];
      for (const photos of collages) {
        const bitmaps = await Promise.all(
          photos.map(async (p) => createImageBitmap(new Blob([(await f(p)) as Uint8Array<ArrayBuffer>]))),
        );
        const canvas = new OffscreenCanvas(250 * photos.length, 250);
        bitmaps.forEach((b, i) => canvas.getContext('2d')!.drawImage(b, 250 * i, 0, 250, 250));
        const collage = await canvas.convertToBlob({ type: 'image/jpeg', quality: 0.95 });
        const single: Record<string, number> = {};
        for (const p of photos)
          for (const h of await window.client.searchFace({ collectionName: n, face: await f(p) }))
            single[h.personId] = h.similarityScore;
        const multi = await window.client.multiFaceSearch({ collectionName: n, image: collage });
        const onCollage = await window.client.searchFace({ collectionName: n, face: collage, maxResults: 3 });
        out.push({
          photos,
          single,
          multi: Object.fromEntries(multi.personSearchResults.map((h) => [h.personId, h.similarityScore])),
          onCollage: Object.fromEntries(onCollage.map((h) => [h.personId, h.similarityScore])),
          unrecognized: multi.unrecognizedFaceThumbnailsBase64.length,
        });
      }
      await window.client.deletePerson(n, 'candice');
      await window.client.deletePerson(n, 'geoff');
      return out;
    },
    { n: collection, collages },
  );
  for (const c of r) {
    const where = `${c.photos.join(' | ')}: searchFace ${JSON.stringify(c.single)}, multiFaceSearch ${JSON.stringify(c.multi)}, searchFace of the collage ${JSON.stringify(c.onCollage)}`;
    expect(Object.keys(c.single).length, where).toBeGreaterThanOrEqual(2);
    for (const [person, score] of Object.entries(c.single)) {
      expect(c.multi[person], where).toBeDefined();
      // The same face, so about the same score (what is left is the detector's few-pixel jitter between framings).
      expect(Math.abs(c.multi[person]! - score), where).toBeLessThan(0.05);
    }
    expect(Object.keys(c.multi).length + c.unrecognized, where).toBe(3);
    // searchFace searches each face of an image: on the collage it finds the persons multiFaceSearch names.
    expect(Object.keys(c.onCollage).sort(), where).toEqual(Object.keys(c.multi).sort());
  }
});

test("detectFaces' first face is the one compareFaces and validateFace take, also when two faces are almost the same size", async ({
  facePage,
}) => {
  // Two men whose faces differ by 2 % in width: the single-face calls and detectFaces once ranked them differently.
  const r = await facePage.evaluate(async () => {
    const blob = new Blob([(await window.fixture('two-people.jpg')) as BlobPart], { type: 'image/jpeg' });
    const faces = await window.client.detectFaces(blob, { quality: false, attributes: false });
    const bitmap = await createImageBitmap(blob);
    // Each face alone: a crop twice its box, as a portrait of that face.
    const scoreOf = async (box: { x: number; y: number; width: number; height: number }) => {
      const side = Math.max(box.width, box.height) * 2;
      const canvas = new OffscreenCanvas(320, 320);
      canvas
        .getContext('2d')!
        .drawImage(
          bitmap,
          box.x + box.width / 2 - side / 2,
          box.y + box.height / 2 - side / 2,
          side,
          side,
          0,
          0,
          320,
          320,
        );
      const crop = await canvas.convertToBlob({ type: 'image/jpeg', quality: 0.95 });
      return (await window.client.compareFaces(blob, crop)).similarityScore;
    };
    const validated = await window.client.validateFace(blob, {});
    return {
      widths: faces.map((f) => Math.round(f.box.width)),
      scores: [await scoreOf(faces[0]!.box), await scoreOf(faces[1]!.box)],
      validatedFirst: validated.ok ? validated.faces[0]!.box : null,
      detectedFirst: faces[0]!.box,
    };
  });
  expect(r.widths).toHaveLength(2);
  expect(Math.abs(r.widths[0]! - r.widths[1]!) / r.widths[0]!).toBeLessThan(0.1);
  expect(r.scores[0]).toBeGreaterThanOrEqual(0.7);
  expect(r.scores[1]).toBeLessThan(0.7);
  expect(r.validatedFirst).toEqual(r.detectedFirst);
});

test('multiFaceSearch of a group photo where no one is enrolled: every face is searched and comes back unrecognised', async ({
  facePage,
}) => {
  const r = await facePage.evaluate(async (n) => {
    const group = await window.fixture('group-solvay1927.jpg');
    return window.client.multiFaceSearch({ collectionName: n, image: group });
  }, collection);
  // None of the 1927 physicists is enrolled: all faces come back as thumbnails.
  expect(r.personSearchResults).toEqual([]);
  expect(r.unrecognizedFaceThumbnailsBase64.length).toBeGreaterThanOrEqual(28);
});

test('searchFace on a photo with several faces searches each and merges, best first', async ({ facePage }) => {
  const r = await facePage.evaluate(async (n) => {
    const group = await window.fixture('two-people.jpg');
    const faces = await window.client.detectFaces(group);
    // Enroll each of the two faces as its own person, from thumbnails returned by multiFaceSearch.
    const { unrecognizedFaceThumbnailsBase64: thumbs } = await window.client.multiFaceSearch({
      collectionName: n,
      image: group,
    });
    const upscale = async (b64: string) => {
      const img = new Image();
      img.src = `data:image/jpeg;base64,${b64}`;
      await img.decode();
      const c = new OffscreenCanvas(300, 300);
      c.getContext('2d')!.drawImage(img, 0, 0, 300, 300);
      return c.convertToBlob({ type: 'image/png' });
    };
    await window.client.enrollPerson({
      collectionName: n,
      personId: 'g1',
      personName: 'G1',
      face: await upscale(thumbs[0]!),
    });
    await window.client.enrollPerson({
      collectionName: n,
      personId: 'g2',
      personName: 'G2',
      face: await upscale(thumbs[1]!),
    });
    const results = await window.client.searchFace({ collectionName: n, face: group, maxResults: 5 });
    await window.client.deletePerson(n, 'g1');
    await window.client.deletePerson(n, 'g2');
    return { faces: faces.length, thumbs: thumbs.length, results };
  }, collection);
  expect(r.faces).toBe(2);
  expect(r.thumbs).toBe(2);
  expect(r.results.map((x) => x.personId).sort()).toEqual(['g1', 'g2']);
  expect(r.results[0]!.similarityScore).toBeGreaterThanOrEqual(r.results[1]!.similarityScore);
});

test('findLookAlikes: the closest pairs of different persons, most alike first, on the search scale', async ({
  facePage,
}) => {
  const r = await facePage.evaluate(async () => {
    const n = `lookalikes-${Date.now().toString(36)}`;
    const f = (x: string) => window.fixture(`lfw/${x}.jpg`);
    await window.client.createCollection(n);
    const people: [string, string][] = [
      ['colin', 'Colin_Powell_0001'],
      // The same man enrolled a second time under another id: the pair a deployment must be told about.
      ['colin-again', 'Colin_Powell_0003'],
      ['serena', 'Serena_Williams_0001'],
      ['tony', 'Tony_Blair_0001'],
      ['candice', 'Candice_Bergen_0002'],
    ];
    for (const [personId, file] of people)
      await window.client.enrollPerson({
        collectionName: n,
        personId,
        personName: personId,
        face: await f(file),
        faceStorageType: 'StoreThumbnails',
      });
    const e = (request: unknown) =>
      window.errorInfo(() =>
        window.client.findLookAlikes(request as Parameters<typeof window.client.findLookAlikes>[0]),
      );
    const empty = `${n}-empty`;
    await window.client.createCollection(empty);
    const out = {
      all: await window.client.findLookAlikes({ collectionName: n, maxPairs: 100 }),
      two: await window.client.collection(n).findLookAlikes({ maxPairs: 2 }),
      byDefault: await window.client.collection(n).findLookAlikes(),
      colinStored: (await window.client.getPerson(n, 'colin')).faces[0]!.faceBase64,
      colinSearch: await window.client.searchFace({
        collectionName: n,
        face: await f('Colin_Powell_0001'),
        maxResults: 2,
        minSimilarityScore: 0,
      }),
      empty: await window.client.findLookAlikes({ collectionName: empty }),
      zero: await e({ collectionName: n, maxPairs: 0 }),
      fraction: await e({ collectionName: n, maxPairs: 1.5 }),
      missing: await e({ collectionName: 'missing-collection' }),
    };
    await window.client.deleteCollection(n);
    await window.client.deleteCollection(empty);
    return out;
  });
  // 5 persons: 10 pairs, each once, most alike first.
  expect(r.all.personsCompared).toBe(5);
  expect(r.all.pairs).toHaveLength(10);
  const keys = r.all.pairs.map((p) => [p.personA.personId, p.personB.personId].sort().join('|'));
  expect(new Set(keys).size).toBe(10);
  const scores = r.all.pairs.map((p) => p.similarityScore);
  expect(scores).toEqual([...scores].sort((a, b) => b - a));
  // The one real look-alike (the same man twice) comes first and clears the default threshold; nobody else does.
  expect(keys[0]).toBe('colin|colin-again');
  expect(scores[0]).toBeGreaterThanOrEqual(0.7);
  for (const s of scores.slice(1)) expect(s).toBeLessThan(0.7);
  // Its score is what searchFace gives the other Colin for the same enrolled photo (a person scores by its mean template).
  const again = r.colinSearch.find((h) => h.personId === 'colin-again')!;
  expect(scores[0]).toBeCloseTo(again.similarityScore, 3);
  // Persons come with their names and stored faces.
  const colin = [r.all.pairs[0]!.personA, r.all.pairs[0]!.personB].find((p) => p.personId === 'colin')!;
  expect(colin).toMatchObject({ personName: 'colin', metadata: {} });
  expect(colin.faceBase64).toBe(r.colinStored);
  expect(colin).not.toHaveProperty('similarityScore');
  expect(r.two.pairs).toEqual(r.all.pairs.slice(0, 2));
  expect(r.byDefault.pairs).toEqual(r.all.pairs); // default maxPairs 10
  expect(r.empty).toEqual({ pairs: [], personsCompared: 0 });
  expectFaceError(r.zero, 'ERR_INVALID_ARGUMENT', 400);
  expectFaceError(r.fraction, 'ERR_INVALID_ARGUMENT', 400);
  expectFaceError(r.missing, 'ERR_NOT_FOUND', 404);
});

test('maxResults defaults to 1 even when every person passes the threshold', async ({ facePage }) => {
  const r = await facePage.evaluate(async (n) => {
    const face = await window.fixture('lfw/Serena_Williams_0002.jpg');
    return {
      all: await window.client.searchFace({ collectionName: n, face, minSimilarityScore: 0, maxResults: 10 }),
      byDefault: await window.client.searchFace({ collectionName: n, face, minSimilarityScore: 0 }),
    };
  }, collection);
  expect(r.all.length).toBe(4); // so a default above 1 would show
  expect(r.byDefault.map((x) => x.personId)).toEqual(['serena']);
});

test('multiFaceSearch names a person once when two faces of the image match that person', async ({ facePage }) => {
  const r = await facePage.evaluate(async (n) => {
    // Two photos of Colin Powell side by side: both faces match colin.
    const photos = ['Colin_Powell_0002', 'Colin_Powell_0003'];
    const bitmaps = await Promise.all(
      photos.map(async (p) =>
        createImageBitmap(new Blob([(await window.fixture(`lfw/${p}.jpg`)) as Uint8Array<ArrayBuffer>])),
      ),
    );
    const canvas = new OffscreenCanvas(500, 250);
    bitmaps.forEach((b, i) => canvas.getContext('2d')!.drawImage(b, 250 * i, 0, 250, 250));
    const image = await canvas.convertToBlob({ type: 'image/jpeg', quality: 0.95 });
    const each = [];
    for (const p of photos)
      each.push(
        (await window.client.searchFace({ collectionName: n, face: await window.fixture(`lfw/${p}.jpg`) }))[0]
          ?.personId,
      );
    const multi = await window.client.multiFaceSearch({ collectionName: n, image });
    return {
      each,
      named: multi.personSearchResults.map((x) => x.personId),
      unrecognized: multi.unrecognizedFaceThumbnailsBase64.length,
    };
  }, collection);
  expect(r.each).toEqual(['colin', 'colin']); // each face alone is colin
  expect(r.named).toEqual(['colin']); // ... but he is named once
  expect(r.unrecognized).toBe(1); // and the other face is left unrecognised: every face is in one list
});
