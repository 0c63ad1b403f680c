/** Messages between the library and its embedding Worker (embedderWorker.ts). */
import type { VerifiedWasm } from '../../../models/backend';
import type { LoadProgress } from '../../../vocabulary';

/** The file name of the built Worker script, served from the models/ folder (`modelBaseUrl`). */
export const EMBEDDER_WORKER_FILE = 'localface-embedder.worker.js';

export type ToWorker =
  // wasm: the backend's binary, already checked by the library.
  | { type: 'init'; modelBaseUrl: string; embedderId: string; warmUp: boolean; wasm?: VerifiedWasm }
  | { type: 'embed'; seq: number; crops: Float32Array; count: number; size: number }
  | { type: 'flush' };

export type FromWorker =
  | { type: 'ready'; dimension: number }
  | { type: 'initFailed'; message: string }
  | { type: 'progress'; progress: LoadProgress }
  | { type: 'vectors'; seq: number; vectors: Float32Array[] }
  | { type: 'embedFailed'; seq: number; message: string }
  | { type: 'flushed' };
