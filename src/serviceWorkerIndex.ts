// The public surface of the service-worker build (`localface/service-worker`: dist/localface-sw.js, and
// dist/localface-sw.iife.js for importScripts): the part of src/index.ts a service worker needs to forward the
// seeds' REST requests to the page that runs the models. No TF.js and no models: ~6 KB instead of ~1.2 MB, so the
// worker starts (and is checked for updates) without evaluating TF.js.
export { mountRestHandler } from './rest/serviceWorker';
export type { MountRestHandlerOptions, ServiceWorkerScope, WorkerClient } from './rest/serviceWorker';
export type { RestHandler } from './rest/handler';
export { FaceError } from './errors';
export type { FaceErrorCode } from './errors';
export { version } from './version';
