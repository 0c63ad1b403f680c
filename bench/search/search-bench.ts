// In-browser search benchmarks (driven by bench/search/run.mjs): the in-memory index scan, loading a collection
// from IndexedDB, memory per template, the machine's memory bandwidth, and bulk enroll throughput on real photos.
import { FaceStore } from '../../src/collections/store/database';
import { CollectionIndex } from '../../src/collections/search/collectionIndex';
import { FusedScorer } from '../../src/collections/search/fusedScorer';
import { SearchIndexes } from '../../src/collections/search/searchIndexes';
import calibration from '../../src/face/similarity/calibration.json';
import pairNorm from '../../src/face/similarity/pairNorm.json';
import { Matcher, type MatcherConfig } from '../../src/face/similarity/matcher';
import type { PairNormConfig } from '../../src/face/similarity/pairNorm';
import { rng, unit } from '../synthetic';
import { createFaceClient } from '../../src/index';

const config = calibration as MatcherConfig;
const models = config.models.map((m) => m.id);
const dims = [128, 192];
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Fills a fresh database with n synthetic one-face persons (one transaction per 10k, as a bulk import would). */
async function populate(dbName: string, n: number): Promise<{ store: FaceStore; writeMs: number }> {
  await new Promise((ok) => {
    const r = indexedDB.deleteDatabase(dbName);
    r.onsuccess = r.onerror = r.onblocked = ok;
  });
  const store = await FaceStore.open(dbName);
  await store.createCollection('bench', models, dims, Date.now());
  const r = rng(n);
  const t0 = performance.now();
  for (let i = 0; i < n; i += 10_000) {
    const items = [];
    for (let j = i; j < Math.min(n, i + 10_000); j++) {
      items.push({
        personId: `person-${j}`,
        personName: `Person ${j}`,
        face: { faceId: crypto.randomUUID(), createTime: Date.now(), models, vectors: dims.map((d) => unit(d, r)) },
      });
    }
    await store.importFaces('bench', items, Date.now());
  }
  return { store, writeMs: performance.now() - t0 };
}

async function scan(n: number, queries = 50) {
  const dbName = `bench-search-${n}`;
  const { store, writeMs } = await populate(dbName, n);
  const loads: number[] = [],
    reads: number[] = [];
  let index!: CollectionIndex;
  for (let i = 0; i < 3; i++) {
    const t = performance.now();
    const { collection, blocks } = await store.loadSearchBlocks('bench');
    reads.push(performance.now() - t);
    index = CollectionIndex.fromBlocks('bench', collection.revision, dims, blocks);
    loads.push(performance.now() - t);
  }
  const scorer = new FusedScorer(new Matcher({ ...config, pairNorm: pairNorm as PairNormConfig }), models, dims);
  const r = rng(99);
  const probes = Array.from({ length: queries + 5 }, () => ({ models, vectors: dims.map((d) => unit(d, r)) }));
  const qs = probes.map((p) => scorer.query(p));
  const times: number[] = [];
  // As searchFace runs it: the scan, then its best candidates rescored as compareFaces scores a pair.
  qs.forEach((q, i) => {
    const t = performance.now();
    index.topPersons(q, 10, (row, cohort) => scorer.searchScore(probes[i]!, row, n, cohort));
    if (i >= 5) times.push(performance.now() - t);
  });
  // The whole search path minus the image work: revision check (one IndexedDB read) + scan + result details.
  const indexes = new SearchIndexes(store, models, dims);
  await indexes.get('bench');
  const full: number[] = [];
  for (let i = 0; i < 20; i++) {
    const t = performance.now();
    const idx = await indexes.get('bench');
    const hits = idx.topPersons(qs[i]!, 1, (row, cohort) => scorer.searchScore(probes[i]!, row, n, cohort));
    await store.getResultDetails('bench', hits);
    full.push(performance.now() - t);
  }
  indexes.close();
  const bytesScanned = index.personCount * index.dimension * 4;
  const result = {
    n,
    simd: index.simd,
    writeMs,
    loadMs: median(loads),
    loadRuns: loads,
    readMs: median(reads),
    scanMedianMs: median(times),
    scanP90Ms: [...times].sort((a, b) => a - b)[Math.floor(times.length * 0.9)]!,
    searchPathMedianMs: median(full),
    memoryBytes: index.memoryBytes,
    bytesPerTemplate: index.memoryBytes / n,
    bytesScanned,
  };
  store.close();
  await new Promise((ok) => {
    const rq = indexedDB.deleteDatabase(dbName);
    rq.onsuccess = rq.onerror = rq.onblocked = ok;
  });
  return result;
}

/** Read bandwidth: a SIMD-free JS sum is compute-bound, so measure copyWithin (reads and writes each byte once). */
function bandwidth(): { gbPerS: number } {
  const a = new Float32Array(64 * 1024 * 1024); // 256 MB
  a.fill(1);
  const half = a.length / 2;
  const times: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t = performance.now();
    a.copyWithin(0, half);
    times.push(performance.now() - t);
  }
  // bytes read + bytes written
  return { gbPerS: (2 * half * 4) / (median(times) / 1000) / 1e9 };
}

async function bulkEnroll(urls: string[], copies: number) {
  const client = await createFaceClient({
    backend: 'wasm',
    modelBaseUrl: '/models/',
    databaseName: `bench-bulk-${Date.now()}`,
  });
  await client.createCollection('bulk');
  const images = await Promise.all(urls.map(async (u) => new Uint8Array(await (await fetch(u)).arrayBuffer())));
  const requests = Array.from({ length: copies }, (_, c) =>
    images.map((face, i) => ({
      collectionName: 'bulk',
      personId: `p${c}-${i}`,
      personName: `P ${c} ${i}`,
      face,
      faceStorageType: 'StoreThumbnails' as const,
    })),
  ).flat();
  let progressCalls = 0;
  const t = performance.now();
  const results = await client.enrollPersons(requests, { onProgress: () => progressCalls++ });
  const ms = performance.now() - t;
  await client.close();
  return {
    faces: requests.length,
    ok: results.filter((x) => x.ok).length,
    ms,
    facesPerS: requests.length / (ms / 1000),
    progressCalls,
  };
}

(window as unknown as { bench: unknown }).bench = { scan, bandwidth, bulkEnroll };
