// The built demos (demo-dist/) as the people at their screens meet them: the kiosk, the check-in PWA and the cloud
// client, by keyboard alone, at phone width, with models that do not load or a camera in use, in headless Chromium
// with a fake camera. What the person sees is words to act on, never developer words (option names, codes, URLs).
import { test, expect, type BrowserContext, type Page } from '@playwright/test';
import type { Server } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serve } from '../scripts/serve.mjs';
import { launchWithCamera, writeFakeCameraVideo } from './fakeCamera.mjs';
import { CHECKIN_PORT } from './ports';

// One server of our own (demo-dist/ as built), so that each test starts from a fresh origin state via a fresh profile.
const ORIGIN = `http://127.0.0.1:${CHECKIN_PORT}`;
const KIOSK = `${ORIGIN}/index.html`;
const CHECKIN = `${ORIGIN}/checkin/`;
const CLOUD = `${ORIGIN}/cloud-client/`;
const PIN = '246810';
let server: Server | undefined;
let scratch = '';
let faceVideo = '';

test.beforeAll(async ({ browser }) => {
  scratch = mkdtempSync(join(tmpdir(), 'localface-audit-a11y-'));
  server = await serve('demo-dist', CHECKIN_PORT);
  const page = await browser.newPage();
  faceVideo = join(scratch, 'face.y4m');
  await writeFakeCameraVideo(page, 'e2e/fixtures/camera/subject06-enroll.jpg', faceVideo);
  await page.close();
});

test.afterAll(async () => {
  if (server?.listening) await new Promise((done) => server!.close(done));
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

let profiles = 0;
async function open(
  url: string,
  {
    video = faceVideo as string | null,
    init = undefined as string | undefined,
    models404 = false,
    heldModels = undefined as { files: RegExp; until: Promise<void> } | undefined,
    width = 1000,
    height = 1100,
    serviceWorkers = 'allow' as 'allow' | 'block',
  } = {},
): Promise<{ context: BrowserContext; page: Page }> {
  const context = await launchWithCamera(video, join(scratch, `profile-${profiles++}`), { serviceWorkers });
  if (models404) await context.route('**/models/**', (route) => route.fulfill({ status: 404, body: '' }));
  // A slow connection: the model files that match answer only once `until` resolves; the others at once.
  if (heldModels)
    await context.route('**/models/**', async (route) => {
      if (heldModels.files.test(new URL(route.request().url()).pathname)) await heldModels.until;
      await route.continue().catch(() => undefined);
    });
  const page = context.pages()[0] ?? (await context.newPage());
  await page.setViewportSize({ width, height });
  if (init) await page.addInitScript(init);
  await page.goto(url);
  return { context, page };
}

const rejectCamera = (name: string, message: string) =>
  `navigator.mediaDevices.getUserMedia = () => Promise.reject(new DOMException(${JSON.stringify(message)}, ${JSON.stringify(name)}));`;

/** Words that belong to a developer, not to a person at a kiosk: option names, error codes, URLs, file names. */
const DEVELOPER_WORDS = /modelBaseUrl|ERR_[A-Z_]+|https?:\/\/|\.onnx|\.wasm|dist\/models/;

const focusedId = (page: Page) => page.evaluate(() => document.activeElement?.id ?? '');

/** Every button, textbox and link in the accessibility tree has a name. */
async function unnamedControls(page: Page): Promise<string[]> {
  const snapshot = await page.locator('body').ariaSnapshot();
  return snapshot
    .split('\n')
    .filter((line) => /^\s*- (button|textbox|link|checkbox|combobox)\s*(\[|:|$)/.test(line))
    .map((line) => line.trim());
}

test('kiosk by keyboard alone: set the staff PIN, enroll, be recognised, delete (asked twice), Escape locks', async () => {
  const { context, page } = await open(KIOSK);
  await expect(page.getByTestId('loading')).toBeHidden({ timeout: 120_000 });
  expect(await unnamedControls(page)).toEqual([]);
  await page.keyboard.press('Tab');
  await expect.poll(() => focusedId(page)).toBe('enroll-name');
  await page.keyboard.press('Tab');
  await page.keyboard.press('Tab');
  await expect.poll(() => focusedId(page)).toBe('staff-pin');
  for (let i = 0; i < 2; i++) {
    await page.keyboard.type(PIN);
    await page.keyboard.press('Enter');
  }
  await expect(page.getByTestId('staff-panel')).toBeVisible();
  await expect.poll(() => focusedId(page)).toBe('staff-panel-heading');
  await page.getByTestId('enroll-name').focus();
  await page.keyboard.type('Alice');
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('enroll-message')).toHaveText('Enrolled Alice.', { timeout: 60_000 });
  await expect(page.getByTestId('announce-polite')).toHaveText('Recognised: Alice.', { timeout: 30_000 });
  // The focus ring is visible on the control a keyboard user is on.
  const outline = await page.evaluate(() => getComputedStyle(document.activeElement!).outlineStyle);
  expect(outline).toBe('solid');
  await page.getByRole('button', { name: 'Delete Alice' }).focus();
  // A deletion is asked for twice: the first press only asks, and says so.
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('staff-message')).toHaveText('Press again to delete Alice for good.');
  await expect(page.getByRole('button', { name: 'Really delete Alice?' })).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('staff-message')).toHaveText('Deleted Alice.');
  await expect.poll(() => focusedId(page)).toBe('staff-panel-heading'); // not lost to <body>
  await page.keyboard.press('Escape');
  await expect(page.getByTestId('staff-panel')).toBeHidden();
  await expect.poll(() => focusedId(page)).toBe('staff-pin');
  await context.close();
});

test('kiosk, model files missing: the person is told in plain words, and the staff form does not say "still starting" for ever', async () => {
  const { context, page } = await open(KIOSK, { models404: true });
  await expect(page.getByTestId('status')).toContainText('could not start', { timeout: 120_000 });
  const status = (await page.getByTestId('status').textContent()) ?? '';
  await page.getByTestId('staff-pin').fill(PIN);
  await page.getByTestId('staff-pin').press('Enter');
  // Its own words (not "still starting"), read once the form has answered the Enter.
  await expect(page.getByTestId('staff-message')).toHaveText(/^The kiosk could not start/);
  await context.close();
  expect(status).not.toMatch(DEVELOPER_WORDS);
});

test('kiosk, camera in use by another app (NotReadableError): the person is told to close that app', async () => {
  const { context, page } = await open(KIOSK, {
    init: rejectCamera('NotReadableError', 'Could not start video source'),
  });
  await expect(page.getByTestId('status')).toContainText('camera', { timeout: 60_000 });
  const status = (await page.getByTestId('status').textContent()) ?? '';
  await context.close();
  // What to do: close the other app, then reload (as the check-in page says).
  expect(status).toMatch(/close|another app|in use/i);
});

test('kiosk at 360 px: a long one-word name wraps, nothing is pushed off screen', async () => {
  const { context, page } = await open(KIOSK, { width: 360, height: 640 });
  await expect(page.getByTestId('loading')).toBeHidden({ timeout: 120_000 });
  for (let i = 0; i < 2; i++) {
    await page.getByTestId('staff-pin').fill(PIN);
    await page.getByTestId('staff-pin').press('Enter');
  }
  await expect(page.getByTestId('staff-panel')).toBeVisible();
  await page.getByTestId('enroll-name').fill('Venkataramanasubramanian');
  await page.getByTestId('enroll-name').press('Enter');
  await expect(page.getByTestId('enroll-message')).toContainText('Enrolled', { timeout: 60_000 });
  await expect(page.getByTestId('status')).toContainText('Venkataramanasubramanian', { timeout: 30_000 });
  const scrollWidth = await page.evaluate(() => document.documentElement.scrollWidth);
  await context.close();
  expect(scrollWidth).toBeLessThanOrEqual(360);
});

test('check-in by keyboard alone: check in, staff PIN, enroll from the camera, export, clear (confirmed)', async () => {
  const { context, page } = await open(CHECKIN);
  page.on('dialog', (dialog) => void dialog.accept());
  await expect(page.getByTestId('status')).toContainText('Ready', { timeout: 120_000 });
  expect(await unnamedControls(page)).toEqual([]);
  await page.keyboard.press('Tab');
  await expect.poll(() => focusedId(page)).toBe('check-in');
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('verdict')).toHaveText(/Not recognised/, { timeout: 60_000 });
  await expect.poll(() => focusedId(page)).toBe('check-in');
  await page.keyboard.press('Tab');
  for (let i = 0; i < 2; i++) {
    await page.keyboard.type(PIN);
    await page.keyboard.press('Enter');
  }
  await expect(page.getByTestId('staff-unlocked')).toBeVisible();
  await page.getByTestId('enroll-name').focus();
  await page.keyboard.type('Alice');
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('enroll-message')).toHaveText('Enrolled Alice.', { timeout: 60_000 });
  await page.getByTestId('check-in').focus();
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('announce-polite')).toContainText('Welcome, Alice', { timeout: 60_000 });
  await page.getByTestId('export-csv').focus();
  const download = page.waitForEvent('download');
  await page.keyboard.press('Enter');
  expect((await download).suggestedFilename()).toMatch(/\.csv$/);
  await page.keyboard.press('Tab');
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('log-message')).toHaveText('Cleared 2 check-ins.');
  await page.keyboard.press('Escape');
  await expect(page.getByTestId('log-area')).toBeHidden();
  await expect.poll(() => focusedId(page)).toBe('staff-pin');
  await context.close();
});

test('check-in, the liveness model fails at the first check-in: the public sees no URL, option name or code', async () => {
  // No service worker: the check-in app's would precache the liveness model as the page starts, and serve it past the
  // route below.
  const { context, page } = await open(CHECKIN, { serviceWorkers: 'block' });
  await expect(page.getByTestId('status')).toContainText('Ready', { timeout: 120_000 });
  await context.route('**/models/fasnet-liveness.onnx', (route) => route.fulfill({ status: 404, body: '' }));
  await page.getByTestId('check-in').click();
  await expect(page.getByTestId('verdict')).toContainText('Could not check in', { timeout: 60_000 });
  const verdict = (await page.getByTestId('verdict').textContent()) ?? '';
  await context.close();
  expect(verdict).not.toMatch(DEVELOPER_WORDS);
});

test('check-in, model files missing at start: no developer words in the status line', async () => {
  const { context, page } = await open(CHECKIN, { models404: true });
  await expect(page.getByTestId('status')).toContainText('Could not start', { timeout: 120_000 });
  const status = (await page.getByTestId('status').textContent()) ?? '';
  await context.close();
  expect(status).not.toMatch(DEVELOPER_WORDS);
});

test('check-in, a slow model download shows its progress', async () => {
  // The largest model file (MobileFaceNet, 5 MB of the 12 MB) is held back while the others arrive: the bar must
  // show the part loaded, neither empty nor full.
  let release!: () => void;
  const until = new Promise<void>((resolve) => (release = resolve));
  const { context, page } = await open(CHECKIN, { heldModels: { files: /\/mobilefacenet\.tflite$/, until } });
  const progress = page.getByTestId('progress');
  const bar = () => progress.evaluate((p: HTMLProgressElement) => ({ hidden: p.hidden, value: p.value, max: p.max }));
  await expect
    .poll(async () => {
      const { hidden, value, max } = await bar();
      return !hidden && value > 0 && value < max;
    })
    .toBe(true);
  await expect(progress).toBeVisible();
  await expect(page.getByTestId('status')).toHaveText('Loading models…');
  release();
  await expect(page.getByTestId('status')).toHaveText(/^Ready on /, { timeout: 120_000 });
  await expect(progress).toBeHidden();
  await context.close();
});

async function runCloudCalls(page: Page): Promise<void> {
  await expect(page.getByTestId('offline-status')).toHaveText('offline ready', { timeout: 120_000 });
  await page.getByTestId('enroll-file').setInputFiles('e2e/fixtures/camera/subject06-enroll.jpg');
  await page.getByTestId('search-file').setInputFiles('e2e/fixtures/camera/subject06-later.jpg');
  await page.getByTestId('run').click();
  await expect(page.getByTestId('log')).toContainText('done', { timeout: 120_000 });
}

test('cloud client, first visit: no "new version" is offered after a run when there is none', async () => {
  const { context, page } = await open(CLOUD, { video: null });
  expect(await unnamedControls(page)).toEqual([]);
  await runCloudCalls(page);
  const waiting = await page.evaluate(async () => !!(await navigator.serviceWorker.getRegistration())?.waiting);
  const offered = await page.getByTestId('update').isVisible();
  await context.close();
  expect(waiting).toBe(false); // no new version exists
  expect(offered).toBe(false);
});

test("cloud client at 360 px: the answers' long JSON wraps, the page does not scroll sideways", async () => {
  const { context, page } = await open(CLOUD, { video: null, width: 360, height: 640 });
  await runCloudCalls(page);
  const scrollWidth = await page.evaluate(() => document.documentElement.scrollWidth);
  await context.close();
  expect(scrollWidth).toBeLessThanOrEqual(360);
});
