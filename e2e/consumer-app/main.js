// What an app writes after `npm install localface` and copying node_modules/localface/dist/models/ to public/models/.
import { createFaceClient } from 'localface';

const status = document.getElementById('status');

// The test calls window.comparePhotos once the client is ready. WASM, because software WebGL (no GPU in CI) is slow.
createFaceClient({ modelBaseUrl: '/models/', backend: 'wasm' }).then(
  (client) => {
    window.comparePhotos = async (urlA, urlB) => {
      const [a, b] = await Promise.all([urlA, urlB].map(async (url) => (await fetch(url)).blob()));
      return (await client.compareFaces(a, b)).similarityScore;
    };
    status.textContent = `ready on ${client.backend}`;
  },
  (error) => {
    status.textContent = `failed: ${error.message}`;
  },
);
