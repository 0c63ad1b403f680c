// The offline check-in PWA as `npm run build:demo` builds it (demo-dist/checkin/): first visit online caches the
// app and every model; then the server is shut down, the browser goes offline, and the reloaded app still checks a
// person in from the (fake) camera, logs it in IndexedDB and exports the log as CSV.
import { test, expect } from '@playwright/test';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serve } from '../scripts/serve.mjs';
import { launchWithCamera, writeFakeCameraVideo } from './fakeCamera.mjs';
import { CHECKIN_PORT } from './ports';

// Its own server, so that the test can switch it off: "offline" then means no server at all, not only an
// emulated flag (Chromium's offline emulation does not cover a service worker's own fetches).
const PORT = CHECKIN_PORT;
const APP = `http://127.0.0.1:${PORT}/checkin/`;
let server: Server | undefined;
let scratch = '';

test.beforeAll(async () => {
  scratch = mkdtempSync(join(tmpdir(), 'localface-checkin-'));
  server = await serve('demo-dist', PORT);
});

test.afterAll(async () => {
  if (server?.listening) await new Promise((done) => { server!.closeAllConnections(); server!.close(done); });
  rmSync(scratch, { recursive: true, force: true });
});

test('installable; after one online visit it checks people in with the network off, and exports the log', async ({ page: helperPage }) => {
  test.setTimeout(300_000);
  const video = join(scratch, 'camera.y4m');
  await writeFakeCameraVideo(helperPage, 'e2e/fixtures/camera/subject06-later.jpg', video);
  const context = await launchWithCamera(video, join(scratch, 'profile'));
  const page = context.pages()[0] ?? (await context.newPage());
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(error.message));
  page.on('request', (request) => {
    if (!request.url().startsWith(`http://127.0.0.1:${PORT}/`) && !/^(blob|data):/.test(request.url())) problems.push(`request to ${request.url()}`);
  });

  // First visit, online: the service worker caches the shell and all models.
  await page.goto(APP);
  await expect(page.getByTestId('status')).toHaveText(/^Ready on (WASM|WEBGL)$/, { timeout: 120_000 });
  await expect(page.getByTestId('offline-status')).toHaveText(/^offline ready: \d+ files cached$/, { timeout: 120_000 });
  const cached = Number(/(\d+) files/.exec((await page.getByTestId('offline-status').textContent())!)![1]);
  const models = (JSON.parse(readFileSync('demo-dist/models/manifest.json', 'utf8')) as { files: unknown[] }).files.length;
  expect(cached).toBeGreaterThan(models);

  // Installable as an app: Chromium finds no problem with the manifest, icons and service worker.
  const cdp = await context.newCDPSession(page);
  const { installabilityErrors } = await cdp.send('Page.getInstallabilityErrors');
  expect(installabilityErrors).toEqual([]);

  // Enroll from an ID photo (another day than the camera frame).
  await page.getByTestId('enroll-name').fill('Subject Six');
  await page.getByTestId('enroll-file').setInputFiles('e2e/fixtures/camera/subject06-enroll.jpg');
  await page.getByTestId('enroll-button').click();
  await expect(page.getByTestId('enroll-message')).toHaveText('Enrolled Subject Six.', { timeout: 60_000 });
  await expect(page.getByTestId('people-count')).toHaveText('1');

  // Network gone: the server stops and the browser is offline. The app reloads from the service worker's cache.
  await new Promise((done) => { server!.closeAllConnections(); server!.close(done); });
  await context.setOffline(true);
  await page.reload();
  await expect(page.getByTestId('status')).toHaveText(/^Ready on (WASM|WEBGL)/, { timeout: 120_000 });
  await expect(page.getByTestId('people-count')).toHaveText('1');

  await page.getByTestId('check-in').click();
  await expect(page.getByTestId('verdict')).toHaveText(/^Welcome, Subject Six \(similarity (0\.[7-9]\d|1\.00)\)$/, { timeout: 60_000 });
  await expect(page.getByTestId('log-row')).toHaveCount(1);
  await expect(page.getByTestId('log-row').first()).toContainText('checked-in');
  await page.screenshot({ path: test.info().outputPath('checkin-offline.png'), fullPage: true });

  // The log survives a reload (IndexedDB) and exports as CSV.
  await page.reload();
  await expect(page.getByTestId('log-row')).toHaveCount(1);
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-csv').click()]);
  expect(download.suggestedFilename()).toMatch(/^check-ins-\d{4}-\d{2}-\d{2}\.csv$/);
  const csv = readFileSync(await download.path(), 'utf8').split('\r\n');
  expect(csv[0]).toBe('time,result,personId,personName,similarity,detail');
  expect(csv[1]).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z,checked-in,p-[\w-]+,Subject Six,(0\.[7-9]\d{3}|1\.0000),$/);
  expect(csv).toHaveLength(3);   // header, one row, final CRLF

  await context.close();
  expect(problems, 'page errors or requests to other hosts').toEqual([]);
});
