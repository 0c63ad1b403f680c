import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * src/ is built in layers that depend downward only: shared vocabulary at the bottom, then model runtimes, then the
 * face engine, then collections, then the client and the public surface. This test keeps it so.
 */
const SRC = normalize(join(__dirname, '../../src'));

const LAYERS: { name: string; matches: (path: string) => boolean }[] = [
  { name: 'vocabulary', matches: (p) => ['vocabulary.ts', 'errors.ts', 'version.ts', 'sha256.ts'].includes(p) },
  { name: 'models', matches: (p) => p.startsWith('models/') },
  { name: 'face', matches: (p) => p.startsWith('face/') },
  { name: 'collections', matches: (p) => p.startsWith('collections/') },
  { name: 'tracker', matches: (p) => p.startsWith('tracker/') },
  { name: 'client', matches: (p) => p === 'client.ts' },
  { name: 'rest', matches: (p) => p.startsWith('rest/') },
  // The public surfaces: the library's, and the service-worker build's (a part of it without TF.js).
  { name: 'index', matches: (p) => p === 'index.ts' || p === 'serviceWorkerIndex.ts' },
];

function layerOf(path: string): number {
  const i = LAYERS.findIndex((l) => l.matches(path));
  if (i < 0) throw new Error(`${path} belongs to no layer: add it to a layer in test/unit/layers.test.ts`);
  return i;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) return sourceFiles(full);
    return /\.ts$/.test(name) ? [full] : [];
  });
}

/** Relative import specifiers of a module: static imports, re-exports and dynamic import(). */
function relativeImports(source: string): string[] {
  const found: string[] = [];
  for (const m of source.matchAll(/(?:from|import)\s*\(?\s*['"](\.[^'"]+)['"]/g)) found.push(m[1]!);
  return found;
}

const edges = sourceFiles(SRC).flatMap((file) => {
  const from = relative(SRC, file);
  return relativeImports(readFileSync(file, 'utf8')).map((spec) => ({
    from,
    to: relative(SRC, normalize(join(dirname(file), spec))),
    spec,
  }));
});

describe('src/ layering', () => {
  it('finds the modules and their imports', () => {
    expect(edges.length).toBeGreaterThan(100);
    expect(edges.some((e) => e.from === 'client.ts' && e.to.startsWith('face/'))).toBe(true);
  });

  it('imports only downward (or within the same layer)', () => {
    const upward = edges
      .filter((e) => !e.to.startsWith('..'))
      .filter((e) => layerOf(withExtension(e.to)) > layerOf(e.from))
      .map(
        (e) =>
          `${e.from} (${LAYERS[layerOf(e.from)]!.name}) imports ${e.spec} (${LAYERS[layerOf(withExtension(e.to))]!.name})`,
      );
    expect(upward).toEqual([]);
  });

  it('never imports from outside src/ (bench, tools and tests depend on src, not the reverse)', () => {
    expect(edges.filter((e) => e.to.startsWith('..')).map((e) => `${e.from} imports ${e.spec}`)).toEqual([]);
  });

  it('keeps the face engine on top of face/: no module inside face/ imports it', () => {
    expect(edges.filter((e) => e.from.startsWith('face/') && e.to === 'face/engine').map((e) => e.from)).toEqual([]);
  });

  it('has no import cycles, type-only imports included', () => {
    const next = new Map<string, string[]>();
    for (const e of edges.filter((e) => !e.to.startsWith('..')))
      next.set(e.from, [...(next.get(e.from) ?? []), withExtension(e.to)]);
    const cycles: string[] = [];
    const state = new Map<string, 'open' | 'done'>();
    const visit = (module: string, path: string[]): void => {
      if (state.get(module) === 'done') return;
      if (state.get(module) === 'open') {
        cycles.push([...path.slice(path.indexOf(module)), module].join(' → '));
        return;
      }
      state.set(module, 'open');
      for (const to of next.get(module) ?? []) visit(to, [...path, module]);
      state.set(module, 'done');
    };
    for (const module of next.keys()) visit(module, []);
    expect(cycles).toEqual([]);
  });

  it('lets collections/ reach the models only through the face engine', () => {
    const direct = edges.filter((e) => e.from.startsWith('collections/') && e.to.startsWith('models/'));
    expect(direct.map((e) => `${e.from} imports ${e.spec}`)).toEqual([]);
  });
});

/** Import specifiers omit '.ts' (or '/index.ts' for a folder); JSON and other files keep theirs. */
function withExtension(path: string): string {
  if (/\.[a-z]+$/.test(path)) return path;
  return existsSync(join(SRC, `${path}.ts`)) || !existsSync(join(SRC, path, 'index.ts'))
    ? `${path}.ts`
    : `${path}/index.ts`;
}
