// The camera's newest frame for recognition. Where the browser has MediaStreamTrackProcessor (Chromium), frames come
// from the track itself: capture frames in ordinary memory, whose pixels LocalFace reads in about 3 ms (640×480).
// A frame made from the <video> element (`new VideoFrame(video)`) is the picture on screen, which Chromium may hold
// on the GPU: reading it back took 35–60 ms per frame on a 2-core machine without GPU, most of the kiosk's frame.

interface TrackProcessor {
  readable: ReadableStream<VideoFrame>;
}
type TrackProcessorConstructor = new (init: { track: MediaStreamTrack; maxBufferSize?: number }) => TrackProcessor;

/**
 * Why this page cannot ask for the camera at all, or undefined when it can. Browsers give getUserMedia only to secure
 * pages: on plain HTTP at a LAN address navigator.mediaDevices is undefined.
 */
export function cameraUnavailable(): string | undefined {
  // Typed as always there, which it is not on an insecure page.
  if ((navigator.mediaDevices as MediaDevices | undefined)?.getUserMedia !== undefined) return undefined;
  return window.isSecureContext
    ? 'this browser gives pages no camera'
    : 'the camera needs a secure page: open this app over HTTPS (or at localhost)';
}

/** How long take() waits for a new capture frame before it reads the <video> element instead. */
const WAIT_FOR_FRAME_MS = 250;

export class CameraFrames {
  private newest: VideoFrame | undefined;
  private waiting: ((frame: VideoFrame | undefined) => void) | undefined;
  private reader: ReadableStreamDefaultReader<VideoFrame> | undefined;
  private readonly track: MediaStreamTrack | undefined;

  /** `video` shows `stream`; frames are read from the stream's video track while the page runs. */
  constructor(
    private readonly video: HTMLVideoElement,
    private readonly stream: MediaStream,
  ) {
    const Processor = (globalThis as { MediaStreamTrackProcessor?: TrackProcessorConstructor })
      .MediaStreamTrackProcessor;
    const track = (this.track = stream.getVideoTracks()[0]);
    if (!Processor || !track) return;
    try {
      this.reader = new Processor({ track, maxBufferSize: 1 }).readable.getReader();
    } catch {
      return; // the <video> element path
    }
    void this.pump(this.reader);
  }

  /**
   * Whether the camera sends pictures: not once its track ended (camera unplugged, stopped, permission revoked), nor
   * while it is muted (no frames for now). The <video> element then keeps showing the last picture.
   */
  get live(): boolean {
    return this.track?.readyState === 'live' && !this.track.muted;
  }

  /** Calls `listener` with `live` each time it changes (the track ended, was muted or unmuted). */
  onLiveChange(listener: (live: boolean) => void): void {
    let was = this.live;
    const check = () => {
      if (this.live === was) return;
      was = this.live;
      listener(was);
    };
    for (const type of ['ended', 'mute', 'unmute']) this.track?.addEventListener(type, check);
    // A track stopped by the page fires no 'ended' (Chromium fires the stream's 'inactive'): a slow poll catches it
    // where nothing fires.
    this.stream.addEventListener('inactive', check);
    const poll = setInterval(() => {
      check();
      if (this.track?.readyState !== 'live') clearInterval(poll);
    }, 1000);
  }

  /** Stops the camera (its light goes off); `live` is false from then on. */
  stop(): void {
    for (const track of this.stream.getTracks()) track.stop();
    this.newest?.close();
    this.newest = undefined;
  }

  /** Keeps only the newest frame: older ones are closed at once, so the camera never runs out of buffers. */
  private async pump(reader: ReadableStreamDefaultReader<VideoFrame>): Promise<void> {
    for (;;) {
      let result: ReadableStreamReadResult<VideoFrame>;
      try {
        result = await reader.read();
      } catch {
        break;
      }
      if (result.done) break;
      if (this.waiting) {
        this.waiting(result.value);
        this.waiting = undefined;
      } else {
        this.newest?.close();
        this.newest = result.value;
      }
    }
    this.reader = undefined;
  }

  /**
   * The newest frame not taken yet (waiting briefly for one), else the <video> element's current picture; the caller
   * owns it and closes it (or transfers it). Rejects when the camera is not live: the <video> element would only
   * give its last, frozen picture.
   */
  async take(): Promise<VideoFrame | ImageBitmap> {
    this.checkLive();
    if (this.newest) {
      const frame = this.newest;
      this.newest = undefined;
      return frame;
    }
    if (this.reader) {
      const next = await new Promise<VideoFrame | undefined>((resolve) => {
        this.waiting = resolve;
        setTimeout(() => {
          if (this.waiting === resolve) {
            this.waiting = undefined;
            resolve(undefined);
          }
        }, WAIT_FOR_FRAME_MS);
      });
      if (next) return next;
      this.checkLive(); // it may have stopped while waiting
    }
    if (typeof VideoFrame === 'function') {
      try {
        return new VideoFrame(this.video);
      } catch {
        // e.g. no frame yet: the bitmap path says why, or works
      }
    }
    return createImageBitmap(this.video);
  }

  private checkLive(): void {
    if (!this.live) throw new Error('the camera sends no pictures (disconnected or stopped)');
  }
}
