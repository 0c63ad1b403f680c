import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { beforeAll, describe, expect, it } from 'vitest';

/**
 * Every code sample a user copies from README.md and docs/*.md must compile against the library as it is: a misspelt
 * or outdated option key, a method that does not exist or a wrong argument order is a type error here (and an
 * ERR_INVALID_ARGUMENT for the user, since every options object refuses unknown keys).
 *
 * How: each ```ts / ```typescript block is type-checked as a TypeScript module and each ```js / ```javascript block,
 * and each inline `<script>` of an ```html block, as checked JavaScript (without strict null checks, as an editor
 * checks a user's JS file), with `import ... from 'localface'` mapped to src/index.ts. Samples are fragments, so the
 * names they take as given (`client`, `photo`, `frame`, ...) are declared once in SAMPLE_GLOBALS below, each with the
 * type the library takes. A block may say what context it runs in with a marker comment on the line before its fence:
 *
 *   <!-- docs-sample: service-worker -->   `self` is the service worker (ServiceWorkerScope), `LocalFace` the IIFE of
 *                                          the service-worker build (localface-sw.iife.js)
 *   <!-- docs-sample: skip -->             not checked (give the reason next to it)
 *
 * ```html blocks always see `LocalFace` (the IIFE bundle's global); ```ts and ```js blocks do not.
 */
const ROOT = join(__dirname, '../..');
const DOCS = [
  'README.md',
  ...readdirSync(join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .sort()
    .map((f) => `docs/${f}`),
];

type Context = 'page' | 'script' | 'service-worker' | 'skip';

interface Sample {
  /** e.g. README.md:171 (the line of the opening fence). */
  where: string;
  /** Code lines of the sample start at this line of the markdown file (1-based). */
  firstLine: number;
  language: 'ts' | 'js';
  context: Context;
  code: string;
}

const LANGUAGES: Record<string, Sample['language'] | 'html'> = {
  ts: 'ts',
  typescript: 'ts',
  js: 'js',
  javascript: 'js',
  html: 'html',
};

/** The checked samples of one markdown file: fenced ts/js blocks, and the inline scripts of html blocks. */
export function extractSamples(file: string, markdown: string): Sample[] {
  const samples: Sample[] = [];
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)```(\w*)/.exec(lines[i]!);
    if (!open) continue;
    const [, indent, info] = open;
    let end = i + 1;
    while (end < lines.length && lines[end]!.trim() !== '```') end++;
    const body = lines.slice(i + 1, end).map((l) => (l.startsWith(indent!) ? l.slice(indent!.length) : l));
    const language = LANGUAGES[info!.toLowerCase()];
    const marker = /<!--\s*docs-sample:\s*([\w-]+)\s*-->/.exec(lines[i - 1] ?? '')?.[1];
    if (marker !== undefined && !['service-worker', 'skip'].includes(marker))
      throw new Error(`${file}:${i + 1}: unknown docs-sample marker '${marker}'`);
    const where = `${file}:${i + 1}`;
    if (language === 'ts' || language === 'js') {
      const context = (marker as Context | undefined) ?? 'page';
      samples.push({ where, firstLine: i + 2, language, context, code: body.join('\n') });
    } else if (language === 'html') {
      // Each inline <script>...</script> (not <script src>), with the lines before it blanked so lines map back.
      for (let s = 0; s < body.length; s++) {
        if (!/<script(?: type="module")?>\s*$/.test(body[s]!)) continue;
        let e = s + 1;
        while (e < body.length && !/^\s*<\/script>/.test(body[e]!)) e++;
        samples.push({
          where: `${where} <script> at line ${i + 2 + s}`,
          firstLine: i + 3 + s,
          language: 'js',
          context: (marker as Context | undefined) ?? 'script',
          code: body.slice(s + 1, e).join('\n'),
        });
        s = e;
      }
    }
    i = end;
  }
  return samples;
}

/**
 * The names samples take as given, each typed as the library (or the browser) takes it. Add a name here when a new
 * sample needs one; keep types precise (never `any`), or the check stops checking.
 */
const SAMPLE_GLOBALS = `
import type * as LF from 'localface';
declare global {
  const client: LF.FaceClient;
  const request: LF.EnrollPersonRequest;
  const rows: LF.EnrollPersonRequest[];
  const passphrase: string;
  // images
  const photo: Blob;
  const photo1: Blob;
  const photo2: Blob;
  const photoA: Blob;
  const photoB: HTMLImageElement;
  const idPhoto: Blob;
  const selfie: Blob;
  const groupPhoto: Blob;
  const cameraFrame: HTMLVideoElement;
  const frame: HTMLVideoElement;
  const videoFrame: VideoFrame;
  const face_base_64: string;
  const enrollInput: HTMLInputElement;
  const searchInput: HTMLInputElement;
  // REST
  const KEY: string;
  const body: string;
  // the app's own UI
  const bar: { update(stage: string, fraction: number): void; set(fraction: number): void };
  function show(messages: string[]): void;
  function greet(name: string, score: number): void;
  function ask(livenessCode: unknown): void;
  // a service worker's \`self\`: what mountRestHandler takes, and the lifecycle calls a sample makes (the DOM and
  // WebWorker libs clash, so it is typed here)
  type ServiceWorkerSelf = LF.ServiceWorkerScope & {
    clients: { claim(): Promise<void> };
    addEventListener(type: 'install' | 'activate', listener: (event: { waitUntil(p: Promise<unknown>): void }) => void): void;
  };
}
`;

/** Declarations the samples of a context see before their first line (kept on one line: line numbers stay). */
const PRELUDE: Record<Exclude<Context, 'skip'>, Record<Sample['language'], string>> = {
  page: { ts: '', js: '' },
  script: {
    ts: "declare const LocalFace: typeof import('localface');",
    js: "/** @type {typeof import('localface')} */ const LocalFace = /** @type {any} */ (globalThis).LocalFace;",
  },
  'service-worker': {
    ts: "declare const LocalFace: typeof import('localface/service-worker'); declare const self: ServiceWorkerSelf;",
    js:
      "/** @type {typeof import('localface/service-worker')} */ const LocalFace = /** @type {any} */ (globalThis).LocalFace; " +
      '/** @type {ServiceWorkerSelf} */ const self = /** @type {any} */ (globalThis);',
  },
};

interface SampleDiagnostic {
  where: string;
  message: string;
}

/** Compiler options beyond tsconfig.json's: JavaScript samples are checked as an editor checks a user's JS file. */
const OPTIONS: Record<Sample['language'], ts.CompilerOptions> = {
  ts: {},
  js: { strict: false, noImplicitAny: false, strictNullChecks: false, noUncheckedIndexedAccess: false },
};

/**
 * Type-checks `samples` against src/ (tsconfig.json's options, `localface` → src/index.ts): the TypeScript samples in
 * one program, the JavaScript ones in another (sharing the parsed files). Returns each sample's errors as
 * `file:line: message`, keyed by `where`, and the errors of SAMPLE_GLOBALS under 'globals.d.ts'.
 */
export function checkSamples(samples: Sample[]): Map<string, SampleDiagnostic[]> {
  const config = ts.readConfigFile(join(ROOT, 'tsconfig.json'), ts.sys.readFile);
  const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, ROOT);
  const dir = join(ROOT, '.docs-samples');
  const globals = join(dir, 'globals.d.ts');
  const parsedFiles = new Map<string, ts.SourceFile | undefined>();
  const found = new Map<string, SampleDiagnostic[]>(samples.map((s) => [s.where, []]));
  found.set('globals.d.ts', []);
  for (const language of ['ts', 'js'] as const) {
    const options: ts.CompilerOptions = {
      ...parsed.options,
      noEmit: true,
      allowJs: true,
      checkJs: true,
      moduleDetection: ts.ModuleDetectionKind.Force,
      paths: {
        localface: [join(ROOT, 'src/index.ts')],
        'localface/service-worker': [join(ROOT, 'src/serviceWorkerIndex.ts')],
      },
      ...OPTIONS[language],
    };
    const virtual = new Map<string, { text: string; sample?: Sample }>([[globals, { text: SAMPLE_GLOBALS }]]);
    samples.forEach((sample, n) => {
      if (sample.context === 'skip' || sample.language !== language) return;
      const prelude = PRELUDE[sample.context][sample.language];
      virtual.set(join(dir, `sample${n}.${language}`), { text: `${prelude}\n${sample.code}\n`, sample });
    });
    const host = ts.createCompilerHost(options, true);
    const { getSourceFile, fileExists, readFile } = host;
    host.fileExists = (f) => virtual.has(f) || fileExists(f);
    host.readFile = (f) => virtual.get(f)?.text ?? readFile(f);
    host.getSourceFile = (f, version, onError, create) => {
      const v = virtual.get(f);
      if (v) return ts.createSourceFile(f, v.text, version, true);
      if (!parsedFiles.has(f)) parsedFiles.set(f, getSourceFile(f, version, onError, create));
      return parsedFiles.get(f);
    };
    const program = ts.createProgram([...virtual.keys()], options, host);
    for (const [file, { sample }] of virtual) {
      if (!sample && language === 'js') continue; // globals.d.ts: reported once, from the TypeScript program
      const source = program.getSourceFile(file)!;
      for (const d of [...program.getSyntacticDiagnostics(source), ...program.getSemanticDiagnostics(source)]) {
        const line = d.start === undefined ? 0 : source.getLineAndCharacterOfPosition(d.start).line; // 0: the prelude
        const at = sample ? `${sample.where.split(':')[0]}:${sample.firstLine + line - 1}` : `globals.d.ts:${line + 1}`;
        found
          .get(sample ? sample.where : 'globals.d.ts')!
          .push({ where: at, message: ts.flattenDiagnosticMessageText(d.messageText, ' ') });
      }
    }
  }
  return found;
}

const show = (diagnostics: SampleDiagnostic[]) => diagnostics.map((d) => `${d.where}: ${d.message}`);

const samples = DOCS.flatMap((file) => extractSamples(file, readFileSync(join(ROOT, file), 'utf8')));

/** Deliberately wrong samples: the check must catch each (an unknown option key, method, argument order). */
const BROKEN: Sample[] = [
  "await client.enrollPerson({ collectionName: 's', personId: 'p', personName: 'n', face: photo, checkLivenes: true });",
  "await client.searchFaces({ collectionName: 's', face: photo });",
  'await client.compareFaces({ faceA: photo, faceB: photo });',
  'const { similarity } = await client.compareFaces(photoA, photoB);',
  'await client.detectFaces(photo, { qualty: true });',
].flatMap((code, n) => [
  { where: `broken:${n}:ts`, firstLine: 1, language: 'ts' as const, context: 'page' as const, code },
  { where: `broken:${n}:js`, firstLine: 1, language: 'js' as const, context: 'page' as const, code },
]);

let results: Map<string, SampleDiagnostic[]>;

beforeAll(() => {
  results = checkSamples([...samples, ...BROKEN]);
}, 30_000);

describe('code samples in README.md and docs/*.md', () => {
  it('finds the samples: fenced ts/js blocks and the inline scripts of html blocks', () => {
    expect(samples.length).toBeGreaterThan(25);
    for (const file of ['README.md', 'docs/api.md', 'docs/rest.md'])
      expect(samples.filter((s) => s.where.startsWith(`${file}:`)).length, file).toBeGreaterThan(0);
    expect(samples.some((s) => s.where.includes('<script>'))).toBe(true);
  });

  it('declares the names samples take as given without errors', () => {
    expect(show(results.get('globals.d.ts')!)).toEqual([]);
  });

  it.each(samples.filter((s) => s.context !== 'skip').map((s) => [s.where, s] as const))(
    '%s compiles against src/',
    (where) => {
      expect(show(results.get(where)!)).toEqual([]);
    },
  );

  it.each(BROKEN.map((s) => [s.where, s] as const))('catches the deliberately wrong sample %s', (where) => {
    expect(results.get(where)!.length).toBeGreaterThan(0);
  });
});

describe('the sample extractor', () => {
  it('reads indented fences, markers and html scripts, and maps lines back', () => {
    const markdown = [
      'text', //                                              1
      '- item', //                                            2
      '  ```js', //                                           3
      '  client.close();', //                                 4
      '  ```', //                                             5
      '<!-- docs-sample: service-worker -->', //              6
      '```ts', //                                             7
      'LocalFace.mountRestHandler(self);', //                 8
      '```', //                                               9
      '```html', //                                          10
      '<script src="x.js"></script>', //                     11
      '<script>', //                                         12
      '  LocalFace.version;', //                             13
      '</script>', //                                        14
      '```', //                                              15
      '```sh', //                                            16
      'npm test', //                                         17
      '```', //                                              18
    ].join('\n');
    const found = extractSamples('x.md', markdown);
    expect(
      found.map(({ where, firstLine, language, context, code }) => [where, firstLine, language, context, code]),
    ).toEqual([
      ['x.md:3', 4, 'js', 'page', 'client.close();'],
      ['x.md:7', 8, 'ts', 'service-worker', 'LocalFace.mountRestHandler(self);'],
      ['x.md:10 <script> at line 12', 13, 'js', 'script', '  LocalFace.version;'],
    ]);
  });
});
