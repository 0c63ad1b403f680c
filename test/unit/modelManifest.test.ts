import { createHash } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import {
  generatedManifest,
  graphModelPrefix,
  GZIPPED,
  MODEL_FILES,
  sha256,
  sourceBytes,
  CENTERNET_BACKBONE_OUTPUT,
} from '../../scripts/copy-models.mjs';
import { CENTERNET_OUTPUT_NODE } from '../../src/face/checks/centerNetBackbone';
import committed from '../../src/models/manifest.generated.json';
import { sha256Hex } from '../../src/sha256';

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

describe('a graph model cut after one node', () => {
  test('the shipped CenterNet backbone ends at the node the hat head reads', () => {
    expect(CENTERNET_BACKBONE_OUTPUT).toBe(CENTERNET_OUTPUT_NODE);
  });
  test('keeps the nodes and weights that node depends on, in order, and frees the input size', () => {
    const model = {
      format: 'graph-model',
      modelTopology: {
        node: [
          { name: 'images', op: 'Placeholder', attr: { shape: { shape: { dim: [{ size: '1' }, { size: '8' }] } } } },
          { name: 'w1', op: 'Const' },
          { name: 'a', op: 'Conv2D', input: ['images', 'w1'] },
          { name: 'w2', op: 'Const' },
          { name: 'unused', op: 'Conv2D', input: ['a', 'w2'] },
          { name: 'w3', op: 'Const' },
          { name: 'b', op: 'Add', input: ['a:0', '^w3'] },
        ],
      },
      weightsManifest: [
        {
          paths: ['model.bin'],
          weights: [
            { name: 'w1', shape: [2], dtype: 'float32' },
            { name: 'w2', shape: [3], dtype: 'float32', quantization: { dtype: 'float16', original_dtype: 'float32' } },
            { name: 'w3', shape: [1], dtype: 'int32' },
          ],
        },
      ],
    };
    const bytes = Buffer.from(Array.from({ length: 8 + 6 + 4 }, (_, i) => i));
    const cut = graphModelPrefix(model, bytes, 'b', 'cut.bin');
    const topology = JSON.parse(cut.topology.toString('utf8'));
    expect(topology.modelTopology.node.map((n: { name: string }) => n.name)).toEqual(['images', 'w1', 'a', 'w3', 'b']);
    expect(topology.modelTopology.node[0].attr.shape.shape.dim.map((d: { size: string }) => d.size)).toEqual([
      '-1',
      '-1',
      '-1',
      '3',
    ]);
    expect(topology.weightsManifest).toEqual([
      { paths: ['cut.bin'], weights: [model.weightsManifest[0]!.weights[0], model.weightsManifest[0]!.weights[2]] },
    ]);
    // w1's 8 bytes, then w3's 4 (w2's 6 float16 bytes between them are left out).
    expect([...cut.weights]).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 14, 15, 16, 17]);
    expect(() => graphModelPrefix(model, bytes.subarray(1), 'b', 'cut.bin')).toThrow(/describes 18 bytes/);
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
