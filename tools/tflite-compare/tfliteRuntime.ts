/**
 * The tfjs-tflite WebAssembly runtime (Emscripten + embind), driven directly, as LocalFace ran MobileFaceNet before
 * its own executor (src/models/tflite/): kept for tools that compare against it (tflite-compare, fit-checks).
 * runtimeMobileFaceNet.ts says why tfjs-tflite's own loader is not used. The runtime's files come straight from
 * the devDependency's package (runtimeFiles); model files through the library's ModelFiles.
 */
import { FaceError } from '../../src/errors';
import type { ModelFiles } from '../../src/models/modelFiles';

/** ModelFiles that serve `tflite/*` (the runtime) from node_modules via the Vite dev server, the rest from `models`. */
export function runtimeFiles(models: ModelFiles): ModelFiles {
  const base = new URL('/node_modules/@tensorflow/tfjs-tflite/wasm/', location.href).href;
  const runtimeUrl = (file: string) => new URL(file.replace(/^tflite\//, ''), base).href;
  const files = {
    baseUrl: base,
    url: (file: string) => (file.startsWith('tflite/') ? runtimeUrl(file) : models.url(file)),
    bytes: async (file: string, stage: string) =>
      file.startsWith('tflite/') ? (await fetch(runtimeUrl(file))).arrayBuffer() : models.bytes(file, stage),
  };
  return files as unknown as ModelFiles;
}

// ---- The runtime as far as LocalFace used it. ----

export type TFLiteDataType = 'int8' | 'uint8' | 'bool' | 'int16' | 'int32' | 'uint32' | 'float32' | 'float64';

export interface EmbindObject {
  delete(): void;
}

export interface CppVector<T> extends EmbindObject {
  size(): number;
  get(index: number): T;
}

export interface TensorInfo extends EmbindObject {
  readonly id: number;
  readonly name: string;
  readonly dataType: TFLiteDataType;
  /** e.g. "2,112,112,3" */
  readonly shape: string;
  /** A view of the tensor's buffer in the WASM heap; take a fresh one for each use (heap growth detaches it). */
  data(): Float32Array | Float64Array | Int32Array | Uint32Array | Int16Array | Int8Array | Uint8Array;
}

export interface ModelRunner extends EmbindObject {
  GetInputs(): CppVector<TensorInfo>;
  GetOutputs(): CppVector<TensorInfo>;
  Infer(): boolean;
}

export interface RunnerStatusOr {
  ok(): boolean;
  value(): ModelRunner;
  errorMessage(): string;
}

export interface TFLiteRuntime {
  HEAPU8: Uint8Array;
  _malloc(bytes: number): number;
  _free(pointer: number): void;
  TFLiteWebModelRunner: {
    CreateFromBufferAndOptions(
      pointer: number,
      length: number,
      options: { numThreads: number; enableProfiling: boolean; maxProfilingBufferEntries: number },
    ): RunnerStatusOr;
  };
}

interface EmscriptenModuleArgs {
  wasmBinary: ArrayBuffer;
  mainScriptUrlOrBlob: Blob;
  locateFile(path: string, scriptDirectory: string): string;
  print(text: string): void;
  printErr(text: string): void;
}

type RuntimeFactory = (args: EmscriptenModuleArgs) => Promise<TFLiteRuntime>;

/** The global each runtime loader script defines (all four builds use the same name). */
const FACTORY_GLOBAL = 'tflite_web_api_ModuleFactory';

/** Smallest module using a SIMD instruction (i8x16.splat), as tfjs-tflite itself tests. */
const WASM_SIMD_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 4, 1, 96, 0, 0, 3, 2, 1, 0, 10, 9, 1, 7, 0, 65, 0, 253, 15, 26, 11,
]);

export function wasmSimdSupported(): boolean {
  try {
    return WebAssembly.validate(WASM_SIMD_PROBE);
  } catch {
    return false;
  }
}

export function wasmThreadsSupported(): boolean {
  return typeof SharedArrayBuffer !== 'undefined' && globalThis.crossOriginIsolated === true;
}

/** Runtimes already started, per model base URL and build: the threaded build starts 8 workers, so never twice. */
const runtimes = new Map<string, Promise<TFLiteRuntime>>();
/** Loader scripts all define the same global, so they are run one at a time. */
let scriptQueue: Promise<unknown> = Promise.resolve();

/** Starts (once per model base URL and build) the TFLite runtime; `stage` labels its download progress. */
export function loadRuntime(files: ModelFiles, threaded: boolean, stage = 'embedder'): Promise<TFLiteRuntime> {
  const build = `tflite_web_api_cc${wasmSimdSupported() ? '_simd' : ''}${threaded ? '_threaded' : ''}`;
  const key = `${files.baseUrl} ${build}`;
  let runtime = runtimes.get(key);
  if (!runtime) {
    runtime = startRuntime(files, build, threaded, stage);
    runtimes.set(key, runtime);
    runtime.catch(() => runtimes.delete(key));
  }
  return runtime;
}

async function startRuntime(
  files: ModelFiles,
  build: string,
  threaded: boolean,
  stage: string,
): Promise<TFLiteRuntime> {
  const [loader, wasmBinary, worker] = await Promise.all([
    files.bytes(`tflite/${build}.js`, stage),
    files.bytes(`tflite/${build}.wasm`, stage),
    threaded ? files.bytes(`tflite/${build}.worker.js`, stage) : Promise.resolve(undefined),
  ]);
  const loaderBlob = new Blob([loader], { type: 'text/javascript' });
  const run = scriptQueue.then(() => runClassicScript(loaderBlob));
  scriptQueue = run.catch(() => undefined);
  const factory = await run;
  // Pthread workers: the runtime's own worker script from a blob URL (a Worker cannot start from another
  // origin's URL, and the model base URL may be one); each worker then loads the loader from `mainScriptUrlOrBlob`.
  // Kept for the page's lifetime: the runtime may start more workers later.
  const workerUrl = worker ? URL.createObjectURL(new Blob([worker], { type: 'text/javascript' })) : '';
  try {
    return await factory({
      wasmBinary,
      mainScriptUrlOrBlob: loaderBlob,
      locateFile: (path) => (path.endsWith('.worker.js') && workerUrl ? workerUrl : files.url(`tflite/${path}`)),
      // Silence the runtime's routine notices: "INFO: Created TensorFlow Lite XNNPACK delegate for CPU." on every
      // model, and (threaded build) Emscripten's "Blocking on the main thread is very dangerous" — Infer() does block
      // the calling thread while the interpreter's threads run, which is the point of using them here.
      print: () => undefined,
      printErr: (text) => {
        if (!text.startsWith('INFO:') && !text.startsWith('Blocking on the main thread'))
          console.warn(`[tflite] ${text}`);
      },
    });
  } catch (cause) {
    throw new FaceError(
      'ERR_MODEL_LOAD_FAILED',
      `The TFLite WebAssembly runtime (${build}) failed to start: ${String(cause)}`,
      {
        metadata: { file: `tflite/${build}.wasm`, modelBaseUrl: files.baseUrl },
        cause,
      },
    );
  }
}

/** Runs a classic (non-module) script and returns the runtime factory it defines. */
async function runClassicScript(source: Blob): Promise<RuntimeFactory> {
  const url = URL.createObjectURL(source);
  try {
    if (typeof document !== 'undefined') {
      await new Promise<void>((resolve, reject) => {
        const script = document.createElement('script');
        script.async = true;
        script.onload = () => {
          script.remove();
          resolve();
        };
        script.onerror = () => {
          script.remove();
          reject(new Error('the loader script did not run (does a Content-Security-Policy block blob: scripts?)'));
        };
        script.src = url;
        document.head.appendChild(script);
      });
    } else if (!importClassicScript(url)) {
      // A module worker (importScripts throws there): run the script as a module that publishes its factory.
      const exported = new Blob([source, `\n;globalThis.${FACTORY_GLOBAL} = ${FACTORY_GLOBAL};\n`], {
        type: 'text/javascript',
      });
      const moduleUrl = URL.createObjectURL(exported);
      try {
        await import(/* @vite-ignore */ moduleUrl);
      } finally {
        URL.revokeObjectURL(moduleUrl);
      }
    }
  } catch (cause) {
    throw new FaceError(
      'ERR_MODEL_LOAD_FAILED',
      `Could not start the TFLite WebAssembly runtime: ${cause instanceof Error ? cause.message : String(cause)}`,
      { cause },
    );
  } finally {
    URL.revokeObjectURL(url);
  }
  const factory = (globalThis as Record<string, unknown>)[FACTORY_GLOBAL];
  if (typeof factory !== 'function')
    throw new FaceError('ERR_MODEL_LOAD_FAILED', `The TFLite runtime loader did not define ${FACTORY_GLOBAL}`);
  return factory as RuntimeFactory;
}

/** importScripts in a classic worker; false where it does not exist or throws (module workers). */
function importClassicScript(url: string): boolean {
  if (typeof importScripts !== 'function') return false;
  try {
    importScripts(url);
    return true;
  } catch (error) {
    if (error instanceof TypeError) return false;
    throw error;
  }
}

export function vectorToArray<T>(vector: CppVector<T>): T[] {
  try {
    const out: T[] = [];
    for (let i = 0; i < vector.size(); i++) out.push(vector.get(i));
    return out;
  } finally {
    vector.delete();
  }
}

export function parseShape(info: TensorInfo): number[] {
  return info.shape.split(',').map(Number);
}

/** One loaded TFLite model: its runner and tensor infos; release() frees everything it holds in the WASM heap. */
export interface TfliteModel {
  readonly runner: ModelRunner;
  readonly inputs: TensorInfo[];
  readonly outputs: TensorInfo[];
  release(): void;
}

/**
 * Loads `modelBytes` into `runtime` (the interpreter keeps using the buffer, so it stays in the WASM heap until
 * release()). Throws ERR_MODEL_LOAD_FAILED naming `file` when the runtime rejects it.
 */
export function createTfliteModel(
  runtime: TFLiteRuntime,
  modelBytes: ArrayBuffer,
  file: string,
  files: ModelFiles,
  numThreads = 1,
): TfliteModel {
  const pointer = runtime._malloc(modelBytes.byteLength);
  runtime.HEAPU8.set(new Uint8Array(modelBytes), pointer);
  const status = runtime.TFLiteWebModelRunner.CreateFromBufferAndOptions(pointer, modelBytes.byteLength, {
    numThreads,
    enableProfiling: false,
    maxProfilingBufferEntries: 1024,
  });
  if (!status.ok()) {
    runtime._free(pointer);
    throw new FaceError(
      'ERR_MODEL_LOAD_FAILED',
      `Could not load ${files.url(file)}: the TFLite runtime rejected it (${status.errorMessage()})`,
      {
        metadata: { file, modelBaseUrl: files.baseUrl },
      },
    );
  }
  const runner = status.value();
  const inputs = vectorToArray(runner.GetInputs());
  const outputs = vectorToArray(runner.GetOutputs());
  return {
    runner,
    inputs,
    outputs,
    release(): void {
      for (const info of [...inputs, ...outputs]) info.delete();
      runner.delete();
      runtime._free(pointer);
    },
  };
}
