// Shared by benchmarks: a Vite dev server for the repo (COOP/COEP headers from vite.config.ts) and Debian's
// headless chromium driven by Playwright. No browser is downloaded: /usr/bin/chromium comes from apt.
import { createServer } from 'vite';
import { chromium } from '@playwright/test';
import { fileURLToPath } from 'node:url';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../e2e/chromium.mjs';
import { serve } from '../scripts/serve.mjs';

const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));

export async function startServer(port = 0) {
  const server = await createServer({
    configFile: new URL('../vite.config.ts', import.meta.url).pathname,
    server: { port, strictPort: port !== 0, host: '127.0.0.1', hmr: false, watch: { ignored: ['**/*'] } },
    logLevel: 'warn',
  });
  await server.listen();
  const address = server.httpServer.address();
  return { server, origin: `http://127.0.0.1:${address.port}` };
}

/** Debian's chromium, headless. `args` replaces the shared flags (e.g. a tool that measures without SwiftShader). */
export async function launchBrowser({ args = CHROMIUM_ARGS } = {}) {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args });
}

/**
 * The e2e harness page (`window.LocalFace` from `<root>/dist/`, `window.fixture`, `window.harnessReady`) of the
 * checkout at `root`, on a static server of its own (a free port, so two checkouts are two origins: no shared model
 * cache or database). Tools that measure built code drive it; `root` measures another checkout the same way.
 * The server stops when the page or the browser closes.
 */
export async function openHarnessPage(browser, root = REPO_ROOT) {
  const server = await serve(root, 0);
  let stopped = false;
  const stop = () => {
    if (stopped) return;
    stopped = true;
    server.closeAllConnections();
    server.close();
  };
  const page = await browser.newPage();
  page.once('close', stop);
  browser.once('disconnected', stop);
  page.on('pageerror', (e) => console.error('pageerror', e.message));
  await page.goto(`http://127.0.0.1:${server.address().port}/e2e/pages/harness.html`);
  await page.waitForFunction(() => window.harnessReady === true);
  return page;
}

/** A new page that echoes its errors and warnings to stderr (benchmark pages report problems there). */
export async function newLoggingPage(browser) {
  const page = await browser.newPage();
  page.on('pageerror', (e) => console.error('pageerror', e));
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') console.error('console', m.text());
  });
  return page;
}
