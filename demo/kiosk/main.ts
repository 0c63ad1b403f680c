// The webcam kiosk: live camera, boxes over the video, enroll by name, continuous check-in, on the face tracker.
// Recognition runs in a Worker (with OffscreenCanvas, so TF.js can use WebGL there too) and falls back to this
// thread where the browser has no such worker. One frame is in work at a time; frames that arrive meanwhile are
// skipped, never queued, so the picture stays live and the answer is never older than one frame. A camera frame is
// handed to the worker as a VideoFrame (transferred, its pixels read once there), not copied through a canvas.
import type { LoadProgress } from 'localface';
import { Announcer, restoreFocus, SettledAnnouncer } from '../shared/announcer';
import type { CameraFrames } from '../shared/cameraFrames';
import { CameraSwitch } from '../shared/cameraSwitch';
import { cameraProblem } from '../shared/cameraProblem';
import { faceErrorText, publicErrorText } from '../shared/faceErrors';
import { modelBaseUrl } from '../shared/models';
import { StaffPin } from '../shared/staffPin';
import { wireStaffPinForm, type StaffMode } from '../shared/staffPinForm';
import { adviceFor, KioskEngine, type EnrollOutcome, type FrameResult, type KioskPerson } from './engine';
import type { EngineCalls, EngineMethod, FromWorker, ToWorker } from './rpc';

interface EngineHandle {
  readonly backend: string;
  readonly mode: 'worker' | 'main thread';
  processFrame(frame: ImageBitmap | VideoFrame, timestampMs: number): Promise<FrameResult>;
  enroll(name: string): Promise<EnrollOutcome>;
  people(): Promise<KioskPerson[]>;
  remove(personId: string): Promise<void>;
  reset(): Promise<void>;
}

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const video = $<HTMLVideoElement>('video'),
  overlay = $<HTMLCanvasElement>('overlay');
const statusLine = $('status'),
  fpsLine = $('fps'),
  modeLine = $('mode'),
  loading = $('loading');
const progressBar = $<HTMLProgressElement>('progress');
const enrollForm = $<HTMLFormElement>('enroll-form'),
  enrollName = $<HTMLInputElement>('enroll-name');
const enrollButton = $<HTMLButtonElement>('enroll-button'),
  enrollMessage = $('enroll-message'),
  peopleList = $('people');
const staffForm = $<HTMLFormElement>('staff-form'),
  staffPin = $<HTMLInputElement>('staff-pin'),
  staffButton = $<HTMLButtonElement>('staff-button');
const staffMessage = $('staff-message'),
  staffPanel = $('staff-panel'),
  staffLock = $<HTMLButtonElement>('staff-lock');
const cameraSelect = $<HTMLSelectElement>('camera-select'),
  cameraNote = $('camera-note');

staffForm.onsubmit = (event) => {
  // until the engine is ready
  event.preventDefault();
  staffMessage.textContent = 'The kiosk is still starting: try again in a moment.';
};

/** What a screen reader says: who is in view (once it has settled, not at every frame), and problems at once. */
const announcer = new Announcer();
const presence = new SettledAnnouncer(announcer);

const loadedBytes = new Map<string, LoadProgress>();
function showProgress(p: LoadProgress): void {
  loadedBytes.set(p.stage, p);
  const all = [...loadedBytes.values()];
  progressBar.max = all.reduce((s, x) => s + x.total, 0) || 1;
  progressBar.value = all.reduce((s, x) => s + x.loaded, 0);
}

/** The engine in a Worker; rejects if the worker cannot start it (then the page uses its own thread). */
function startWorkerEngine(): Promise<EngineHandle> {
  // Built site: the worker is an entry of the demo build (vite.demo.config.ts) next to this chunk, sharing the
  // library chunk with the page.
  const url = import.meta.env.DEV
    ? new URL(/* @vite-ignore */ './kioskWorker.ts', import.meta.url)
    : new URL(/* @vite-ignore */ './kiosk-worker.js', import.meta.url);
  const worker = new Worker(url, { type: 'module', name: 'localface-kiosk' });
  const pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  let nextId = 1;
  const call = <M extends EngineMethod>(method: M, args: EngineCalls[M]['args'], transfer: Transferable[] = []) =>
    new Promise<EngineCalls[M]['result']>((resolve, reject) => {
      const id = nextId++;
      pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      worker.postMessage({ kind: 'call', id, method, args } satisfies ToWorker, transfer);
    });
  return new Promise((resolve, reject) => {
    let started = false;
    worker.onerror = (event) => {
      const error = new Error(
        started ? `the recognition worker stopped: ${event.message}` : `the worker failed to start: ${event.message}`,
      );
      // Calls in flight would otherwise wait forever (and the live loop with them).
      for (const waiting of pending.values()) waiting.reject(error);
      pending.clear();
      reject(error);
    };
    worker.onmessage = (event: MessageEvent<FromWorker>) => {
      const message = event.data;
      if (message.kind === 'progress') showProgress(message.progress);
      else if (message.kind === 'failed') {
        worker.terminate();
        reject(Object.assign(new Error(message.error.message), message.error));
      } else if (message.kind === 'ready') {
        started = true;
        resolve({
          backend: message.backend,
          mode: 'worker',
          processFrame: (frame, timestampMs) => call('processFrame', [frame, timestampMs], [frame]),
          enroll: (name) => call('enroll', [name]),
          people: () => call('people', []),
          remove: (personId) => call('remove', [personId]),
          reset: () => call('reset', []),
        });
      } else {
        const waiting = pending.get(message.id);
        pending.delete(message.id);
        if (message.kind === 'result') waiting?.resolve(message.result);
        else waiting?.reject(Object.assign(new Error(message.error.message), message.error));
      }
    };
    worker.postMessage({ kind: 'init', modelBaseUrl } satisfies ToWorker);
  });
}

/** The same engine on this thread, with its calls run one after another like the worker does. */
async function startMainThreadEngine(): Promise<EngineHandle> {
  const engine = await KioskEngine.create(modelBaseUrl, showProgress);
  let queue: Promise<unknown> = Promise.resolve();
  const serial = <T>(work: () => Promise<T>): Promise<T> => {
    const run = queue.then(work);
    queue = run.catch(() => undefined);
    return run;
  };
  const closing = <T>(frame: ImageBitmap | VideoFrame, work: () => Promise<T>) =>
    serial(work).finally(() => frame.close());
  return {
    backend: engine.backend,
    mode: 'main thread',
    processFrame: (frame, timestampMs) => closing(frame, () => engine.processFrame(frame, timestampMs)),
    enroll: (name) => serial(() => engine.enroll(name)),
    people: () => serial(() => engine.people()),
    remove: (personId) => serial(() => engine.remove(personId)),
    reset: () => serial(() => engine.reset()),
  };
}

async function startEngine(): Promise<EngineHandle> {
  const forceMainThread = new URLSearchParams(location.search).get('thread') === 'main';
  if (!forceMainThread && typeof Worker === 'function' && typeof OffscreenCanvas === 'function') {
    try {
      return await startWorkerEngine();
    } catch (error) {
      console.warn('LocalFace kiosk: recognition in a worker failed, using the page thread instead.', error);
    }
  }
  return startMainThreadEngine();
}

/**
 * The camera's frames (`cameras.current`), handed to the engine without copying their pixels (transferred to the
 * worker); staff choose the camera in the staff panel.
 */
const cameras = new CameraSwitch({
  video,
  select: cameraSelect,
  note: cameraNote,
  place: 'this kiosk',
  mayChoose: () => {
    if (!staffUnlocked()) return false;
    staff?.touch();
    return true;
  },
  switched: (frames, connected) => cameraSwitched(frames, connected),
});

let lastProblem = { text: '', at: 0 };

function showProblem(text: string): void {
  statusLine.textContent = text;
  statusLine.className = 'problem';
  presence.reset(); // once it is solved, who is in view is said again
  // A failure repeated at every frame is read out once (again after a while if it persists).
  const now = performance.now();
  if (text === lastProblem.text && now - lastProblem.at < 30_000) return;
  lastProblem = { text, at: now };
  announcer.say(text, 'assertive');
}

// ---- the live loop ----------------------------------------------------------------------------------------------
let latest: FrameResult | undefined;
let inFlight = false;
let skipped = 0;
const finishedAt: number[] = [];
/**
 * Counters for benchmarks and tests (tools/kiosk-fps/fps.mjs reads them): per-stage ms summed over frames, the
 * boxes drawn for the latest frame, and for each track the time from its first frame being grabbed to its name
 * on screen (`namedAfterMs`).
 */
const stats = {
  processed: 0,
  skipped: 0,
  engineMs: 0,
  decodeMs: 0,
  detectMs: 0,
  embedMs: 0,
  searchMs: 0,
  checksMs: 0,
  embedRuns: 0,
  boxes: 0,
  /** The last 400 namings (tools/kiosk-fps/fps.mjs reads those made while it measures: far fewer). */
  namedAfterMs: [] as number[],
  /** The last 400 frames: when grabbed and finished (page clock), engine ms, timings, and each track's state. */
  recentFrames: [] as {
    grabbedAt: number;
    doneAt: number;
    ms: number;
    timings: FrameResult['timings'];
    tracks: { trackId: number; live?: boolean; named: boolean }[];
  }[],
  mode: '',
};
/** For each track in view: when its first frame was grabbed (-1 once named), and when it was last seen. */
const trackFirstGrabbed = new Map<number, { first: number; lastSeen: number }>();
/** A track unseen this long has ended (the tracker ends them after 400 ms): its entry goes. */
const TRACK_GONE_MS = 2000;
declare global {
  interface Window {
    kioskStats: typeof stats;
  }
}
window.kioskStats = stats;

function framesPerSecond(now: number): number {
  while (finishedAt.length && now - finishedAt[0]! > 3000) finishedAt.shift();
  if (finishedAt.length < 2) return 0;
  return (finishedAt.length - 1) / ((finishedAt[finishedAt.length - 1]! - finishedAt[0]!) / 1000);
}

/**
 * The status line for a frame, its class, and what a screen reader is told: `key` names the state (a name, not the
 * similarity that changes at every frame), so that only a change of state is read out.
 */
function describe(result: FrameResult | undefined): { text: string; kind: string; key: string; spoken: string } {
  const said = (text: string, kind: string, key = text, spoken = text) => ({ text, kind, key, spoken });
  const face = result?.tracks[0];
  if (!face) return said('No one in view: step in front of the camera to check in', 'unknown');
  // A face that is not live is never named (the engine does not even send the name): a photo of someone enrolled
  // must not reveal who they are.
  if (face.live === false) {
    const why =
      face.notLiveCode && face.notLiveCode !== 'FACE_NOT_LIVE'
        ? ` (${adviceFor(face.notLiveCode).toLowerCase()})`
        : ' (photo or screen?)';
    return said(`NOT LIVE${why}: not checked in`, 'spoof', 'not live', `Not live${why}: not checked in.`);
  }
  // Until liveness is decided everyone sees the same words, enrolled or not (the engine sends no match before).
  if (face.live === undefined) return said('Checking… hold still a moment', 'unknown');
  if (!face.match) return said('Face not recognised: enroll below', 'unknown');
  const { name, similarity } = face.match;
  return said(`${name} — similarity ${similarity.toFixed(2)} · live`, 'known', `known:${name}`, `Recognised: ${name}.`);
}

function draw(): void {
  const width = video.videoWidth,
    height = video.videoHeight;
  if (!width) return;
  if (overlay.width !== width || overlay.height !== height) {
    overlay.width = width;
    overlay.height = height;
  }
  const g = overlay.getContext('2d')!;
  g.clearRect(0, 0, width, height);
  g.lineWidth = Math.max(2, width / 240);
  g.font = `${Math.round(width / 32)}px system-ui, sans-serif`;
  for (const face of latest?.tracks ?? []) {
    const colour = face.live === false ? '#ff8c00' : !face.match ? '#bbbbbb' : '#2ecc40';
    g.strokeStyle = colour;
    // Not by colour alone: a face that is not live has a dashed box, and every box says what it is.
    g.setLineDash(face.live === false ? [g.lineWidth * 4, g.lineWidth * 3] : []);
    // The video is shown mirrored (a self-view reads like a mirror), so boxes are mirrored too; labels are not.
    const x = width - face.box.x - face.box.width;
    g.strokeRect(x, face.box.y, face.box.width, face.box.height);
    const label =
      face.live === false
        ? 'not live'
        : face.match
          ? `${face.match.name} · live`
          : face.live === undefined
            ? 'checking…'
            : 'not recognised';
    if (label) {
      g.fillStyle = colour;
      g.fillRect(x, face.box.y - width / 26, g.measureText(label).width + 12, width / 26);
      g.fillStyle = '#000';
      g.fillText(label, x + 6, face.box.y - width / 110);
    }
  }
}

let looping = false;

function startLoop(engine: EngineHandle): void {
  if (looping) return;
  looping = true;
  let frameWaiting = false;
  const processFrame = async () => {
    const frames = cameras.current;
    if (!frames?.live || video.readyState < HTMLMediaElement.HAVE_CURRENT_DATA) return;
    inFlight = true;
    frameWaiting = false;
    try {
      const grabbedAt = performance.now();
      const result = await engine.processFrame(await frames.take(), grabbedAt);
      // The camera stopped (or was replaced) meanwhile: its "Camera disconnected" stays, not a stale answer.
      if (frames !== cameras.current || !frames.live) return;
      latest = result;
      finishedAt.push(performance.now());
      stats.processed++;
      stats.engineMs += latest.ms;
      const t = latest.timings;
      stats.decodeMs += t.decodeMs;
      stats.detectMs += t.detectMs;
      stats.embedMs += t.embedMs;
      stats.searchMs += t.searchMs;
      stats.checksMs += t.checksMs;
      if (t.embedMs > 0) stats.embedRuns++;
      stats.boxes = latest.tracks.length;
      stats.recentFrames.push({
        grabbedAt,
        doneAt: performance.now(),
        ms: latest.ms,
        timings: t,
        tracks: latest.tracks.map((x) => ({ trackId: x.trackId, live: x.live, named: x.match !== undefined })),
      });
      if (stats.recentFrames.length > 400) stats.recentFrames.shift();
      for (const track of latest.tracks) {
        let seen = trackFirstGrabbed.get(track.trackId);
        if (!seen) trackFirstGrabbed.set(track.trackId, (seen = { first: grabbedAt, lastSeen: grabbedAt }));
        seen.lastSeen = grabbedAt;
        if (track.match && seen.first >= 0) {
          stats.namedAfterMs.push(performance.now() - seen.first);
          seen.first = -1; // named: counted once
        }
      }
      if (stats.namedAfterMs.length > 400) stats.namedAfterMs.shift();
      // The tracks in view, not every track since the page opened.
      for (const [trackId, seen] of trackFirstGrabbed)
        if (grabbedAt - seen.lastSeen > TRACK_GONE_MS) trackFirstGrabbed.delete(trackId);
      draw();
      const { text, kind, key, spoken } = describe(latest);
      // "Enrolled <name>." is for the person who enrolled: it goes when they leave, not shown to whoever comes next.
      if (latest.tracks.length === 0 && !enrolling && enrollMessage.classList.contains('ok')) {
        enrollMessage.className = 'advice';
        enrollMessage.textContent = '';
      }
      statusLine.textContent = text;
      statusLine.className = kind;
      lastProblem = { text: '', at: 0 };
      presence.update(key, spoken);
      fpsLine.textContent = `${framesPerSecond(performance.now()).toFixed(1)} fps`;
      fpsLine.title = `${Math.round(latest.ms)} ms for the last frame (decode ${Math.round(t.decodeMs)}, detect ${Math.round(t.detectMs)}, embed ${Math.round(t.embedMs)}, search ${Math.round(t.searchMs)}, checks ${Math.round(t.checksMs)}); ${skipped} camera frames skipped so far`;
    } catch (error) {
      if (frames !== cameras.current || !frames.live) return; // the camera's own message stays
      showProblem(`Recognition failed: ${(error as Error).message}`);
    } finally {
      inFlight = false;
    }
    // A camera frame that arrived meanwhile is taken at once (not at the next camera frame or animation frame).
    if (frameWaiting) void processFrame();
  };
  // Each new camera frame: processed if the engine is free, else the latest is taken when it is (frames that arrive
  // meanwhile are skipped, never queued). Without requestVideoFrameCallback, every animation frame.
  const onFrame = () => {
    if ('requestVideoFrameCallback' in video) video.requestVideoFrameCallback(onFrame);
    else requestAnimationFrame(onFrame);
    if (inFlight) {
      if (frameWaiting) {
        skipped++;
        stats.skipped++;
      }
      frameWaiting = true;
      return;
    }
    void processFrame();
  };
  onFrame();
}

/** The last answer, its boxes and the frame-rate window go with the picture they were about. */
function forgetPicture(): void {
  latest = undefined;
  stats.boxes = 0;
  overlay.getContext('2d')!.clearRect(0, 0, overlay.width, overlay.height);
  finishedAt.length = 0;
}

/**
 * Follows the camera: when it stops sending pictures the last answer and its boxes go, the engine forgets its
 * tracks and Enroll waits for pictures again (the <video> element would keep showing the last one, frozen).
 */
function watchCamera(engine: EngineHandle, frames: CameraFrames): void {
  const changed = (live: boolean) => {
    if (frames !== cameras.current) return;
    updateEnrollButton();
    if (live) return; // the loop's next frame says who is in view
    forgetPicture();
    fpsLine.textContent = '– fps';
    showProblem(
      video.srcObject instanceof MediaStream && video.srcObject.active
        ? 'The camera sends no picture: check the camera.'
        : 'Camera disconnected — reload or reconnect the camera.',
    );
    void engine.reset().catch(() => undefined);
  };
  frames.onLiveChange(changed);
  if (!frames.live) changed(false); // it stopped before it was watched
}

/** The engine, once it runs: a camera switched in is watched and its frames go to it. */
let runningEngine: EngineHandle | undefined;

/**
 * A camera replaced the one shown. The tracker forgets the faces of the old picture: a track does not carry over from
 * one camera to another.
 */
async function cameraSwitched(frames: CameraFrames, connected: boolean): Promise<void> {
  const engine = runningEngine;
  if (!engine) return;
  forgetPicture();
  await engine.reset().catch(() => undefined);
  watchCamera(engine, frames);
  updateEnrollButton();
  startLoop(engine);
  if (connected) {
    statusLine.textContent = 'Camera connected.';
    statusLine.className = 'unknown';
    announcer.say('Camera connected.');
  }
}

// ---- enrolment and the people list ------------------------------------------------------------------------------
let enrolling = false;
let enrolmentWired = false;

/** Enroll takes the face from the camera's latest frames: only while the camera sends them. */
function updateEnrollButton(): void {
  enrollButton.disabled = !enrolmentWired || enrolling || !cameras.current?.live;
  // The name being enrolled is the one submitted: it is not edited while the enrolment waits for a live frame.
  enrollName.readOnly = enrolling;
}

/** The face tracker's default minSimilarityScore, which the kiosk uses. */
const RECOGNITION_THRESHOLD = 0.7;
/** How long a Delete button waits for its second press. */
const DELETE_CONFIRM_MS = 5000;
/** Staff mode (the people list), once the staff form is wired. */
let staff: StaffMode | undefined;
const staffUnlocked = () => staff?.unlocked === true;

function wireStaff(engine: EngineHandle): void {
  staffMessage.textContent = ''; // "still starting", if staff tried before
  const mode = wireStaffPinForm(
    { form: staffForm, input: staffPin, button: staffButton, message: staffMessage },
    {
      noPinYet: 'No staff PIN yet: choose one to manage enrolled people.',
      onUnlock: async () => {
        staffPanel.hidden = false;
        void cameras.refreshList();
        await refreshPeopleOrSay(engine);
      },
      onLock: () => {
        staffPanel.hidden = true;
        peopleList.replaceChildren(); // names are not left in the page either
      },
      focusOnUnlock: $('staff-panel-heading'),
      staffArea: [staffPanel],
    },
  );
  staff = mode;
  staffLock.onclick = () => mode.lock();
  // Any click in the staff panel is a staff action.
  staffPanel.addEventListener('click', () => mode.touch());
}

/** refreshPeople, with a failure shown to staff instead of a silent stale list. */
async function refreshPeopleOrSay(engine: EngineHandle): Promise<void> {
  try {
    await refreshPeople(engine);
  } catch (error) {
    staffMessage.textContent = `Could not list the people: ${(error as Error).message}`;
  }
}

async function refreshPeople(engine: EngineHandle): Promise<void> {
  if (!staffUnlocked()) return;
  const people = await engine.people();
  // Locked (by hand or by the idle timer) while the list was read: names are not put back into the page.
  if (!staffUnlocked()) return;
  peopleList.replaceChildren(
    ...people.map((person) => {
      const item = document.createElement('li');
      item.dataset.testid = 'person';
      const name = document.createElement('span');
      name.textContent = person.personName || person.personId;
      const remove = document.createElement('button');
      remove.textContent = 'Delete';
      remove.setAttribute('aria-label', `Delete ${name.textContent}`);
      // A deletion cannot be undone: the first press asks, a second one within a few seconds deletes (not the second
      // click of a double click, which asked nothing).
      let asked: ReturnType<typeof setTimeout> | undefined;
      const question = () => `Press again to delete ${name.textContent} for good.`;
      const unask = () => {
        clearTimeout(asked);
        asked = undefined;
        remove.textContent = 'Delete';
        remove.setAttribute('aria-label', `Delete ${name.textContent}`);
        if (staffMessage.textContent === question()) staffMessage.textContent = '';
      };
      remove.onblur = unask;
      remove.onclick = async (event) => {
        if (!staffUnlocked()) return;
        if (asked === undefined) {
          remove.textContent = 'Really delete?';
          remove.setAttribute('aria-label', `Really delete ${name.textContent}?`);
          staffMessage.textContent = question();
          asked = setTimeout(unask, DELETE_CONFIRM_MS);
          return;
        }
        if (event.detail > 1) return; // the second click of a double click (a key press has detail 0)
        unask();
        const position = [...peopleList.children].indexOf(item);
        remove.disabled = true;
        try {
          await engine.remove(person.personId);
          staffMessage.textContent = `Deleted ${name.textContent}.`;
        } catch (error) {
          // e.g. deleted meanwhile in another tab: say so, and show the list as it is now
          staffMessage.textContent = `Could not delete ${name.textContent}: ${(error as Error).message}`;
        }
        await refreshPeopleOrSay(engine);
        remove.disabled = false; // still in the page only if the list could not be read again: it works again
        // The button (and the focus on it) is gone: the focus goes to the next person's Delete, else the heading.
        const buttons = peopleList.querySelectorAll('button');
        if (staffUnlocked()) restoreFocus(buttons[Math.min(position, buttons.length - 1)] ?? $('staff-panel-heading'));
      };
      item.append(name);
      if (person.lookAlike) {
        // Staff see who could be confused: a look-alike at or above the recognition threshold is flagged.
        const alike = document.createElement('span');
        alike.dataset.testid = 'look-alike';
        const close = person.lookAlike.similarityScore >= RECOGNITION_THRESHOLD;
        alike.className = close ? 'meta look-alike-close' : 'meta';
        alike.textContent = `most like ${person.lookAlike.name} (${person.lookAlike.similarityScore.toFixed(2)}${close ? ': could be confused' : ''})`;
        item.append(alike);
      }
      item.append(remove);
      return item;
    }),
  );
  if (!people.length) peopleList.innerHTML = '<li class="meta">Nobody yet.</li>';
}

function wireEnrolment(engine: EngineHandle): void {
  enrolmentWired = true;
  updateEnrollButton();
  enrollForm.onsubmit = async (event) => {
    event.preventDefault();
    if (enrolling || !cameras.current?.live) return;
    // Whoever sets the first staff PIN can list and delete everyone: people are enrolled here only once staff have
    // set it, so a passer-by cannot claim a kiosk that holds the people enrolled at it.
    if (!new StaffPin().isSet) {
      enrollMessage.className = 'advice';
      enrollMessage.textContent = 'This kiosk is not set up yet: staff must first set a staff PIN (below).';
      return;
    }
    const buttonHadFocus = document.activeElement === enrollButton;
    enrolling = true;
    updateEnrollButton();
    enrollMessage.className = 'advice';
    enrollMessage.textContent = 'Checking the picture (quality, occlusion, liveness)…';
    try {
      // The face's liveness is decided over a few frames: while it is not yet, ask again as frames arrive.
      const name = enrollName.value;
      let outcome = await engine.enroll(name);
      for (let attempt = 0; !outcome.ok && outcome.pending && attempt < 20; attempt++) {
        // The same advice again is not written again: the message is a status region, read out at each change.
        const advice = `${outcome.advice.join(' · ')}…`;
        if (enrollMessage.textContent !== advice) enrollMessage.textContent = advice;
        await new Promise((resolve) => setTimeout(resolve, 250));
        outcome = await engine.enroll(name);
      }
      if (outcome.ok) {
        enrollMessage.className = 'advice ok';
        enrollMessage.textContent = `Enrolled ${outcome.name}.`;
        enrollName.value = '';
        await refreshPeopleOrSay(engine); // a failure to list is not a failure to enroll
      } else if (outcome.pending) {
        // The liveness decision did not come in time (e.g. the face kept moving, or frames came slowly).
        enrollMessage.textContent = 'Could not confirm liveness in time — press Enroll again.';
      } else {
        enrollMessage.textContent = `${outcome.advice.join(' · ')} — ${outcome.message}`;
      }
    } catch (error) {
      // The demos' words for the library's errors (a full disk, say), not its words for developers.
      enrollMessage.textContent = `Could not enroll: ${faceErrorText(error, { camera: true })}`;
    } finally {
      enrolling = false;
      updateEnrollButton();
      // Disabled while it ran, the button lost the focus: it gets it back (the name field, if the camera stopped).
      if (buttonHadFocus) restoreFocus(enrollButton.disabled ? enrollName : enrollButton);
    }
  };
}

/** Asks that the enrolled people survive storage pressure (best-effort storage may be evicted) and shows the answer. */
async function requestPersistentStorage(): Promise<void> {
  const line = $('storage');
  if (!navigator.storage?.persist) {
    line.textContent = window.isSecureContext
      ? 'Storage: this browser cannot promise to keep it (no navigator.storage.persist).'
      : 'Storage: best-effort — only a secure page (HTTPS, or localhost) can ask the browser to keep it.';
    return;
  }
  const persisted = await navigator.storage.persist().catch(() => false);
  line.dataset.persisted = String(persisted);
  line.textContent = persisted
    ? 'Storage: persistent — the browser will not evict the enrolled people.'
    : 'Storage: best-effort — the browser refused persistence and may clear the enrolled people when space runs low.';
}
void requestPersistentStorage();

async function main(): Promise<void> {
  // The camera and the engine start side by side, and either can fail alone: staff manage people without a camera.
  let engineFailed = false;
  let engineStarted = false;
  // Camera changes (cameras plugged in, staff choices) wait for this first camera, and for the engine.
  const cameraStarting = cameras.start();
  let engineReady!: (running: boolean) => void;
  cameras.follow(new Promise((resolve) => (engineReady = resolve)));
  void cameraStarting.then(
    () => {
      // The picture is live, the models may still be downloading: the status line says what is awaited now.
      if (!engineStarted && !engineFailed) statusLine.textContent = 'Camera on. Loading the face models…';
    },
    (error: unknown) => {
      if (!engineFailed) showProblem(`No camera: ${cameraProblem(error)}. Staff can still manage people below.`);
    },
  );
  let engine: EngineHandle;
  try {
    engine = await startEngine();
    engineStarted = true;
  } catch (error) {
    engineFailed = true;
    loading.hidden = true;
    // Nothing will look at the camera: its light goes off.
    void cameraStarting.then(
      () => cameras.stop(),
      () => undefined,
    );
    showProblem(`The kiosk could not start: ${publicErrorText(error)} Reload the page to try again.`);
    staffForm.onsubmit = (event) => {
      event.preventDefault();
      staffMessage.textContent = 'The kiosk could not start, so people cannot be managed here: reload the page.';
    };
    engineReady(false); // the kiosk could not start: no camera is needed
    return;
  }
  loading.hidden = true;
  stats.mode = engine.mode;
  modeLine.textContent = `recognition in ${engine.mode === 'worker' ? 'a worker' : 'the page thread'} on ${engine.backend.toUpperCase()}`;
  wireEnrolment(engine);
  wireStaff(engine);
  runningEngine = engine;
  cameras.wireChoice();
  const frames = await cameraStarting.catch(() => undefined); // a failure's message is shown
  if (frames) {
    watchCamera(engine, frames);
    startLoop(engine);
  }
  // Only now: a camera change waiting for the engine must find the first camera watched.
  engineReady(true);
}
void main();
