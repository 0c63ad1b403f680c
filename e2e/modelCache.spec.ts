// The model cache: verified model files are kept in Cache Storage, so a second visit starts without downloading a
// model, and a cached copy that no longer matches its built-in sha256 is dropped and fetched again.
import { test, expect, openHarness } from './localface';

const CACHE = 'localface-models';
/** The embedding Worker's script (threads 'auto'): code, not a model file. */
const WORKER_SCRIPT = '/dist/models/localface-embedder.worker.js';

test('a second visit loads every model from the cache: no model request, same scores', async ({ page }) => {
  const modelRequests: string[] = [];
  page.on('request', (r) => {
    const path = new URL(r.url()).pathname;
    if (path.startsWith('/dist/models/') && path !== WORKER_SCRIPT) modelRequests.push(path);
  });
  const compare = () =>
    page.evaluate(async () => {
      const client = await window.LocalFace.createFaceClient({ backend: 'wasm' });
      const a = await window.fixture('lfw/Colin_Powell_0001.jpg');
      const b = await window.fixture('lfw/Colin_Powell_0002.jpg');
      const { similarityScore } = await client.compareFaces(a, b);
      await client.close();
      return similarityScore;
    });
  await openHarness(page);
  const first = await compare();
  // Files the build ships gzipped (scripts/copy-models.mjs) are downloaded as <file>.gz.
  const firstRequests = modelRequests.map((path) => path.replace(/\.gz$/, ''));
  expect(firstRequests).toContain('/dist/models/face-detector-short.bin');
  expect(modelRequests).toContain('/dist/models/dlib-resnet128.bin.gz');
  expect(firstRequests).toContain('/dist/models/mobilefacenet.tflite');
  // Each file is downloaded once, though MobileFaceNet loads in the embedding Worker and the rest on the page.
  expect(firstRequests.length).toBe(new Set(firstRequests).size);
  // A plain compareFaces loads detection and embedding only: the full-range detector and the checks' models wait
  // for a call that needs them.
  for (const lazy of [
    'face-detector-full.bin',
    'face-mesh.bin',
    'fasnet-liveness.onnx',
    'eye-state.onnx',
    'centernet-backbone.bin',
  ])
    expect(firstRequests).not.toContain(`/dist/models/${lazy}`);
  const cached = await page.evaluate(async (name) => (await (await caches.open(name)).keys()).map((r) => r.url), CACHE);
  expect(cached.length).toBe(new Set(firstRequests).size);

  modelRequests.length = 0;
  await page.reload();
  await page.waitForFunction(() => window.harnessReady === true);
  const second = await compare();
  expect(modelRequests).toEqual([]);
  expect(second).toBeCloseTo(first, 6);
});

test('a cached copy that does not match its sha256 is dropped and fetched again', async ({ page }) => {
  const modelRequests: string[] = [];
  page.on('request', (r) => {
    const path = new URL(r.url()).pathname;
    if (path.startsWith('/dist/models/') && path !== WORKER_SCRIPT) modelRequests.push(path);
  });
  await openHarness(page);
  const detect = () =>
    page.evaluate(async () => {
      const client = await window.LocalFace.createFaceClient({ backend: 'wasm' });
      const faces = await client.detectFaces(await window.fixture('lfw/Tony_Blair_0002.jpg'));
      await client.close();
      return faces.length;
    });
  expect(await detect()).toBe(1);
  // Same key, same length, one byte flipped: what a corrupted or overwritten entry looks like.
  const tampered = await page.evaluate(async (name) => {
    const cache = await caches.open(name);
    const key = (await cache.keys()).find((r) => new URL(r.url).pathname === '/dist/models/face-detector-short.bin')!;
    const bytes = new Uint8Array(await (await cache.match(key))!.arrayBuffer());
    bytes[1000] = bytes[1000]! ^ 0xff;
    await cache.put(key, new Response(bytes));
    return key.url;
  }, CACHE);
  expect(tampered).toMatch(/\?sha256=[0-9a-f]{64}$/);

  modelRequests.length = 0;
  await page.reload();
  await page.waitForFunction(() => window.harnessReady === true);
  expect(await detect()).toBe(1);
  expect(modelRequests).toEqual(['/dist/models/face-detector-short.bin']);
  // The entry holds the server's (verified) bytes again.
  const repaired = await page.evaluate(
    async ([name, key]) => {
      const cached = new Uint8Array(await (await (await caches.open(name)).match(key))!.arrayBuffer());
      const served = new Uint8Array(await (await fetch('/dist/models/face-detector-short.bin')).arrayBuffer());
      return cached.length === served.length && cached.every((b, i) => b === served[i]);
    },
    [CACHE, tampered] as const,
  );
  expect(repaired).toBe(true);
});

test('each check downloads its own models only: liveness never loads the hat head’s CenterNet, attributes do', async ({
  page,
}) => {
  const modelRequests: string[] = [];
  page.on('request', (r) => {
    const path = new URL(r.url()).pathname;
    if (path.startsWith('/dist/models/') && path !== WORKER_SCRIPT)
      modelRequests.push(path.replace('/dist/models/', '').replace(/\.gz$/, ''));
  });
  await openHarness(page);
  const detect = (request: { attributes: boolean; liveness: boolean }) =>
    page.evaluate(async (req) => {
      const client = await window.LocalFace.createFaceClient({ backend: 'wasm' });
      const [face] = await client.detectFaces(await window.fixture('checks/hat.jpg'), { quality: false, ...req });
      await client.close();
      return { hat: face!.attributes?.hat, liveness: face!.liveness?.code };
    }, request);
  const live = await detect({ attributes: false, liveness: true });
  expect(live.liveness).toBeDefined();
  expect(modelRequests).toContain('fasnet-liveness.onnx');
  expect(modelRequests).toContain('eye-state.onnx');
  expect(modelRequests.filter((f) => f.startsWith('centernet-backbone'))).toEqual([]);

  modelRequests.length = 0;
  const withAttributes = await detect({ attributes: true, liveness: false });
  expect(withAttributes.hat).toBeGreaterThan(0.5);
  // Only the backbone is new: everything else attributes read (FasNet, the detector) is in the model cache already.
  expect(modelRequests.sort()).toEqual(['centernet-backbone.bin', 'centernet-backbone.json']);
});
