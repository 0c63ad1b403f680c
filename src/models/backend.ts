import * as tf from './tf';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { FaceError } from '../errors';
import type { ModelFiles } from './modelFiles';

export type BackendName = 'webgl' | 'wasm' | 'cpu';
export type BackendChoice = 'auto' | BackendName;

/** Software WebGL (SwiftShader, llvmpipe, Microsoft Basic Render) runs our models 8–15× slower than WASM. */
export function isSoftwareRenderer(renderer: string): boolean {
  return /swiftshader|llvmpipe|softpipe|software|basic render/i.test(renderer);
}

/** The unmasked WebGL renderer string, or undefined when WebGL is unavailable. */
export function webglRenderer(): string | undefined {
  try {
    const canvas =
      typeof OffscreenCanvas !== 'undefined' ? new OffscreenCanvas(1, 1) : document.createElement('canvas');
    const gl = (canvas.getContext('webgl2') ?? canvas.getContext('webgl')) as WebGLRenderingContext | null;
    if (!gl) return undefined;
    const info = gl.getExtension('WEBGL_debug_renderer_info');
    const renderer = String(gl.getParameter(info ? info.UNMASKED_RENDERER_WEBGL : gl.RENDERER));
    gl.getExtension('WEBGL_lose_context')?.loseContext();
    return renderer;
  } catch {
    return undefined;
  }
}

/** Order to try backends in for a choice: 'auto' prefers a hardware GPU, else WASM. */
export function backendOrder(choice: BackendChoice, renderer: string | undefined): BackendName[] {
  if (choice !== 'auto') return [choice];
  const gpu = renderer !== undefined && !isSoftwareRenderer(renderer);
  return gpu ? ['webgl', 'wasm', 'cpu'] : ['wasm', 'webgl', 'cpu'];
}

/** The binary the TF.js WASM backend picks, by the same rule and the same feature flags it uses. */
async function wasmBinaryName(): Promise<string> {
  const [simd, threads] = await Promise.all([
    tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'),
    tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT'),
  ]);
  if (simd && threads) return 'tfjs-backend-wasm-threaded-simd.wasm';
  return simd ? 'tfjs-backend-wasm-simd.wasm' : 'tfjs-backend-wasm.wasm';
}

/**
 * Fetches and verifies (built-in sha256) the `.wasm` the TF.js WASM backend will instantiate, then makes the
 * backend take those bytes: with `usePlatformFetch`, it asks `tf.env().platform.fetch` for the binary, which is
 * answered here, for the library's own wasm/ URL only, while the backend starts. The bytes are verified before
 * the backend starts because a failed fetch inside it leaves its start pending for ever. No blob: URL is
 * involved, so a strict CSP needs nothing extra. Returns the function that restores the platform's fetch.
 */
async function provideVerifiedWasm(
  files: ModelFiles,
  given: VerifiedWasm | undefined,
): Promise<{ restore: () => void; wasm: VerifiedWasm }> {
  const name = await wasmBinaryName();
  const file = `wasm/${name}`;
  // A failed load is ERR_MODEL_LOAD_FAILED before anything starts.
  const verified = given?.file === file ? given.bytes : await files.bytes(file, 'backend');
  return { restore: serveVerifiedWasm(files.url(file), verified), wasm: { file, bytes: verified } };
}

type PlatformFetch = (path: string, init?: RequestInit) => Promise<Response>;
/** Verified binaries by URL, answered to TF.js's platform fetch while any client's backend start needs them. */
const verifiedWasmByUrl = new Map<string, ArrayBuffer>();
let platformFetchPatch: { hadOwn: boolean; original: PlatformFetch } | undefined;
let platformFetchUsers = 0;

/**
 * Answers `url` with `bytes` on TF.js's platform fetch until the returned function is called. One patch for the page,
 * counted: two clients starting at once must not restore each other's patch (the second start would then fetch an
 * unverified binary).
 */
function serveVerifiedWasm(url: string, bytes: ArrayBuffer): () => void {
  const platform = tf.env().platform as { fetch: PlatformFetch };
  verifiedWasmByUrl.set(url, bytes);
  if (platformFetchUsers++ === 0) {
    const original = platform.fetch;
    platformFetchPatch = { hadOwn: Object.prototype.hasOwnProperty.call(platform, 'fetch'), original };
    platform.fetch = async (path: string, init?: RequestInit) => {
      const verified = verifiedWasmByUrl.get(path);
      if (verified) return new Response(verified, { status: 200, headers: { 'Content-Type': 'application/wasm' } });
      return original.call(platform, path, init);
    };
  }
  let released = false;
  return () => {
    if (released) return;
    released = true;
    if (--platformFetchUsers > 0 || !platformFetchPatch) return;
    if (platformFetchPatch.hadOwn) platform.fetch = platformFetchPatch.original;
    else delete (platform as Partial<typeof platform>).fetch;
    platformFetchPatch = undefined;
    verifiedWasmByUrl.clear();
  };
}

/**
 * Whether `name` is the backend in use and started. After a failed setBackend, tf.getBackend() still names the backend
 * tried, with none behind it (a later tf.ready() would start another by its own priority, fetching its own files).
 */
function started(name: BackendName): boolean {
  return tf.getBackend() === name && tf.engine().registry[name] !== undefined;
}

/** A backend's `.wasm` bytes, already checked against the built-in sha256 (e.g. by the thread that starts a Worker). */
export interface VerifiedWasm {
  /** Its ModelFiles name, e.g. 'wasm/tfjs-backend-wasm-simd.wasm'. */
  file: string;
  bytes: ArrayBuffer;
}

/** GPU memory TF.js's WebGL backend keeps in freed textures before it deletes them (see boundTexturePool). */
export const WEBGL_TEXTURE_POOL_BYTES = 256 * 1024 * 1024;

/**
 * TF.js keeps every freed texture for reuse by a tensor of the same shape, for ever by default: photos of ever new
 * sizes grow GPU memory until the context is lost. Above the bound, freed textures are deleted. An app that set the
 * flag itself keeps its value.
 */
function boundTexturePool(): void {
  try {
    if (tf.env().getNumber('WEBGL_DELETE_TEXTURE_THRESHOLD') === -1)
      tf.env().set('WEBGL_DELETE_TEXTURE_THRESHOLD', WEBGL_TEXTURE_POOL_BYTES);
  } catch {
    // the flag is not registered (no WebGL backend in this build): nothing to bound
  }
}

/** The WebGL context of TF.js's WebGL backend, once that backend has started. */
function webglBackendContext(): WebGLRenderingContext | undefined {
  const backend = tf.engine().registry['webgl'] as { gpgpu?: { gl?: WebGLRenderingContext } } | undefined;
  return backend?.gpgpu?.gl;
}

/**
 * A WebGL backend whose context was lost (the browser reset the GPU, or reclaimed its memory) holds textures and
 * programs that no longer exist, and TF.js waits for ever on its reads. It is replaced by a new one, which starts a
 * new context; tensors made on the old one are gone with it.
 */
function replaceLostWebglBackend(): void {
  if (webglBackendContext()?.isContextLost()) replaceWebglBackend();
}

/**
 * TF.js's WebGL backend disposed (its textures deleted) and a new one registered, started on first use. Its factory
 * is the one the WebGL package registered: importing the package's class here would bundle WebGL into the embedding
 * Worker, which imports this module for the WASM backend.
 */
function replaceWebglBackend(): void {
  replaceBackend('webgl');
}

/** A backend disposed and its factory registered again in its place, started on first use. */
function replaceBackend(name: BackendName): void {
  const factory = tf.findBackendFactory(name);
  if (!factory) return;
  tf.removeBackend(name);
  tf.registerBackend(name, factory, 2);
}

/** The `.wasm` the WASM backend was started from (verified), to start a new one from when the last client closes. */
let startedWasm: { paths: string; url: string; bytes: ArrayBuffer } | undefined;

/** How long close() waits for the new WASM instance (it starts in ~50 ms; a stall must not hold close() for ever). */
const WASM_REPLACEMENT_WAIT_MS = 5_000;

/**
 * The WASM backend replaced by a new instance from the same verified binary, started at once (as for WebGL below: an
 * app's own TF.js shares the page's engine). WebAssembly memory only grows, so without this the largest image any
 * client ever read (0.6–0.9 GB for a 6000 × 6000 photo) would stay allocated for the page's life. Only when no tensor
 * is left anywhere: one still held (an app's own) would point into the old instance's memory.
 */
async function replaceWasmBackend(): Promise<void> {
  // Models disposed in the same turn as the close (after a promise) are gone first.
  await new Promise((resolve) => setTimeout(resolve, 0));
  const wasm = startedWasm;
  if (!wasm || clientsOnBackend.has('wasm') || !started('wasm') || tf.memory().numTensors > 0) return;
  replaceBackend('wasm');
  // The binary's folder as it was then: a later client (another modelBaseUrl, even one that failed) or the app may
  // have pointed TF.js elsewhere since, where nothing verified would answer.
  setWasmPaths(wasm.paths, true);
  const restore = serveVerifiedWasm(wasm.url, wasm.bytes);
  try {
    await tf.setBackend('wasm');
  } catch {
    // The next client starts it (and says why it cannot).
  } finally {
    restore();
  }
}

/** What a client on WebGL learns when the GPU context under its models is lost. */
export interface WebglContextWatch {
  /** The loss as a FaceError, once it happened. */
  readonly error: FaceError | undefined;
  /** Rejects with `error` when the context is lost; never resolves. */
  readonly lost: Promise<never>;
  stop(): void;
}

/**
 * TF.js waits on a fence before each read from the GPU, polling it every few ms until the GPU passes it. A lost
 * context never does, so reads begun on it waited for ever (the tensors their callers dispose after them stayed in the
 * page, and the polling ran for the page's life). The lost backend's waits end at once instead: its reads return what
 * a lost context reads (zeros) to work whose calls were already rejected with the loss, which then finishes and frees
 * its tensors. Reaches into TF.js's GPGPUContext; does nothing if its shape is not the one expected.
 */
function endLostContextWaits(backend: unknown): void {
  const gpgpu = (backend as { gpgpu?: { itemsToPoll?: unknown; pollFence?: unknown } } | undefined)?.gpgpu;
  if (!gpgpu || !Array.isArray(gpgpu.itemsToPoll) || typeof gpgpu.pollFence !== 'function') return;
  gpgpu.pollFence = () => Promise.resolve();
  const waiting = gpgpu.itemsToPoll as { resolveFn?: unknown }[];
  gpgpu.itemsToPoll = [];
  for (const item of waiting) if (typeof item.resolveFn === 'function') (item.resolveFn as () => void)();
}

/** Watches the context of the WebGL backend in use; undefined when WebGL is not the backend. */
export function watchWebglContext(): WebglContextWatch | undefined {
  const gl = tf.getBackend() === 'webgl' ? webglBackendContext() : undefined;
  if (!gl) return undefined;
  const backend = tf.findBackend('webgl');
  const canvas = gl.canvas as EventTarget;
  let reject!: (error: FaceError) => void;
  const lost = new Promise<never>((_, r) => (reject = r));
  lost.catch(() => undefined); // a loss nobody is waiting on is not an unhandled rejection
  const watch = {
    error: undefined as FaceError | undefined,
    lost,
    stop: () => canvas.removeEventListener('webglcontextlost', onLost),
  };
  function onLost(): void {
    watch.error ??= new FaceError(
      'ERR_INTERNAL',
      "The GPU's WebGL context was lost (the browser reset the GPU or reclaimed its memory), and this client's models were on it. Create a new client with createFaceClient(): it starts a new context. backend: 'wasm' does not depend on the GPU.",
      { metadata: { reason: 'webgl-context-lost' } },
    );
    reject(watch.error);
    watch.stop();
    endLostContextWaits(backend);
  }
  canvas.addEventListener('webglcontextlost', onLost);
  if (gl.isContextLost()) onLost();
  return watch;
}

/**
 * Activates the TF.js backend. The tfjs engine is page-wide, so all clients in a page share it.
 * WASM binaries load from `<modelBaseUrl>/wasm/`, verified against their built-in sha256 before they are
 * instantiated, single-threaded (see below).
 */
export async function activateBackend(
  choice: BackendChoice,
  files: ModelFiles,
  /**
   * Called once the backend's own files are in, before it starts (e.g. to start the models' downloads), with the
   * backend about to start and, for WASM, its verified binary.
   */
  onFilesLoaded?: (next: { backend: BackendName; wasm?: VerifiedWasm }) => void,
  /** The `.wasm` bytes to use instead of loading them (used when its name is the one this browser needs). */
  wasm?: VerifiedWasm,
): Promise<BackendName> {
  // TF.js's threaded WASM build starts its workers from the source text of a function in the bundle
  // (Function.prototype.toString). Once an app's bundler minifies that function, the worker's copy names variables
  // that exist only in the app's bundle ("e is not defined") and the backend never becomes ready. Threads gave no
  // speed-up on 2 cores (BENCHMARKS.md), so the single-threaded SIMD build is used on every page.
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  setWasmPaths(files.url('wasm/'), true);
  const order = backendOrder(choice, choice === 'auto' ? webglRenderer() : undefined);
  const failures: string[] = [];
  let filesLoaded = false;
  for (const name of order) {
    let restore: (() => void) | undefined;
    try {
      let verified: VerifiedWasm | undefined;
      // A wasm binary that fails its check is a load failure (thrown), never a reason to fall back quietly.
      if (name === 'wasm' && !started('wasm')) {
        ({ restore, wasm: verified } = await provideVerifiedWasm(files, wasm));
        // TF.js instantiates the binary without handling a failure, so its start would never settle (e.g. under a
        // Content-Security-Policy without 'wasm-unsafe-eval'): compile it here first (V8 reuses the compiled module).
        try {
          await WebAssembly.compile(verified.bytes);
        } catch (error) {
          failures.push(
            `wasm: this page cannot compile WebAssembly (${error instanceof Error ? error.message : String(error)}; a Content-Security-Policy needs 'wasm-unsafe-eval')`,
          );
          continue;
        }
      }
      if (!filesLoaded) {
        filesLoaded = true;
        onFilesLoaded?.({ backend: name, wasm: verified });
      }
      if (name === 'webgl') {
        boundTexturePool();
        replaceLostWebglBackend();
      }
      if (started(name) || (await tf.setBackend(name))) {
        await tf.ready();
        if (name === 'wasm' && verified)
          startedWasm = { paths: files.url('wasm/'), url: files.url(verified.file), bytes: verified.bytes };
        return name;
      }
      failures.push(`${name}: not supported here`);
    } catch (error) {
      if (error instanceof FaceError && error.code === 'ERR_MODEL_LOAD_FAILED') throw error;
      failures.push(`${name}: ${error instanceof Error ? error.message : String(error)}`);
    } finally {
      restore?.();
    }
  }
  throw new FaceError(
    choice === 'auto' ? 'ERR_INTERNAL' : 'ERR_INVALID_ARGUMENT',
    `No TF.js backend could start (${failures.join('; ')}). ${choice === 'auto' ? 'This browser lacks both WebGL and WebAssembly.' : "Use backend: 'auto'."}`,
  );
}

/**
 * Clients alive per backend. TF.js runs one backend per page: activating another would move every live client's
 * models to it behind its back (its `backend` would then name one it no longer runs on, at another speed).
 */
const clientsOnBackend = new Map<BackendName, number>();
/** Client activations, one at a time: two clients starting at once must agree on the page's backend. */
let clientActivations: Promise<unknown> = Promise.resolve();
/**
 * How long a client start waits for the one before it. A start can stall (its `.wasm` download from a server that
 * never answers): later clients then go ahead instead of waiting for ever.
 */
const ACTIVATION_WAIT_MS = 15_000;

/** Resolves when `work` settles or after `ms`, whichever comes first (never rejects). */
async function settledOrAfter(work: Promise<unknown>, ms: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    await Promise.race([work.catch(() => undefined), new Promise((resolve) => (timer = setTimeout(resolve, ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * activateBackend for a client that keeps the backend until `release()`: while any client holds one, 'auto' takes
 * that one, and another explicit choice is refused (ERR_INVALID_ARGUMENT).
 */
export function activateClientBackend(
  ...args: Parameters<typeof activateBackend>
): Promise<{ backend: BackendName; release: () => Promise<void> }> {
  const activation = settledOrAfter(clientActivations, ACTIVATION_WAIT_MS).then(async () => {
    const [choice, ...rest] = args;
    const inUse = [...clientsOnBackend.keys()][0];
    if (inUse && choice !== 'auto' && choice !== inUse) {
      throw new FaceError(
        'ERR_INVALID_ARGUMENT',
        `This page already runs LocalFace on the '${inUse}' backend, and TF.js runs one backend per page: starting '${choice}' would move the other clients' models to it too. Create this client with backend '${inUse}' or 'auto', or close the other clients first.`,
        { metadata: { reason: 'backend-in-use', backend: inUse } },
      );
    }
    const backend = await activateBackend(inUse ?? choice, ...rest);
    clientsOnBackend.set(backend, (clientsOnBackend.get(backend) ?? 0) + 1);
    let released = false;
    /** Resolves once the backend left behind is ready for the page (at most WASM_REPLACEMENT_WAIT_MS). */
    const release = async (): Promise<void> => {
      if (released) return;
      released = true;
      const left = (clientsOnBackend.get(backend) ?? 1) - 1;
      if (left > 0) clientsOnBackend.set(backend, left);
      else clientsOnBackend.delete(backend);
      // The last client on a backend gone: it is replaced by a new one, so that the memory it grew is given back
      // (replaceWasmBackend; the WebGL texture pool below). Queued with the activations, so a client starting
      // meanwhile keeps its backend.
      if (left <= 0 && backend === 'wasm') {
        const replaced = clientActivations.then(replaceWasmBackend);
        clientActivations = replaced;
        // An app's own TF.js that runs ops synchronously after `await client.close()` finds the new instance ready.
        await settledOrAfter(replaced, WASM_REPLACEMENT_WAIT_MS);
      }
      // TF.js's pool of freed textures (up to WEBGL_TEXTURE_POOL_BYTES) would keep that much GPU memory for the page's
      // life. A new backend in its place holds none (the next client compiles its shaders again), and is made active
      // at once, since an app's own TF.js shares the page's engine.
      if (left <= 0 && backend === 'webgl') {
        clientActivations = clientActivations.then(async () => {
          if (clientsOnBackend.has('webgl') || !tf.engine().registry['webgl']) return;
          const active = tf.getBackend() === 'webgl';
          replaceWebglBackend();
          if (active) await tf.setBackend('webgl').catch(() => false);
        });
      }
    };
    return { backend, release };
  });
  clientActivations = activation.catch(() => undefined);
  return activation;
}
