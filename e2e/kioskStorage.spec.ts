// The kiosk demo (demo-dist/index.html) asks navigator.storage.persist() at start-up and shows the answer, so staff
// know whether the browser may evict the enrolled people. Kept apart from kiosk.spec.ts, which prepares camera videos.
import { chromium, test, expect } from '@playwright/test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CHROMIUM_PATH, lanHostArgs } from './chromium.mjs';
import { launchWithCamera } from './fakeCamera.mjs';
import { SITE_PORT } from './ports';

test('the kiosk asks for persistent storage and shows the answer', async () => {
  const profile = mkdtempSync(join(tmpdir(), 'localface-kiosk-storage-'));
  const context = await launchWithCamera(null, profile);
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    // Count the page's calls of persist(): the answer shown must come from asking, not from persisted() alone.
    await page.addInitScript(() => {
      const w = window as unknown as { persistCalls: number };
      w.persistCalls = 0;
      const persist = navigator.storage.persist.bind(navigator.storage);
      navigator.storage.persist = () => {
        w.persistCalls++;
        return persist();
      };
    });
    await page.goto(`http://127.0.0.1:${SITE_PORT}/index.html`);
    const line = page.getByTestId('storage');
    await expect(line).toHaveAttribute('data-persisted', /^(true|false)$/, { timeout: 60_000 });
    expect(await page.evaluate(() => (window as unknown as { persistCalls: number }).persistCalls)).toBeGreaterThan(0);
    // What the page shows is the browser's answer.
    const persisted = await page.evaluate(() => navigator.storage.persisted());
    await expect(line).toHaveAttribute('data-persisted', String(persisted));
    await expect(line).toHaveText(persisted ? /^Storage: persistent/ : /^Storage: best-effort/);
    test.info().annotations.push({ type: 'persisted', description: String(persisted) });
  } finally {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  }
});

test('on plain HTTP at a LAN address the kiosk says that storage, the camera and the staff PIN need HTTPS', async () => {
  test.setTimeout(120_000);
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: lanHostArgs('kiosk.test') });
  try {
    const page = await browser.newPage();
    const problems: string[] = [];
    page.on('pageerror', (error) => problems.push(error.message));
    await page.goto(`http://kiosk.test:${SITE_PORT}/index.html`);
    expect(await page.evaluate(() => window.isSecureContext)).toBe(false);
    await expect(page.getByTestId('storage')).toHaveText(
      'Storage: best-effort — only a secure page (HTTPS, or localhost) can ask the browser to keep it.',
    );
    await expect(page.getByTestId('mode')).toHaveText(/recognition in/, { timeout: 90_000 });
    await expect(page.getByTestId('status')).toHaveText(
      'No camera: the camera needs a secure page: open this app over HTTPS (or at localhost). Staff can still manage people below.',
    );
    await page.getByTestId('staff-pin').fill('135790');
    await page.getByTestId('staff-button').click();
    await expect(page.getByTestId('staff-message')).toHaveText(
      'The staff PIN needs a secure page: open this app over HTTPS (or at localhost).',
    );
    expect(problems).toEqual([]);
  } finally {
    await browser.close();
  }
});
