// The offline cache of a demo app (its service worker, demo/<app>/sw.js, and the cache it fills), dropped after a
// model failed to load.

/**
 * After ERR_MODEL_LOAD_FAILED the cached copy may be what is wrong (the service worker verifies what it caches,
 * but a cache from an older build, or a damaged disk, could still hold bad bytes): drop the app's offline cache and
 * its worker, so the next load fetches fresh files from the server. `app` is the name sw.js gives precacheApp.
 */
export async function purgeOfflineCache(app: string): Promise<void> {
  if (!('serviceWorker' in navigator)) return;
  for (const name of await caches.keys()) if (name.startsWith(`localface-${app}-`)) await caches.delete(name);
  // Only this app's worker (the page's folder): the origin's other demos keep theirs.
  await (await navigator.serviceWorker.getRegistration('./'))?.unregister();
}
