// The embedding Worker: its own TF.js (WASM backend) and one embedder, fed aligned crops by WorkerEmbedder.
// Built on its own (vite.worker.config.ts) into models/localface-embedder.worker.js, a classic script.
import * as tf from '../../../models/tf';
import { activateBackend, type VerifiedWasm } from '../../../models/backend';
import { ModelFiles } from '../../../models/modelFiles';
import { createEmbedder, embedderFiles, warmUpEmbedder } from '../registry';
import type { FaceEmbedder } from '../types';
import type { FromWorker, ToWorker } from './protocol';

const scope = self as unknown as {
  onmessage: ((event: MessageEvent<ToWorker>) => void) | null;
  postMessage(message: FromWorker): void;
};
let embedder: FaceEmbedder | undefined;
let files: ModelFiles | undefined;

async function init(
  modelBaseUrl: string,
  embedderId: string,
  warmUp: boolean,
  wasm: VerifiedWasm | undefined,
): Promise<FromWorker> {
  // Same sha256 checks and the same model cache as the library's; the library's progress callback hears of them.
  const ownFiles = new ModelFiles(modelBaseUrl, (progress) => scope.postMessage({ type: 'progress', progress }));
  files = ownFiles; // for 'flush'
  // The model's download starts while the backend instantiates.
  await activateBackend('wasm', ownFiles, () => ownFiles.prefetch(embedderFiles(embedderId), 'embedder'), wasm);
  embedder = await createEmbedder(embedderId, ownFiles);
  if (warmUp) await warmUpEmbedder(embedder);
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
  switch (message.type) {
    case 'init':
      init(message.modelBaseUrl, message.embedderId, message.warmUp, message.wasm).then(
        scope.postMessage.bind(scope),
        (error: unknown) =>
          scope.postMessage({ type: 'initFailed', message: error instanceof Error ? error.message : String(error) }),
      );
      return;
    case 'flush':
      // The model cache's writes finish before the library closes (and may terminate) this Worker.
      void (files?.flush() ?? Promise.resolve()).then(() => scope.postMessage({ type: 'flushed' }));
      return;
    case 'embed': {
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
  }
};
