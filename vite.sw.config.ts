import { defineConfig } from 'vite';
import { fileURLToPath } from 'node:url';

// The service-worker build (src/serviceWorkerIndex.ts): mountRestHandler without TF.js, as an ES module and as a
// classic script for importScripts. Written into dist/ after the library build, which empties dist/ first.
export default defineConfig({
  publicDir: false,
  build: {
    outDir: 'dist',
    emptyOutDir: false,
    minify: true,
    sourcemap: 'hidden',
    lib: {
      entry: fileURLToPath(new URL('./src/serviceWorkerIndex.ts', import.meta.url)),
      name: 'LocalFace',
      formats: ['es', 'iife'],
      fileName: (format) => (format === 'es' ? 'localface-sw.js' : 'localface-sw.iife.js'),
    },
    rolldownOptions: { output: { codeSplitting: false } },
  },
});
