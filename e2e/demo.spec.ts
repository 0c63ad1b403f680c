// The pages a newcomer opens: `npm run demo` (Vite dev server) and the static site `npm run build:demo` writes.
import { test, expect, type Page } from '@playwright/test';
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

/** The page names an icon, and the icon is there. */
async function expectIcon(page: Page): Promise<void> {
  const href = await page.locator('link[rel="icon"]').getAttribute('href', { timeout: 5_000 });
  expect((await page.request.get(new URL(href!, page.url()).href)).status()).toBe(200);
}

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
    await expect(page.getByTestId('result')).toHaveText(
      'No face was found in Photo B: pick a photo where the face is clearly visible, from the front.',
    );
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

test('the comparison page: a new photo clears the last verdict at once; a photo that cannot be read is not kept, and is named in plain words', async ({
  page,
}) => {
  const missing: string[] = [];
  page.on('response', (response) => {
    if (response.status() >= 400) missing.push(`${response.status()} ${response.url()}`);
  });
  await page.goto(`${SITE}/compare/`);
  await expect(page.getByTestId('status')).toHaveText(/^Ready on (WASM|WEBGL)/, { timeout: 90_000 });
  const result = page.getByTestId('result');
  await page.getByTestId('file-a').setInputFiles('e2e/fixtures/lfw/Serena_Williams_0001.jpg');
  await page.getByTestId('file-b').setInputFiles('e2e/fixtures/lfw/Serena_Williams_0002.jpg');
  await expect(result).toHaveText(/^Same person/);

  /** Picks `bytes` as photo B, and returns what the result says the moment the pick is made. */
  const pickB = (name: string, type: string, bytes: number[]) =>
    page.evaluate(
      ({ name, type, bytes }) => {
        const input = document.querySelector<HTMLInputElement>('[data-testid="file-b"]')!;
        const files = new DataTransfer();
        files.items.add(new File([new Uint8Array(bytes)], name, { type }));
        input.files = files.files;
        input.dispatchEvent(new Event('change'));
        return document.querySelector('[data-testid="result"]')!.textContent;
      },
      { name, type, bytes },
    );
  // A large photo takes seconds to read: the verdict about the last one does not stay meanwhile.
  const jennifer = [...readFileSync('e2e/fixtures/lfw/Jennifer_Aniston_0001.jpg')];
  expect(await pickB('Jennifer_Aniston_0001.jpg', 'image/jpeg', jennifer)).toBe('Reading Photo B…');
  await expect(result).toHaveText(/^Different people/);

  const unreadable = 'Photo B is not a JPEG or PNG image, or the file is damaged: pick a JPEG or PNG photo.';
  const pictureB = page.locator('#canvasB');
  // Bytes no browser decodes, then a WebP (the browser shows it, the library takes JPEG and PNG only).
  const webp = await page.evaluate(async () => {
    const canvas = new OffscreenCanvas(200, 200);
    canvas.getContext('2d')!.fillRect(0, 0, 200, 200);
    return [...new Uint8Array(await (await canvas.convertToBlob({ type: 'image/webp' })).arrayBuffer())];
  });
  for (const [name, type, bytes] of [
    ['notes.jpg', 'image/jpeg', [...Buffer.from('not an image at all')]],
    ['photo.webp', 'image/webp', webp],
  ] as const) {
    await pickB(name, type, [...bytes]);
    await expect(result).toHaveText(unreadable);
    // Its picture and the picture's name go too: the last photo's would say it is still there.
    await expect(pictureB).toHaveAttribute('aria-label', `Photo B: ${name} could not be read`);
    expect(await pictureB.evaluate((canvas: HTMLCanvasElement) => [canvas.width, canvas.height])).toEqual([300, 150]);
  }
  // A new photo A is not compared with the refused B: B's refusal is said again, in the same words.
  await page.getByTestId('file-a').setInputFiles('e2e/fixtures/lfw/Colin_Powell_0001.jpg');
  await expect(page.getByRole('img', { name: /^Photo A: Colin_Powell_0001\.jpg, 1 face found/ })).toBeVisible();
  await expect(result).toHaveText(unreadable);
  await page.getByTestId('file-b').setInputFiles('e2e/fixtures/lfw/Serena_Williams_0002.jpg');
  await expect(result).toHaveText(/^Different people/);
  // The page has its icon (not a request for a /favicon.ico that is not there at each load).
  expect(missing).toEqual([]);
  await expectIcon(page);
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

test("the built site's front page (the kiosk) links to every other demo, and each link opens it", async ({ page }) => {
  await page.goto(`${SITE}/`);
  const links = page.getByRole('navigation', { name: 'Other demos' }).getByRole('link');
  const hrefs = await links.evaluateAll((as) => as.map((a) => (a as HTMLAnchorElement).href));
  expect(hrefs).toEqual(['checkin/', 'compare/', 'script-tag/', 'cloud-client/'].map((p) => `${SITE}/${p}`));
  for (const href of hrefs) expect((await page.request.get(href)).status(), href).toBe(200);
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
