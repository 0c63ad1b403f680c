import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * docs/api.md is hand-written, so it can fall behind the code. This test keeps it current: every name the package
 * exports and every method of the client and the collection handle must be documented there.
 */
const ROOT = join(__dirname, '../..');
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');

const withoutComments = (source: string) => source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '');

/** Names exported by a module's export lists (`export { a, b as c } from` and `export type { ... }`) and declarations. */
function exportedNames(source: string): string[] {
  const code = withoutComments(source);
  if (/export\s+\*/.test(code))
    throw new Error('src/index.ts uses `export *`: list the names so the docs test can check them');
  const names: string[] = [];
  for (const list of code.matchAll(/export\s+(?:type\s+)?\{([^}]*)\}/g)) {
    for (const item of list[1]!.split(',')) {
      const spec = item.trim().replace(/^type\s+/, '');
      if (spec)
        names.push(
          spec
            .split(/\s+as\s+/)
            .pop()!
            .trim(),
        );
    }
  }
  for (const decl of code.matchAll(
    /export\s+(?:declare\s+)?(?:async\s+)?(?:const|let|function|class|interface|type|enum)\s+([A-Za-z_$][\w$]*)/g,
  )) {
    names.push(decl[1]!);
  }
  return names;
}

/** Method names of `interface <name> { ... }`: members written as `name(...)` or `name<T>(...)` at the top level of its body. */
function interfaceMethods(source: string, name: string): string[] {
  const code = withoutComments(source);
  const start = new RegExp(`interface\\s+${name}\\b[^{]*\\{`).exec(code);
  if (!start) throw new Error(`interface ${name} not found`);
  let depth = 1;
  let topLevel = '';
  for (let i = start.index + start[0].length; i < code.length && depth > 0; i++) {
    const c = code[i]!;
    if (c === '{') depth++;
    else if (c === '}') depth--;
    else if (depth === 1) topLevel += c;
  }
  const methods = new Set<string>();
  for (const member of topLevel.split(/[;\n]/)) {
    const m = /^\s*([A-Za-z_$][\w$]*)\s*(?:<[^>]*>)?\s*\(/.exec(member);
    if (m) methods.add(m[1]!);
  }
  return [...methods];
}

/** The text of every inline code span and fenced code block: where API names are written. */
function codeText(markdown: string): string {
  const fenced = [...markdown.matchAll(/```[^\n]*\n([\s\S]*?)```/g)].map((m) => m[1]!);
  const prose = markdown.replace(/```[^\n]*\n[\s\S]*?```/g, '');
  const inline = [...prose.matchAll(/`([^`\n]+)`/g)].map((m) => m[1]!);
  return [...fenced, ...inline].join('\n');
}

const escape = (s: string) => s.replace(/[$]/g, '\\$');
const mentions = (code: string, name: string) => new RegExp(`(?<![\\w$])${escape(name)}(?![\\w$])`).test(code);
const callsOf = (markdown: string, method: string) => new RegExp(`(?<![\\w$])${escape(method)}\\(`).test(markdown);

const docs = read('docs/api.md');
const exported = exportedNames(read('src/index.ts'));
const client = read('src/client.ts');

describe('docs/api.md', () => {
  it('names every export of src/index.ts, in code', () => {
    expect(exported).toContain('createFaceClient');
    expect(exported).toContain('FaceErrorCode');
    const code = codeText(docs);
    expect(exported.filter((name) => !mentions(code, name))).toEqual([]);
  });

  it('documents every method of FaceClient and FaceCollection as `name(`', () => {
    for (const iface of ['FaceClient', 'FaceCollection']) {
      const methods = interfaceMethods(client, iface);
      expect(methods, iface).toContain('getPerson');
      expect(
        methods.filter((m) => !callsOf(docs, m)),
        iface,
      ).toEqual([]);
    }
  });
});

describe('the parsers this test relies on', () => {
  it('read export lists, aliases and declarations', () => {
    const source = `
      // export { commented } from './x';
      export { a, b as c } from './x';
      export type {
        T1, type T2,
      } from './y';
      export const version = '1';
      export class K {}`;
    expect(exportedNames(source)).toEqual(['a', 'c', 'T1', 'T2', 'version', 'K']);
  });

  it('read an interface body, skipping properties, nested object types and comments', () => {
    const source = `
      export interface Api {
        readonly backend: string;
        /** open(x) in a comment */
        find(q: { a: number; b(): void }): Promise<void>;
        find(id: string): Promise<void>;
        map<T>(f: (x: number) => T): T[];
        onEvent?: (e: Event) => void;
      }
      interface Other { close(): void }`;
    expect(interfaceMethods(source, 'Api')).toEqual(['find', 'map']);
  });

  it('flag a missing name and a missing method', () => {
    const markdown = 'Intro with Face in prose.\n\n```ts\nclient.detectFaces(image)\n```\n\n`FaceError` and `close()`.';
    const code = codeText(markdown);
    expect(mentions(code, 'FaceError')).toBe(true);
    expect(mentions(code, 'Face')).toBe(false); // only in prose
    expect(mentions(code, 'FaceErrorCode')).toBe(false);
    expect(callsOf(markdown, 'detectFaces')).toBe(true);
    expect(callsOf(markdown, 'close')).toBe(true);
    expect(callsOf(markdown, 'compareFaces')).toBe(false);
    expect(callsOf(markdown, 'Faces')).toBe(false);
  });
});
