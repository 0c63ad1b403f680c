// The "cloud client, offline" demo as `npm run build:demo` builds it (demo-dist/cloud-client/): the seeds' plain
// fetch calls answered by LocalFace through the service worker. First visit online caches the app; then the server
// is shut down, the browser goes offline, and the reloaded page's fetch calls still enroll and find the person.
import { test, expect } from '@playwright/test';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serve } from '../scripts/serve.mjs';
import { CLOUD_CLIENT_PORT } from './ports';

const APP = `http://127.0.0.1:${CLOUD_CLIENT_PORT}/cloud-client/`;
let server: Server | undefined;

test.beforeAll(async () => {
  server = await serve('demo-dist', CLOUD_CLIENT_PORT);
});

test.afterAll(async () => {
  if (server?.listening)
    await new Promise((done) => {
      server!.closeAllConnections();
      server!.close(done);
    });
});

test("the seeds' fetch calls work offline, answered on the device", async ({ browser }) => {
  test.setTimeout(300_000);
  const context = await browser.newContext();
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(error.message));
  page.on('request', (request) => {
    if (!request.url().startsWith(`http://127.0.0.1:${CLOUD_CLIENT_PORT}/`) && !/^(blob|data):/.test(request.url()))
      problems.push(`request to ${request.url()}`);
  });

  await page.goto(APP);
  await expect(page.getByTestId('offline-status')).toHaveText('offline ready', { timeout: 120_000 });
  await expect(page.getByTestId('status')).toHaveText(/^Ready on (WASM|WEBGL)$/, { timeout: 120_000 });

  // Server gone, browser offline; the page reloads from the service worker's cache.
  await new Promise((done) => {
    server!.closeAllConnections();
    server!.close(done);
  });
  await context.setOffline(true);
  await page.reload();
  await expect(page.getByTestId('status')).toHaveText(/^Ready on (WASM|WEBGL)$/, { timeout: 120_000 });

  // A browser stops an idle service worker (after ~30 s) and starts it again on the next fetch, without its memory
  // of which page serves requests. Stop it now, so the calls below meet a restarted worker.
  const cdp = await context.newCDPSession(page);
  const workerStates: string[] = [];
  cdp.on('ServiceWorker.workerVersionUpdated', (event) => {
    for (const version of event.versions) workerStates.push(version.runningStatus);
  });
  await cdp.send('ServiceWorker.enable');
  await cdp.send('ServiceWorker.stopAllWorkers');
  await expect.poll(() => workerStates.at(-1)).toBe('stopped');

  // Why Run is off is said beside it (and read with it); the fields are labelled.
  await expect(page.getByTestId('run')).toBeDisabled();
  await expect(page.getByRole('button', { name: 'Run the API calls' })).toHaveAccessibleDescription(
    'Pick both photos first.',
  );
  await page.getByLabel('Photo to enroll').setInputFiles('e2e/fixtures/lfw/Colin_Powell_0001.jpg');
  await page.getByLabel('Photo to search').setInputFiles('e2e/fixtures/lfw/Colin_Powell_0003.jpg');
  await expect(page.getByTestId('run')).toBeEnabled();
  await expect(page.getByTestId('run-hint')).toHaveText('');
  await page.getByTestId('run').click();
  const log = page.getByRole('log', { name: 'The API calls and their answers' });
  await expect(log).toContainText('done', { timeout: 120_000 });
  // Disabled while the calls ran, the button has the focus again.
  await expect(page.getByTestId('run')).toBeFocused();
  const lines = (await log.textContent())!.trim().split('\n');
  // Each run starts afresh: the example's collection and user are deleted first (404 on the first run).
  expect(lines.shift()).toMatch(/^DELETE collection\/MyCollection → (200|404) /);
  expect(lines.shift()).toMatch(/^DELETE users\/\{USER_ID\} → (200|404) /);
  expect(lines[0]).toMatch(/^POST collection → 200 /);
  expect(lines[1]).toBe(
    'PUT person → 200 {"face_base_64":"","metadata":{"additionalProp1":"string"},"person_id":"person-1","person_name":"Person One"}',
  );
  expect(lines[2]).toMatch(
    /^POST face-search → 200 \[\{"face_base_64":"","metadata":\{"additionalProp1":"string"\},"person_id":"person-1","person_name":"Person One","similarity_score":(0\.[7-9]\d*|1)\}\]$/,
  );
  expect(lines[3]).toMatch(/^POST users\/\{USER_ID\} → 200 /);
  expect(lines[4]).toMatch(
    /^POST users\/search → 200 \{"matches":\[\{"userId":"f7eab18f-e5d3-4dac-9d4d-cfb969ef848e","similarity":(7[5-9]|[89]\d|100)(\.\d+)?\}\]\}$/,
  );
  expect(lines[5]).toMatch(
    /^POST faceset\/v2\/add_face → 200 \{"status":"OK","result":\{"face_id":\d+,"person_id":\d+,"create_time":\d+\},"request_id":"TID[0-9a-f]{32}"\}$/,
  );
  await context.close();
  expect(problems, 'page errors or requests to other hosts').toEqual([]);
});

test('after a hard reload, which bypasses the service worker, the page says to reload', async ({ browser }) => {
  test.setTimeout(180_000);
  if (!server?.listening) server = await serve('demo-dist', CLOUD_CLIENT_PORT);
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(APP);
  await expect(page.getByTestId('offline-status')).toHaveText('offline ready', { timeout: 120_000 });
  // Ctrl+Shift+R: the page loads past its service worker, which then answers none of its fetches.
  const cdp = await context.newCDPSession(page);
  await cdp.send('Page.reload', { ignoreCache: true });
  await expect(page.getByTestId('offline-status')).toContainText('reload the page to enable the API calls', {
    timeout: 60_000,
  });
  expect(await page.evaluate(() => navigator.serviceWorker.controller)).toBeNull();
  await page.reload();
  await expect(page.getByTestId('offline-status')).toHaveText('offline ready', { timeout: 60_000 });
  await context.close();
});

test('a model altered on the server: the worker install fails, the page says so and keeps no offline cache', async ({
  browser,
}) => {
  test.setTimeout(180_000);
  if (!server?.listening) server = await serve('demo-dist', CLOUD_CLIENT_PORT);
  const context = await browser.newContext();
  // Every request for one weights file, the service worker's included, gets one byte flipped.
  await context.route('**/models/face-detector-short.bin', async (route) => {
    const response = await route.fetch();
    const body = await response.body();
    body[1000] = body[1000]! ^ 0xff;
    await route.fulfill({ response, body });
  });
  const page = await context.newPage();
  await page.goto(APP);
  await expect(page.getByTestId('status')).toContainText('ERR_MODEL_LOAD_FAILED', { timeout: 120_000 });
  await expect(page.getByTestId('offline-status')).toHaveText(/failed|cleared/, { timeout: 60_000 });
  expect(
    await page.evaluate(async () => (await caches.keys()).filter((k) => k.startsWith('localface-cloud-client-'))),
  ).toEqual([]);
  expect(await page.evaluate(async () => (await navigator.serviceWorker.getRegistration('./')) === undefined)).toBe(
    true,
  );
  await context.close();
});

test('each run starts afresh, and a new version arriving after a run waits for the user instead of wiping the answers', async ({
  browser,
}) => {
  test.setTimeout(300_000);
  // A copy of the site, whose service worker script changes below (a new deployment).
  const site = mkdtempSync(join(tmpdir(), 'localface-cloud-client-'));
  cpSync('demo-dist', site, { recursive: true });
  if (server?.listening)
    await new Promise((done) => {
      server!.closeAllConnections();
      server!.close(done);
    });
  server = await serve(site, CLOUD_CLIENT_PORT);
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    await page.goto(APP);
    await expect(page.getByTestId('offline-status')).toHaveText('offline ready', { timeout: 120_000 });
    await expect(page.getByTestId('status')).toHaveText(/^Ready on (WASM|WEBGL)$/, { timeout: 120_000 });
    const log = page.getByRole('log', { name: 'The API calls and their answers' });
    const runWith = async (enroll: string, search: string) => {
      await page.getByLabel('Photo to enroll').setInputFiles(`e2e/fixtures/lfw/${enroll}.jpg`);
      await page.getByLabel('Photo to search').setInputFiles(`e2e/fixtures/lfw/${search}.jpg`);
      await page.getByTestId('run').click();
      await expect(log).toContainText('done', { timeout: 120_000 });
      return (await log.textContent())!.trim().split('\n');
    };
    const first = await runWith('Colin_Powell_0001', 'Colin_Powell_0003');
    expect(first[4]).toMatch(/^POST face-search → 200 \[\{.*"person_id":"person-1"/);
    expect(first[6]).toMatch(/^POST users\/search → 200 \{"matches":\[\{"userId":"f7eab18f/);
    // Someone else enrolled: the search photo (Colin Powell) is found neither in the collection nor among the users,
    // where the first run's person, user and added face would otherwise still answer.
    const second = await runWith('Serena_Williams_0001', 'Colin_Powell_0003');
    expect(second.slice(0, 3)).toEqual([
      expect.stringMatching(/^DELETE collection\/MyCollection → 200 /),
      expect.stringMatching(/^DELETE users\/\{USER_ID\} → 200 /),
      expect.stringMatching(/^POST collection → 200 /),
    ]);
    expect(second[4]).toBe('POST face-search → 200 []');
    expect(second[5]).toMatch(/^POST users\/\{USER_ID\} → 200 /);
    expect(second[6]).toMatch(/^POST users\/search → 404 /);

    // A new deployment: its worker installs and waits; the answers on screen stay until the user loads it.
    const worker = join(site, 'cloud-client/sw.js');
    writeFileSync(worker, `${readFileSync(worker, 'utf8')}\n// version 2\n`);
    await page.evaluate(async () => (await navigator.serviceWorker.getRegistration())!.update());
    const update = page.getByTestId('update');
    await expect(update).toBeVisible({ timeout: 120_000 });
    await expect(log).toContainText('POST face-search → 200 []');
    await Promise.all([page.waitForEvent('load'), update.click()]);
    await expect(page.getByTestId('offline-status')).toHaveText('offline ready', { timeout: 120_000 });
    await expect(log).toHaveText('');
    await expect(update).toBeHidden();
  } finally {
    await context.close();
    rmSync(site, { recursive: true, force: true });
  }
});
