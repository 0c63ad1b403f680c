import { defineConfig, type Plugin } from 'vite';
import { fileURLToPath } from 'node:url';

// Cross-origin isolation lets the WASM backends use threads (SharedArrayBuffer). Dev, preview and the test
// server all send these headers.
export const isolationHeaders = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

/**
 * tfjs-core registers a Node platform when it is loaded under Node (`require('util')`, `process.hrtime`, `Buffer`).
 * This library runs in browsers only, and in a browser bundle that code broke importing the package in Node
 * (Next.js prerendering a page that imports it: "this.util.TextEncoder is not a constructor") and made Parcel
 * install Node polyfills. The module resolves to an empty one; nothing else imports it.
 */
export function withoutTfjsNodePlatform(): Plugin {
  const stub = '\0localface:no-tfjs-node-platform';
  return {
    name: 'localface:no-tfjs-node-platform',
    enforce: 'pre',
    resolveId(source, importer) {
      return source === './platforms/platform_node' && importer?.includes('tfjs-core') ? stub : null;
    },
    load(id) {
      return id === stub ? 'export {};' : null;
    },
  };
}

export default defineConfig({
  root: '.',
  publicDir: 'public',
  plugins: [withoutTfjsNodePlatform()],
  resolve: {
    alias: {
      // The demos import the library by its package name, as an app would; here it resolves to the source.
      localface: fileURLToPath(new URL('./src/index.ts', import.meta.url)),
      // @tensorflow-models/face-detection imports the MediaPipe runtime even when only its tfjs runtime is
      // used; we never use that runtime, so it resolves to a stub that throws if it is ever reached.
      '@mediapipe/face_detection': fileURLToPath(
        new URL('./src/face/detection/mediapipeRuntimeStub.ts', import.meta.url),
      ),
    },
  },
  server: { headers: isolationHeaders },
  preview: { headers: isolationHeaders },
  build: {
    outDir: 'dist',
    // public/models/ becomes dist/models/.
    copyPublicDir: true,
    // Minified: a page that loads dist/ directly downloads 1.3 MB of JS instead of 3.3 MB. (A minified build broke
    // TF.js's threaded WASM workers, NOTES.md; LocalFace runs the single-threaded WASM build, src/models/backend.ts.)
    minify: true,
    // Maps for debugging this repository's dist/, not shipped (package.json "files"): their sources name files
    // outside the package, and Parcel fails on them. 'hidden': the JS names no map an app's bundler would look for.
    sourcemap: 'hidden',
    lib: {
      entry: fileURLToPath(new URL('./src/index.ts', import.meta.url)),
      name: 'LocalFace',
      formats: ['es', 'iife'],
      fileName: (format) => (format === 'es' ? 'localface.js' : 'localface.iife.js'),
    },
    rolldownOptions: {
      output: { codeSplitting: false },
      // defaultModelBase.ts reads import.meta.url only where it exists (the ES build) and document.currentScript in
      // the IIFE build, where import.meta becomes {} as intended.
      checks: { emptyImportMeta: false },
    },
  },
});
