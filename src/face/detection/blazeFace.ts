import * as tf from '../../models/tf';
import { readAndDispose } from '../../models/tensorRead';

/**
 * MediaPipe BlazeFace (short- and full-range) as @tensorflow-models/face-detection's tfjs runtime runs it, with the
 * model's raw output decoded here in plain JavaScript instead of its ~30 TF.js kernels per image (slices and concats
 * over every anchor: about 4 of the 10 ms a 250-px photo's detection took on WASM). The letterbox, the network, the
 * scores' sigmoid and the non-maximum suppression are the package's own operations; the box arithmetic is done in
 * float32 step by step as its kernels do it (each a separate kernel, rounded to float32), so the detections are the
 * package's to the last bit on WASM, the CPU backend and float32 WebGL (e2e/pipeline.spec.ts compares them; so does
 * tools/detect-compare/ on whole datasets). On a GPU whose textures are float16, the package decoded in float16 too;
 * here the same network output is decoded in float32: the boxes differ there by up to ~2⁻¹² of the image.
 */

/** A detection as the package's detectFaces returns it (relative to the image, keypoints in model order). */
export interface RelativeDetection {
  score: number;
  box: { xMin: number; yMin: number; xMax: number; yMax: number; width: number; height: number };
  keypoints: { x: number; y: number }[];
}

/** The package's decoding settings (its *_TENSORS_TO_DETECTION_CONFIG) that BlazeFace uses. */
export interface DecodeConfig {
  numBoxes: number;
  numCoords: number;
  boxCoordOffset: number;
  keypointCoordOffset: number;
  numKeypoints: number;
  numValuesPerKeypoint: number;
  reverseOutputOrder: boolean;
  applyExponentialOnBoxSize: boolean;
  xScale: number;
  yScale: number;
  wScale: number;
  hScale: number;
  minScoreThresh: number;
  scoreClippingThresh?: number;
}

export interface Anchor {
  xCenter: number;
  yCenter: number;
  width: number;
  height: number;
}

/** The package's detector-wide non-maximum suppression threshold (DETECTOR_NON_MAX_SUPPRESSION_CONFIG). */
const NMS_IOU_THRESHOLD = 0.3;
/** Pixel values 0…255 to the model's −1…1 (the package's shiftImageValue). */
const VALUE_SCALE = 2 / 255;

/**
 * The fields of the package's MediaPipeFaceDetectorTfjs this module reads (private in its typings, so a loaded
 * detector is passed as this type).
 */
export interface BlazeFaceModel {
  detectorModel: tf.GraphModel;
  imageToTensorConfig: { outputTensorSize: { width: number; height: number } };
  tensorsToDetectionConfig: DecodeConfig;
  anchors: Anchor[];
  maxFaces: number;
}

/**
 * What `model.detectFaces(image, false)` returns, sooner. `image`: [h, w, 3], int32 or float32, not disposed.
 */
export async function detectFaces(m: BlazeFaceModel, image: tf.Tensor3D): Promise<RelativeDetection[]> {
  const config = m.tensorsToDetectionConfig;
  const [height, width] = image.shape;
  if (!(width > 0 && height > 0)) throw new Error(`detectFaces: the image is ${width}×${height} pixels`);
  // The exponential box sizes of other SSD models would need TF.js's own exp to stay bit-identical.
  if (config.applyExponentialOnBoxSize) throw new Error('detectFaces: exponential box sizes are not supported');
  const { outputTensorSize } = m.imageToTensorConfig;
  const letterbox = letterboxTransform(width, height, outputTensorSize.width, outputTensorSize.height);
  // The network's output (per anchor: the score's logit, then numCoords box and keypoint values) and the scores as
  // the package computes them (its clip and TF.js's sigmoid on the same logits), read together.
  const [output, scores] = tf.tidy(() => {
    // A float32 image is read as it is: WASM's Cast copies even to the same dtype (412 MB for a 6000 × 6000 photo).
    const pixels = image.dtype === 'float32' ? image : tf.cast(image, 'float32');
    const input = tf.add(
      tf.mul(
        tf.image.transform(
          tf.expandDims(pixels) as tf.Tensor4D,
          tf.tensor2d(letterbox.projective, [1, 8]),
          'bilinear',
          'constant',
          0,
          [outputTensorSize.height, outputTensorSize.width],
        ),
        VALUE_SCALE,
      ),
      -1,
    );
    const out = m.detectorModel.execute(input, 'Identity:0') as tf.Tensor;
    const logits = tf.reshape(tf.slice(out, [0, 0, 0], [1, -1, 1]), [-1]);
    const clip = config.scoreClippingThresh;
    return [out, tf.sigmoid(clip == null ? logits : tf.clipByValue(logits, -clip, clip))];
  });
  const [raw, scoreValues] = await Promise.all([readAndDispose(output), readAndDispose(scores)]);
  const candidates = decodeDetections(raw, scoreValues, m.anchors, config);
  if (candidates.length === 0) return [];
  const kept = suppressOverlaps(candidates, m.maxFaces);
  return kept.map((d) => project(d, letterbox.matrix));
}

const f32 = Math.fround;

/**
 * The package's decodeBoxes + convertToDetections (linear box sizes), in float32 as its kernels compute: each of its
 * steps is a separate kernel whose result is rounded to float32. `raw`: the model's [numBoxes, 1 + numCoords]
 * output, score logit first.
 */
export function decodeDetections(
  raw: Float32Array,
  scores: Float32Array,
  anchors: readonly Anchor[],
  config: DecodeConfig,
): RelativeDetection[] {
  const stride = config.numCoords + 1;
  const out: RelativeDetection[] = [];
  for (let i = 0; i < config.numBoxes; i++) {
    const score = scores[i]!;
    if (score < config.minScoreThresh) continue;
    const anchor = anchors[i]!;
    const ax = f32(anchor.xCenter),
      ay = f32(anchor.yCenter),
      aw = f32(anchor.width),
      ah = f32(anchor.height);
    const at = i * stride + 1;
    const b = at + config.boxCoordOffset;
    const [cy, cx, rh, rw] = config.reverseOutputOrder
      ? [raw[b + 1]!, raw[b]!, raw[b + 3]!, raw[b + 2]!]
      : [raw[b]!, raw[b + 1]!, raw[b + 2]!, raw[b + 3]!];
    const xCenter = f32(f32(f32(cx / config.xScale) * aw) + ax);
    const yCenter = f32(f32(f32(cy / config.yScale) * ah) + ay);
    const h = f32(f32(rh / config.hScale) * ah);
    const w = f32(f32(rw / config.wScale) * ah); // sic: the package scales the width by the anchor's height too
    const yMin = f32(yCenter - f32(h / 2)),
      xMin = f32(xCenter - f32(w / 2)),
      yMax = f32(yCenter + f32(h / 2)),
      xMax = f32(xCenter + f32(w / 2));
    const width = xMax - xMin,
      height = yMax - yMin;
    if (width < 0 || height < 0) continue;
    const keypoints: { x: number; y: number }[] = [];
    for (let k = 0; k < config.numKeypoints; k++) {
      const o = at + config.keypointCoordOffset + k * config.numValuesPerKeypoint;
      const [kx, ky] = config.reverseOutputOrder ? [raw[o]!, raw[o + 1]!] : [raw[o + 1]!, raw[o]!];
      keypoints.push({
        x: f32(f32(f32(kx / config.xScale) * aw) + ax),
        y: f32(f32(f32(ky / config.yScale) * ah) + ay),
      });
    }
    out.push({ score, box: { xMin, yMin, xMax, yMax, width, height }, keypoints });
  }
  return out;
}

/** The package's nonMaxSuppression: best score first, TF.js's own suppression (IoU ≥ 0.3), that order kept. */
export function suppressOverlaps(detections: readonly RelativeDetection[], maxFaces: number): RelativeDetection[] {
  const sorted = [...detections].sort((a, b) => b.score - a.score);
  const boxes = new Float32Array(sorted.length * 4);
  sorted.forEach((d, i) => boxes.set([d.box.yMin, d.box.xMin, d.box.yMax, d.box.xMax], i * 4));
  const { selectedIndices } = tf.kernel_impls.nonMaxSuppressionV3Impl(
    boxes,
    Float32Array.from(sorted, (d) => d.score),
    Math.min(maxFaces, sorted.length),
    NMS_IOU_THRESHOLD,
    Number.NEGATIVE_INFINITY,
  );
  const selected = new Set(selectedIndices);
  return sorted.filter((_, i) => selected.has(i));
}

/**
 * The letterbox that fits a width×height image into the model's input (the package's convertImageToTensor with the
 * whole image as the region, no rotation, aspect ratio kept): the image→input projective transform for
 * tf.image.transform, and the 4×4 matrix that maps the model's relative coordinates back to the image's.
 */
export function letterboxTransform(
  width: number,
  height: number,
  inputWidth: number,
  inputHeight: number,
): { projective: number[]; matrix: number[] } {
  // padRoi: the region grows to the input's aspect ratio.
  let roiWidth = width,
    roiHeight = height;
  const tensorAspect = inputHeight / inputWidth,
    roiAspect = height / width;
  if (tensorAspect > roiAspect) roiHeight = width * tensorAspect;
  else roiWidth = height / tensorAspect;
  // getRotatedSubRectToRectTransformMatrix, rotation 0, no flip; its terms kept as it writes them (× 1, × 0, the
  // order of operations), so that every value, −0 included, is its value.
  const g = 1.0 / width,
    h = 1.0 / height;
  const xCenter = 0.5 * width,
    yCenter = 0.5 * height;
  const matrix = [
    roiWidth * 1 * 1 * g,
    -roiHeight * 0 * g,
    0.0,
    (-0.5 * roiWidth * 1 * 1 + 0.5 * roiHeight * 0 + xCenter) * g,
    roiWidth * 0 * 1 * h,
    roiHeight * 1 * h,
    0.0,
    (-0.5 * roiHeight * 1 - 0.5 * roiWidth * 0 * 1 + yCenter) * h,
    0.0,
    0.0,
    roiWidth * g,
    0.0,
    0.0,
    0.0,
    0.0,
    1.0,
  ];
  // getProjectiveTransformMatrix.
  const projective = [
    (1 / inputWidth) * matrix[0]! * width,
    (1 / inputHeight) * matrix[1]! * width,
    matrix[3]! * width,
    (1 / inputWidth) * matrix[4]! * height,
    (1 / inputHeight) * matrix[5]! * height,
    matrix[7]! * height,
    0,
    0,
  ];
  return { projective, matrix };
}

/** The package's detectionProjection: keypoints and the box's corners through `matrix` (row-major 4×4). */
function project(d: RelativeDetection, matrix: readonly number[]): RelativeDetection {
  const map = (x: number, y: number): [number, number] => [
    x * matrix[0]! + y * matrix[1]! + matrix[3]!,
    x * matrix[4]! + y * matrix[5]! + matrix[7]!,
  ];
  const keypoints = d.keypoints.map((k) => {
    const [x, y] = map(k.x, k.y);
    return { x, y };
  });
  const { xMin: x0, yMin: y0, width: bw, height: bh } = d.box;
  let xMin = Number.MAX_VALUE,
    yMin = Number.MAX_VALUE,
    xMax = Number.MIN_VALUE,
    yMax = Number.MIN_VALUE;
  for (const [cx, cy] of [
    [x0, y0],
    [x0 + bw, y0],
    [x0 + bw, y0 + bh],
    [x0, y0 + bh],
  ] as const) {
    const [x, y] = map(cx, cy);
    xMin = Math.min(xMin, x);
    xMax = Math.max(xMax, x);
    yMin = Math.min(yMin, y);
    yMax = Math.max(yMax, y);
  }
  return { score: d.score, box: { xMin, yMin, xMax, yMax, width: xMax - xMin, height: yMax - yMin }, keypoints };
}
