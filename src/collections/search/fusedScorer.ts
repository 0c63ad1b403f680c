import type { FaceTemplate } from '../../vocabulary';
import { calibrate, logFarOf } from '../../face/similarity/calibration';
import type { MatcherConfig } from '../../face/similarity/matcher';
import type { Cohort } from './collectionIndex';

/**
 * The matcher's fused score as one dot product, so a search scans a single contiguous row per face.
 *
 * Matcher.raw(a, b) = Σ_m w_m (cos_m(a, b) − μ_m) / σ_m is linear in the per-model cosines, so with a row being
 * the face's per-model vectors concatenated and the query's model-m part pre-scaled by w_m / σ_m,
 * raw = row · query − Σ_m w_m μ_m / σ_m. `similarity(raw)` then equals Matcher.similarity exactly.
 */
export class FusedScorer {
  /** Offsets of each model's vector inside a row, in row order. */
  private readonly parts: { id: string; offset: number; dim: number; scale: number }[];
  readonly offset: number;
  readonly dimension: number;

  constructor(
    private readonly config: MatcherConfig,
    rowModels: readonly string[],
    rowDims: readonly number[],
  ) {
    let o = 0;
    this.parts = rowModels.map((id, i) => {
      const m = config.models.find((x) => x.id === id);
      if (!m) throw new Error(`model ${id} is not part of the matcher`);
      const part = { id, offset: o, dim: rowDims[i]!, scale: m.weight / m.std };
      o += rowDims[i]!;
      return part;
    });
    this.dimension = o;
    if (this.parts.length !== config.models.length) throw new Error('row models do not cover the matcher models');
    this.offset = config.models.reduce((s, m) => s + (m.weight * m.mean) / m.std, 0);
  }

  /** The scaled query row for `template`. */
  query(template: FaceTemplate): Float32Array {
    const q = new Float32Array(this.dimension);
    for (const p of this.parts) {
      const i = template.models.indexOf(p.id);
      const v = template.vectors[i];
      if (i < 0 || !v || v.length !== p.dim) throw new Error(`template lacks a ${p.dim}-d vector of ${p.id}`);
      for (let j = 0; j < p.dim; j++) q[p.offset + j] = v[j]! * p.scale;
    }
    return q;
  }

  /** The scaled query row of a stored row (a face's or a person's mean row, in row order). */
  queryOfRow(row: Float32Array): Float32Array {
    const q = new Float32Array(this.dimension);
    for (const p of this.parts) for (let j = p.offset; j < p.offset + p.dim; j++) q[j] = row[j]! * p.scale;
    return q;
  }

  /** Fused raw score from a row · query dot product. */
  raw(dot: number): number {
    return dot - this.offset;
  }

  /** The 1:1 similarityScore (= Matcher.similarity, compareFaces). */
  similarity(raw: number): number {
    return calibrate(raw, this.config.table);
  }

  /**
   * The similarityScore of a 1:N search that compared the query with `comparisons` stored persons (see
   * searchSimilarity), after the cohort correction when the search's `cohort` is given.
   */
  searchSimilarity(raw: number, comparisons: number, cohort?: Cohort): number {
    return searchSimilarity(logFarOf(raw - (cohort ? this.cohortShift(cohort) : 0), this.config.table), comparisons);
  }

  /**
   * Collection-aware normalisation: the raw score to subtract in a search whose other persons (`cohort`) score the
   * probe higher than LFW's different-person scores do (a camera that makes everyone alike, as webcams do with the
   * dlib model). alpha × (cohort's mean raw − LFW's 90th percentile), never negative; none below minCohort persons,
   * whose mean says little. Fitted on LFW and NUAA odd ids (tools/domain-study/search-norm.ts, BENCHMARKS.md).
   */
  cohortShift(cohort: Cohort): number {
    const c = this.config.cohort;
    if (!c || cohort.size < c.minCohort) return 0;
    return c.alpha * Math.max(0, this.raw(cohort.meanDot) - c.reference);
  }
}

/**
 * A search's similarityScore keeps the meaning of the 1:1 score for the whole search: 0.7 ⇔ a 0.1 % chance that a
 * stranger matches anyone in the collection (not each template). A stranger compared with N templates matches one
 * with probability 1 − (1 − FAR)^N ≈ N·FAR, so the score is 0.4 − 0.1·log10(N·FAR) = the 1:1 score − 0.1·log10 N.
 * With one template it equals Matcher.similarity, the plain LFW-calibrated 1:1 score (compareFaces also normalises
 * for crowding). Without this, a 423-person gallery at 1:1-calibrated 0.7 matched 32 % of
 * strangers on LFW (BENCHMARKS.md, "1:N identification on LFW"). Scores above LFW's measured range (FAR < 1.4e-6) are extrapolated.
 */
export function searchSimilarity(logFar: number, comparisons: number): number {
  const q = 0.4 - 0.1 * (logFar + Math.log10(Math.max(1, comparisons)));
  return q < 0 ? 0 : q > 1 ? 1 : q;
}
