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
      minify: false,
      sourcemap: false,
      lib: false,
      rollupOptions: {
        input: {
          kiosk: page('./demo/kiosk/index.html'),
          checkin: page('./demo/checkin/index.html'),
          compare: page('./demo/compare/index.html'),
          cloudClient: page('./demo/cloud-client/index.html'),
        },
        output: { inlineDynamicImports: false },
      },
    },
  }),
);
