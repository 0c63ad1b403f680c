// The embedding Worker: its own TF.js (WASM backend) and one embedder, fed aligned crops by WorkerEmbedder.
// Built on its own (vite.worker.config.ts) into models/localface-embedder.worker.js, a classic script.
import * as tf from '../../../models/tf';
import { activateBackend } from '../../../models/backend';
import { ModelFiles } from '../../../models/modelFiles';
import { createEmbedder, warmUpEmbedder } from '../registry';
import type { FaceEmbedder } from '../types';
import type { FromWorker, ToWorker } from './protocol';

const scope = self as unknown as {
  onmessage: ((event: MessageEvent<ToWorker>) => void) | null;
  postMessage(message: FromWorker): void;
};
let embedder: FaceEmbedder | undefined;

async function init(modelBaseUrl: string, embedderId: string): Promise<FromWorker> {
  // The files come from the model cache the library filled (same sha256 checks), so nothing is downloaded twice.
  const files = new ModelFiles(modelBaseUrl);
  await activateBackend('wasm', files);
  embedder = await createEmbedder(embedderId, files);
  await warmUpEmbedder(embedder);
  return { type: 'ready', dimension: embedder.dimension };
}

async function embed(crops: Float32Array, count: number, size: number): Promise<Float32Array[]> {
  if (!embedder) throw new Error('the embedding Worker was not initialised');
  const faces = tf.tensor4d(crops, [count, size, size, 3]);
  try {
    return await embedder.embed(faces);
  } finally {
    faces.dispose();
  }
}

scope.onmessage = (event) => {
  const message = event.data;
  if (message.type === 'init') {
    init(message.modelBaseUrl, message.embedderId).then(scope.postMessage.bind(scope), (error: unknown) =>
      scope.postMessage({ type: 'initFailed', message: error instanceof Error ? error.message : String(error) }),
    );
  } else {
    const { seq } = message;
    embed(message.crops, message.count, message.size).then(
      (vectors) => scope.postMessage({ type: 'vectors', seq, vectors }),
      (error: unknown) =>
        scope.postMessage({
          type: 'embedFailed',
          seq,
          message: error instanceof Error ? error.message : String(error),
        }),
    );
  }
};
