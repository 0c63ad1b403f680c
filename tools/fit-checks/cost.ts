// Runs src/face/checks/ (FaceChecks) exactly as the client will, on the e2e fixtures: results per fixture and the
// extra ms each check adds per face. Exposed as window.cost for tools/fit-checks/cost.mjs.
import * as tf from '@tensorflow/tfjs';
import { ModelFiles } from '../../src/models/modelFiles';
import { activateBackend, type BackendChoice } from '../../src/models/backend';
import { FaceDetector } from '../../src/face/detection/faceDetector';
import { decodeImage } from '../../src/face/input/decode';
import { FaceChecks } from '../../src/face/checks/faceChecks';
import { validate, livenessFailure } from '../../src/face/checks/validate';

let detector: FaceDetector;
let checks: FaceChecks;

async function init(backend: BackendChoice) {
  const files = new ModelFiles('/models/');
  const active = await activateBackend(backend, files);
  detector = await FaceDetector.create(files);
  await detector.warmUp();
  const t0 = performance.now();
  checks = new FaceChecks(files);
  const createMs = performance.now() - t0;
  return { backend: active, createMs };
}

async function run(url: string, request: { quality?: boolean; attributes?: boolean; liveness?: boolean }) {
  const bytes = new Uint8Array(await (await fetch(url)).arrayBuffer());
  const image = await decodeImage(bytes);
  try {
    const faces = await detector.detect(image.pixels, 'all');
    const before = tf.memory().numTensors;
    const t0 = performance.now();
    const results = await checks.analyze(image.pixels, faces, request);
    const total = performance.now() - t0;
    const checked = faces.map((f, i) => ({ ...f, ...results[i] }));
    return {
      faces: faces.length,
      total,
      times: { ...checks.lastTimes },
      leaked: tf.memory().numTensors - before,
      first: checked[0]
        ? {
            box: checked[0].box,
            quality: checked[0].quality,
            attributes: checked[0].attributes,
            liveness: checked[0].liveness,
          }
        : null,
      validate: faces.length
        ? validate(checked, {
            validateQuality: !!request.quality,
            validateAttribute: !!request.attributes,
            validateLiveness: !!request.liveness,
            validateNface: true,
          })
        : null,
      livenessFailure: request.liveness ? livenessFailure(checked) : undefined,
    };
  } finally {
    image.pixels.dispose();
  }
}

(window as unknown as { cost: unknown }).cost = { init, run };
