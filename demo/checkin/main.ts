// The offline check-in PWA: press "Check in" in front of the camera; the face tracker follows the person over the
// next camera frames until their liveness is decided (a few frames, not one), who they are is decided from the same
// frames, and the outcome is logged on this device (exportable as CSV). Checking in is open to anyone; enrolling and
// exporting or clearing the log are for staff, with the device's staff PIN (the kiosk's).
// The service worker (sw.js, production builds only) caches the app and every model on the first visit.
import {
  createFaceClient,
  FaceError,
  type FaceClient,
  type FaceTracker,
  type LoadProgress,
  type TrackedFace,
} from 'localface';
import { adviceFor } from '../shared/advice';
import { Announcer, restoreFocus } from '../shared/announcer';
import { cameraUnavailable, type CameraFrames } from '../shared/cameraFrames';
import { CameraSwitch } from '../shared/cameraSwitch';
import { cameraProblem } from '../shared/cameraProblem';
import { faceErrorText, publicErrorText } from '../shared/faceErrors';
import { gpuWasReset } from '../shared/gpuReset';
import { modelBaseUrl } from '../shared/models';
import { purgeOfflineCache } from '../shared/offlineCache';
import { fitPhoto } from '../shared/photo';
import { StaffPin } from '../shared/staffPin';
import { wireStaffPinForm } from '../shared/staffPinForm';
import { COLLECTION, DATABASE, ensureCollection, withCollection } from '../shared/store';
import { CSV_TYPE, csvFileName, toCsv, type CheckIn } from './csv';
import { CheckInLog } from './log';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const statusLine = $('status'),
  progressBar = $<HTMLProgressElement>('progress'),
  offlineLine = $('offline'),
  storageLine = $('storage'),
  verdict = $('verdict'),
  video = $<HTMLVideoElement>('video');
const checkInButton = $<HTMLButtonElement>('check-in'),
  logBody = $('log');
const enrollForm = $<HTMLFormElement>('enroll-form'),
  enrollName = $<HTMLInputElement>('enroll-name');
const enrollFile = $<HTMLInputElement>('enroll-file'),
  enrollButton = $<HTMLButtonElement>('enroll-button');
const enrollMessage = $('enroll-message'),
  peopleCount = $('people-count');
const staffForm = $<HTMLFormElement>('staff-form'),
  staffPinInput = $<HTMLInputElement>('staff-pin'),
  staffButton = $<HTMLButtonElement>('staff-button');
const staffMessage = $('staff-message'),
  staffUnlockedLine = $('staff-unlocked'),
  staffLock = $<HTMLButtonElement>('staff-lock');
const logMessage = $('log-message'),
  logArea = $('log-area'),
  logLocked = $('log-locked');
const updateLine = $('update'),
  updateButton = $<HTMLButtonElement>('update-button');
const cameraChoice = $('camera-choice'),
  cameraSelect = $<HTMLSelectElement>('camera-select'),
  cameraNote = $('camera-note');

/** Check-in results are read out politely, problems (the camera stopped, a failure) at once. */
const announcer = new Announcer();

/** Shows a check-in result or a problem (`bad`), and has it read out. */
function showVerdict(text: string, kind: '' | 'ok' | 'bad'): void {
  verdict.className = kind;
  verdict.textContent = text;
  if (text) announcer.say(text, kind === 'bad' ? 'assertive' : 'polite');
}

/** How long a welcome (a name) stays on screen and in the screen reader's region: not until the next person comes. */
const WELCOME_SHOWN_MS = 10_000;
let welcomeTimer: ReturnType<typeof setTimeout> | undefined;

function showWelcome(text: string): void {
  showVerdict(text, 'ok');
  clearTimeout(welcomeTimer);
  welcomeTimer = setTimeout(() => {
    if (verdict.textContent === text) showVerdict('', '');
    announcer.forget(text);
  }, WELCOME_SHOWN_MS);
}

const errorText = (error: unknown) => (error instanceof FaceError ? `${error.message} (${error.code})` : String(error));

/**
 * Asks that the browser keep this origin's data (the log, the people, the offline cache) under storage pressure, and
 * shows the answer: best-effort storage may be evicted, which for an offline app means losing its data unannounced.
 */
async function requestPersistentStorage(): Promise<void> {
  const persisted = navigator.storage?.persist ? await navigator.storage.persist().catch(() => false) : false;
  storageLine.dataset.persisted = String(persisted);
  storageLine.textContent = persisted
    ? 'Storage: persistent — the browser will not evict the log, the people or the offline cache.'
    : 'Storage: best-effort — the browser refused persistence and may clear the log and the people when space runs low.';
  storageLine.hidden = false;
}

/** A new version took over while a check-in or an enroll ran: the page reloads into it once that has finished. */
let reloadWhenIdle = false;

function reloadIfIdle(): void {
  if (busy) reloadWhenIdle = true;
  else location.reload();
}

// Set up before the models load: a new worker that another tab lets take over meanwhile must reload this page too.
// The first worker taking this page over (the first visit) serves the files this page already runs: no reload.
if ('serviceWorker' in navigator) {
  let controlled = navigator.serviceWorker.controller !== null;
  navigator.serviceWorker.addEventListener('controllerchange', () => {
    // A controller gone (site data cleared) brings no new files: no reload then.
    if (controlled && navigator.serviceWorker.controller) reloadIfIdle();
    controlled = true;
  });
}

/** How often an open page asks the server whether a new version of the app is out. */
const UPDATE_CHECK_MS = 60 * 60_000;

/**
 * A new deployment's service worker installs beside this page's and waits: this page keeps loading the files of its
 * own version (the liveness models load only at the first check-in, and the library checks each against the sha256
 * of the version it was built with). Staff reload when nothing runs; every open page of the app then reloads, once
 * its check-in or enroll has finished, into the new version.
 */
function offerUpdates(registration: ServiceWorkerRegistration): () => void {
  const offer = () => {
    if (updateLine.hidden) announcer.say('A new version of this app is ready: staff can reload to update.');
    updateLine.hidden = false;
    updateButtons();
  };
  updateButton.onclick = () => {
    updateButton.disabled = true;
    // The worker waiting now (a newer one may have replaced the first): it takes over, and controllerchange reloads.
    if (registration.waiting) registration.waiting.postMessage({ type: 'localface-skip-waiting' });
    else location.reload();
  };
  const whenInstalled = (worker: ServiceWorker | null) =>
    worker?.addEventListener('statechange', () => {
      if (worker.state === 'installed' && navigator.serviceWorker.controller) offer();
    });
  if (registration.waiting && navigator.serviceWorker.controller) offer();
  // The browser looks for a new version as the page loads, long before this runs (after the models): a new worker
  // may be installing already, its updatefound past.
  whenInstalled(registration.installing);
  registration.addEventListener('updatefound', () => whenInstalled(registration.installing));
  // A page left open for days looks for a new version now and then, not only when it is loaded.
  setInterval(() => void registration.update().catch(() => undefined), UPDATE_CHECK_MS);
  return offer;
}

/** What the service worker (demo/shared/precache-sw.js) tells the page. */
interface PrecacheMessage {
  type: 'localface-precache-failed';
  app: string;
  reason: string;
}

/** The worker's answer to 'localface-precache-check': its cache checked, and what was missing fetched again. */
interface PrecacheStatus {
  type: 'localface-precache-status';
  app: string;
  cached: number;
  total: number;
  reason?: string;
  /** How many of the page's scripts that worker's version does not list. */
  foreign: number;
}

/** Asks the active worker whether every file of the app is cached (it refills what is not); undefined if it is silent. */
function precacheStatus(worker: ServiceWorker): Promise<PrecacheStatus | undefined> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => done(undefined), 120_000);
    const onMessage = (event: MessageEvent<PrecacheStatus | null>) => {
      if (event.data?.type === 'localface-precache-status' && event.data.app === 'checkin') done(event.data);
    };
    const done = (status: PrecacheStatus | undefined) => {
      clearTimeout(timer);
      navigator.serviceWorker.removeEventListener('message', onMessage);
      resolve(status);
    };
    navigator.serviceWorker.addEventListener('message', onMessage);
    // The scripts this page runs (its entry and the chunks it preloads), named by their content hashes.
    const scripts = [...document.querySelectorAll<HTMLScriptElement>('script[src]')].map((e) => e.src);
    for (const link of document.querySelectorAll<HTMLLinkElement>('link[rel="modulepreload"][href]'))
      scripts.push(link.href);
    worker.postMessage({ type: 'localface-precache-check', scripts });
  });
}

async function registerServiceWorker(): Promise<void> {
  if (!import.meta.env.PROD) {
    offlineLine.textContent = 'offline cache: only in the built app (npm run build:demo)';
    return;
  }
  if (!('serviceWorker' in navigator)) {
    // Browsers give service workers only to secure pages.
    offlineLine.textContent = window.isSecureContext
      ? 'offline cache: this browser has no service workers'
      : 'offline cache: needs a secure page (HTTPS, or localhost)';
    return;
  }
  // A failing install (a file missing, or not matching its build-time sha256) tells why before it ends.
  let installFailed = false;
  navigator.serviceWorker.addEventListener('message', (event: MessageEvent<PrecacheMessage | null>) => {
    if (event.data?.type !== 'localface-precache-failed' || event.data.app !== 'checkin') return;
    installFailed = true;
    // With a worker in charge, what failed is a new version's install: this version still works offline.
    offlineLine.textContent = navigator.serviceWorker.controller
      ? `offline ready; an update could not be installed: ${event.data.reason}; the next visit tries again`
      : `offline cache failed: ${event.data.reason}; the next visit tries again`;
  });
  navigator.serviceWorker.startMessages();
  try {
    const registering = await navigator.serviceWorker.register('./sw.js', { scope: './' });
    const offerUpdate = offerUpdates(registering);
    // A worker that ends before it is ready leaves "ready" pending: say so instead of waiting forever. Why it ended
    // is known only when its install said so (it also ends when the site's data is cleared, for one).
    registering.installing?.addEventListener('statechange', (event) => {
      if ((event.target as ServiceWorker).state === 'redundant' && !registering.active && !installFailed) {
        offlineLine.textContent =
          'offline cache: not installed (its service worker stopped); the next visit tries again';
      }
    });
    const registration = await navigator.serviceWorker.ready;
    // The worker activates only after it cached every file; the cache may have been evicted or cleared since, so the
    // worker checks it (and refills it) before the page says that the app works offline.
    const status = registration.active ? await precacheStatus(registration.active) : undefined;
    const whole = status !== undefined && status.cached === status.total && status.foreign === 0;
    // A version deployed between this page's load and its first worker taking it over: the worker serves that
    // version's files, which this page's library would refuse (their sha256 differ); a reload brings the page to it.
    if (status?.foreign) offerUpdate();
    offlineLine.textContent = whole
      ? `offline ready: ${status.cached} files cached`
      : status?.foreign
        ? 'offline ready for a newer version of this app, deployed as this page loaded: reload to update'
        : status
          ? `offline cache incomplete: ${status.cached} of ${status.total} files (${status.reason ?? 'not cached'}); the next visit tries again`
          : 'offline cache: its service worker did not answer; the next visit tries again';
    offlineLine.dataset.ready = String(whole);
    await requestPersistentStorage();
  } catch (error) {
    offlineLine.textContent = `offline cache failed: ${String(error)}`;
  }
}

const staff = wireStaffPinForm(
  { form: staffForm, input: staffPinInput, button: staffButton, message: staffMessage },
  {
    noPinYet: 'No staff PIN yet: choose one to enroll people and to export or clear the log.',
    onUnlock: () => {
      staffUnlockedLine.hidden = false;
      cameraChoice.hidden = false;
      void cameras.refreshList();
      logArea.hidden = false;
      logLocked.hidden = true;
      // Not awaited: the focus moves to the staff line at once, the rows follow.
      showLog().catch((error: unknown) => {
        logMessage.textContent = `Could not read the log: ${errorText(error)}`;
      });
    },
    onLock: () => {
      staffUnlockedLine.hidden = true;
      cameraChoice.hidden = true;
      // The names leave the page, not only the view.
      logArea.hidden = true;
      logLocked.hidden = false;
      logBody.replaceChildren();
      logMessage.textContent = '';
    },
    staffArea: [staffUnlockedLine, cameraChoice, logArea],
  },
);
staffLock.onclick = () => staff.lock();

/**
 * Whether a staff action may run now (staff mode, which it prolongs). A PIN gone since the unlock (the site's data
 * was cleared) ends staff mode: the next PIN is set afresh.
 */
function staffMayAct(): boolean {
  if (staff.unlocked && new StaffPin().isSet) {
    staff.touch();
    return true;
  }
  if (staff.unlocked) staff.lock();
  return false;
}

/** Why a staff action was refused: `what` ("Enrolling") needs the PIN. */
function staffOnly(what: string): string {
  return `${what} needs the staff PIN: ${new StaffPin().isSet ? 'enter' : 'set'} it under Staff first.`;
}

const checkIns = (count: number) => `${count} check-in${count === 1 ? '' : 's'}`;

/** The check-in log, once open (the table shows it while staff mode is on). */
let checkInLog: CheckInLog | undefined;

/** Shows the log's latest entries, in staff mode only: who checked in and when is not for everyone at the screen. */
async function showLog(): Promise<void> {
  const rows = staff.unlocked && checkInLog ? await checkInLog.all() : [];
  // Locked while the log was read: nothing is shown.
  renderLog(staff.unlocked ? rows : []);
}

function renderLog(rows: CheckIn[]): void {
  logBody.replaceChildren(
    ...rows
      .slice(-50)
      .reverse()
      .map((row) => {
        const tr = document.createElement('tr');
        tr.dataset.testid = 'log-row';
        const time = new Date(row.time);
        for (const text of [
          // The log keeps 30 days: an entry from another day shows its date too.
          time.toDateString() === new Date().toDateString() ? time.toLocaleTimeString() : time.toLocaleString(),
          row.result,
          row.personName,
          row.similarity?.toFixed(2) ?? '',
          row.detail,
        ]) {
          const td = document.createElement('td');
          td.textContent = text;
          tr.append(td);
        }
        return tr;
      }),
  );
}

/**
 * The camera's frames for the tracker (`cameras.current`, once the camera is on); staff choose the camera, kept for
 * this device as the kiosk's choice is.
 */
const cameras = new CameraSwitch({
  video,
  select: cameraSelect,
  note: cameraNote,
  place: 'this device',
  mayChoose: () => staffMayAct(),
  switched: (frames, connected) => {
    watchCamera(frames);
    // No camera worked before: its problem ("No camera", "Camera disconnected") is solved.
    if (connected) {
      cameraError = undefined;
      showVerdict('Camera connected.', '');
    }
    updateButtons();
  },
  // A check-in or an enroll runs on the camera shown: a change waits for it, and none starts during a change.
  idle: () => (busy ? new Promise<void>((resolve) => idleWaiters.push(resolve)) : Promise.resolve()),
  changing: (running) => {
    cameraChanging = running;
    updateButtons();
  },
});
/** Why there is no camera (refused, none found, not a secure page), once that is known: shown, and Check in stays off. */
let cameraError: string | undefined;
/** The models are loaded and the buttons wired. */
let ready = false;
/** A check-in or an enroll runs (one at a time). */
let busy = false;
/** Camera changes waiting for the check-in or enroll that runs. */
const idleWaiters: (() => void)[] = [];
/** A camera change runs: the camera shown is about to be replaced. */
let cameraChanging = false;

function updateButtons(): void {
  checkInButton.disabled = !ready || busy || cameraChanging || cameraError !== undefined;
  enrollButton.disabled = !ready || busy || cameraChanging;
  // Not in the middle of a check-in or an enroll: the new version would remove the files it loads.
  updateButton.disabled = busy;
}

function showCameraError(): void {
  showVerdict(cameraError ?? '', 'bad');
}

const CAMERA_STOPPED = 'Camera disconnected — reconnect the camera.';

/** A check-in follows the person for at most this long, waiting for the liveness decision. */
const CHECK_IN_MS = 6000;

/** Feeds camera frames to the tracker until the largest face's liveness is decided (or time runs out). */
async function followPerson(tracker: FaceTracker): Promise<TrackedFace | undefined> {
  tracker.reset();
  const until = performance.now() + CHECK_IN_MS;
  let face: TrackedFace | undefined;
  while (performance.now() < until) {
    const frame = await cameras.current!.take();
    try {
      face = (await tracker.process(frame)).tracks[0];
    } finally {
      frame.close();
    }
    if (face?.liveness) return face;
    await new Promise((resolve) => requestAnimationFrame(resolve));
  }
  return face;
}

async function checkIn(client: FaceClient, tracker: FaceTracker, log: CheckInLog): Promise<void> {
  try {
    await withCollection(client, () => checkInOnce(tracker, log));
  } catch (error) {
    if (gpuWasReset(error)) {
      // The models lived on the GPU the browser reset: a fresh page starts a new GPU context.
      showVerdict('The graphics processor was reset. Reloading the page…', 'bad');
      reloadIfIdle();
      return;
    }
    // e.g. the liveness models failing to load offline before the offline cache was ready
    showVerdict(
      cameras.current && !cameras.current.live
        ? CAMERA_STOPPED
        : `Could not check in: ${publicErrorText(error, { camera: true })} Press Check in to try again.`,
      'bad',
    );
  }
}

async function checkInOnce(tracker: FaceTracker, log: CheckInLog): Promise<void> {
  if (cameraError) {
    showCameraError();
    return;
  }
  // The <video> element keeps the camera's last picture: nobody is checked in from a frozen one.
  if (cameras.current && !cameras.current.live) {
    showVerdict(CAMERA_STOPPED, 'bad');
    return;
  }
  if (video.readyState < HTMLMediaElement.HAVE_CURRENT_DATA) {
    showVerdict('No camera picture yet: allow the camera for this page, or wait a moment.', 'bad');
    return;
  }
  showVerdict('Look at the camera…', '');
  const face = await followPerson(tracker);
  if (!face || !face.liveness) {
    // nobody, or not long enough in view: nothing to log
    showVerdict(
      face
        ? 'Hold still in front of the camera and try again.'
        : 'No face in view: stand in front of the camera and try again.',
      'bad',
    );
    return;
  }
  const entry: CheckIn = {
    time: Date.now(),
    result: 'unknown',
    personId: '',
    personName: '',
    similarity: null,
    detail: '',
  };
  if (!face.liveness.live) {
    const code = face.liveness.code ?? 'FACE_NOT_LIVE';
    Object.assign(entry, { result: 'not-live', detail: code });
  } else if (face.match) {
    Object.assign(entry, {
      result: 'checked-in',
      personId: face.match.personId,
      personName: face.match.personName,
      similarity: face.match.similarityScore,
    });
  }
  await log.add(entry);
  if (entry.result === 'checked-in')
    showWelcome(`Welcome, ${entry.personName} (similarity ${entry.similarity!.toFixed(2)})`);
  else if (entry.result === 'unknown') showVerdict('Not recognised: ask staff to enroll you.', 'bad');
  // Said as what to do (the code stays in the log's detail column).
  else {
    const advice = adviceFor(entry.detail);
    showVerdict(
      advice === 'Try again'
        ? 'Not checked in: the liveness check could not decide. Press Check in to try again.'
        : `Not checked in: ${advice}, then press Check in again.`,
      'bad',
    );
  }
  await showLog();
}

/** Whom a duplicate face belongs to (staff may know: they see the log), if they can be looked up. */
async function duplicateName(client: FaceClient, error: unknown): Promise<string | undefined> {
  if (!(error instanceof FaceError) || error.code !== 'ERR_DUPLICATE_FACE') return undefined;
  const personId = error.metadata?.personId;
  if (typeof personId !== 'string') return undefined;
  try {
    const person = await withCollection(client, () => client.getPerson({ collectionName: COLLECTION, personId }));
    return person.personName || undefined;
  } catch {
    return undefined; // deleted meanwhile: the message names nobody
  }
}

async function enroll(client: FaceClient): Promise<void> {
  const name = enrollName.value.trim();
  const photo = enrollFile.files?.[0];
  // The field is required, but spaces fill it: the kiosk's words, before anything is read.
  if (!name) {
    enrollMessage.className = 'bad';
    enrollMessage.textContent = 'Type the person’s name first: a name is needed to enroll.';
    return;
  }
  if (!photo && (!cameras.current?.live || video.readyState < HTMLMediaElement.HAVE_CURRENT_DATA)) {
    enrollMessage.className = 'bad';
    enrollMessage.textContent = cameras.current
      ? 'The camera sends no picture: pick a photo, or reconnect the camera.'
      : cameraError
        ? 'Pick a photo: this page has no camera picture to enroll from.'
        : 'Pick a photo, or allow the camera to enroll from it.';
    return;
  }
  enrollMessage.className = '';
  enrollMessage.textContent = `Enrolling ${name}…`;
  let face: Blob | ImageBitmap | undefined;
  let outcome: { className: string; text: string };
  try {
    // No photo picked: enroll from the camera, where liveness is checked too.
    face = photo ? await fitPhoto(photo) : await createImageBitmap(video);
    const personId = `p-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 7)}`;
    const enrolling = face;
    await withCollection(client, () =>
      client.enrollPerson({
        collectionName: COLLECTION,
        personId,
        personName: name,
        face: enrolling,
        checkLiveness: !photo,
        // A group photo is refused, not enrolled as its largest face (the kiosk too wants one person in view).
        validateNface: true,
        checkDuplicates: true,
        // Nothing in the demos shows a stored face: the template alone, no face image kept on the device.
        faceStorageType: 'NoStorage',
      }),
    );
    outcome = { className: 'ok', text: `Enrolled ${name}.` };
    enrollForm.reset();
  } catch (error) {
    // In staff's words: the library's own are for developers (argument names, options, ids).
    outcome = {
      className: 'bad',
      text: faceErrorText(error, { camera: !photo, duplicateName: await duplicateName(client, error) }),
    };
  } finally {
    if (face instanceof ImageBitmap) face.close();
  }
  try {
    peopleCount.textContent = String((await withCollection(client, () => client.listPersons(COLLECTION))).total);
  } catch {
    // the count stays as it was
  }
  // Said last: when staff read the outcome the enroll is over, and Check in is usable again (it is off meanwhile).
  enrollMessage.className = outcome.className;
  enrollMessage.textContent = outcome.text;
}

async function enrolledIds(client: FaceClient): Promise<Set<string>> {
  const ids = new Set<string>();
  for (let offset = 0; ; offset += 1000) {
    const { persons, total } = await client.listPersons(COLLECTION, { offset, limit: 1000 });
    for (const p of persons) ids.add(p.personId);
    if (offset + 1000 >= total) return ids;
  }
}

function download(name: string, text: string): void {
  const link = document.createElement('a');
  link.href = URL.createObjectURL(new Blob([text], { type: CSV_TYPE }));
  link.download = name;
  link.click();
  setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
}

/** Says when the camera shown stops sending pictures (unplugged: the <video> element keeps its last one), and again. */
function watchCamera(frames: CameraFrames): void {
  frames.onLiveChange((live) => {
    if (frames !== cameras.current) return;
    if (live && verdict.textContent === CAMERA_STOPPED) showVerdict('', '');
    else if (!live) showVerdict(CAMERA_STOPPED, 'bad');
  });
}

/**
 * Starts the camera beside the models: an unanswered permission prompt does not hold up enrolling from photos
 * (check-in and enroll from the camera check that a picture has arrived). A camera that cannot start says why, and
 * Check in stays off until one is plugged in.
 */
function startCamera(): Promise<CameraFrames> {
  // Cameras plugged in meanwhile are followed once the models are loaded (not at all if they fail to).
  cameras.follow(modelsStarted);
  cameras.wireChoice();
  const starting = cameras.start();
  starting.then(watchCamera, (error: unknown) => {
    const unavailable = cameraUnavailable();
    cameraError = unavailable
      ? `No camera: ${unavailable}.`
      : `No camera: ${cameraProblem(error)}. Staff can still enroll people from photos.`;
    showCameraError();
    updateButtons();
  });
  return starting;
}
let modelsReady!: (started: boolean) => void;
const modelsStarted = new Promise<boolean>((resolve) => (modelsReady = resolve));
const cameraStarting = startCamera();

try {
  const log = await CheckInLog.open();
  checkInLog = log;
  await showLog();
  $('export').onclick = async () => {
    if (!staffMayAct()) {
      logMessage.textContent = staffOnly('Exporting the log');
      return;
    }
    try {
      download(csvFileName(Date.now()), toCsv(await log.all()));
      logMessage.textContent = '';
    } catch (error) {
      logMessage.textContent = `Could not export the log: ${errorText(error)}`;
    }
  };
  $('clear-log').onclick = async () => {
    if (!staffMayAct()) {
      logMessage.textContent = staffOnly('Clearing the log');
      return;
    }
    try {
      const entries = checkIns((await log.all()).length);
      // Nothing undoes it: staff confirm, told how many entries go.
      if (!confirm(`Delete ${entries} from this device? Export the CSV first to keep them.`)) {
        logMessage.textContent = 'The log was not cleared.';
        return;
      }
      await log.clear();
      renderLog([]);
      logMessage.textContent = `Cleared ${entries}.`;
    } catch (error) {
      logMessage.textContent = `Could not clear the log: ${errorText(error)}`;
    }
  };
  // Every stage's bytes so far against all expected (~17 MB on a first visit; a second reads them from the cache).
  const loaded = new Map<string, LoadProgress>();
  const client = await createFaceClient({
    modelBaseUrl,
    databaseName: DATABASE,
    onProgress: (p) => {
      loaded.set(p.stage, p);
      progressBar.max = [...loaded.values()].reduce((s, x) => s + x.total, 0) || 1;
      progressBar.value = [...loaded.values()].reduce((s, x) => s + x.loaded, 0);
    },
  });
  progressBar.hidden = true;
  await ensureCollection(client);
  peopleCount.textContent = String((await client.listPersons(COLLECTION)).total);
  // Persons deleted since the last visit (at the kiosk, or through the API) leave no entries behind.
  if (await log.keepOnly(await enrolledIds(client))) await showLog();
  const threads = client.threads === 2 ? ', 2 threads' : '';
  statusLine.textContent = `Ready on ${client.backend.toUpperCase()}${threads}${navigator.onLine ? '' : ' (offline)'}`;
  // Registered once the models are loaded: its install then takes them from the library's model cache instead of
  // downloading them a second time.
  void registerServiceWorker();
  const once = (work: () => Promise<void>, button: HTMLButtonElement) => async () => {
    if (busy || cameraChanging) return;
    // Disabled while the work runs, a focused button loses the focus: it gets it back afterwards.
    const hadFocus = document.activeElement === button;
    busy = true;
    updateButtons();
    try {
      await work();
    } finally {
      busy = false;
      for (const wake of idleWaiters.splice(0)) wake();
      updateButtons();
      if (hadFocus && !button.disabled) restoreFocus(button);
      if (reloadWhenIdle) location.reload();
    }
  };
  // keepFrames: false: enrolls store no images (NoStorage), so no whole frames are kept.
  const tracker = client.createFaceTracker({
    collectionName: COLLECTION,
    liveness: true,
    maxFaces: 1,
    keepFrames: false,
  });
  checkInButton.onclick = once(() => checkIn(client, tracker, log), checkInButton);
  enrollForm.onsubmit = (event) => {
    event.preventDefault();
    // A photo enrolls without a liveness check: enrolling is for staff, like the kiosk's staff panel.
    if (!staffMayAct()) {
      enrollMessage.className = 'bad';
      enrollMessage.textContent = staffOnly('Enrolling');
      return;
    }
    void once(() => enroll(client), enrollButton)();
  };
  ready = true;
  updateButtons();
  modelsReady(true);
} catch (error) {
  modelsReady(false);
  // Nothing will look at the camera: its light goes off.
  void cameraStarting.then(
    () => cameras.stop(),
    () => undefined,
  );
  progressBar.hidden = true;
  statusLine.textContent = `Could not start: ${publicErrorText(error)} Reload the page to try again.`;
  if (error instanceof FaceError && error.code === 'ERR_MODEL_LOAD_FAILED' && 'serviceWorker' in navigator) {
    await purgeOfflineCache('checkin');
    offlineLine.textContent = 'offline cache cleared after a model failed to load: reload while online';
  }
}
