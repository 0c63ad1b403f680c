import { createHash } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { generatedManifest, GZIPPED, MODEL_FILES, sha256, sourceBytes } from '../../scripts/copy-models.mjs';
import committed from '../../src/models/manifest.generated.json';
import { sha256Hex } from '../../src/models/sha256';

describe('built-in model hashes', () => {
  test('src/models/manifest.generated.json holds the sha256 and size of every installed model file, and nothing else', () => {
    const files = MODEL_FILES.map((entry) => {
      const bytes = sourceBytes(entry);
      return { file: entry.file, sha256: sha256(bytes), bytes: bytes.length, gzip: GZIPPED.has(entry.file) };
    });
    expect(Object.keys(committed.files).sort()).toEqual(files.map((f) => f.file).sort());
    for (const f of files)
      expect((committed.files as Record<string, unknown>)[f.file], f.file).toEqual({
        sha256: f.sha256,
        bytes: f.bytes,
        ...(f.gzip ? { gzip: true } : {}),
      });
    // Byte for byte what copy-models.mjs writes, so `npm ci` on a fresh clone leaves the committed file unchanged.
    expect(generatedManifest(files)).toBe(`${JSON.stringify(committed, null, 2)}\n`);
  });
});

describe('plain-JS SHA-256 (pages without WebCrypto)', () => {
  test('matches node:crypto at every length around the padding boundaries, and on a model file', () => {
    const data = new Uint8Array(300).map((_, i) => (i * 37 + 11) & 0xff);
    for (let n = 0; n <= 300; n++) {
      expect(sha256Hex(data.subarray(0, n)), `length ${n}`).toBe(
        createHash('sha256').update(data.subarray(0, n)).digest('hex'),
      );
    }
    expect(sha256Hex(new TextEncoder().encode('abc'))).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
    const model = sourceBytes(MODEL_FILES.find((e) => e.file === 'face-detector-short.bin')!);
    expect(sha256Hex(new Uint8Array(model))).toBe(committed.files['face-detector-short.bin'].sha256);
  });
});
