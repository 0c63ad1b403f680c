// WorkerEmbedder's states and fallbacks, with a scripted stand-in for the browser's Worker (the real Worker, its
// TF.js and its model are tested end to end in e2e/threads.spec.ts and e2e/checkin.spec.ts).
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type * as tf from '../../src/models/tf';
import type { FaceEmbedder } from '../../src/face/embedding/types';
import type { FromWorker, ToWorker } from '../../src/face/embedding/worker/protocol';
import {
  INIT_SILENCE_MS,
  WorkerEmbedder,
  type WorkerEmbedderOptions,
} from '../../src/face/embedding/worker/workerEmbedder';

class ScriptedWorker {
  static made: ScriptedWorker[] = [];
  readonly posted: ToWorker[] = [];
  terminated = false;
  onmessage: ((event: { data: FromWorker }) => void) | null = null;
  onerror: ((event: { message: string; preventDefault(): void }) => void) | null = null;
  constructor(
    readonly url: string,
    readonly options: { name?: string },
  ) {
    ScriptedWorker.made.push(this);
  }
  postMessage(message: ToWorker): void {
    this.posted.push(message);
  }
  terminate(): void {
    this.terminated = true;
  }
  reply(message: FromWorker): void {
    this.onmessage?.({ data: message });
  }
  failToLoad(): void {
    this.onerror?.({ message: '', preventDefault: () => undefined });
  }
}

const SHAPE = { id: 'model+flip', inputSize: 2, template: [], dimension: 3 };
const wasm = { file: 'wasm/x.wasm', bytes: new ArrayBuffer(4) };

/** A 1-face crop batch as the engine passes it (only shape and dataSync are used on this path). */
function crops(): tf.Tensor4D {
  return { shape: [1, 2, 2, 3], dataSync: () => new Float32Array(12).fill(7) } as unknown as tf.Tensor4D;
}

function localEmbedder(): FaceEmbedder & { calls: number; disposed: boolean } {
  return {
    ...SHAPE,
    calls: 0,
    disposed: false,
    embed(faces) {
      this.calls += 1;
      return Promise.resolve(Array.from({ length: faces.shape[0] }, () => new Float32Array([0, 0, 1])));
    },
    dispose() {
      this.disposed = true;
    },
  };
}

const flush = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('WorkerEmbedder', () => {
  let fetchMock: ReturnType<typeof vi.fn>;
  let revoked: string[];

  beforeEach(() => {
    ScriptedWorker.made = [];
    revoked = [];
    fetchMock = vi.fn();
    vi.stubGlobal('Worker', ScriptedWorker);
    vi.stubGlobal('fetch', fetchMock);
    vi.spyOn(URL, 'createObjectURL').mockReturnValue('blob:fetched-script');
    vi.spyOn(URL, 'revokeObjectURL').mockImplementation((url: string) => void revoked.push(url));
  });
  afterEach(() => {
    vi.unstubAllGlobals();
    vi.restoreAllMocks();
  });

  function start(overrides: Partial<WorkerEmbedderOptions> = {}) {
    const local = localEmbedder();
    const loadLocal = vi.fn(() => Promise.resolve(local));
    const progress: unknown[] = [];
    const embedder = new WorkerEmbedder(
      SHAPE,
      {
        scriptUrl: '/models/w.js',
        modelBaseUrl: '/models/',
        warmUp: true,
        wasm,
        onProgress: (p) => progress.push(p),
        ...overrides,
      },
      loadLocal,
    );
    return { embedder, local, loadLocal, progress, worker: ScriptedWorker.made[0]! };
  }

  it('starts the Worker at once with the model, the warm-up flag and the verified .wasm, and relays its progress', async () => {
    const { embedder, worker, loadLocal, progress } = start();
    expect(worker.url).toBe('/models/w.js');
    expect(worker.posted[0]).toEqual({
      type: 'init',
      modelBaseUrl: '/models/',
      embedderId: 'model+flip',
      warmUp: true,
      wasm,
    });
    expect(embedder.state).toBe('starting');
    worker.reply({ type: 'progress', progress: { stage: 'embedder', loaded: 5, total: 10 } });
    worker.reply({ type: 'ready', dimension: 3 });
    await embedder.ready();
    expect(embedder.state).toBe('on');
    expect(progress).toEqual([{ stage: 'embedder', loaded: 5, total: 10 }]);
    expect(loadLocal).not.toHaveBeenCalled();
  });

  it('posts crops to a ready Worker and resolves with its vectors, by sequence number', async () => {
    const { embedder, worker, local } = start();
    worker.reply({ type: 'ready', dimension: 3 });
    await embedder.ready();
    const first = embedder.embed(crops());
    const second = embedder.embed(crops());
    const [a, b] = worker.posted.slice(1) as Extract<ToWorker, { type: 'embed' }>[];
    expect(a).toMatchObject({ type: 'embed', seq: 0, count: 1, size: 2 });
    expect(Array.from(a!.crops)).toEqual(new Array(12).fill(7));
    worker.reply({ type: 'vectors', seq: b!.seq, vectors: [new Float32Array([0, 1, 0])] });
    worker.reply({ type: 'vectors', seq: a!.seq, vectors: [new Float32Array([1, 0, 0])] });
    expect(Array.from((await first)[0]!)).toEqual([1, 0, 0]);
    expect(Array.from((await second)[0]!)).toEqual([0, 1, 0]);
    expect(local.calls).toBe(0);
  });

  it('a model that fails to load in the Worker loads on the calling thread instead', async () => {
    const { embedder, worker, loadLocal, local } = start();
    worker.reply({ type: 'initFailed', message: 'HTTP 404' });
    await embedder.ready();
    expect(embedder.state).toBe('failed');
    expect(worker.terminated).toBe(true);
    expect(loadLocal).toHaveBeenCalledTimes(1);
    await embedder.embed(crops());
    await embedder.embed(crops());
    expect(local.calls).toBe(2);
    expect(loadLocal).toHaveBeenCalledTimes(1);
  });

  it('a Worker whose model gives vectors of another length is not used', async () => {
    const { embedder, worker, loadLocal } = start();
    worker.reply({ type: 'ready', dimension: 4 });
    await embedder.ready();
    expect(embedder.state).toBe('failed');
    expect(loadLocal).toHaveBeenCalledTimes(1);
  });

  it('ready() rejects with the calling thread’s own load error when both fail', async () => {
    const error = new Error('ERR_MODEL_LOAD_FAILED');
    const embedder = new WorkerEmbedder(
      SHAPE,
      { scriptUrl: '/models/w.js', modelBaseUrl: '/models/', warmUp: false },
      () => Promise.reject(error),
    );
    ScriptedWorker.made[0]!.reply({ type: 'initFailed', message: 'no model' });
    await expect(embedder.ready()).rejects.toBe(error);
  });

  it('a script that does not load is fetched and started once from a blob: URL (an offline PWA)', async () => {
    fetchMock.mockResolvedValue(new Response('/* the script */', { status: 200 }));
    const { embedder, worker, loadLocal } = start();
    worker.failToLoad();
    expect(worker.terminated).toBe(true);
    await flush();
    await flush();
    expect(fetchMock).toHaveBeenCalledWith('/models/w.js');
    const retried = ScriptedWorker.made[1]!;
    expect(retried.url).toBe('blob:fetched-script');
    expect(retried.posted[0]).toMatchObject({ type: 'init', embedderId: 'model+flip', wasm });
    retried.reply({ type: 'ready', dimension: 3 });
    await embedder.ready();
    expect(embedder.state).toBe('on');
    expect(loadLocal).not.toHaveBeenCalled();
    await flush();
    expect(revoked).toEqual(['blob:fetched-script']);
  });

  it('a script that cannot be fetched either, or whose blob: Worker fails too, leaves the calling thread', async () => {
    fetchMock.mockResolvedValue(new Response('not here', { status: 404 }));
    const first = start();
    first.worker.failToLoad();
    await first.embedder.ready();
    expect(first.embedder.state).toBe('failed');
    expect(ScriptedWorker.made).toHaveLength(1);
    expect(first.loadLocal).toHaveBeenCalledTimes(1);

    ScriptedWorker.made = [];
    fetchMock.mockResolvedValue(new Response('/* the script */', { status: 200 }));
    const second = start();
    second.worker.failToLoad();
    await flush();
    await flush();
    ScriptedWorker.made[1]!.failToLoad(); // e.g. refused by a CSP without blob: in worker-src
    await second.embedder.ready();
    expect(second.embedder.state).toBe('failed');
    expect(ScriptedWorker.made).toHaveLength(2); // no third try
    expect(second.loadLocal).toHaveBeenCalledTimes(1);
  });

  it('an inference that fails in the Worker is redone here, and every later one stays here', async () => {
    const { embedder, worker, local } = start();
    worker.reply({ type: 'ready', dimension: 3 });
    await embedder.ready();
    const pending = embedder.embed(crops());
    worker.reply({ type: 'embedFailed', seq: 0, message: 'out of memory' });
    expect((await pending).length).toBe(1);
    expect(local.calls).toBe(1);
    expect(embedder.state).toBe('failed');
    await embedder.embed(crops());
    expect(local.calls).toBe(2);
    expect(worker.posted.filter((m) => m.type === 'embed')).toHaveLength(1);
  });

  it('an answer of the wrong shape (too few vectors, wrong length, NaN) is not used: the faces are embedded here', async () => {
    for (const vectors of [[], [new Float32Array([1, 0])], [new Float32Array([1, Number.NaN, 0])]]) {
      ScriptedWorker.made = [];
      const { embedder, worker, local } = start();
      worker.reply({ type: 'ready', dimension: 3 });
      await embedder.ready();
      const pending = embedder.embed(crops());
      worker.reply({ type: 'vectors', seq: 0, vectors });
      expect(Array.from((await pending)[0]!)).toEqual([0, 0, 1]); // the local embedder's vector
      expect(local.calls).toBe(1);
      expect(embedder.state).toBe('failed');
      expect(worker.terminated).toBe(true);
    }
  });

  it('a Worker that never answers (died without an error event) is given up after its deadline; the work is redone here', async () => {
    vi.useFakeTimers();
    try {
      const { embedder, worker, local } = start();
      worker.reply({ type: 'ready', dimension: 3 });
      await embedder.ready();
      const pending = embedder.embed(crops());
      await vi.advanceTimersByTimeAsync(30_000);
      expect(embedder.state).toBe('on');
      await vi.advanceTimersByTimeAsync(1_000);
      expect((await pending).length).toBe(1);
      expect(local.calls).toBe(1);
      expect(embedder.state).toBe('failed');
      expect(worker.terminated).toBe(true);
      // A flush of a silent Worker does not hold up close() for ever either.
      const silent = start().embedder;
      ScriptedWorker.made.at(-1)!.reply({ type: 'ready', dimension: 3 });
      const flushing = silent.flush();
      await vi.advanceTimersByTimeAsync(5_000);
      await flushing;
    } finally {
      vi.useRealTimers();
    }
  });

  it('a Worker that never answers its init is given up after a minute of silence; progress keeps it waiting', async () => {
    vi.useFakeTimers();
    try {
      const { embedder, worker, loadLocal } = start();
      let ready = false;
      void embedder.ready().then(() => (ready = true));
      await vi.advanceTimersByTimeAsync(INIT_SILENCE_MS - 1_000);
      worker.reply({ type: 'progress', progress: { stage: 'embedder', loaded: 1, total: 10 } }); // still downloading
      await vi.advanceTimersByTimeAsync(INIT_SILENCE_MS - 1_000);
      expect([embedder.state, ready]).toEqual(['starting', false]);
      await vi.advanceTimersByTimeAsync(1_000);
      expect(embedder.state).toBe('failed');
      expect(worker.terminated).toBe(true);
      expect(ready).toBe(true); // createFaceClient goes on: the model loaded on the calling thread
      expect(loadLocal).toHaveBeenCalledTimes(1);
    } finally {
      vi.useRealTimers();
    }
  });

  it("posts a copy of the crops: the tensor's own storage (the CPU backend's) is not detached by the transfer", async () => {
    const { embedder, worker } = start();
    worker.reply({ type: 'ready', dimension: 3 });
    await embedder.ready();
    const storage = new Float32Array(12).fill(7); // owns its whole buffer, as a CPU tensor's values do
    const posted: Transferable[][] = [];
    const post = worker.postMessage.bind(worker);
    worker.postMessage = ((message: ToWorker, transfer: Transferable[] = []) => {
      posted.push(transfer);
      post(message);
    }) as typeof worker.postMessage;
    void embedder.embed({ shape: [1, 2, 2, 3], dataSync: () => storage } as unknown as tf.Tensor4D);
    expect(posted[0]!.length).toBe(1);
    expect(posted[0]![0]).not.toBe(storage.buffer);
  });

  it('an embed still waiting when the embedder is disposed fails; the model is not loaded here for it', async () => {
    const { embedder, worker, loadLocal } = start();
    worker.reply({ type: 'ready', dimension: 3 });
    await embedder.ready();
    const pending = embedder.embed(crops());
    embedder.dispose();
    await expect(pending).rejects.toThrow('closed');
    expect(loadLocal).not.toHaveBeenCalled();
  });

  it('flush() waits for the Worker’s cache writes, and settles at once when there is no Worker', async () => {
    const { embedder, worker } = start();
    worker.reply({ type: 'ready', dimension: 3 });
    let flushed = false;
    const flushing = embedder.flush().then(() => (flushed = true));
    await flush();
    expect(worker.posted.at(-1)).toEqual({ type: 'flush' });
    expect(flushed).toBe(false);
    worker.reply({ type: 'flushed' });
    await flushing;
    expect(flushed).toBe(true);

    const pendingAtDispose = embedder.flush();
    embedder.dispose(); // a closed client does not wait on a Worker it has terminated
    await pendingAtDispose;
    await embedder.flush();
    expect(worker.terminated).toBe(true);
  });

  it('dispose() terminates the Worker and disposes a model loaded on the calling thread', async () => {
    const { embedder, worker, local } = start();
    worker.reply({ type: 'initFailed', message: 'no model' });
    await embedder.ready();
    embedder.dispose();
    await flush();
    expect(worker.terminated).toBe(true);
    expect(local.disposed).toBe(true);
  });
});
