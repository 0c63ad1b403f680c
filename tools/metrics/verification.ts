/**
 * Metrics for 1:1 verification experiments (LFW-style). Pure math, no Node or DOM APIs.
 *
 * Conventions used throughout:
 * - Higher score = more similar. `genuine` = same-person pair scores, `impostor` = different-person pair scores.
 * - Decision rule: a pair is accepted as "same person" iff score > threshold (strictly greater). A pair whose
 *   score is −Infinity (e.g. no face found in one image) is therefore never accepted, at any threshold.
 * - TMR = true-match rate (share of genuine pairs accepted), FMR = false-match rate (share of impostor pairs
 *   accepted).
 * - NaN scores are rejected with a RangeError.
 */

/** Anything indexable holding scores: number[], Float32Array, Float64Array. */
export type Scores = ArrayLike<number>;

/** One operating point of a ROC curve. */
export interface RocPoint {
  /** Accept iff score > threshold. */
  threshold: number;
  tmr: number;
  fmr: number;
}

function sortedCopy(scores: Scores, what: string): Float64Array {
  const a = Float64Array.from(scores as ArrayLike<number>);
  for (let i = 0; i < a.length; i++) if (Number.isNaN(a[i]!)) throw new RangeError(`${what} scores contain NaN`);
  a.sort();
  return a;
}

/**
 * ROC curve: one point per distinct score value v (descending), with threshold v (accept iff score > v), so the
 * first point (threshold = highest score) is (fmr 0, tmr 0). If no score is −Infinity a last point with threshold
 * −Infinity gives (1, 1); otherwise the curve ends below (1, 1), since −Infinity scores are never accepted.
 * Tied genuine/impostor scores make a diagonal step. Points are ordered by increasing fmr and tmr.
 */
export function rocCurve(genuine: Scores, impostor: Scores): RocPoint[] {
  const g = sortedCopy(genuine, 'genuine');
  const im = sortedCopy(impostor, 'impostor');
  const ng = g.length,
    ni = im.length;
  if (ng === 0 || ni === 0) throw new RangeError('rocCurve needs genuine and impostor scores');
  const points: RocPoint[] = [];
  // Walk distinct values from the top; ig / ii = how many genuine / impostor scores are > the current value.
  let pg = ng,
    pi = ni; // indices one past the not-yet-consumed tops
  while (pg > 0 || pi > 0) {
    const vg = pg > 0 ? g[pg - 1]! : -Infinity;
    const vi = pi > 0 ? im[pi - 1]! : -Infinity;
    const v = pg > 0 && pi > 0 ? Math.max(vg, vi) : pg > 0 ? vg : vi;
    points.push({ threshold: v, tmr: (ng - pg) / ng, fmr: (ni - pi) / ni });
    while (pg > 0 && g[pg - 1]! === v) pg--;
    while (pi > 0 && im[pi - 1]! === v) pi--;
  }
  const last = points[points.length - 1]!;
  if (last.threshold > -Infinity) points.push({ threshold: -Infinity, tmr: 1, fmr: 1 });
  return points;
}

/**
 * Area under the ROC curve, exactly, as the rank statistic P(genuine > impostor) + ½·P(genuine = impostor)
 * over all genuine × impostor combinations (Mann–Whitney U / (n_g·n_i)). O((n_g + n_i) log(n_g + n_i)).
 */
export function auc(genuine: Scores, impostor: Scores): number {
  const g = sortedCopy(genuine, 'genuine');
  const im = sortedCopy(impostor, 'impostor');
  if (g.length === 0 || im.length === 0) throw new RangeError('auc needs genuine and impostor scores');
  let below = 0,
    atOrBelow = 0,
    sum = 0;
  for (let k = 0; k < g.length; k++) {
    const x = g[k]!;
    while (below < im.length && im[below]! < x) below++;
    if (atOrBelow < below) atOrBelow = below;
    while (atOrBelow < im.length && im[atOrBelow]! <= x) atOrBelow++;
    sum += below + 0.5 * (atOrBelow - below);
  }
  return sum / (g.length * im.length);
}

/**
 * Threshold for a target false-match rate: with k = floor(fmr·N) (N = number of impostor scores), the (k+1)-th
 * highest impostor score. With the rule "accept iff score > threshold" at most k impostors (a share ≤ fmr) are
 * accepted, even with ties, and no lower threshold has that property. Returns −Infinity if k ≥ N.
 * Fast for large N and small fmr (keeps only the top k+1 scores).
 */
export function thresholdAtFmr(impostor: Scores, fmr: number): number {
  if (!(fmr >= 0 && fmr <= 1)) throw new RangeError('fmr must be in [0, 1]');
  const n = impostor.length;
  if (n === 0) throw new RangeError('thresholdAtFmr needs impostor scores');
  const k = Math.floor(fmr * n + 1e-9);
  if (k >= n) return -Infinity;
  const m = k + 1; // we want the m-th highest
  if (m > n / 4) {
    const a = sortedCopy(impostor, 'impostor');
    return a[n - m]!;
  }
  // Min-heap of the m highest scores seen so far; its root is the m-th highest.
  const heap = new Float64Array(m);
  let size = 0;
  for (let i = 0; i < n; i++) {
    const x = impostor[i]!;
    if (Number.isNaN(x)) throw new RangeError('impostor scores contain NaN');
    if (size < m) {
      // sift up
      let c = size++;
      while (c > 0) {
        const p = (c - 1) >> 1;
        if (heap[p]! <= x) break;
        heap[c] = heap[p]!;
        c = p;
      }
      heap[c] = x;
    } else if (x > heap[0]!) {
      // replace root, sift down
      let c = 0;
      for (;;) {
        const l = 2 * c + 1;
        if (l >= m) break;
        const r = l + 1;
        const child = r < m && heap[r]! < heap[l]! ? r : l;
        if (heap[child]! >= x) break;
        heap[c] = heap[child]!;
        c = child;
      }
      heap[c] = x;
    }
  }
  return heap[0]!;
}

/**
 * True-match rate at a target false-match rate: the share of genuine scores > {@link thresholdAtFmr}(impostor, fmr).
 * The achieved FMR is ≤ fmr (strict inequality in the decision rule, see the module comment).
 */
export function tmrAtFmr(genuine: Scores, impostor: Scores, fmr: number): number {
  if (genuine.length === 0) throw new RangeError('tmrAtFmr needs genuine scores');
  const t = thresholdAtFmr(impostor, fmr);
  let accepted = 0;
  for (let i = 0; i < genuine.length; i++) {
    const x = genuine[i]!;
    if (Number.isNaN(x)) throw new RangeError('genuine scores contain NaN');
    if (x > t) accepted++;
  }
  return accepted / genuine.length;
}

/** A scored pair with its ground truth. */
export interface LabelledScore {
  score: number;
  same: boolean;
}

/** Share of pairs classified correctly by "same iff score > threshold". */
export function accuracyAt(scores: readonly LabelledScore[], threshold: number): number {
  if (scores.length === 0) throw new RangeError('accuracyAt needs scores');
  let correct = 0;
  for (const s of scores) if (s.score > threshold === s.same) correct++;
  return correct / scores.length;
}

/**
 * The threshold maximising accuracy of "same iff score > threshold" on `scores`, and that accuracy.
 * Candidates are the gaps between consecutive distinct scores (threshold = their midpoint, or the lower score if
 * the midpoint is not strictly between them, e.g. next to ±Infinity), "accept all" (−Infinity; only if no score is
 * −Infinity) and "accept none" (threshold = the highest score). Among equally accurate candidates the lowest
 * threshold wins.
 */
export function bestThresholdAccuracy(scores: readonly LabelledScore[]): { threshold: number; accuracy: number } {
  const n = scores.length;
  if (n === 0) throw new RangeError('bestThresholdAccuracy needs scores');
  const order = scores.slice();
  for (const s of order) if (Number.isNaN(s.score)) throw new RangeError('scores contain NaN');
  order.sort((a, b) => a.score - b.score || 0);
  // Pairs with a cut c: indices [0, c) rejected, [c, n) accepted. Start with c = 0: accept all.
  let totalSame = 0;
  for (const s of order) if (s.same) totalSame++;
  let correct = totalSame; // accept all: the same-person pairs are right
  let bestCorrect = -1,
    bestThreshold = NaN;
  const first = order[0]!.score;
  if (first > -Infinity) {
    bestCorrect = correct;
    bestThreshold = -Infinity;
  }
  let c = 0;
  while (c < n) {
    // Move the whole run of equal scores to the rejected side.
    const v = order[c]!.score;
    while (c < n && order[c]!.score === v) {
      correct += order[c]!.same ? -1 : 1;
      c++;
    }
    let threshold: number;
    if (c === n) threshold = v;
    else {
      const next = order[c]!.score;
      const mid = v / 2 + next / 2;
      threshold = mid >= v && mid < next && !Number.isNaN(mid) ? mid : v;
    }
    if (correct > bestCorrect) {
      bestCorrect = correct;
      bestThreshold = threshold;
    }
  }
  return { threshold: bestThreshold, accuracy: bestCorrect / n };
}

/** A labelled pair belonging to a cross-validation fold. */
export interface FoldPair extends LabelledScore {
  fold: number;
}

export interface FoldAccuracyResult {
  /** One entry per fold (ascending fold id): threshold chosen on the other folds, accuracy on this fold. */
  folds: { fold: number; threshold: number; accuracy: number; pairs: number }[];
  /** Mean of the per-fold accuracies. */
  mean: number;
  /** Sample standard deviation (n − 1) of the per-fold accuracies, as commonly reported for LFW. */
  std: number;
}

/**
 * LFW protocol accuracy: for each fold, the threshold is chosen by {@link bestThresholdAccuracy} on all pairs of the
 * OTHER folds and applied to this fold. Needs at least two folds.
 */
export function foldAccuracy(pairs: readonly FoldPair[]): FoldAccuracyResult {
  const ids = [...new Set(pairs.map((p) => p.fold))].sort((a, b) => a - b);
  if (ids.length < 2) throw new RangeError('foldAccuracy needs at least two folds');
  const folds = ids.map((fold) => {
    const train = pairs.filter((p) => p.fold !== fold);
    const test = pairs.filter((p) => p.fold === fold);
    const { threshold } = bestThresholdAccuracy(train);
    return { fold, threshold, accuracy: accuracyAt(test, threshold), pairs: test.length };
  });
  const { mean, std } = meanStd(folds.map((f) => f.accuracy));
  return { folds, mean, std };
}

/** Mean and sample standard deviation (n − 1; 0 for a single value). */
export function meanStd(values: readonly number[]): { mean: number; std: number } {
  const n = values.length;
  if (n === 0) return { mean: NaN, std: NaN };
  let sum = 0;
  for (const v of values) sum += v;
  const mean = sum / n;
  let ss = 0;
  for (const v of values) ss += (v - mean) * (v - mean);
  return { mean, std: n > 1 ? Math.sqrt(ss / (n - 1)) : 0 };
}

/**
 * Mean and population standard deviation of the finite scores (±Infinity, e.g. "no face", are skipped), as used
 * for z-normalisation. Computed in one pass (Welford), fine for millions of scores.
 */
export function scoreStats(scores: Scores): { mean: number; std: number; count: number } {
  let count = 0,
    mean = 0,
    m2 = 0;
  for (let i = 0; i < scores.length; i++) {
    const x = scores[i]!;
    if (!Number.isFinite(x)) {
      if (Number.isNaN(x)) throw new RangeError('scores contain NaN');
      continue;
    }
    count++;
    const d = x - mean;
    mean += d / count;
    m2 += d * (x - mean);
  }
  return { mean: count ? mean : NaN, std: count ? Math.sqrt(m2 / count) : NaN, count };
}

/** One model's scores for the same list of pairs, with its impostor score distribution's mean and std. */
export interface FusionInput {
  scores: Scores;
  /** Mean of this model's impostor scores (see {@link scoreStats}). */
  impostorMean: number;
  /** Standard deviation of this model's impostor scores; must be > 0. */
  impostorStd: number;
}

/**
 * Score-level fusion: z-normalises each model's scores with its impostor mean/std, z = (s − mean) / std, and
 * returns the weighted average Σ wₘ·zₘ / Σ wₘ per pair (weights default to equal). A −Infinity score in any model
 * (no face) makes the fused score −Infinity, i.e. a non-match. All score lists must have the same length.
 */
export function fuseScores(models: readonly FusionInput[], weights?: readonly number[]): Float64Array {
  const m = models.length;
  if (m === 0) throw new RangeError('fuseScores needs at least one model');
  const w = weights ? weights.slice() : new Array<number>(m).fill(1);
  if (w.length !== m) throw new RangeError('one weight per model');
  let wsum = 0;
  for (const x of w) {
    if (!(x >= 0) || !Number.isFinite(x)) throw new RangeError('weights must be finite and ≥ 0');
    wsum += x;
  }
  if (!(wsum > 0)) throw new RangeError('weights must not all be 0');
  const n = models[0]!.scores.length;
  const out = new Float64Array(n);
  for (let k = 0; k < m; k++) {
    const model = models[k]!;
    if (model.scores.length !== n) throw new RangeError('all models need scores for the same pairs');
    if (!(model.impostorStd > 0) || !Number.isFinite(model.impostorMean)) {
      throw new RangeError('impostorStd must be > 0 and impostorMean finite');
    }
    const a = w[k]! / wsum / model.impostorStd;
    const b = model.impostorMean;
    const s = model.scores;
    for (let i = 0; i < n; i++) {
      const x = s[i]!;
      if (Number.isNaN(x)) throw new RangeError('scores contain NaN');
      // −Infinity must win even for weight 0 (0 · −Infinity would be NaN).
      out[i] = x === -Infinity || out[i] === -Infinity ? -Infinity : out[i]! + a * (x - b);
    }
  }
  return out;
}
