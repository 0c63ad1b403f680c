// @vladmandic/human as its README and face-matching demos tell users to run it: new Human(config),
// human.load(), human.warmup(), human.detect(img), and human.match.similarity(a, b) to compare
// face.embedding vectors (its docs: "similarity above 0.5 can be considered a match").
//
// Config = Human's defaults (face: blazeface detector, facemesh, iris, emotion, faceres descriptor) with only
// these changes, each as Human's own demos do or needed for a like-for-like run:
// - modelBasePath / wasmPath: its models from its own npm package and the TF.js 4.22 WASM binaries, served by
//   the local Vite server (the defaults point at a CDN);
// - cacheSensitivity: 0 — Human otherwise reuses the previous frame's results when inputs look alike (a video
//   feature); its demos for still images set 0 / 0.01;
// - face.detector.maxDetected: 10 (default 1) so the runner can apply the same face-selection rule to every
//   pipeline;
// - body, hand and gesture off: not face models (enabled by default; its face-matching demos turn them off).
import { Human, type Config } from '@vladmandic/human';
import {
  expose,
  fetchBytes,
  imageElement,
  pickFace,
  randomUnitVectors,
  timeQueries,
  type EmbedRow,
  type Selection,
} from './common';

let human: Human;

function config(backend: string): Partial<Config> {
  return {
    backend: (backend === 'webgl' ? 'humangl' : backend) as Config['backend'],
    modelBasePath: '/node_modules/@vladmandic/human/models/',
    wasmPath: '/models/wasm/',
    cacheSensitivity: 0,
    face: { detector: { maxDetected: 10 } } as Config['face'],
    body: { enabled: false } as Config['body'],
    hand: { enabled: false } as Config['hand'],
    gesture: { enabled: false },
  };
}

// human.detect(img, userConfig) merges userConfig into human.config for good, so the stage-split call's change is
// undone explicitly on the measured call (a no-op when stages are not split).
const NO_DESCRIPTOR = { face: { description: { enabled: false } } } as Partial<Config>;
const WITH_DESCRIPTOR = { face: { description: { enabled: true } } } as Partial<Config>;

expose({
  async init({ backend, wasmThreads = 'auto' }) {
    const t0 = performance.now();
    human = new Human(config(backend));
    if (wasmThreads === 1) human.tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
    await human.load();
    const t1 = performance.now();
    await human.warmup();
    const t2 = performance.now();
    return {
      pipeline: 'human',
      library: `@vladmandic/human ${human.version}`,
      backend: String(human.tf.getBackend()),
      models: ['faceres'],
      loadMs: t1 - t0,
      warmupMs: t2 - t1,
      wasmThreads: backend === 'wasm' && Boolean(await human.tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT')),
      config:
        'human.detect(img), default face models (blazeface, facemesh, iris, emotion, faceres); cacheSensitivity 0, maxDetected 10, body/hand/gesture off; human.match.similarity, match iff > 0.5',
    };
  },

  async embed(urls: string[], select: Selection, stages = false) {
    const out: Record<string, EmbedRow> = {};
    for (const url of urls) {
      const bytes = await fetchBytes(url);
      let detect: number | undefined;
      if (stages) {
        const img = await imageElement(bytes);
        const s = performance.now();
        await human.detect(img, NO_DESCRIPTOR);
        detect = performance.now() - s;
      }
      const t0 = performance.now();
      const img = await imageElement(bytes);
      const t1 = performance.now();
      const result = await (stages ? human.detect(img, WITH_DESCRIPTOR) : human.detect(img));
      const t2 = performance.now();
      if (result.error) throw new Error(`human.detect: ${result.error}`);
      const faces = result.face;
      const boxes = faces.map((f) => ({ x: f.box[0], y: f.box[1], width: f.box[2], height: f.box[3] }));
      const i = pickFace(boxes, img.naturalWidth, img.naturalHeight, select);
      const embedding = i >= 0 ? faces[i]!.embedding : undefined;
      const ms = {
        decode: t1 - t0,
        total: t2 - t0,
        ...(detect === undefined ? {} : { detect, embed: Math.max(0, t2 - t1 - detect) }),
      };
      out[url] = {
        faces: faces.length,
        vectors: embedding && embedding.length > 0 ? [Array.from(embedding)] : null,
        ms,
      };
    }
    return out;
  },

  /** human.match.similarity itself, so the runner can check that its port of the formula gives identical scores. */
  async score(pairs: [number[], number[]][]) {
    return pairs.map(([a, b]) => human.match.similarity(a, b));
  },

  /** human.match.find, Human's documented 1:N search, over `size` 1024-d faceres-sized templates. */
  async search(sizes: number[], queries: number) {
    const out = [];
    for (const size of sizes) {
      // Float32Array rows (number[][] of 100k × 1024 would need ~0.8 GB); find() only indexes them.
      const templates = randomUnitVectors(size, 1024, size) as unknown as number[][];
      const timing = await timeQueries(randomUnitVectors(queries, 1024, 7), (q) =>
        human.match.find(Array.from(q), templates),
      );
      out.push({ size, buildMs: 0, queries, ...timing });
    }
    return out;
  },
});
