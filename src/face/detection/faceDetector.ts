import * as tf from '../../models/tf';
import { createDetector, SupportedModels, MediaPipeFaceDetectorTfjs } from '@tensorflow-models/face-detection';
import type { ModelFiles } from '../../models/modelFiles';
import {
  intersectionOverUnion,
  largerBoxFirst,
  KEYPOINT_NAMES,
  Lazy,
  transformFace,
  type Box,
  type DetectedFace,
  type FaceKeypoints,
} from '../../vocabulary';
import { detectFaces, type BlazeFaceModel } from './blazeFace';
import { estimatePose } from './pose';
import { cropTile, planTiles, touchesInnerEdge } from './tiles';
import { addFarFaces, suppressOverlaps } from './merge';
import { asFloat32, cropAndResizeBoxes } from '../input/region';

export type DetectionMode =
  /**
   * One face wanted from a photo (enroll, compare, 1:N search): the short-range model, the full-range one if it finds
   * none; on a large photo where neither does, the tiles as for 'all' (a face under ~1/20 of the photo's width), so
   * that a face detectFaces finds is one these calls accept.
   */
  | 'largest'
  /**
   * A video frame's full pass (tracker): the short-range model, the full-range one too (merged by addFarFaces) when
   * the first is sure of fewer faces than are tracked, or of none; no tiles, which would cost an empty scene ~0.5 s.
   */
  | 'frame'
  /** A face near a camera (video frames between full passes): the short-range model alone. */
  | 'near'
  /**
   * A video frame that may show faces further back than the nearest (tracker, now and then): both models on the
   * whole image, merged by addFarFaces.
   */
  | 'wide'
  /**
   * Each face of a photo searched (1:N search): as 'largest', and the full-range model's faces added when the
   * largest face does not fill a portrait (a collage, a group, a room), where the short-range model misses faces
   * at the edge of its reach; no tiles unless nothing else is found.
   */
  | 'each'
  /** Every face (group photos, N:N search): both models, the full-range one also on tiles for small faces. */
  | 'all';

/**
 * Tiles show the detector many small, detailed regions (hands, lamps, patterned cloth), so a tile's detection
 * must be more confident than the model's own 0.6 to count. Chosen on group photos (e.g. e2e/fixtures/group-solvay1927.jpg): real
 * faces there score ≥ 0.72, the false ones 0.65 and below.
 */
const TILE_MIN_SCORE = 0.7;

/**
 * A face at least this share of the image's longer side makes the image a portrait: the short-range model sees
 * every other face of similar size there (LFW photos: 0.4–0.5). Below it, 'each' also runs the full-range model.
 */
const PORTRAIT_FACE_SHARE = 0.25;

function fillsPortrait(faces: readonly DetectedFace[], image: tf.Tensor3D): boolean {
  const widest = Math.max(...faces.map((f) => f.box.width));
  return widest >= PORTRAIT_FACE_SHARE * Math.max(image.shape[0], image.shape[1]);
}

/** The full-range model's input side (FULL_RANGE_IMAGE_TO_TENSOR_CONFIG of @tensorflow-models/face-detection). */
const FULL_RANGE_INPUT = 192;

/**
 * Refining a face of a multi-face image: the crop is this many face-box widths wide (a 250-px LFW portrait holds
 * a ~100-px face), resampled to REFINE_CROP_SIZE px for the short-range model.
 */
const REFINE_CROP_SCALE = 2.5;
const REFINE_CROP_SIZE = 256;

/**
 * A face whose box is under this share of the image's long side is refined in the single-face modes too: the whole
 * image letterboxed to the short-range model's 128 px shows it at under ~40 px, and its keypoints come out up to
 * ~15 % of the face off (a 108-px face in a 1000×700 photo scored 0.21 against its own portrait's 1.0). A portrait
 * (LFW: ~0.43) is left as the whole-image pass found it.
 */
const REFINE_BELOW_SHARE = 0.3;

/**
 * Small images where no face was found are tried again with a border of this share of their long side, enlarged
 * to SMALL_IMAGE_TARGET_SIDE px: webcam frames of 168×193 px with 50–90-px faces, some cut by the frame's edge.
 */
const SMALL_IMAGE_MAX_SIDE = 480;
const SMALL_IMAGE_BORDER = 0.25;
const SMALL_IMAGE_TARGET_SIDE = 512;

/**
 * Face detection with MediaPipe's BlazeFace models, loaded by @tensorflow-models/face-detection (tfjs runtime) and run
 * by blazeFace.ts (the package's detections, decoded in JavaScript).
 */
export class FaceDetector {
  /** Faces refine() returned: an embedding of them needs no second refining. */
  private readonly refinedFaces = new WeakSet<DetectedFace>();
  /** The full-range model, loaded on its first use (group photos, or a photo the short-range model finds no face in). */
  private readonly fullRangeModel: Lazy<MediaPipeFaceDetectorTfjs>;

  private constructor(
    private readonly shortRange: MediaPipeFaceDetectorTfjs,
    loadFullRange: () => Promise<MediaPipeFaceDetectorTfjs>,
  ) {
    this.fullRangeModel = new Lazy(loadFullRange);
  }

  /** What create() loads: the short-range model's topology and weights. */
  static readonly files: readonly string[] = ['face-detector-short.json', 'face-detector-short.bin'];

  /** Loads the short-range model now; the full-range one (1.2 MB) waits for the first call that needs it. */
  static async create(files: ModelFiles): Promise<FaceDetector> {
    const load = async (modelType: 'short' | 'full', file: string) => {
      const detector = await files.graphModel(file, 'detector', (detectorModelUrl) =>
        createDetector(SupportedModels.MediaPipeFaceDetector, {
          runtime: 'tfjs',
          modelType,
          maxFaces: 100,
          detectorModelUrl,
        }),
      );
      // createDetector's tfjs runtime returns this class, whose model, anchors and settings blazeFace.ts runs.
      if (!(detector instanceof MediaPipeFaceDetectorTfjs)) throw new Error('unexpected face-detection runtime');
      return detector;
    };
    const shortRange = await load('short', 'face-detector-short.json');
    return new FaceDetector(shortRange, () => load('full', 'face-detector-full.json'));
  }

  /** The full-range model; starts loading it on the first call (a failed load is tried again next time). */
  private fullRange(): Promise<MediaPipeFaceDetectorTfjs> {
    return this.fullRangeModel.get();
  }

  /** Starts loading what `mode` may need, without waiting (its first call then finds it loaded or loading). */
  prepare(mode: DetectionMode): void {
    if (mode === 'all' || mode === 'wide') this.fullRange().catch(() => undefined);
  }

  /**
   * Faces in `image` (int32 or float32 [h, w, 3] RGB), largest first. Does not dispose `image`. `minScore` ('largest',
   * 'frame' and 'wide' modes): the full-range model also runs when the short-range one finds faces but none this
   * confident (a far face it barely sees); in 'largest' its faces are taken if one of them is. `expectedFaces`
   * ('frame'): how many faces are tracked; when the short-range model is sure of fewer, the frame is detected as 'wide'.
   */
  async detect(image: tf.Tensor3D, mode: DetectionMode, minScore = 0, expectedFaces = 0): Promise<DetectedFace[]> {
    let faces: DetectedFace[];
    if (mode === 'near') {
      faces = await this.run(this.shortRange, image);
    } else if (mode === 'frame' || mode === 'wide') {
      // The full-range model also runs when the short-range one is sure of fewer faces than are tracked (at least
      // one: a far face it barely sees), and on 'wide' frames (a face further back that just came into view).
      const near = await this.run(this.shortRange, image);
      const sure = near.filter((f) => f.score >= minScore).length;
      faces =
        mode === 'wide' || sure < Math.max(1, expectedFaces)
          ? addFarFaces(near, await this.run(await this.fullRange(), image), minScore)
          : near;
      if (faces.length === 0) faces = await this.detectSmall(image);
    } else if (mode === 'largest' || mode === 'each') {
      faces = await this.run(this.shortRange, image);
      // Two faces of almost the same size: which is the largest depends on the boxes, and the group detection (what
      // detectFaces returns) measures them its own way. The whole group detection then decides, so that the face
      // taken is detectFaces' first (on such photos only: ~40 ms more).
      if (mode === 'largest' && nearTie(faces)) return largestFirst(await this.detectAll(image));
      if (mode === 'each' && faces.length > 0 && !fillsPortrait(faces, image))
        faces = addFarFaces(faces, await this.run(await this.fullRange(), image), minScore);
      else if (!faces.some((f) => f.score >= minScore)) {
        const far = await this.run(await this.fullRange(), image);
        if (faces.length === 0 || far.some((f) => f.score >= minScore)) faces = far;
      }
      if (faces.length === 0) faces = await this.detectSmall(image);
      // Both whole-image passes found nothing: only the tiles are left to try (their faces come refined).
      if (faces.length === 0 && planTiles(image.shape[1], image.shape[0]).length > 0)
        faces = await this.detectAll(image, []);
      else if (faces.length > 0) {
        // Callers use the largest face (the checks read its keypoints); embed() refines any other it is given.
        faces = largestFirst(faces);
        faces[0] = (await this.refineSmall(image, faces.slice(0, 1)))[0]!;
      }
    } else {
      faces = await this.detectAll(image);
      if (faces.length === 0) faces = await this.detectSmall(image);
    }
    return largestFirst(faces);
  }

  /**
   * Every face: both models on the whole image, the full-range one also on tiles; each face refined. `wholeImage`:
   * what the two whole-image passes found, when the caller already ran them (they are not run again).
   */
  private async detectAll(image: tf.Tensor3D, wholeImage?: DetectedFace[]): Promise<DetectedFace[]> {
    // The full-range model sees the photo letterboxed to 192 px, where a face 1/40 of a 2000-px group photo is
    // 5 px: so it also runs on overlapping tiles. It misses faces that fill the frame, which the short-range
    // model finds (10 ms). Duplicates across models and tiles are merged.
    // The short-range pass runs while the full-range model is still loading (first call only).
    const fullRangeLoading = this.fullRange();
    // The image as float32 for every pass, tile and face crop (a decoded image already is: no copy). Tiles are cut
    // with transforms, which read only the tile's pixels, where tf.slice on WASM copies the whole image out of its
    // memory per call (1 s per 12 MP photo of ~20 tiles, measured).
    const batch = asFloatBatch(image);
    const floatImage = tf.squeeze(batch, [0]) as tf.Tensor3D;
    let faces: DetectedFace[];
    try {
      const shortFaces = wholeImage ? [] : await this.run(this.shortRange, floatImage);
      const fullRange = await fullRangeLoading;
      faces = wholeImage ? [...wholeImage] : [...(await this.run(fullRange, floatImage)), ...shortFaces];
      for (const tile of planTiles(image.shape[1], image.shape[0])) {
        // A square tile is cut straight at the model's input size (what its letterboxing would sample), not at
        // full size first: resampling a 1000-px tile costs ~60 ms on WASM, ~20 per 12 MP photo.
        const square = tile.size.width === tile.size.height;
        const out = square ? { width: FULL_RANGE_INPUT, height: FULL_RANGE_INPUT } : tile.size;
        const crop = cropTile(batch, tile, out);
        try {
          const found = await this.run(fullRange, crop);
          faces.push(
            ...found
              .map((f) => scaleFace(f, tile.size.width / out.width, 0, 0))
              .filter(
                (f) => f.score >= TILE_MIN_SCORE && !touchesInnerEdge(f.box, tile, image.shape[1], image.shape[0]),
              )
              .map((f) => offsetFace(f, tile.x, tile.y)),
          );
        } finally {
          crop.dispose();
        }
      }
      faces = suppressOverlaps(faces);
      faces = await Promise.all(faces.map((f) => this.refine(batch, f)));
    } finally {
      floatImage.dispose();
      batch.dispose();
    }
    return faces;
  }

  /**
   * Last try on a small image where neither model found a face: the image with a border (faces cut by the frame's
   * edge) and enlarged, so a 60-px face of a 168×193 webcam frame is seen at the size the models handle best.
   */
  private async detectSmall(image: tf.Tensor3D): Promise<DetectedFace[]> {
    const [height, width] = image.shape;
    const longSide = Math.max(width, height);
    if (longSide > SMALL_IMAGE_MAX_SIDE) return [];
    const pad = Math.round(longSide * SMALL_IMAGE_BORDER);
    const view = { x: -pad, y: -pad, width: width + 2 * pad, height: height + 2 * pad };
    const scale = SMALL_IMAGE_TARGET_SIDE / Math.max(view.width, view.height);
    const batch = asFloatBatch(image);
    try {
      for (const model of [this.shortRange, 'full'] as const) {
        const found = await this.runOnView(
          model === 'full' ? await this.fullRange() : model,
          batch,
          view,
          Math.round(view.width * scale),
          Math.round(view.height * scale),
        );
        if (found.length > 0) return found;
      }
      return [];
    } finally {
      batch.dispose();
    }
  }

  /**
   * Runs `model` on the `view` rectangle of the image (may extend past it: black) resampled to outWidth×outHeight;
   * faces in image pixels. `batch` is the image as a float32 [1, h, w, 3] batch (asFloatBatch).
   */
  private async runOnView(
    model: MediaPipeFaceDetectorTfjs,
    batch: tf.Tensor4D,
    view: Box,
    outWidth: number,
    outHeight: number,
  ): Promise<DetectedFace[]> {
    const [, height, width] = batch.shape;
    const crop = tf.tidy(() => {
      const box = [
        view.y / (height - 1),
        view.x / (width - 1),
        (view.y + view.height) / (height - 1),
        (view.x + view.width) / (width - 1),
      ];
      return tf.squeeze(cropAndResizeBoxes(batch, [box], [outHeight, outWidth]), [0]) as tf.Tensor3D;
    });
    try {
      const found = await this.run(model, crop);
      return found.map((f) => scaleFace(f, view.width / outWidth, view.x, view.y));
    } finally {
      crop.dispose();
    }
  }

  /**
   * The face near each of `boxes` (where a tracked face was on the last frame and the whole-image passes found none
   * now): the short-range model on a square crop around the box, as refine() reads one. A face of 50–60 px in a
   * 640×480 frame is 15–18 px to the full-range model, which misses it on some frames; on the crop it fills the
   * short-range model's input as a portrait does. Gives the best-scoring face overlapping each box, if any.
   */
  async findNear(image: tf.Tensor3D, boxes: readonly Box[]): Promise<DetectedFace[]> {
    if (boxes.length === 0) return [];
    const batch = asFloatBatch(image);
    try {
      const found: DetectedFace[] = [];
      for (const box of boxes) {
        const near = await this.runOnView(this.shortRange, batch, viewAround(box), REFINE_CROP_SIZE, REFINE_CROP_SIZE);
        const best = near.filter((f) => intersectionOverUnion(f.box, box) >= 0.3).sort((a, b) => b.score - a.score)[0];
        if (best) found.push(best);
      }
      return found;
    } finally {
      batch.dispose();
    }
  }

  /**
   * `faces` of `image` with each face small in it (REFINE_BELOW_SHARE) refined, unless it was already: what a face's
   * embedding needs, whichever detection mode found it (a tracker's frames are detected without refining, which
   * would cost a pass per face per frame; only the faces it embeds are refined).
   */
  async refineSmall(image: tf.Tensor3D, faces: readonly DetectedFace[]): Promise<DetectedFace[]> {
    const longSide = Math.max(image.shape[0], image.shape[1]);
    const small = (f: DetectedFace) =>
      !this.refinedFaces.has(f) && Math.max(f.box.width, f.box.height) < REFINE_BELOW_SHARE * longSide;
    if (!faces.some(small)) return [...faces];
    const batch = asFloatBatch(image);
    try {
      return await Promise.all(faces.map((f) => (small(f) ? this.refine(batch, f) : f)));
    } finally {
      batch.dispose();
    }
  }

  /**
   * The face as the single-face path would see it: the short-range model on a square crop around the face, so
   * that its face fills the crop as in a portrait. The whole-image and tile passes see a face in a group photo or
   * collage at a fraction of its pixels, and their keypoints were measured 3–12 px off (on ~100-px faces) from
   * those of the same face alone — enough to lower its template's score against its own enrolment. Keeps the
   * original when the crop finds no matching face (e.g. very small faces).
   */
  private async refine(batch: tf.Tensor4D, face: DetectedFace): Promise<DetectedFace> {
    const mapped = await this.runOnView(
      this.shortRange,
      batch,
      viewAround(face.box),
      REFINE_CROP_SIZE,
      REFINE_CROP_SIZE,
    );
    const best = mapped
      .filter((f) => intersectionOverUnion(f.box, face.box) >= 0.3)
      .sort((a, b) => intersectionOverUnion(b.box, face.box) - intersectionOverUnion(a.box, face.box))[0];
    // Only the landmarks change: the box and score stay the group detector's (the face checks' geometry rules —
    // too close, cropped, near the border — were set on its boxes).
    const refined = best ? { ...face, keypoints: best.keypoints, pose: best.pose } : face;
    this.refinedFaces.add(refined);
    return refined;
  }

  /**
   * Runs the short-range model once so its WebGL shaders / WASM kernels are ready before the first real call (the
   * full-range model warms up on its first use, which is also when it loads).
   */
  async warmUp(): Promise<void> {
    const blank = tf.zeros([192, 192, 3], 'int32') as tf.Tensor3D;
    try {
      await detectFaces(asBlazeFace(this.shortRange), blank);
    } finally {
      blank.dispose();
    }
  }

  dispose(): void {
    this.shortRange.dispose();
    this.fullRangeModel.dispose();
  }

  private async run(model: MediaPipeFaceDetectorTfjs, image: tf.Tensor3D): Promise<DetectedFace[]> {
    const [height, width] = image.shape;
    const faces: DetectedFace[] = [];
    for (const d of await detectFaces(asBlazeFace(model), image)) {
      const rel = d.box;
      const points = d.keypoints;
      if (points.length < KEYPOINT_NAMES.length) continue;
      const keypoints = Object.fromEntries(
        KEYPOINT_NAMES.map((name, i) => [name, { x: points[i]!.x * width, y: points[i]!.y * height }]),
      ) as unknown as FaceKeypoints;
      faces.push({
        box: { x: rel.xMin * width, y: rel.yMin * height, width: rel.width * width, height: rel.height * height },
        score: d.score,
        keypoints,
        pose: estimatePose(keypoints),
      });
    }
    return faces;
  }
}

/** A face found in a crop of `scale` image pixels per crop pixel whose corner is at (x0, y0) of the image. */
function scaleFace(face: DetectedFace, scale: number, x0: number, y0: number): DetectedFace {
  const scaled = transformFace(face, { sx: scale, sy: scale, dx: x0, dy: y0 });
  return { ...scaled, pose: estimatePose(scaled.keypoints) };
}

/** A face found in a tile whose corner is at (dx, dy) of the image. */
function offsetFace(face: DetectedFace, dx: number, dy: number): DetectedFace {
  return transformFace(face, { sx: 1, sy: 1, dx, dy });
}

/** The package's detector, whose private model, anchors and settings blazeFace.ts reads. */
function asBlazeFace(model: MediaPipeFaceDetectorTfjs): BlazeFaceModel {
  return model as unknown as BlazeFaceModel;
}

/**
 * Two largest faces this close in box area (smaller / larger) are a tie the models' boxes cannot break alike: the
 * same two faces differed by 2 % (e2e/fixtures/two-people.jpg) and the two modes ranked them differently.
 */
const NEAR_TIE_AREA_RATIO = 0.85;

function nearTie(faces: readonly DetectedFace[]): boolean {
  if (faces.length < 2) return false;
  const [first, second] = faces.map((f) => f.box.width * f.box.height).sort((a, b) => b - a);
  return second! >= NEAR_TIE_AREA_RATIO * first!;
}

/** The square REFINE_CROP_SCALE × `box` about its centre: where the short-range model looks at one face. */
function viewAround(box: Box): Box {
  const side = Math.max(box.width, box.height) * REFINE_CROP_SCALE;
  return { x: box.x + box.width / 2 - side / 2, y: box.y + box.height / 2 - side / 2, width: side, height: side };
}

/** `faces` sorted by box area, largest first. */
function largestFirst(faces: DetectedFace[]): DetectedFace[] {
  return faces.sort(largerBoxFirst);
}

/** The image as a float32 [1, h, w, 3] batch, the input the crops take; the caller disposes it. */
function asFloatBatch(image: tf.Tensor3D): tf.Tensor4D {
  return tf.tidy(() => tf.expandDims(asFloat32(image), 0) as tf.Tensor4D);
}
