// The face tracker in a Worker, as a kiosk runs it: frames arrive as ImageBitmaps (or are drawn into an
// OffscreenCanvas / made into VideoFrames here) and each tracker.process result is posted back.
import * as LocalFace from '/dist/localface.js';

let client, tracker;
self.onmessage = async (event) => {
  const { kind, id } = event.data;
  try {
    if (kind === 'init') {
      client = await LocalFace.createFaceClient({ backend: 'wasm', databaseName: event.data.databaseName });
      tracker = client.createFaceTracker(event.data.options);
      self.postMessage({ id, result: { backend: client.backend, tensors: globalThis._tfengine.memory().numTensors } });
    } else if (kind === 'frame') {
      const { bitmap, as, timestampMs } = event.data;
      let frame = bitmap;
      if (as === 'OffscreenCanvas') {
        frame = new OffscreenCanvas(bitmap.width, bitmap.height);
        frame.getContext('2d').drawImage(bitmap, 0, 0);
      } else if (as === 'VideoFrame') {
        frame = new VideoFrame(bitmap, { timestamp: Math.round(timestampMs * 1000) });
      }
      try {
        const update = await tracker.process(frame, timestampMs);
        self.postMessage({ id, result: { ...update, tensors: globalThis._tfengine.memory().numTensors } });
      } finally {
        if (as === 'VideoFrame') frame.close();
        bitmap.close();
      }
    } else if (kind === 'threads') {
      // threads 'auto' in a Worker: the embedding Worker is a nested one; wait until it is ready (or 30 s).
      const started = performance.now();
      while (client.threads === 1 && performance.now() - started < 30_000)
        await new Promise((resolve) => setTimeout(resolve, 50));
      self.postMessage({ id, result: client.threads });
    } else if (kind === 'close') {
      tracker.close();
      await client.close();
      self.postMessage({ id, result: null });
    }
  } catch (error) {
    self.postMessage({ id, error: { code: error.code, message: error.message } });
  }
};
