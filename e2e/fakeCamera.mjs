// A fake webcam for Chromium: a Y4M video made at test time from a fixture photo, for
// --use-file-for-fake-video-capture. The photo is decoded by the browser (no image library in Node), placed on a
// 640×480 grey frame like a webcam picture, and converted to YUV 4:2:0 here.
import { chromium } from '@playwright/test';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from './chromium.mjs';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';

export const CAMERA_WIDTH = 640;
export const CAMERA_HEIGHT = 480;

/** Writes `outPath` (.y4m): one frame (Chromium loops it) showing `photoPath` scaled to fit 640×480. */
/**
 * @param {import('@playwright/test').Page} page @param {string} photoPath @param {string} outPath
 * @param {{ scale?: number, brightness?: number }} [look] scale: size of the photo relative to "fit the frame"
 *   (0.3 = a person far from the camera); brightness: pixel multiplier (0.2 = a dark room).
 */
export async function writeFakeCameraVideo(page, photoPath, outPath, { scale = 1, brightness = 1 } = {}) {
  const dataUrl = `data:image/jpeg;base64,${readFileSync(photoPath).toString('base64')}`;
  const rgba = await page.evaluate(
    async ({ dataUrl, width, height, scale: look, brightness }) => {
      const bitmap = await createImageBitmap(await (await fetch(dataUrl)).blob());
      const canvas = new OffscreenCanvas(width, height);
      const g = canvas.getContext('2d');
      g.fillStyle = '#808080';
      g.fillRect(0, 0, width, height);
      const scale = Math.min(width / bitmap.width, height / bitmap.height) * look;
      const w = bitmap.width * scale,
        h = bitmap.height * scale;
      g.drawImage(bitmap, (width - w) / 2, (height - h) / 2, w, h);
      const pixels = g.getImageData(0, 0, width, height).data;
      if (brightness !== 1) for (let i = 0; i < pixels.length; i++) if (i % 4 !== 3) pixels[i] = pixels[i] * brightness;
      // As base64: Playwright serialises an array element by element (10 s for one frame's 1.2 M values).
      let binary = '';
      for (let i = 0; i < pixels.length; i += 0x8000) binary += String.fromCharCode(...pixels.subarray(i, i + 0x8000));
      return btoa(binary);
    },
    { dataUrl, width: CAMERA_WIDTH, height: CAMERA_HEIGHT, scale, brightness },
  );
  writeFileSync(outPath, y4mFrame(Buffer.from(rgba, 'base64'), CAMERA_WIDTH, CAMERA_HEIGHT));
}

/**
 * Writes `outPath` (.y4m): a clip of `segments`, each `seconds` long showing `photoPath` as writeFakeCameraVideo
 * does, or an empty grey frame for photoPath null, at `fps` frames per second (Chromium loops the clip).
 * @param {import('@playwright/test').Page} page @param {{ photoPath: string | null, seconds: number }[]} segments
 * @param {string} outPath @param {number} [fps]
 */
export async function writeFakeCameraClip(page, segments, outPath, fps = 10) {
  const parts = [Buffer.from(`YUV4MPEG2 W${CAMERA_WIDTH} H${CAMERA_HEIGHT} F${fps}:1 Ip A1:1 C420jpeg\n`)];
  const grey = y4mPlanes(new Uint8Array(CAMERA_WIDTH * CAMERA_HEIGHT * 4).fill(128), CAMERA_WIDTH, CAMERA_HEIGHT);
  for (const { photoPath, seconds } of segments) {
    let planes = grey;
    if (photoPath) {
      const tmp = `${outPath}.part`;
      await writeFakeCameraVideo(page, photoPath, tmp);
      const single = readFileSync(tmp);
      rmSync(tmp);
      planes = single.subarray(single.indexOf('FRAME\n') + 6);
    }
    for (let i = 0; i < Math.round(seconds * fps); i++) parts.push(Buffer.from('FRAME\n'), planes);
  }
  writeFileSync(outPath, Buffer.concat(parts));
}

/** RGBA → one-frame Y4M, 4:2:0, full-range BT.601 (what "C420jpeg" means). */
export function y4mFrame(rgba, width, height) {
  return Buffer.concat([
    Buffer.from(`YUV4MPEG2 W${width} H${height} F30:1 Ip A1:1 C420jpeg\nFRAME\n`),
    y4mPlanes(rgba, width, height),
  ]);
}

/** RGBA → the Y, U and V planes of one 4:2:0 frame. */
function y4mPlanes(rgba, width, height) {
  const y = new Uint8Array(width * height);
  const u = new Uint8Array((width / 2) * (height / 2));
  const v = new Uint8Array(u.length);
  const clamp = (x) => Math.max(0, Math.min(255, Math.round(x)));
  for (let i = 0; i < width * height; i++) {
    const r = rgba[i * 4],
      g = rgba[i * 4 + 1],
      b = rgba[i * 4 + 2];
    y[i] = clamp(0.299 * r + 0.587 * g + 0.114 * b);
  }
  for (let row = 0; row < height / 2; row++) {
    for (let col = 0; col < width / 2; col++) {
      let r = 0,
        g = 0,
        b = 0;
      for (const [dy, dx] of [
        [0, 0],
        [0, 1],
        [1, 0],
        [1, 1],
      ]) {
        const p = ((row * 2 + dy) * width + col * 2 + dx) * 4;
        r += rgba[p];
        g += rgba[p + 1];
        b += rgba[p + 2];
      }
      r /= 4;
      g /= 4;
      b /= 4;
      u[row * (width / 2) + col] = clamp(128 - 0.168736 * r - 0.331264 * g + 0.5 * b);
      v[row * (width / 2) + col] = clamp(128 + 0.5 * r - 0.418688 * g - 0.081312 * b);
    }
  }
  return Buffer.concat([y, u, v]);
}

/**
 * A Chromium whose camera shows `videoPath` (null: Chromium's default fake camera), with a persistent profile in `profileDir` (so IndexedDB survives
 * relaunching with another video) and camera permission granted.
 */
export async function launchWithCamera(
  videoPath,
  profileDir,
  { gpu = 'swiftshader', cameras = 1, serviceWorkers = 'allow' } = {},
) {
  // gpu 'off': no GL at all, software compositing (no WebGL backend then).
  const args =
    gpu === 'off' ? [...CHROMIUM_ARGS.filter((a) => !/swiftshader/.test(a)), '--disable-gpu'] : CHROMIUM_ARGS;
  const context = await chromium.launchPersistentContext(profileDir, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      ...args,
      // `cameras` fake cameras (fake_device_0, fake_device_1, …); a video file replaces them by one camera.
      cameras === 1
        ? '--use-fake-device-for-media-stream'
        : `--use-fake-device-for-media-stream=device-count=${cameras}`,
      '--use-fake-ui-for-media-stream',
      // No video file: Chromium's own fake camera (a green disc and a clock, no face).
      ...(videoPath ? [`--use-file-for-fake-video-capture=${videoPath}`] : []),
    ],
    permissions: ['camera'],
    viewport: { width: 1000, height: 1100 },
    // 'block': a test that routes requests needs them to reach the network (a service worker's cache bypasses routes).
    serviceWorkers,
  });
  return context;
}
