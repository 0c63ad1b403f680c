// Camera frames as input: Chromium's fake camera (a Y4M of a real webcam frame) gives YUV VideoFrames, both from the
// <video> element (`new VideoFrame(video)`, NV12 here) and from the track (MediaStreamTrackProcessor, I420). The
// library converts their planes itself; these tests check that it sees the same picture as the browser's own
// conversion to RGBA: the same face, box and template.
import { test, expect } from '@playwright/test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launchWithCamera, writeFakeCameraVideo } from './fakeCamera.mjs';
import { ORIGIN } from './localface';

let scratch = '';
test.beforeAll(() => {
  scratch = mkdtempSync(join(tmpdir(), 'localface-camera-frames-'));
});
test.afterAll(() => rmSync(scratch, { recursive: true, force: true }));

test('YUV camera frames: the same face, box and template as the browser-converted RGBA picture; no tensor growth', async ({
  page: helperPage,
}) => {
  test.setTimeout(180_000);
  const video = join(scratch, 'camera.y4m');
  await writeFakeCameraVideo(helperPage, 'e2e/fixtures/camera/subject06-enroll.jpg', video);
  const context = await launchWithCamera(video, join(scratch, 'profile'));
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    await page.goto(`${ORIGIN}/e2e/pages/harness.html`);
    await page.waitForFunction(() => window.harnessReady === true);
    const result = await page.evaluate(async () => {
      const client = await window.LocalFace.createFaceClient({ backend: 'wasm' });
      const video = document.createElement('video');
      video.muted = true;
      video.srcObject = await navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 480 } });
      await video.play();
      await new Promise((resolve) => setTimeout(resolve, 300));
      type Processor = new (init: { track: MediaStreamTrack }) => { readable: ReadableStream<VideoFrame> };
      const Processor = (globalThis as unknown as { MediaStreamTrackProcessor: Processor }).MediaStreamTrackProcessor;
      const reader = new Processor({
        track: (video.srcObject as MediaStream).getVideoTracks()[0]!,
      }).readable.getReader();
      /** The browser's own RGBA conversion of a frame, as ImageData (the reference picture). */
      const browserRgba = async (frame: VideoFrame) => {
        const rgba = new Uint8ClampedArray(frame.allocationSize({ format: 'RGBA' }));
        await frame.copyTo(rgba, { format: 'RGBA', colorSpace: 'srgb' });
        return new ImageData(rgba, frame.displayWidth, frame.displayHeight);
      };
      const rows = [];
      let tensorsAfterFirst = 0;
      for (const source of ['element', 'track', 'element', 'track']) {
        const frame = source === 'element' ? new VideoFrame(video) : (await reader.read()).value!;
        const reference = await browserRgba(frame);
        const [fromFrame] = await client.detectFaces(frame, { quality: false, attributes: false });
        const [fromReference] = await client.detectFaces(reference, { quality: false, attributes: false });
        const { similarityScore } = await client.compareFaces(frame, reference);
        rows.push({
          source,
          format: frame.format,
          box: fromFrame?.box,
          referenceBox: fromReference?.box,
          similarityScore,
        });
        frame.close();
        if (rows.length === 2) tensorsAfterFirst = window.tensorCount();
      }
      await reader.cancel();
      return { rows, tensorsAfterFirst, tensorsAtEnd: window.tensorCount() };
    });
    const formats = new Set(result.rows.map((r) => r.format));
    // Both YUV layouts the conversion reads are covered (Chromium: the element's frame NV12, the track's I420).
    expect([...formats].sort()).toEqual(['I420', 'NV12']);
    for (const row of result.rows) {
      expect(row.box, `${row.source} frame: a face`).toBeDefined();
      for (const key of ['x', 'y', 'width', 'height'] as const)
        expect(Math.abs(row.box![key] - row.referenceBox![key]), `${row.source} ${key}`).toBeLessThanOrEqual(2);
      expect(row.similarityScore, `${row.source} frame vs its RGBA picture`).toBeGreaterThanOrEqual(0.98);
    }
    expect(result.tensorsAtEnd).toBe(result.tensorsAfterFirst);
  } finally {
    await context.close();
  }
});
