import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/unit/**/*.test.ts', 'tools/**/*.test.ts'],
    environment: 'node',
    // Two at once even on a 2-core machine (the default leaves a core free): the service worker tests mostly wait
    // out their real timeouts, which another file's work can fill.
    maxWorkers: 2,
    // Transformed, so that the alias below applies to its import.
    server: { deps: { inline: ['@tensorflow-models/face-detection'] } },
  },
  resolve: {
    // As vite.config.ts resolves them: the package's ES module (its CommonJS build requires the MediaPipe runtime),
    // and that runtime, never used, as a stub.
    mainFields: ['module', 'jsnext:main', 'main'],
    alias: {
      '@mediapipe/face_detection': fileURLToPath(
        new URL('./src/face/detection/mediapipeRuntimeStub.ts', import.meta.url),
      ),
    },
  },
});
