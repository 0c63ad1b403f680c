// The Worker side of the two-thread experiment: its own TF.js (WASM) and the MobileFaceNet embedder, fed aligned crops.
import * as tf from '../../../src/models/tf';
import { activateBackend } from '../../../src/models/backend';
import { ModelFiles } from '../../../src/models/modelFiles';
import { createEmbedder } from '../../../src/face/embedding/registry';
import type { FaceEmbedder } from '../../../src/face/embedding/types';

let embedder: FaceEmbedder | undefined;
self.onmessage = async (event: MessageEvent) => {
  const m = event.data as
    | { type: 'init'; baseUrl: string; id: string }
    | { type: 'embed'; seq: number; crops: Float32Array; n: number; size: number };
  if (m.type === 'init') {
    const files = new ModelFiles(m.baseUrl);
    await activateBackend('wasm', files);
    embedder = await createEmbedder(m.id, files);
    const blank = tf.zeros([1, embedder.inputSize, embedder.inputSize, 3]) as tf.Tensor4D;
    await embedder.embed(blank);
    blank.dispose();
    self.postMessage({ type: 'ready', dimension: embedder.dimension });
    return;
  }
  const x = tf.tensor4d(m.crops, [m.n, m.size, m.size, 3]);
  try {
    const t0 = performance.now();
    const vectors = await embedder!.embed(x);
    self.postMessage({ type: 'vectors', seq: m.seq, vectors, ms: performance.now() - t0 });
  } finally {
    x.dispose();
  }
};
