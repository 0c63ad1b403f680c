import type { Point } from '../../vocabulary';
import * as tf from '../../models/tf';
import { readAndDispose } from '../../models/tensorRead';

import { FaceError, invalidArgument } from '../../errors';
import type { ModelFiles } from '../../models/modelFiles';
import { decodeFloatWeights, type FloatWeight } from '../../models/weightData';
import type { FaceEmbedder } from './types';

/** Stored with templates; templates of different ids are never compared. */
export const DLIB_RESNET_ID = 'dlib-resnet128@face-api-1.7.15';
const WEIGHTS_MANIFEST = 'dlib-resnet128.json';
/** What createDlibResnetEmbedder loads: the weights manifest and the weights it names. */
export const DLIB_RESNET_FILES: readonly string[] = [WEIGHTS_MANIFEST, 'dlib-resnet128.bin'];

/**
 * TF.js port of face-api.js's FaceRecognitionNet (dlib's ResNet-34 face descriptor, 128-d), numerically
 * equivalent to @vladmandic/face-api 1.7.15's forward pass, but with every conv → bias → scale chain folded
 * into one fused conv2d at load time (the network is inference-only, so the affine scale layers are free).
 */

const INPUT_SIZE = 150;
const DIMENSION = 128;
/** face-api's input normalisation: (rgb − mean) / 255. */
const MEAN_RGB = [122.782, 117.001, 104.298] as const;

/** dlib's 150-px chip positions of [left eye centre, right eye centre, nose tip, mouth centre]. */
const TEMPLATE: readonly Point[] = Object.freeze([
  { x: 47.55, y: 46.6 },
  { x: 100.48, y: 46.6 },
  { x: 74.01, y: 76.56 },
  { x: 74.01, y: 104.44 },
]);

/** The residual blocks in forward order; `down` blocks halve the resolution (and double channels if needed). */
const BLOCKS: readonly { name: string; down: boolean }[] = [
  { name: 'conv32_1', down: false },
  { name: 'conv32_2', down: false },
  { name: 'conv32_3', down: false },
  { name: 'conv64_down', down: true },
  { name: 'conv64_1', down: false },
  { name: 'conv64_2', down: false },
  { name: 'conv64_3', down: false },
  { name: 'conv128_down', down: true },
  { name: 'conv128_1', down: false },
  { name: 'conv128_2', down: false },
  { name: 'conv256_down', down: true },
  { name: 'conv256_1', down: false },
  { name: 'conv256_2', down: false },
  { name: 'conv256_down_out', down: true },
];

/** conv(x, W)+b followed by x·s+t, folded: conv(x, W·s) + (b·s + t). A type alias so tf.tidy can return it. */
type FoldedConv = {
  filter: tf.Tensor4D;
  bias: tf.Tensor1D;
};

interface FoldedBlock {
  down: boolean;
  conv1: FoldedConv;
  conv2: FoldedConv;
}

function take<R extends tf.Rank>(weights: tf.NamedTensorMap, name: string, rank: number): tf.Tensor<R> {
  const t = weights[name];
  if (!t || t.rank !== rank) {
    throw new FaceError('ERR_MODEL_LOAD_FAILED', `dlib-resnet128 weights: expected a rank-${rank} tensor "${name}"`, {
      metadata: { weight: name },
    });
  }
  return t as tf.Tensor<R>;
}

/**
 * Folds one face-api conv layer (`prefix/conv/{filters,bias}`, `prefix/scale/{weights,biases}`).
 * `inputMean`/`inputScale` fold an input normalisation (x − mean)·inputScale into the first layer too; that is
 * exact only because that layer uses 'valid' padding (no zero-padded border sees an un-normalised zero).
 */
function foldConv(
  weights: tf.NamedTensorMap,
  prefix: string,
  inputMean?: readonly number[],
  inputScale = 1,
): FoldedConv {
  const filters = take<tf.Rank.R4>(weights, `${prefix}/conv/filters`, 4);
  const bias = take<tf.Rank.R1>(weights, `${prefix}/conv/bias`, 1);
  const s = take<tf.Rank.R1>(weights, `${prefix}/scale/weights`, 1);
  const t = take<tf.Rank.R1>(weights, `${prefix}/scale/biases`, 1);
  return tf.tidy((): FoldedConv => {
    let b: tf.Tensor1D = bias;
    if (inputMean) {
      // conv((x − m)·k, W) = conv(x, W·k) − k·Σ_{h,w,c} W[h,w,c,:]·m[c]
      const mean = tf.tensor4d([...inputMean], [1, 1, inputMean.length, 1]);
      b = tf.sub(b, tf.mul(tf.sum<tf.Tensor1D>(tf.mul(filters, mean), [0, 1, 2]), inputScale));
    }
    return {
      filter: tf.keep(tf.mul<tf.Tensor4D>(filters, tf.mul(s, inputScale))),
      bias: tf.keep(tf.add<tf.Tensor1D>(tf.mul(b, s), t)),
    };
  });
}

function conv(x: tf.Tensor4D, c: FoldedConv, stride: 1 | 2, padding: 'same' | 'valid', relu: boolean): tf.Tensor4D {
  return tf.fused.conv2d({
    x,
    filter: c.filter,
    strides: stride,
    pad: padding,
    bias: c.bias,
    activation: relu ? 'relu' : 'linear',
  });
}

function residual(x: tf.Tensor4D, block: FoldedBlock): tf.Tensor4D {
  if (!block.down) {
    const out = conv(conv(x, block.conv1, 1, 'same', true), block.conv2, 1, 'same', false);
    return tf.relu(tf.add<tf.Tensor4D>(out, x));
  }
  // face-api's residualDown: the shortcut is a 2×2 average pool, zero-padded on channels when they double;
  // when the strided 'valid' conv comes out one pixel smaller than the pool (8→3 vs 4, 4→1 vs 2), the conv
  // output gets a zero row/column appended at the bottom/right (after its bias, so those cells are exactly 0).
  let out = conv(conv(x, block.conv1, 2, 'valid', true), block.conv2, 1, 'same', false);
  let pooled = tf.avgPool(x, 2, 2, 'valid');
  const [, ph, pw, pc] = pooled.shape;
  const [, oh, ow, oc] = out.shape;
  if (ph !== oh || pw !== ow)
    out = tf.pad(out, [
      [0, 0],
      [0, ph - oh],
      [0, pw - ow],
      [0, 0],
    ]);
  if (pc !== oc)
    pooled = tf.pad(pooled, [
      [0, 0],
      [0, 0],
      [0, 0],
      [0, oc - pc],
    ]);
  return tf.relu(tf.add<tf.Tensor4D>(pooled, out));
}

/** Where the folded layers come from: decoded tensors (any backend's decoding) or plain float32 values. */
interface WeightSource {
  /** A new folded conv for the face-api layer `prefix` (see foldConv). */
  fold(prefix: string, inputMean?: readonly number[], inputScale?: number): FoldedConv;
  /** The final [256, 128] matrix as a tensor the embedder will own. */
  fc(): tf.Tensor2D;
  /** Frees what the source still holds, except the tensors in `kept`. */
  release(kept: ReadonlySet<tf.Tensor>): void;
}

/**
 * Builds the embedder from face-api's named weights (as decoded from dlib-resnet128.json). Takes ownership of
 * `weights`: the unfolded tensors are disposed here; the folded ones belong to the embedder until `dispose()`.
 */
export function dlibResnetFromWeights(weights: tf.NamedTensorMap): FaceEmbedder {
  return dlibResnetFrom({
    fold: (prefix, inputMean, inputScale) => foldConv(weights, prefix, inputMean, inputScale),
    fc: () => take<tf.Rank.R2>(weights, 'fc', 2),
    release: (kept) => {
      for (const t of Object.values(weights)) if (!kept.has(t)) t.dispose();
    },
  });
}

/** The four weights of one face-api conv + scale layer, in the order fold() reads them. */
const LAYER_PARTS = ['conv/filters', 'conv/bias', 'scale/weights', 'scale/biases'] as const;

/**
 * The same embedder from the undecoded weights (dlib-resnet128.json's specs and .bin bytes), with the same folded
 * values: every layer but the stem is folded on the decoded float32 values before its only upload, with the
 * float32 products and sums the backend's mul and add compute (a product or sum of two float32 values rounded once
 * to float32), instead of uploading each unfolded weight and folding on the backend. The stem, whose input
 * normalisation needs a backend sum, is folded by foldConv as before.
 */
export function dlibResnetFromWeightData(
  data: ArrayBuffer,
  specs: readonly tf.io.WeightsManifestEntry[],
): FaceEmbedder {
  const decoded = decodeFloatWeights(data, specs);
  if (!decoded) return dlibResnetFromWeights(tf.io.decodeWeights(data, [...specs]));
  const get = (name: string, rank: number): FloatWeight => {
    const w = decoded.get(name);
    if (!w || w.shape.length !== rank) {
      throw new FaceError('ERR_MODEL_LOAD_FAILED', `dlib-resnet128 weights: expected a rank-${rank} tensor "${name}"`, {
        metadata: { weight: name },
      });
    }
    return w;
  };
  return dlibResnetFrom({
    fold(prefix, inputMean, inputScale) {
      const parts = LAYER_PARTS.map((part, i) => get(`${prefix}/${part}`, i === 0 ? 4 : 1));
      const [filters, bias, s, t] = parts as [FloatWeight, FloatWeight, FloatWeight, FloatWeight];
      const outChannels = filters.shape[3]!;
      if (bias.values.length !== outChannels || s.values.length !== outChannels || t.values.length !== outChannels)
        throw new FaceError('ERR_MODEL_LOAD_FAILED', `dlib-resnet128 weights: ${prefix} has mismatched channels`);
      if (inputMean) {
        const weights: tf.NamedTensorMap = {};
        LAYER_PARTS.forEach((part, i) => {
          weights[`${prefix}/${part}`] = tf.tensor(parts[i]!.values, parts[i]!.shape, 'float32');
        });
        try {
          return foldConv(weights, prefix, inputMean, inputScale);
        } finally {
          tf.dispose(weights);
        }
      }
      // foldConv without an input normalisation: filter·fround(s·1), fround(b·s) + t, each stored as float32.
      const filter = new Float32Array(filters.values.length);
      for (let i = 0; i < filter.length; i++) filter[i] = filters.values[i]! * s.values[i % outChannels]!;
      const folded = new Float32Array(outChannels);
      for (let o = 0; o < outChannels; o++) folded[o] = Math.fround(bias.values[o]! * s.values[o]!) + t.values[o]!;
      return {
        filter: tf.tensor4d(filter, filters.shape as [number, number, number, number]),
        bias: tf.tensor1d(folded),
      };
    },
    fc: () => {
      const fc = get('fc', 2);
      return tf.tensor2d(fc.values, fc.shape as [number, number]);
    },
    // The embedder's closures keep this source reachable: its ~22 MB of float32 weights, all uploaded by now, go.
    release: () => decoded.clear(),
  });
}

function dlibResnetFrom(source: WeightSource): FaceEmbedder {
  // Every folded tensor, so a missing weight part-way through still frees what was already built.
  const owned: tf.Tensor[] = [];
  const fold = (prefix: string, inputMean?: readonly number[], inputScale?: number): FoldedConv => {
    const c = source.fold(prefix, inputMean, inputScale);
    owned.push(c.filter, c.bias);
    return c;
  };
  let stem: FoldedConv;
  const blocks: FoldedBlock[] = [];
  let fc: tf.Tensor2D;
  try {
    stem = fold('conv32_down', MEAN_RGB, 1 / 255);
    for (const { name, down } of BLOCKS)
      blocks.push({ down, conv1: fold(`${name}/conv1`), conv2: fold(`${name}/conv2`) });
    fc = source.fc();
    owned.push(fc);
    if (fc.shape[1] !== DIMENSION)
      throw new FaceError(
        'ERR_MODEL_LOAD_FAILED',
        `dlib-resnet128 weights: fc must be [256, ${DIMENSION}], got [${fc.shape.join(', ')}]`,
      );
  } catch (e) {
    tf.dispose(owned);
    source.release(new Set());
    throw e;
  }
  // Everything the source holds has been folded into new tensors (fc is used as is).
  source.release(new Set(owned));
  let disposed = false;

  function forward(faces: tf.Tensor4D): tf.Tensor2D {
    const x = faces.dtype === 'float32' ? faces : tf.cast(faces, 'float32');
    let out = conv(x, stem, 2, 'valid', true); // normalisation is folded into the stem's filter and bias
    out = tf.maxPool(out, 3, 2, 'valid');
    for (const block of blocks) out = residual(out, block);
    const descriptor = tf.matMul(tf.mean(out, [1, 2]) as tf.Tensor2D, fc);
    // L2-normalise per face; the epsilon only guards an all-zero descriptor against 0/0.
    const norm = tf.sqrt(tf.maximum(tf.sum(tf.square(descriptor), 1, true), 1e-24));
    return tf.div(descriptor, norm);
  }

  return {
    id: DLIB_RESNET_ID,
    inputSize: INPUT_SIZE,
    template: TEMPLATE,
    dimension: DIMENSION,

    async embed(faces: tf.Tensor4D): Promise<Float32Array[]> {
      if (disposed) throw new FaceError('ERR_INTERNAL', 'dlib-resnet128 embedder used after dispose()');
      const [n, h, w, c] = faces.shape;
      if (faces.rank !== 4 || h !== INPUT_SIZE || w !== INPUT_SIZE || c !== 3) {
        throw invalidArgument(
          `dlib-resnet128 expects faces of shape [n, ${INPUT_SIZE}, ${INPUT_SIZE}, 3], got [${faces.shape.join(', ')}]`,
        );
      }
      if (n === 0) return [];
      const data = await readAndDispose(tf.tidy(() => forward(faces)));
      return Array.from({ length: n }, (_, i) => data.slice(i * DIMENSION, (i + 1) * DIMENSION));
    },

    dispose(): void {
      if (disposed) return;
      disposed = true;
      tf.dispose(owned);
    },
  };
}

/** Loads dlib-resnet128.json/.bin through the model manifest and builds the embedder. */
export async function createDlibResnetEmbedder(files: ModelFiles): Promise<FaceEmbedder> {
  const { data, specs } = await files.weightData(WEIGHTS_MANIFEST, 'embedder');
  return dlibResnetFromWeightData(data, specs);
}
