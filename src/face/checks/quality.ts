import * as tf from '../../models/tf';
import { readSyncAndDispose } from '../../models/tensorRead';
import type { FaceQuality } from './types';

/** Raw statistics of an aligned face crop, measured on the backend (see faceQualityStats). */
export interface QualityStats {
  /** Standard deviation of the 3×3 Laplacian of luma over the standard deviation of luma (contrast-free sharpness). */
  sharpness: number;
  /** Median luma, 0..255. */
  medianLuma: number;
  /** Mean per-pixel chroma (max − min of R, G, B), 0..255. */
  chroma: number;
}

/**
 * Thresholds chosen on LFW faces (tools/fit-checks/analyze-quality.mjs, ../../tools/results/face-checks-notes.md): every normal face
 * of the choosing half is above each, and the darkened (× 0.25), blurred (Gaussian σ = 2 px at 250 px) and
 * grayscale copies are below. A score is 0.5 exactly at its threshold.
 */
export interface QualityThresholds {
  minSharpness: number;
  minMedianLuma: number;
  minChroma: number;
}

export const DEFAULT_QUALITY_THRESHOLDS: QualityThresholds = Object.freeze({
  minSharpness: 0.13,
  minMedianLuma: 60,
  minChroma: 4.8,
});

/** The square side quality is measured at: the 112-px ArcFace-aligned crop the embedder also uses. */
export const QUALITY_CROP_SIZE = 112;

/** Statistics of each aligned face in `faces` ([n, s, s, 3] RGB 0..255, float). Does not dispose `faces`. */
export function faceQualityStats(faces: tf.Tensor4D): QualityStats[] {
  const [n, h, w] = faces.shape;
  if (n === 0) return [];
  const values = tf.tidy(() => {
    // On 0..1, not 0..255: a GPU without float32 render targets (many phones; TF.js then keeps tensors as float16,
    // largest 65504) overflowed the Laplacian's squares and the sums, and blur came out NaN.
    const x = tf.mul(tf.cast(faces, 'float32'), 1 / 255);
    // Inner region only: the aligned crop's corners hold background, hair and padding.
    const y0 = Math.round(h * 0.2),
      x0 = Math.round(w * 0.2);
    const inner = tf.slice(x, [0, y0, x0, 0], [n, h - 2 * y0, w - 2 * x0, 3]);
    const luma = tf.sum(tf.mul(inner, tf.tensor1d([0.299, 0.587, 0.114])), -1, true) as tf.Tensor4D;
    const laplacian = tf.conv2d(luma, tf.tensor4d([0, 1, 0, 1, -4, 1, 0, 1, 0], [3, 3, 1, 1]), 1, 'valid');
    const lapStd = tf.sqrt(tf.moments(laplacian, [1, 2, 3]).variance);
    const lumaStd = tf.sqrt(tf.moments(luma, [1, 2, 3]).variance);
    // lapStd / (lumaStd + 1) on the 0..255 scale.
    const sharpness = tf.div(lapStd, tf.add(lumaStd, 1 / 255));
    const flat = tf.reshape(luma, [n, -1]);
    const count = flat.shape[1]!;
    const median = tf.squeeze(
      tf.slice(tf.topk(flat, Math.ceil(count / 2)).values, [0, Math.ceil(count / 2) - 1], [n, 1]),
      [1],
    );
    const chroma = tf.mean(tf.sub(tf.max(inner, -1), tf.min(inner, -1)), [1, 2]);
    return tf.stack([sharpness, tf.mul(median, 255), tf.mul(chroma, 255)], 1);
  });
  const data = readSyncAndDispose(values);
  return Array.from({ length: n }, (_, i) => ({
    sharpness: data[i * 3]!,
    medianLuma: data[i * 3 + 1]!,
    chroma: data[i * 3 + 2]!,
  }));
}

/** A score in [0, 1] that is 0.5 at `threshold` and rises as `value` falls below it (log scale, `width` = factor for 0.5 → 0.88). */
export function lowIsBad(value: number, threshold: number, width = 2): number {
  if (!(threshold > 0)) return 0;
  const v = Math.max(value, 1e-6);
  const z = Math.log(threshold / v) / Math.log(width);
  return 1 / (1 + Math.exp(-2 * z));
}

/** Quality scores from statistics; pure. */
export function qualityFromStats(
  stats: QualityStats,
  thresholds: QualityThresholds = DEFAULT_QUALITY_THRESHOLDS,
): FaceQuality {
  const blur = round(lowIsBad(stats.sharpness, thresholds.minSharpness, 1.5));
  const dark = round(lowIsBad(stats.medianLuma, thresholds.minMedianLuma, 2));
  const grayscale = round(lowIsBad(stats.chroma, thresholds.minChroma, 2));
  // From the scores as reported, so that `ok` never disagrees with them (0.5 is each one's threshold).
  const ok = blur < 0.5 && dark < 0.5 && grayscale < 0.5;
  return { blur, dark, grayscale, ok };
}

const round = (v: number) => Math.round(v * 1e4) / 1e4;
