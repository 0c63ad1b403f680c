import type { LivenessCode, FaceAttributes, FaceLiveness } from './types';
import { fasnetLiveLogOdds } from './fasnet';
import chosen from './livenessThreshold.json';
import { ATTRIBUTE_HEADS } from './attributes';

/**
 * The liveness score: FasNet's live log-odds (src/face/checks/fasnet.ts), averaged over the face crop and its mirror image.
 * Both thresholds were chosen on the NUAA subjects with odd ids and are reported on the even ids (BENCHMARKS.md,
 * "Passive liveness"). One image: where the whole decision (closed eyes and occlusion included) best meets
 * BPCER ≤ 10 % at APCER ≤ 5 % (tools/fit-checks/operating-point.mjs).
 */
export const LIVENESS_SCORE_THRESHOLD: number = chosen.threshold;

/**
 * A track's threshold is stricter (the 5th percentile of the odd ids' live scores, tools/fit-checks/train-liveness.mjs):
 * averaging a track's frames already spares live people the single frames that fall low, and a print filmed for a
 * few frames gets several tries, so the looser single-image threshold would let more prints through.
 */
export const TRACK_LIVENESS_SCORE_THRESHOLD: number = chosen.trackThreshold;

/** The raw liveness score (log-odds) from FasNet's logits on the crop and on its mirror image; pure. */
export function livenessScore(logits: ArrayLike<number>, mirroredLogits: ArrayLike<number>): number {
  return (fasnetLiveLogOdds(logits) + fasnetLiveLogOdds(mirroredLogits)) / 2;
}

/**
 * Decision rules of the passive-liveness check, pure. Thresholds measured in tools/results/face-checks-notes.md:
 * `live` on NUAA's odd subject ids (reported on the even ones), `eyesClosed` on LFW and webcam frames.
 */
export interface LivenessThresholds {
  /** Raw liveness score (log-odds) at or above which a face in one image is live. */
  live: number;
  /** The same for a track, on the mean of its frames' scores (each clipped, src/tracker/decisions.ts). */
  trackLive: number;
  /** Probability (eye-state model) at or above which BOTH eyes must be closed for EYES_CLOSED. */
  eyesClosed: number;
  /** Mask or sunglasses probability at or above which the face is occluded (FACE_IS_OCCLUDED). Higher than the 0.5 of
   * `attributes`: a live face wrongly refused here counts against BPCER (tools/fit-checks/analyze-attributes.mjs). */
  occluded: number;
}

export const DEFAULT_LIVENESS_THRESHOLDS: LivenessThresholds = Object.freeze({
  live: LIVENESS_SCORE_THRESHOLD,
  trackLive: TRACK_LIVENESS_SCORE_THRESHOLD,
  eyesClosed: 0.99,
  occluded: ATTRIBUTE_HEADS.livenessOccludedThreshold,
});

/** Maps a raw score (log-odds) onto (0, 1) so that the threshold lands on 0.5: σ(raw − threshold), 4 decimals. */
export function calibratedLiveScore(raw: number, threshold: number): number {
  return Math.round(1e4 / (1 + Math.exp(threshold - raw))) / 1e4;
}

export interface LivenessEvidence {
  /** Geometry problems (geometryProblems()), in priority order. */
  geometry: readonly LivenessCode[];
  /** Raw liveness score (livenessScore), when the model ran. */
  rawScore?: number;
  /** Closed probability of each eye (eye-state model), when it ran. */
  eyesClosed?: readonly number[];
  attributes?: FaceAttributes;
}

/**
 * Whether the model outputs the evidence holds (liveness score, occlusion and eye probabilities, those measured) are
 * numbers: NaN from a failed run would pass every threshold comparison.
 */
export function evidenceIsNumbers(e: LivenessEvidence): boolean {
  const a = e.attributes;
  return (
    (e.rawScore === undefined || Number.isFinite(e.rawScore)) &&
    (!a || (Number.isFinite(a.mask) && Number.isFinite(a.sunglasses))) &&
    (e.eyesClosed ?? []).every(Number.isFinite)
  );
}

/** The liveness verdict of one face from its evidence, codes in this order: geometry, occlusion, model, eyes; pure. */
export function decideLiveness(e: LivenessEvidence, t: LivenessThresholds = DEFAULT_LIVENESS_THRESHOLDS): FaceLiveness {
  const score = Number.isFinite(e.rawScore) ? calibratedLiveScore(e.rawScore!, t.live) : 0;
  const fail = (code: LivenessCode): FaceLiveness => ({ live: false, score, code });
  if (e.geometry.length > 0) return fail(e.geometry[0]!);
  // A model output that is not a number (a failed run) must not pass every comparison below as "live".
  if (!evidenceIsNumbers(e)) return fail('UNKNOWN_ERROR');
  if (e.attributes && (e.attributes.mask >= t.occluded || e.attributes.sunglasses >= t.occluded))
    return fail('FACE_IS_OCCLUDED');
  if (e.rawScore === undefined) return fail('UNKNOWN_ERROR');
  // An attack is reported as one; closed eyes are guidance for a face the model takes as live (prints often look
  // down: 16 of 236 NUAA prints read as closed-eyed).
  if (e.rawScore < t.live) return fail('FACE_NOT_LIVE');
  if (e.eyesClosed && e.eyesClosed.length === 2 && Math.min(...e.eyesClosed) >= t.eyesClosed)
    return fail('EYES_CLOSED');
  return { live: true, score, code: null };
}
