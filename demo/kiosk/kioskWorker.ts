/// <reference lib="webworker" />
// Runs the kiosk engine off the page's thread. Calls are answered in the order they arrive: the engine does one
// thing at a time, and the page never sends a frame while one is still in work (it skips frames instead).
import { FaceError } from 'localface';
import { KioskEngine } from './engine';
import type { EngineCalls, EngineMethod, FromWorker, SerializedError, ToWorker } from './rpc';

const scope = self as unknown as DedicatedWorkerGlobalScope;
const post = (message: FromWorker) => scope.postMessage(message);
let engine: Promise<KioskEngine> | undefined;
let queue: Promise<unknown> = Promise.resolve();

function serialize(error: unknown): SerializedError {
  if (error instanceof FaceError) return { name: 'FaceError', code: error.code, message: error.message };
  return {
    name: error instanceof Error ? error.name : 'Error',
    message: error instanceof Error ? error.message : String(error),
  };
}

function isFrame(value: unknown): value is ImageBitmap | VideoFrame {
  return value instanceof ImageBitmap || (typeof VideoFrame === 'function' && value instanceof VideoFrame);
}

scope.onmessage = (event: MessageEvent<ToWorker>) => {
  const message = event.data;
  if (message.kind === 'init') {
    engine = KioskEngine.create(message.modelBaseUrl, (progress) => post({ kind: 'progress', progress }));
    engine.then(
      (e) => post({ kind: 'ready', backend: e.backend }),
      (error) => post({ kind: 'failed', error: serialize(error) }),
    );
    return;
  }
  const { id, method, args } = message;
  queue = queue.then(async () => {
    try {
      if (!engine) throw new Error('the engine was not initialised');
      const e = await engine;
      const call = e[method as EngineMethod] as (...a: unknown[]) => Promise<EngineCalls[EngineMethod]['result']>;
      post({ kind: 'result', id, result: await call.apply(e, args) });
    } catch (error) {
      post({ kind: 'error', id, error: serialize(error) });
    } finally {
      // A camera VideoFrame left open holds one of the camera's few buffers: close every frame once used.
      for (const arg of args) if (isFrame(arg)) arg.close();
    }
  });
};
