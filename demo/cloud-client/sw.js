// The cloud-client demo's service worker. It caches the app and every model on install, each checked against the
// sha256 that scripts/finish-demo.mjs writes into this file at build time, and serves them offline
// (demo/shared/precache-sw.js); every request under ./api/ goes to LocalFace's mountRestHandler (the library's
// service-worker build: no TF.js), which forwards it to the open page that runs the models and the REST handler.
// Plain JavaScript, not bundled: a service worker script must keep a stable URL.
importScripts('../localface-sw.iife.js', '../precache-sw.js');

const API = new URL('./api/', self.location.href).pathname;

self.LocalFace.mountRestHandler(self, { basePath: API });

self.precacheApp({
  name: 'cloud-client',
  version: '__PRECACHE_VERSION__',
  files: '__PRECACHE_FILES__',
  passThrough: (url) => url.pathname.startsWith(API),
});
