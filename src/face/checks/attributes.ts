import * as tf from '../../models/tf';
import { FaceError } from '../../errors';
import type { FaceAttributes } from './types';
import heads from './attributeHeads.json';

/**
 * Sunglasses / mask / veil / hat: one logistic-regression head per attribute over colour/texture statistics of 11 regions
 * (eyes, brow, forehead, cheeks, nose, mouth, chin, sides) of the face's ArcFace-aligned crop at 24 px, plus the
 * learned features cross-validation chose per head (AttributeFeatureKind): FasNet's for mask and sunglasses, the
 * CenterNet backbone's of a head crop for hat. Each head's bias is shifted so that 0.5 is its threshold (chosen at a
 * fixed share of plain faces flagged). veil is the mask head (lower face covered): 3 niqab photos cannot train a head
 * of their own. Trained in this repo by tools/fit-checks/analyze-attributes.mjs on ../shared/data (split, choices and
 * held-out figures in BENCHMARKS.md, "Attributes") and bundled as attributeHeads.json. No npm package ships such a
 * classifier.
 */
export interface LogisticHead {
  w: number[];
  b: number;
}

/**
 * What the heads read, in this order: the region statistics, the CenterNet backbone's features of a 224-px head crop
 * ('+cnhead', centerNetBackbone.ts) and one block of FasNet activations on the liveness crop ('+fas…', FASNET_BLOCKS).
 * The fitting tools measured other features too (tools/fit-checks); the library reads only these.
 */
export type AttributeFeatureKind = `regions${'' | '+cnhead'}${'' | `+${FasnetBlock}`}`;

/**
 * Learned image features for the heads from the anti-spoofing network FasNet (src/face/checks/fasnet.ts), which sees
 * 2.7 × the face box, so the head above the brows (where a hat sits) is in view: an intermediate activation, pooled
 * per channel over bands of rows of its 8×8 map (row 0 = top of the crop), or taken as is (no bands). Mirrors
 * tools/fit-checks/fasnetFeatures.mjs (test/unit/checks.test.ts checks that both agree).
 */
export const FASNET_BLOCKS = {
  /** the 128-d layer before the classifier */
  fas128: { activation: '581', channels: 128, bands: [] },
  /** the last block's 128-channel map, global average */
  fas564: { activation: '564', channels: 128, bands: [[0, 8]] },
  /** the same map: rows 0–2 (above the face), then the global average */
  fas564top: {
    activation: '564',
    channels: 128,
    bands: [
      [0, 3],
      [0, 8],
    ],
  },
  /** the 512-channel expansion map, global average */
  fas512: { activation: '568', channels: 512, bands: [[0, 8]] },
  /** the same map, rows 0–2 */
  fas512top: { activation: '568', channels: 512, bands: [[0, 3]] },
} as const satisfies Record<
  string,
  { activation: string; channels: number; bands: readonly (readonly [number, number])[] }
>;
export type FasnetBlock = keyof typeof FASNET_BLOCKS;

/** The FasNet block the heads read, if any. */
export function fasnetBlockOf(model: AttributeHeads = ATTRIBUTE_HEADS): FasnetBlock | undefined {
  return featureParts(model.features).fasnetBlock;
}

/** A block's features from its activation (ONNX layout, flattened: [C] or [C, 8, 8]); pure. */
export function fasnetBlockFeatures(block: FasnetBlock, activation: ArrayLike<number>): number[] {
  const { channels, bands } = FASNET_BLOCKS[block] as {
    channels: number;
    bands: readonly (readonly [number, number])[];
  };
  if (bands.length === 0) return Array.from(activation);
  const out: number[] = [];
  for (const [y0, y1] of bands)
    for (let c = 0; c < channels; c++) {
      let sum = 0;
      for (let y = y0; y < y1; y++) for (let x = 0; x < 8; x++) sum += activation[c * 64 + y * 8 + x]!;
      out.push(sum / ((y1 - y0) * 8));
    }
  return out;
}

export interface AttributeHeads {
  features: AttributeFeatureKind;
  heads: Record<keyof FaceAttributes, LogisticHead>;
  /** Mask or sunglasses probability from which the liveness check calls a face occluded (chosen on the train split). */
  livenessOccludedThreshold: number;
}

export const ATTRIBUTE_HEADS = heads as AttributeHeads;

/** The parts of a feature kind; throws for a kind this library cannot compute (a refit naming another feature). */
export function featureParts(kind: string): { centerNet: boolean; fasnetBlock?: FasnetBlock } {
  const parts = /^regions(\+cnhead)?(?:\+(fas\w+))?$/.exec(kind);
  if (!parts || (parts[2] !== undefined && !(parts[2] in FASNET_BLOCKS)))
    throw new FaceError('ERR_INTERNAL', `The attribute heads read features this library does not compute: "${kind}".`);
  return { centerNet: parts[1] !== undefined, fasnetBlock: parts[2] as FasnetBlock | undefined };
}

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
  return cellStatistics(thumb, THUMB_SIZE, REGIONS);
}

function cellStatistics(
  thumb: ArrayLike<number>,
  size: number,
  cells: ReadonlyArray<readonly [number, number, number, number]>,
): number[] {
  const px = (y: number, x: number, c: number) => thumb[(y * size + x) * 3 + c]! / 255;
  const f: number[] = [];
  for (const [y0, y1, x0, x1] of cells) {
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

/**
 * Feature vectors of aligned 112-px faces ([n, 112, 112, 3] RGB 0..255), with each face's CenterNet head-crop
 * features and FasNet activation (the block's, fasnetBlockOf) where the heads read them. Does not dispose `aligned`.
 */
export function attributeFeatures(
  aligned: tf.Tensor4D,
  model: AttributeHeads = ATTRIBUTE_HEADS,
  fasnetActivations?: readonly ArrayLike<number>[],
  headObjectFeatures?: readonly ArrayLike<number>[],
): number[][] {
  const n = aligned.shape[0];
  const { centerNet, fasnetBlock } = featureParts(model.features);
  if (centerNet && headObjectFeatures?.length !== n)
    throw new FaceError('ERR_INTERNAL', 'The attribute heads need CenterNet features of each head crop');
  if (fasnetBlock && fasnetActivations?.length !== n)
    throw new FaceError('ERR_INTERNAL', 'The attribute heads need a FasNet activation per face');
  const thumbs = tf.tidy(() =>
    tf.reshape(tf.round(tf.image.resizeBilinear(aligned, [THUMB_SIZE, THUMB_SIZE], true)), [n, -1]),
  );
  let pixels: number[][];
  try {
    pixels = thumbs.arraySync() as number[][];
  } finally {
    thumbs.dispose();
  }
  return pixels.map((thumb, i) => [
    ...regionFeatures(thumb),
    ...(centerNet ? Array.from(headObjectFeatures![i]!) : []),
    ...(fasnetBlock ? fasnetBlockFeatures(fasnetBlock, fasnetActivations![i]!) : []),
  ]);
}

/** Whether the heads read the CenterNet backbone's features of the head crop (centerNetBackbone.ts). */
export function needsCenterNet(model: AttributeHeads = ATTRIBUTE_HEADS): boolean {
  return featureParts(model.features).centerNet;
}
