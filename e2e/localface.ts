import { test as base, expect, type Page } from '@playwright/test';
import type { LocalFaceTestOptions } from '../playwright.config';
import { HARNESS_PORT } from './ports';

export const ORIGIN = `http://127.0.0.1:${HARNESS_PORT}`;

/** What tests read back from FaceError across the page boundary. */
export interface ErrorInfo {
  code: string;
  message: string;
  status: number;
  isFaceError: boolean;
  isError: boolean;
  metadata?: Record<string, unknown>;
}

declare global {
  interface Window {
    LocalFace: typeof import('../src/index');
    client: import('../src/index').FaceClient;
    fixture(name: string): Promise<Uint8Array>;
    harnessReady: boolean;
    /** Tensors alive in the page's TF.js engine. */
    tensorCount(): number;
    /** Runs fn; returns null if it resolved, else the error's fields. */
    errorInfo(fn: () => Promise<unknown>): Promise<ErrorInfo | null>;
  }
}

export async function openHarness(page: Page, path = '/e2e/pages/harness.html'): Promise<void> {
  page.on('pageerror', (e) => console.error(`[page error] ${e.message}`));
  await page.goto(ORIGIN + path);
  await page.waitForFunction(() => window.harnessReady === true);
}

/**
 * Hides Cache Storage from `page`'s scripts, so the library keeps no model cache there: the quota tests shrink the
 * origin's quota to 100 KB, which the cached models (12+ MB) would fill before the database writes under test.
 */
export async function withoutModelCache(page: Page): Promise<void> {
  await page.addInitScript(() => {
    Object.defineProperty(window, 'caches', { value: undefined, configurable: true });
  });
}

/**
 * One page with one client per worker and backend: creating a client loads ~12 MB of models and warms them up,
 * which on software WebGL takes tens of seconds, so the suites share it.
 */
export const test = base.extend<object, LocalFaceTestOptions & { facePage: Page }>({
  backend: ['wasm', { option: true, scope: 'worker' }],
  facePage: [
    async ({ browser, backend }, use) => {
      const page = await browser.newPage();
      await openHarness(page);
      await page.evaluate(async (b) => {
        window.client = await window.LocalFace.createFaceClient({ backend: b });
      }, backend);
      await use(page);
      await page.evaluate(() => window.client.close());
      await page.close();
    },
    { scope: 'worker', timeout: 240_000 },
  ],
});

export { expect };

/** Asserts that a page-side call failed with a proper FaceError of `code` and an actionable message. */
export function expectFaceError(info: ErrorInfo | null, code: string, status?: number): ErrorInfo {
  expect(info, `expected a FaceError ${code}, but the call succeeded`).not.toBeNull();
  const e = info!;
  expect(e.code, e.message).toBe(code);
  expect(e.isFaceError).toBe(true);
  expect(e.isError).toBe(true);
  expect(e.message.length).toBeGreaterThan(30);
  if (status !== undefined) expect(e.status).toBe(status);
  return e;
}
