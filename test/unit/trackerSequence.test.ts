import { FaceError } from '../../src/errors';
import { describe, expect, it, vi } from 'vitest';
import { DEFAULT_LIVENESS_THRESHOLDS } from '../../src/face/checks';
import { contestedGroups } from '../../src/tracker/association';
import type { FaceTemplate } from '../../src/vocabulary';
import { syntheticFace } from '../support/syntheticFace';

// The JPEG encoders need a canvas: stand-ins that a test can hold back or make fail. Each whole-frame JPEG is a
// Blob of the frame's number (frames are counted by their pixels object).
const thumbnails = vi.hoisted(() => ({
  wait: undefined as Promise<void> | undefined,
  fail: false,
  wholeFail: false,
  wholeWait: undefined as Promise<void> | undefined,
  wholeFrames: [] as object[],
  /** A GPU context loss, as the engine's untilContextLoss reports it. */
  contextLost: undefined as Promise<never> | undefined,
}));
vi.mock('../../src/face/thumbnail', () => ({
  faceThumbnail: async () => {
    await thumbnails.wait;
    if (thumbnails.fail) throw new Error('no canvas');
    return new Blob(['x']);
  },
  fullImageJpeg: async (pixels: object) => {
    if (thumbnails.wholeFail) throw new Error('no canvas');
    await thumbnails.wholeWait;
    thumbnails.wholeFrames.push(pixels);
    return new Blob([`frame ${thumbnails.wholeFrames.length}`]);
  },
}));
const { createFaceTracker } = await import('../../src/tracker/faceTracker');
type TrackedFace = Awaited<ReturnType<ReturnType<typeof createFaceTracker>['process']>>['tracks'][number];

/** Frames are ImageData; the engine below never reads their pixels. */
class FakeImageData {
  width = 640;
  height = 480;
}
(globalThis as unknown as { ImageData: unknown }).ImageData ??= FakeImageData;
const frame = () => new (globalThis as unknown as { ImageData: new () => ImageData }).ImageData();

const face = (x: number, y: number) => syntheticFace(x, y, 150, undefined, 0.95);

/**
 * A tracker on a scripted scene: `scene.faces` are what the detector finds, `scene.who` which person each is. Person
 * k's template is the k-th unit vector, and the collection names person k "pk".
 */
function scriptedTracker() {
  const scene: {
    faces: ReturnType<typeof face>[];
    who: number[];
    width: number;
    height: number;
    /** What a crop around a tracked face's last box finds when the whole frame misses it. */
    near: ReturnType<typeof face>[];
    /** The next frames do not decode (a closed VideoFrame, an empty canvas). */
    refuse?: boolean;
    /** The next frames' decoding waits for this. */
    hold?: Promise<void>;
  } = {
    faces: [],
    who: [],
    near: [],
    width: 640,
    height: 480,
  };
  let embeddings = 0;
  const engine = {
    withImage: async (_f: unknown, _n: string, use: (d: unknown) => Promise<unknown>) => {
      await scene.hold;
      if (scene.refuse) throw new FaceError('ERR_INVALID_ARGUMENT', 'The frame is closed.');
      return use({
        pixels: {},
        width: scene.width,
        height: scene.height,
        inputWidth: scene.width,
        inputHeight: scene.height,
      });
    },
    detect: async () => scene.faces.map((f) => ({ ...f })),
    // What a crop around a tracked face's last box finds (faces the whole frame missed): scene.near.
    findNear: async () => scene.near.map((f) => ({ ...f })),
    embed: async (_p: unknown, faces: { box: { x: number } }[]) =>
      faces.map((f): FaceTemplate => {
        embeddings++;
        const v = new Float32Array(4);
        v[scene.who[scene.faces.findIndex((g) => g.box.x === f.box.x)] ?? 0] = 1;
        return { models: ['m'], vectors: [v] };
      }),
    frameChecks: async (_p: unknown, faces: unknown[], due: (i: number) => boolean) =>
      faces.map((_f, i) => ({
        quality: { blur: 0.1, dark: 0, grayscale: 0, ok: true },
        ...(due(i)
          ? {
              evidence: {
                geometry: [],
                rawScore: DEFAULT_LIVENESS_THRESHOLDS.trackLive + 3,
                attributes: { sunglasses: 0, mask: 0, veil: 0, hat: 0 },
              },
            }
          : {}),
      })),
    similarity: (a: FaceTemplate, b: FaceTemplate) => a.vectors[0]!.reduce((s, x, i) => s + x * b.vectors[0]![i]!, 0),
    compare: (a: FaceTemplate, b: FaceTemplate) => a.vectors[0]!.reduce((s, x, i) => s + x * b.vectors[0]![i]!, 0),
    livenessThresholds: DEFAULT_LIVENESS_THRESHOLDS,
    untilContextLoss: <T>(work: Promise<T>) => work,
  };
  const persons = {
    /** As PersonService: changes with every change of a search index; `removed` persons are no longer found. */
    indexVersion: 0,
    removed: new Set<string>(),
    searches: 0,
    searchTemplate: async (_c: string, t: FaceTemplate) => {
      persons.searches++;
      const v = [...t.vectors[0]!];
      const k = v.indexOf(Math.max(...v));
      if (persons.removed.has(`p${k}`)) return [];
      return [{ personId: `p${k}`, personName: `P${k}`, metadata: {}, similarityScore: 0.9 }];
    },
  };
  const tracker = createFaceTracker(
    { engine: engine as never, persons: async () => persons as never, during: (work) => work() },
    { collectionName: 'c', liveness: true },
  );
  const run = async (from: number, to: number) => {
    let update = await tracker.process(frame(), from);
    for (let t = from + 33; t <= to; t += 33) update = await tracker.process(frame(), t);
    return update;
  };
  return { tracker, scene, run, persons, embeddings: () => embeddings };
}

describe('tracker over a scripted scene', () => {
  it('a clock that goes back (a looped clip, another camera) starts over instead of freezing every track', async () => {
    const { scene, run, embeddings } = scriptedTracker();
    scene.faces = [face(100, 100)];
    scene.who = [0];
    const before = await run(10_000, 10_300);
    expect(before.tracks.map((t) => t.match?.personId)).toEqual(['p0']);
    // The clock restarts with someone else in the same place.
    scene.who = [1];
    const afterRestart = embeddings();
    const after = await run(0, 500);
    expect(after.tracks.map((t) => t.match?.personId)).toEqual(['p1']);
    expect(after.tracks[0]!.trackId).not.toBe(before.tracks[0]!.trackId);
    expect(embeddings()).toBeGreaterThan(afterRestart);
  });

  it('a refused frame is not a frame: its timestamp neither restarts the clock nor counts as a repeat', async () => {
    // 10: earlier (a restart), 1e12: far later, 297: the last frame's own time (12 repeats would shift the clock).
    for (const badTime of [10, 1e12, 297]) {
      const { scene, run, tracker } = scriptedTracker();
      scene.faces = [face(100, 100)];
      scene.who = [0];
      const before = await run(0, 300);
      scene.refuse = true;
      for (let i = 0; i < 12; i++)
        await expect(tracker.process(frame(), badTime)).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
      scene.refuse = false;
      const after = await run(333, 500);
      expect(after.tracks.map((t) => t.trackId)).toEqual(before.tracks.map((t) => t.trackId));
      expect(after.tracks[0]!.framesSeen).toBe(before.tracks[0]!.framesSeen + 6);
      expect((tracker as unknown as { clock: { offset: number } }).clock.offset).toBe(0);
    }
  });

  it('reset() while a frame decodes wins: that frame does not put its clock back', async () => {
    const { scene, run, tracker } = scriptedTracker();
    scene.faces = [face(100, 100)];
    scene.who = [0];
    await run(10_000, 10_300);
    let release!: () => void;
    scene.hold = new Promise((resolve) => (release = resolve));
    const held = tracker.process(frame(), 10_333);
    tracker.reset();
    scene.hold = undefined;
    release();
    expect((await held).tracks).toEqual([]);
    expect((tracker as unknown as { clock: { lastGiven?: number } }).clock.lastGiven).toBeUndefined();
  });

  it('frames of another size (a phone turned) start over: a face there now does not inherit the name', async () => {
    const { scene, run } = scriptedTracker();
    scene.faces = [face(100, 100)];
    scene.who = [0];
    const before = await run(0, 600);
    expect(before.tracks.map((t) => t.match?.personId)).toEqual(['p0']);
    // The picture turns to portrait; someone else's face lands where the tracked box was.
    [scene.width, scene.height] = [480, 640];
    scene.who = [1];
    const after = await run(633, 666);
    expect(after.tracks[0]!.trackId).not.toBe(before.tracks[0]!.trackId);
    expect(after.tracks[0]!.match?.personId).toBe('p1');
  });

  it('a person deleted from the collection is no longer named from the next frames, not a second later', async () => {
    const { scene, tracker, persons } = scriptedTracker();
    scene.faces = [face(100, 100)];
    scene.who = [0];
    let t = 0;
    let update = await tracker.process(frame(), t);
    for (; t < 3000; t += 33) update = await tracker.process(frame(), t);
    expect(update.tracks[0]!.match?.personId).toBe('p0');
    // Frames until one that searched: the track's next regular search is a second away.
    for (const before = persons.searches; persons.searches === before; t += 33) await tracker.process(frame(), t);
    persons.removed.add('p0');
    persons.indexVersion++;
    const named: (string | undefined)[] = [];
    for (const end = t + 200; t <= end; t += 33)
      named.push((await tracker.process(frame(), t)).tracks[0]!.match?.personId);
    expect(named.at(-1)).toBeUndefined();
    expect(named.filter((n) => n === 'p0').length).toBeLessThanOrEqual(3); // within 0.1 s
  });

  it('enroll tells bad arguments apart from the state of a track', async () => {
    const { scene, run, tracker } = scriptedTracker();
    scene.faces = [face(100, 100)];
    scene.who = [0];
    const [track] = (await run(0, 100)).tracks;
    const request = { collectionName: 'c', personId: 'p9', personName: 'P9' };
    for (const [id, r] of [
      [track!.trackId, null],
      [String(track!.trackId), request],
      [track!.trackId, { ...request, personId: '' }],
      [Number.NaN, request],
    ] as const)
      await expect(tracker.enroll(id as never, r as never)).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
    await expect(tracker.enroll(999, request)).rejects.toMatchObject({ code: 'ERR_NOT_FOUND' });
    // A bad request is told as one even for a track that is not in view.
    for (const bad of [
      { ...request, personName: '' },
      { ...request, metadata: [1] },
      { ...request, faceStorageType: 'StoreFullImages' },
    ])
      await expect(tracker.enroll(999, bad as never)).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
    await expect(tracker.enroll(999, { ...request, faceStorageType: 'Thumbs' } as never)).rejects.toThrow(
      /faceStorageType must be 'NoStorage', 'StoreThumbnails' or 'StoreFullImage'; got "Thumbs"/,
    );
  });

  it('a deleted person is no longer named within 0.1 s, whenever the deletion comes in the tracks’ search cycles', async () => {
    // Two faces that appeared a frame apart are searched a frame apart: a deletion between the two searches once let
    // the second track wait for its next regular search, a second later.
    for (let deleteAt = 0; deleteAt < 1000; deleteAt += 33) {
      const { scene, tracker, persons } = scriptedTracker();
      scene.faces = [face(400, 100)];
      scene.who = [1];
      let t = 0;
      await tracker.process(frame(), t);
      scene.faces = [face(400, 100), face(100, 100)];
      scene.who = [1, 0];
      for (t = 33; t < 3000 + deleteAt; t += 33) await tracker.process(frame(), t);
      persons.removed.add('p1');
      persons.indexVersion++;
      const named: boolean[] = [];
      for (const end = t + 400; t <= end; t += 33)
        named.push((await tracker.process(frame(), t)).tracks.some((tr) => tr.match?.personId === 'p1'));
      expect(named.lastIndexOf(true), `deleted at ${deleteAt} ms into the cycle`).toBeLessThanOrEqual(3);
    }
  });

  it('a tracked face whose score dips under 0.75 (a small face moving) stays tracked; under 0.75 none starts', async () => {
    const { scene, tracker } = scriptedTracker();
    const scored = (x: number, score: number) => ({ ...face(x, 100), score });
    // A detection at 0.65 alone is no face to track (a shape the detector half believes).
    scene.faces = [scored(100, 0.65)];
    scene.who = [0];
    expect((await tracker.process(frame(), 0)).tracks).toEqual([]);
    // A face at 0.8, then moving by a pixel a frame with its score dipping to 0.65 and 0.61: one track throughout.
    const ids: number[][] = [];
    for (const [i, score] of [0.8, 0.65, 0.8, 0.61, 0.78].entries()) {
      scene.faces = [scored(100 + i, score)];
      ids.push((await tracker.process(frame(), 33 * (i + 1))).tracks.map((t) => t.trackId));
    }
    expect(ids.every((f) => f.length === 1 && f[0] === ids[0]![0])).toBe(true);
    // Under 0.6 it is missed; a second face at 0.65 beside the track (boxes that could continue it) starts nothing.
    scene.faces = [scored(105, 0.55)];
    expect((await tracker.process(frame(), 33 * 6)).tracks).toEqual([]);
    scene.faces = [scored(106, 0.9), scored(170, 0.65)];
    scene.who = [0, 1];
    const after = await tracker.process(frame(), 33 * 7);
    expect(after.tracks.map((t) => t.trackId)).toEqual([ids[0]![0]]);
  });

  it('a tracked face the whole frame misses is looked for around where it was, and keeps its track', async () => {
    const { scene, tracker } = scriptedTracker();
    scene.faces = [face(100, 100)];
    scene.who = [0];
    const first = (await tracker.process(frame(), 0)).tracks.map((t) => t.trackId);
    // The detector misses it; a crop around its last box finds it a pixel further (at a score that only continues).
    scene.faces = [];
    scene.near = [{ ...face(101, 100), score: 0.7 }];
    const found = (await tracker.process(frame(), 33)).tracks.map((t) => t.trackId);
    expect(found).toEqual(first);
    // Gone from the crop too: missed; and a track missed on the last frame is not looked for (it may have left).
    scene.near = [];
    expect((await tracker.process(frame(), 66)).tracks).toEqual([]);
    scene.near = [{ ...face(102, 100), score: 0.9 }];
    expect((await tracker.process(frame(), 99)).tracks).toEqual([]);
  });

  it("someone who steps into a tracked face's place after a missed frame gets a new track at once", async () => {
    const { scene, run, tracker } = scriptedTracker();
    scene.faces = [face(100, 100)];
    scene.who = [0];
    const before = await run(0, 3000);
    expect(before.tracks[0]!.match?.personId).toBe('p0');
    scene.faces = [];
    await tracker.process(frame(), 3033);
    scene.faces = [face(110, 100)];
    scene.who = [1];
    const after = await tracker.process(frame(), 3066);
    expect(after.tracks[0]!.trackId).not.toBe(before.tracks[0]!.trackId);
    expect(after.tracks[0]!.match?.personId ?? null).not.toBe('p0');
  });
});

interface SceneFace {
  x: number;
  /** Default 100. */
  y?: number;
  size: number;
  /** The face's template (normalised here). */
  vector: number[];
  /** How far above (+) or below (−) the liveness threshold its evidence reads. */
  liveMargin: number;
}

/** Unit vector k of `dim`, and a unit vector at cosine `cos` from `a` towards unit vector `b`. */
const axis = (k: number, dim = 8) => Array.from({ length: dim }, (_, i) => (i === k ? 1 : 0));
const towards = (a: number[], b: number[], cos: number) => a.map((x, i) => cos * x + Math.sqrt(1 - cos * cos) * b[i]!);
const normalised = (v: number[]) => {
  const n = Math.hypot(...v);
  return Float32Array.from(v, (x) => x / n);
};
const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => Array.from(a).reduce((s, x, i) => s + x * b[i]!, 0);

/** A tracker over faces with chosen templates and liveness evidence; `enrolled` are the collection's persons. */
/**
 * `compareDrop`: how much lower the compareFaces score reads than the plain one (a webcam, where different people
 * score high on the plain score: its crowding normalisation brings them down).
 */
function sceneTracker(
  enrolled: Record<string, number[]>,
  options: object = { collectionName: 'c', liveness: true },
  compareDrop = 0,
) {
  const scene: { faces: SceneFace[] } = { faces: [] };
  let embeddings = 0;
  /** The faces each tracker.enroll passed to the person service. */
  const stored: { template: FaceTemplate; thumbnail?: Blob; image?: Blob }[][] = [];
  const engine = {
    withImage: async (_f: unknown, _n: string, use: (d: unknown) => Promise<unknown>) =>
      use({ pixels: {}, width: 640, height: 480, inputWidth: 640, inputHeight: 480 }),
    detect: async () =>
      scene.faces.map((f) => ({ ...syntheticFace(f.x, f.y ?? 100, f.size, undefined, 0.95), scene: f })),
    findNear: async () => [],
    embed: async (_p: unknown, faces: { scene: SceneFace }[]) => {
      embeddings += faces.length;
      return faces.map((f): FaceTemplate => ({ models: ['m'], vectors: [normalised(f.scene.vector)] }));
    },
    frameChecks: async (_p: unknown, faces: { scene: SceneFace }[], due: (i: number) => boolean) =>
      faces.map((f, i) => ({
        quality: { blur: 0.1, dark: 0, grayscale: 0, ok: true },
        ...(due(i)
          ? {
              evidence: {
                geometry: [],
                rawScore: DEFAULT_LIVENESS_THRESHOLDS.trackLive + f.scene.liveMargin,
                attributes: { sunglasses: 0, mask: 0, veil: 0, hat: 0 },
              },
            }
          : {}),
      })),
    similarity: (a: FaceTemplate, b: FaceTemplate) => dot(a.vectors[0]!, b.vectors[0]!),
    compare: (a: FaceTemplate, b: FaceTemplate) => {
      const plain = dot(a.vectors[0]!, b.vectors[0]!);
      return plain > 0.999 ? plain : plain - compareDrop;
    },
    livenessThresholds: DEFAULT_LIVENESS_THRESHOLDS,
    untilContextLoss: <T>(work: Promise<T>) =>
      thumbnails.contextLost ? Promise.race([work, thumbnails.contextLost]) : work,
  };
  const persons = {
    searchTemplate: async (_c: string, t: FaceTemplate, min: number) => {
      const hits = Object.entries(enrolled)
        .map(([personId, v]) => ({
          personId,
          personName: personId,
          metadata: {},
          similarityScore: dot(normalised(v), t.vectors[0]!),
        }))
        .filter((h) => h.similarityScore >= min)
        .sort((a, b) => b.similarityScore - a.similarityScore);
      return hits.slice(0, 1);
    },
    enrollTemplates: async (
      request: { personId: string },
      faces: { template: FaceTemplate; thumbnail?: Blob; image?: Blob }[],
    ) => {
      stored.push(faces);
      return { personId: request.personId };
    },
  };
  const tracker = createFaceTracker(
    { engine: engine as never, persons: async () => persons as never, during: (work) => work() },
    options,
  );
  let now = 0;
  /** Frames every 33 ms for `ms`; each frame's first track, as the kiosk would show it. */
  const play = async (ms: number) => {
    const shown: { trackId: number; match: string | null; live: boolean | undefined }[] = [];
    for (const end = now + ms; now < end; now += 33) {
      const [t] = (await tracker.process(frame(), now)).tracks;
      if (t) shown.push({ trackId: t.trackId, match: t.match?.personId ?? null, live: t.liveness?.live });
    }
    return shown;
  };
  /** Frames every 33 ms for `ms`; every track of the last frame. */
  const playAll = async (ms: number) => {
    let tracks: TrackedFace[] = [];
    for (const end = now + ms; now < end; now += 33) tracks = (await tracker.process(frame(), now)).tracks;
    return tracks;
  };
  return { scene, play, playAll, tracker, stored, embeddings: () => embeddings, next: () => (now += 33) };
}

describe('tracker: someone else in a tracked face’s place', () => {
  const a = axis(0);
  const other = axis(1);

  it('a face only somewhat like the tracked one (similarity 0.4) gets a new track and its own name', async () => {
    const b = towards(a, other, 0.4);
    const { scene, play } = sceneTracker({ A: a, B: b });
    scene.faces = [{ x: 200, size: 150, vector: a, liveMargin: 3 }];
    const before = await play(3000);
    expect(before.at(-1)).toMatchObject({ match: 'A', live: true });
    scene.faces = [{ x: 210, size: 150, vector: b, liveMargin: 3 }];
    const after = await play(3000);
    // The next embedding (the 2-s re-check at the latest) ends A's track.
    expect(after.at(-1)!.trackId).not.toBe(before.at(-1)!.trackId);
    expect(after.at(-1)!.match).toBe('B');
    expect(after.filter((f) => f.trackId !== before.at(-1)!.trackId).every((f) => f.match !== 'A')).toBe(true);
  });

  it('a stranger whom only the plain score finds alike (a webcam) is caught by the compareFaces score', async () => {
    // Plain similarity 0.7 (above the 0.5 swap point), compareFaces 0.4 (below it).
    const b = towards(a, other, 0.7);
    const { scene, play } = sceneTracker(
      { A: a },
      { collectionName: 'c', liveness: true, minSimilarityScore: 0.75 },
      0.3,
    );
    scene.faces = [{ x: 200, size: 150, vector: a, liveMargin: 3 }];
    const before = await play(3000);
    expect(before.at(-1)).toMatchObject({ match: 'A', live: true });
    scene.faces = [{ x: 205, size: 150, vector: b, liveMargin: 3 }];
    const after = await play(3000);
    expect(after.at(-1)!.trackId).not.toBe(before.at(-1)!.trackId);
    expect(after.at(-1)!.match).toBeNull();
  });

  it('a look-alike (0.6: under the match threshold, over the swap point) loses the name within about a second', async () => {
    const b = towards(a, other, 0.6);
    const { scene, play } = sceneTracker({ A: a });
    scene.faces = [{ x: 200, size: 150, vector: a, liveMargin: 3 }];
    const before = await play(3000);
    expect(before.at(-1)).toMatchObject({ match: 'A', live: true });
    scene.faces = [{ x: 205, size: 150, vector: b, liveMargin: 3 }];
    // The next re-check embeds a doubtful frame; the frame after it decides.
    const after = await play(1500);
    expect(after.at(-1)!.trackId).not.toBe(before.at(-1)!.trackId);
    expect(after.at(-1)!.match).toBeNull();
    expect(after.filter((f) => f.match === 'A').length).toBeLessThanOrEqual(Math.ceil(1100 / 33));
  });

  it('one doubtful frame of the tracked face (a grimace, a turn) ends nothing: the next frame decides', async () => {
    const { scene, play } = sceneTracker({ A: a });
    scene.faces = [{ x: 200, size: 150, vector: a, liveMargin: 3 }];
    const before = await play(3000);
    // After a missed frame the face is embedded at once: one frame that scores 0.6, then the face as before.
    scene.faces = [];
    await play(33);
    scene.faces = [{ x: 200, size: 150, vector: towards(a, other, 0.6), liveMargin: 3 }];
    await play(33);
    scene.faces = [{ x: 200, size: 150, vector: a, liveMargin: 3 }];
    const same = await play(1000);
    expect(new Set(same.map((f) => f.trackId))).toEqual(new Set([before.at(-1)!.trackId]));
    expect(same.every((f) => f.match === 'A' && f.live === true)).toBe(true);
  });

  it('a frame embedded only to tell two close faces apart leaves a doubtful track doubtful: its next own frame decides', async () => {
    const b = towards(a, other, 0.6);
    const { scene, play } = sceneTracker({ A: a });
    scene.faces = [{ x: 200, size: 150, vector: a, liveMargin: 3 }];
    const before = await play(3000);
    expect(before.at(-1)).toMatchObject({ match: 'A', live: true });
    // A look-alike in A's place after a missed frame (so embedded at once): one doubtful frame.
    scene.faces = [];
    await play(33);
    scene.faces = [{ x: 200, size: 150, vector: b, liveMargin: 3 }];
    expect((await play(33))[0]!.trackId).toBe(before.at(-1)!.trackId);
    // For one frame a second face right beside it: both are embedded to tell whose is whose, which decides nothing.
    scene.faces = [
      { x: 200, size: 150, vector: b, liveMargin: 3 },
      { x: 240, size: 150, vector: axis(2), liveMargin: 3 },
    ];
    await play(33);
    // The look-alike's next frame of its own is the second doubtful one in a row: the track ends there.
    scene.faces = [{ x: 200, size: 150, vector: b, liveMargin: 3 }];
    const [after] = await play(33);
    expect(after!.trackId).not.toBe(before.at(-1)!.trackId);
    expect(after!.match).toBeNull();
  });

  it('a small, far face (poor frames) that takes the place is caught too, and a poor frame alone splits nothing', async () => {
    const b = towards(a, other, 0);
    const { scene, play } = sceneTracker({ A: a, B: b });
    scene.faces = [{ x: 200, size: 48, vector: a, liveMargin: 3 }];
    const before = await play(3000);
    expect(before.at(-1)!.match).toBe('A');
    // One odd frame after a missed frame (embedded at once), then the same face again: the track goes on.
    scene.faces = [];
    await play(33);
    scene.faces = [{ x: 200, size: 48, vector: towards(a, other, 0.2), liveMargin: 3 }];
    await play(33);
    scene.faces = [{ x: 200, size: 48, vector: a, liveMargin: 3 }];
    const same = await play(1000);
    expect(new Set(same.map((f) => f.trackId))).toEqual(new Set([before.at(-1)!.trackId]));
    // Someone else at the same size: a new track within two embeddings.
    scene.faces = [{ x: 205, size: 48, vector: b, liveMargin: 3 }];
    const after = await play(3000);
    expect(after.at(-1)!.trackId).not.toBe(before.at(-1)!.trackId);
    expect(after.at(-1)!.match).toBe('B');
  });

  it('a photo of an enrolled person held up where a live stranger was tracked is never shown live under that name', async () => {
    // Close enough to the stranger (0.6) that the track goes on and its template drifts to the victim.
    const victim = towards(a, other, 0.6);
    const { scene, play } = sceneTracker({ Victim: victim });
    scene.faces = [{ x: 200, size: 150, vector: a, liveMargin: 3 }];
    const before = await play(3000);
    expect(before.at(-1)).toMatchObject({ match: null, live: true });
    scene.faces = [{ x: 205, size: 150, vector: victim, liveMargin: -8 }];
    const after = await play(8000);
    expect(after.some((f) => f.match === 'Victim')).toBe(true);
    expect(after.filter((f) => f.match === 'Victim' && f.live === true)).toEqual([]);
  });
});

describe('tracker: two faces that cross', () => {
  const a = axis(0);
  const b = axis(1);

  it('each keeps its own track id and name while the boxes pass over each other', async () => {
    const { scene, playAll, tracker, next } = sceneTracker({ A: a, B: b });
    const faceA = { x: 0, size: 150, vector: a, liveMargin: 3 };
    const faceB = { x: 500, size: 150, vector: b, liveMargin: 3 };
    scene.faces = [faceA, faceB];
    const before = await playAll(2000);
    const idOf = new Map(before.map((t) => [t.box.x === faceA.x ? 'A' : 'B', t.trackId]));
    expect(before.map((t) => t.match?.personId).sort()).toEqual(['A', 'B']);
    const wrong: string[] = [];
    for (let k = 0; k < 60; k++) {
      // 10 px a frame each, towards and past each other; the detector lists faces of one size left to right.
      faceA.x += 10;
      faceB.x -= 10;
      scene.faces = [faceA, faceB].sort((p, q) => p.x - q.x);
      const { tracks } = await tracker.process(frame(), next());
      expect(tracks).toHaveLength(2);
      if (faceA.x === faceB.x) continue; // one box for both faces: nothing to tell them apart by in the result
      for (const t of tracks) {
        const who = t.box.x === faceA.x ? 'A' : 'B';
        if (t.trackId !== idOf.get(who) || t.match?.personId !== who || !t.liveness?.live)
          wrong.push(
            `frame ${k}: ${who}'s face as track ${t.trackId} (${t.match?.personId}, live ${t.liveness?.live})`,
          );
      }
    }
    expect(wrong).toEqual([]);
  });

  it('a crossing frame whose crops look only somewhat like their faces (one face half over the other) ends no track', async () => {
    const { scene, playAll, tracker, next } = sceneTracker({ A: a, B: b });
    const faceA = { x: 0, size: 150, vector: a, liveMargin: 3 };
    const faceB = { x: 500, size: 150, vector: b, liveMargin: 3 };
    scene.faces = [faceA, faceB];
    let tracks = await playAll(2000);
    const ids = tracks.map((t) => t.trackId).sort();
    let contestedFrames = 0;
    for (let k = 0; k < 60; k++) {
      faceA.x += 10;
      faceB.x -= 10;
      const detected = [faceA, faceB].sort((p, q) => p.x - q.x);
      // The frames on which the tracker embeds faces to tell them apart: there, each crop holds part of the other
      // face and scores 0.4 against its own (below a good frame's swap threshold, 0.5).
      const contested = new Set(
        contestedGroups(
          tracks.map((t) => t.box),
          detected.map((f) => syntheticFace(f.x, 100, f.size).box),
        ).flatMap((g) => g.detections),
      );
      contestedFrames += contested.size > 0 ? 1 : 0;
      scene.faces = detected.map((f, i) =>
        contested.has(i) ? { ...f, vector: towards(f.vector, axis(f === faceA ? 2 : 3), 0.4) } : f,
      );
      tracks = (await tracker.process(frame(), next())).tracks;
      expect(tracks.map((t) => t.trackId).sort()).toEqual(ids);
    }
    expect(contestedFrames).toBeGreaterThan(0);
  });

  it('enroll of a track after the crossing stores the frames of the face it is on', async () => {
    const { scene, playAll, tracker, next, stored } = sceneTracker({ Z: axis(5) });
    const faceA = { x: 0, size: 150, vector: a, liveMargin: 3 };
    const faceB = { x: 500, size: 150, vector: b, liveMargin: 3 };
    scene.faces = [faceA, faceB];
    await playAll(2000);
    let tracks: TrackedFace[] = [];
    for (let k = 0; k < 29; k++) {
      faceA.x += 10;
      faceB.x -= 10;
      scene.faces = [faceA, faceB].sort((p, q) => p.x - q.x);
      tracks = (await tracker.process(frame(), next())).tracks;
    }
    const onB = tracks.find((t) => t.box.x === faceB.x)!;
    await tracker.enroll(onB.trackId, { collectionName: 'c', personId: 'b', personName: 'B' });
    expect(stored[0]!.map((f) => dot(f.template.vectors[0]!, normalised(b)))).toEqual(stored[0]!.map(() => 1));
  });
});

describe('tracker: enroll and a frame in work', () => {
  const a = axis(0);

  it('an enroll while a new best frame is being kept stores every frame with its thumbnail', async () => {
    const { scene, play, tracker, next, stored } = sceneTracker({}, { collectionName: 'c' });
    scene.faces = [{ x: 100, size: 100, vector: a, liveMargin: 3 }];
    const [track] = await play(100);
    // A clearly better (larger) frame: embedded and kept, its thumbnail held back.
    scene.faces = [{ x: 100, size: 130, vector: a, liveMargin: 3 }];
    let release!: () => void;
    thumbnails.wait = new Promise((r) => (release = r));
    const processing = tracker.process(frame(), next());
    await new Promise((r) => setTimeout(r, 10));
    try {
      await tracker.enroll(track!.trackId, {
        collectionName: 'c',
        personId: 'a',
        personName: 'A',
        faceStorageType: 'StoreThumbnails',
      });
    } finally {
      release();
      thumbnails.wait = undefined;
      await processing;
    }
    expect(stored[0]!.length).toBeGreaterThan(0);
    expect(stored[0]!.every((f) => f.thumbnail instanceof Blob)).toBe(true);
  });

  it('a frame whose thumbnail failed is not among the frames enroll stores', async () => {
    const { scene, play, tracker, next, stored } = sceneTracker({}, { collectionName: 'c' });
    scene.faces = [{ x: 100, size: 100, vector: a, liveMargin: 3 }];
    const [track] = await play(100);
    scene.faces = [{ x: 100, size: 130, vector: a, liveMargin: 3 }];
    thumbnails.fail = true;
    try {
      await expect(tracker.process(frame(), next())).rejects.toThrow('no canvas');
    } finally {
      thumbnails.fail = false;
    }
    await tracker.enroll(track!.trackId, { collectionName: 'c', personId: 'a', personName: 'A' });
    expect(stored[0]!.every((f) => f.thumbnail instanceof Blob)).toBe(true);
  });
});

describe('tracker: enroll with the whole frames (StoreFullImage)', () => {
  const a = axis(0);
  /** A tracker that has followed one face for 0.1 s, its whole-frame encodings held back until `release()`. */
  const encodingHeldBack = async () => {
    const t = sceneTracker({}, { collectionName: 'c' });
    t.scene.faces = [{ x: 100, size: 100, vector: a, liveMargin: 3 }];
    let released!: () => void;
    thumbnails.wholeWait = new Promise((r) => (released = r));
    const [track] = await t.play(100);
    const release = () => {
      released();
      thumbnails.wholeWait = undefined;
    };
    return { ...t, track: track!, release };
  };
  const WHOLE_FRAMES_ENROLL = {
    collectionName: 'c',
    personId: 'a',
    personName: 'A',
    faceStorageType: 'StoreFullImage',
  } as const;
  const b = axis(1);

  it('each enrolled face has the frame it came from; a frame two tracks keep is encoded once', async () => {
    thumbnails.wholeFrames.length = 0;
    const { scene, playAll, tracker, stored } = sceneTracker({}, { collectionName: 'c' });
    scene.faces = [
      { x: 100, size: 100, vector: a, liveMargin: 3 },
      { x: 400, size: 100, vector: b, liveMargin: 3 },
    ];
    const tracks = (await playAll(100)).map((t) => t.trackId);
    expect(tracks).toHaveLength(2);
    const encoded = thumbnails.wholeFrames.length;
    // The first frame is kept by both new tracks: one encoding for it.
    expect(encoded).toBeGreaterThan(0);
    expect(new Set(thumbnails.wholeFrames).size).toBe(encoded);
    await tracker.enroll(tracks[0]!, {
      collectionName: 'c',
      personId: 'a',
      personName: 'A',
      faceStorageType: 'StoreFullImage',
    });
    await tracker.enroll(tracks[1]!, {
      collectionName: 'c',
      personId: 'b',
      personName: 'B',
      faceStorageType: 'StoreFullImage',
    });
    const [first, second] = stored;
    for (const faces of [first!, second!]) {
      expect(faces.length).toBeGreaterThan(0);
      expect(faces.every((f) => f.image instanceof Blob)).toBe(true);
    }
    // Each face its own frame's JPEG; both tracks' first kept frame is the same frame, so the same JPEG.
    for (const faces of [first!, second!]) expect(new Set(faces.map((f) => f.image)).size).toBe(faces.length);
    expect(first!.some((f) => second!.some((g) => g.image === f.image))).toBe(true);
  });

  it('if every kept frame failed to encode, StoreFullImage is ERR_INTERNAL saying why, and nothing is stored', async () => {
    const { scene, play, tracker, stored } = sceneTracker({}, { collectionName: 'c' });
    scene.faces = [{ x: 100, size: 100, vector: a, liveMargin: 3 }];
    thumbnails.wholeFail = true;
    let track;
    try {
      [track] = (await play(3000)).slice(-1); // every frame kept (5) fails
    } finally {
      thumbnails.wholeFail = false;
    }
    const request = { collectionName: 'c', personId: 'a', personName: 'A' };
    await expect(tracker.enroll(track!.trackId, { ...request, faceStorageType: 'StoreFullImage' })).rejects.toThrow(
      /could not be encoded as JPEG \(no canvas\): nothing was stored/,
    );
    expect(stored).toHaveLength(0);
    // The other storage types do not need the whole frames.
    await tracker.enroll(track!.trackId, { ...request, faceStorageType: 'StoreThumbnails' });
    expect(stored[0]!.length).toBeGreaterThan(0);
    // As the message says: the face kept in view a moment, new frames are kept, and an enroll again stores them.
    await play(3000);
    await tracker.enroll(track!.trackId, { ...request, faceStorageType: 'StoreFullImage' });
    expect(stored[1]!.length).toBeGreaterThan(0);
    expect(stored[1]!.every((f) => f.image instanceof Blob)).toBe(true);
  });

  for (const end of ['reset', 'close'] as const)
    it(`${end}() while a StoreFullImage enroll waits for its frames: nothing is stored`, async () => {
      const { tracker, stored, track, release } = await encodingHeldBack();
      try {
        const enrolling = tracker.enroll(track.trackId, WHOLE_FRAMES_ENROLL);
        tracker[end]();
        release();
        await expect(enrolling).rejects.toMatchObject({
          code: end === 'reset' ? 'ERR_NOT_FOUND' : 'ERR_INVALID_ARGUMENT',
        });
        expect(stored).toHaveLength(0);
      } finally {
        release();
      }
    });

  it('a frame that failed to encode is left out; the frames encoded since are enrolled', async () => {
    const { scene, play, tracker, stored } = sceneTracker({}, { collectionName: 'c' });
    scene.faces = [{ x: 100, size: 100, vector: a, liveMargin: 3 }];
    thumbnails.wholeFail = true;
    try {
      await play(70); // the first frame kept fails; no later frame is better, so it stays kept
    } finally {
      thumbnails.wholeFail = false;
    }
    const [track] = (await play(3000)).slice(-1);
    const request = { collectionName: 'c', personId: 'a', personName: 'A' };
    await tracker.enroll(track!.trackId, { ...request, faceStorageType: 'StoreFullImage' });
    expect(stored[0]!.length).toBeGreaterThan(0);
    expect(stored[0]!.every((f) => f.image instanceof Blob)).toBe(true);
  });

  it('with keepFrames: false no whole frame is encoded, and StoreFullImage is refused saying why', async () => {
    thumbnails.wholeFrames.length = 0;
    const { scene, play, tracker, stored } = sceneTracker({}, { collectionName: 'c', keepFrames: false });
    scene.faces = [{ x: 100, size: 100, vector: a, liveMargin: 3 }];
    const [track] = await play(1000);
    expect(thumbnails.wholeFrames).toHaveLength(0);
    const request = { collectionName: 'c', personId: 'a', personName: 'A' };
    await expect(tracker.enroll(track!.trackId, { ...request, faceStorageType: 'StoreFullImage' })).rejects.toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT', message: expect.stringMatching(/keepFrames: false/) }),
    );
    // Told before the track is looked at, as every bad argument.
    await expect(tracker.enroll(999, { ...request, faceStorageType: 'StoreFullImage' })).rejects.toMatchObject({
      code: 'ERR_INVALID_ARGUMENT',
    });
    await tracker.enroll(track!.trackId, { ...request, faceStorageType: 'StoreThumbnails' });
    expect(stored[0]!.every((f) => f.thumbnail instanceof Blob)).toBe(true);
    expect(() => sceneTracker({}, { keepFrames: 'no' })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }),
    );
  });

  it('a GPU context lost while the whole frames are read: a StoreFullImage enroll fails saying so, it does not hang', async () => {
    const { scene, play, tracker, stored } = sceneTracker({}, { collectionName: 'c' });
    scene.faces = [{ x: 100, size: 100, vector: a, liveMargin: 3 }];
    // The reads never settle (as TF.js's after a loss); the loss is reported a moment later.
    thumbnails.wholeWait = new Promise(() => undefined);
    let lose!: (error: Error) => void;
    thumbnails.contextLost = new Promise<never>((_, reject) => (lose = reject));
    try {
      const [track] = await play(100);
      const enrolling = tracker.enroll(track!.trackId, WHOLE_FRAMES_ENROLL);
      lose(new Error('the GPU context was lost'));
      await expect(enrolling).rejects.toThrow(/could not be encoded as JPEG \(the GPU context was lost\)/);
      expect(stored).toHaveLength(0);
    } finally {
      thumbnails.wholeWait = undefined;
      thumbnails.contextLost = undefined;
    }
  });

  it('an enroll that stores no whole frames does not wait for their encoding', async () => {
    const { tracker, stored, track, release } = await encodingHeldBack();
    try {
      const request = { collectionName: 'c', personId: 'a', personName: 'A' };
      await tracker.enroll(track.trackId, { ...request, faceStorageType: 'StoreThumbnails' });
      await tracker.enroll(track.trackId, request);
      expect(stored).toHaveLength(2);
    } finally {
      release();
    }
  });
});

describe('tracker: a clock that stops', () => {
  const a = axis(0);

  it('every timestamp 0 (VideoFrames built without one): liveness is decided, and a face that leaves ends', async () => {
    const { scene, tracker, embeddings } = sceneTracker({ A: a });
    const process = async (frames: number) => {
      let tracks: TrackedFace[] = [];
      for (let i = 0; i < frames; i++) tracks = (await tracker.process(frame(), 0)).tracks;
      return tracks;
    };
    scene.faces = [{ x: 200, size: 150, vector: a, liveMargin: 3 }];
    const [seen] = await process(100);
    expect(seen).toMatchObject({ match: { personId: 'A' }, liveness: { live: true } });
    // Still not embedded on every frame.
    expect(embeddings()).toBeLessThan(10);
    scene.faces = [];
    await process(60);
    scene.faces = [{ x: 200, size: 150, vector: a, liveMargin: 3 }];
    const [back] = await process(1);
    expect(back!.trackId).not.toBe(seen!.trackId);
  });

  it('many faces passing under a stopped clock leave a bounded number of tracks', async () => {
    const { scene, tracker } = sceneTracker({}, { collectionName: 'c', maxFaces: 3 });
    for (let i = 0; i < 300; i++) {
      scene.faces = [{ x: (i * 37) % 600, y: (i * 53) % 400, size: 40, vector: axis(i % 8), liveMargin: 3 }];
      await tracker.process(frame(), 5000);
    }
    // Internal: nothing else shows the memory kept.
    expect((tracker as unknown as { tracks: unknown[] }).tracks.length).toBeLessThanOrEqual(6);
  });

  it('a timestamp beyond 2^53 (where consecutive frames cannot be told apart) is refused', async () => {
    const { tracker } = sceneTracker({});
    await expect(tracker.process(frame(), 2 ** 60)).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
    await expect(tracker.process(frame(), Number.MAX_SAFE_INTEGER)).resolves.toBeDefined();
  });
});

describe('tracker: enroll of a track whose face drifted', () => {
  it("stores only frames like the face in view now, not the first face's", async () => {
    const a = axis(0);
    const b = axis(1);
    const turned = (degrees: number) => towards(a, b, Math.cos((degrees * Math.PI) / 180));
    const { scene, playAll, tracker, stored } = sceneTracker({}, { collectionName: 'c' });
    // The best frames (largest) are the first face's ...
    scene.faces = [{ x: 200, size: 170, vector: a, liveMargin: 3 }];
    const [first] = await playAll(1000);
    // ... then, a little smaller, the face drifts to another one in steps the swap check lets pass.
    let track: TrackedFace | undefined;
    for (let degrees = 3; degrees <= 90; degrees += 3) {
      scene.faces = [{ x: 200, size: 150, vector: turned(degrees), liveMargin: 3 }];
      [track] = await playAll(500);
    }
    expect(track!.trackId).toBe(first!.trackId);
    await tracker.enroll(track!.trackId, { collectionName: 'c', personId: 'b', personName: 'B' });
    const likeB = stored[0]!.map((f) => dot(f.template.vectors[0]!, normalised(b)));
    expect(likeB.length).toBeGreaterThan(0);
    expect(Math.min(...likeB)).toBeGreaterThanOrEqual(0.5);
  });
});

describe('tracker: default options', () => {
  it('follows at most 5 faces by default', async () => {
    const { scene, playAll } = sceneTracker({}, { collectionName: 'c' });
    // Seven faces side by side, the first the largest.
    scene.faces = Array.from({ length: 7 }, (_, i) => ({
      x: 10 + i * 88,
      size: 80 - i * 3,
      vector: axis(i),
      liveMargin: 3,
    }));
    const tracks = await playAll(200);
    expect(tracks).toHaveLength(5);
  });
});
