import type { FaceTemplate } from '../../vocabulary';
import { FaceError } from '../../errors';

import { calibrate, type CalibrationTable } from './calibration';

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
   * Collection-aware correction of 1:N search scores (FusedScorer.cohortShift): a probe's mean raw score over the
   * other persons of the collection above `reference` (its 90th percentile on LFW) means the camera scores
   * everyone alike; `alpha` of that excess is subtracted, with at least `minCohort` other persons.
   */
  cohort?: { alpha: number; reference: number; minCohort: number };
}

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
