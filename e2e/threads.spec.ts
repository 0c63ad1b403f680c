// threads: 'auto' — MobileFaceNet loads and runs in a Worker and embeds beside dlib. Real photos, the built library,
// the Worker script served from dist/models/ as an app serves it.
import { test, expect, openHarness } from './localface';

test.skip(({ backend }) => backend !== 'wasm', 'the Worker is used on the WASM backend only');

const PAIRS = [
  ['lfw/Colin_Powell_0001.jpg', 'lfw/Colin_Powell_0002.jpg'],
  ['lfw/Colin_Powell_0001.jpg', 'lfw/Tony_Blair_0002.jpg'],
] as const;

test('the embedding Worker is ready when the client is, and gives the same scores as one thread', async ({
  browser,
}) => {
  const page = await browser.newPage();
  const workerScripts: string[] = [];
  page.on('request', (r) => {
    if (r.url().endsWith('/localface-embedder.worker.js')) workerScripts.push(r.url());
  });
  await openHarness(page);
  const result = await page.evaluate(async (pairs) => {
    const images = await Promise.all(pairs.flat().map((name) => window.fixture(name)));
    const scoresOf = async (client: typeof window.client) => {
      const scores: number[] = [];
      for (let i = 0; i < images.length; i += 2)
        scores.push((await client.compareFaces(images[i]!, images[i + 1]!)).similarityScore);
      return scores;
    };
    const one = await window.LocalFace.createFaceClient({ backend: 'wasm', threads: 1 });
    const oneThread = await scoresOf(one);
    const oneThreadAfter = one.threads;
    await one.close();

    const client = await window.LocalFace.createFaceClient({ backend: 'wasm' });
    const threadsAtStart = client.threads;
    const first = await scoresOf(client);
    const threadsLater = client.threads;
    const tensorsBefore = window.tensorCount();
    const twoThreads = [await scoresOf(client), await scoresOf(client)];
    const tensorGrowth = window.tensorCount() - tensorsBefore;
    await client.close();
    return { oneThread, oneThreadAfter, threadsAtStart, first, threadsLater, twoThreads, tensorGrowth };
  }, PAIRS);
  expect(result.oneThreadAfter).toBe(1);
  expect(result.threadsAtStart).toBe(2);
  expect(result.threadsLater).toBe(2);
  // The Worker runs the same WASM kernels on the same crops: the scores are equal, not merely close.
  expect(result.first).toEqual(result.oneThread);
  expect(result.twoThreads).toEqual([result.oneThread, result.oneThread]);
  expect(result.oneThread[0]).toBeGreaterThan(0.7);
  expect(result.oneThread[1]).toBeLessThan(0.7);
  expect(result.tensorGrowth).toBe(0);
  // Only the client with threads 'auto' loaded the script, once.
  expect(workerScripts).toHaveLength(1);
  await page.close();
});

test('where the Worker script does not load, the client stays on one thread and its results do not change', async ({
  browser,
}) => {
  const page = await browser.newPage();
  let refused = 0;
  await page.route('**/localface-embedder.worker.js', (route) => {
    refused += 1;
    return route.fulfill({ status: 404, body: 'not here' });
  });
  await openHarness(page);
  const scores = await page.evaluate(async () => {
    const [a, b] = [
      await window.fixture('lfw/Colin_Powell_0001.jpg'),
      await window.fixture('lfw/Colin_Powell_0002.jpg'),
    ];
    const client = await window.LocalFace.createFaceClient({ backend: 'wasm' });
    const out: { score: number; threads: number }[] = [];
    for (let i = 0; i < 8; i++) {
      out.push({ score: (await client.compareFaces(a, b)).similarityScore, threads: client.threads });
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    await client.close();
    return out;
  });
  // The Worker's own request, then one fetch() to start it from the fetched script (as an offline PWA needs).
  expect(refused).toBe(2);
  expect(new Set(scores.map((s) => s.score)).size).toBe(1);
  expect(scores.every((s) => s.threads === 1)).toBe(true);
  await page.close();
});

test('a MobileFaceNet file the Worker cannot load is loaded on the calling thread, and its error is the same', async ({
  browser,
}) => {
  const page = await browser.newPage();
  let requests = 0;
  await page.route('**/mobilefacenet.tflite', (route) => {
    requests += 1;
    return route.fulfill({ status: 404, body: 'not here' });
  });
  await openHarness(page);
  const { error, tensorsBefore, tensorsAfter } = await page.evaluate(async () => {
    const tensorsBefore = window.tensorCount();
    const error = await window.errorInfo(() => window.LocalFace.createFaceClient({ backend: 'wasm' }));
    return { error, tensorsBefore, tensorsAfter: window.tensorCount() };
  });
  expect(error?.code).toBe('ERR_MODEL_LOAD_FAILED');
  expect(error?.message).toContain('mobilefacenet.tflite');
  expect(error?.message).toContain('HTTP 404');
  // Once by the Worker, once more by the calling thread when the Worker gave up.
  expect(requests).toBe(2);
  // The detector and dlib, loaded meanwhile, were disposed.
  expect(tensorsAfter).toBe(tensorsBefore);
  // The same page then makes a working client.
  await page.unroute('**/mobilefacenet.tflite');
  const scores = await page.evaluate(async () => {
    const client = await window.LocalFace.createFaceClient({ backend: 'wasm' });
    const score = (
      await client.compareFaces(
        await window.fixture('lfw/Colin_Powell_0001.jpg'),
        await window.fixture('lfw/Colin_Powell_0002.jpg'),
      )
    ).similarityScore;
    const threads = client.threads;
    await client.close();
    return { score, threads };
  });
  expect(scores.threads).toBe(2);
  expect(scores.score).toBeGreaterThan(0.7);
  await page.close();
});

// 1 and the default ('auto') are accepted: the first test above starts a client with each.
test('threads other than "auto" or 1 is refused with ERR_INVALID_ARGUMENT, and the message names both', async ({
  browser,
}) => {
  const page = await browser.newPage();
  await openHarness(page);
  const errors = await page.evaluate(async () => {
    const out = [];
    for (const threads of [4, 2, 0, '1', 'AUTO', true])
      out.push(await window.errorInfo(() => window.LocalFace.createFaceClient({ threads: threads as unknown as 1 })));
    return out;
  });
  expect(errors).toHaveLength(6);
  for (const error of errors) {
    expect(error?.code).toBe('ERR_INVALID_ARGUMENT');
    expect(error?.message).toContain("threads must be 'auto' or 1");
  }
  await page.close();
});

test('the Worker script carries TF.js core, CPU and WASM only, not the WebGL backend (0.79 MB with it)', async ({
  browser,
}) => {
  const page = await browser.newPage();
  await openHarness(page);
  const script = await page.evaluate(async () => {
    const response = await fetch('/dist/models/localface-embedder.worker.js');
    return response.text();
  });
  // The script is fetched before the first result (bytes before it ≤ 12 MB: BENCHMARKS.md, "Start-up and bytes").
  expect(script.length).toBeLessThan(550_000);
  // The WebGL backend's shaders would be in it: one of its kernels' GLSL.
  expect(script).not.toContain('gl_FragColor');
  await page.close();
});
