// `npm run bench -- speed`: per-stage and end-to-end ms per image, model load and warm-up, per backend.
import { existsSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { launchBrowser, startServer } from '../browser.mjs';
import { speedSummary, speedTargets } from '../peers/report.mjs';
import { measureCheckin, measureStartup } from './startup.mjs';
import {
  ROOT,
  fail,
  log,
  startLoadMonitor,
  machine,
  scanImages,
  pipelinesOf,
  openPipeline,
  median,
  quantile,
} from './common.mjs';

export default async function taskSpeed(opts) {
  const dir = resolve(opts.images ?? join(ROOT, 'e2e/fixtures/lfw'));
  const all = [...scanImages(dir).values()].flat();
  const items = all.slice(0, opts.limit !== undefined ? Number(opts.limit) : 10);
  if (!items.length) fail(`no images under ${dir}`);
  const backends = (opts.backends ?? 'wasm,webgl').split(',');
  const rounds = Number(opts.rounds ?? 5);
  const maxSeconds = Number(opts['max-seconds'] ?? 60);
  const select = opts.select ?? 'center';
  const names = pipelinesOf(opts, true);
  const sizes = new Set(items.map((it) => imageSize(it.path)).filter(Boolean));
  log(
    `speed: ${items.length} images from ${dir}; pipelines ${names.join(', ')}; backends ${backends.join(', ')}; up to ${rounds} rounds or ${maxSeconds} s each`,
  );
  const stopLoad = startLoadMonitor();
  const runs = [];
  const phases = [];
  let machineInfo;
  const { server, origin } = await startServer();
  try {
    for (const backend of backends) {
      const phaseStart = Date.now();
      // Cold start, one pipeline at a time: a fresh browser each (cold HTTP and shader caches, as a first visit),
      // models + warm-up + the first image.
      const open = [];
      for (const name of names) {
        const browser = await launchBrowser();
        machineInfo ??= await machine(browser);
        let pipe;
        try {
          pipe = await openPipeline(
            browser,
            origin,
            name,
            items.map((it) => it.path),
          );
          const info = await pipe.init(backend);
          const firstMs = (await pipe.embed([0], select))['/bench-images/0'].ms.total;
          log(
            `[${name}/${info.backend}${info.wasmThreads === undefined ? '' : info.wasmThreads ? ', TF.js WASM threads' : ', TF.js WASM single-threaded'}] load ${info.loadMs.toFixed(0)} + warm-up ${info.warmupMs.toFixed(0)} + first image ${firstMs.toFixed(0)} ms`,
          );
          open.push({ name, backend, browser, pipe, info, firstMs, samples: [], spent: 0 });
        } catch (e) {
          log(`[${name}/${backend}] failed: ${String(e).split('\n')[0]}`);
          runs.push({ pipeline: name, backend, error: String(e).split('\n')[0].slice(0, 200) });
          await browser.close();
        }
      }
      // Steady state: rounds over the images, the pipelines interleaved round by round so that a slow or fast
      // spell of the machine does not fall on one library only; each pipeline stops at its time budget.
      try {
        for (let r = 0; r < rounds; r++) {
          for (const o of open) {
            if (o.error || (o.spent > maxSeconds * 1000 && o.samples.length >= 5)) continue;
            const t0 = Date.now();
            try {
              for (let i = 0; i < items.length; i++)
                o.samples.push((await o.pipe.embed([i], select, true))[`/bench-images/${i}`].ms);
            } catch (e) {
              o.error = String(e).split('\n')[0].slice(0, 200);
              log(`[${o.name}/${o.backend}] failed: ${o.error}`);
            }
            o.spent += Date.now() - t0;
          }
        }
        for (const o of open) {
          if (!o.error && o.pipe.foreign.length)
            o.error = `requested other hosts: ${[...new Set(o.pipe.foreign)].slice(0, 3).join(', ')}`;
          if (o.error) {
            runs.push({ pipeline: o.name, backend: o.info.backend, error: o.error });
            continue;
          }
          const m = (k) => median(o.samples.map((x) => x[k]));
          const run = {
            pipeline: o.name,
            backend: o.info.backend,
            requestedBackend: o.backend,
            library: o.info.library,
            ...(o.info.wasmThreads === undefined ? {} : { wasmThreads: o.info.wasmThreads }),
            loadMs: o.info.loadMs,
            warmupMs: o.info.warmupMs,
            firstImageMs: o.firstMs,
            firstResultMs: o.info.loadMs + o.info.warmupMs + o.firstMs,
            median: { decode: m('decode'), detect: m('detect'), embed: m('embed'), total: m('total') },
            p90Total: quantile(
              o.samples.map((x) => x.total),
              0.9,
            ),
            samples: o.samples.length,
            seconds: o.spent / 1000,
          };
          runs.push(run);
          log(`[${o.name}/${o.info.backend}] end-to-end median ${run.median.total.toFixed(1)} ms over ${run.samples}`);
        }
      } finally {
        for (const o of open) {
          await o.pipe.close().catch(() => {});
          await o.browser.close();
        }
      }
      phases.push({ backend, seconds: (Date.now() - phaseStart) / 1000, ...stopLoad.between(phaseStart, Date.now()) });
    }
  } finally {
    await server.close();
  }
  // Start-up and bytes of the built library (dist/), cold and second visit: what an app's user downloads and waits for.
  const startup = opts['no-startup'] ? undefined : await measureStartup(opts);
  if (startup && (opts.demo !== undefined || existsSync(join(ROOT, 'demo-dist', 'checkin', 'sw.js'))))
    startup.checkin = await measureCheckin(opts.demo ?? join(ROOT, 'demo-dist'));
  machineInfo.load = stopLoad();
  const speed = { runs };
  const { best, ratios } = speedSummary(speed);
  const targets = speedTargets(speed);
  return {
    task: 'speed',
    createdAt: new Date().toISOString(),
    dataset: { name: relative(ROOT, dir) || dir, images: items.length, size: [...sizes].join(', ') || 'unknown size' },
    options: { backends, rounds, maxSeconds, select, limit: opts.limit ? Number(opts.limit) : null },
    runs,
    phases,
    best,
    ratios,
    targets,
    startup,
    machine: machineInfo,
  };
}

/** Width×height of a JPEG/PNG from its header (for the report). */
function imageSize(path) {
  const b = readFileSync(path);
  if (b[0] === 0x89 && b[1] === 0x50) return `${b.readUInt32BE(16)}×${b.readUInt32BE(20)}`;
  for (let i = 2; i + 9 < b.length;) {
    if (b[i] !== 0xff) return undefined;
    const marker = b[i + 1];
    const len = b.readUInt16BE(i + 2);
    if (marker >= 0xc0 && marker <= 0xcf && ![0xc4, 0xc8, 0xcc].includes(marker))
      return `${b.readUInt16BE(i + 7)}×${b.readUInt16BE(i + 5)}`;
    i += 2 + len;
  }
  return undefined;
}
