// In-browser export/import benchmark (driven by bench/export/run.mjs): a synthetic collection written directly with
// FaceStore.importFaces (one-face persons, unit vectors of the shipped models, metadata of ~100 bytes), then
// exportCollection → deleteCollection → importCollection through the public client.
import { readExport } from '../../src/collections/exportFormat';
import { FaceStore } from '../../src/collections/store/database';
import calibration from '../../src/face/similarity/calibration.json';
import type { MatcherConfig } from '../../src/face/similarity/matcher';
import { rng, unit } from '../synthetic';
import { createFaceClient, type FaceClient } from '../../src/index';

const config = calibration as MatcherConfig;
const models = config.models.map((m) => m.id);
const DB = 'bench-export';
let client: FaceClient;
let file: Blob | undefined;

/** A client on the benchmark database (each measurement runs in a fresh page: a fresh renderer process). */
async function openClient(passphrase?: string): Promise<void> {
  client = await createFaceClient({
    backend: 'wasm',
    modelBaseUrl: '/models/',
    databaseName: DB,
    ...(passphrase ? { encryption: { passphrase } } : {}),
  });
}

/** With `passphrase`, the database is encrypted at rest with it (createFaceClient's `encryption`). */
async function populate(n: number, passphrase?: string): Promise<{ n: number; writeMs: number; dims: number[] }> {
  await new Promise((ok) => {
    const r = indexedDB.deleteDatabase(DB);
    r.onsuccess = r.onerror = r.onblocked = ok;
  });
  await openClient(passphrase);
  const dims = [...(client as unknown as { engine: { dimensions: number[] } }).engine.dimensions];
  const store = await FaceStore.open(DB, passphrase ? { passphrase } : undefined);
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
  store.close();
  const writeMs = performance.now() - t0;
  return { n, writeMs, dims };
}

async function exportIt(passphrase?: string): Promise<{ ms: number; bytes: number }> {
  const t = performance.now();
  file = await client.exportCollection('bench', passphrase ? { passphrase } : {});
  return { ms: performance.now() - t, bytes: file.size };
}

async function deleteIt(): Promise<void> {
  await client.deleteCollection('bench');
}

/** Reading and checking the file alone (what importCollection does before its write transaction). */
async function verifyOnly(passphrase?: string): Promise<{ ms: number }> {
  const engine = (client as unknown as { engine: { modelIds: string[]; dimensions: number[] } }).engine;
  const t = performance.now();
  await readExport(file!, { passphrase, models: engine.modelIds, dims: engine.dimensions });
  return { ms: performance.now() - t };
}

async function importIt(passphrase?: string): Promise<{ ms: number; personCount: number; firstSearchLoadMs: number }> {
  const t = performance.now();
  const c = await client.importCollection(file!, passphrase ? { passphrase } : {});
  const ms = performance.now() - t;
  // The index reloads from the imported search blocks on the next search; time that load (no image work).
  const t2 = performance.now();
  await (client as unknown as { open(): Promise<{ indexes: { get(n: string): Promise<unknown> } }> })
    .open()
    .then(({ indexes }) => indexes.get('bench'));
  return { ms, personCount: c.personCount, firstSearchLoadMs: performance.now() - t2 };
}

/**
 * A cold start of a client on the populated database: opening it (with a passphrase: PBKDF2 and the key check),
 * then loading the collection's search index from its blocks (decrypting them when encrypted), as a first search does.
 */
async function loadIndex(passphrase?: string): Promise<{ openMs: number; loadMs: number; faces: number }> {
  await openClient(passphrase);
  const t0 = performance.now();
  await client.listCollections();
  const t1 = performance.now();
  const index = await (
    client as unknown as { open(): Promise<{ indexes: { get(n: string): Promise<{ size?: number }> } }> }
  )
    .open()
    .then(({ indexes }) => indexes.get('bench'));
  const loadMs = performance.now() - t1;
  const faces = (await client.listCollections()).find((c) => c.name === 'bench')?.personCount ?? 0;
  void index;
  await client.close();
  return { openMs: t1 - t0, loadMs, faces };
}

function dropFile(): void {
  file = undefined;
}

(window as unknown as { bench: unknown }).bench = {
  openClient,
  populate,
  exportIt,
  deleteIt,
  verifyOnly,
  importIt,
  loadIndex,
  dropFile,
};
