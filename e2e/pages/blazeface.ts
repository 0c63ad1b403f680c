// Runs @tensorflow-models/face-detection's own detectFaces and src/face/detection/blazeFace.ts's on the same images
// and models, for e2e/pipeline.spec.ts and tools/detect-compare/: the detections must be the same to the last bit.
// An image is a fixture's name (e2e/fixtures/) or a URL path of this origin; images that do not decode as JPEG or PNG
// are listed as skipped.
import { detectFaces, type BlazeFaceModel } from '../../src/face/detection/blazeFace';
import { FaceDetector } from '../../src/face/detection/faceDetector';
import { decodeImage } from '../../src/face/input/decode';
import { activateBackend } from '../../src/models/backend';
import { ModelFiles } from '../../src/models/modelFiles';
import * as tf from '../../src/models/tf';
import type { MediaPipeFaceDetectorTfjs } from '@tensorflow-models/face-detection';

declare global {
  interface Window {
    compareDetections(backend: 'wasm' | 'webgl', images: string[]): Promise<unknown>;
  }
}

const flat = (
  score: number,
  box: { xMin: number; yMin: number; width: number; height: number },
  points: { x: number; y: number }[],
) => [score, box.xMin, box.yMin, box.width, box.height, ...points.flatMap((k) => [k.x, k.y])];

window.compareDetections = async (backend, images) => {
  const files = new ModelFiles('/models/');
  await activateBackend(backend, files);
  const detector = await FaceDetector.create(files);
  const internals = detector as unknown as {
    shortRange: MediaPipeFaceDetectorTfjs;
    fullRange(): Promise<MediaPipeFaceDetectorTfjs>;
  };
  const models = { short: internals.shortRange, full: await internals.fullRange() };
  const rows: { image: string; model: string; same: boolean; faces: number }[] = [];
  const skipped: string[] = [];
  // Any size: the comparison is of the detector, not of the API's input limits.
  const limits = { maxBytes: 64 * 1024 * 1024, minDimension: 1, maxDimension: 16384, maxPixels: 50_000_000 };
  let tensorsAfterFirst = 0;
  for (const name of images) {
    const url = name.startsWith('/') ? name : `/e2e/fixtures/${name}`;
    let decoded: Awaited<ReturnType<typeof decodeImage>>;
    try {
      decoded = await decodeImage(new Uint8Array(await (await fetch(url)).arrayBuffer()), limits);
    } catch {
      skipped.push(name);
      continue;
    }
    try {
      for (const [model, m] of Object.entries(models)) {
        const theirs = (await m.detectFaces(decoded.pixels, false)).map((d) =>
          flat(d.score![0]!, d.locationData.relativeBoundingBox!, d.locationData.relativeKeypoints!),
        );
        const ours = (await detectFaces(m as unknown as BlazeFaceModel, decoded.pixels)).map((d) =>
          flat(d.score, d.box, d.keypoints),
        );
        rows.push({ image: name, model, same: JSON.stringify(ours) === JSON.stringify(theirs), faces: ours.length });
      }
    } finally {
      decoded.pixels.dispose();
    }
    tensorsAfterFirst ||= tf.memory().numTensors;
  }
  const result = { rows, skipped, tensorsAfterFirst, tensorsAtEnd: tf.memory().numTensors };
  detector.dispose();
  return result;
};
