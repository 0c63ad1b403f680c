import type { FaceTemplate } from '../../vocabulary';
import { logFarOf } from '../../face/similarity/calibration';
import type { Matcher } from '../../face/similarity/matcher';
import type { Cohort } from './collectionIndex';

/**
 * How a search scores: a scan by the matcher's fused score as one dot product, so it reads a single contiguous row
 * per person, then the best candidates rescored as `compareFaces` scores a pair (normalised for how crowded each
 * face's neighbourhood is, Matcher.compareRaw), corrected for the camera by the search's cohort (cohortShift) and for
 * the number of persons searched (searchSimilarity).
 *
 * Matcher.raw(a, b) = Σ_m w_m (cos_m(a, b) − μ_m) / σ_m is linear in the per-model cosines, so with a row being
 * the face's per-model vectors concatenated and the query's model-m part pre-scaled by w_m / σ_m,
 * raw = row · query − Σ_m w_m μ_m / σ_m. The normalised score differs from it by each face's own μ and σ, a small
 * change for the persons the scan ranks first; the scan's best RESCORED_CANDIDATES (collectionIndex.ts) are rescored.
 */
export class FusedScorer {
  /** Offsets of each model's vector inside a row, in row order. */
  private readonly parts: { id: string; offset: number; dim: number; scale: number }[];
  readonly dimension: number;
  /** Σ_m w_m μ_m / σ_m: raw = dot − offset. */
  readonly offset: number;

  constructor(
    private readonly matcher: Matcher,
    rowModels: readonly string[],
    rowDims: readonly number[],
  ) {
    let o = 0;
    this.parts = rowModels.map((id, i) => {
      const m = matcher.config.models.find((x) => x.id === id);
      if (!m) throw new Error(`model ${id} is not part of the matcher`);
      const part = { id, offset: o, dim: rowDims[i]!, scale: m.weight / m.std };
      o += rowDims[i]!;
      return part;
    });
    this.dimension = o;
    if (this.parts.length !== matcher.config.models.length)
      throw new Error('row models do not cover the matcher models');
    this.offset = matcher.config.models.reduce((s, m) => s + (m.weight * m.mean) / m.std, 0);
  }

  /** Matcher.raw of the query and a row, from their dot product. */
  raw(dot: number): number {
    return dot - this.offset;
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

  /** A stored row seen as a template (views into the row, no copy). */
  templateOfRow(row: Float32Array): FaceTemplate {
    return {
      models: this.parts.map((p) => p.id),
      vectors: this.parts.map((p) => row.subarray(p.offset, p.offset + p.dim)),
    };
  }

  /**
   * The similarityScore a 1:N search over `comparisons` stored persons reports for `probe` against a person's row: the
   * normalised 1:1 score of `compareFaces`, less the search's camera correction (`cohort`, see cohortShift), less
   * 0.1·log10 N (see searchSimilarity). With fewer than `minCohort` other persons there is no camera correction, so a
   * one-person search reports the `compareFaces` score.
   */
  searchScore(probe: FaceTemplate, row: Float32Array, comparisons: number, cohort?: Cohort): number {
    return this.searchScoreOf(probe, this.templateOfRow(row), comparisons, cohort);
  }

  /** searchScore of two templates. */
  searchScoreOf(probe: FaceTemplate, person: FaceTemplate, comparisons: number, cohort?: Cohort): number {
    const raw = this.matcher.compareRaw(probe, person) - (cohort ? this.cohortShift(cohort) : 0);
    return searchSimilarity(logFarOf(raw, this.matcher.compareTable), comparisons);
  }

  /**
   * Collection-aware correction: the score to subtract in a search whose other persons (`cohort`) score the probe
   * higher than LFW's different-person scores do (a camera that makes everyone alike, as webcams do with the dlib
   * model). alpha × (the cohort's mean plain raw score − LFW's 90th percentile), never negative; none below minCohort
   * persons, whose mean says little. alpha was chosen on the fitting data by cross-validation with the fitting people
   * left out of the normalisation's fit (tools/domain-study/snorm.ts --nested, BENCHMARKS.md).
   */
  cohortShift(cohort: Cohort): number {
    const c = this.matcher.config.cohort;
    if (!c || cohort.size < c.minCohort) return 0;
    return c.alpha * Math.max(0, this.raw(cohort.meanDot) - c.reference);
  }
}

/**
 * A search's similarityScore keeps the meaning of the 1:1 score for the whole search: 0.7 ⇔ a 0.1 % chance that a
 * stranger matches anyone in the collection (not each template). A stranger compared with N templates matches one
 * with probability 1 − (1 − FAR)^N ≈ N·FAR, so the score is 0.4 − 0.1·log10(N·FAR) = the 1:1 score − 0.1·log10 N.
 * With one template it equals the 1:1 score of compareFaces. Without this, a 423-person gallery at 1:1-calibrated 0.7 matched 32 % of
 * strangers on LFW (BENCHMARKS.md, "1:N identification on LFW"). Scores above LFW's measured range (FAR < 1.4e-6) are extrapolated.
 */
export function searchSimilarity(logFar: number, comparisons: number): number {
  const q = 0.4 - 0.1 * (logFar + Math.log10(Math.max(1, comparisons)));
  return q < 0 ? 0 : q > 1 ? 1 : q;
}
