import * as tf from '../../models/tf';
import { FaceError } from '../../errors';
import type { FaceEmbedder } from '../embedding/types';
import type { FaceAttributes } from './types';
import heads from './attributeHeads.json';

/**
 * Sunglasses / mask / veil / hat: one logistic-regression head per attribute over 55 colour/texture statistics of
 * 11 regions (eyes, brow, forehead, cheeks, nose, mouth, chin, sides) of the face's ArcFace-aligned crop at 24 px,
 * plus its MobileFaceNet embedding (192-d, no flip averaging; the feature set was chosen by cross-validation). The heads are trained in this repo by
 * tools/fit-checks/analyze-attributes.mjs on ../shared/data (train/test split and measured precision/recall in
 * tools/results/face-checks-notes.md) and bundled as attributeHeads.json (3 KB). No npm package ships such a classifier.
 */
export interface LogisticHead {
  w: number[];
  b: number;
}

export type AttributeFeatureKind = 'emb' | 'thumb' | 'regions' | 'regions+emb';

export interface AttributeHeads {
  features: AttributeFeatureKind;
  heads: Record<keyof FaceAttributes, LogisticHead>;
  /** Mask or sunglasses probability from which the liveness check calls a face occluded (chosen on the train split). */
  livenessOccludedThreshold: number;
}

export const ATTRIBUTE_HEADS = heads as AttributeHeads;

/** σ(w·x + b); pure. */
export function logistic(head: LogisticHead, x: ArrayLike<number>): number {
  if (x.length !== head.w.length)
    throw new FaceError('ERR_INTERNAL', `Attribute head expects ${head.w.length} features, got ${x.length}`);
  let z = head.b;
  for (let i = 0; i < head.w.length; i++) z += head.w[i]! * x[i]!;
  return 1 / (1 + Math.exp(-z));
}

/** Attribute probabilities from a feature vector; pure. */
export function attributesFromFeatures(x: ArrayLike<number>, model: AttributeHeads = ATTRIBUTE_HEADS): FaceAttributes {
  const p = (k: keyof FaceAttributes) => Math.round(logistic(model.heads[k], x) * 1e4) / 1e4;
  return { sunglasses: p('sunglasses'), mask: p('mask'), veil: p('veil'), hat: p('hat') };
}

/** [y0, y1, x0, x1) cells of the 24×24 aligned thumbnail (the 112-px ArcFace layout scaled by 24/112). */
const REGIONS: ReadonlyArray<readonly [number, number, number, number]> = [
  [9, 13, 6, 11],
  [9, 13, 14, 19],
  [10, 14, 11, 13],
  [6, 9, 6, 18],
  [1, 5, 6, 18],
  [14, 18, 3, 8],
  [14, 18, 16, 21],
  [13, 17, 10, 14],
  [18, 22, 8, 16],
  [21, 24, 8, 16],
  [4, 20, 0, 3],
];
export const THUMB_SIZE = 24;

/** Per region: mean luma, luma std, R − G, B − G, chroma (all on 0..1) of a 24×24×3 thumbnail (0..255); pure. */
export function regionFeatures(thumb: ArrayLike<number>): number[] {
  const px = (y: number, x: number, c: number) => thumb[(y * THUMB_SIZE + x) * 3 + c]! / 255;
  const f: number[] = [];
  for (const [y0, y1, x0, x1] of REGIONS) {
    const rgb = [0, 0, 0];
    const lum: number[] = [];
    for (let y = y0; y < y1; y++) {
      for (let x = x0; x < x1; x++) {
        for (let c = 0; c < 3; c++) rgb[c]! += px(y, x, c);
        lum.push(0.299 * px(y, x, 0) + 0.587 * px(y, x, 1) + 0.114 * px(y, x, 2));
      }
    }
    const n = lum.length;
    const m = lum.reduce((a, b) => a + b, 0) / n;
    const sd = Math.sqrt(lum.reduce((a, b) => a + (b - m) ** 2, 0) / n);
    const [r, g, b] = rgb.map((v) => v / n) as [number, number, number];
    f.push(m, sd, r - g, b - g, Math.max(r, g, b) - Math.min(r, g, b));
  }
  return f;
}

/** Feature vectors of aligned 112-px faces ([n, 112, 112, 3] RGB 0..255). Does not dispose `aligned`. */
export async function attributeFeatures(
  aligned: tf.Tensor4D,
  embedder: FaceEmbedder | undefined,
  model: AttributeHeads = ATTRIBUTE_HEADS,
): Promise<number[][]> {
  const n = aligned.shape[0];
  const kind = model.features;
  const thumbs = tf.tidy(() =>
    tf.reshape(tf.round(tf.image.resizeBilinear(aligned, [THUMB_SIZE, THUMB_SIZE], true)), [n, -1]),
  );
  const pixels = thumbs.arraySync() as number[][];
  thumbs.dispose();
  let embeddings: Float32Array[] = [];
  if (kind === 'emb' || kind === 'regions+emb') {
    if (!embedder) throw new FaceError('ERR_INTERNAL', 'Attribute heads need the MobileFaceNet embedder');
    embeddings = await embedder.embed(aligned);
  }
  return pixels.map((thumb, i) => {
    if (kind === 'thumb') return thumb.map((v) => v / 255 - 0.5);
    if (kind === 'regions') return regionFeatures(thumb);
    if (kind === 'emb') return Array.from(embeddings[i]!);
    return [...regionFeatures(thumb), ...Array.from(embeddings[i]!)];
  });
}

/** Whether the heads need the MobileFaceNet embedder. */
export function needsEmbedder(model: AttributeHeads = ATTRIBUTE_HEADS): boolean {
  return model.features === 'emb' || model.features === 'regions+emb';
}
