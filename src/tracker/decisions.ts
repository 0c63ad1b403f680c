// What the tracker decides over a track's frames: when to embed, the running template, the best frames to enroll,
// and liveness from several frames' evidence. Pure functions.
import type { LivenessCode, LivenessEvidence, LivenessThresholds } from '../face/checks';
import { evidenceIsNumbers, noseOffset } from '../face/checks';
import type { FaceQuality } from '../face/checks';
import type { DetectedFace, FaceTemplate } from '../vocabulary';

// ---- frames worth embedding ---------------------------------------------------------------------------------------

/**
 * How good a frame of a face is for recognition, in [0, 1]: large enough, frontal, sharp and lit. Compares frames of
 * the same track; not a calibrated quality.
 */
export function frameGoodness(face: DetectedFace, quality?: FaceQuality): number {
  const size = Math.min(1, Math.max(face.box.width, face.box.height) / 160);
  const frontal = Math.max(0, 1 - noseOffset(face) / 0.6) * Math.max(0, 1 - Math.abs(face.pose.pitch) / 60);
  const clarity = quality ? (1 - quality.blur) * (1 - quality.dark) : 1;
  return Math.max(0, size * frontal * clarity * Math.min(1, face.score / 0.9));
}

export interface EmbedPolicy {
  /** A face not (yet) recognised is embedded again at most this often, so that one turning to the camera is recognised. */
  unknownEveryMs: number;
  /** A recognised face is embedded again this often anyway (a periodic re-check of who it is). */
  recheckEveryMs: number;
  /**
   * A frame this much better (goodness ratio) than the track's best so far is embedded sooner: at once while the
   * face is not recognised (a face entering the picture is named on its first good frame, not at the next
   * re-check), after `unknownEveryMs` once it is.
   */
  betterFrameRatio: number;
}

export const DEFAULT_EMBED_POLICY: EmbedPolicy = Object.freeze({
  unknownEveryMs: 500,
  recheckEveryMs: 2000,
  betterFrameRatio: 1.15,
});

export interface EmbedState {
  /** Frames embedded so far. */
  embedded: number;
  /** Timestamp of the last embedding (ms), when any. */
  lastEmbedAt?: number;
  /** Goodness of the best embedded frame so far (0 when none). */
  bestGoodness: number;
  /** Whether the track is currently matched to a person. */
  recognised: boolean;
}

/** Whether this frame of the track should be embedded: a new track, a clearly better frame, a periodic re-check. */
export function shouldEmbed(
  state: EmbedState,
  now: number,
  goodness: number,
  policy: EmbedPolicy = DEFAULT_EMBED_POLICY,
): boolean {
  if (state.embedded === 0 || state.lastEmbedAt === undefined) return true;
  const since = now - state.lastEmbedAt;
  if (since >= policy.recheckEveryMs) return true;
  const clearlyBetter = goodness > state.bestGoodness * policy.betterFrameRatio;
  if (!state.recognised && clearlyBetter) return true;
  if (since < policy.unknownEveryMs) return false;
  return !state.recognised || clearlyBetter;
}

/** The running template of a track: per model, the L2-normalised mean of its frames' vectors. */
export function meanTemplate(frames: readonly FaceTemplate[]): FaceTemplate {
  const first = frames[0];
  if (!first) throw new Error('meanTemplate needs at least one frame');
  const vectors = first.vectors.map((v, m) => {
    const sum = new Float32Array(v.length);
    for (const f of frames) {
      const x = f.vectors[m]!;
      for (let i = 0; i < sum.length; i++) sum[i]! += x[i]!;
    }
    let norm = 0;
    for (let i = 0; i < sum.length; i++) norm += sum[i]! * sum[i]!;
    norm = Math.sqrt(norm) || 1;
    for (let i = 0; i < sum.length; i++) sum[i]! /= norm;
    return sum;
  });
  return { models: [...first.models], vectors };
}

/** Keeps the `max` best items by goodness (best first), adding `candidate`; returns the new list and whether it was kept. */
export function keepBest<T extends { goodness: number }>(
  kept: readonly T[],
  candidate: T,
  max: number,
): { kept: T[]; added: boolean } {
  const all = [...kept, candidate].sort((a, b) => b.goodness - a.goodness).slice(0, max);
  return { kept: all, added: all.includes(candidate) };
}

// ---- which detection a frame gets ------------------------------------------------------------------------------

/**
 * With nobody in view, a frame's full detection ('frame': the full-range model too, when the short-range one
 * finds no face the tracker keeps) costs 4–5 times the short-range pass alone (80–100 ms against ~20 ms per 640×480
 * frame on 2 cores), and almost every such frame is empty. So an empty scene gets the full detection at most this often; a face near
 * the camera is still found on its first frame, a far one within this time.
 */
export const FULL_DETECTION_EVERY_MS = 500;

/**
 * The detection mode for a frame. With nobody in view: the short-range model ('near'), and the full detection
 * ('frame') now and then. With faces in view: 'frame' (the short-range model; the full-range one too when it is sure
 * of fewer faces than are tracked), and 'wide' (both models, their faces merged) at most every `everyMs`, so that a
 * face further back than a tracked one is found within that time (~25 ms more per 640×480 frame).
 */
export function detectionModeFor(
  liveTracks: number,
  last: { fullAt: number | undefined; wideAt: number | undefined },
  now: number,
  everyMs: number = FULL_DETECTION_EVERY_MS,
): 'near' | 'frame' | 'wide' {
  // A timestamp earlier than the last pass (a clip restarted) starts over.
  const due = (at: number | undefined) => at === undefined || now - at >= everyMs || now < at;
  if (liveTracks === 0) return due(last.fullAt) ? 'frame' : 'near';
  return due(last.wideAt) ? 'wide' : 'frame';
}

// ---- liveness over frames -------------------------------------------------------------------------------------------

export interface TrackLivenessPolicy {
  /**
   * Frames with usable evidence (no geometry problem) a decision is made on. Fewer decide when the frames still
   * missing could not change the decision, whatever they show (e.g. two frames whose clipped margins sum above
   * `clip`: a third clipped at −clip still leaves the mean above 0): the same decision, a frame sooner.
   */
  minFrames: number;
  /** The decision reads the last this many frames of evidence. */
  window: number;
  /**
   * Each frame's log-odds margin (raw score − the track threshold) is clipped to ± this before averaging, so that one
   * extreme frame (a lucky print, a washed-out live face) cannot decide alone.
   */
  clip: number;
  /** A frame of evidence is taken at most this often while undecided (consecutive video frames are near copies) ... */
  undecidedEveryMs: number;
  /** ... and this often once decided (a re-check). */
  decidedEveryMs: number;
}

export const DEFAULT_TRACK_LIVENESS_POLICY: TrackLivenessPolicy = Object.freeze({
  minFrames: 3,
  window: 10,
  clip: 2.5,
  undecidedEveryMs: 100,
  decidedEveryMs: 1000,
});

export interface TrackLiveness {
  live: boolean;
  /** In (0, 1), 0.5 at the threshold: σ(mean clipped margin); 0 when no frame could be scored. */
  score: number;
  code: LivenessCode | null;
  /** Frames whose evidence entered the decision. */
  framesUsed: number;
}

/**
 * The liveness of a track from its frames' evidence, oldest first; null while undecided. A face whose every recent
 * frame has a geometry problem (too small, at the border, turned away) gets that problem as its code. An attack
 * (mean margin below 0) is reported as FACE_NOT_LIVE first; occlusion and closed eyes count only when they hold in most frames (one blink, one misread frame do not refuse anyone);
 * the anti-spoofing margin is averaged over the frames after clipping.
 */
export function decideTrackLiveness(
  frames: readonly LivenessEvidence[],
  t: LivenessThresholds,
  policy: TrackLivenessPolicy = DEFAULT_TRACK_LIVENESS_POLICY,
): TrackLiveness | null {
  const recent = frames.slice(-policy.window);
  // A frame whose model output is not a number (a failed run) is no evidence either way.
  const usable = recent.filter((f) => f.geometry.length === 0 && f.rawScore !== undefined && evidenceIsNumbers(f));
  const margins = usable.map((f) => Math.max(-policy.clip, Math.min(policy.clip, f.rawScore! - t.trackLive)));
  const sum = margins.reduce((s, m) => s + m, 0);
  const occluded = (f: LivenessEvidence) =>
    !!f.attributes && (f.attributes.mask >= t.occluded || f.attributes.sunglasses >= t.occluded);
  const eyesClosed = (f: LivenessEvidence) =>
    !!f.eyesClosed && f.eyesClosed.length === 2 && Math.min(...f.eyesClosed) >= t.eyesClosed;
  // Before minFrames: decided only if every evidence the missing frames could bring (each a margin within ±clip,
  // each possibly occluded or eyes closed) leads to this same decision at minFrames.
  const missing = policy.minFrames - usable.length;
  const couldBecomeMost = (flag: (f: LivenessEvidence) => boolean) =>
    (usable.filter(flag).length + missing) * 2 > policy.minFrames;
  const settled =
    usable.length > 0 &&
    (sum + missing * policy.clip <= 0 ||
      (sum - missing * policy.clip > 0 && !couldBecomeMost(occluded) && !couldBecomeMost(eyesClosed)));
  if (missing > 0 && !settled) {
    const lastFew = recent.slice(-policy.minFrames);
    if (lastFew.length === policy.minFrames && lastFew.every((f) => f.geometry.length > 0)) {
      return { live: false, score: 0, code: mostFrequent(lastFew.map((f) => f.geometry[0]!)), framesUsed: 0 };
    }
    return null;
  }
  const mean = sum / margins.length;
  const score = Math.round(1e4 / (1 + Math.exp(-mean))) / 1e4;
  const most = (flag: (f: LivenessEvidence) => boolean) => usable.filter(flag).length * 2 > usable.length;
  const result = (code: LivenessCode | null): TrackLiveness => ({
    live: code === null,
    score,
    code,
    framesUsed: usable.length,
  });
  // An attack is reported as one (a print often also reads as occluded to the attribute heads). A tie (e.g. one
  // clipped live frame against one clipped attack frame) is contradictory evidence: not live.
  if (mean <= 0) return result('FACE_NOT_LIVE');
  if (most(occluded)) return result('FACE_IS_OCCLUDED');
  if (most(eyesClosed)) return result('EYES_CLOSED');
  return result(null);
}

/** Whether to take liveness evidence on this frame of the track. */
export function shouldCheckLiveness(
  decided: boolean,
  lastAt: number | undefined,
  now: number,
  policy: TrackLivenessPolicy = DEFAULT_TRACK_LIVENESS_POLICY,
): boolean {
  if (lastAt === undefined) return true;
  return now - lastAt >= (decided ? policy.decidedEveryMs : policy.undecidedEveryMs);
}

function mostFrequent<T>(items: readonly T[]): T {
  const counts = new Map<T, number>();
  for (const x of items) counts.set(x, (counts.get(x) ?? 0) + 1);
  let best: T = items[items.length - 1]!;
  for (const [x, n] of counts) if (n > (counts.get(best) ?? 0)) best = x;
  return best;
}

// ---- the frames' clock ----------------------------------------------------------------------------------------------

/**
 * Every interval of the tracker (re-checks, liveness evidence, a missed track's end) is read on the frames'
 * timestamps. A clock that stops (VideoFrames built with timestamp 0, a paused video's currentTime) would freeze them
 * all: after this many frames in a row with the same timestamp ...
 */
export const STALLED_CLOCK_FRAMES = 10;
/** ... each further frame counts as this much later (a 30 frames/s camera). */
export const ASSUMED_FRAME_MS = 33;

export interface FrameClock {
  /** The last frame's timestamp as given. */
  lastGiven?: number;
  /** Added to the given timestamps: the frames counted while the clock stood still. */
  offset: number;
  /** Frames in a row with the same given timestamp. */
  repeats: number;
}

export const NEW_FRAME_CLOCK: FrameClock = Object.freeze({ offset: 0, repeats: 0 });

/**
 * The time of a frame given its timestamp. A timestamp earlier than the last (a looped clip, another camera) restarts
 * the clock; the same timestamp again a few times is the same moment (one frame processed twice), more than
 * STALLED_CLOCK_FRAMES times a clock that stopped.
 */
export function frameTime(clock: FrameClock, given: number): { clock: FrameClock; now: number; restarted: boolean } {
  if (clock.lastGiven === undefined || given < clock.lastGiven)
    return {
      clock: { lastGiven: given, offset: 0, repeats: 0 },
      now: given,
      restarted: clock.lastGiven !== undefined,
    };
  if (given > clock.lastGiven)
    return {
      clock: { lastGiven: given, offset: clock.offset, repeats: 0 },
      now: given + clock.offset,
      restarted: false,
    };
  const repeats = clock.repeats + 1;
  const offset = clock.offset + (repeats >= STALLED_CLOCK_FRAMES ? ASSUMED_FRAME_MS : 0);
  return { clock: { lastGiven: given, offset, repeats }, now: given + offset, restarted: false };
}
