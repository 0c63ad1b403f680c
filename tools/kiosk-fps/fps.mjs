#!/usr/bin/env node
// The webcam kiosk's frame rate on this machine: demo-dist/ (npm run build:demo) in headless Debian chromium, the
// fake camera showing a real webcam frame of an enrolled person, recognition in a worker and on the page thread.
// Reports frames per second (faces detected on every frame; the largest searched when it appears or moves and
// once a second; liveness when the person changes and about once a second) and how smooth
// the page stays meanwhile: requestAnimationFrame callbacks per second and long tasks (> 50 ms) on the page thread.
//   node tools/kiosk-fps/fps.mjs [--seconds 30] [--warmup 10] [--json FILE] [--dist demo-dist]
// --dist measures another build of the demos (e.g. a copy of an older demo-dist, to compare in the same conditions).
import { chromium } from '@playwright/test';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchWithCamera, writeFakeCameraVideo } from '../../e2e/fakeCamera.mjs';
import { serve } from '../../scripts/serve.mjs';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const arg = (name, fallback) => { const i = process.argv.indexOf(`--${name}`); return i > 0 ? process.argv[i + 1] : fallback; };
const seconds = Number(arg('seconds', 30)), warmup = Number(arg('warmup', 10)), jsonOut = arg('json');
const DIST = arg('dist', join(ROOT, 'demo-dist'));
const PORT = 4178 + Number(process.env.E2E_PORT_OFFSET ?? 0);
if (!existsSync(join(DIST, 'index.html'))) { console.error(`${DIST}/index.html is missing: run \`npm run build:demo\` first.`); process.exit(2); }

const scratch = mkdtempSync(join(os.tmpdir(), 'localface-kiosk-fps-'));
const server = await serve(DIST, PORT);
const log = (text) => process.stderr.write(`${text}\n`);
try {
  const helper = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: ['--no-sandbox'] });
  const video = join(scratch, 'camera.y4m');
  await writeFakeCameraVideo(await helper.newPage(), join(ROOT, 'e2e/fixtures/camera/subject06-enroll.jpg'), video);
  await helper.close();

  const results = [];
  const profile = join(scratch, 'profile');
  for (const [mode, query] of [['worker', ''], ['page thread', '?thread=main']]) {
    const context = await launchWithCamera(video, profile);
    const page = context.pages()[0] ?? (await context.newPage());
    await page.goto(`http://127.0.0.1:${PORT}/index.html${query}`);
    await page.getByTestId('mode').filter({ hasText: 'recognition in' }).waitFor({ timeout: 180_000 });
    if (results.length === 0) {
      // Enroll once (same profile for both modes), so that every frame runs the full check-in path.
      await page.getByTestId('enroll-name').fill('Subject Six');
      await page.getByTestId('enroll-button').click();
      await page.getByTestId('enroll-message').filter({ hasText: 'Enrolled' }).waitFor({ timeout: 120_000 });
    }
    await page.getByTestId('status').filter({ hasText: 'Subject Six' }).waitFor({ timeout: 60_000 });
    log(`${mode}: warming up ${warmup} s, then measuring ${seconds} s`);
    await page.waitForTimeout(warmup * 1000);
    const measured = await page.evaluate(async (ms) => {
      const start = { ...window.kioskStats };
      let animationFrames = 0, longTaskMs = 0, longTasks = 0;
      const observer = new PerformanceObserver((list) => {
        for (const entry of list.getEntries()) { longTasks++; longTaskMs += entry.duration; }
      });
      observer.observe({ type: 'longtask' });
      const t0 = performance.now();
      await new Promise((done) => {
        const count = () => { animationFrames++; if (performance.now() - t0 < ms) requestAnimationFrame(count); else done(); };
        requestAnimationFrame(count);
      });
      observer.disconnect();
      const elapsed = (performance.now() - t0) / 1000;
      const end = window.kioskStats;
      const processed = end.processed - start.processed;
      return {
        mode: end.mode,
        seconds: elapsed,
        recognisedFps: processed / elapsed,
        msPerFrameInEngine: processed ? (end.engineMs - start.engineMs) / processed : null,
        detectMsPerFrame: processed ? (end.detectMs - start.detectMs) / processed : null,
        searchesPerSecond: (end.searchRuns - start.searchRuns) / elapsed,
        msPerSearch: end.searchRuns > start.searchRuns ? (end.searchMs - start.searchMs) / (end.searchRuns - start.searchRuns) : null,
        livenessRuns: end.livenessRuns - start.livenessRuns,
        msPerLivenessRun: end.livenessRuns > start.livenessRuns ? (end.livenessMs - start.livenessMs) / (end.livenessRuns - start.livenessRuns) : null,
        skippedCameraFrames: end.skipped - start.skipped,
        pageAnimationFps: animationFrames / elapsed,
        longTasks,
        longTaskMsPerSecond: longTaskMs / elapsed,
        status: document.querySelector('[data-testid=status]')?.textContent ?? '',
      };
    }, seconds * 1000);
    log(`${mode}: ${measured.recognisedFps.toFixed(2)} frames/s, page ${measured.pageAnimationFps.toFixed(1)} animation frames/s`);
    results.push(measured);
    await context.close();
  }

  const load = os.loadavg()[0];
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  const lines = [
    `Kiosk frame rate — demo-dist/index.html, fake camera 640×480 showing an enrolled person; ${os.cpus().length} cores (${cpu}), headless Chromium, load average ${load.toFixed(2)} at the end; ${seconds} s after ${warmup} s warm-up.`,
    '',
    '| recognition runs in | frames/s (boxes) | engine ms per frame (detect) | searches/s (ms each) | liveness runs (ms each) | camera frames skipped | page animation frames/s | long tasks on the page thread (ms per s) |',
    '|---|---:|---:|---:|---:|---:|---:|---:|',
    ...results.map((r) => `| ${r.mode} | ${r.recognisedFps.toFixed(2)} | ${r.msPerFrameInEngine?.toFixed(0) ?? '–'} (${r.detectMsPerFrame?.toFixed(0) ?? '–'}) | ${r.searchesPerSecond.toFixed(2)} (${r.msPerSearch?.toFixed(0) ?? '–'}) | ${r.livenessRuns} (${r.msPerLivenessRun?.toFixed(0) ?? '–'}) | ${r.skippedCameraFrames} | ${r.pageAnimationFps.toFixed(1)} | ${r.longTasks} (${r.longTaskMsPerSecond.toFixed(0)}) |`),
  ];
  console.log(lines.join('\n'));
  if (jsonOut) writeFileSync(jsonOut, `${JSON.stringify({ date: new Date().toISOString(), cpu, cores: os.cpus().length, loadAverage: os.loadavg(), seconds, warmup, results }, null, 2)}\n`);
} finally {
  server.closeAllConnections();
  server.close();
  rmSync(scratch, { recursive: true, force: true });
}
