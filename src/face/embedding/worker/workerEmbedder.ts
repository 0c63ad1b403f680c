import type * as tf from '../../../models/tf';
import type { VerifiedWasm } from '../../../models/backend';
import type { LoadProgress } from '../../../vocabulary';
import type { EmbedderShape, FaceEmbedder } from '../types';
import type { FromWorker, ToWorker } from './protocol';

/** The longest close() waits for the Worker to say its model-cache writes are done. */
const FLUSH_TIMEOUT_MS = 5_000;

/**
 * How long a starting Worker may stay silent (no progress, not ready): one that never answers its init (killed, or a
 * stale script that does not speak this protocol) would otherwise hold createFaceClient for ever.
 */
export const INIT_SILENCE_MS = 60_000;

/** How long the Worker may take to embed `count` faces (~50 ms each when well): far beyond any slow machine's time. */
function answerDeadlineMs(count: number): number {
  return 30_000 + 1_000 * count;
}

/** Where a WorkerEmbedder runs its model: loading in the Worker, in the Worker, or on the calling thread (failed). */
export type WorkerState = 'starting' | 'on' | 'failed';

export interface WorkerEmbedderOptions {
  /** The Worker's classic script (models/localface-embedder.worker.js). */
  scriptUrl: string;
  /** Where the Worker loads the model from (through the same model cache and sha256 checks). */
  modelBaseUrl: string;
  /** Run the model once on a blank face before saying it is ready. */
  warmUp: boolean;
  /** The backend binary the calling thread already verified, so the Worker does not load it again. */
  wasm?: VerifiedWasm;
  /** Hears the Worker's model download progress. */
  onProgress?: (progress: LoadProgress) => void;
}

interface Waiting {
  /** Faces sent: the answer must hold one vector for each. */
  count: number;
  resolve(vectors: Float32Array[]): void;
  reject(error: Error): void;
}

/**
 * An embedder whose model loads and runs in a Worker with its own TF.js, so that it embeds while the calling thread
 * runs the other embedder (the two embedders of a face take the time of the slower one, not of both), and loads
 * while the calling thread loads the others. The vectors are the same bit for bit as on the calling thread (same
 * WASM kernels, same crops). Where the Worker cannot start, cannot load its model or fails an inference, the model
 * is loaded on the calling thread (`loadLocal`) and does the work from then on.
 */
export class WorkerEmbedder implements FaceEmbedder {
  readonly id: string;
  readonly inputSize: number;
  readonly template: FaceEmbedder['template'];
  readonly dimension: number;
  private worker: Worker | undefined;
  private workerState: WorkerState = 'starting';
  private readonly waiting = new Map<number, Waiting>();
  private flushing: (() => void)[] = [];
  private nextSeq = 0;
  private local: Promise<FaceEmbedder> | undefined;
  private disposed = false;
  private settle: (state: WorkerState) => void = () => undefined;
  /** Resolves once the Worker is ready ('on') or has failed ('failed'). */
  readonly settled: Promise<WorkerState> = new Promise((resolve) => (this.settle = resolve));

  constructor(
    shape: EmbedderShape,
    options: WorkerEmbedderOptions,
    private readonly loadLocal: () => Promise<FaceEmbedder>,
  ) {
    ({ id: this.id, inputSize: this.inputSize, template: this.template, dimension: this.dimension } = shape);
    const init: ToWorker = {
      type: 'init',
      modelBaseUrl: options.modelBaseUrl,
      embedderId: this.id,
      warmUp: options.warmUp,
      wasm: options.wasm,
    };
    this.startWorker(options.scriptUrl, init, options.onProgress, true);
  }

  /**
   * Starts the Worker from `scriptUrl` and sends it `init` (its bytes are copied: the calling thread's backend uses
   * them too). `retryFetched`: if the script does not load, fetch it and start it from a blob: URL once. A page's
   * service worker answers fetch() (it serves an offline PWA's copy) but, in Chromium, not a Worker's own script
   * request outside its scope; a Content-Security-Policy without blob: in worker-src refuses the retry.
   */
  private startWorker(
    scriptUrl: string,
    init: ToWorker,
    onProgress: ((p: LoadProgress) => void) | undefined,
    retryFetched: boolean,
  ): void {
    let worker: Worker;
    try {
      worker = new Worker(scriptUrl, { name: 'localface-embedder' });
    } catch {
      this.fail('no Worker could be created here'); // e.g. a Content-Security-Policy without worker-src for it
      return;
    }
    this.worker = worker;
    let heardFrom = false;
    let silence: ReturnType<typeof setTimeout> | undefined;
    const waitForWord = () => {
      clearTimeout(silence);
      if (this.workerState !== 'starting') return;
      silence = setTimeout(() => {
        if (this.workerState === 'starting' && this.worker === worker)
          this.fail(`the embedding Worker said nothing for ${INIT_SILENCE_MS / 1000} s while starting`);
      }, INIT_SILENCE_MS);
    };
    waitForWord();
    worker.onmessage = (event: MessageEvent<FromWorker>) => {
      heardFrom = true;
      this.receive(event.data, onProgress);
      waitForWord();
    };
    // A script that does not load (404, offline, refused by a CSP) or throws: the calling thread loads the model.
    worker.onerror = (event) => {
      event.preventDefault();
      clearTimeout(silence);
      if (retryFetched && !heardFrom && this.workerState === 'starting' && this.worker === worker) {
        worker.terminate();
        this.worker = undefined;
        void this.startFetched(scriptUrl, init, onProgress);
        return;
      }
      this.fail(`the embedding Worker stopped: ${event.message || 'its script did not load'}`);
    };
    worker.onmessageerror = () => this.fail('a message from the embedding Worker could not be read');
    worker.postMessage(init);
  }

  private async startFetched(
    scriptUrl: string,
    init: ToWorker,
    onProgress: ((p: LoadProgress) => void) | undefined,
  ): Promise<void> {
    let source: Blob;
    try {
      const response = await fetch(scriptUrl);
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      source = new Blob([await response.arrayBuffer()], { type: 'text/javascript' });
    } catch (error) {
      this.fail(`the embedding Worker's script did not load (${error instanceof Error ? error.message : error})`);
      return;
    }
    if (this.disposed) return;
    const blobUrl = URL.createObjectURL(source);
    this.startWorker(blobUrl, init, onProgress, false);
    // Once the Worker is ready (or has failed) it has read its script: the URL is not needed after that.
    void this.settled.then(() => URL.revokeObjectURL(blobUrl));
  }

  get state(): WorkerState {
    return this.workerState;
  }

  /**
   * Resolves once this embedder can embed: the Worker is ready, or it failed and the model has loaded on the calling
   * thread (rejects with that load's error, e.g. ERR_MODEL_LOAD_FAILED).
   */
  async ready(): Promise<void> {
    if ((await this.settled) !== 'on') await this.localEmbedder();
  }

  /**
   * Posts the crops to the Worker before returning (so the caller's next work overlaps with it) when the Worker is
   * ready, else embeds them here. `faces` must stay undisposed until the returned promise settles.
   */
  embed(faces: tf.Tensor4D): Promise<Float32Array[]> {
    const worker = this.worker;
    if (this.workerState !== 'on' || !worker) return this.embedHere(faces);
    const [count, size] = faces.shape;
    // Always a copy to transfer: dataSync() may return the tensor's own storage (the CPU backend, WebGL's cached
    // values), which the transfer would detach under the tensor.
    const crops = (faces.dataSync() as Float32Array).slice();
    const seq = this.nextSeq++;
    const result = new Promise<Float32Array[]>((resolve, reject) => {
      // A Worker that died without an error event (killed for memory) never answers: after the deadline it is taken
      // as failed, and this and every later call embed here.
      const deadline = setTimeout(
        () => this.fail(`the embedding Worker did not answer within ${Math.round(answerDeadlineMs(count) / 1000)} s`),
        answerDeadlineMs(count),
      );
      this.waiting.set(seq, {
        count,
        resolve: (vectors) => {
          clearTimeout(deadline);
          resolve(vectors);
        },
        reject: (error) => {
          clearTimeout(deadline);
          reject(error);
        },
      });
    });
    const message: ToWorker = { type: 'embed', seq, crops, count, size };
    worker.postMessage(message, [crops.buffer]);
    // If the Worker fails, this thread embeds the same crops (the caller keeps them until this settles); not once the
    // embedder is disposed, which would load the whole model here for nothing.
    return result.catch((error: unknown) => {
      if (this.disposed) throw error;
      return this.embedHere(faces);
    });
  }

  /** Settles once the Worker's model cache writes have (at once when there is no Worker). */
  flush(): Promise<void> {
    const worker = this.worker;
    if (!worker) return Promise.resolve();
    let timer: ReturnType<typeof setTimeout> | undefined;
    return new Promise<void>((resolve) => {
      this.flushing.push(resolve);
      worker.postMessage({ type: 'flush' } satisfies ToWorker);
      // A Worker that died without an error event never answers: close() must not wait for it for ever.
      timer = setTimeout(resolve, FLUSH_TIMEOUT_MS);
    }).finally(() => clearTimeout(timer));
  }

  dispose(): void {
    this.disposed = true;
    this.fail('the client was closed');
    void this.local?.then(
      (m) => m.dispose(),
      () => undefined,
    );
  }

  private async embedHere(faces: tf.Tensor4D): Promise<Float32Array[]> {
    return (await this.localEmbedder()).embed(faces);
  }

  private localEmbedder(): Promise<FaceEmbedder> {
    this.local ??= this.loadLocal().then((model) => {
      if (this.disposed) model.dispose(); // closed while it loaded: its next use fails as a disposed model's does
      return model;
    });
    return this.local;
  }

  private receive(message: FromWorker, onProgress: ((p: LoadProgress) => void) | undefined): void {
    switch (message.type) {
      case 'progress':
        onProgress?.(message.progress);
        return;
      case 'ready':
        if (this.workerState === 'starting' && message.dimension === this.dimension) {
          this.workerState = 'on';
          this.settle('on');
        } else this.fail(`the embedding Worker's model gives ${message.dimension}-d vectors, not ${this.dimension}-d`);
        return;
      case 'initFailed':
        this.fail(`the embedding Worker could not load its model: ${message.message}`);
        return;
      case 'vectors': {
        const waiting = this.waiting.get(message.seq);
        if (!waiting) return;
        // A reply of the wrong shape (a stale or foreign script at the Worker's URL) would be scored as if it were a
        // face's vector: the Worker is given up and the faces are embedded here.
        const problem = vectorsProblem(message.vectors, waiting.count, this.dimension);
        if (problem) {
          this.fail(`the embedding Worker answered ${problem}`);
          return;
        }
        this.waiting.delete(message.seq);
        waiting.resolve(message.vectors);
        return;
      }
      case 'embedFailed':
        // One failed inference means the Worker's backend is not to be trusted: every later call stays here.
        this.fail(message.message);
        return;
      case 'flushed':
        for (const resolve of this.flushing.splice(0)) resolve();
        return;
    }
  }

  private fail(reason: string): void {
    this.workerState = 'failed';
    this.settle('failed');
    this.worker?.terminate();
    this.worker = undefined;
    const error = new Error(reason);
    for (const w of this.waiting.values()) w.reject(error);
    this.waiting.clear();
    for (const resolve of this.flushing.splice(0)) resolve();
  }
}

/** What is wrong with a Worker's answer for `count` faces of `dimension`-d vectors, or undefined if nothing. */
function vectorsProblem(vectors: unknown, count: number, dimension: number): string | undefined {
  if (!Array.isArray(vectors) || vectors.length !== count)
    return `${Array.isArray(vectors) ? vectors.length : 'no'} vectors for ${count} faces`;
  for (const v of vectors) {
    if (!(v instanceof Float32Array) || v.length !== dimension) return `a vector that is not ${dimension} floats`;
    if (!v.every(Number.isFinite)) return 'a vector holding a value that is not a number';
  }
  return undefined;
}
