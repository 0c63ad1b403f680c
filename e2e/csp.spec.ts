// LocalFace on pages served with a strict Content-Security-Policy — script-src 'self' 'wasm-unsafe-eval';
// worker-src 'self' (no blob:, no eval; scripts/serve.mjs --csp): the library on WASM and on WebGL, and the kiosk
// demo, which runs the library in a Worker. Any CSP violation or console error fails the test.
import { test, expect, type ConsoleMessage, type Page } from '@playwright/test';
import { launchWithCamera, writeFakeCameraVideo } from './fakeCamera.mjs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CSP_HARNESS_PORT, CSP_SITE_PORT, NO_WASM_CSP_PORT, STRICT_CSP } from './ports';
import { serve } from '../scripts/serve.mjs';

declare global {
  interface Window {
    cspViolations: string[];
  }
}

const HARNESS = `http://127.0.0.1:${CSP_HARNESS_PORT}/e2e/pages/csp.html`;
const KIOSK = `http://127.0.0.1:${CSP_SITE_PORT}/index.html`;

/**
 * Console errors, uncaught page errors and failed requests (Chromium logs each CSP violation as a console error
 * too). The browser's own favicon request, which these pages do not serve, is not a problem.
 */
function collectProblems(page: Page): string[] {
  const problems: string[] = [];
  const isFavicon = (url: string) => new URL(url).pathname === '/favicon.ico';
  page.on('response', (r) => {
    if (r.status() >= 400 && !isFavicon(r.url())) problems.push(`HTTP ${r.status()} ${r.url()}`);
  });
  page.on('console', (m: ConsoleMessage) => {
    if (m.type() !== 'error') return;
    if (m.text().startsWith('Failed to load resource') && isFavicon(m.location().url)) return;
    problems.push(`console: ${m.text()} (${m.location().url})`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  return problems;
}

test('the policy is in force on the CSP pages: eval, blob: workers and inline scripts are refused', async ({
  browser,
}) => {
  const page = await browser.newPage();
  const response = await page.goto(HARNESS);
  expect(response?.headers()['content-security-policy']).toBe(STRICT_CSP);
  await page.waitForFunction(() => window.harnessReady === true);
  const refused = await page.evaluate(async () => {
    const blobWorker = await new Promise<string>((resolve) => {
      try {
        const w = new Worker(URL.createObjectURL(new Blob(['postMessage(1)'], { type: 'text/javascript' })));
        w.onmessage = () => resolve('ran');
        w.onerror = () => resolve('refused');
      } catch {
        resolve('refused');
      }
    });
    const inline = document.createElement('script');
    inline.textContent = 'window.inlineRan = true;';
    document.head.appendChild(inline);
    let evalResult = 'ran';
    try {
      // eslint-disable-next-line no-new-func -- the point: the page's CSP must refuse it
      new Function('return 1')();
    } catch {
      evalResult = 'refused';
    }
    return {
      blobWorker,
      inline: (window as unknown as { inlineRan?: boolean }).inlineRan ? 'ran' : 'refused',
      eval: evalResult,
    };
  });
  // Violation events are queued tasks: wait for the blob: worker's, the inline script's and eval's.
  await expect.poll(() => page.evaluate(() => window.cspViolations.length)).toBeGreaterThanOrEqual(3);
  expect(refused.blobWorker).toBe('refused');
  expect(refused.inline).toBe('refused');
  expect(refused.eval).toBe('refused');
  await page.close();
});

for (const backend of ['wasm', 'webgl'] as const) {
  const calls =
    backend === 'wasm' ? 'compareFaces, searchFace and detectFaces with liveness' : 'compareFaces and searchFace';
  test(`${backend}: ${calls}, no CSP violation`, async ({ browser }) => {
    test.setTimeout(backend === 'webgl' ? 420_000 : 180_000);
    const page = await browser.newPage();
    const problems = collectProblems(page);
    await page.goto(HARNESS);
    await page.waitForFunction(() => window.harnessReady === true);
    const r = await page.evaluate(async (b) => {
      const client = await window.LocalFace.createFaceClient({ backend: b });
      const f = (n: string) => window.fixture(n);
      const compare = await client.compareFaces(
        await f('lfw/Colin_Powell_0001.jpg'),
        await f('lfw/Colin_Powell_0002.jpg'),
      );
      // threads 'auto': on WASM the embedding Worker (a same-origin script, worker-src 'self') runs MobileFaceNet.
      const threads = client.threads;
      const collectionName = `csp-${b}-${Date.now().toString(36)}`;
      await client.createCollection(collectionName);
      await client.enrollPersons([
        { collectionName, personId: 'tony', personName: 'Tony Blair', face: await f('lfw/Tony_Blair_0001.jpg') },
      ]);
      const search = await client.searchFace({ collectionName, face: await f('lfw/Tony_Blair_0002.jpg') });
      // The checks' models load and run as the others do on either backend; on software WebGL their first run
      // takes ~20 s, so WASM alone runs them here.
      const liveness = async (n: string) => (await client.detectFaces(await f(n), { liveness: true }))[0]?.liveness;
      const [live, print] =
        b === 'wasm' ? [await liveness('checks/nuaa-live.jpg'), await liveness('checks/nuaa-print.jpg')] : [];
      await client.deleteCollection(collectionName);
      const backendUsed = client.backend;
      await client.close();
      return {
        backendUsed,
        threads,
        compare: compare.similarityScore,
        search: search.map((h) => h.personId),
        live: live?.live,
        print: print?.code,
        violations: window.cspViolations,
      };
    }, backend);
    expect(r.backendUsed).toBe(backend);
    expect(r.threads).toBe(backend === 'wasm' ? 2 : 1);
    expect(r.compare).toBeGreaterThan(0.7);
    expect(r.search).toEqual(['tony']);
    if (backend === 'wasm') {
      expect(r.live).toBe(true);
      expect(r.print).toBe('FACE_NOT_LIVE');
    }
    expect(r.violations).toEqual([]);
    expect(problems).toEqual([]);
    await page.close();
  });
}

test('the kiosk demo (library in a Worker) enrolls and recognises under the strict CSP', async ({ browser }) => {
  test.setTimeout(300_000);
  const profile = mkdtempSync(join(tmpdir(), 'localface-csp-kiosk-'));
  const videoDir = mkdtempSync(join(tmpdir(), 'localface-csp-camera-'));
  try {
    const setup = await browser.newPage();
    const video = join(videoDir, 'subject06.y4m');
    await writeFakeCameraVideo(setup, 'e2e/fixtures/camera/subject06-enroll.jpg', video);
    await setup.close();
    const context = await launchWithCamera(video, profile);
    try {
      const page = context.pages()[0] ?? (await context.newPage());
      const problems = collectProblems(page);
      await page.addInitScript(() => {
        (window as unknown as { cspViolations: string[] }).cspViolations = [];
        document.addEventListener('securitypolicyviolation', (e) =>
          (window as unknown as { cspViolations: string[] }).cspViolations.push(
            `${e.effectiveDirective} blocked ${e.blockedURI || '(inline)'}`,
          ),
        );
      });
      const response = await page.goto(KIOSK);
      expect(response?.headers()['content-security-policy']).toBe(STRICT_CSP);
      await expect(page.getByTestId('mode')).toHaveText(/recognition in a worker on (WASM|WEBGL)/, {
        timeout: 120_000,
      });
      await expect(page.getByTestId('status')).toHaveText('Face not recognised: enroll below', { timeout: 90_000 });
      for (let i = 0; i < 2; i++) {
        // a new PIN is typed twice
        await page.getByTestId('staff-pin').fill('246810');
        await page.getByTestId('staff-button').click();
      }
      // Setting the PIN is asynchronous (it is hashed first): enrolling before it is set is refused.
      await expect(page.getByTestId('staff-panel')).toBeVisible();
      await page.getByTestId('enroll-name').fill('Subject Six');
      await page.getByTestId('enroll-button').click();
      await expect(page.getByTestId('enroll-message')).toHaveText('Enrolled Subject Six.', { timeout: 90_000 });
      await expect(page.getByTestId('status')).toHaveText(/^Subject Six — similarity (0\.[7-9]\d|1\.00) · live$/, {
        timeout: 60_000,
      });
      expect(await page.evaluate(() => (window as unknown as { cspViolations: string[] }).cspViolations)).toEqual([]);
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
  } finally {
    rmSync(profile, { recursive: true, force: true });
    rmSync(videoDir, { recursive: true, force: true });
  }
});

test("a policy without 'wasm-unsafe-eval': backend 'wasm' fails with a sentence naming it, 'auto' starts another backend", async ({
  browser,
}) => {
  const server = await serve('.', NO_WASM_CSP_PORT, { csp: "script-src 'self'; worker-src 'self'" });
  const page = await browser.newPage();
  try {
    await page.goto(`http://127.0.0.1:${NO_WASM_CSP_PORT}/e2e/pages/csp.html`);
    await page.waitForFunction(() => window.harnessReady === true);
    // TF.js's own start of the WASM backend would never settle here.
    const r = await page.evaluate(async () => {
      let wasm: { code?: string; message: string } | null = null;
      try {
        await window.LocalFace.createFaceClient({ backend: 'wasm', databaseName: 'csp-nowasm' });
      } catch (e) {
        wasm = { code: (e as { code?: string }).code, message: (e as Error).message };
      }
      const auto = await window.LocalFace.createFaceClient({ databaseName: 'csp-nowasm' });
      const backend = auto.backend;
      await auto.close();
      return { wasm, backend };
    });
    expect(r.wasm?.code).toBe('ERR_INVALID_ARGUMENT');
    expect(r.wasm?.message).toContain('wasm-unsafe-eval');
    expect(r.backend).not.toBe('wasm');
  } finally {
    await page.close();
    await new Promise((done) => {
      server.closeAllConnections();
      server.close(done);
    });
  }
});
