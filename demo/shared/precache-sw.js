// The demos' offline cache, shared by the check-in PWA's and the cloud-client page's service workers
// (importScripts('../precache-sw.js')). On install it fetches every file of the app, checks each against the sha256
// that scripts/finish-demo.mjs wrote into the worker at build time, and caches them all or none: a truncated, stale
// or altered download fails the install (and the next visit tries again) instead of being served from the cache for
// good. Afterwards every same-origin GET is answered from that cache first, so the app, the models and the
// library's WebAssembly work with the network off. Plain JavaScript, not bundled: service workers import it by URL.

/** LocalFace's own cache of the model files it loaded (keyed by URL + sha256): the page has usually filled it already. */
const MODEL_CACHE = 'localface-models';
const TYPES = { wasm: 'application/wasm', js: 'text/javascript', json: 'application/json' };

const hex = (buffer) => Array.from(new Uint8Array(buffer), (b) => b.toString(16).padStart(2, '0')).join('');

/** A model file the page's LocalFace already downloaded and cached, so that the install does not download it again. */
async function fromModelCache(url, sha256) {
  if (!(await caches.has(MODEL_CACHE))) return undefined;
  const cached = await (
    await caches.open(MODEL_CACHE)
  ).match(`${new URL(url, self.location.href).href}?sha256=${sha256}`);
  if (!cached) return undefined;
  const type = TYPES[url.split('.').pop()] ?? 'application/octet-stream';
  return new Response(await cached.arrayBuffer(), { headers: { 'Content-Type': type } });
}

/**
 * One file, fetched (or taken from the library's model cache) and checked. A gzipped model (`plain` names its plain
 * file) may be cached as its plain bytes: the library accepts either when it asks for the .gz.
 */
async function fetchVerified({ url, sha256, plain }) {
  const request = new Request(url, { cache: 'no-store' });
  const response =
    (await fromModelCache(plain?.url ?? url, plain?.sha256 ?? sha256)) ??
    (await fetch(request).catch((error) => {
      // A network failure names no file ("Failed to fetch"): say which one.
      throw new Error(`${url}: ${error instanceof Error ? error.message : String(error)}`);
    }));
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  const bytes = await response.clone().arrayBuffer();
  const actual = hex(await crypto.subtle.digest('SHA-256', bytes));
  if (actual !== sha256 && actual !== plain?.sha256)
    throw new Error(`${url}: sha256 ${actual} is not the build's ${sha256}`);
  return [request, response];
}

/**
 * Serves the app `name` offline from the cache `localface-<name>-<version>`.
 * @param {{ name: string, version: string,
 *   files: { url: string, sha256: string, plain?: { url: string, sha256: string } }[],
 *   passThrough?: (url: URL) => boolean }} app  passThrough: requests left to the worker's other fetch handlers
 */
self.precacheApp = function precacheApp({ name, version, files, passThrough = () => false }) {
  const prefix = `localface-${name}-`;
  const cacheName = `${prefix}${version}`;

  self.addEventListener('install', (event) => {
    event.waitUntil(
      (async () => {
        try {
          // All or nothing: every file is fetched and verified before any is cached.
          const verified = await Promise.all(files.map(fetchVerified));
          const cache = await caches.open(cacheName);
          try {
            for (const [request, response] of verified) await cache.put(request, response);
          } catch (error) {
            await caches.delete(cacheName);
            throw error;
          }
        } catch (error) {
          // The pages only see this worker end ('redundant'): tell them why.
          const reason = error instanceof Error ? error.message : String(error);
          for (const client of await self.clients.matchAll({ type: 'window', includeUncontrolled: true }))
            client.postMessage({ type: 'localface-precache-failed', app: name, reason });
          throw error;
        }
        // No skipWaiting() here: a new version waits until its pages ask for it (or all are closed). Taking over an
        // open page would delete the cache of the version it runs, and its next model would fail its sha256.
      })(),
    );
  });

  /**
   * Puts back every file missing from this version's cache, each checked as on install: the browser may evict the
   * cache, or the site's cache be cleared, while the worker stays registered (its install never runs again until
   * the next version). Resolves to how many of the app's files are cached.
   */
  /** Each file's absolute URL, as its cached request is keyed. */
  const fileUrls = files.map((file) => new URL(file.url, self.location.href).href);
  let repairing;
  async function repair() {
    const cache = await caches.open(cacheName);
    const have = new Set((await cache.keys()).map((request) => request.url));
    const missing = files.filter((_, i) => !have.has(fileUrls[i]));
    let reason;
    for (const file of missing) {
      try {
        const [request, response] = await fetchVerified(file);
        await cache.put(request, response);
      } catch (error) {
        reason ??= error instanceof Error ? error.message : String(error);
      }
    }
    return { cached: (await cache.keys()).length, total: files.length, reason };
  }

  self.addEventListener('message', (event) => {
    // An open page of the app asks for the waiting version once nothing runs there (demo/checkin/main.ts).
    if (event.data?.type === 'localface-skip-waiting') event.waitUntil(self.skipWaiting());
    // A page asks whether the app is whole offline (and has what is missing fetched again).
    if (event.data?.type === 'localface-precache-check') {
      repairing ??= repair().finally(() => (repairing = undefined));
      // The page's scripts that this version does not list: the page runs another version (one deployed between its
      // load and this worker taking it over), whose files this worker does not serve.
      const scripts = Array.isArray(event.data.scripts) ? event.data.scripts : [];
      const foreign = scripts.filter((url) => typeof url === 'string' && !fileUrls.includes(url)).length;
      event.waitUntil(
        repairing.then((status) =>
          event.source?.postMessage({ type: 'localface-precache-status', app: name, ...status, foreign }),
        ),
      );
    }
  });

  self.addEventListener('activate', (event) => {
    event.waitUntil(
      (async () => {
        for (const key of await caches.keys()) {
          if (key.startsWith(prefix) && key !== cacheName) await caches.delete(key);
        }
        await self.clients.claim();
      })(),
    );
  });

  self.addEventListener('fetch', (event) => {
    const request = event.request;
    const url = new URL(request.url);
    if (request.method !== 'GET' || url.origin !== self.location.origin || passThrough(url)) return;
    event.respondWith(
      (async () => {
        const cache = await caches.open(cacheName);
        const cached = await cache.match(request, { ignoreSearch: request.mode === 'navigate' });
        if (cached) return cached;
        try {
          return await fetch(request);
        } catch (error) {
          // Offline and not cached: a navigation inside the app still gets the app.
          if (request.mode === 'navigate') {
            const shell = await cache.match('./');
            if (shell) return shell;
          }
          throw error;
        }
      })(),
    );
  });
};
