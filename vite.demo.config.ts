import { defineConfig, mergeConfig } from 'vite';
import { fileURLToPath } from 'node:url';
import base from './vite.config';

// `npm run build:demo`: the demos as one static site in demo-dist/ (scripts/finish-demo.mjs then puts the kiosk
// at the root, adds the script-tag page and the check-in PWA's service worker file list).
const page = (path: string) => fileURLToPath(new URL(path, import.meta.url));

export default mergeConfig(
  base,
  defineConfig({
    root: page('./demo'),
    publicDir: page('./public'), // public/models/ → demo-dist/models/
    base: './', // relative URLs: demo-dist/ can be served from any folder
    worker: { format: 'es' },
    build: {
      outDir: page('./demo-dist'),
      emptyOutDir: true,
      copyPublicDir: true,
      minify: true, // single-threaded WASM only (src/models/backend.ts), which minifying does not break
      sourcemap: false,
      // .vite/manifest.json: which chunks each page loads (scripts/finish-demo.mjs precaches the check-in's only).
      manifest: true,
      lib: false,
      // The library chunk holds TF.js and the detector (1.1 MB minified), loaded once for every page and the worker.
      chunkSizeWarningLimit: 1600,
      rolldownOptions: {
        input: {
          kiosk: page('./demo/kiosk/index.html'),
          checkin: page('./demo/checkin/index.html'),
          compare: page('./demo/compare/index.html'),
          cloudClient: page('./demo/cloud-client/index.html'),
          // The kiosk's worker is an entry of this build, not a separately bundled worker, so it imports the same
          // library chunk as the pages (one download, one cached copy) instead of carrying its own 3 MB copy.
          kioskWorker: page('./demo/kiosk/kioskWorker.ts'),
        },
        output: {
          codeSplitting: true, // the library's build bundles everything into one file; the pages share its chunk
          // A fixed name: demo/kiosk/main.ts starts the worker by this URL.
          entryFileNames: (chunk) =>
            chunk.name === 'kioskWorker' ? 'assets/kiosk-worker.js' : 'assets/[name]-[hash].js',
        },
      },
    },
  }),
);
