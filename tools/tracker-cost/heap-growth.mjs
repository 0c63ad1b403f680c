#!/usr/bin/env node
// What the tracker keeps in memory over many frames, after a full garbage collection: two heap snapshots (DevTools
// protocol) of the e2e harness page (dist/, WASM), after 100 frames and after N more of the tracker-cost script
// (person, nobody, stranger, nobody), and the 20 object kinds that grew most, in KB and count. usedJSHeapSize moves
// by tens of MB between runs of the same build; a snapshot counts only what is still referenced.
//   npm run build && node tools/tracker-cost/heap-growth.mjs [ROOT] [N=1500]
import { fileURLToPath } from 'node:url';
import { launchBrowser, openHarnessPage } from '../../bench/browser.mjs';
import { setUpScene } from './scene.mjs';
const ROOT = process.argv[2] ?? fileURLToPath(new URL('../..', import.meta.url));
const N = Number(process.argv[3] ?? 1500);
const browser = await launchBrowser({ args: ['--no-sandbox'] });
const page = await openHarnessPage(browser, ROOT);
const cdp = await page.context().newCDPSession(page);
await page.evaluate(setUpScene, 'heap-growth');
await page.evaluate(() => {
  let i = 0;
  window.runFrames = async (n) => {
    for (const end = i + n; i < end; i++) await window.scene.tracker.process(window.scene.frame(i), i * 100);
  };
});
async function snapshot() {
  let chunks = [];
  const onChunk = (e) => chunks.push(e.chunk);
  cdp.on('HeapProfiler.addHeapSnapshotChunk', onChunk);
  await cdp.send('HeapProfiler.collectGarbage');
  await cdp.send('HeapProfiler.takeHeapSnapshot', { reportProgress: false });
  cdp.off('HeapProfiler.addHeapSnapshotChunk', onChunk);
  const snap = JSON.parse(chunks.join(''));
  const f = snap.snapshot.meta.node_fields,
    nf = f.length;
  const iType = f.indexOf('type'),
    iName = f.indexOf('name'),
    iSize = f.indexOf('self_size');
  const types = snap.snapshot.meta.node_types[0];
  const agg = new Map();
  for (let k = 0; k < snap.nodes.length; k += nf) {
    const key = `${types[snap.nodes[k + iType]]}:${String(snap.strings[snap.nodes[k + iName]]).slice(0, 60)}`;
    const a = agg.get(key) ?? { n: 0, size: 0 };
    a.n++;
    a.size += snap.nodes[k + iSize];
    agg.set(key, a);
  }
  return agg;
}
await page.evaluate(() => window.runFrames(100));
const a = await snapshot();
await page.evaluate((n) => window.runFrames(n), N);
const b = await snapshot();
const total = (m) => [...m.values()].reduce((s, v) => s + v.size, 0);
console.log(
  `retained after 100 frames ${(total(a) / 2 ** 20).toFixed(1)} MB, after ${100 + N}: ${(total(b) / 2 ** 20).toFixed(1)} MB`,
);
const diff = [...b]
  .map(([k, v]) => [k, v.n - (a.get(k)?.n ?? 0), v.size - (a.get(k)?.size ?? 0)])
  .sort((x, y) => y[2] - x[2])
  .slice(0, 20);
for (const [k, n, s] of diff) console.log((s / 1024).toFixed(0).padStart(8), 'KB', String(n).padStart(7), k);
await browser.close();
