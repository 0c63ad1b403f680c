import { decodeBase64 } from '../input/imageHeader';
import type { CalibrationTable } from './calibration';

/**
 * 1:1 scores normalised for how crowded each face's neighbourhood is (adaptive S-norm without a cohort). A camera
 * that makes every face look alike raises a face's cosines with everybody, not only with its own person. S-norm
 * scores a pair relative to each face's k highest cosines with a reference cohort of faces:
 *
 *     s_m(a, b) = ½ [(cos_m(a, b) − μ(a)) / σ(a) + (cos_m(a, b) − μ(b)) / σ(b)]
 *
 * Shipping a cohort would mean shipping real people's face templates, so LocalFace ships instead a regression that
 * predicts μ and log σ of a face's top-k cohort cosines from the face's own vector: weights over [1, v, pᵢpⱼ], with p
 * the face's coordinates on the fitting faces' first principal directions. The weights are aggregate statistics of
 * the fitting faces (LFW fit half + NUAA odd ids); they hold no face. Written by tools/domain-study/snorm.ts
 * (`--write`) as src/face/similarity/pairNorm.json.
 */
export interface PairNormModel {
  id: string;
  weight: number;
  /** Mean and spread of this model's normalised scores over LFW fit-half different-person pairs (z-normalisation). */
  mean: number;
  std: number;
  dimension: number;
  /** Principal directions used for the quadratic terms. */
  components: number;
  /** Little-endian float32, base64: centre (dimension), basis (components × dimension), then the weights for μ and for log σ. */
  params: string;
}

export interface PairNormConfig {
  models: PairNormModel[];
  /** Maps the fused normalised score to a false-match rate (the higher of LFW's and webcams' at each level). */
  table: CalibrationTable;
  /** The fitting run that chose it (tools/domain-study/snorm.ts). */
  source?: string;
}

export interface CohortStats {
  mu: number;
  sd: number;
}

export interface CrowdingParams {
  centre: Float32Array;
  basis: Float32Array[];
  wMu: Float32Array;
  wLogSd: Float32Array;
}

/** Length of crowdingFeatures for `dimension` and `components`. */
export function featureCount(dimension: number, components: number): number {
  return 1 + dimension + (components * (components + 1)) / 2;
}

/** [1, v, pᵢpⱼ for i ≤ j] with p = basis · (v − centre). */
export function crowdingFeatures(v: Float32Array, centre: Float32Array, basis: readonly Float32Array[]): Float64Array {
  const p = basis.map((b) => {
    let s = 0;
    for (let i = 0; i < v.length; i++) s += b[i]! * (v[i]! - centre[i]!);
    return s;
  });
  const out = new Float64Array(featureCount(v.length, p.length));
  out[0] = 1;
  out.set(v, 1);
  let k = 1 + v.length;
  for (let i = 0; i < p.length; i++) for (let j = i; j < p.length; j++) out[k++] = p[i]! * p[j]!;
  return out;
}

function dot(w: ArrayLike<number>, f: Float64Array): number {
  let s = 0;
  for (let i = 0; i < f.length; i++) s += w[i]! * f[i]!;
  return s;
}

/** Predicted mean and spread of the face's top-k cohort cosines (the weights may be float32 or float64). */
export function predictCohortStats(
  p: Pick<CrowdingParams, 'centre' | 'basis'> & { wMu: ArrayLike<number>; wLogSd: ArrayLike<number> },
  v: Float32Array,
): CohortStats {
  const f = crowdingFeatures(v, p.centre, p.basis);
  return { mu: dot(p.wMu, f), sd: Math.exp(dot(p.wLogSd, f)) };
}

export function decodeCrowding(model: PairNormModel): CrowdingParams {
  const d = model.dimension,
    P = model.components,
    F = featureCount(d, P);
  const bytes = decodeBase64(model.params);
  const count = d + P * d + 2 * F;
  if (!bytes || bytes.length !== 4 * count)
    throw new RangeError(`pairNorm parameters of ${model.id}: ${bytes?.length ?? 0} bytes, expected ${4 * count}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const all = Float32Array.from({ length: count }, (_, i) => view.getFloat32(4 * i, true));
  return {
    centre: all.subarray(0, d),
    basis: Array.from({ length: P }, (_, k) => all.subarray(d + k * d, d + (k + 1) * d)),
    wMu: all.subarray(d + P * d, d + P * d + F),
    wLogSd: all.subarray(d + P * d + F, count),
  };
}

/** The inverse of decodeCrowding (used by the fitting tool). */
export function encodeCrowding(p: {
  centre: ArrayLike<number>;
  basis: readonly ArrayLike<number>[];
  wMu: ArrayLike<number>;
  wLogSd: ArrayLike<number>;
}): string {
  const parts = [p.centre, ...p.basis, p.wMu, p.wLogSd];
  const count = parts.reduce((s, x) => s + x.length, 0);
  const view = new DataView(new ArrayBuffer(4 * count));
  let i = 0;
  for (const part of parts) for (let j = 0; j < part.length; j++) view.setFloat32(4 * i++, part[j]!, true);
  let binary = '';
  for (const b of new Uint8Array(view.buffer)) binary += String.fromCharCode(b);
  return btoa(binary);
}

/** The pair's cosine relative to each face's cohort statistics, averaged. */
export function pairNormScore(cos: number, a: CohortStats, b: CohortStats): number {
  return 0.5 * ((cos - a.mu) / a.sd + (cos - b.mu) / b.sd);
}
