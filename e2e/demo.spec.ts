// The pages a newcomer opens: `npm run demo` (Vite dev server) and the static site `npm run build:demo` writes.
import { test, expect } from '@playwright/test';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launchWithCamera, writeFakeCameraVideo } from './fakeCamera.mjs';
import { DEV_PORT, SITE_PORT } from './ports';

const DEV = `http://127.0.0.1:${DEV_PORT}`;
const SITE = `http://127.0.0.1:${SITE_PORT}`;

test('npm run demo opens the kiosk: camera on, recognition in a worker, frames per second shown', async ({
  page: helperPage,
}) => {
  test.setTimeout(240_000);
  const scratch = mkdtempSync(join(tmpdir(), 'localface-dev-kiosk-'));
  try {
    const video = join(scratch, 'camera.y4m');
    await writeFakeCameraVideo(helperPage, 'e2e/fixtures/camera/subject10.jpg', video);
    const context = await launchWithCamera(video, join(scratch, 'profile'));
    const page = context.pages()[0] ?? (await context.newPage());
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(`${DEV}/demo/kiosk/`);
    // In the dev server the worker is an ES module worker (the built site's is too): the TFLite runtime must start there.
    await expect(page.getByTestId('mode')).toHaveText(/recognition in a worker on (WASM|WEBGL)/, { timeout: 180_000 });
    await expect(page.getByTestId('status')).toHaveText('Face not recognised: enroll below', { timeout: 60_000 });
    await expect(page.getByTestId('fps')).toHaveText(/^\d+\.\d fps$/);
    await page.screenshot({ path: test.info().outputPath('dev-kiosk.png') });
    await context.close();
    expect(errors).toEqual([]);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
});

for (const base of [`${DEV}/demo/compare/`, `${SITE}/compare/`]) {
  test(`the comparison page compares two photos picked by the user (${base})`, async ({ page }) => {
    await page.goto(base);
    await expect(page.getByTestId('status')).toHaveText(/^Ready on (WASM|WEBGL)/, { timeout: 90_000 });
    // The file fields are labelled; the result is a status region (read out when it changes).
    await page.getByLabel('Photo A', { exact: true }).setInputFiles('e2e/fixtures/lfw/Serena_Williams_0001.jpg');
    await page.getByLabel('Photo B', { exact: true }).setInputFiles('e2e/fixtures/lfw/Serena_Williams_0002.jpg');
    await expect(page.getByTestId('result')).toHaveRole('status');
    await expect(page.getByTestId('result')).toHaveText(/^Same person — similarity (0\.[7-9]\d*|1\.000)/);
    // Each photo, drawn on a canvas, says what it shows.
    await expect(
      page.getByRole('img', { name: /^Photo A: Serena_Williams_0001\.jpg, \d+ faces? found/ }),
    ).toBeVisible();
    await page.getByTestId('file-b').setInputFiles('e2e/fixtures/lfw/Jennifer_Aniston_0001.jpg');
    await expect(page.getByTestId('result')).toHaveText(/^Different people — similarity 0\.[0-6]/);
    await page.getByTestId('file-b').setInputFiles('e2e/fixtures/no-face.jpg');
    // Which photo has no face, said in the page's words.
    await expect(page.getByTestId('result')).toHaveText(/^Photo B: .*ERR_FACE_NOT_DETECTED/);
    await page.screenshot({ path: test.info().outputPath('compare.png') });
  });
}

test("the comparison page takes a phone's large photo (over the library's 5-MB limit) by scaling it down", async ({
  page,
}) => {
  await page.goto(`${SITE}/compare/`);
  await expect(page.getByTestId('status')).toHaveText(/^Ready on (WASM|WEBGL)/, { timeout: 90_000 });
  await page.getByLabel('Photo B', { exact: true }).setInputFiles('e2e/fixtures/lfw/Serena_Williams_0002.jpg');
  const faceBytes = [...readFileSync('e2e/fixtures/lfw/Serena_Williams_0001.jpg')];
  const size = await page.evaluate(async (faceBytes) => {
    // 6000×4000 with a band of sensor-like noise, the face in the middle at phone-photo size: a 6-7-MB JPEG.
    const canvas = new OffscreenCanvas(6000, 4000);
    const context = canvas.getContext('2d')!;
    context.fillStyle = '#8a8f96';
    context.fillRect(0, 0, 6000, 4000);
    const noise = context.createImageData(6000, 900);
    for (let i = 0; i < noise.data.length; i++) noise.data[i] = (i & 3) === 3 ? 255 : (Math.random() * 256) | 0;
    context.putImageData(noise, 0, 3100);
    const face = await createImageBitmap(new Blob([new Uint8Array(faceBytes)]));
    context.drawImage(face, 1750, 500, 2500, 2500);
    const blob = await canvas.convertToBlob({ type: 'image/jpeg', quality: 0.95 });
    const input = document.querySelector<HTMLInputElement>('[data-testid="file-a"]')!;
    const files = new DataTransfer();
    files.items.add(new File([blob], 'phone-photo.jpg', { type: 'image/jpeg' }));
    input.files = files.files;
    input.dispatchEvent(new Event('change'));
    return blob.size;
  }, faceBytes);
  expect(size).toBeGreaterThan(5 * 1024 * 1024);
  // It was "Photo A: The image file is 6.7 MB; the largest accepted is 5.0 MB…" (ERR_IMAGE_TOO_LARGE).
  await expect(page.getByTestId('result')).toHaveText(/^Same person — similarity (0\.[7-9]\d*|1\.000)/, {
    timeout: 60_000,
  });
  await expect(page.getByRole('img', { name: /^Photo A: phone-photo\.jpg, 1 face found/ })).toBeVisible();
});

test('the comparison page takes photos only once its models are loaded', async ({ page }) => {
  // The models wait until the inputs have been seen disabled.
  let release!: () => void;
  const released = new Promise<void>((done) => (release = done));
  await page.route('**/models/**', async (route) => {
    await released;
    await route.continue();
  });
  await page.goto(`${SITE}/compare/`);
  await expect(page.getByTestId('status')).toHaveText('Loading models…');
  await expect(page.getByTestId('file-a')).toBeDisabled();
  await expect(page.getByTestId('file-b')).toBeDisabled();
  release();
  await expect(page.getByTestId('status')).toHaveText(/^Ready on (WASM|WEBGL)/, { timeout: 90_000 });
  await expect(page.getByTestId('file-a')).toBeEnabled();
  await expect(page.getByTestId('file-b')).toBeEnabled();
});

test('the built script-tag page loads the library and its models from inside demo-dist/', async ({ page }) => {
  const requests: string[] = [];
  page.on('request', (request) => requests.push(request.url()));
  await page.goto(`${SITE}/script-tag/`);
  await expect(page.getByTestId('status')).toHaveText(/^Ready/, { timeout: 90_000 });
  const loaded = requests.filter((url) => url.startsWith('http'));
  expect(loaded).toContain(`${SITE}/localface.iife.js`);
  expect(loaded.filter((url) => url.includes('/models/')).length).toBeGreaterThan(3);
  expect(loaded.every((url) => url.startsWith(`${SITE}/`))).toBe(true);
});

test('the check-in log keeps 30 days: older entries go on each start and on each new check-in', async ({ page }) => {
  await page.goto(`${DEV}/demo/checkin/`);
  const r = await page.evaluate(async () => {
    // The module as the Vite dev server serves the demo's source.
    const url = '/demo/checkin/log.ts';
    const { CheckInLog, RETENTION_DAYS } = (await import(
      /* @vite-ignore */ url
    )) as typeof import('../demo/checkin/log');
    const day = 24 * 3600 * 1000;
    const now = Date.UTC(2026, 11, 5);
    const name = `retention-${now}-${Math.random()}`;
    const entry = (time: number, personId: string) => ({
      time,
      result: 'checked-in' as const,
      personId,
      personName: personId,
      similarity: 0.9,
      detail: '',
    });
    const log = await CheckInLog.open(name, now);
    await log.add(entry(now - (RETENTION_DAYS - 1) * day, 'recent'));
    // A check-in 31 days later, with the app never restarted: the first entry is now past the retention.
    await log.add(entry(now + 2 * day, 'today'));
    const afterAdd = (await log.all()).map((e) => e.personId);
    await log.add(entry(now - (RETENTION_DAYS + 5) * day, 'stale'));
    const reopened = await CheckInLog.open(name, now + 2 * day);
    return { afterAdd, afterOpen: (await reopened.all()).map((e) => e.personId) };
  });
  expect(r.afterAdd).toEqual(['today']);
  expect(r.afterOpen).toEqual(['today']);
});
