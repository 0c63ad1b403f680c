// Shared by benchmarks: a Vite dev server for the repo (COOP/COEP headers from vite.config.ts) and Debian's
// headless chromium driven by Playwright. No browser is downloaded: /usr/bin/chromium comes from apt.
import { createServer } from 'vite';
import { chromium } from '@playwright/test';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../e2e/chromium.mjs';

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

export async function launchBrowser() {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
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
