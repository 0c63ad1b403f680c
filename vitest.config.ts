import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/unit/**/*.test.ts', 'tools/**/*.test.ts'],
    environment: 'node',
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
