#!/usr/bin/env node
// Throughput of createRestHandler itself: POST face-search through the handler vs the same client.searchFace call,
// on a collection of PERSONS persons (default 200; enrolling costs ~100 ms each through the models, so 1,000 takes
// minutes). The collection is filled from the 20-odd e2e fixture photos, each enrolled under several person ids:
// a search's cost is decode + detect + embed + a scan, and the scan does not depend on who the persons are.
// Also GET collections, which does no image work, to show the handler's own cost (key check, routing, JSON).
// Usage: npm run build && node bench/rest/throughput.mjs [PERSONS] [SEARCHES]
import { readdirSync } from 'node:fs';
import { serve } from '../../scripts/serve.mjs';
import { launchBrowser, newLoggingPage } from '../browser.mjs';

const PERSONS = Number(process.argv[2] ?? 200);
const SEARCHES = Number(process.argv[3] ?? 30);
const PORT = 4900 + Number(process.env.E2E_PORT_OFFSET ?? 0);
const photos = ['lfw', 'checks', 'camera'].flatMap((dir) =>
  readdirSync(new URL(`../../e2e/fixtures/${dir}/`, import.meta.url))
    .filter((f) => f.endsWith('.jpg'))
    .map((f) => `${dir}/${f}`),
);

const server = await serve('.', PORT);
const browser = await launchBrowser();
try {
  const page = await newLoggingPage(browser);
  await page.goto(`http://127.0.0.1:${PORT}/e2e/pages/harness.html`);
  await page.waitForFunction(() => window.harnessReady === true);
  const result = await page.evaluate(
    async ({ persons, searches, photos }) => {
      const db = `rest-bench-${Date.now()}`;
      const client = await window.LocalFace.createFaceClient({ backend: 'wasm', databaseName: db });
      const handler = window.LocalFace.createRestHandler({ client, basePath: '/api/' });
      const { key } = await client.apiKeys.create({ name: 'bench' });
      const b64 = (bytes) => {
        let s = '';
        for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
        return btoa(s);
      };
      const images = await Promise.all(photos.map(async (p) => b64(await window.fixture(p))));
      await client.createCollection('bench');
      const t0 = performance.now();
      const enrolled = await client.enrollPersons(
        Array.from({ length: persons }, (_, i) => ({
          collectionName: 'bench',
          personId: `p${i}`,
          personName: `P ${i}`,
          face: images[i % images.length],
        })),
      );
      const enrollMs = performance.now() - t0;
      const probe = images[0];
      const body = JSON.stringify({ collection_name: 'bench', face_base_64: probe, max_results: 5 });
      const viaHandler = async () => {
        const r = await handler(
          new Request(new URL('/api/face-search', location.href), {
            method: 'POST',
            headers: { 'x-api-key': key, 'content-type': 'application/json' },
            body,
          }),
        );
        if (r.status !== 200) throw new Error(`HTTP ${r.status}: ${await r.text()}`);
        return r.json();
      };
      const direct = () => client.searchFace({ collectionName: 'bench', face: probe, maxResults: 5 });
      const time = async (fn, n) => {
        const ms = [];
        for (let i = 0; i < n; i++) {
          const t = performance.now();
          await fn();
          ms.push(performance.now() - t);
        }
        ms.sort((a, b) => a - b);
        return { median: ms[Math.floor(n / 2)], mean: ms.reduce((a, b) => a + b, 0) / n };
      };
      await direct();
      await viaHandler(); // warm-up
      // Interleaved rounds, so a slow patch of the shared machine hits both.
      const d = [],
        h = [];
      for (let round = 0; round < 3; round++) {
        d.push(await time(direct, Math.ceil(searches / 3)));
        h.push(await time(viaHandler, Math.ceil(searches / 3)));
      }
      const list = () =>
        handler(new Request(new URL('/api/collections', location.href), { headers: { 'x-api-key': key } })).then((r) =>
          r.json(),
        );
      const listDirect = () => client.listCollections();
      const lh = await time(list, 200),
        ld = await time(listDirect, 200);
      const med = (xs) => xs.map((x) => x.median).sort((a, b) => a - b)[1];
      await client.close();
      indexedDB.deleteDatabase(db);
      return {
        enrolled: enrolled.filter((e) => e.ok).length,
        enrollMs,
        directMs: med(d),
        handlerMs: med(h),
        listHandlerMs: lh.median,
        listDirectMs: ld.median,
      };
    },
    { persons: PERSONS, searches: SEARCHES, photos },
  );
  const r = result;
  console.log(
    `collection: ${r.enrolled} persons enrolled in ${(r.enrollMs / 1000).toFixed(1)} s (${(r.enrollMs / PERSONS).toFixed(0)} ms each) from ${photos.length} photos`,
  );
  console.log(`face-search, median of 3 interleaved rounds (${SEARCHES} searches each way), WASM:`);
  console.log(`  client.searchFace       ${r.directMs.toFixed(1)} ms  (${(1000 / r.directMs).toFixed(1)} requests/s)`);
  console.log(
    `  handler POST face-search ${r.handlerMs.toFixed(1)} ms  (${(1000 / r.handlerMs).toFixed(1)} requests/s)  overhead ${(r.handlerMs - r.directMs).toFixed(1)} ms`,
  );
  console.log(
    `GET collections (no image work), median of 200: handler ${r.listHandlerMs.toFixed(2)} ms vs client.listCollections ${r.listDirectMs.toFixed(2)} ms`,
  );
} finally {
  await browser.close();
  server.closeAllConnections();
  server.close();
}
