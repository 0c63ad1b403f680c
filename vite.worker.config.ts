import { defineConfig } from 'vite';
import { fileURLToPath } from 'node:url';

// The embedding Worker (src/face/embedding/worker/embedderWorker.ts) as one classic script in public/models/, so
// that it ships with the models wherever they are served (dist/models/, an app's own models/ folder) and loads
// under a strict Content-Security-Policy (no blob:, no module worker needed).
export default defineConfig({
  publicDir: false,
  build: {
    outDir: 'public/models',
    emptyOutDir: false,
    minify: true,
    sourcemap: false,
    lib: {
      entry: fileURLToPath(new URL('./src/face/embedding/worker/embedderWorker.ts', import.meta.url)),
      name: 'LocalFaceEmbedderWorker',
      formats: ['iife'],
      fileName: () => 'localface-embedder.worker.js',
    },
  },
});
