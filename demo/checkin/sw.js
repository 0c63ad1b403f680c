// The check-in PWA's service worker: the app shell (the check-in page's own chunks) and the model files the check-in
// uses, each checked against the sha256 that scripts/finish-demo.mjs writes into this file at build time, cached on
// install and served offline (demo/shared/precache-sw.js). Plain JavaScript, not bundled: a service worker script
// must keep a stable URL.
importScripts('../precache-sw.js');

self.precacheApp({
  name: 'checkin',
  version: '__PRECACHE_VERSION__',
  /** @type {{ url: string, sha256: string, plain?: { url: string, sha256: string } }[]} */
  files: '__PRECACHE_FILES__',
});
