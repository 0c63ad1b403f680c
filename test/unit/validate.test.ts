import { describe, expect, test } from 'vitest';
import * as v from '../../src/collections/validate';
import { FaceError } from '../../src/errors';

const code = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(FaceError);
    return (e as FaceError).code;
  }
  return 'ok';
};

describe('argument validation', () => {
  test('collection names: 1–255 of A-Z a-z 0-9 _ - .', () => {
    for (const ok of ['a', 'My_Collection-1.v2', 'x'.repeat(255)]) expect(code(() => v.collectionName(ok))).toBe('ok');
    for (const bad of ['', 'x'.repeat(256), 'a b', 'a/b', 'é', null, 3])
      expect(code(() => v.collectionName(bad))).toBe('ERR_INVALID_COLLECTION_NAME');
    // A new collection cannot be dots alone (a URL path could not name it again), an existing one can still be used.
    for (const dots of ['.', '..', '...']) {
      expect(code(() => v.newCollectionName(dots))).toBe('ERR_INVALID_COLLECTION_NAME');
      expect(code(() => v.collectionName(dots))).toBe('ok');
    }
    expect(code(() => v.newCollectionName('.a.'))).toBe('ok');
  });
  test('a refused collection name is told what is wrong with it', () => {
    const message = (value: unknown) => {
      try {
        v.collectionName(value);
      } catch (e) {
        return (e as FaceError).message;
      }
      return '';
    };
    expect(message('x'.repeat(300))).toContain('300 characters long');
    expect(message('café')).toContain('where "é" is not one of them');
    expect(message('staff room')).toContain('where " " is not one of them');
    expect(message(3)).toMatch(/got 3\.$/);
  });
  test('personId: 1–255 characters, any characters, case kept', () => {
    expect(v.personId('Ab c/é')).toBe('Ab c/é');
    for (const bad of ['', 'x'.repeat(256), 5, undefined])
      expect(code(() => v.personId(bad))).toBe('ERR_INVALID_ARGUMENT');
    // Characters as Unicode code points: this emoji is one, though two UTF-16 units.
    expect(code(() => v.personId('😀'.repeat(255)))).toBe('ok');
    expect(() => v.personId('😀'.repeat(256))).toThrow('got 256 characters');
    expect(code(() => v.personName('😀'.repeat(v.MAX_PERSON_NAME_LENGTH)))).toBe('ok');
    // A refused name is described by its length: its text (personal data) stays out of the message and the logs.
    const tooLong = `Ximena Quolloway ${'x'.repeat(v.MAX_PERSON_NAME_LENGTH)}`;
    expect(() => v.personName(tooLong)).toThrow(`got ${tooLong.length} characters`);
    expect(() => v.personName(tooLong)).not.toThrow(/Ximena/);
    expect(v.characterCount('a😀é\ud800')).toBe(4); // a lone surrogate is one
  });
  test('metadata: a JSON object of at most 16 KB (UTF-8), stored as its JSON round-trip', () => {
    expect(v.metadata(undefined)).toEqual({});
    expect(v.metadata({ a: 1, d: new Date(0), u: undefined })).toEqual({ a: 1, d: '1970-01-01T00:00:00.000Z' });
    const overhead = JSON.stringify({ s: '' }).length;
    expect(code(() => v.metadata({ s: 'x'.repeat(16 * 1024 - overhead) }))).toBe('ok');
    expect(code(() => v.metadata({ s: 'x'.repeat(16 * 1024 - overhead + 1) }))).toBe('ERR_INVALID_ARGUMENT');
    // Multi-byte characters count as their UTF-8 bytes.
    expect(code(() => v.metadata({ s: 'é'.repeat(8 * 1024) }))).toBe('ERR_INVALID_ARGUMENT');
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    for (const bad of [null, [], 'x', 1, cyclic, { n: 1n }])
      expect(code(() => v.metadata(bad))).toBe('ERR_INVALID_ARGUMENT');
  });
  test('metadata must still be a plain object after the JSON round trip, and never a raw SyntaxError', () => {
    const throwing = {
      get x() {
        throw 'not an Error';
      },
    };
    const odd = [
      { toJSON: () => null },
      { toJSON: () => 'a string' },
      { toJSON: () => undefined },
      { toJSON: () => [1, 2] },
      { toJSON: () => 42 },
      new Date(0),
      throwing,
      {
        toJSON() {
          throw new SyntaxError('boom');
        },
      },
    ];
    for (const bad of odd) expect(code(() => v.metadata(bad))).toBe('ERR_INVALID_ARGUMENT');
    expect(v.metadata({ toJSON: () => ({ kept: true }) })).toEqual({ kept: true });
  });
  test('metadata with a __proto__ key (a prototype-pollution attempt) is refused at any depth', () => {
    expect(code(() => v.metadata(JSON.parse('{"__proto__": {"isAdmin": true}}')))).toBe('ERR_INVALID_ARGUMENT');
    expect(code(() => v.metadata(JSON.parse('{"a": [{"__proto__": {"isAdmin": true}}]}')))).toBe(
      'ERR_INVALID_ARGUMENT',
    );
    expect(({} as Record<string, unknown>).isAdmin).toBeUndefined();
    expect(v.metadata({ constructor: 'x', prototype: 1 })).toEqual({ constructor: 'x', prototype: 1 });
  });
  test('options: thresholds, integers, storage types, booleans', () => {
    expect(v.similarity(undefined, 'm', 0.7)).toBe(0.7);
    for (const bad of [-0.1, 1.1, NaN, '0.7'])
      expect(code(() => v.similarity(bad, 'm', 0.7))).toBe('ERR_INVALID_ARGUMENT');
    expect(v.integer(undefined, 'limit', 100, 1, 1000)).toBe(100);
    for (const bad of [0, 1001, 1.5, '3'])
      expect(code(() => v.integer(bad, 'limit', 100, 1, 1000))).toBe('ERR_INVALID_ARGUMENT');
    expect(v.faceStorageType(undefined)).toBe('NoStorage');
    expect(code(() => v.faceStorageType('thumbnails'))).toBe('ERR_INVALID_ARGUMENT');
    expect(code(() => v.boolean('true', 'checkDuplicates', false))).toBe('ERR_INVALID_ARGUMENT');
  });
});

test('the ends of a range are inside it: similarity 0 and 1, integers at min and max', () => {
  // minSimilarityScore: 1 (exact match only) and 0 (everything) are documented as valid ("in [0, 1]").
  expect(v.similarity(0, 'minSimilarityScore', 0.7)).toBe(0);
  expect(v.similarity(1, 'minSimilarityScore', 0.7)).toBe(1);
  expect(v.integer(1, 'limit', 100, 1, 1000)).toBe(1);
  expect(v.integer(1000, 'limit', 100, 1, 1000)).toBe(1000);
});
