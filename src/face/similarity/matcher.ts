import type { FaceTemplate } from '../../vocabulary';
import { FaceError } from '../../errors';

import { calibrate, type CalibrationTable } from './calibration';
import {
  decodeCrowding,
  pairNormScore,
  predictCohortStats,
  type CohortStats,
  type CrowdingParams,
  type PairNormConfig,
} from './pairNorm';

/**
 * How raw per-model cosines become one calibrated similarityScore. Produced by `npm run bench -- calibrate`
 * from LFW measurements (see BENCHMARKS.md) and shipped as src/face/similarity/calibration.json.
 */
export interface MatcherConfig {
  /** Embedders whose cosines are fused, with the impostor mean/std used to z-normalise each and its weight. */
  models: { id: string; weight: number; mean: number; std: number }[];
  /** Maps the fused raw score to a false-match rate. */
  table: CalibrationTable;
  /**
   * Collection-aware correction of 1:N search scores (FusedScorer.cohortShift): a probe's mean plain raw score over
   * the other persons of the collection above `reference` (its 90th percentile on LFW) means the camera scores
   * everyone alike; `alpha` of that excess is subtracted, with at least `minCohort` other persons.
   */
  cohort?: { alpha: number; reference: number; minCohort: number };
  /**
   * Scores normalised for how crowded each face's neighbourhood is (pairNorm.ts), calibrated on LFW and webcam
   * frames together: `compareFaces` and every search score. Without it, scores are `similarity`.
   */
  pairNorm?: PairNormConfig;
}

/** The cosine of two unit vectors, i.e. their dot product (templates are L2-normalised). */
export function cosine(a: Float32Array, b: Float32Array): number {
  let dot = 0;
  for (let i = 0; i < a.length; i++) dot += a[i]! * b[i]!;
  return dot;
}

export class Matcher {
  constructor(readonly config: MatcherConfig) {}

  get modelIds(): string[] {
    return this.config.models.map((m) => m.id);
  }

  /** Fused raw score: weighted sum of z-normalised cosines. */
  raw(a: FaceTemplate, b: FaceTemplate): number {
    let sum = 0;
    for (const m of this.config.models) {
      const va = vectorOf(a, m.id),
        vb = vectorOf(b, m.id);
      sum += (m.weight * (cosine(va, vb) - m.mean)) / m.std;
    }
    return sum;
  }

  /** similarityScore in [0, 1]: 0.7 ⇔ a measured false-match rate of 0.1 % on LFW different-person pairs. */
  similarity(a: FaceTemplate, b: FaceTemplate): number {
    return calibrate(this.raw(a, b), this.config.table);
  }

  private crowding?: CrowdingParams[];

  /**
   * The 1:1 score of two faces without a collection: each model's cosine taken relative to how crowded each face's
   * neighbourhood is (pairNorm.ts), fused and calibrated so that 0.7 holds about 0.1 % false matches on both LFW
   * photos and webcam frames (BENCHMARKS.md). Without a pairNorm in the config it is `similarity`.
   */
  compare(a: FaceTemplate, b: FaceTemplate): number {
    return calibrate(this.compareRaw(a, b), this.compareTable);
  }

  /** The calibration table of `compareRaw` scores. */
  get compareTable(): CalibrationTable {
    return this.config.pairNorm?.table ?? this.config.table;
  }

  /** The fused normalised score `compare` calibrates (the plain fused raw score without a pairNorm). */
  compareRaw(a: FaceTemplate, b: FaceTemplate): number {
    const norm = this.config.pairNorm;
    if (!norm) return this.raw(a, b);
    const sa = this.crowdingOf(a, norm),
      sb = this.crowdingOf(b, norm);
    let sum = 0;
    norm.models.forEach((m, i) => {
      const s = pairNormScore(cosine(vectorOf(a, m.id), vectorOf(b, m.id)), sa[i]!, sb[i]!);
      sum += (m.weight * (s - m.mean)) / m.std;
    });
    return sum;
  }

  // A template compared with many others (a benchmark's pair list) is predicted once.
  private readonly crowdingCache = new WeakMap<FaceTemplate, CohortStats[]>();

  private crowdingOf(t: FaceTemplate, norm: PairNormConfig): CohortStats[] {
    let stats = this.crowdingCache.get(t);
    if (!stats) {
      this.crowding ??= norm.models.map((m) => decodeCrowding(m));
      stats = norm.models.map((m, i) => predictCohortStats(this.crowding![i]!, vectorOf(t, m.id)));
      this.crowdingCache.set(t, stats);
    }
    return stats;
  }
}

function vectorOf(t: FaceTemplate, id: string): Float32Array {
  const i = t.models.indexOf(id);
  if (i < 0) {
    // Templates from a different embedding model are never compared (their raw scores mean different things).
    throw new FaceError(
      'ERR_MODEL_MISMATCH',
      `A face template was made with models [${t.models.join(', ')}] but this matcher needs ${id}. Re-enroll the face with this version of LocalFace.`,
    );
  }
  return t.vectors[i]!;
}
