import * as tf from '../runtime/tf';
import type { LivenessCode, FaceAttributes, FaceLiveness } from './types';
import type { EyeOpenness } from './eyes';
import head from './livenessHead.json';

/**
 * The liveness score: a logistic head over the 8 leaf scores of FaceAntiSpoofing.tflite (crop 1.3 × box) and 6
 * image statistics of the aligned face (livenessImageStats), trained by bench/checks/train-liveness.mjs on the NUAA
 * subjects with odd ids; its threshold is the 5 % BPCER point of leave-one-subject-out scores on those subjects.
 * The model's own leaf scores alone separate NUAA live from print with AUC 0.82; with the statistics, 0.95
 * (held-out subjects). The statistics also capture how NUAA's prints were captured, so expect less elsewhere.
 */
export interface LivenessHead {
  features: string;
  threshold: number;
  w: number[];
  b: number;
}
export const LIVENESS_HEAD = head as LivenessHead;

/** Image statistics of an aligned 112-px face, as the liveness head was trained on them. */
export interface LivenessImageStats {
  lapVar: number;
  grad: number;
  mean: number;
  std: number;
  chroma: number;
  sat: number;
}

/** livenessImageStats of each face of `aligned` ([n, 112, 112, 3] RGB 0..255). Does not dispose `aligned`. */
export function livenessImageStats(aligned: tf.Tensor4D): LivenessImageStats[] {
  const [n, h, w] = aligned.shape;
  if (n === 0) return [];
  const values = tf.tidy(() => {
    const rgb = tf.cast(aligned, 'float32');
    const gray = tf.sum(tf.mul(rgb, tf.tensor1d([0.299, 0.587, 0.114])), -1, true) as tf.Tensor4D;
    const lap = tf.conv2d(gray, tf.tensor4d([0, 1, 0, 1, -4, 1, 0, 1, 0], [3, 3, 1, 1]), 1, 'valid');
    const lapVar = tf.moments(lap, [1, 2, 3]).variance;
    const gx = tf.sub(tf.slice(gray, [0, 0, 1, 0], [n, h, w - 1, 1]), tf.slice(gray, [0, 0, 0, 0], [n, h, w - 1, 1]));
    const grad = tf.mean(tf.abs(gx), [1, 2, 3]);
    const { mean, variance } = tf.moments(gray, [1, 2, 3]);
    const mx = tf.max(rgb, -1), mn = tf.min(rgb, -1);
    const chroma = tf.mean(tf.sub(mx, mn), [1, 2]);
    const sat = tf.mean(tf.div(tf.sub(mx, mn), tf.add(mx, 1)), [1, 2]);
    return tf.stack([lapVar, grad, mean, tf.sqrt(variance), chroma, sat], 1);
  });
  const d = values.dataSync();
  values.dispose();
  return Array.from({ length: n }, (_, i) => ({ lapVar: d[i * 6]!, grad: d[i * 6 + 1]!, mean: d[i * 6 + 2]!, std: d[i * 6 + 3]!, chroma: d[i * 6 + 4]!, sat: d[i * 6 + 5]! }));
}

/** The head's feature vector (must match bench/checks/train-liveness.mjs 'fas13+q'); pure. */
export function livenessFeatures(antispoofRaw: ArrayLike<number>, s: LivenessImageStats): number[] {
  const clip = (v: number) => Math.min(1.5, Math.max(-0.5, v));
  const leaves = Array.from({ length: 8 }, (_, i) => clip(antispoofRaw[i]!));
  return [...leaves, Math.log(s.lapVar + 1), Math.log(s.grad + 1), s.mean / 255, s.std / 255, s.chroma / 255, s.sat];
}

/** The head's raw live probability in [0, 1]; pure. */
export function livenessHeadScore(features: readonly number[], model: LivenessHead = LIVENESS_HEAD): number {
  let z = model.b;
  for (let i = 0; i < model.w.length; i++) z += model.w[i]! * features[i]!;
  return 1 / (1 + Math.exp(-z));
}

/**
 * Decision rules of the passive-liveness check, pure. Thresholds measured in bench/results/issue4.md:
 * `live` on NUAA's odd subject ids (reported on the even ones), `eyesClosedRatio` on LFW.
 */
export interface LivenessThresholds {
  /** Raw live probability of the liveness head at or above which a face is live. */
  live: number;
  /** Eye aspect ratio below which an eye counts as closed (both eyes must be closed). */
  eyesClosedRatio: number;
  /** Mask or sunglasses probability at or above which the face is occluded. */
  occluded: number;
}

export const DEFAULT_LIVENESS_THRESHOLDS: LivenessThresholds = Object.freeze({
  live: LIVENESS_HEAD.threshold,
  eyesClosedRatio: 0.12,
  occluded: 0.5,
});

/** Maps a raw live score onto [0, 1] so that the chosen threshold lands on 0.5 (piecewise linear, monotone). */
export function calibratedLiveScore(raw: number, threshold: number): number {
  const s = Math.min(1, Math.max(0, raw));
  if (threshold <= 0) return 1;
  if (threshold >= 1) return s >= 1 ? 1 : 0.5 * s;
  const v = s < threshold ? (0.5 * s) / threshold : 0.5 + (0.5 * (s - threshold)) / (1 - threshold);
  return Math.round(v * 1e4) / 1e4;
}

export interface LivenessEvidence {
  /** Geometry problems (geometryProblems()), in priority order. */
  geometry: readonly LivenessCode[];
  /** Raw anti-spoofing live score, when the model ran. */
  rawScore?: number;
  eyes?: EyeOpenness;
  attributes?: FaceAttributes;
}

/** The liveness verdict of one face from its evidence; pure. */
export function decideLiveness(e: LivenessEvidence, t: LivenessThresholds = DEFAULT_LIVENESS_THRESHOLDS): FaceLiveness {
  const score = e.rawScore === undefined ? 0 : calibratedLiveScore(e.rawScore, t.live);
  const fail = (code: LivenessCode): FaceLiveness => ({ live: false, score, code });
  if (e.geometry.length > 0) return fail(e.geometry[0]!);
  if (e.attributes && (e.attributes.mask >= t.occluded || e.attributes.sunglasses >= t.occluded)) return fail('FACE_IS_OCCLUDED');
  if (e.eyes && e.eyes.left < t.eyesClosedRatio && e.eyes.right < t.eyesClosedRatio) return fail('EYES_CLOSED');
  if (e.rawScore === undefined) return fail('UNKNOWN_ERROR');
  if (e.rawScore < t.live) return fail('FACE_NOT_LIVE');
  return { live: true, score, code: null };
}
