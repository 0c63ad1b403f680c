// compareFaces end to end (bytes in, calibrated score out) through the public client, as an app calls it.
import { createFaceClient, type BackendChoice } from '../../src/index';
import { memory } from '../../src/models/tf';

async function run(backend: BackendChoice, urls: string[], rounds: number, threads: 'auto' | 1 = 'auto') {
  const t0 = performance.now();
  const client = await createFaceClient({ backend, modelBaseUrl: '/models/', threads });
  const loadMs = performance.now() - t0;
  const images = await Promise.all(urls.map(async (u) => new Uint8Array(await (await fetch(u)).arrayBuffer())));
  const t1 = performance.now();
  await client.compareFaces(images[0]!, images[1]!);
  const firstMs = performance.now() - t1;
  const times: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const a = images[(2 * r) % images.length]!,
      b = images[(2 * r + 1) % images.length]!;
    const t = performance.now();
    await client.compareFaces(a, b);
    times.push(performance.now() - t);
  }
  const sorted = [...times].sort((x, y) => x - y);
  const result = {
    backend: client.backend,
    threads: client.threads,
    modelIds: client.modelIds,
    loadAndWarmUpMs: loadMs,
    firstCompareMs: firstMs,
    compareMedianMs: sorted[Math.floor(sorted.length / 2)]!,
    compareP90Ms: sorted[Math.floor(sorted.length * 0.9)]!,
    rounds,
    tensors: memory().numTensors,
  };
  await client.close();
  return result;
}

(window as unknown as { speed: unknown }).speed = { run };
