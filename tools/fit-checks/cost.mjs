#!/usr/bin/env node
// Extra ms per face of each face check (src/face/checks/ FaceChecks.analyze), in headless chromium, after one warm-up
// call per check (which also loads its models), plus each fixture's results.
// Usage: node tools/fit-checks/cost.mjs [--backend wasm|webgl] [--repeat 5]
import { startServer, launchBrowser, newLoggingPage } from '../../bench/browser.mjs';

const args = Object.fromEntries(
  process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith('--') ? [...acc, [a.slice(2), all[i + 1]]] : acc), []),
);
const backend = args.backend ?? 'wasm';
const repeat = Number(args.repeat ?? 5);
const FIXTURES = [
  'lfw-plain.jpg',
  'nuaa-live.jpg',
  'nuaa-print.jpg',
  'mask.jpg',
  'sunglasses.jpg',
  'lfw-large-pose.jpg',
].map((f) => `/e2e/fixtures/checks/${f}`);
const { server, origin } = await startServer();
const browser = await launchBrowser();
try {
  const page = await newLoggingPage(browser);
  await page.goto(`${origin}/tools/fit-checks/cost.html`);
  await page.waitForFunction(() => 'cost' in window, null, { timeout: 60000 });
  const info = await page.evaluate((b) => window.cost.init(b), backend);
  console.log(JSON.stringify(info));
  const first = {};
  for (const check of ['quality', 'attributes', 'liveness']) {
    const t0 = Date.now();
    await page.evaluate(([u, c]) => window.cost.run(u, { [c]: true }), [FIXTURES[0], check]);
    first[check] = Date.now() - t0;
  }
  console.log(`first call per check (includes loading its models), ms: ${JSON.stringify(first)}`);
  for (const url of FIXTURES) {
    const r = await page.evaluate((u) => window.cost.run(u, { quality: true, attributes: true, liveness: true }), url);
    console.log(
      url.split('/').pop(),
      JSON.stringify({
        faces: r.faces,
        leaked: r.leaked,
        ...r.first,
        validate:
          r.validate &&
          (r.validate.ok ? 'ok' : { failOn: r.validate.failOn, reasons: r.validate.reasons.map((x) => x.code) }),
        livenessFailure: r.livenessFailure,
      }),
    );
  }
  const times = { quality: [], attributes: [], liveness: [] };
  for (let i = 0; i < repeat; i++)
    for (const url of FIXTURES.slice(0, 3)) {
      for (const check of Object.keys(times)) {
        const r = await page.evaluate(([u, c]) => window.cost.run(u, { [c]: true }), [url, check]);
        times[check].push(r.total / r.faces);
      }
    }
  const med = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
  console.log(
    `median extra ms per face (${backend}, ${repeat}×3 one-face photos, one check at a time): ${Object.entries(times)
      .map(([k, v]) => `${k} ${med(v).toFixed(1)}`)
      .join(', ')}`,
  );
} finally {
  await browser.close();
  await server.close();
}
