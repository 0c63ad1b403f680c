// LocalFace as it ships: the same stages and models createFaceClient() builds (backend, MediaPipe detector, the
// embedders named by src/face/similarity/calibration.json, warm-up), driven stage by stage so the runner can apply
// its face-selection rule and time each stage. Scores are computed by the runner with the shipped MatcherConfig.
import { decodeImage } from '../../src/face/input/decode';
import { FaceEngine } from '../../src/face/engine';
import type { BackendChoice } from '../../src/models/backend';
import { ModelFiles } from '../../src/models/modelFiles';
import { version } from '../../src/version';
import { expose, fetchBytes, pickFace, type EmbedRow, type Selection } from './common';

let pipeline: FaceEngine;

expose({
  async init({ backend }) {
    const t0 = performance.now();
    const files = new ModelFiles('/models/');
    // As createFaceClient does: each model warms up while the others are still loading, so the warm-up is part
    // of the load time here (warmupMs 0).
    pipeline = await FaceEngine.create({ files, backend: backend as BackendChoice });
    const active = pipeline.backend;
    const t1 = performance.now();
    const t2 = t1;
    return {
      pipeline: 'localface',
      library: `LocalFace ${version}`,
      backend: active,
      models: pipeline.modelIds,
      loadMs: t1 - t0,
      warmupMs: t2 - t1,
      // Always TF.js's single-threaded build (src/models/backend.ts), with MobileFaceNet in its own Worker.
      ...(active === 'wasm' ? { wasmThreads: false } : {}),
      config: `MediaPipe BlazeFace short-range (full-range if none), 4-point alignment, fused ${pipeline.modelIds.join(' + ')}, calibrated similarityScore (src/face/similarity/calibration.json)`,
    };
  },

  /**
   * `stages` (the speed task): embed EVERY face found, as the peers' detectAllFaces/detect do, and report the
   * selected one; otherwise (accuracy, identify) only the selected face is embedded, as compareFaces does.
   */
  async embed(urls: string[], select: Selection, stages = false) {
    const out: Record<string, EmbedRow> = {};
    for (const url of urls) {
      const bytes = await fetchBytes(url);
      const t0 = performance.now();
      const image = await decodeImage(bytes);
      const t1 = performance.now();
      try {
        // 'largest' mode = the short-range detector (full-range if it finds nothing), as compareFaces and
        // enrollment use; it returns every face that detector finds.
        const faces = await pipeline.detect(image.pixels, 'largest');
        const t2 = performance.now();
        const i = pickFace(
          faces.map((f) => f.box),
          image.width,
          image.height,
          select,
        );
        let vectors: number[][] | null = null;
        if (i >= 0) {
          const templates = await pipeline.embed(image.pixels, stages ? faces : [faces[i]!]);
          vectors = templates[stages ? i : 0]!.vectors.map((v) => Array.from(v));
        }
        const t3 = performance.now();
        out[url] = {
          faces: faces.length,
          vectors,
          ms: { decode: t1 - t0, detect: t2 - t1, embed: t3 - t2, total: t3 - t0 },
        };
      } finally {
        image.pixels.dispose();
      }
    }
    return out;
  },
});
