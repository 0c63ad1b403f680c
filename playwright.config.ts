import { defineConfig } from '@playwright/test';
import { CSP_HARNESS_PORT, CSP_SITE_PORT, DEV_PORT, HARNESS_PORT, SITE_PORT, STRICT_CSP } from './e2e/ports';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from './e2e/chromium.mjs';

export interface LocalFaceTestOptions {
  backend: 'wasm' | 'webgl';
}

export default defineConfig<LocalFaceTestOptions>({
  testDir: 'e2e',
  timeout: 120_000,
  expect: { timeout: 30_000 },
  workers: 1,
  reporter: [['list']],
  outputDir: 'test-results',
  use: {
    baseURL: `http://127.0.0.1:${HARNESS_PORT}`,
    launchOptions: { executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS },
    screenshot: 'only-on-failure',
  },
  projects: [
    { name: 'wasm', use: { backend: 'wasm' } },
    // Software WebGL is ~10× slower here, so only the pipeline suite runs on it (the backend does not change
    // input validation or bundle loading).
    { name: 'webgl', use: { backend: 'webgl' }, testMatch: /pipeline\.spec\.ts/ },
  ],
  webServer: [
    // The built library (dist/) and the e2e pages, as a static site.
    {
      command: `node scripts/serve.mjs --port ${HARNESS_PORT}`,
      url: `http://127.0.0.1:${HARNESS_PORT}/e2e/pages/harness.html`,
      reuseExistingServer: !process.env.CI,
    },
    // The demos as `npm run build:demo` writes them (demo-dist/), served as any static server would.
    {
      command: `node scripts/serve.mjs --root demo-dist --port ${SITE_PORT}`,
      url: `http://127.0.0.1:${SITE_PORT}/index.html`,
      reuseExistingServer: !process.env.CI,
    },
    // Both again with a strict Content-Security-Policy (no blob:, no eval), for csp.spec.ts.
    {
      command: `node scripts/serve.mjs --port ${CSP_HARNESS_PORT} --csp "${STRICT_CSP}"`,
      url: `http://127.0.0.1:${CSP_HARNESS_PORT}/e2e/pages/csp.html`,
      reuseExistingServer: !process.env.CI,
    },
    {
      command: `node scripts/serve.mjs --root demo-dist --port ${CSP_SITE_PORT} --csp "${STRICT_CSP}"`,
      url: `http://127.0.0.1:${CSP_SITE_PORT}/index.html`,
      reuseExistingServer: !process.env.CI,
    },
    // The Vite dev server `npm run demo` starts, for the demo test.
    {
      command: `npx vite --port ${DEV_PORT} --strictPort --host 127.0.0.1`,
      url: `http://127.0.0.1:${DEV_PORT}/demo/kiosk/`,
      reuseExistingServer: !process.env.CI,
      timeout: 120_000,
    },
  ],
});
