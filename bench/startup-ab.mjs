#!/usr/bin/env node
// Start-up A/B: `node bench/startup-ab.mjs --libs DIR_A,DIR_B [--rounds 5]`. Alternating cold starts of built
// libraries (each DIR holds localface.js + models/, e.g. a copy of dist/ before a change and dist/ after it), each
// in a fresh Chromium profile on the plain static server of the startup task: createFaceClient, the first
// compareFaces, then a second visit in the same profile (warm model cache). The order alternates A B / B A round by
// round so that a busy spell of a shared machine does not fall on one build only. Prints medians per build, the
// library's `lf:` performance marks if it sets any (profiling builds), and the load average.
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium } from '@playwright/test';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../e2e/chromium.mjs';
import { ROOT } from './tasks/common.mjs';
import { startStaticServer } from './tasks/startup.mjs';

const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};
// DIR or DIR#experiment (sets globalThis.__LF_EXPERIMENT__ in the page, for profiling builds that read it).
const specs = opt('libs', join(ROOT, 'dist')).split(',');
const libs = specs;
const dirOf = (spec) => resolve(spec.split('#')[0]);
const experimentOf = (spec) => spec.split('#')[1] ?? '';
const rounds = Number(opt('rounds', 5));
// --network LATENCY_MS,MBIT_S: Chromium's network emulation on the page (round-trip latency added per request,
// download throughput), for a network slower than localhost.
const network = opt('network')?.split(',').map(Number);
const images = ['Colin_Powell_0001.jpg', 'Colin_Powell_0002.jpg'].map((f) => join(ROOT, 'e2e/fixtures/lfw', f));

/**
 * CPU time (ms) used so far by the main threads of Chromium's renderer processes and by those processes in all, from
 * /proc (Linux; 10-ms ticks). Unlike wall time, it hardly moves when other processes load the machine.
 */
function rendererCpu() {
  const out = new Map();
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      if (!readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('--type=renderer')) continue;
      if (!descendsFromUs(pid)) continue; // other sessions' browsers on a shared machine
      const ticks = (file) => {
        const f = readFileSync(file, 'utf8').split(') ')[1].split(' ');
        return Number(f[11]) + Number(f[12]); // utime + stime
      };
      out.set(pid, { main: ticks(`/proc/${pid}/task/${pid}/stat`) * 10, all: ticks(`/proc/${pid}/stat`) * 10 });
    } catch {
      // the process ended
    }
  }
  return out;
}

function descendsFromUs(pid) {
  for (let p = pid, hops = 0; p && p !== '0' && hops < 10; hops++) {
    if (Number(p) === process.pid) return true;
    p = readFileSync(`/proc/${p}/stat`, 'utf8').split(') ')[1].split(' ')[1];
  }
  return false;
}

/** CPU used between two rendererCpu() snapshots by the processes in both. */
function cpuBetween(before, after) {
  const d = { main: 0, all: 0 };
  for (const [pid, b] of before) {
    const a = after.get(pid);
    if (a) {
      d.main += a.main - b.main;
      d.all += a.all - b.all;
    }
  }
  return d;
}

async function visit(context, origin, experiment) {
  const page = await context.newPage();
  await page.addInitScript((x) => (globalThis.__LF_EXPERIMENT__ = x), experiment);
  if (network) {
    const cdp = await context.newCDPSession(page);
    await cdp.send('Network.enable');
    await cdp.send('Network.emulateNetworkConditions', {
      offline: false,
      latency: network[0],
      downloadThroughput: (network[1] * 1e6) / 8,
      uploadThroughput: (network[1] * 1e6) / 8,
    });
  }
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(`${origin}/`);
  await page.waitForFunction(() => window.ready === true);
  await page.evaluate((urls) => window.startup.images(urls), ['/img/0', '/img/1']);
  await page.evaluate(() => performance.clearMarks());
  const cpu0 = rendererCpu();
  const create = await page.evaluate(() => window.startup.create());
  const t0 = await page.evaluate(() => performance.now() - 0);
  const compare = await page.evaluate(() => window.startup.compare());
  const cpu1 = rendererCpu();
  const again = await page.evaluate(() => window.startup.compareAgain());
  const marks = await page.evaluate(() => {
    const zero = performance.getEntriesByName('lf:engine:start')[0]?.startTime ?? 0;
    return performance
      .getEntriesByType('mark')
      .filter((m) => m.name.startsWith('lf:'))
      .map((m) => [m.name.slice(3), m.startTime - zero]);
  });
  await page.evaluate(() => window.startup.close());
  await page.close();
  if (errors.length) console.error(errors.join('\n'));
  void t0;
  const cpu = cpuBetween(cpu0, cpu1);
  return {
    cpuMainMs: cpu.main,
    cpuAllMs: cpu.all,
    createMs: create.ms,
    compareMs: compare.ms,
    againMs: again.ms,
    firstMs: create.ms + compare.ms,
    score: compare.similarityScore,
    marks,
  };
}

const servers = await Promise.all(libs.map((lib) => startStaticServer(dirOf(lib), images)));
const results = libs.map(() => ({ cold: [], warm: [] }));
const loads = [loadavg()[0]];
try {
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 === 0 ? libs.map((_, i) => i) : libs.map((_, i) => libs.length - 1 - i);
    for (const i of order) {
      const profile = mkdtempSync(join(tmpdir(), 'lf-ab-'));
      const context = await chromium.launchPersistentContext(profile, {
        executablePath: CHROMIUM_PATH,
        args: CHROMIUM_ARGS,
      });
      try {
        const origin = `http://127.0.0.1:${servers[i].address().port}`;
        const cold = await visit(context, origin, experimentOf(libs[i]));
        const warm = await visit(context, origin, experimentOf(libs[i]));
        results[i].cold.push(cold);
        results[i].warm.push(warm);
        loads.push(loadavg()[0]);
        console.error(
          `round ${r + 1} ${libs[i]}: cold ${cold.createMs.toFixed(0)} + ${cold.compareMs.toFixed(0)} = ${cold.firstMs.toFixed(0)} ms, warm ${warm.createMs.toFixed(0)} + ${warm.compareMs.toFixed(0)} = ${warm.firstMs.toFixed(0)} ms, cpu main/all cold ${cold.cpuMainMs}/${cold.cpuAllMs} warm ${warm.cpuMainMs}/${warm.cpuAllMs}, score ${cold.score} (load ${loadavg()[0].toFixed(2)})`,
        );
      } finally {
        await context.close();
        rmSync(profile, { recursive: true, force: true });
      }
    }
  }
} finally {
  for (const s of servers) s.close();
}
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
console.log(
  `load average (1 min) during the run: ${Math.min(...loads).toFixed(2)}–${Math.max(...loads).toFixed(2)}, ${rounds} rounds`,
);
console.log(
  '| build | visit | createFaceClient (ms) | first compareFaces (ms) | first result (ms) | min | max | mean | second compareFaces (ms) | renderer main-thread CPU to first result (ms) | renderer CPU, all threads (ms) |',
);
console.log('|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
libs.forEach((lib, i) => {
  for (const v of ['cold', 'warm']) {
    const xs = results[i][v];
    const f = xs.map((x) => x.firstMs);
    console.log(
      `| ${lib} | ${v} | ${median(xs.map((x) => x.createMs)).toFixed(0)} | ${median(xs.map((x) => x.compareMs)).toFixed(0)} | ${median(f).toFixed(0)} | ${Math.min(...f).toFixed(0)} | ${Math.max(...f).toFixed(0)} | ${(f.reduce((a, b) => a + b, 0) / f.length).toFixed(0)} | ${median(xs.map((x) => x.againMs)).toFixed(0)} | ${median(xs.map((x) => x.cpuMainMs)).toFixed(0)} | ${median(xs.map((x) => x.cpuAllMs)).toFixed(0)} |`,
    );
  }
});
if (opt('marks') !== undefined || args.includes('--marks')) {
  libs.forEach((lib, i) => {
    for (const v of ['cold', 'warm']) {
      const byName = new Map();
      for (const x of results[i][v]) for (const [n, t] of x.marks) (byName.get(n) ?? byName.set(n, []).get(n)).push(t);
      const rows = [...byName].map(([n, ts]) => [n, median(ts)]).sort((a, b) => a[1] - b[1]);
      console.log(`\n${lib} ${v}: median ms since engine:start`);
      for (const [n, t] of rows) console.log(`  ${t.toFixed(1).padStart(7)}  ${n}`);
    }
  });
}
