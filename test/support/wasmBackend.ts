// TF.js's WASM backend in Node (vitest): the backend the library runs on in browsers without a GPU, and ~10× faster
// than the CPU backend for the model tests. Returns the backend that was active, for afterAll.
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import * as tf from '../../src/models/tf';

const require = createRequire(import.meta.url);

export async function useWasmBackend(): Promise<string> {
  await tf.ready();
  const previous = tf.getBackend();
  setWasmPaths(`${dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'))}/`);
  if (!(await tf.setBackend('wasm'))) throw new Error('the TF.js WASM backend did not start');
  return previous;
}
