import type * as tf from '../../../models/tf';
import type { FaceEmbedder } from '../types';
import type { FromWorker, ToWorker } from './protocol';

/** Where a WorkerEmbedder runs its model: not started, loading in the Worker, in the Worker, or failed (local). */
export type WorkerState = 'off' | 'starting' | 'on' | 'failed';

interface Waiting {
  resolve(vectors: Float32Array[]): void;
  reject(error: Error): void;
}

/**
 * `local`'s model, run in a Worker with its own TF.js once the Worker is ready, so that it embeds while the calling
 * thread runs the other embedder: the two embedders of a face take the time of the slower one, not of both. The
 * vectors are the same bit for bit (same WASM kernels, same crops). Until the Worker is ready, and for good if it
 * fails to start or to embed, `local` does the work. Owns `local` (disposes it).
 */
export class WorkerEmbedder implements FaceEmbedder {
  readonly id: string;
  readonly inputSize: number;
  readonly template: FaceEmbedder['template'];
  readonly dimension: number;
  private worker: Worker | undefined;
  private workerState: WorkerState = 'off';
  private readonly waiting = new Map<number, Waiting>();
  private nextSeq = 0;
  private settle: (state: WorkerState) => void = () => undefined;
  /** Resolves once a started Worker is ready ('on') or has failed ('failed'). */
  readonly settled: Promise<WorkerState> = new Promise((resolve) => (this.settle = resolve));

  constructor(private readonly local: FaceEmbedder) {
    this.id = local.id;
    this.inputSize = local.inputSize;
    this.template = local.template;
    this.dimension = local.dimension;
  }

  get state(): WorkerState {
    return this.workerState;
  }

  /** Starts the Worker from `scriptUrl` (a classic script); it loads `local`'s model from `modelBaseUrl`. */
  start(scriptUrl: string, modelBaseUrl: string): void {
    if (this.workerState !== 'off') return;
    this.workerState = 'starting';
    let worker: Worker;
    try {
      worker = new Worker(scriptUrl, { name: 'localface-embedder' });
    } catch {
      this.fail('no Worker could be created here'); // e.g. a Content-Security-Policy without worker-src for it
      return;
    }
    this.worker = worker;
    worker.onmessage = (event: MessageEvent<FromWorker>) => this.receive(event.data);
    // A script that does not load (404, refused by a CSP) or throws: stay on the calling thread.
    worker.onerror = (event) => {
      event.preventDefault();
      this.fail(`the embedding Worker stopped: ${event.message || 'its script did not load'}`);
    };
    const init: ToWorker = { type: 'init', modelBaseUrl, embedderId: this.id };
    worker.postMessage(init);
  }

  /**
   * Posts the crops to the Worker before returning (so the caller's next work overlaps with it) when the Worker is
   * ready, else embeds them here. `faces` must stay undisposed until the returned promise settles.
   */
  embed(faces: tf.Tensor4D): Promise<Float32Array[]> {
    const worker = this.worker;
    if (this.workerState !== 'on' || !worker) return this.local.embed(faces);
    const [count, size] = faces.shape;
    const values = faces.dataSync() as Float32Array;
    // Transfer a copy that owns its buffer, never a view into a backend's memory.
    const crops = values.byteLength === values.buffer.byteLength ? values : values.slice();
    const seq = this.nextSeq++;
    const result = new Promise<Float32Array[]>((resolve, reject) => this.waiting.set(seq, { resolve, reject }));
    const message: ToWorker = { type: 'embed', seq, crops, count, size };
    worker.postMessage(message, [crops.buffer]);
    // If the Worker fails, this thread embeds the same crops (the caller keeps them until this settles).
    return result.catch(() => this.local.embed(faces));
  }

  dispose(): void {
    this.fail('the client was closed');
    this.local.dispose();
  }

  private receive(message: FromWorker): void {
    switch (message.type) {
      case 'ready':
        if (this.workerState === 'starting' && message.dimension === this.dimension) {
          this.workerState = 'on';
          this.settle('on');
        } else this.fail(`the embedding Worker's model gives ${message.dimension}-d vectors, not ${this.dimension}-d`);
        return;
      case 'initFailed':
        this.fail(`the embedding Worker could not load its model: ${message.message}`);
        return;
      case 'vectors':
        this.waiting.get(message.seq)?.resolve(message.vectors);
        this.waiting.delete(message.seq);
        return;
      case 'embedFailed':
        // One failed inference means the Worker's backend is not to be trusted: every later call stays here.
        this.fail(message.message);
        return;
    }
  }

  private fail(reason: string): void {
    if (this.workerState !== 'off') this.workerState = 'failed';
    this.settle(this.workerState);
    this.worker?.terminate();
    this.worker = undefined;
    const error = new Error(reason);
    for (const w of this.waiting.values()) w.reject(error);
    this.waiting.clear();
  }
}
