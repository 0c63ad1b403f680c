// `npm run bench -- accuracy`: 1:1 verification on an LFW-format pairs file, every pipeline on the same pairs.
import { readFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { accuracyTargets } from '../peers/report.mjs';
import {
  ROOT,
  fail,
  log,
  loadMetrics,
  startLoadMonitor,
  machine,
  resolveKey,
  pipelinesOf,
  embedAll,
  median,
  withBrowser,
} from './common.mjs';

export default async function taskAccuracy(opts) {
  if (!opts.pairs) fail('accuracy needs --pairs FILE');
  const pairsPath = resolve(opts.pairs);
  const imagesDir = resolve(opts.images ?? join(dirname(pairsPath), 'images'));
  const select = opts.select ?? 'center';
  const backend = opts.backend ?? 'wasm';
  const metrics = await loadMetrics();
  const file = metrics.parsePairs(readFileSync(pairsPath, 'utf8'));
  const total = file.pairs.length;
  // Pairs whose images are not all present are dropped (reported).
  let pairs = file.pairs.filter((p) => resolveKey(imagesDir, p.a) && resolveKey(imagesDir, p.b));
  const missingPairs = total - pairs.length;
  const limited = opts.limit !== undefined && Number(opts.limit) < pairs.length;
  if (limited) pairs = metrics.limitPairs(pairs, Number(opts.limit));
  if (!pairs.length) fail(`no pair of ${pairsPath} has both images under ${imagesDir}`);
  const keys = [...new Set(pairs.flatMap((p) => [p.a, p.b]))].sort();
  const items = keys.map((key) => ({ key, path: resolveKey(imagesDir, key) }));
  const used = { ...file, pairs, folds: new Set(pairs.map((p) => p.fold)).size };
  log(
    `accuracy: ${pairs.length} pairs (${missingPairs} of ${total} dropped for missing images), ${items.length} images, ${used.folds} fold(s), selection ${select}`,
  );

  const names = pipelinesOf(opts, false);
  const stopLoad = startLoadMonitor();
  const result = await withBrowser(async (browser, origin) => {
    const pipelines = [];
    const checks = [];
    for (const name of names) {
      const run = await embedAll(browser, origin, name, items, { backend, select, cacheDir: opts.cache, metrics });
      if (run.check) checks.push(run.check);
      const vectors = items.map((it) => run.rows.get(it.path)?.vectors ?? null);
      const msPerImage = median(items.map((it) => run.rows.get(it.path)?.ms?.total));
      const scorers = name === 'human' ? ['human', 'human-cosine'] : [name];
      for (const s of scorers) {
        const t = Date.now();
        const scorer = metrics.scorerFor(s, run.info.models);
        const m = metrics.verification(used, keys, vectors, scorer, Number(opts['max-impostors'] ?? 2e7));
        log(
          `[${s}] metrics in ${((Date.now() - t) / 1000).toFixed(1)} s: accuracy ${(100 * m.accuracy).toFixed(2)} %, TMR@0.1% ${(100 * m.tmrAtFmr1e3).toFixed(2)} %`,
        );
        pipelines.push({
          name: s,
          library: run.info.library,
          backend: run.info.backend,
          config:
            s === 'human-cosine'
              ? 'the same embeddings compared by plain cosine (not what Human documents)'
              : run.info.config,
          defaultRule: scorer.defaultRule,
          ...m,
          msPerImage,
          loadMs: run.info.loadMs,
          warmupMs: run.info.warmupMs,
          errors: items.filter((it) => run.rows.get(it.path)?.error).length,
          cachedImages: items.filter((it) => run.rows.get(it.path)?.cached).length,
        });
      }
    }
    return { pipelines, checks, machine: await machine(browser) };
  });
  result.machine.load = stopLoad();
  return {
    task: 'accuracy',
    createdAt: new Date().toISOString(),
    dataset: {
      name: basename(pairsPath),
      pairsFile: relative(ROOT, pairsPath),
      imagesDir: relative(ROOT, imagesDir),
      pairs: pairs.length,
      pairsInFile: total,
      pairsMissingImages: missingPairs,
      folds: used.folds,
      images: items.length,
      limited,
    },
    options: { select, backend, limit: opts.limit ? Number(opts.limit) : null },
    ...result,
    targets: accuracyTargets(result),
  };
}
