import { describe, expect, it } from 'vitest';
import { addFarFaces, sameFace } from '../../src/face/detection/merge';
import {
  associate,
  contestedGroups,
  continuationScore,
  keepFollowed,
  keepTracks,
  trackEnded,
} from '../../src/tracker/association';
import {
  ASSUMED_FRAME_MS,
  decideTrackLiveness,
  detectionModeFor,
  frameGoodness,
  frameTime,
  NEW_FRAME_CLOCK,
  STALLED_CLOCK_FRAMES,
  keepBest,
  meanTemplate,
  shouldCheckLiveness,
  shouldEmbed,
  FULL_DETECTION_EVERY_MS,
} from '../../src/tracker/decisions';
import { DEFAULT_LIVENESS_THRESHOLDS, type LivenessEvidence } from '../../src/face/checks';
import type { DetectedFace } from '../../src/vocabulary';

const box = (x: number, y: number, size = 100) => ({ x, y, width: size, height: size });

describe('associate: which detection continues which track', () => {
  it('follows each face to the box that overlaps it, whatever the detection order', () => {
    const tracks = [box(0, 0), box(300, 0)];
    const { pairs, newDetections, missedTracks } = associate(tracks, [box(310, 5), box(10, 5)]);
    expect(pairs.sort()).toEqual([
      [0, 1],
      [1, 0],
    ]);
    expect(newDetections).toEqual([]);
    expect(missedTracks).toEqual([]);
  });

  it('starts a new track for a face far from every track, and reports the track not seen', () => {
    const { pairs, newDetections, missedTracks } = associate([box(0, 0)], [box(400, 300)]);
    expect(pairs).toEqual([]);
    expect(newDetections).toEqual([0]);
    expect(missedTracks).toEqual([0]);
  });

  it('gives one detection to one track only: two tracks near one face, the closer one keeps it', () => {
    const { pairs, missedTracks } = associate([box(0, 0), box(40, 0)], [box(35, 0)]);
    expect(pairs).toEqual([[1, 0]]);
    expect(missedTracks).toEqual([0]);
  });

  it('continues a fast-moving face by its centre when the boxes no longer overlap enough, but not a face of another size', () => {
    expect(continuationScore(box(0, 0), box(55, 0))).toBeGreaterThan(0); // IoU 0.29, shift 0.55 box
    expect(continuationScore(box(0, 0), box(55, 0))).toBeLessThan(continuationScore(box(0, 0), box(40, 0)));
    expect(continuationScore(box(0, 0), box(55, 0, 40))).toBe(0);
    expect(continuationScore(box(0, 0), box(80, 0))).toBe(0);
  });

  it('ends a track only after several missed frames and some time (a one-frame detector miss keeps it)', () => {
    expect(trackEnded(1, 5000)).toBe(false);
    expect(trackEnded(5, 100)).toBe(false);
    expect(trackEnded(2, 400)).toBe(true);
  });

  it('ends a track missed for 30 frames whatever the clock says (a clock that stopped or crawls)', () => {
    expect(trackEnded(29, 0)).toBe(false);
    expect(trackEnded(30, 0)).toBe(true);
  });

  it('keeps every track in view and the most recently seen missed ones, up to the cap, in their order', () => {
    const tracks = [5, 0, 1, 3, 0, 2].map((missedFrames, id) => ({ id, missedFrames }));
    expect(keepTracks(tracks, 4).map((t) => t.id)).toEqual([1, 2, 4, 5]);
    expect(keepTracks(tracks, 10)).toEqual(tracks);
  });
});

describe('associate when the boxes cannot tell two faces apart', () => {
  it('finds the tracks and detections that could be paired more than one way', () => {
    // Two faces crossing (each detection near both tracks), and a lone face far from them.
    const tracks = [box(200, 0), box(260, 0), box(500, 300)];
    const detections = [box(510, 300), box(250, 0), box(210, 0)];
    expect(contestedGroups(tracks, detections)).toEqual([{ tracks: [0, 1], detections: [1, 2] }]);
    // A face entering next to a tracked one: one track, two detections.
    expect(contestedGroups([box(0, 0)], [box(5, 0), box(50, 0)])).toEqual([{ tracks: [0], detections: [0, 1] }]);
    expect(contestedGroups([box(0, 0), box(300, 0)], [box(5, 0), box(305, 0)])).toEqual([]);
  });

  it('pairs a contested group by appearance: each track keeps its own face where the boxes coincide', () => {
    // Two faces at one place: the boxes give track 0 detection 0; its face looks like track 1's.
    const alike = [
      [0.1, 0.9],
      [0.9, 0.1],
    ];
    const appearance = { likeness: (t: number, d: number) => alike[t]![d]!, minLikeness: 0.3 };
    const tracks = [box(100, 0), box(100, 0)];
    const detections = [box(90, 0), box(110, 0)];
    expect(associate(tracks, detections).pairs).toEqual([
      [0, 0],
      [1, 1],
    ]);
    expect(associate(tracks, detections, undefined, appearance).pairs.sort()).toEqual([
      [0, 1],
      [1, 0],
    ]);
  });

  it('lets the boxes break a near-tie in appearance, and pairs no faces clearly unlike', () => {
    const tracks = [box(0, 0), box(60, 0)];
    const detections = [box(5, 0), box(55, 0)];
    const same = { likeness: () => 0.9, minLikeness: 0.3 };
    expect(associate(tracks, detections, undefined, same).pairs.sort()).toEqual([
      [0, 0],
      [1, 1],
    ]);
    // Track 1's face is unlike both detections: it is missed, the detection it would have had starts a new track.
    const unlike = { likeness: (t: number) => (t === 0 ? 0.9 : 0.1), minLikeness: 0.3 };
    const result = associate(tracks, detections, undefined, unlike);
    expect(result.pairs).toEqual([[0, 0]]);
    expect(result.missedTracks).toEqual([1]);
    expect(result.newDetections).toEqual([1]);
  });
});

const face = (size: number, score = 0.95, noseShift = 0): DetectedFace => ({
  box: box(100, 100, size),
  score,
  keypoints: {
    rightEye: { x: 130, y: 130 },
    leftEye: { x: 170, y: 130 },
    noseTip: { x: 150 + noseShift, y: 150 },
    mouthCenter: { x: 150, y: 175 },
    rightEarTragion: { x: 105, y: 140 },
    leftEarTragion: { x: 195, y: 140 },
  },
  pose: { yaw: 0, pitch: 0, roll: 0 },
});

describe('frames worth embedding', () => {
  it('ranks a large, frontal, sharp frame above a small, turned or blurred one', () => {
    const good = frameGoodness(face(160), { blur: 0.1, dark: 0, grayscale: 0, ok: true });
    expect(frameGoodness(face(60), { blur: 0.1, dark: 0, grayscale: 0, ok: true })).toBeLessThan(good);
    expect(frameGoodness(face(160, 0.95, 15), { blur: 0.1, dark: 0, grayscale: 0, ok: true })).toBeLessThan(good);
    expect(frameGoodness(face(160), { blur: 0.8, dark: 0, grayscale: 0, ok: true })).toBeLessThan(good);
  });

  it('embeds a new track at once, a stranger twice a second or on a clearly better frame, a recognised face on a clearly better frame or every 2 s', () => {
    expect(shouldEmbed({ embedded: 0, bestGoodness: 0, recognised: false }, 0, 0.5)).toBe(true);
    const after = { embedded: 1, lastEmbedAt: 1000, bestGoodness: 0.5, recognised: false };
    expect(shouldEmbed(after, 1200, 0.5)).toBe(false);
    // Not recognised yet: a clearly better frame (a face that has fully entered the picture) is embedded at once.
    expect(shouldEmbed(after, 1100, 0.6)).toBe(true);
    expect(shouldEmbed(after, 1100, 0.55)).toBe(false);
    expect(shouldEmbed(after, 1500, 0.5)).toBe(true);
    const known = { ...after, recognised: true };
    expect(shouldEmbed(known, 1600, 0.52)).toBe(false);
    expect(shouldEmbed(known, 1600, 0.7)).toBe(true);
    expect(shouldEmbed(known, 1300, 0.9)).toBe(false);
    expect(shouldEmbed(known, 3000, 0.1)).toBe(true);
  });

  it('averages the frames into a unit-length running template per model', () => {
    const t = meanTemplate([
      { models: ['a', 'b'], vectors: [Float32Array.of(1, 0), Float32Array.of(0, 1)] },
      { models: ['a', 'b'], vectors: [Float32Array.of(0, 1), Float32Array.of(0, 1)] },
    ]);
    expect(t.models).toEqual(['a', 'b']);
    expect(t.vectors[0]![0]).toBeCloseTo(Math.SQRT1_2, 6);
    expect(t.vectors[0]![1]).toBeCloseTo(Math.SQRT1_2, 6);
    expect(Array.from(t.vectors[1]!)).toEqual([0, 1]);
  });

  it('keeps the best frames for enroll, best first', () => {
    let kept: { goodness: number }[] = [];
    for (const g of [0.3, 0.9, 0.1, 0.5]) kept = keepBest(kept, { goodness: g }, 2).kept;
    expect(kept.map((k) => k.goodness)).toEqual([0.9, 0.5]);
    expect(keepBest(kept, { goodness: 0.2 }, 2).added).toBe(false);
  });
});

describe("liveness decided over a track's frames", () => {
  const t = DEFAULT_LIVENESS_THRESHOLDS;
  const live = (raw = t.trackLive + 2, extra: Partial<LivenessEvidence> = {}): LivenessEvidence => ({
    geometry: [],
    rawScore: raw,
    eyesClosed: [0.01, 0.01],
    attributes: { sunglasses: 0, mask: 0, veil: 0, hat: 0 },
    ...extra,
  });

  it('frames whose model output is not a number decide nothing (they never make a track live)', () => {
    const broken = [live(Number.NaN), live(undefined, { eyesClosed: [Number.NaN, 0] }), live(Number.NaN)];
    expect(decideTrackLiveness(broken, t)?.live ?? false).toBe(false);
    expect(decideTrackLiveness([...broken, live(), live(), live()], t)).toMatchObject({ live: true, framesUsed: 3 });
  });

  it('waits for the minimum number of usable frames while the missing ones could change the decision', () => {
    expect(decideTrackLiveness([live()], t)).toBeNull();
    expect(decideTrackLiveness([live(t.trackLive + 1), live(t.trackLive + 1)], t)).toBeNull();
    expect(decideTrackLiveness([live(t.trackLive + 1), live(t.trackLive + 1), live(t.trackLive + 1)], t)).toMatchObject(
      {
        live: true,
        code: null,
        framesUsed: 3,
      },
    );
    const blink = live(t.trackLive + 9, { eyesClosed: [0.999, 0.999] });
    expect(decideTrackLiveness([live(t.trackLive + 9), blink], t)).toBeNull();
  });

  it('decides two clearly live (or clearly attack) frames at once: a third could not change the decision', () => {
    expect(decideTrackLiveness([live(t.trackLive + 2), live(t.trackLive + 2)], t)).toMatchObject({
      live: true,
      code: null,
      framesUsed: 2,
    });
    expect(decideTrackLiveness([live(t.trackLive - 2), live(t.trackLive - 2)], t)).toMatchObject({
      live: false,
      code: 'FACE_NOT_LIVE',
      framesUsed: 2,
    });
  });

  it('an early decision is always the one the minimum number of frames would give, whatever the next frame', () => {
    const margins = [-9, -2.5, -1.3, -1.25, -1.2, -0.1, 0, 0.1, 1.2, 1.25, 1.3, 2.5, 9];
    const flags: Partial<LivenessEvidence>[] = [
      {},
      { eyesClosed: [0.999, 0.999] },
      { attributes: { sunglasses: 0.99, mask: 0, veil: 0, hat: 0 } },
    ];
    const frames = margins.flatMap((m) => flags.map((f) => live(t.trackLive + m, f)));
    let early = 0;
    for (const a of frames)
      for (const b of frames) {
        const decided = decideTrackLiveness([a, b], t);
        if (!decided) continue;
        early++;
        for (const c of frames) {
          const later = decideTrackLiveness([a, b, c], t)!;
          expect([later.live, later.code]).toEqual([decided.live, decided.code]);
        }
      }
    expect(early).toBeGreaterThan(100);
  });

  it('does not refuse a live person for one blink or one washed-out, occlusion-misread frame', () => {
    const blink = live(t.trackLive + 2, { eyesClosed: [0.999, 0.999] });
    const washedOut = live(t.trackLive - 6, { attributes: { sunglasses: 0.99, mask: 0.99, veil: 0, hat: 0 } });
    expect(decideTrackLiveness([live(), blink, live(), washedOut, live()], t)).toMatchObject({
      live: true,
      code: null,
    });
  });

  it('does not admit a print for one lucky frame', () => {
    const print = live(t.trackLive - 8);
    const lucky = live(t.trackLive + 12);
    expect(decideTrackLiveness([print, lucky, print, print], t)).toMatchObject({ live: false, code: 'FACE_NOT_LIVE' });
  });

  it('refuses contradictory evidence: as many clearly live frames as clearly attack frames', () => {
    expect(
      decideTrackLiveness(
        [live(t.trackLive + 9), live(t.trackLive - 9), live(t.trackLive + 9), live(t.trackLive - 9)],
        t,
      ),
    ).toMatchObject({ live: false, code: 'FACE_NOT_LIVE', score: 0.5 });
  });

  it('reports occlusion and closed eyes when they hold in most frames', () => {
    const masked = live(t.trackLive + 2, { attributes: { sunglasses: 0, mask: 0.99, veil: 0, hat: 0 } });
    expect(decideTrackLiveness([masked, masked, live()], t)).toMatchObject({ live: false, code: 'FACE_IS_OCCLUDED' });
    const closed = live(t.trackLive + 2, { eyesClosed: [0.999, 0.999] });
    expect(decideTrackLiveness([closed, closed, live()], t)).toMatchObject({ live: false, code: 'EYES_CLOSED' });
  });

  it('gives the geometry problem when no recent frame could be scored', () => {
    const small: LivenessEvidence = { geometry: ['FACE_TOO_SMALL'] };
    expect(decideTrackLiveness([small, small], t)).toBeNull();
    expect(decideTrackLiveness([small, small, small], t)).toEqual({
      live: false,
      score: 0,
      code: 'FACE_TOO_SMALL',
      framesUsed: 0,
    });
  });

  it('decides from the recent window: a face that turns live after a bad start becomes live', () => {
    const frames = [...Array(10).fill(live(t.trackLive - 3)), ...Array(10).fill(live())];
    expect(decideTrackLiveness(frames, t)).toMatchObject({ live: true });
  });

  it('takes evidence often while undecided and about once a second after', () => {
    expect(shouldCheckLiveness(false, undefined, 0)).toBe(true);
    expect(shouldCheckLiveness(false, 0, 60)).toBe(false);
    expect(shouldCheckLiveness(false, 0, 100)).toBe(true);
    expect(shouldCheckLiveness(false, 0, 200)).toBe(true);
    expect(shouldCheckLiveness(true, 0, 200)).toBe(false);
    expect(shouldCheckLiveness(true, 0, 1000)).toBe(true);
  });
});

describe('which detection a frame gets', () => {
  const none = { fullAt: undefined, wideAt: undefined };
  it('with nobody in view: the full detection on the first frame and again after FULL_DETECTION_EVERY_MS', () => {
    expect(detectionModeFor(0, none, 0)).toBe('frame');
    expect(detectionModeFor(0, { fullAt: 0, wideAt: 0 }, 100)).toBe('near');
    expect(detectionModeFor(0, { fullAt: 0, wideAt: 0 }, FULL_DETECTION_EVERY_MS - 1)).toBe('near');
    expect(detectionModeFor(0, { fullAt: 0, wideAt: 0 }, FULL_DETECTION_EVERY_MS)).toBe('frame');
  });

  it('with faces in view: the full detection, and both models every FULL_DETECTION_EVERY_MS', () => {
    // The tracker sets wideAt on the frames with nobody in view: the first wide pass comes after faces appear.
    expect(detectionModeFor(1, { fullAt: 100, wideAt: 100 }, 200)).toBe('frame');
    expect(detectionModeFor(2, { fullAt: 100, wideAt: 100 }, 100 + FULL_DETECTION_EVERY_MS - 1)).toBe('frame');
    expect(detectionModeFor(2, { fullAt: 100, wideAt: 100 }, 100 + FULL_DETECTION_EVERY_MS)).toBe('wide');
  });

  it('a timestamp before the last pass (a restarted clip) gets the full detection', () => {
    expect(detectionModeFor(0, { fullAt: 5000, wideAt: 5000 }, 100)).toBe('frame');
    expect(detectionModeFor(1, { fullAt: 5000, wideAt: 5000 }, 100)).toBe('wide');
  });
});

describe("merging the two detectors' faces of a frame", () => {
  const face = (x: number, y: number, side: number, score: number): DetectedFace => ({
    box: { x, y, width: side, height: side },
    score,
    keypoints: {} as DetectedFace['keypoints'],
    pose: { yaw: 0, pitch: 0, roll: 0 },
  });
  it('adds a face further back, keeps the near face the short-range model is sure of', () => {
    const near = face(100, 100, 200, 0.95);
    const far = face(450, 50, 48, 0.8);
    const sameNear = face(110, 105, 190, 0.9);
    expect(addFarFaces([near], [sameNear, far], 0.75)).toEqual([near, far]);
  });
  it('one face is one face: a full-range box inside the near box, or around it, is not added', () => {
    const near = face(100, 100, 200, 0.95);
    expect(addFarFaces([near], [face(160, 160, 60, 0.8)], 0.75)).toEqual([near]); // IoU 0.09, inside
    expect(addFarFaces([near], [face(40, 40, 320, 0.8)], 0.75)).toEqual([near]); // IoU 0.39
    expect(addFarFaces([near], [face(20, 20, 370, 0.8)], 0.75)).toEqual([near]); // IoU 0.29, around it
    expect(sameFace(face(0, 0, 100, 1).box, face(100, 0, 100, 1).box)).toBe(false); // side by side
  });
  it('a face the short-range model is unsure of gives way to the full-range face in its place', () => {
    const unsure = face(300, 100, 60, 0.6);
    const far = face(305, 102, 58, 0.85);
    expect(addFarFaces([unsure], [far], 0.75)).toEqual([far]);
    expect(addFarFaces([unsure], [], 0.75)).toEqual([unsure]);
  });
});

describe("the frames' clock", () => {
  const times = (given: number[]) => {
    let clock = NEW_FRAME_CLOCK;
    return given.map((g) => {
      const next = frameTime(clock, g);
      clock = next.clock;
      return next;
    });
  };

  it('reads the timestamps as given while they increase, and a frame processed twice as the same moment', () => {
    expect(times([10, 43, 43, 76, 109]).map((t) => t.now)).toEqual([10, 43, 43, 76, 109]);
  });

  it('counts frames at an assumed rate once the timestamp has stood still for a while, and goes on from there', () => {
    const stopped = times([...Array<number>(STALLED_CLOCK_FRAMES + 3).fill(0), 1]).map((t) => t.now);
    expect(stopped.slice(0, STALLED_CLOCK_FRAMES)).toEqual(Array<number>(STALLED_CLOCK_FRAMES).fill(0));
    expect(stopped.slice(STALLED_CLOCK_FRAMES)).toEqual(
      [1, 2, 3].map((k) => k * ASSUMED_FRAME_MS).concat(1 + 3 * ASSUMED_FRAME_MS),
    );
  });

  it('restarts on a timestamp earlier than the last', () => {
    const stoppedThenRestarted = times([...Array<number>(STALLED_CLOCK_FRAMES + 2).fill(500), 100]);
    expect(stoppedThenRestarted.at(-1)).toMatchObject({ now: 100, restarted: true });
    expect(times([0, 0])[1]!.restarted).toBe(false);
  });
});

describe('keepFollowed', () => {
  const at = (x: number, size = 100) => ({ box: { x, y: 0, width: size, height: size } });
  it('with more faces than it follows: the largest, then the faces already followed, then the next largest', () => {
    // Largest first, as the detector gives them.
    const faces = [at(0, 200), at(300, 150), at(500, 120), at(700, 110), at(900, 100)];
    const tracked = [at(900).box, at(700).box];
    expect(keepFollowed(faces, tracked, 3)).toEqual([faces[0], faces[3], faces[4]]);
    expect(keepFollowed(faces, [], 3)).toEqual(faces.slice(0, 3));
    expect(keepFollowed(faces, tracked, 9)).toEqual(faces);
  });
});
