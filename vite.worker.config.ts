import { defineConfig, type Plugin } from 'vite';
import { fileURLToPath } from 'node:url';
import { resolve, dirname } from 'node:path';
import { withoutTfjsNodePlatform } from './vite.config';

const LIBRARY_TF = fileURLToPath(new URL('./src/models/tf.ts', import.meta.url));
const WORKER_TF = fileURLToPath(new URL('./src/face/embedding/worker/tfWorker.ts', import.meta.url));

/** Every import of src/models/tf.ts resolves to the Worker's smaller TF.js module. */
function workerTf(): Plugin {
  return {
    name: 'localface-worker-tf',
    enforce: 'pre',
    resolveId(source, importer) {
      if (!importer || !source.startsWith('.')) return null;
      const target = resolve(dirname(importer), source);
      return target === LIBRARY_TF || `${target}.ts` === LIBRARY_TF ? WORKER_TF : null;
    },
  };
}

// The embedding Worker (src/face/embedding/worker/embedderWorker.ts) as one classic script in public/models/, so
// that it ships with the models wherever they are served (dist/models/, an app's own models/ folder) and loads
// under a strict Content-Security-Policy (no blob:, no module worker needed).
export default defineConfig({
  publicDir: false,
  plugins: [workerTf(), withoutTfjsNodePlatform()],
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
