// "Cloud client, offline": the fetch calls below are the seeds' own examples (person management, face search,
// users, face set), unchanged apart from the base URL. The page also hosts LocalFace: it creates the client and the
// REST handler and serves the requests its service worker (sw.js) forwards, so the calls never leave the device.
import { createFaceClient, createRestHandler, FaceError, serveRestRequests } from 'localface';
import { modelBaseUrl } from '../shared/models';
import { restoreFocus } from '../shared/announcer';
import { purgeOfflineCache } from '../shared/offlineCache';
import { fitPhoto } from '../shared/photo';

const API = new URL('./api/', location.href); // where the app's cloud API used to be
const $ = <T extends HTMLElement>(id: string) => document.querySelector(`[data-testid="${id}"]`) as T;
const status = $('status'),
  offline = $('offline-status'),
  log = $('log'),
  run = $<HTMLButtonElement>('run'),
  runHint = $('run-hint'),
  updateButton = $<HTMLButtonElement>('update');
const enrollFile = $<HTMLInputElement>('enroll-file'),
  searchFile = $<HTMLInputElement>('search-file');

async function toBase64(file: Blob): Promise<string> {
  const bytes = new Uint8Array(await file.arrayBuffer());
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

function show(line: string): void {
  log.textContent += `${line}\n`;
}

async function report(label: string, response: Response): Promise<unknown> {
  const text = await response.text();
  const body = text ? JSON.parse(text) : null;
  const brief = JSON.stringify(body, (key, value) =>
    typeof value === 'string' && value.length > 60 ? `${value.slice(0, 20)}…` : value,
  );
  show(`${label} → ${response.status} ${body === null ? '(no body)' : brief}`);
  return body;
}

/** The user id of the users API's own example. */
const USER_ID = 'f7eab18f-e5d3-4dac-9d4d-cfb969ef848e';

async function runExamples(apiKey: string, keyId: string): Promise<void> {
  log.textContent = '';
  // As an app would before an upload: a phone's large photo scaled down to what the APIs take (5 MB).
  const enrollPhoto = await fitPhoto(enrollFile.files![0]!);
  const searchPhoto = await fitPhoto(searchFile.files![0]!);
  const face = await toBase64(enrollPhoto);
  const probe = await toBase64(searchPhoto);
  const json = { 'Content-Type': 'application/json', 'x-api-key': apiKey };

  // Each run starts afresh, so its answers are about these two photos only (not an earlier run's person or user).
  await report(
    'DELETE collection/MyCollection',
    await fetch(new URL('collection/MyCollection', API), { method: 'DELETE', headers: { 'x-api-key': apiKey } }),
  );
  await report(
    'DELETE users/{USER_ID}',
    await fetch(new URL(`users/${USER_ID}`, API), { method: 'DELETE', headers: { 'x-api-key': apiKey } }),
  );
  // Person management: a collection, then a person.
  await report(
    'POST collection',
    await fetch(new URL('collection', API), {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ collection_name: 'MyCollection' }),
    }),
  );
  await report(
    'PUT person',
    await fetch(new URL('person', API), {
      method: 'PUT',
      headers: json,
      body: JSON.stringify({
        person_id: 'person-1',
        person_name: 'Person One',
        check_duplicates: false,
        check_liveness: false,
        collection_name: 'MyCollection',
        duplicate_check_min_similarity: 0.7,
        face_base_64: face,
        face_storage_type: 'NoStorage',
        metadata: { additionalProp1: 'string' },
      }),
    }),
  );
  // Face search, 1:N.
  await report(
    'POST face-search',
    await fetch(new URL('face-search', API), {
      method: 'POST',
      headers: json,
      body: JSON.stringify({
        check_liveness: false,
        collection_name: 'MyCollection',
        face_base_64: probe,
        min_similarity_score: 0.7,
        max_results: 1,
      }),
    }),
  );
  // Users: enroll, then search with a threshold in percent.
  await report(
    'POST users/{USER_ID}',
    await fetch(new URL(`users/${USER_ID}`, API), {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ face }),
    }),
  );
  await report(
    'POST users/search',
    await fetch(new URL('users/search', API), {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ face: probe, threshold: 75.5 }),
    }),
  );
  // Face set: multipart with the file.
  const form = new FormData();
  form.append('name', 'MyCollection');
  form.append('file', searchPhoto, searchFile.files![0]!.name);
  await report(
    'POST faceset/v2/add_face',
    await fetch(new URL('faceset/v2/add_face', API), {
      method: 'POST',
      headers: { 'X-DF-API-ID': keyId, 'X-DF-API-SECRET': apiKey },
      body: form,
    }),
  );
  show('done');
}

async function main(): Promise<void> {
  const client = await createFaceClient({ modelBaseUrl, databaseName: 'localface-cloud-client' });
  if (!('serviceWorker' in navigator)) {
    // Nothing could forward the API calls to this page (the line beside says why).
    status.textContent = `Ready on ${client.backend.toUpperCase()}, but the API calls cannot run on this page`;
    runHint.textContent = 'The API calls cannot run on this page: the line above says why.';
    return;
  }
  serveRestRequests(createRestHandler({ client, basePath: API.pathname }));
  status.textContent = `Ready on ${client.backend.toUpperCase()}`;
  // A demo keeps its key in localStorage; an app hands its cloud code the key the way it did before.
  let stored = JSON.parse(localStorage.getItem('localface-demo-key') ?? 'null') as {
    key: string;
    keyId: string;
  } | null;
  if (!stored || !(await client.apiKeys.verify(stored.key))) {
    stored = await client.apiKeys.create({ name: 'cloud-client demo' });
    localStorage.setItem('localface-demo-key', JSON.stringify(stored));
  }
  const { key, keyId } = stored;
  const update = () => {
    run.disabled =
      apiRunning || !(enrollFile.files?.length && searchFile.files?.length && navigator.serviceWorker.controller);
    // Why the button is off, beside it (and read with it).
    runHint.textContent = apiRunning
      ? 'Running…'
      : !(enrollFile.files?.length && searchFile.files?.length)
        ? 'Pick both photos first.'
        : !navigator.serviceWorker.controller
          ? 'Waiting for the service worker (see the line above).'
          : '';
  };
  enrollFile.onchange = searchFile.onchange = update;
  navigator.serviceWorker.addEventListener('controllerchange', update);
  update();
  // One run at a time: a second click would interleave its calls and lines with the first's.
  run.onclick = async () => {
    // Disabled while the calls run, the focused button loses the focus: it gets it back afterwards.
    const hadFocus = document.activeElement === run;
    apiRunning = true;
    // Loading a new version is asked again over this run's answers: an earlier yes was for the earlier ones.
    updateAccepted = false;
    updateButton.disabled = false;
    update();
    try {
      await runExamples(key, keyId);
    } catch (error) {
      show(`failed: ${String(error)}`);
    } finally {
      apiRunning = false;
      update();
      if (hadFocus && !run.disabled) restoreFocus(run);
      updateWhenIdle();
    }
  };
}

/** Whether the example calls are running (an update waits for them). */
let apiRunning = false;
let reloadWhenIdle = false;
let waitingWorker: ServiceWorker | null = null;
/** The user asked for the new version (a reload would otherwise wipe the answers on screen). */
let updateAccepted = false;

/**
 * A new deployment's worker installs beside this page's and waits (demo/shared/precache-sw.js): this page keeps its own
 * version's files. Once no example call runs, the new worker takes over and the page reloads into the new version;
 * while answers are on screen, the page offers that instead of wiping them.
 */
function updateWhenIdle(): void {
  if (apiRunning) return;
  // Another tab let the new version take over: this page's own files are gone from the cache, so it reloads now.
  if (reloadWhenIdle) location.reload();
  // Only a worker still waiting is a new version: the first visit's worker was 'installed' too, on its way to active.
  else if (waitingWorker?.state === 'installed' && navigator.serviceWorker.controller) {
    if (log.textContent !== '' && !updateAccepted) updateButton.hidden = false;
    else waitingWorker.postMessage({ type: 'localface-skip-waiting' });
  }
}

updateButton.onclick = () => {
  updateAccepted = true;
  updateButton.disabled = true;
  updateWhenIdle();
};

// Set up before anything slow. The first worker taking this page over (the first visit) serves the files this page
// already runs: no reload then.
if ('serviceWorker' in navigator) {
  let controlled = navigator.serviceWorker.controller !== null;
  navigator.serviceWorker.addEventListener('controllerchange', () => {
    // A controller gone (site data cleared) brings no new files: no reload then.
    if (controlled && navigator.serviceWorker.controller) {
      reloadWhenIdle = true;
      updateWhenIdle();
    }
    controlled = true;
  });
}

function takeUpdates(registration: ServiceWorkerRegistration): void {
  const whenInstalled = (worker: ServiceWorker | null) =>
    worker?.addEventListener('statechange', () => {
      if (worker.state !== 'installed') return;
      waitingWorker = worker;
      updateWhenIdle();
    });
  waitingWorker = registration.waiting;
  whenInstalled(registration.installing);
  registration.addEventListener('updatefound', () => whenInstalled(registration.installing));
  updateWhenIdle();
}

async function registerServiceWorker(): Promise<void> {
  if (!('serviceWorker' in navigator)) {
    // Browsers give service workers only to secure pages (HTTPS, or localhost).
    offline.textContent = window.isSecureContext
      ? 'no service worker in this browser: the API calls need one'
      : 'no service worker on a page that is not secure: open this page over HTTPS (or at localhost) for the API calls';
    return;
  }
  if (!import.meta.env.PROD) {
    offline.textContent = 'service worker: only in the built app (npm run build:demo)';
    return;
  }
  // A failing install (a file missing, or not matching its build-time sha256) tells why before it ends.
  let installFailed = false;
  navigator.serviceWorker.addEventListener(
    'message',
    (event: MessageEvent<{ type?: string; app?: string; reason?: string } | null>) => {
      if (event.data?.type !== 'localface-precache-failed' || event.data.app !== 'cloud-client') return;
      installFailed = true;
      offline.textContent = `service worker failed: ${event.data.reason}; the API calls need it: reload to retry`;
    },
  );
  navigator.serviceWorker.startMessages();
  const registering = await navigator.serviceWorker.register('./sw.js', { scope: './' });
  takeUpdates(registering);
  // A worker that ends before it is ready leaves "ready" pending: say so instead of waiting forever. Why it ended is
  // known only when its install said so.
  registering.installing?.addEventListener('statechange', (event) => {
    if ((event.target as ServiceWorker).state === 'redundant' && !registering.active && !installFailed) {
      offline.textContent = 'service worker stopped before it was ready, and the API calls need it: reload to retry';
    }
  });
  const worker = (await navigator.serviceWorker.ready).active!;
  // Activation ends with the worker taking this page over (clients.claim()).
  if (worker.state === 'activating')
    await new Promise((done) => worker.addEventListener('statechange', done, { once: true }));
  const controlled = () => {
    // A hard reload (Ctrl+Shift+R) loads the page past its service worker, which then answers none of its fetches
    // until the next ordinary load.
    offline.textContent = navigator.serviceWorker.controller
      ? 'offline ready'
      : 'offline ready, but this page bypassed its service worker: reload the page to enable the API calls';
  };
  navigator.serviceWorker.addEventListener('controllerchange', controlled);
  controlled();
}

registerServiceWorker().catch((error: unknown) => {
  offline.textContent = `service worker failed: ${String(error)}`;
});
main().catch(async (error: unknown) => {
  status.textContent = `Failed: ${error instanceof FaceError ? `${error.message} (${error.code})` : String(error)}. Reload the page to try again.`;
  if (error instanceof FaceError && error.code === 'ERR_MODEL_LOAD_FAILED' && 'serviceWorker' in navigator) {
    await purgeOfflineCache('cloud-client');
    offline.textContent = 'offline cache cleared after a model failed to load: reload while online';
  }
});
