// `npm run bench -- search`: query latency over 1k / 10k / 100k templates.
import os from 'node:os';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, log, startLoadMonitor, machine, pipelinesOf, openPipeline, withBrowser } from './common.mjs';

/**
 * search: query latency of a linear 1:N search over 1k / 10k / 100k templates. The peers' documented matchers
 * (face-api FaceMatcher.findBestMatch, Human match.find) are timed here on random unit templates of their sizes;
 * LocalFace's persons/search is being written elsewhere, so its side is delegated to bench/search/ once that
 * exists, and reported as not available until then (--require makes that an error).
 */
export default async function taskSearch(opts) {
  let sizes = (opts.sizes ?? '1000,10000,100000').split(',').map(Number);
  if (opts.limit !== undefined)
    sizes = sizes
      .filter((n) => n <= Number(opts.limit))
      .concat(sizes.some((n) => n <= Number(opts.limit)) ? [] : [Number(opts.limit)]);
  const queries = Number(opts.queries ?? (opts.limit !== undefined ? 5 : 20));
  const names = pipelinesOf(opts, true);
  const result = {
    task: 'search',
    createdAt: new Date().toISOString(),
    options: { sizes, queries, limit: opts.limit ? Number(opts.limit) : null },
    peers: [],
  };

  const dir = join(ROOT, 'bench/search');
  const scripts = existsSync(dir)
    ? readdirSync(dir)
        .filter((f) => /\.m?js$/.test(f))
        .sort()
    : [];
  const script = ['run.mjs', 'search.mjs', 'index.mjs', 'bench.mjs'].find((f) => scripts.includes(f)) ?? scripts[0];
  if (names.includes('localface')) {
    if (!script) {
      result.localface = {
        available: false,
        message:
          "LocalFace's persons/search (src/collections/search) and its benchmark (bench/search/) are still being written; this task runs bench/search/ once it exists.",
      };
      log(`search: LocalFace: not available yet`);
      if (opts.require) result.exitCode = 3;
    } else {
      log(`search: LocalFace: running bench/search/${script}`);
      // Their script's options: --sizes, --copies (bulk-enroll photos), --json OUT.
      const tmp = join(os.tmpdir(), `localface-search-${process.pid}.json`);
      const args = ['--sizes', sizes.join(','), '--json', tmp, ...(opts.copies ? ['--copies', opts.copies] : [])];
      const r = spawnSync(process.execPath, [join(dir, script), ...args], {
        cwd: ROOT,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'inherit'],
        maxBuffer: 64 << 20,
      });
      let data;
      try {
        data = JSON.parse(readFileSync(tmp, 'utf8'));
      } catch {
        data = undefined;
      }
      result.localface = {
        available: true,
        delegatedTo: `bench/search/${script} ${args.join(' ').replace(tmp, 'TMP.json')}`,
        exitCode: r.status,
        output: (r.stdout ?? '').trim().slice(0, 20000),
        data,
      };
      if (r.status !== 0) result.exitCode = r.status ?? 1;
    }
  }
  const peers = names.filter((n) => n !== 'localface');
  if (peers.length) {
    const stopLoad = startLoadMonitor();
    await withBrowser(async (browser, origin) => {
      for (const name of peers) {
        const pipe = await openPipeline(browser, origin, name, []);
        try {
          const info = await pipe.init('wasm');
          const rows = await pipe.page.evaluate(([s, q]) => window.bench.search(s, q), [sizes, queries]);
          for (const r of rows) log(`[${name}] ${r.size} templates: ${r.medianMs.toFixed(2)} ms per query`);
          result.peers.push({
            pipeline: name,
            library: info.library,
            method:
              name === 'faceapi'
                ? 'new FaceMatcher(labeled, 0.6).findBestMatch(descriptor), 128-d'
                : 'human.match.find(embedding, db), 1024-d',
            rows,
          });
        } finally {
          await pipe.close();
        }
      }
      result.machine = await machine(browser);
    });
    result.machine.load = stopLoad();
  }
  return result;
}
