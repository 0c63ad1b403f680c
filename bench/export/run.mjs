#!/usr/bin/env node
// exportCollection / importCollection throughput and peak memory on a synthetic collection, in headless chromium.
// Memory: the summed resident set (VmRSS) of every chromium process this script started (browser process, where
// Blob data lives, plus renderer and GPU/utility processes), sampled every 20 ms; "peak" is the highest sample during
// the call minus the sample just before it.
// With --load N instead: the cold index load of N one-face persons encrypted at rest vs plain (createFaceClient's
// `encryption`), each in fresh pages, median of --repeat runs.
// Usage: node bench/export/run.mjs [--sizes 1000,10000] [--json OUT] | --load 100000 [--repeat 5]
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { loadavg, cpus } from 'node:os';
import { startServer, launchBrowser } from '../browser.mjs';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const sizes = arg('sizes', '1000,10000').split(',').map(Number);

/** Pids of every descendant of this node process. */
function descendants() {
  const parent = new Map();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      parent.set(Number(d), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      /* exited */
    }
  }
  const out = [];
  const walk = (pid) => {
    for (const [c, p] of parent)
      if (p === pid) {
        out.push(c);
        walk(c);
      }
  };
  walk(process.pid);
  return out;
}

function rssBytes(pids) {
  let total = 0;
  for (const pid of pids) {
    try {
      const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      if (m) total += Number(m[1]) * 1024;
    } catch {
      /* exited */
    }
  }
  return total;
}

async function measured(fn) {
  const pids = descendants().filter((p) => /chrom/.test(readFileSync(`/proc/${p}/cmdline`, 'utf8')));
  const base = rssBytes(pids);
  let peak = base;
  const timer = setInterval(() => {
    peak = Math.max(peak, rssBytes(pids));
  }, 20);
  try {
    const result = await fn();
    peak = Math.max(peak, rssBytes(pids));
    return { ...result, baseRssMB: base / 2 ** 20, peakRssDeltaMB: (peak - base) / 2 ** 20 };
  } finally {
    clearInterval(timer);
  }
}

const { server, origin } = await startServer();
const browser = await launchBrowser();
const rows = [];
try {
  // One context (one origin storage); each page is closed before the next opens, so each gets a new renderer.
  const context = await browser.newContext();
  const openPage = async () => {
    const page = await context.newPage();
    page.on('pageerror', (e) => console.error('pageerror', e));
    await page.goto(`${origin}/bench/export/index.html`, { timeout: 300_000 }); // Vite transforms on first load
    await page.waitForFunction(() => 'bench' in window, null, { timeout: 300_000 });
    return page;
  };
  const loadSize = Number(arg('load', '0'));
  for (const passphrase of loadSize > 0 ? [undefined, 'benchmark passphrase'] : []) {
    const filler = await openPage();
    const filled = await filler.evaluate(([x, p]) => window.bench.populate(x, p), [loadSize, passphrase]);
    await filler.close();
    console.error(JSON.stringify({ ...filled, encrypted: !!passphrase }));
    const runs = [];
    for (let i = 0; i < Number(arg('repeat', '5')); i++) {
      const page = await openPage();
      runs.push(await page.evaluate((p) => window.bench.loadIndex(p), passphrase));
      await page.close();
    }
    const median = (xs) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    const row = {
      n: loadSize,
      encrypted: !!passphrase,
      writeMs: filled.writeMs,
      openMs: median(runs.map((r) => r.openMs)),
      loadMs: median(runs.map((r) => r.loadMs)),
      loadRuns: runs.map((r) => Math.round(r.loadMs)),
      faces: runs[0].faces,
      load: loadavg()[0],
    };
    console.error(JSON.stringify(row));
    rows.push(row);
  }
  for (const n of loadSize > 0 ? [] : sizes) {
    const filler = await openPage();
    const filled = await filler.evaluate((x) => window.bench.populate(x), n);
    await filler.close();
    console.error(JSON.stringify(filled));
    for (const passphrase of [undefined, 'benchmark passphrase']) {
      // A fresh page (renderer process) per variant, so one run's grown heap does not hide the next one's peak.
      const page = await openPage();
      await page.evaluate(() => window.bench.openClient());
      const exp = await measured(() => page.evaluate((p) => window.bench.exportIt(p), passphrase));
      await page.evaluate(() => window.bench.deleteIt());
      const verify = await page.evaluate((p) => window.bench.verifyOnly(p), passphrase);
      const imp = await measured(() => page.evaluate((p) => window.bench.importIt(p), passphrase));
      await page.evaluate(() => window.bench.dropFile());
      await page.close();
      const row = { n, encrypted: !!passphrase, bytes: exp.bytes, export: exp, verifyMs: verify.ms, import: imp };
      console.error(JSON.stringify(row));
      rows.push(row);
    }
  }
} finally {
  await browser.close();
  await server.close();
}
if (arg('json')) writeFileSync(arg('json'), JSON.stringify(rows, null, 2));
if (Number(arg('load', '0')) > 0) {
  console.log(`load average at the end of the run: ${loadavg()[0].toFixed(1)} on ${cpus().length} cores\n`);
  console.log('| persons | encrypted at rest | write (s) | open (ms) | index load, median (ms) | runs (ms) |');
  console.log('|---:|---|---:|---:|---:|---|');
  for (const r of rows)
    console.log(
      `| ${r.n.toLocaleString('en')} | ${r.encrypted ? 'yes' : 'no'} | ${(r.writeMs / 1000).toFixed(1)} | ${r.openMs.toFixed(0)} | ${r.loadMs.toFixed(0)} | ${r.loadRuns.join(', ')} |`,
    );
  process.exit(0);
}
console.log(`load average at the end of the run: ${loadavg()[0].toFixed(1)} on ${cpus().length} cores\n`);
console.log(
  '| persons | encrypted | file (MB) | export (s) | export MB/s | export peak RSS Δ (MB) | import (s) | of which read + check (s) | import MB/s | import peak RSS Δ (MB) | index load after import (ms) |',
);
console.log('|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
for (const r of rows) {
  const mb = r.bytes / 2 ** 20;
  console.log(
    `| ${r.n.toLocaleString('en')} | ${r.encrypted ? 'yes' : 'no'} | ${mb.toFixed(1)} | ${(r.export.ms / 1000).toFixed(2)} | ${(mb / (r.export.ms / 1000)).toFixed(1)} | ${r.export.peakRssDeltaMB.toFixed(0)} | ${(r.import.ms / 1000).toFixed(2)} | ${(r.verifyMs / 1000).toFixed(2)} | ${(mb / (r.import.ms / 1000)).toFixed(1)} | ${r.import.peakRssDeltaMB.toFixed(0)} | ${r.import.firstSearchLoadMs.toFixed(0)} |`,
  );
}
