// The camera a camera page shows, and how it changes: staff choose one from a list (kept in this browser), a camera
// plugged in while none works is used without a reload, and the chosen one is used again once it is plugged back in.
// Changes run one at a time, and a new camera replaces the one shown only once it plays.
import { cameraIdOf, chosenCameraId, listCameras, openCamera, openExactCamera, rememberCamera } from './cameraChoice';
import { CameraFrames, cameraUnavailable } from './cameraFrames';
import { cameraProblem } from './cameraProblem';
import { restoreFocus } from './announcer';

export interface CameraSwitchOptions {
  video: HTMLVideoElement;
  /** Staff's list of cameras, showing the one in use. */
  select: HTMLSelectElement;
  /** Beside the list: why the chosen camera is not shown, and how a choice went. */
  note: HTMLElement;
  /** What uses the camera, in the notes' words: "this kiosk", "this device". */
  place: string;
  /** Whether a choice may be made now (staff mode), prolonging it. */
  mayChoose(): boolean;
  /**
   * A camera replaced the one shown (the first is start()'s): the page forgets the old picture and follows this one.
   * `connected` says no camera worked before it.
   */
  switched(frames: CameraFrames, connected: boolean): Promise<void> | void;
  /**
   * Settles when the page's work on the camera shown is done (a check-in following a person, say): a change waits
   * for it before it opens another camera. Default: at once.
   */
  idle?(): Promise<void>;
  /** A camera change starts (true) or has ended (false): the page starts no work on the camera meanwhile. */
  changing?(running: boolean): void;
}

export class CameraSwitch {
  /** The camera shown, once one is. */
  current: CameraFrames | undefined;
  /** The camera staff chose (kept in the browser, and here, where storage may be off). */
  private chosen = chosenCameraId();
  private work: Promise<unknown> = Promise.resolve();
  private switching = false;
  /** The cameras connected at the last look, to tell a camera plugged in from one that was there all along. */
  private known = new Set<string>();
  /** The camera was refused to this page: no devicechange asks again (the person would be asked at every one). */
  private refused = false;

  constructor(private readonly options: CameraSwitchOptions) {}

  /**
   * Opens the first camera: the chosen one, else any (the note says why). Camera changes wait for it, and for the
   * cameras it found.
   */
  start(): Promise<CameraFrames> {
    const starting = this.open();
    this.work = starting
      .catch(() => undefined)
      .then(async () => {
        this.known = await connectedCameraIds();
        // Listed before the camera was allowed, the cameras had no ids: the list shows them now.
        await this.refreshList();
      });
    return starting;
  }

  /**
   * Follows cameras plugged in and out, from now on (a change waits for `ready`, which is false where the page could
   * not start and needs no camera). A devicechange that brings no camera (a headset, say) changes nothing.
   */
  follow(ready: Promise<boolean>): void {
    navigator.mediaDevices?.addEventListener('devicechange', () => {
      void this.oneAtATime(async () => {
        const usable = await ready;
        const before = this.known;
        this.known = await connectedCameraIds();
        if (!usable) return;
        const hadNone = !this.current?.live;
        if (hadNone && this.refused) return;
        const chosenPluggedIn =
          this.chosen !== undefined &&
          cameraIdOf(this.options.video) !== this.chosen &&
          this.known.has(this.chosen) &&
          !before.has(this.chosen);
        if (!hadNone && !chosenPluggedIn) return;
        let frames: CameraFrames;
        try {
          await this.options.idle?.();
          // The chosen camera exactly, where another one works: if it cannot be opened, that one stays.
          frames = await this.open(hadNone ? undefined : this.chosen);
        } catch {
          return; // still no camera, or the chosen one cannot be opened yet: what is shown stays
        }
        if (!hadNone) this.options.note.textContent = '';
        await this.options.switched(frames, hadNone);
      }).catch(() => undefined);
    });
  }

  /** Lets staff choose from the list: exactly that camera, or the one shown stays. */
  wireChoice(): void {
    const { select, note } = this.options;
    select.onchange = () => {
      // What was chosen now, not what the list says once the change before this one is done.
      const deviceId = select.value;
      const label = select.selectedOptions[0]?.text ?? 'the camera';
      void this.oneAtATime(async () => {
        if (!this.options.mayChoose() || !deviceId || deviceId === cameraIdOf(this.options.video)) return;
        select.disabled = true;
        note.textContent = `Starting ${label}…`;
        const hadNone = !this.current?.live;
        let frames: CameraFrames;
        try {
          await this.options.idle?.();
          frames = await this.open(deviceId);
        } catch (error) {
          // Opened exactly or not at all: the camera shown before stays, and stays the choice.
          note.textContent = `${label} could not start (${cameraProblem(error)}); the camera shown stays.`;
          return;
        }
        this.chosen = deviceId;
        rememberCamera(deviceId);
        note.textContent = `${capitalised(this.options.place)} now uses ${label}.`;
        await this.options.switched(frames, hadNone);
      }).finally(() => restoreFocus(select));
    };
  }

  /** The list, showing the camera in use (or asking for one when none is). */
  async refreshList(): Promise<void> {
    const { select, video } = this.options;
    if (!navigator.mediaDevices?.enumerateDevices) return;
    const cameras = await listCameras().catch(() => []);
    const current = cameraIdOf(video);
    const options = cameras.map((c) => new Option(c.label, c.deviceId, false, c.deviceId === current));
    // Without a camera shown, a list whose first entry looked chosen could not choose that one (no change event).
    if (!cameras.some((c) => c.deviceId === current))
      options.unshift(new Option(cameras.length ? 'Choose a camera' : 'No camera connected', '', true, true));
    select.replaceChildren(...options);
    select.disabled = this.switching || cameras.length === 0;
  }

  /** Switches the camera shown off (its light goes off), for good: nothing will look at it. */
  stop(): void {
    this.current?.stop();
    this.current = undefined;
    this.options.video.srcObject = null;
  }

  /** Camera changes run one at a time: a devicechange and a staff choice never open cameras side by side. */
  private oneAtATime(change: () => Promise<void>): Promise<void> {
    const run = this.work.then(async () => {
      this.switching = true;
      this.options.changing?.(true);
      try {
        await change();
      } finally {
        this.switching = false;
        this.options.changing?.(false);
        await this.refreshList();
      }
    });
    this.work = run.catch(() => undefined);
    return run;
  }

  /**
   * Opens `exactly` that camera (an error if it cannot be opened, and the camera shown stays), else the chosen
   * camera, or any, in place of the one shown.
   */
  private async open(exactly?: string): Promise<CameraFrames> {
    const { video, note, place } = this.options;
    const unavailable = cameraUnavailable();
    if (unavailable) throw new Error(unavailable);
    let opened: { stream: MediaStream; choiceMissing: boolean };
    try {
      opened = exactly
        ? { stream: await openExactCamera(exactly), choiceMissing: false }
        : await openCamera(this.chosen);
    } catch (error) {
      const name = error instanceof DOMException ? error.name : '';
      if (name === 'NotAllowedError' || name === 'SecurityError') this.refused = true;
      throw error;
    }
    const { stream, choiceMissing } = opened;
    // The camera shown stays on until the new one plays: a new one that does not leaves the old one as it was.
    const shown = video.srcObject;
    video.srcObject = stream;
    try {
      await video.play();
    } catch (error) {
      for (const track of stream.getTracks()) track.stop();
      video.srcObject = shown;
      if (shown) void video.play().catch(() => undefined);
      throw error;
    }
    this.current?.stop();
    this.current = new CameraFrames(video, stream);
    if (!exactly)
      note.textContent = choiceMissing
        ? `The camera chosen for ${place} could not be opened (not connected, or in use): another camera is shown until it can be.`
        : '';
    return this.current;
  }
}

/** The ids of the cameras connected now. */
async function connectedCameraIds(): Promise<Set<string>> {
  return new Set((await listCameras().catch(() => [])).map((c) => c.deviceId));
}

const capitalised = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);
