// How crowded a face's neighbourhood is, predicted from the face's vector alone: a ridge regression of the mean
// and log-spread of its top-k cohort cosines on [1, v, quadratic terms of v's first P principal components]. The
// fitted weights are aggregate statistics of the fitting faces, so a library can ship them instead of a cohort of
// real people's faces.
import { crowdingFeatures, predictCohortStats } from '../../src/face/similarity/pairNorm';
import { hash } from './embeddings';

export interface CrowdingModel {
  /** Mean of the fitting vectors and the top-P principal directions (unit, P × d). */
  centre: Float32Array;
  basis: Float32Array[];
  /** Regression weights over features(v), for μ and for log σ. */
  wMu: Float64Array;
  wLogSd: Float64Array;
}

/** Top-P principal directions of `vectors` (power iteration with deflation on the covariance). */
function principalDirections(vectors: readonly Float32Array[], centre: Float32Array, P: number): Float32Array[] {
  const d = centre.length;
  const cov = Array.from({ length: d }, () => new Float64Array(d));
  for (const v of vectors)
    for (let i = 0; i < d; i++) {
      const xi = v[i]! - centre[i]!;
      for (let j = 0; j < d; j++) cov[i]![j]! += xi * (v[j]! - centre[j]!);
    }
  const out: Float32Array[] = [];
  for (let k = 0; k < P; k++) {
    let x = Float64Array.from({ length: d }, (_, i) => Math.sin(i + k + 1));
    let lambda = 0;
    for (let it = 0; it < 300; it++) {
      const y = new Float64Array(d);
      for (let i = 0; i < d; i++) y[i] = dot64(cov[i]!, x);
      lambda = Math.hypot(...y);
      x = y.map((t) => t / lambda);
    }
    out.push(Float32Array.from(x));
    for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) cov[i]![j]! -= lambda * x[i]! * x[j]!;
  }
  return out;
}

function dot64(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

/** Solves (XᵀWX + λI) w = XᵀWy (the intercept unpenalised; W: sample weights of mean 1) by Gaussian elimination. */
function ridge(
  X: readonly Float64Array[],
  y: readonly number[],
  lambda: number,
  weights?: readonly number[],
): Float64Array {
  const n = X[0]!.length;
  const A = Array.from({ length: n }, () => new Float64Array(n + 1));
  X.forEach((x, r) => {
    const w = weights?.[r] ?? 1;
    for (let i = 0; i < n; i++) {
      const xi = x[i]! * w;
      if (!xi) continue;
      const row = A[i]!;
      for (let j = 0; j < n; j++) row[j]! += xi * x[j]!;
      row[n]! += xi * y[r]!;
    }
  });
  for (let i = 1; i < n; i++) A[i]![i]! += lambda;
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(A[r]![c]!) > Math.abs(A[p]![c]!)) p = r;
    [A[c], A[p]] = [A[p]!, A[c]!];
    const pivot = A[c]![c]!;
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = A[r]![c]! / pivot;
      if (!f) continue;
      for (let j = c; j <= n; j++) A[r]![j]! -= f * A[c]![j]!;
    }
  }
  return Float64Array.from(A, (row, i) => row[n]! / row[i]!);
}

/** `weights`: per face, e.g. to give each domain of the fitting data the same total weight (mean 1). */
export function fitCrowding(
  vectors: readonly Float32Array[],
  targets: readonly { mu: number; sd: number }[],
  P: number,
  lambda: number,
  weights?: readonly number[],
): CrowdingModel {
  const d = vectors[0]!.length;
  const centre = new Float32Array(d);
  for (const v of vectors) for (let i = 0; i < d; i++) centre[i]! += v[i]! / vectors.length;
  const basis = principalDirections(vectors, centre, P);
  const X = vectors.map((v) => crowdingFeatures(v, centre, basis));
  return {
    centre,
    basis,
    wMu: ridge(
      X,
      targets.map((t) => t.mu),
      lambda,
      weights,
    ),
    wLogSd: ridge(
      X,
      targets.map((t) => Math.log(t.sd)),
      lambda,
      weights,
    ),
  };
}

/** R² of predictions `yhat` of `y`. */
export function rSquared(y: readonly number[], yhat: readonly number[]): number {
  const mean = y.reduce((a, b) => a + b, 0) / y.length;
  return 1 - y.reduce((a, t, i) => a + (t - yhat[i]!) ** 2, 0) / y.reduce((a, t) => a + (t - mean) ** 2, 0);
}

/**
 * Person-disjoint cross-validated R² of the predicted μ and log σ (mean of the two): how well a (P, λ) reproduces
 * the cohort statistics of people it was not fitted on. With `groups` (e.g. the domain of each face), the R² is
 * computed per group and averaged, so a small domain counts as much as a large one. The choice of P and λ uses only
 * this.
 */
export function crossValidatedR2(
  vectors: readonly Float32Array[],
  targets: readonly { mu: number; sd: number }[],
  persons: readonly string[],
  P: number,
  lambda: number,
  options: { weights?: readonly number[]; groups?: readonly string[]; folds?: number } = {},
): number {
  const folds = options.folds ?? 5;
  const fold = persons.map((p) => hash(p) % folds);
  const pred: { mu: number; sd: number }[] = new Array(vectors.length);
  for (let f = 0; f < folds; f++) {
    const train = vectors.map((_, i) => i).filter((i) => fold[i] !== f);
    const model = fitCrowding(
      train.map((i) => vectors[i]!),
      train.map((i) => targets[i]!),
      P,
      lambda,
      options.weights && train.map((i) => options.weights![i]!),
    );
    vectors.forEach((v, i) => {
      if (fold[i] === f) pred[i] = predictCohortStats(model, v);
    });
  }
  const r2 = (idx: number[], of: (t: { mu: number; sd: number }) => number) =>
    rSquared(
      idx.map((i) => of(targets[i]!)),
      idx.map((i) => of(pred[i]!)),
    );
  const groups = options.groups ?? vectors.map(() => '');
  const scores = [...new Set(groups)].map((g) => {
    const idx = groups.flatMap((x, i) => (x === g ? [i] : []));
    return (r2(idx, (t) => t.mu) + r2(idx, (t) => Math.log(t.sd))) / 2;
  });
  return scores.reduce((a, b) => a + b, 0) / scores.length;
}
