// Two-thread experiment: per image, MobileFaceNet in a Worker while dlib runs here, against the shipped one-thread
// FaceEngine.embed, alternating image by image. Driven by tools/speed/two-threads/run.mjs.
import * as tf from '../../../src/models/tf';
import { FaceEngine } from '../../../src/face/engine';
import { ModelFiles } from '../../../src/models/modelFiles';
import { decodeImage } from '../../../src/face/input/decode';
import { alignFaces } from '../../../src/face/alignment/alignFaces';

async function run(urls: string[], rounds: number) {
  const files = new ModelFiles('/models/');
  const engine = await FaceEngine.create({ files, backend: 'wasm' });
  const [dlib, mfn] = engine.embedders;
  if (!dlib || !mfn || !mfn.id.startsWith('mobilefacenet')) throw new Error(`unexpected embedders ${engine.modelIds}`);
  const worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' });
  let seq = 0;
  const waiting = new Map<number, (v: Float32Array[]) => void>();
  await new Promise<void>((resolve) => {
    worker.onmessage = (e) => {
      if (e.data.type === 'ready') resolve();
      else waiting.get(e.data.seq)?.(e.data.vectors);
    };
    worker.postMessage({ type: 'init', baseUrl: new URL('/models/', location.href).href, id: mfn.id });
  });
  const images = await Promise.all(urls.map(async (u) => new Uint8Array(await (await fetch(u)).arrayBuffer())));
  const one: number[] = [];
  const two: number[] = [];
  let maxDiff = 0;
  const tensorsBefore = tf.memory().numTensors;
  for (let r = 0; r < rounds; r++) {
    for (const bytes of images) {
      const image = await decodeImage(bytes);
      try {
        const faces = await engine.detect(image.pixels, 'largest');
        if (faces.length === 0) continue;
        const face = [faces[0]!];
        // One thread (shipped).
        let t = performance.now();
        const shipped = await engine.embed(image.pixels, face);
        one.push(performance.now() - t);
        // Two threads: MobileFaceNet's crops to the Worker first, then dlib here.
        t = performance.now();
        const crops = alignFaces(image.pixels, face.map((f) => f.keypoints), mfn.template, mfn.inputSize);
        const data = crops.dataSync() as Float32Array;
        crops.dispose();
        const id = seq++;
        const remote = new Promise<Float32Array[]>((resolve) => waiting.set(id, resolve));
        worker.postMessage({ type: 'embed', seq: id, crops: data, n: 1, size: mfn.inputSize }, [data.buffer]);
        const dlibCrops = alignFaces(image.pixels, face.map((f) => f.keypoints), dlib.template, dlib.inputSize);
        const dlibVectors = await dlib.embed(dlibCrops);
        dlibCrops.dispose();
        const mfnVectors = await remote;
        waiting.delete(id);
        two.push(performance.now() - t);
        const ref = shipped[0]!.vectors;
        for (const [a, b] of [
          [ref[0]!, dlibVectors[0]!],
          [ref[1]!, mfnVectors[0]!],
        ] as const)
          for (let i = 0; i < a.length; i++) maxDiff = Math.max(maxDiff, Math.abs(a[i]! - b[i]!));
      } finally {
        image.pixels.dispose();
      }
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  worker.terminate();
  return {
    samples: one.length,
    oneThreadMedianMs: median(one),
    twoThreadsMedianMs: median(two),
    maxAbsDiff: maxDiff,
    tensorGrowth: tf.memory().numTensors - tensorsBefore,
  };
}

(window as unknown as { twoThreads: unknown }).twoThreads = { run };
