// `npm run bench -- identify`: open-set 1:N on the persons of an image folder (gallery, probes and strangers).
import { relative, resolve } from 'node:path';
import {
  ROOT,
  fail,
  log,
  loadMetrics,
  startLoadMonitor,
  machine,
  scanImages,
  pipelinesOf,
  embedAll,
  withBrowser,
} from './common.mjs';

export default async function taskIdentify(opts) {
  if (!opts.images) fail('identify needs --images DIR');
  const imagesDir = resolve(opts.images);
  const select = opts.select ?? 'center';
  const backend = opts.backend ?? 'wasm';
  const minPhotos = Number(opts['min-photos'] ?? 5);
  const limit = opts.limit !== undefined ? Number(opts.limit) : Infinity;
  const persons = scanImages(imagesDir);
  const eligible = [...persons.entries()].filter(([, photos]) => photos.length >= minPhotos);
  const galleryAll = eligible.slice(0, Math.min(Number(opts['gallery-size'] ?? Infinity), limit));
  const strangersAll = [...persons.entries()]
    .filter(([, photos]) => photos.length === 1)
    .slice(0, Math.min(Number(opts.strangers ?? Infinity), limit));
  if (!galleryAll.length) fail(`no person under ${imagesDir} has ≥ ${minPhotos} photos (use --min-photos)`);
  const items = [];
  const setup = { gallery: [], mated: [], strangers: [] };
  const push = (person, photo, list) => {
    list.push({ person, image: items.length });
    items.push(photo);
  };
  const enroll = Number(opts.enroll ?? 1);
  if (!(enroll >= 1 && enroll < minPhotos)) fail('--enroll must be between 1 and --min-photos − 1');
  for (const [person, photos] of galleryAll) {
    for (const photo of photos.slice(0, enroll)) push(person, photo, setup.gallery);
    for (const photo of photos.slice(enroll)) push(person, photo, setup.mated);
  }
  for (const [person, photos] of strangersAll) push(person, photos[0], setup.strangers);
  log(
    `identify: gallery ${galleryAll.length} persons (${enroll} photo(s) each), ${setup.mated.length} mated probes, ${setup.strangers.length} strangers; ${items.length} images, selection ${select}`,
  );

  const metrics = await loadMetrics();
  const names = pipelinesOf(opts, false);
  const stopLoad = startLoadMonitor();
  const result = await withBrowser(async (browser, origin) => {
    const pipelines = [];
    for (const name of names) {
      const run = await embedAll(browser, origin, name, items, { backend, select, cacheDir: opts.cache, metrics });
      const vectors = items.map((it) => run.rows.get(it.path)?.vectors ?? null);
      const scorer = metrics.scorerFor(name, run.info.models);
      const m = metrics.identify(setup, vectors, scorer);
      log(`[${name}] rank-1 ${(100 * m.rank1).toFixed(2)} %, FNIR@FPIR1% ${(100 * m.fnirAtFpir1e2).toFixed(2)} %`);
      pipelines.push({ name, library: run.info.library, backend: run.info.backend, config: run.info.config, ...m });
    }
    return { pipelines, machine: await machine(browser) };
  });
  result.machine.load = stopLoad();
  return {
    task: 'identify',
    createdAt: new Date().toISOString(),
    dataset: {
      name: relative(ROOT, imagesDir) || imagesDir,
      minPhotos,
      enroll,
      galleryPersons: galleryAll.length,
      matedProbes: setup.mated.length,
      strangerProbes: setup.strangers.length,
      images: items.length,
      limited: Number.isFinite(limit),
    },
    options: {
      select,
      backend,
      limit: Number.isFinite(limit) ? limit : null,
      gallerySize: opts['gallery-size'] ? Number(opts['gallery-size']) : null,
    },
    source: `Computed in bench/peers/metrics.ts from each pipeline's embeddings, the same protocol for all three (${enroll} enrolled photo(s) per person, a person scores by its best-matching photo). tools/identify-study/identify.ts is LocalFace's own, LocalFace-only study (photos per person, best face vs mean template).`,
    ...result,
  };
}
