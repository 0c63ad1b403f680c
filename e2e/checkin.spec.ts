// The offline check-in PWA as `npm run build:demo` builds it (demo-dist/checkin/): first visit online caches the
// app and every model; then the server is shut down, the browser goes offline, and the reloaded app still checks a
// person in from the (fake) camera, logs it in IndexedDB and exports the log as CSV.
import { chromium, test, expect, type Browser, type Page } from '@playwright/test';
import { createHash } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serve } from '../scripts/serve.mjs';
import { CHROMIUM_PATH, lanHostArgs } from './chromium.mjs';
import { liveCameras as liveCamerasOf, shownCamera } from './cameraPages';
import { launchWithCamera, writeFakeCameraVideo } from './fakeCamera.mjs';
import { CHECKIN_PORT } from './ports';
import { storeCounts } from './storeInspect';

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

async function stopServer(): Promise<void> {
  if (server?.listening)
    await new Promise((done) => {
      server!.closeAllConnections();
      server!.close(done);
    });
}

test.afterAll(async () => {
  await stopServer();
  rmSync(scratch, { recursive: true, force: true });
});

/** A copy of the built site (scratch/`name`), served in place of demo-dist/: a test can deploy another version into it. */
async function serveCopyOfSite(name: string): Promise<string> {
  const site = join(scratch, name);
  cpSync('demo-dist', site, { recursive: true });
  await stopServer();
  server = await serve(site, PORT);
  return site;
}

/** A browser whose fake camera shows subject 6 (another session than the one enrolled), in a profile of its own. */
async function cameraBrowser(helperPage: Page, name: string) {
  if (!server?.listening) server = await serve('demo-dist', PORT);
  const video = join(scratch, `${name}.y4m`);
  await writeFakeCameraVideo(helperPage, 'e2e/fixtures/camera/subject06-later.jpg', video);
  const context = await launchWithCamera(video, join(scratch, `profile-${name}`));
  const page = context.pages()[0] ?? (await context.newPage());
  return { context, page };
}

/** The device's staff PIN: set at the check-in page, the kiosk's too (one PIN per device). */
const STAFF_PIN = '135790';

/** Sets the staff PIN on a device that has none (typed twice), which unlocks staff mode. */
async function setStaffPin(page: Page): Promise<void> {
  await expect(page.getByTestId('staff-message')).toContainText('No staff PIN yet');
  for (let i = 0; i < 2; i++) {
    await page.getByTestId('staff-pin').fill(STAFF_PIN);
    await page.getByTestId('staff-button').click();
  }
  await expect(page.getByTestId('staff-unlocked')).toBeVisible();
}

/**
 * Presses Check in until the verdict matches `expected`: a check-in has 6 s to decide, and the first one after a
 * (re)load also loads the liveness models, which a busy machine may not finish in time ("try again", as a person
 * would). Up to three tries.
 */
async function checkInUntil(page: Page, expected: RegExp): Promise<void> {
  for (let attempt = 0; attempt < 3; attempt++) {
    await page.getByTestId('check-in').click();
    await expect(page.getByTestId('check-in')).toBeEnabled({ timeout: 60_000 });
    if (expected.test((await page.getByTestId('verdict').textContent()) ?? '')) break;
  }
  await expect(page.getByTestId('verdict')).toHaveText(expected);
}

/** The CSV export's lines (without the byte order mark), from a click on Export CSV. */
async function exportCsv(page: Page): Promise<string[]> {
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-csv').click()]);
  return readFileSync(await download.path(), 'utf8')
    .replace(/^\uFEFF/, '')
    .split('\r\n');
}

const WELCOME = /^Welcome, Subject Six \(similarity (0\.[7-9]\d|1\.00)\)$/;

const CSV_HEADER = 'time,localTime,result,personId,personName,similarity,detail';

async function unlockStaff(page: Page): Promise<void> {
  await page.getByTestId('staff-pin').fill(STAFF_PIN);
  await page.getByTestId('staff-button').click();
  await expect(page.getByTestId('staff-unlocked')).toBeVisible();
}

test('installable; after one online visit it checks people in with the network off, and exports the log', async ({
  page: helperPage,
}) => {
  test.setTimeout(300_000);
  const { context, page } = await cameraBrowser(helperPage, 'online-offline');
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(error.message));
  page.on('request', (request) => {
    if (!request.url().startsWith(`http://127.0.0.1:${PORT}/`) && !/^(blob|data):/.test(request.url()))
      problems.push(`request to ${request.url()}`);
  });

  // Count the page's calls of persist(): the storage answer shown must come from asking.
  await page.addInitScript(() => {
    const w = window as unknown as { persistCalls: number };
    w.persistCalls = 0;
    const persist = navigator.storage.persist.bind(navigator.storage);
    navigator.storage.persist = () => {
      w.persistCalls++;
      return persist();
    };
  });

  // First visit, online: the service worker caches the shell and all models.
  await page.goto(APP);
  // On WASM (this machine's backend: its WebGL is software) MobileFaceNet runs in the embedding Worker.
  await expect(page.getByTestId('status')).toHaveText(/^Ready on WASM, 2 threads$/, { timeout: 120_000 });
  await expect(page.getByTestId('offline-status')).toHaveText(/^offline ready: \d+ files cached$/, {
    timeout: 120_000,
  });
  // "Ready" and "offline ready" are in a status region: read out as they change.
  await expect(page.getByRole('status').filter({ has: page.getByTestId('offline-status') })).toContainText(
    'offline ready',
  );
  const cached = Number(/(\d+) files/.exec((await page.getByTestId('offline-status').textContent())!)![1]);
  const models = (JSON.parse(readFileSync('demo-dist/models/manifest.json', 'utf8')) as { files: unknown[] }).files
    .length;
  expect(cached).toBeGreaterThan(models);
  // Once the app works offline it asks the browser to keep its data, and shows the browser's answer.
  const storage = page.getByTestId('storage');
  await expect(storage).toHaveAttribute('data-persisted', /^(true|false)$/);
  expect(await page.evaluate(() => (window as unknown as { persistCalls: number }).persistCalls)).toBeGreaterThan(0);
  const persisted = await page.evaluate(() => navigator.storage.persisted());
  await expect(storage).toHaveAttribute('data-persisted', String(persisted));
  await expect(storage).toHaveText(persisted ? /^Storage: persistent/ : /^Storage: best-effort/);

  // Installable as an app: Chromium finds no problem with the manifest, icons and service worker.
  const cdp = await context.newCDPSession(page);
  const { installabilityErrors } = await cdp.send('Page.getInstallabilityErrors');
  expect(installabilityErrors).toEqual([]);

  // Enrolling (a photo is not checked for liveness) is for staff: refused before the device has a staff PIN. The log
  // (who checked in, when), its export and clearing are for staff too: not shown at all.
  let downloads = 0;
  page.on('download', () => downloads++);
  await page.getByTestId('enroll-name').fill('Subject Six');
  await page.getByTestId('enroll-file').setInputFiles('e2e/fixtures/camera/subject06-enroll.jpg');
  await page.getByTestId('enroll-button').click();
  await expect(page.getByTestId('enroll-message')).toHaveText(
    'Enrolling needs the staff PIN: set it under Staff first.',
  );
  await expect(page.getByTestId('log-locked')).toBeVisible();
  for (const id of ['log-area', 'export-csv', 'clear-log']) await expect(page.getByTestId(id)).toBeHidden();
  await expect(page.getByTestId('people-count')).toHaveText('0');
  expect(downloads).toBe(0);

  // Staff set the PIN, then enroll from an ID photo (another day than the camera frame). The form hidden, the focus
  // goes to the staff-mode line (not to the page); the name and photo refused above are still there. The log shows.
  await setStaffPin(page);
  await expect(page.getByTestId('staff-unlocked')).toBeFocused();
  await expect(page.getByTestId('log-area')).toBeVisible();
  await expect(page.getByTestId('log-locked')).toBeHidden();
  await expect(page.getByLabel('Name', { exact: true })).toHaveValue('Subject Six');
  await page.getByRole('button', { name: 'Enroll', exact: true }).click();
  await expect(page.getByTestId('enroll-message')).toHaveText('Enrolled Subject Six.', { timeout: 60_000 });
  await expect(page.getByTestId('people-count')).toHaveText('1');
  // The face's template is kept, not its picture: nothing in the app shows one.
  expect((await storeCounts(page, 'localface-demo')).faceImages).toBe(0);

  // Network gone: the server stops and the browser is offline. The app reloads from the service worker's cache.
  await stopServer();
  await context.setOffline(true);
  await page.reload();
  // Offline too: Chromium does not pass the Worker's own script request to this service worker (its scope, /checkin/,
  // does not hold /models/), so the library starts it from a fetch() of the script, which the service worker serves.
  await expect(page.getByTestId('status')).toHaveText(/^Ready on WASM, 2 threads( \(offline\))?$/, {
    timeout: 120_000,
  });
  await expect(page.getByTestId('people-count')).toHaveText('1');

  // The reloaded page is locked: the person checking in sees their welcome, and nobody else's check-ins.
  await checkInUntil(page, WELCOME);
  await expect(page.getByTestId('log-locked')).toBeVisible();
  await expect(page.getByTestId('log-row')).toHaveCount(0);
  expect(await page.locator('body').innerText()).not.toContain('checked-in');
  // The welcome is read out; the button, disabled while the check-in ran, has the focus again.
  await expect(page.getByTestId('announce-polite')).toHaveText(WELCOME);
  await expect(page.getByTestId('check-in')).toBeFocused();
  await page.screenshot({ path: test.info().outputPath('checkin-offline.png'), fullPage: true });
  // The welcome names the person for ten seconds, then goes: the next person at the screen does not see it.
  await expect(page.getByTestId('verdict')).toHaveText('', { timeout: 20_000 });
  await expect(page.getByTestId('announce-polite')).toHaveText('');
  expect(await page.locator('body').innerText()).not.toContain('Subject Six');

  // The log survives a reload (IndexedDB), and staff see it once they enter the PIN (the device has one now).
  await page.reload();
  await expect(page.getByTestId('status')).toHaveText(/^Ready on/, { timeout: 120_000 });
  await expect(page.getByTestId('log-row')).toHaveCount(0);
  expect(downloads).toBe(0);
  await unlockStaff(page);
  await expect(page.getByTestId('log-row')).toHaveCount(1);
  await expect(page.getByTestId('log-row').first()).toContainText('checked-in');
  // A time zone where today is another day than in UTC (UTC-12 in the UTC morning, UTC+14 after noon): the file is
  // named by the local day, as the log on screen shows it.
  const timezoneId = new Date().getUTCHours() < 12 ? 'Etc/GMT+12' : 'Pacific/Kiritimati';
  await cdp.send('Emulation.setTimezoneOverride', { timezoneId });
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-csv').click()]);
  const localDay = await page.evaluate(() => new Date().toLocaleDateString('sv-SE'));
  expect(localDay).not.toBe(new Date().toISOString().slice(0, 10));
  expect(download.suggestedFilename()).toBe(`check-ins-${localDay}.csv`);
  // UTF-8 with a byte order mark (spreadsheets read the names right); each time in UTC, and local as on screen.
  const bytes = readFileSync(await download.path());
  expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
  const csv = bytes.toString('utf8').slice(1).split('\r\n');
  expect(csv[0]).toBe(CSV_HEADER);
  const row = /^([\d-]+T[\d:.]+Z),([\d-]+ [\d:]+),checked-in,p-[\w-]+,Subject Six,(0\.[7-9]\d{3}|1\.0000),$/.exec(
    csv[1]!,
  );
  expect(row, csv[1]).not.toBeNull();
  const shownLocally = await page.evaluate((iso) => new Date(iso).toLocaleString('sv-SE'), row![1]!);
  expect(row![2]).toBe(shownLocally);
  expect(csv).toHaveLength(3); // header, one row, final CRLF

  // Retention: an entry older than 30 days is gone on the next start.
  await page.evaluate(
    () =>
      new Promise<void>((done, fail) => {
        const open = indexedDB.open('localface-checkin-log');
        open.onerror = () => fail(open.error);
        open.onsuccess = () => {
          const tx = open.result.transaction('checkins', 'readwrite');
          tx.objectStore('checkins').add({
            time: Date.now() - 31 * 86_400_000,
            result: 'unknown',
            personId: '',
            personName: '',
            similarity: null,
            detail: 'old',
          });
          tx.oncomplete = () => {
            open.result.close();
            done();
          };
        };
      }),
  );
  await page.reload();
  await expect(page.getByTestId('status')).toHaveText(/^Ready on/, { timeout: 120_000 });
  await unlockStaff(page);
  await expect(page.getByTestId('log-row')).toHaveCount(1);

  // Deleting the person at the kiosk (staff PIN) removes their check-ins from the log too. The kiosk asks for the
  // PIN set at the check-in page: one PIN for the device.
  server = await serve('demo-dist', PORT);
  await context.setOffline(false);
  const kiosk = await context.newPage();
  kiosk.on('pageerror', (error) => problems.push(error.message));
  await kiosk.goto(`http://127.0.0.1:${PORT}/index.html`);
  await expect(kiosk.getByTestId('mode')).toHaveText(/recognition in/, { timeout: 120_000 });
  await expect(kiosk.getByTestId('staff-button')).toHaveText('Unlock');
  await kiosk.getByTestId('staff-pin').fill(STAFF_PIN);
  await kiosk.getByTestId('staff-button').click();
  await kiosk.getByRole('button', { name: 'Delete Subject Six' }).click();
  await kiosk.getByRole('button', { name: 'Really delete Subject Six?' }).click();
  await expect(kiosk.getByTestId('people')).toContainText('Nobody yet');
  await kiosk.close();
  await page.reload();
  // The page's own HTML says 0 and lists no rows before the app has read anything: wait until it has.
  await expect(page.getByTestId('status')).toHaveText(/^Ready on/, { timeout: 120_000 });
  await expect(page.getByTestId('people-count')).toHaveText('0');
  await unlockStaff(page);
  await expect(page.getByTestId('log-row')).toHaveCount(0);
  await expect(page.getByTestId('log-area')).toContainText('The latest 50 check-ins');

  await context.close();
  expect(problems, 'page errors or requests to other hosts').toEqual([]);
});

test('the service worker caches only bytes matching the build: an altered model fails the install and is never served', async ({
  page: helperPage,
}) => {
  test.setTimeout(300_000);
  const { context, page } = await cameraBrowser(helperPage, 'tampered');
  // Every request for one weights file, the service worker's included, gets one byte flipped.
  await context.route('**/models/face-detector-short.bin', async (route) => {
    const response = await route.fetch();
    const body = await response.body();
    body[1000] = body[1000]! ^ 0xff;
    await route.fulfill({ response, body });
  });
  await page.goto(APP);
  // In words for the person at the screen (the model's URL and code go to the console).
  await expect(page.getByTestId('status')).toHaveText(
    /^Could not start: A face model could not be loaded: check the network connection, then try again .*Reload the page to try again\.$/,
    { timeout: 120_000 },
  );
  await expect(page.getByTestId('offline-status')).toHaveText(/failed|cleared/, { timeout: 60_000 });
  expect(
    await page.evaluate(async () => (await caches.keys()).filter((k) => k.startsWith('localface-checkin-'))),
  ).toEqual([]);

  // The server's bytes are right again: the next visit installs and works.
  await context.unrouteAll();
  await page.reload();
  await expect(page.getByTestId('status')).toHaveText(/^Ready on (WASM|WEBGL)/, { timeout: 120_000 });
  await expect(page.getByTestId('offline-status')).toHaveText(/^offline ready: \d+ files cached$/, {
    timeout: 120_000,
  });
  await context.close();
});

test('the offline cache emptied while the app stays installed is filled again on the next online visit, and the app then starts offline', async ({
  page: helperPage,
}) => {
  test.setTimeout(300_000);
  const { context, page } = await cameraBrowser(helperPage, 'evicted');
  const offline = page.getByTestId('offline-status');
  await page.goto(APP);
  await expect(offline).toHaveText(/^offline ready: \d+ files cached$/, { timeout: 120_000 });
  const files = /(\d+) files/.exec((await offline.textContent()) ?? '')![1];
  // What the browser does under storage pressure, or a user clearing cached files: the worker stays registered.
  const cdp = await context.newCDPSession(page);
  await cdp.send('Storage.clearDataForOrigin', { origin: new URL(APP).origin, storageTypes: 'cache_storage' });
  await page.reload();
  // It said "offline ready: 0 files cached" here, and the app did not start offline until the next version.
  await expect(offline).toHaveText(`offline ready: ${files} files cached`, { timeout: 120_000 });
  await expect(offline).toHaveAttribute('data-ready', 'true');
  await stopServer();
  await page.reload();
  await expect(page.getByTestId('status')).toHaveText(/^Ready on (WASM|WEBGL)/, { timeout: 120_000 });
  await context.close();
});

test('a model the start does not need arrives altered: the app runs, and the offline line says which file failed the install', async ({
  page: helperPage,
}) => {
  test.setTimeout(180_000);
  const { context, page } = await cameraBrowser(helperPage, 'tampered-later');
  // The liveness model loads only at the first check-in, but the service worker caches it on install.
  await context.route('**/models/fasnet-liveness.onnx', async (route) => {
    const response = await route.fetch();
    const body = await response.body();
    body[1000] = body[1000]! ^ 0xff;
    await route.fulfill({ response, body });
  });
  await page.goto(APP);
  await expect(page.getByTestId('status')).toHaveText(/^Ready on/, { timeout: 120_000 });
  await expect(page.getByTestId('offline-status')).toHaveText(
    /^offline cache failed: \.\.\/models\/fasnet-liveness\.onnx: sha256 [0-9a-f]{64} is not the build's [0-9a-f]{64}; the next visit tries again$/,
    { timeout: 120_000 },
  );
  expect(
    await page.evaluate(async () => (await caches.keys()).filter((k) => k.startsWith('localface-checkin-'))),
  ).toEqual([]);
  // The connection breaks on that file instead: the line names it too (it said only "Failed to fetch").
  await context.unrouteAll();
  await context.route('**/models/fasnet-liveness.onnx', (route) => route.abort('connectionreset'));
  await page.reload();
  await expect(page.getByTestId('offline-status')).toHaveText(
    /^offline cache failed: \.\.\/models\/fasnet-liveness\.onnx: .+; the next visit tries again$/,
    { timeout: 120_000 },
  );
  await context.close();
});

test('a camera that stops checks nobody in from its frozen picture, and a camera connected again checks people in without a reload; an entry of another day shows its date', async ({
  page: helperPage,
}) => {
  test.setTimeout(240_000);
  const { context, page } = await cameraBrowser(helperPage, 'camera-stops');
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(error.message));
  await page.goto(APP);
  await expect(page.getByTestId('status')).toHaveText(/^Ready on/, { timeout: 120_000 });

  // The log keeps 30 days: a check-in of three days ago shows its date, not only its time.
  const threeDaysAgo = Date.now() - 3 * 86_400_000;
  await page.evaluate(
    (time) =>
      new Promise<void>((done, fail) => {
        const open = indexedDB.open('localface-checkin-log');
        open.onerror = () => fail(open.error);
        open.onsuccess = () => {
          const tx = open.result.transaction('checkins', 'readwrite');
          tx.objectStore('checkins').add({
            time,
            result: 'unknown',
            personId: '',
            personName: '',
            similarity: null,
            detail: '',
          });
          tx.oncomplete = () => {
            open.result.close();
            done();
          };
        };
      }),
    threeDaysAgo,
  );
  await page.reload();
  await expect(page.getByTestId('status')).toHaveText(/^Ready on/, { timeout: 120_000 });
  await setStaffPin(page);
  const when = await page.evaluate((time) => new Date(time).toLocaleString(), threeDaysAgo);
  await expect(page.getByTestId('log-row').locator('td').first()).toHaveText(when);

  // Enrolled, so that the camera's last picture would check them in.
  await page.getByTestId('enroll-name').fill('Subject Six');
  await page.getByTestId('enroll-file').setInputFiles('e2e/fixtures/camera/subject06-enroll.jpg');
  await page.getByTestId('enroll-button').click();
  await expect(page.getByTestId('enroll-message')).toHaveText('Enrolled Subject Six.', { timeout: 60_000 });

  // As when the camera is unplugged: the <video> element keeps its last picture, frozen.
  await page.evaluate(() => (document.querySelector('video')!.srcObject as MediaStream).getVideoTracks()[0]!.stop());
  const stopped = 'Camera disconnected — reconnect the camera.';
  await expect(page.getByTestId('verdict')).toHaveText(stopped);
  // A problem is read out at once (assertive).
  await expect(page.getByTestId('announce-assertive')).toHaveText(stopped);
  await page.getByTestId('check-in').click();
  // The button is disabled while a check-in runs: enabled again, this one has finished.
  await expect(page.getByTestId('check-in')).toBeEnabled({ timeout: 60_000 });
  await expect(page.getByTestId('verdict')).toHaveText(stopped);
  await expect(page.getByTestId('log-row')).toHaveCount(1);

  // Clearing the log asks first: cancelled, the entry stays; confirmed, it goes.
  const dialogs: string[] = [];
  page.once('dialog', (dialog) => {
    dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  await page.getByTestId('clear-log').click();
  await expect(page.getByTestId('log-message')).toHaveText('The log was not cleared.');
  await expect(page.getByTestId('log-row')).toHaveCount(1);
  page.once('dialog', (dialog) => void dialog.accept());
  await page.getByTestId('clear-log').click();
  await expect(page.getByTestId('log-message')).toHaveText('Cleared 1 check-in.');
  await expect(page.getByTestId('log-row')).toHaveCount(0);
  expect(dialogs).toEqual(['Delete 1 check-in from this device? Export the CSV first to keep them.']);

  // Escape in the log (as in the staff-mode line) locks, as it closes a dialog: the log goes, the focus goes back to
  // the PIN field.
  await page.getByTestId('export-csv').press('Escape');
  await expect(page.getByTestId('staff-unlocked')).toBeHidden();
  await expect(page.getByTestId('log-area')).toBeHidden();
  await expect(page.getByLabel('Staff PIN')).toBeFocused();
  await expect(page.getByTestId('staff-message')).toHaveText('Staff mode locked.');

  // The camera connected again (a devicechange, as when it is plugged back in): used without a reload.
  await page.evaluate(() => navigator.mediaDevices.dispatchEvent(new Event('devicechange')));
  await expect(page.getByTestId('verdict')).toHaveText('Camera connected.');
  await expect.poll(() => page.evaluate(() => document.querySelector('video')!.srcObject !== null)).toBe(true);
  await checkInUntil(page, WELCOME);
  await context.close();
  expect(problems).toEqual([]);
});

test('staff choose one of two cameras (a choice made during a check-in waits for it), kept for this device after a reload, the kiosk opens it too; chosen while none could start, it checks people in; the list is for staff only', async () => {
  test.setTimeout(240_000);
  if (!server?.listening) server = await serve('demo-dist', PORT);
  // Two of Chromium's default fake cameras (no face): fake_device_0 and fake_device_1.
  const context = await launchWithCamera(null, join(scratch, 'profile-two-cameras'), { cameras: 2 });
  // Every stream the page opens (to see which cameras are still on), and cameras the test makes busy, as when another
  // app holds them (sessionStorage, so that it holds across reloads).
  await context.addInitScript(() => {
    const w = window as unknown as { openedStreams: MediaStream[] };
    w.openedStreams = [];
    const devices = navigator.mediaDevices;
    const getUserMedia = devices.getUserMedia.bind(devices);
    devices.getUserMedia = async (constraints) => {
      const stream = await getUserMedia(constraints);
      const label = stream.getVideoTracks()[0]?.label ?? '';
      if ((sessionStorage.getItem('busyCameras') ?? '').split(',').includes(label)) {
        for (const track of stream.getTracks()) track.stop();
        throw new DOMException('Could not start video source', 'NotReadableError');
      }
      w.openedStreams.push(stream);
      return stream;
    };
  });
  const page = context.pages()[0] ?? (await context.newPage());
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(error.message));
  const shown = () => shownCamera(page);
  const liveCameras = () => liveCamerasOf(page);
  const select = page.getByTestId('camera-select');
  const note = page.getByTestId('camera-note');
  const checkIn = page.getByTestId('check-in');
  const noFace = 'No face in view: stand in front of the camera and try again.';
  try {
    await page.goto(APP);
    await expect(page.getByTestId('status')).toHaveText(/^Ready on/, { timeout: 120_000 });
    await expect.poll(shown).toBe('fake_device_0');
    // Who may change the camera is staff: the list is not on the screen before the PIN.
    await expect(page.getByTestId('camera-choice')).toBeHidden();
    await setStaffPin(page);
    await expect(select.locator('option')).toHaveText(['fake_device_0', 'fake_device_1']);
    await expect(select.locator('option:checked')).toHaveText('fake_device_0');

    // Chosen while a check-in follows someone on the camera shown: the change waits for it, which ends as it would
    // have (no face in this picture), not cut short by its camera going off.
    await checkIn.click();
    await expect(page.getByTestId('verdict')).toHaveText('Look at the camera…');
    await select.focus();
    await select.selectOption({ label: 'fake_device_1' });
    await expect(note).toHaveText('Starting fake_device_1…');
    expect(await shown()).toBe('fake_device_0');
    await expect(page.getByTestId('verdict')).toHaveText(noFace, { timeout: 60_000 });
    await expect(note).toHaveText('This device now uses fake_device_1.');
    expect(await shown()).toBe('fake_device_1');
    await expect(select).toBeFocused();
    expect(await liveCameras(), 'the cameras left on').toEqual(['fake_device_1']);
    // The new camera's picture is checked.
    await expect(checkIn).toBeEnabled();
    await checkIn.click();
    await expect(checkIn).toBeEnabled({ timeout: 60_000 });
    await expect(page.getByTestId('verdict')).toHaveText(noFace);

    // Locked, the list goes with the rest of the staff area.
    await page.getByTestId('staff-lock').click();
    await expect(page.getByTestId('camera-choice')).toBeHidden();

    // Kept for this device: after a reload the app opens the chosen camera, and so does the kiosk (one choice, as one
    // PIN).
    await page.reload();
    await expect.poll(shown, { timeout: 60_000 }).toBe('fake_device_1');
    await page.goto(APP.replace('/checkin/', '/'));
    await expect.poll(shown, { timeout: 60_000 }).toBe('fake_device_1');

    // Both cameras held by another app at the start: no camera, and Check in stays off; staff choose one that is
    // free again, and people check in with it.
    await page.evaluate(() => sessionStorage.setItem('busyCameras', 'fake_device_0,fake_device_1'));
    await page.goto(APP);
    await expect(page.getByTestId('status')).toHaveText(/^Ready on/, { timeout: 120_000 });
    await expect(page.getByTestId('verdict')).toHaveText(/^No camera: it is in use by another app/);
    await expect(checkIn).toBeDisabled();
    await page.evaluate(() => sessionStorage.setItem('busyCameras', 'fake_device_1'));
    await unlockStaff(page);
    await expect(select.locator('option:checked')).toHaveText('Choose a camera');
    await select.selectOption({ label: 'fake_device_0' });
    await expect(note).toHaveText('This device now uses fake_device_0.');
    await expect(page.getByTestId('verdict')).toHaveText('Camera connected.');
    await expect(checkIn).toBeEnabled();
    await checkIn.click();
    await expect(checkIn).toBeEnabled({ timeout: 60_000 });
    await expect(page.getByTestId('verdict')).toHaveText(noFace);
    expect(problems).toEqual([]);
  } finally {
    await context.close();
  }
});

/**
 * The app opened without a camera (no fake camera, no permission: getUserMedia fails, as when the camera is refused
 * or absent), once it is ready; `problems` collects the page's uncaught errors.
 */
async function openWithoutCamera(browser: Browser) {
  if (!server?.listening) server = await serve('demo-dist', PORT);
  const context = await browser.newContext();
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(error.message));
  await page.goto(APP);
  await expect(page.getByTestId('status')).toHaveText(/^Ready on/, { timeout: 120_000 });
  return { context, page, problems };
}

test('without a camera (refused or absent) the page says why and Check in stays off', async ({ browser }) => {
  test.setTimeout(180_000);
  const { context, page, problems } = await openWithoutCamera(browser);
  // Said in words that tell what to do, not as the browser's error name.
  const noCamera =
    /^No camera: (access to it was refused: allow the camera[^.]*, then reload|none is connected: connect a camera|it is in use by another app[^.]*, then reload)\. Staff can still enroll people from photos\.$/;
  await expect(page.getByTestId('verdict')).toHaveText(noCamera);
  // Ready, the page keeps the reason on screen and offers no check-in that could only fail.
  await expect(page.getByTestId('check-in')).toBeDisabled();
  await page.waitForTimeout(1000);
  await expect(page.getByTestId('check-in')).toBeDisabled();
  await expect(page.getByTestId('verdict')).toHaveText(noCamera);
  await context.close();
  expect(problems).toEqual([]);
});

test('staff are told in plain words why a photo is not enrolled: no name, no face, several faces, not a JPEG or PNG, enrolled already', async ({
  browser,
}) => {
  test.setTimeout(240_000);
  // No camera: enrolling from photos is all this needs.
  const { context, page, problems } = await openWithoutCamera(browser);
  await setStaffPin(page);
  const message = page.getByTestId('enroll-message');
  const enroll = async (name: string, photo: string | { name: string; mimeType: string; buffer: Buffer }) => {
    await page.getByTestId('enroll-name').fill(name);
    await page.getByTestId('enroll-file').setInputFiles(photo);
    await page.getByTestId('enroll-button').click();
    await expect(page.getByTestId('enroll-button')).toBeEnabled({ timeout: 90_000 });
  };
  // A WebP photo: the browser shows it, the library takes JPEG and PNG only.
  const webp = Buffer.from(
    await page.evaluate(async () => {
      const canvas = new OffscreenCanvas(200, 200);
      canvas.getContext('2d')!.fillRect(0, 0, 200, 200);
      return [...new Uint8Array(await (await canvas.convertToBlob({ type: 'image/webp' })).arrayBuffer())];
    }),
  );
  const refusals: [string, string | { name: string; mimeType: string; buffer: Buffer }, string][] = [
    // Spaces fill the required field, but are no name: the kiosk's words.
    ['   ', 'e2e/fixtures/lfw/Colin_Powell_0001.jpg', 'Type the person’s name first: a name is needed to enroll.'],
    [
      'No Face',
      'e2e/fixtures/no-face.jpg',
      'No face was found in the photo: pick a photo where the face is clearly visible, from the front.',
    ],
    // Not the largest face of the group enrolled under the name typed.
    [
      'Two People',
      'e2e/fixtures/two-people.jpg',
      'More than one face is in the photo: pick a photo of one person only.',
    ],
    [
      'Text File',
      { name: 'notes.jpg', mimeType: 'image/jpeg', buffer: Buffer.from('not an image at all') },
      'The photo is not a JPEG or PNG image, or the file is damaged: pick a JPEG or PNG photo.',
    ],
    [
      'WebP',
      { name: 'photo.webp', mimeType: 'image/webp', buffer: webp },
      'The photo is not a JPEG or PNG image, or the file is damaged: pick a JPEG or PNG photo.',
    ],
  ];
  for (const [name, photo, said] of refusals) {
    await enroll(name, photo);
    await expect(message).toHaveText(said);
    await expect(page.getByTestId('people-count')).toHaveText('0');
  }
  await enroll('Subject Six', 'e2e/fixtures/camera/subject06-enroll.jpg');
  await expect(message).toHaveText('Enrolled Subject Six.');
  // The same face under another name: staff learn whose it is, not an id or an option of the library.
  await enroll('Subject Six Again', 'e2e/fixtures/camera/subject06-enroll.jpg');
  await expect(message).toHaveText("Already enrolled: this face is Subject Six's.");
  await expect(page.getByTestId('people-count')).toHaveText('1');
  await context.close();
  expect(problems).toEqual([]);
});

test('on plain HTTP at a LAN address the page starts, and says that the camera and the staff PIN need HTTPS', async () => {
  test.setTimeout(180_000);
  if (!server?.listening) server = await serve('demo-dist', PORT);
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: lanHostArgs('checkin.test') });
  try {
    const page = await browser.newPage();
    const problems: string[] = [];
    page.on('pageerror', (error) => problems.push(error.message));
    page.on('request', (request) => {
      if (!request.url().startsWith(`http://checkin.test:${PORT}/`) && !/^(blob|data):/.test(request.url()))
        problems.push(`request to ${request.url()}`);
    });
    await page.goto(`http://checkin.test:${PORT}/checkin/`);
    expect(await page.evaluate(() => window.isSecureContext)).toBe(false);
    await expect(page.getByTestId('status')).toHaveText(/^Ready on/, { timeout: 120_000 });
    await expect(page.getByTestId('verdict')).toHaveText(
      'No camera: the camera needs a secure page: open this app over HTTPS (or at localhost).',
    );
    await expect(page.getByTestId('check-in')).toBeDisabled();
    await expect(page.getByTestId('offline-status')).toHaveText(
      'offline cache: needs a secure page (HTTPS, or localhost)',
    );
    await page.getByTestId('staff-pin').fill(STAFF_PIN);
    await page.getByTestId('staff-button').click();
    await expect(page.getByTestId('staff-message')).toHaveText(
      'The staff PIN needs a secure page: open this app over HTTPS (or at localhost).',
    );
    expect(problems).toEqual([]);
  } finally {
    await browser.close();
  }
});

test("the browser clears the site's data while the app is open: the log, check-in and enroll carry on, and the log database is never held against another tab", async ({
  page: helperPage,
}) => {
  test.setTimeout(300_000);
  const { context, page } = await cameraBrowser(helperPage, 'site-data-cleared');
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(error.message));
  await page.goto(APP);
  await expect(page.getByTestId('status')).toHaveText(/^Ready on/, { timeout: 120_000 });
  await setStaffPin(page);
  const enroll = async () => {
    await page.getByTestId('enroll-name').fill('Subject Six');
    await page.getByTestId('enroll-file').setInputFiles('e2e/fixtures/camera/subject06-enroll.jpg');
    await page.getByTestId('enroll-button').click();
    await expect(page.getByTestId('enroll-message')).toHaveText('Enrolled Subject Six.', { timeout: 60_000 });
  };
  await enroll();
  await checkInUntil(page, WELCOME);
  await expect(page.getByTestId('log-row')).toHaveCount(1);

  // As "Clear site data" in the browser's settings: IndexedDB, localStorage, caches and service workers go.
  await page.evaluate(() => Object.assign(window, { sameDocument: true }));
  const cdp = await context.newCDPSession(page);
  await cdp.send('Storage.clearDataForOrigin', { origin: new URL(APP).origin, storageTypes: 'all' });
  // The service worker went, and no new one came: the page carries on as it is (no reload).
  await page.waitForFunction(() => navigator.serviceWorker.controller === null);
  expect(await page.evaluate(() => (window as { sameDocument?: boolean }).sameDocument)).toBe(true);

  // The staff PIN went with the data: staff mode ends, and a PIN is set afresh.
  await page.getByTestId('export-csv').click();
  await expect(page.getByTestId('log-message')).toHaveText(
    'Exporting the log needs the staff PIN: set it under Staff first.',
  );
  await expect(page.getByTestId('log-message')).toBeVisible();
  await expect(page.getByTestId('log-area')).toBeHidden();
  await setStaffPin(page);
  // The log's connection was ended by the browser: the next use opens the (now empty) log again.
  expect(await exportCsv(page)).toEqual([CSV_HEADER, '']);
  page.once('dialog', (dialog) => void dialog.accept());
  await page.getByTestId('clear-log').click();
  await expect(page.getByTestId('log-message')).toHaveText('Cleared 0 check-ins.');
  // The people went too: the collection is made again, so the person is not recognised, then enrolls again.
  await checkInUntil(page, /^Not recognised: ask staff to enroll you\.$/);
  await enroll();
  await expect(page.getByTestId('people-count')).toHaveText('1');
  await checkInUntil(page, WELCOME);
  await expect(page.getByTestId('log-row')).toHaveCount(2);

  // Another tab deletes (or upgrades) the log database: this page lets go of it at once instead of blocking it, and
  // opens it again when next needed.
  const deletion = await page.evaluate(
    () =>
      new Promise<string>((done) => {
        const request = indexedDB.deleteDatabase('localface-checkin-log');
        request.onblocked = () => done('blocked');
        request.onsuccess = () => done('deleted');
        request.onerror = () => done(`failed: ${String(request.error)}`);
      }),
  );
  expect(deletion).toBe('deleted');
  expect(await exportCsv(page)).toEqual([CSV_HEADER, '']);
  await checkInUntil(page, WELCOME);
  expect(await exportCsv(page)).toHaveLength(3);
  await context.close();
  expect(problems, 'page errors').toEqual([]);
});

test('a new version deployed while the app is open: the open page keeps its own files until staff reload it into the new one', async ({
  page: helperPage,
}) => {
  test.setTimeout(300_000);
  const { context, page } = await cameraBrowser(helperPage, 'update');
  // Version 1: a copy of the built site, served in place of demo-dist/ so that it can be redeployed below.
  const site = await serveCopyOfSite('site');
  try {
    const problems: string[] = [];
    page.on('pageerror', (error) => problems.push(error.message));
    await page.goto(APP);
    await expect(page.getByTestId('status')).toHaveText(/^Ready on/, { timeout: 120_000 });
    await expect(page.getByTestId('offline-status')).toHaveText(/^offline ready/, { timeout: 120_000 });
    const cachesNow = () =>
      page.evaluate(async () => (await caches.keys()).filter((k) => k.startsWith('localface-checkin-')));
    const [v1Cache] = await cachesNow();

    // Version 2: another page, and another liveness model (which this open page has not loaded yet: it loads at the
    // first check-in, checked against version 1's sha256). Its service worker lists the new files' sha256.
    const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
    const changed: [string, (bytes: Buffer) => Buffer][] = [
      ['checkin/index.html', (html) => Buffer.from(html.toString().replace('<h1>', '<h1 data-version="2">'))],
      ['models/fasnet-liveness.onnx', (model) => Buffer.concat([model, Buffer.from('version 2')])],
    ];
    let worker = readFileSync(join(site, 'checkin/sw.js'), 'utf8');
    const { version } = JSON.parse(readFileSync(join(site, 'checkin/precache.json'), 'utf8')) as { version: string };
    worker = worker.replace(version, `${version}-2`);
    for (const [file, change] of changed) {
      const before = readFileSync(join(site, file));
      const after = change(before);
      writeFileSync(join(site, file), after);
      expect(worker).toContain(sha256(before));
      worker = worker.replaceAll(sha256(before), sha256(after)); // checkin/index.html is listed as ./ too
    }
    writeFileSync(join(site, 'checkin/sw.js'), worker);

    // The open page learns of it (as browsers check on navigation, and the page every hour): the new worker
    // installs beside the old one and waits; the page offers the update and keeps version 1's files.
    await page.evaluate(async () => (await navigator.serviceWorker.getRegistration())!.update());
    await expect(page.getByTestId('update')).toBeVisible({ timeout: 120_000 });
    await expect(page.getByTestId('update')).toContainText('A new version of this app is ready.');
    expect(await cachesNow()).toEqual([v1Cache, `localface-checkin-${version}-2`]);
    // The first check-in loads the liveness models: version 1's, from version 1's cache (version 2's model would
    // fail the sha256 this page checks it against: ERR_MODEL_LOAD_FAILED).
    await checkInUntil(page, /^Not recognised: ask staff to enroll you\.$/);
    await expect(page.locator('h1')).not.toHaveAttribute('data-version');

    // Staff reload into version 2: the page reloads itself once the new worker took over.
    await page.getByTestId('update-button').click();
    await expect(page.locator('h1')).toHaveAttribute('data-version', '2', { timeout: 60_000 });
    await expect(page.getByTestId('status')).toHaveText(/^Ready on/, { timeout: 120_000 });
    await expect(page.getByTestId('update')).toBeHidden();
    expect(await cachesNow()).toEqual([`localface-checkin-${version}-2`]);
    expect(problems, 'page errors').toEqual([]);
  } finally {
    await context.close();
    await stopServer(); // the next test serves demo-dist/ again
  }
});

test('a version deployed between the first load and its service worker taking the page over: the page offers the reload, and then runs that version', async ({
  page: helperPage,
}) => {
  test.setTimeout(300_000);
  const { context, page } = await cameraBrowser(helperPage, 'deployed-at-load');
  const site = await serveCopyOfSite('site-at-load');
  /** Version 2 as a build writes it: the entry chunk under a new hashed name (the old one gone), a new page. */
  const deploy = () => {
    const html = readFileSync(join(site, 'checkin/index.html'), 'utf8');
    const entry = /assets\/(checkin-[\w-]+)\.js/.exec(html)![1]!;
    const newHtml = html.replaceAll(`${entry}.js`, `${entry}v2.js`).replace('<h1>', '<h1 data-version="2">');
    renameSync(join(site, `assets/${entry}.js`), join(site, `assets/${entry}v2.js`));
    writeFileSync(join(site, 'checkin/index.html'), newHtml);
    const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
    const { version } = JSON.parse(readFileSync(join(site, 'checkin/precache.json'), 'utf8')) as { version: string };
    const worker = readFileSync(join(site, 'checkin/sw.js'), 'utf8')
      .replace(version, `${version}-2`)
      .replaceAll(`${entry}.js`, `${entry}v2.js`)
      .replaceAll(sha256(html), sha256(newHtml));
    writeFileSync(join(site, 'checkin/sw.js'), worker);
  };
  // The deployment lands just as the first visit registers its worker (after the page's models have loaded).
  let deployed = false;
  server!.prependListener('request', (request) => {
    if (!deployed && request.url?.endsWith('/checkin/sw.js')) {
      deployed = true;
      deploy();
    }
  });
  try {
    await page.goto(APP);
    await expect(page.getByTestId('status')).toHaveText(/^Ready on/, { timeout: 120_000 });
    await expect(page.getByTestId('update')).toBeVisible({ timeout: 120_000 });
    await expect(page.getByTestId('offline-status')).toHaveText(/^offline ready for a newer version/);
    await expect(page.locator('h1')).not.toHaveAttribute('data-version');
    await page.getByTestId('update-button').click();
    await expect(page.locator('h1')).toHaveAttribute('data-version', '2', { timeout: 60_000 });
    await expect(page.getByTestId('offline-status')).toHaveText(/^offline ready: \d+ files cached$/, {
      timeout: 120_000,
    });
    await expect(page.getByTestId('update')).toBeHidden();
  } finally {
    await context.close();
    await stopServer();
  }
});
