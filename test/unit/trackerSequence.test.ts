import { describe, expect, it, vi } from 'vitest';
import { DEFAULT_LIVENESS_THRESHOLDS } from '../../src/face/checks';
import type { FaceTemplate } from '../../src/vocabulary';
import { syntheticFace } from '../support/syntheticFace';

// The thumbnail encoder needs a canvas; enroll is not exercised here.
vi.mock('../../src/face/thumbnail', () => ({ faceThumbnail: async () => new Blob(['x']) }));
const { createFaceTracker } = await import('../../src/tracker/faceTracker');

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
  const scene: { faces: ReturnType<typeof face>[]; who: number[] } = { faces: [], who: [] };
  let embeddings = 0;
  const engine = {
    withImage: async (_f: unknown, _n: string, use: (d: unknown) => Promise<unknown>) =>
      use({ pixels: {}, width: 640, height: 480 }),
    detect: async () => scene.faces.map((f) => ({ ...f })),
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
                rawScore: DEFAULT_LIVENESS_THRESHOLDS.live + 3,
                attributes: { sunglasses: 0, mask: 0, veil: 0, hat: 0 },
              },
            }
          : {}),
      })),
    similarity: (a: FaceTemplate, b: FaceTemplate) => a.vectors[0]!.reduce((s, x, i) => s + x * b.vectors[0]![i]!, 0),
    livenessThresholds: DEFAULT_LIVENESS_THRESHOLDS,
  };
  const persons = {
    searchTemplate: async (_c: string, t: FaceTemplate) => {
      const v = [...t.vectors[0]!];
      const k = v.indexOf(Math.max(...v));
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
  return { tracker, scene, run, embeddings: () => embeddings };
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
