import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';

import { competingFaces, geometryProblems } from '../../src/face/checks/geometry';
import {
  qualityFromStats,
  lowIsBad,
  faceQualityStats,
  DEFAULT_QUALITY_THRESHOLDS,
} from '../../src/face/checks/quality';
import { calibratedLiveScore, decideLiveness, DEFAULT_LIVENESS_THRESHOLDS } from '../../src/face/checks/liveness';
import { fasnetLiveLogOdds, fasnetCropRect } from '../../src/face/checks/fasnet';
import { livenessScore } from '../../src/face/checks/liveness';
import { eyeClosedProbability, eyeCropBox } from '../../src/face/checks/eyeState';
import { eyeAspectRatios, eyeRegions } from '../../src/face/checks/eyes';
import { attributesFromFeatures, logistic } from '../../src/face/checks/attributes';
import { validate, livenessFailure, livenessError, FAIL_ON } from '../../src/face/checks/validate';
import type { CheckedFace } from '../../src/face/checks/types';
import { FaceError } from '../../src/errors';
import { seededRandom } from '../support/seededRandom';
import { syntheticFace } from '../support/syntheticFace';

const face = syntheticFace;
const IMAGE = { width: 640, height: 480 };

describe('geometryProblems', () => {
  it('accepts a centred, frontal, mid-sized face', () => {
    expect(geometryProblems(face(250, 150, 150), IMAGE)).toEqual([]);
  });
  it('flags a small face', () => {
    expect(geometryProblems(face(300, 200, 40), IMAGE)).toEqual(['FACE_TOO_SMALL']);
  });
  it('flags a face cut by the edge as cropped, one whose liveness crop leaves the image as close to border', () => {
    expect(geometryProblems(face(-40, 150, 150), IMAGE)).toContain('FACE_CROPPED');
    expect(geometryProblems(face(10, 150, 150), IMAGE)).toEqual(['FACE_CLOSE_TO_BORDER']);
  });
  it('flags a face filling the frame as too close', () => {
    expect(geometryProblems(face(100, 5, 470), IMAGE)).toContain('FACE_TOO_CLOSE');
  });
  it('flags a turned head', () => {
    const turned = face(250, 150, 150);
    turned.keypoints.noseTip.x += 0.3 * 150; // nose 0.75 eye distances off the eyes' midpoint
    expect(geometryProblems(turned, IMAGE)).toEqual(['FACE_ANGLE_TOO_LARGE']);
    expect(geometryProblems(face(250, 150, 150, { yaw: 80, pitch: 0, roll: 0 }), IMAGE)).toEqual([]); // pose.yaw is not used
    expect(geometryProblems(face(250, 150, 150, { yaw: 0, pitch: -40, roll: 0 }), IMAGE)).toEqual([
      'FACE_ANGLE_TOO_LARGE',
    ]);
  });
  it('a face whose margin square cannot fit in the picture is too close, even centred', () => {
    // 480 px high: a centred face of 400 px (0.83 of it) needs a 520-px square around it.
    expect(geometryProblems(face(120, 40, 400), IMAGE)[0]).toBe('FACE_TOO_CLOSE');
    expect(geometryProblems(face(170, 85, 300), IMAGE)).toEqual([]); // 390 px: fits
  });
  it('counts only faces at least half the largest width as competing', () => {
    expect(competingFaces([face(0, 0, 200), face(300, 0, 60)])).toBe(0);
    expect(competingFaces([face(0, 0, 200), face(300, 0, 120)])).toBe(1);
    expect(competingFaces([])).toBe(0);
  });
});

describe('quality', () => {
  const good = { sharpness: 0.35, medianLuma: 140, chroma: 60 };
  it('says ok only when every score, as reported, is under 0.5 (at a threshold it is 0.5: not ok)', () => {
    const t = DEFAULT_QUALITY_THRESHOLDS;
    const atThreshold = qualityFromStats({ ...good, sharpness: t.minSharpness });
    expect([atThreshold.blur, atThreshold.ok]).toEqual([0.5, false]);
    const justAbove = qualityFromStats({ ...good, sharpness: t.minSharpness * 1.00001 });
    expect(justAbove.ok).toBe(justAbove.blur < 0.5);
  });
  it('passes a normal face and scores it low', () => {
    const q = qualityFromStats(good);
    expect(q.ok).toBe(true);
    for (const v of [q.blur, q.dark, q.grayscale]) expect(v).toBeLessThan(0.2);
  });
  it('fails each degradation on its own score, 0.5 at the threshold', () => {
    expect(qualityFromStats({ ...good, sharpness: 0.05 })).toMatchObject({ ok: false });
    expect(qualityFromStats({ ...good, sharpness: 0.05 }).blur).toBeGreaterThan(0.5);
    expect(qualityFromStats({ ...good, medianLuma: 30 }).dark).toBeGreaterThan(0.5);
    expect(qualityFromStats({ ...good, chroma: 0 }).grayscale).toBeGreaterThan(0.99);
    expect(lowIsBad(DEFAULT_QUALITY_THRESHOLDS.minMedianLuma, DEFAULT_QUALITY_THRESHOLDS.minMedianLuma)).toBeCloseTo(
      0.5,
      6,
    );
  });
  it('statistics are those of the 0..255 definition, computed on 0..1 (no float16 overflow on phone GPUs)', () => {
    const size = 112;
    const random = seededRandom(7);
    const pixels = Float32Array.from({ length: size * size * 3 }, () => Math.round(random() * 255));
    const crop = tf.tensor4d(pixels, [1, size, size, 3]);
    const [measured] = faceQualityStats(crop);
    crop.dispose();
    // The definition, in plain numbers: the inner 60 % of the crop, BT.601 luma, a 3×3 Laplacian ('valid').
    const y0 = Math.round(size * 0.2);
    const side = size - 2 * y0;
    const at = (y: number, x: number, c: number) => pixels[((y + y0) * size + x + y0) * 3 + c]!;
    const luma = (y: number, x: number) => 0.299 * at(y, x, 0) + 0.587 * at(y, x, 1) + 0.114 * at(y, x, 2);
    const std = (v: number[]) => {
      const m = v.reduce((a, b) => a + b, 0) / v.length;
      return Math.sqrt(v.reduce((a, b) => a + (b - m) ** 2, 0) / v.length);
    };
    const lumas: number[] = [];
    const laplacians: number[] = [];
    let chroma = 0;
    for (let y = 0; y < side; y++)
      for (let x = 0; x < side; x++) {
        lumas.push(luma(y, x));
        const rgb = [at(y, x, 0), at(y, x, 1), at(y, x, 2)];
        chroma += Math.max(...rgb) - Math.min(...rgb);
        if (y > 0 && x > 0 && y < side - 1 && x < side - 1)
          laplacians.push(luma(y - 1, x) + luma(y + 1, x) + luma(y, x - 1) + luma(y, x + 1) - 4 * luma(y, x));
      }
    const sorted = [...lumas].sort((a, b) => b - a);
    expect(measured!.sharpness).toBeCloseTo(std(laplacians) / (std(lumas) + 1), 4);
    expect(measured!.medianLuma).toBeCloseTo(sorted[Math.ceil(sorted.length / 2) - 1]!, 2);
    expect(measured!.chroma).toBeCloseTo(chroma / lumas.length, 2);
  });

  it('measures statistics on the backend without leaking tensors', () => {
    const before = tf.memory().numTensors;
    const noise = tf.tidy(() => tf.randomUniform([2, 112, 112, 3], 0, 255, 'float32', 1) as tf.Tensor4D);
    const flatGray = tf.fill([1, 112, 112, 3], 128) as tf.Tensor4D;
    const [a] = faceQualityStats(noise);
    const [b] = faceQualityStats(flatGray);
    expect(a!.sharpness).toBeGreaterThan(1);
    expect(a!.chroma).toBeGreaterThan(50);
    expect(b!.chroma).toBe(0);
    expect(b!.medianLuma).toBeCloseTo(128, 3);
    expect(qualityFromStats(b!).grayscale).toBeGreaterThan(0.99);
    noise.dispose();
    flatGray.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});

/** Face Mesh landmarks with only the eyes set: the right eye open (9 px tall, 30 wide), the left nearly shut (1 px). */
function meshWithEyes(): Float32Array {
  const mesh = new Float32Array(468 * 3);
  const set = (i: number, x: number, y: number) => {
    mesh[i * 3] = x;
    mesh[i * 3 + 1] = y;
  };
  set(33, 0, 0);
  set(133, 30, 0);
  for (const [u, l] of [
    [159, 145],
    [158, 153],
    [160, 144],
  ]) {
    set(u!, 15, -4.5);
    set(l!, 15, 4.5);
  }
  set(263, 100, 0);
  set(362, 70, 0);
  for (const [u, l] of [
    [386, 374],
    [385, 380],
    [387, 373],
  ]) {
    set(u!, 85, -0.5);
    set(l!, 85, 0.5);
  }
  return mesh;
}

describe('liveness decision', () => {
  const t = DEFAULT_LIVENESS_THRESHOLDS;
  it('maps the threshold to 0.5 monotonically', () => {
    expect(calibratedLiveScore(t.live, t.live)).toBe(0.5);
    expect(calibratedLiveScore(t.live - 20, t.live)).toBe(0);
    expect(calibratedLiveScore(t.live + 20, t.live)).toBe(1);
    expect(calibratedLiveScore(t.live - 0.01, t.live)).toBeLessThan(0.5);
    expect(calibratedLiveScore(t.live + 1, t.live)).toBeGreaterThan(calibratedLiveScore(t.live + 0.5, t.live));
  });
  it('a model output that is not a number is UNKNOWN_ERROR, never live', () => {
    const plain = { sunglasses: 0, mask: 0, veil: 0, hat: 0 };
    const live = t.live + 2;
    for (const evidence of [
      { geometry: [], rawScore: Number.NaN },
      { geometry: [], rawScore: live, attributes: { ...plain, mask: Number.NaN } },
      { geometry: [], rawScore: live, eyesClosed: [0.01, Number.NaN] },
    ])
      expect(decideLiveness(evidence)).toEqual({ live: false, score: expect.any(Number), code: 'UNKNOWN_ERROR' });
    expect(decideLiveness({ geometry: [], rawScore: Number.NaN }).score).toBe(0);
  });
  it('orders codes: geometry, occlusion, model, eyes', () => {
    const open = [0.01, 0.02];
    const plain = { sunglasses: 0, mask: 0, veil: 0, hat: 0 };
    const live = t.live + 2;
    expect(decideLiveness({ geometry: ['FACE_TOO_SMALL'], rawScore: live })).toMatchObject({
      live: false,
      code: 'FACE_TOO_SMALL',
    });
    expect(
      decideLiveness({ geometry: [], rawScore: live, eyesClosed: open, attributes: { ...plain, mask: 0.9 } }).code,
    ).toBe('FACE_IS_OCCLUDED');
    expect(decideLiveness({ geometry: [], rawScore: live, eyesClosed: [0.999, 0.995], attributes: plain }).code).toBe(
      'EYES_CLOSED',
    );
    // One closed eye is a wink or a misread, not closed eyes.
    expect(decideLiveness({ geometry: [], rawScore: live, eyesClosed: [0.999, 0.2], attributes: plain }).live).toBe(
      true,
    );
    expect(decideLiveness({ geometry: [], rawScore: t.live - 1, eyesClosed: open, attributes: plain })).toMatchObject({
      live: false,
      code: 'FACE_NOT_LIVE',
    });
    expect(decideLiveness({ geometry: [], rawScore: t.live - 1, eyesClosed: [1, 1], attributes: plain }).code).toBe(
      'FACE_NOT_LIVE',
    );
    expect(decideLiveness({ geometry: [], rawScore: t.live + 20, eyesClosed: open, attributes: plain })).toEqual({
      live: true,
      score: 1,
      code: null,
    });
    expect(decideLiveness({ geometry: [] }).code).toBe('UNKNOWN_ERROR');
  });
  it('scores FasNet as the live log-odds against both attack classes, averaged with the mirror image', () => {
    expect(fasnetLiveLogOdds([0, 0, 0])).toBeCloseTo(-Math.log(2), 6);
    expect(fasnetLiveLogOdds([5, -20, -20])).toBeCloseTo(5 - (-20 + Math.log(2)), 6);
    expect(fasnetLiveLogOdds([1000, 0, 999])).toBeCloseTo(1, 6); // no overflow
    expect(() => fasnetLiveLogOdds([1, 2])).toThrow(FaceError);
    expect(livenessScore([2, 0, -Infinity], [4, 0, -Infinity])).toBeCloseTo(3, 6);
  });
  it('crops 2.7 × the face box like its package, shrinking and shifting the crop to stay inside the image', () => {
    expect(fasnetCropRect(face(300, 300, 100), 1000, 1000)).toEqual({ x: 215, y: 215, width: 270, height: 270 });
    // Near the left/top edge: shifted inside, same size.
    expect(fasnetCropRect(face(10, 20, 100), 1000, 1000)).toEqual({ x: 0, y: 0, width: 270, height: 270 });
    // Too big for the image: the scale shrinks to fit.
    const r = fasnetCropRect(face(100, 100, 200), 401, 401);
    expect(r.width).toBeLessThanOrEqual(401);
    expect(r.x + r.width).toBeLessThanOrEqual(401);
  });
  it('reads the eye-state logits: index 0 is closed', () => {
    expect(eyeClosedProbability([3, -3])).toBeGreaterThan(0.99);
    expect(eyeClosedProbability([-3, 3])).toBeLessThan(0.01);
    expect(eyeClosedProbability([0, 0])).toBe(0.5);
    expect(() => eyeClosedProbability([1])).toThrow(FaceError);
  });
  it('finds the eyes in mesh landmarks and crops 1.6 × their width', () => {
    const mesh = meshWithEyes();
    const { rightEye, leftEye } = eyeRegions(mesh, (x, y) => [x * 2, y * 2 + 100]);
    expect(rightEye).toEqual({ x: 30, y: 100, width: 60 });
    expect(leftEye).toEqual({ x: 170, y: 100, width: 60 });
    const [y1, x1, y2, x2] = eyeCropBox(rightEye, 201, 301);
    expect((x2 - x1) * 200).toBeCloseTo(96, 6);
    expect(((y1 + y2) / 2) * 300).toBeCloseTo(100, 6);
  });
  it('measures eye aspect ratios from mesh landmarks', () => {
    const mesh = meshWithEyes();
    const r = eyeAspectRatios(mesh);
    expect(r.right).toBeCloseTo(0.3, 5);
    expect(r.left).toBeCloseTo(1 / 30, 5);
  });
});

describe('attributes', () => {
  it('applies logistic heads', () => {
    const head = { w: [1, -1], b: 0 };
    expect(logistic(head, [0, 0])).toBe(0.5);
    expect(logistic(head, [10, 0])).toBeGreaterThan(0.99);
    expect(() => logistic(head, [1])).toThrow(FaceError);
    const zero = { w: [0, 0], b: -10 };
    const a = attributesFromFeatures([1, 1], {
      features: 'regions',
      heads: { sunglasses: zero, mask: { w: [0, 0], b: 10 }, veil: zero, hat: zero },
      livenessOccludedThreshold: 0.6,
    });
    expect(a.mask).toBeGreaterThan(0.99);
    expect(a.sunglasses).toBeLessThan(0.01);
  });
});

describe('validate', () => {
  const okFace = (): CheckedFace => ({
    ...face(250, 150, 150),
    quality: { blur: 0.1, dark: 0.1, grayscale: 0, ok: true },
    attributes: { sunglasses: 0.01, mask: 0.02, veil: 0, hat: 0.1 },
    liveness: { live: true, score: 0.9, code: null },
  });
  const all = { validateQuality: true, validateAttribute: true, validateLiveness: true, validateNface: true };
  it('passes a good single face', () => {
    const r = validate([okFace()], all);
    expect(r.ok).toBe(true);
  });
  it('sets the seed FAIL_ON bits', () => {
    const bad: CheckedFace = {
      ...okFace(),
      quality: { blur: 0.9, dark: 0.1, grayscale: 0, ok: false },
      attributes: { sunglasses: 0.9, mask: 0.1, veil: 0, hat: 0 },
      liveness: { live: false, score: 0.1, code: 'FACE_NOT_LIVE' },
    };
    const r = validate([bad, face(0, 0, 120)], all);
    expect(r).toMatchObject({ ok: false, failOn: 15 });
    if (r.ok) throw new Error('unreachable');
    expect(r.reasons.map((x) => x.code).sort()).toEqual(['BLURRY', 'FACE_NOT_LIVE', 'SUNGLASSES', 'TOO_MANY_FACES']);
    expect(validate([bad], { validateQuality: true })).toMatchObject({ ok: false, failOn: FAIL_ON.quality });
    expect(validate([bad], { validateAttribute: true, validateLiveness: true })).toMatchObject({
      ok: false,
      failOn: 3,
    });
    expect(validate([bad], {}).ok).toBe(true);
  });
  it('rejects no face and checks that were not computed', () => {
    expect(() => validate([], all)).toThrow(expect.objectContaining({ code: 'ERR_FACE_NOT_DETECTED' }));
    expect(() => validate([face(0, 0, 100)], { validateQuality: true })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }),
    );
    expect(() => validate([okFace()], null as never)).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }),
    );
  });
  it('gives the checkLiveness code', () => {
    expect(livenessFailure([])).toBe('FACE_NOT_FOUND');
    expect(livenessFailure([okFace(), face(0, 0, 140)])).toBe('TOO_MANY_FACES');
    expect(livenessFailure([okFace()])).toBeNull();
    expect(livenessFailure([{ ...okFace(), liveness: { live: false, score: 0, code: 'EYES_CLOSED' } }])).toBe(
      'EYES_CLOSED',
    );
    expect(livenessFailure([face(0, 0, 100)])).toBe('UNKNOWN_ERROR');
    const e = livenessError('FACE_NOT_LIVE');
    expect(e).toMatchObject({ code: 'ERR_LIVENESS_ERROR', status: 400, metadata: { code: 'FACE_NOT_LIVE' } });
  });
});

describe('attribute region features', () => {
  it('match the training script (tools/fit-checks/regions.mjs) exactly', async () => {
    // @ts-expect-error plain JS module without types
    const { regionFeatures: fromBench } = await import('../../tools/fit-checks/regions.mjs');
    const { regionFeatures } = await import('../../src/face/checks/attributes');
    const thumb = Array.from({ length: 24 * 24 * 3 }, (_, i) => (i * 37) % 256);
    const a = regionFeatures(thumb);
    expect(a).toHaveLength(55);
    expect(a).toEqual(fromBench(thumb));
  });
  it('the head crop the study measured spans the head above the face crop', async () => {
    const { HEAD_TEMPLATE, HEAD_THUMB_SIZE } = await import('../../tools/fit-checks/headCrops');
    const { MOBILEFACENET_TEMPLATE } = await import('../../src/face/embedding/mobileFaceNet');
    const eyeGap = (t: readonly { x: number }[]) => t[1]!.x - t[0]!.x;
    // Templates are in crop pixels: half the face crop's scale, in a 32-px crop instead of 112.
    expect(eyeGap(HEAD_TEMPLATE)).toBeCloseTo(((eyeGap(MOBILEFACENET_TEMPLATE) / 2) * HEAD_THUMB_SIZE) / 112, 6);
    // More room above the eyes than below them (the hat), the mouth inside the crop.
    expect(HEAD_TEMPLATE[0]!.y).toBeGreaterThan(HEAD_THUMB_SIZE / 2);
    expect(HEAD_TEMPLATE[3]!.y).toBeLessThan(HEAD_THUMB_SIZE);
  });
  it('FasNet block features match the training script, from the row profiles it records', async () => {
    // @ts-expect-error plain JS module without types
    const { FASNET_BLOCKS: fromBench } = await import('../../tools/fit-checks/fasnetFeatures.mjs');
    const { FASNET_BLOCKS, fasnetBlockFeatures } = await import('../../src/face/checks/attributes');
    const random = seededRandom(7);
    const map = (channels: number) => Float32Array.from({ length: channels * 64 }, () => random() * 4 - 1);
    // What measure.mjs --deep 1 records: per channel, the mean of each of the 8 rows.
    const rows = (m: Float32Array, channels: number) =>
      Array.from({ length: channels * 8 }, (_, i) => m.slice(i * 8, i * 8 + 8).reduce((a, b) => a + b, 0) / 8);
    const m564 = map(128),
      m568 = map(512),
      v581 = Float32Array.from({ length: 128 }, () => random());
    const row = { fas128: Array.from(v581), fas564rows: rows(m564, 128), fas568rows: rows(m568, 512) };
    const activation = { '581': v581, '564': m564, '568': m568 } as const;
    expect(Object.keys(FASNET_BLOCKS).sort()).toEqual(Object.keys(fromBench).sort());
    for (const [block, spec] of Object.entries(FASNET_BLOCKS)) {
      const ours = fasnetBlockFeatures(block as keyof typeof FASNET_BLOCKS, activation[spec.activation]);
      const theirs = fromBench[block](row) as number[];
      expect(ours).toHaveLength(theirs.length);
      ours.forEach((v, i) => expect(v).toBeCloseTo(theirs[i]!, 5));
    }
    expect(fasnetBlockFeatures('fas564top', m564)).toHaveLength(256);
  });
  it('the head crop MobileFaceNet described in the study spans the head above the face', async () => {
    const { HEAD_EMBEDDING_TEMPLATE } = await import('../../tools/fit-checks/headCrops');
    const { MOBILEFACENET_TEMPLATE } = await import('../../src/face/embedding/mobileFaceNet');
    const eyeGap = (t: readonly { x: number }[]) => t[1]!.x - t[0]!.x;
    // Same 112-px crop, the face at half the scale, eyes below the middle (room for a hat), the mouth inside.
    expect(eyeGap(HEAD_EMBEDDING_TEMPLATE)).toBeCloseTo(eyeGap(MOBILEFACENET_TEMPLATE) / 2, 6);
    expect(HEAD_EMBEDDING_TEMPLATE[0]!.y).toBeGreaterThan(56);
    expect(HEAD_EMBEDDING_TEMPLATE[3]!.y).toBeLessThan(112);
  });
  it('the head crop CenterNet describes spans the head above the face, and its band covers the brow and forehead', async () => {
    const { CENTERNET_HEAD_TEMPLATE, CENTERNET_HEAD_SIZE, bandRows } =
      await import('../../src/face/checks/centerNetBackbone');
    const { HEAD_EMBEDDING_TEMPLATE } = await import('../../tools/fit-checks/headCrops');
    // The MobileFaceNet head crop's layout at twice the size.
    CENTERNET_HEAD_TEMPLATE.forEach((p, i) => {
      expect(p.x).toBeCloseTo(HEAD_EMBEDDING_TEMPLATE[i]!.x * (CENTERNET_HEAD_SIZE / 112), 6);
      expect(p.y).toBeCloseTo(HEAD_EMBEDDING_TEMPLATE[i]!.y * (CENTERNET_HEAD_SIZE / 112), 6);
    });
    // On the 14-row map of a 224-px crop: rows 4–7, from above the brows down to the eyes (eyes at row ~7.5).
    expect(bandRows(14)).toEqual([4, 8]);
    const eyeRow = (CENTERNET_HEAD_TEMPLATE[0]!.y / CENTERNET_HEAD_SIZE) * 14;
    expect(eyeRow).toBeGreaterThan(7);
    expect(eyeRow).toBeLessThan(9);
    // A smaller map still pools at least one row.
    const [a, b] = bandRows(1);
    expect(b - a).toBe(1);
  });
  it('the bundled heads match their feature kind', async () => {
    const { ATTRIBUTE_HEADS, FASNET_BLOCKS, fasnetBlockOf, fasnetBlockFeatures } =
      await import('../../src/face/checks/attributes');
    const { CENTERNET_HEAD_FEATURES } = await import('../../src/face/checks/centerNetBackbone');
    const block = fasnetBlockOf();
    const fasDim = block
      ? fasnetBlockFeatures(block, new Float32Array(FASNET_BLOCKS[block].bands.length ? 64 * 512 : 128)).length
      : 0;
    const sizes: Record<string, number> = { regions: 55, cnhead: CENTERNET_HEAD_FEATURES };
    const parts = ATTRIBUTE_HEADS.features.replace(/\+fas\w+$/, '').split('+');
    expect(parts.every((p) => p in sizes)).toBe(true);
    const dim = parts.reduce((a, p) => a + sizes[p]!, 0) + fasDim;
    for (const k of ['sunglasses', 'mask', 'veil', 'hat'] as const)
      expect(ATTRIBUTE_HEADS.heads[k].w).toHaveLength(dim);
  });
  it('heads refitted on a feature the library does not compute are refused, not read as zeros', async () => {
    const { ATTRIBUTE_HEADS, featureParts } = await import('../../src/face/checks/attributes');
    expect(featureParts(ATTRIBUTE_HEADS.features)).toEqual({ centerNet: true, fasnetBlock: 'fas128' });
    expect(featureParts('regions')).toEqual({ centerNet: false, fasnetBlock: undefined });
    expect(featureParts('regions+fas564top')).toEqual({ centerNet: false, fasnetBlock: 'fas564top' });
    for (const kind of ['regions+emb', 'regions+head+cnhead', 'regions+mfnhead', 'regions+fas999', 'thumb', 'emb'])
      expect(() => featureParts(kind), kind).toThrow(/does not compute/);
  });
});
