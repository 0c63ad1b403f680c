// The face tracker (API.md "Live video: the face tracker") on clips made from real webcam frames
// (e2e/fixtures/camera/, SOURCE.md there): each clip is one photo drawn into 640×480 frames with a few pixels of
// movement per frame, fed to tracker.process with timestamps 100 ms apart, on the page thread and in a Worker.
import type { Page } from '@playwright/test';
import { test, expect, expectFaceError } from './localface';

test.describe.configure({ mode: 'serial' });
test.skip(({ backend }) => backend !== 'wasm', 'the tracker runs on the wasm project only');

type Frame = string | null; // a fixture path, or null for an empty grey frame

declare global {
  interface Window {
    /**
     * A 640×480 canvas showing fixture `name` fitted to the frame, scaled by `scale` (0.3: a person far from the
     * camera) and shifted by (dx, dy), or grey when name is null.
     */
    cameraFrame(name: Frame, dx: number, dy: number, scale?: number): Promise<HTMLCanvasElement>;
    /** Feeds `frames` to `tracker` (100 ms apart from `startMs`) as `as`, and returns a summary per frame. */
    runClip(
      tracker: import('../src/index').FaceTracker,
      frames: Frame[],
      startMs: number,
      as?: string,
    ): Promise<ClipFrame[]>;
  }
}

interface ClipFrame {
  tracks: {
    trackId: number;
    personId: string | null;
    similarity: number | null;
    live: boolean | null;
    code: string | null;
    framesUsed: number;
    framesSeen: number;
    x: number;
    quality: boolean;
  }[];
  timings: Record<string, number>;
  tensors: number;
}

const ENROLL = 'camera/subject06-enroll.jpg';
const LATER = 'camera/subject06-later.jpg';
const PRINT = 'camera/subject06-print.jpg';
const STRANGER = 'camera/subject14.jpg';
const TWO = 'two-people.jpg';
const COLLECTION = 'tracker-e2e';
const clip = (name: Frame, n: number): Frame[] => Array(n).fill(name);

test.beforeAll(async ({ facePage }) => {
  await facePage.evaluate(async (collection) => {
    window.cameraFrame = async (name, dx, dy, scale = 1) => {
      const canvas = document.createElement('canvas');
      canvas.width = 640;
      canvas.height = 480;
      const g = canvas.getContext('2d')!;
      g.fillStyle = '#808080';
      g.fillRect(0, 0, 640, 480);
      if (name) {
        const bitmap = await createImageBitmap(new Blob([(await window.fixture(name)) as Uint8Array<ArrayBuffer>]));
        const fit = Math.min(640 / bitmap.width, 480 / bitmap.height) * scale;
        const w = bitmap.width * fit,
          h = bitmap.height * fit;
        g.drawImage(bitmap, (640 - w) / 2 + dx, (480 - h) / 2 + dy, w, h);
      }
      return canvas;
    };
    window.runClip = async (tracker, frames, startMs, as = 'ImageBitmap') => {
      const out: ClipFrame[] = [];
      for (let i = 0; i < frames.length; i++) {
        const canvas = await window.cameraFrame(frames[i]!, (i % 4) * 3 - 4, (i % 3) * 2 - 2);
        let frame: import('../src/index').VideoFrameInput = canvas;
        if (as === 'ImageBitmap') frame = await createImageBitmap(canvas);
        else if (as === 'ImageData') frame = canvas.getContext('2d')!.getImageData(0, 0, 640, 480);
        else if (as === 'VideoFrame') frame = new VideoFrame(canvas, { timestamp: i * 100_000 });
        const update = await tracker.process(frame, startMs + i * 100);
        if (frame instanceof ImageBitmap || frame instanceof VideoFrame) frame.close();
        out.push({
          tracks: update.tracks.map((t) => ({
            trackId: t.trackId,
            personId: t.match?.personId ?? null,
            similarity: t.match?.similarityScore ?? null,
            live: t.liveness?.live ?? null,
            code: t.liveness?.code ?? null,
            framesUsed: t.liveness?.framesUsed ?? 0,
            framesSeen: t.framesSeen,
            x: t.box.x,
            quality: t.quality !== undefined,
          })),
          timings: { ...update.timings },
          tensors: window.tensorCount(),
        });
      }
      return out;
    };
    const existing = await window.client.listCollections();
    if (existing.some((c) => c.name === collection)) await window.client.deleteCollection(collection);
    await window.client.createCollection(collection);
  }, COLLECTION);
});

test('enroll from a track, then the same person in another session is one track, recognised and live', async ({
  facePage,
}) => {
  test.setTimeout(300_000);
  const enrolled = await facePage.evaluate(
    async ({ frames, collection }) => {
      const tracker = window.client.createFaceTracker({ collectionName: collection, liveness: true });
      const seen = await window.runClip(tracker, frames, 0);
      const trackId = seen[seen.length - 1]!.tracks[0]!.trackId;
      const person = await tracker.enroll(trackId, {
        collectionName: collection,
        personId: 's06',
        personName: 'Subject Six',
        faceStorageType: 'StoreThumbnails',
      });
      const stored = await window.client.getPerson(collection, 's06');
      // The same frames whole (StoreFullImage), in a collection of their own: each stored face is a 640×480 frame.
      const frameCollection = `${collection}-frames`;
      await window.client.createCollection(frameCollection);
      const whole = await tracker.enroll(trackId, {
        collectionName: frameCollection,
        personId: 's06',
        personName: 'Subject Six',
        faceStorageType: 'StoreFullImage',
      });
      const size = async (base64: string) => {
        const bitmap = await createImageBitmap(new Blob([Uint8Array.from(atob(base64), (c) => c.charCodeAt(0))]));
        return `${bitmap.width}x${bitmap.height}`;
      };
      const frameFaces = (await window.client.getPerson(frameCollection, 's06')).faces;
      const frameSizes = await Promise.all([whole.faceBase64, ...frameFaces.map((f) => f.faceBase64)].map(size));
      await window.client.deleteCollection(frameCollection);
      const after = await window.runClip(tracker, frames.slice(0, 1), 1000);
      tracker.close();
      return {
        seen,
        person,
        faceCount: stored.faceCount,
        thumbnail: stored.faces[0]!.faceBase64.length,
        frameSizes,
        after,
      };
    },
    { frames: clip(ENROLL, 6), collection: COLLECTION },
  );
  expect(enrolled.seen.every((f) => f.tracks.length === 1)).toBe(true);
  expect(new Set(enrolled.seen.map((f) => f.tracks[0]!.trackId)).size).toBe(1);
  expect(enrolled.seen[0]!.tracks[0]!.personId).toBeNull(); // nobody enrolled yet
  expect(enrolled.person).toMatchObject({ personId: 's06', personName: 'Subject Six' });
  expect(enrolled.faceCount).toBeGreaterThanOrEqual(1);
  expect(enrolled.faceCount).toBeLessThanOrEqual(5);
  expect(enrolled.thumbnail).toBeGreaterThan(100);
  expect(enrolled.frameSizes).toHaveLength(enrolled.faceCount + 1);
  expect(new Set(enrolled.frameSizes)).toEqual(new Set(['640x480']));
  expect(enrolled.after[0]!.tracks[0]).toMatchObject({
    trackId: enrolled.seen[0]!.tracks[0]!.trackId,
    personId: 's06',
  });

  const later = await facePage.evaluate(
    async ({ frames, collection }) => {
      const tracker = window.client.createFaceTracker({ collectionName: collection, liveness: true });
      const seen = await window.runClip(tracker, frames, 0, 'HTMLCanvasElement');
      tracker.close();
      return seen;
    },
    { frames: clip(LATER, 7), collection: COLLECTION },
  );
  expect(later.every((f) => f.tracks.length === 1)).toBe(true);
  expect(new Set(later.map((f) => f.tracks[0]!.trackId)).size).toBe(1);
  expect(later[0]!.tracks[0]!.personId).toBe('s06'); // recognised on the first frame
  const last = later[later.length - 1]!.tracks[0]!;
  expect(last).toMatchObject({ personId: 's06', live: true, code: null, quality: true });
  expect(last.similarity!).toBeGreaterThanOrEqual(0.7);
  expect(last.framesUsed).toBeGreaterThanOrEqual(2);
  expect(later[0]!.tracks[0]!.live).toBeNull(); // never decided on one frame
  // This face is clearly live in both of its first frames: a third could not change the decision, so it is made now.
  expect(later[1]!.tracks[0]).toMatchObject({ live: true, framesUsed: 2 });
  expect(later[later.length - 1]!.tensors).toBe(later[2]!.tensors);
});

test('a printed photo of the enrolled person is not live; a stranger is not matched', async ({ facePage }) => {
  test.setTimeout(300_000);
  const result = await facePage.evaluate(
    async ({ print, stranger, collection }) => {
      const tracker = window.client.createFaceTracker({ collectionName: collection, liveness: true });
      const printed = await window.runClip(tracker, print, 0, 'ImageData');
      tracker.reset();
      const strangers = await window.runClip(tracker, stranger, 5000, 'VideoFrame');
      // A frame still in work when reset() is called: its tracks are forgotten, not returned.
      const inWork = tracker.process(await window.cameraFrame(stranger[0]!, 0, 0), 9000);
      tracker.reset();
      const afterReset = (await inWork).tracks.length;
      tracker.close();
      return { printed, strangers, afterReset };
    },
    { print: clip(PRINT, 7), stranger: clip(STRANGER, 7), collection: COLLECTION },
  );
  const print = result.printed[result.printed.length - 1]!.tracks[0]!;
  expect(print).toMatchObject({ live: false, code: 'FACE_NOT_LIVE' });
  expect(result.strangers.every((f) => f.tracks.length === 1 && f.tracks[0]!.personId === null)).toBe(true);
  expect(result.afterReset).toBe(0);
});

/** `frames` through a fresh tracker that searches the suite's collection (no liveness), then closed. */
function recognitionClip(page: Page, frames: Frame[]): Promise<ClipFrame[]> {
  return page.evaluate(
    async ({ frames, collection }) => {
      const tracker = window.client.createFaceTracker({ collectionName: collection });
      const seen = await window.runClip(tracker, frames, 0);
      tracker.close();
      return seen;
    },
    { frames, collection: COLLECTION },
  );
}

test('a stranger who takes a recognised person’s place between two frames gets a new track, not the name', async ({
  facePage,
}) => {
  test.setTimeout(240_000);
  const frames = await recognitionClip(facePage, [...clip(LATER, 6), ...clip(STRANGER, 12)]);
  const recognised = frames[5]!.tracks[0]!;
  expect(recognised.personId).toBe('s06');
  // No frame is missed: the box moves on to the stranger's face, whom the plain score finds alike (0.56).
  expect(frames.every((f) => f.tracks.length === 1)).toBe(true);
  const last = frames.at(-1)!.tracks[0]!;
  expect(last.trackId).not.toBe(recognised.trackId);
  expect(last.personId).toBeNull();
  expect(frames.slice(8).every((f) => f.tracks[0]!.personId !== 's06')).toBe(true);
});

test('two people in one frame are two tracks with different, stable ids', async ({ facePage }) => {
  test.setTimeout(240_000);
  const frames = await facePage.evaluate(
    async (frames) => {
      const tracker = window.client.createFaceTracker({ maxFaces: 5 });
      const seen = await window.runClip(tracker, frames, 0);
      tracker.close();
      return seen;
    },
    clip(TWO, 4),
  );
  for (const f of frames) expect(f.tracks).toHaveLength(2);
  const byPosition = (f: ClipFrame) => [...f.tracks].sort((a, b) => a.x - b.x).map((t) => t.trackId);
  const ids = byPosition(frames[0]!);
  expect(ids[0]).not.toBe(ids[1]);
  for (const f of frames) expect(byPosition(f)).toEqual(ids);
  expect(frames[frames.length - 1]!.tracks.every((t) => t.personId === null && t.live === null)).toBe(true);
});

test('a person who leaves and comes back is a new track, recognised as the same person', async ({ facePage }) => {
  test.setTimeout(240_000);
  const frames = await recognitionClip(facePage, [...clip(LATER, 3), ...clip(null, 5), ...clip(LATER, 3)]);
  expect(frames.slice(3, 8).every((f) => f.tracks.length === 0)).toBe(true);
  const before = frames[2]!.tracks[0]!,
    after = frames[10]!.tracks[0]!;
  expect(before.personId).toBe('s06');
  expect(after.personId).toBe('s06');
  expect(after.trackId).not.toBe(before.trackId);
  expect(new Set(frames.slice(8).map((f) => f.tracks[0]!.trackId)).size).toBe(1);
});

test('an empty scene is searched with the short-range detector, and fully twice a second: a far face is found and kept', async ({
  facePage,
}) => {
  test.setTimeout(240_000);
  const seen = await facePage.evaluate(async (name) => {
    const tracker = window.client.createFaceTracker();
    const out: { at: number; faces: number; trackId: number | null }[] = [];
    // 1.2 s of an empty scene, then a person far from the camera (a ~56-px face in 640×480, which only the
    // full-range model finds) for 1.5 s, 100 ms apart.
    for (let i = 0; i < 27; i++) {
      const canvas = await window.cameraFrame(i < 12 ? null : name, (i % 4) * 3 - 4, (i % 3) * 2 - 2, 0.3);
      const update = await tracker.process(canvas, i * 100);
      out.push({
        at: i * 100,
        faces: update.tracks.length,
        trackId: update.tracks[0]?.trackId ?? null,
      });
    }
    // The same far face as the first frame of a new tracker (full detection at once).
    tracker.reset();
    const first = await tracker.process(await window.cameraFrame(name, 0, 0, 0.3), 10_000);
    tracker.close();
    return { out, foundOnFirstFullFrame: first.tracks.length };
  }, LATER);
  // The far face is one the short-range model misses (else this test would not show the full pass at work) ...
  expect(seen.foundOnFirstFullFrame).toBe(1);
  const firstSeen = seen.out.findIndex((f) => f.faces > 0);
  // Entering between full passes (at 0, 0.5 and 1 s), the short-range passes do not see it ...
  expect(seen.out[12]!.faces).toBe(0);
  // ... it is found within 0.5 s of entering (the next full pass), then followed as one track (at this size the
  // detector misses it in an occasional frame; the track outlives such a gap).
  expect(firstSeen).toBeGreaterThan(12);
  expect(seen.out[firstSeen]!.at - seen.out[12]!.at).toBeLessThanOrEqual(500);
  const after = seen.out.slice(firstSeen);
  expect(after.filter((f) => f.faces === 1).length).toBeGreaterThanOrEqual(0.8 * after.length);
  expect(new Set(after.filter((f) => f.faces === 1).map((f) => f.trackId)).size).toBe(1);
});

test('faces further back than a tracked one are tracked too, within 0.5 s, each with its own stable id', async ({
  facePage,
}) => {
  test.setTimeout(240_000);
  const seen = await facePage.evaluate(async (near) => {
    const load = async (name: string) =>
      createImageBitmap(new Blob([(await window.fixture(name)) as Uint8Array<ArrayBuffer>]));
    const person = await load(near);
    // Three people further back: LFW portraits drawn 120 px square (~48-px faces), right of the near person.
    const far = await Promise.all(
      ['Colin_Powell_0001', 'Tony_Blair_0001', 'Serena_Williams_0001'].map((n) => load(`lfw/${n}.jpg`)),
    );
    const tracker = window.client.createFaceTracker();
    const out: { at: number; ids: number[]; sides: number[] }[] = [];
    for (let i = 0; i < 10; i++) {
      const canvas = await window.cameraFrame(null, 0, 0); // an empty grey frame
      const g = canvas.getContext('2d')!;
      far.forEach((b, k) => g.drawImage(b, 400 + (k % 2) * 120 + (i % 3), 40 + k * 140, 120, 120));
      g.drawImage(person, -80 + (i % 3) * 2, 0, 480, (480 * person.height) / person.width);
      const update = await tracker.process(canvas, i * 100);
      out.push({
        at: i * 100,
        ids: update.tracks.map((t) => t.trackId),
        sides: update.tracks.map((t) => Math.round(t.box.width)),
      });
    }
    tracker.close();
    return out;
  }, LATER);
  // The near face is found at once and keeps its id; it is the largest, listed first.
  const nearId = seen[0]!.ids[0];
  for (const f of seen) expect(f.ids[0]).toBe(nearId);
  expect(seen[0]!.sides[0]).toBeGreaterThan(120);
  // The short-range model, which alone sees the first frame, finds the near face only; the faces further back are
  // found on a frame with both models (within 0.5 s) and followed, at their size missed in an occasional frame.
  const firstFar = seen.findIndex((f) => f.ids.length > 1);
  expect(firstFar).toBeGreaterThan(0);
  expect(seen[firstFar]!.at).toBeLessThanOrEqual(500);
  const after = seen.slice(firstFar);
  expect(after.every((f) => f.ids.length >= 2)).toBe(true);
  // Two of the three (the third, at the detectors' limit, is not found here) on most frames.
  expect(after.filter((f) => f.ids.length >= 3).length).toBeGreaterThanOrEqual(after.length / 2);
  for (const f of after) for (const side of f.sides.slice(1)) expect(side).toBeLessThan(60);
  // Each far face keeps its id: no more ids than faces.
  expect(new Set(after.flatMap((f) => f.ids)).size).toBeLessThanOrEqual(4);
});

test('small faces in a group moving a pixel a frame stay tracked: a dip of their detection score is no exit', async ({
  facePage,
}) => {
  test.setTimeout(240_000);
  const frames = await facePage.evaluate(async () => {
    const names = ['Candice_Bergen_0002', 'Colin_Powell_0001', 'Geoff_Hoon_0001', 'Gloria_Macapagal_Arroyo_0001'];
    const portraits = await Promise.all(
      [...names, 'Jennifer_Aniston_0001', 'Serena_Williams_0001', 'Tony_Blair_0001', 'Candice_Bergen_0003'].map(
        async (n) => createImageBitmap(new Blob([(await window.fixture(`lfw/${n}.jpg`)) as Uint8Array<ArrayBuffer>])),
      ),
    );
    const tracker = window.client.createFaceTracker({ maxFaces: 20 });
    const out: number[][] = [];
    // Eight LFW portraits drawn 140 px square (55–63-px faces) in a 640×480 frame, the picture moving right by one
    // pixel a frame: the full-range model's score of such a face moves by up to 0.13 from one pixel to the next.
    for (let i = 0; i < 24; i++) {
      const canvas = await window.cameraFrame(null, 0, 0);
      const g = canvas.getContext('2d')!;
      portraits.forEach((b, k) => g.drawImage(b, 12 + i + (k % 4) * 150, 80 + Math.floor(k / 4) * 160, 140, 140));
      out.push((await tracker.process(canvas, i * 100)).tracks.map((t) => t.trackId));
    }
    tracker.close();
    return out;
  });
  // Once found, a face stays in the tracks: with one score threshold, a face whose score dipped under it for a frame
  // left them (11 exits in these frames); with a lower one for tracked faces, those the full-range model missed
  // outright still did (3), until a missed face was looked for on a crop around where it was (0).
  const settled = frames.slice(frames.findIndex((ids) => ids.length >= 6));
  let exits = 0;
  for (let i = 1; i < settled.length; i++) exits += settled[i - 1]!.filter((id) => !settled[i]!.includes(id)).length;
  expect(settled.length).toBeGreaterThan(15);
  expect(exits).toBeLessThanOrEqual(1);
  expect(settled.reduce((n, ids) => n + ids.length, 0) / settled.length).toBeGreaterThanOrEqual(8);
});

test('process never queues, rejects bad frames and timestamps, and is closed after close()', async ({ facePage }) => {
  const errors = await facePage.evaluate(async () => {
    const tracker = window.client.createFaceTracker();
    const canvas = await window.cameraFrame('camera/subject06-later.jpg', 0, 0);
    const first = tracker.process(canvas, 0);
    const overlapping = await window.errorInfo(() => tracker.process(canvas, 1));
    await first;
    const badFrame = await window.errorInfo(() => tracker.process('not a frame' as never, 2));
    const badTime = await window.errorInfo(() => tracker.process(canvas, Number.NaN));
    const badOption = await window.errorInfo(async () => window.client.createFaceTracker({ maxFaces: 0 }));
    const noTrack = await window.errorInfo(() =>
      tracker.enroll(999, { collectionName: 'x', personId: 'a', personName: 'A' }),
    );
    tracker.close();
    const closed = await window.errorInfo(() => tracker.process(canvas, 3));
    // VideoFrame is an image input everywhere (its pixels read by copyTo, the same pixels as the canvas's: the same
    // faces to the last digit), and a closed one is refused with a reason.
    const videoFrame = new VideoFrame(canvas, { timestamp: 0 });
    const facesInVideoFrame = await window.client.detectFaces(videoFrame, { quality: false, attributes: false });
    videoFrame.close();
    const facesInCanvas = await window.client.detectFaces(canvas, { quality: false, attributes: false });
    const closedFrame = await window.errorInfo(() => window.client.detectFaces(videoFrame));
    return {
      overlapping,
      badFrame,
      badTime,
      badOption,
      noTrack,
      closed,
      facesInVideoFrame,
      facesInCanvas,
      closedFrame,
    };
  });
  expect(errors.facesInVideoFrame.length).toBeGreaterThanOrEqual(1);
  expect(errors.facesInVideoFrame).toEqual(errors.facesInCanvas);
  expectFaceError(errors.closedFrame, 'ERR_INVALID_ARGUMENT');
  expectFaceError(errors.overlapping, 'ERR_INVALID_ARGUMENT');
  expect(errors.overlapping!.message).toMatch(/skip this frame/);
  expectFaceError(errors.badFrame, 'ERR_INVALID_ARGUMENT');
  expectFaceError(errors.badTime, 'ERR_INVALID_ARGUMENT');
  expectFaceError(errors.badOption, 'ERR_INVALID_ARGUMENT');
  expectFaceError(errors.noTrack, 'ERR_NOT_FOUND');
  expectFaceError(errors.closed, 'ERR_INVALID_ARGUMENT');
});

test('a whole frame that could not be encoded: enroll with StoreFullImage is ERR_INTERNAL and stores nothing', async ({
  facePage,
}) => {
  const result = await facePage.evaluate(
    async (frames) => {
      const collection = 'tracker-e2e-unencoded';
      await window.client.createCollection(collection);
      // The browser's JPEG encoder fails for whole frames only (thumbnails are at most 150 px).
      const encode = OffscreenCanvas.prototype.convertToBlob;
      OffscreenCanvas.prototype.convertToBlob = function (this: OffscreenCanvas, options) {
        return this.width >= 640 ? Promise.reject(new Error('encoder out of memory')) : encode.call(this, options);
      };
      try {
        const tracker = window.client.createFaceTracker();
        const seen = await window.runClip(tracker, frames, 0);
        const trackId = seen[seen.length - 1]!.tracks[0]!.trackId;
        const request = { collectionName: collection, personId: 'p', personName: 'P' };
        const refused = await window.errorInfo(() =>
          tracker.enroll(trackId, { ...request, faceStorageType: 'StoreFullImage' }),
        );
        const afterRefusal = await window.errorInfo(() => window.client.getPerson(collection, 'p'));
        const thumbnails = await tracker.enroll(trackId, { ...request, faceStorageType: 'StoreThumbnails' });
        tracker.close();
        return { refused, afterRefusal, thumbnail: thumbnails.faceBase64.length };
      } finally {
        OffscreenCanvas.prototype.convertToBlob = encode;
        await window.client.deleteCollection(collection);
      }
    },
    clip('camera/subject06-later.jpg', 3),
  );
  const error = expectFaceError(result.refused, 'ERR_INTERNAL');
  expect(error.message).toMatch(/could not be encoded as JPEG \(encoder out of memory\): nothing was stored/);
  expectFaceError(result.afterRefusal, 'ERR_NOT_FOUND');
  expect(result.thumbnail).toBeGreaterThan(100);
});

test('in a Worker: ImageBitmap, OffscreenCanvas and VideoFrame frames; one track, recognised, no tensor growth', async ({
  facePage,
}) => {
  test.setTimeout(300_000);
  const result = await facePage.evaluate(async (collection) => {
    const worker = new Worker('/e2e/pages/trackerWorker.js', { type: 'module' });
    let nextId = 1;
    const call = (message: Record<string, unknown>, transfer: Transferable[] = []) =>
      // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the worker's replies differ per message type
      new Promise<any>((resolve, reject) => {
        const id = nextId++;
        const onMessage = (event: MessageEvent) => {
          if (event.data.id !== id) return;
          worker.removeEventListener('message', onMessage);
          if (event.data.error) reject(Object.assign(new Error(event.data.error.message), event.data.error));
          else resolve(event.data.result);
        };
        worker.addEventListener('message', onMessage);
        worker.postMessage({ ...message, id }, transfer);
      });
    const init = await call({
      kind: 'init',
      databaseName: 'localface',
      options: { collectionName: collection, liveness: true },
    });
    const updates = [];
    const kinds = [
      'ImageBitmap',
      'OffscreenCanvas',
      'VideoFrame',
      'ImageBitmap',
      'OffscreenCanvas',
      'VideoFrame',
      'ImageBitmap',
      'OffscreenCanvas',
      'VideoFrame',
      'ImageBitmap',
      'OffscreenCanvas',
      'VideoFrame',
    ];
    for (let i = 0; i < kinds.length; i++) {
      const bitmap = await createImageBitmap(await window.cameraFrame('camera/subject06-later.jpg', i * 2, 0));
      updates.push(await call({ kind: 'frame', bitmap, as: kinds[i], timestampMs: i * 100 }, [bitmap]));
    }
    const threads = await call({ kind: 'threads' });
    await call({ kind: 'close' });
    worker.terminate();
    return {
      init,
      threads,
      updates: updates.map((u) => ({
        ids: u.tracks.map((t: { trackId: number }) => t.trackId),
        personId: u.tracks[0]?.match?.personId ?? null,
        live: u.tracks[0]?.liveness?.live ?? null,
        tensors: u.tensors,
        timings: u.timings,
      })),
    };
  }, COLLECTION);
  expect(result.init.backend).toBe('wasm');
  // The library in a Worker starts its embedding Worker as a nested one.
  expect(result.threads).toBe(2);
  expect(result.updates.every((u) => u.ids.length === 1 && u.ids[0] === result.updates[0]!.ids[0])).toBe(true);
  expect(result.updates.every((u) => u.personId === 's06')).toBe(true);
  expect(result.updates[result.updates.length - 1]!.live).toBe(true);
  // Counted from the first frame with both detectors (at 0.5 s, when the full-range model loads), over the second
  // (at 1 s): no growth.
  expect(result.updates[result.updates.length - 1]!.tensors).toBe(result.updates[5]!.tensors);
  for (const key of ['decodeMs', 'detectMs', 'embedMs', 'searchMs', 'checksMs'])
    expect(result.updates[0]!.timings).toHaveProperty(key);
});
