import type { FaceTemplate } from '../../vocabulary';
import type { Matcher } from '../../face/similarity/matcher';

/**
 * How a search scores: a scan by the matcher's fused score as one dot product, so it reads a single contiguous row
 * per person, then the best candidates rescored as `compareFaces` scores a pair (normalised for how crowded each
 * face's neighbourhood is, Matcher.compare) and corrected for the number of persons searched.
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
   * The similarityScore a 1:N search over `comparisons` stored persons reports for `probe` against a person's row:
   * the 1:1 score of `compareFaces` less 0.1·log10 N (see searchSimilarity). With one person it is compareFaces'.
   */
  searchScore(probe: FaceTemplate, row: Float32Array, comparisons: number): number {
    return this.searchScoreOf(probe, this.templateOfRow(row), comparisons);
  }

  /** searchScore of two templates. */
  searchScoreOf(probe: FaceTemplate, person: FaceTemplate, comparisons: number): number {
    return searchSimilarity(this.matcher.compareLogFar(probe, person), comparisons);
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
