// The two build outputs as users load them: the <script> bundle (window.LocalFace) and the ES module, each with
// its default model location (the models/ folder next to the file).
import { test, expect, openHarness } from './localface';

test('the IIFE bundle sets window.LocalFace and works with models from next to the script', async ({ page }) => {
  await openHarness(page, '/e2e/pages/iife.html');
  const result = await page.evaluate(async () => {
    const { createFaceClient, FaceError, version } = window.LocalFace;
    const client = await createFaceClient();
    const bytes = new Uint8Array(await (await fetch('/e2e/fixtures/two-people.jpg')).arrayBuffer());
    const faces = await client.detectFaces(bytes);
    await client.close();
    return { faces: faces.length, backend: client.backend, version, hasFaceError: typeof FaceError === 'function' };
  });
  expect(result).toEqual({
    faces: 2,
    backend: 'wasm',
    version: expect.stringMatching(/^\d+\.\d+\.\d+/),
    hasFaceError: true,
  });
});

test('the ES module exports the API names and loads models from ./models/ next to it', async ({ page }) => {
  const requests: string[] = [];
  page.on('request', (r) => requests.push(new URL(r.url()).pathname));
  await openHarness(page);
  const names = await page.evaluate(async () => {
    const client = await window.LocalFace.createFaceClient();
    await client.close();
    return Object.keys(window.LocalFace).sort();
  });
  expect(names).toEqual(
    expect.arrayContaining([
      'createFaceClient',
      'FaceError',
      'createRestHandler',
      'mountRestHandler',
      'serveRestRequests',
      'version',
    ]),
  );
  expect(
    requests
      .filter((p) => p.endsWith('.bin') || p.endsWith('.tflite') || p.endsWith('.wasm'))
      .every((p) => p.startsWith('/dist/models/')),
  ).toBe(true);
  expect(requests).toContain('/dist/models/face-detector-short.bin');
  // The hashes are built into the bundle: the server's manifest.json is not read (it could vouch for anything).
  expect(requests).not.toContain('/dist/models/manifest.json');
});

test('the IIFE bundle loaded with importScripts in a Worker finds its models next to the script, not the Worker', async ({
  page,
}) => {
  await openHarness(page, '/e2e/pages/iife.html');
  const result = await page.evaluate(async () => {
    // A Worker of its own folder (here a blob: URL, which has none) that imports the bundle from /dist/.
    const source = `
      importScripts(${JSON.stringify(new URL('/dist/localface.iife.js', location.href).href)});
      (async () => {
        try {
          const client = await self.LocalFace.createFaceClient({ threads: 1, databaseName: 'iife-worker' });
          const bytes = new Uint8Array(await (await fetch(${JSON.stringify(new URL('/e2e/fixtures/two-people.jpg', location.href).href)})).arrayBuffer());
          const faces = await client.detectFaces(bytes, { quality: false, attributes: false });
          await client.close();
          postMessage({ faces: faces.length });
        } catch (e) {
          postMessage({ error: e.code + ': ' + e.message });
        }
      })();`;
    const worker = new Worker(URL.createObjectURL(new Blob([source], { type: 'text/javascript' })));
    return new Promise<{ faces?: number; error?: string }>((resolve) => {
      worker.onmessage = (e) => resolve(e.data as { faces?: number; error?: string });
      worker.onerror = (e) => resolve({ error: e.message });
    });
  });
  expect(result).toEqual({ faces: 2 });
});
