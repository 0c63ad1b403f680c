import { describe, expect, it } from 'vitest';
import { suppressOverlaps } from '../../src/face/detection/merge';
import { syntheticFace } from '../support/syntheticFace';

describe('suppressOverlaps (the group detection merge of models and tiles)', () => {
  it('a loose box around a face found closer (IoU 0.24, as a tile gave on a full-length portrait) is the same face', () => {
    const face = syntheticFace(490, 171, 160, undefined, 0.87);
    const loose = syntheticFace(432, 95, 326, undefined, 0.56);
    expect(suppressOverlaps([loose, face])).toEqual([face]);
  });

  it('keeps the more confident of two boxes that overlap, and faces side by side', () => {
    const a = syntheticFace(100, 100, 100, undefined, 0.9);
    const shifted = syntheticFace(120, 110, 100, undefined, 0.7);
    const neighbour = syntheticFace(210, 100, 100, undefined, 0.8);
    expect(suppressOverlaps([shifted, neighbour, a])).toEqual([a, neighbour]);
  });

  it('a more confident small box inside a larger one wins over it, whichever comes first', () => {
    const small = syntheticFace(150, 150, 60, undefined, 0.95);
    const large = syntheticFace(100, 100, 200, undefined, 0.6);
    expect(suppressOverlaps([small, large])).toEqual([small]);
    expect(suppressOverlaps([large, small])).toEqual([small]);
  });
});
