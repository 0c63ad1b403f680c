// The check-in PWA's service worker. On install it caches the app shell and every model file (the list is
// precache.json, written by scripts/finish-demo.mjs at build time); afterwards every same-origin GET is answered
// from that cache first, so the app, the models and the library's WebAssembly work with the network off.
// Plain JavaScript, not bundled: a service worker script must keep a stable URL.
const VERSION = '__PRECACHE_VERSION__';
const CACHE = `localface-checkin-${VERSION}`;

self.addEventListener('install', (event) => {
  event.waitUntil((async () => {
    const response = await fetch('precache.json', { cache: 'no-store' });
    if (!response.ok) throw new Error(`precache.json: HTTP ${response.status}`);
    const { files } = await response.json();
    const cache = await caches.open(CACHE);
    // All or nothing: addAll fails the install if any file is missing, and the next visit tries again.
    await cache.addAll(files.map((file) => new Request(file, { cache: 'no-store' })));
    await self.skipWaiting();
  })());
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) {
      if (name.startsWith('localface-checkin-') && name !== CACHE) await caches.delete(name);
    }
    await self.clients.claim();
  })());
});

self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET' || new URL(request.url).origin !== self.location.origin) return;
  event.respondWith((async () => {
    const cache = await caches.open(CACHE);
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
  })());
});
