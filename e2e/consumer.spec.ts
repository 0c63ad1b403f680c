// The package as an app gets it: `npm pack` of the built library, installed from the tarball into an empty app
// (production dependencies only, install scripts on), the app built by Vite and served; in it, compareFaces gives
// a high score for one person's two photos and a low one for two people, and no request leaves the app's origin.
import { test, expect } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { serve } from '../scripts/serve.mjs';
import { CONSUMER_PORT } from './ports';

const ORIGIN = `http://127.0.0.1:${CONSUMER_PORT}`;
const repo = resolve('.');
let scratch = '';
let server: Server | undefined;

/** npm's own variables from a surrounding `npm test` (prefix, package name …) would point the app's npm at the repo. */
function npmEnvironment(): NodeJS.ProcessEnv {
  const keep = new Set(['npm_config_cache', 'npm_config_registry', 'npm_config_userconfig']);
  return Object.fromEntries(
    Object.entries(process.env).filter(([key]) => !key.toLowerCase().startsWith('npm_') || keep.has(key.toLowerCase())),
  );
}

function run(command: string, args: string[], cwd: string): string {
  return execFileSync(command, args, {
    cwd,
    env: npmEnvironment(),
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

function timed<T>(label: string, step: () => T): T {
  const start = Date.now();
  const result = step();
  console.log(`${label}: ${((Date.now() - start) / 1000).toFixed(1)} s`);
  return result;
}

test.beforeAll(async () => {
  test.setTimeout(180_000);
  expect(existsSync('dist/localface.js'), 'run `npm run build` first (npm test does)').toBe(true);
  scratch = mkdtempSync(join(tmpdir(), 'localface-consumer-'));

  // The repo's `prepare` script (model copy) needs the repo's devDependencies; dist/ is already built.
  const tarball = timed('npm pack', () =>
    run('npm', ['pack', '--ignore-scripts', '--pack-destination', scratch, '--silent'], repo).trim().split('\n').pop()!,
  );

  const app = join(scratch, 'app');
  cpSync('e2e/consumer-app', app, { recursive: true });
  // What a user runs. --prefer-offline: the dependencies are in the npm cache after the repo's `npm ci`.
  timed('npm install <tarball> --omit=dev', () =>
    run('npm', ['install', join(scratch, tarball), '--omit=dev', '--prefer-offline', '--no-audit', '--no-fund'], app),
  );
  // What an app does once: the package's model files go to its public folder, served at /models/.
  cpSync(join(app, 'node_modules/localface/dist/models'), join(app, 'public/models'), { recursive: true });
  cpSync('e2e/fixtures/lfw', join(app, 'public/photos'), { recursive: true });
  // The repo's Vite, so that the app does not download its own.
  timed('vite build', () =>
    run(
      process.execPath,
      [join(repo, 'node_modules/vite/bin/vite.js'), 'build', app, '--outDir', join(app, 'dist'), '--logLevel', 'warn'],
      repo,
    ),
  );
  server = await serve(join(app, 'dist'), CONSUMER_PORT);
});

test.afterAll(async () => {
  if (server?.listening)
    await new Promise((done) => {
      server!.closeAllConnections();
      server!.close(done);
    });
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

test('an app built from the packed tarball compares faces with models from its own origin only', async ({ page }) => {
  const foreign: string[] = [];
  const errors: string[] = [];
  page.on('request', (request) => {
    if (!request.url().startsWith(`${ORIGIN}/`) && !/^(blob|data):/.test(request.url())) foreign.push(request.url());
  });
  page.on('pageerror', (error) => errors.push(error.message));

  await page.goto(`${ORIGIN}/`);
  await expect(page.locator('#status')).toHaveText('ready on wasm', { timeout: 90_000 });
  const scores = await page.evaluate(async () => {
    const compare = (window as unknown as { comparePhotos(a: string, b: string): Promise<number> }).comparePhotos;
    return {
      samePerson: await compare('/photos/Colin_Powell_0001.jpg', '/photos/Colin_Powell_0002.jpg'),
      differentPeople: await compare('/photos/Colin_Powell_0001.jpg', '/photos/Serena_Williams_0001.jpg'),
    };
  });
  console.log(JSON.stringify(scores));
  expect(scores.samePerson).toBeGreaterThan(0.7);
  expect(scores.differentPeople).toBeLessThan(0.5);
  expect(foreign).toEqual([]);
  expect(errors).toEqual([]);
  // The app's bundle carries the library; its node_modules were only needed to build it.
  expect(readdirSync(join(scratch, 'app/dist/assets')).some((f) => f.endsWith('.js'))).toBe(true);
});

test('its declarations type-check in a strict TypeScript app that has only its dependencies', () => {
  const app = join(scratch, 'app');
  writeFileSync(
    join(app, 'check.ts'),
    [
      "import { createFaceClient, FaceError, type SearchResult } from 'localface';",
      "import { mountRestHandler, type ServiceWorkerScope } from 'localface/service-worker';",
      "export const mount = (scope: ServiceWorkerScope) => mountRestHandler(scope, { basePath: '/api/' });",
      'export async function best(face: Blob): Promise<SearchResult | undefined> {',
      "  const client = await createFaceClient({ modelBaseUrl: '/models/' });",
      "  try { return (await client.searchFace({ collectionName: 'staff', face }))[0]; }",
      '  catch (e) { if (e instanceof FaceError) console.log(e.code); throw e; }',
      '}',
      '',
    ].join('\n'),
  );
  // skipLibCheck off (TypeScript's default) reads every declaration the package ships, and Vite's app template sets
  // noUncheckedSideEffectImports; both module resolutions an app may use.
  for (const resolution of [
    ['--module', 'esnext', '--moduleResolution', 'bundler'],
    ['--module', 'nodenext'],
  ]) {
    const tsc = join(repo, 'node_modules/typescript/bin/tsc');
    const args = [tsc, '--noEmit', '--strict', '--skipLibCheck', 'false', '--noUncheckedSideEffectImports'];
    args.push('--target', 'es2022', '--lib', 'es2022,dom');
    try {
      execFileSync(process.execPath, [...args, ...resolution, 'check.ts'], { cwd: app, encoding: 'utf8' });
    } catch (error) {
      throw new Error(`tsc ${resolution.join(' ')}: ${(error as { stdout?: string }).stdout ?? String(error)}`, {
        cause: error,
      });
    }
  }
  // An app that lists the global types it wants (`"types": []`, or only its own) gets no @types package by default:
  // the declarations must still find the ones they use (tfjs-core's use @types/long's global Long).
  writeFileSync(
    join(app, 'tsconfig.types.json'),
    JSON.stringify({
      compilerOptions: {
        strict: true,
        skipLibCheck: false,
        noEmit: true,
        types: [],
        target: 'es2022',
        lib: ['es2022', 'dom'],
        module: 'esnext',
        moduleResolution: 'bundler',
      },
      files: ['check.ts'],
    }),
  );
  try {
    execFileSync(process.execPath, [join(repo, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.types.json'], {
      cwd: app,
      encoding: 'utf8',
    });
  } catch (error) {
    throw new Error(`tsc with "types": []: ${(error as { stdout?: string }).stdout ?? String(error)}`, {
      cause: error,
    });
  }
});

test('the package carries its licence and the bundled code’s notices (minification drops their headers)', () => {
  const installed = join(scratch, 'app/node_modules/localface');
  expect(readFileSync(join(installed, 'LICENSE'), 'utf8')).toContain('MIT License');
  const notices = readFileSync(join(installed, 'dist/THIRD_PARTY_NOTICES.txt'), 'utf8');
  for (const name of ['@tensorflow/tfjs-core', '@tensorflow-models/face-detection', 'idb', 'long', 'seedrandom'])
    expect(notices).toContain(`- ${name} `);
  expect(notices).toContain('Apache License');
});

test('the installed package imports in Node (server-side rendering) and ships no source maps', () => {
  const installed = join(scratch, 'app/node_modules/localface');
  // tfjs-core's Node platform, bundled in, crashed this import ("this.util.TextEncoder is not a constructor"): a
  // Next.js page importing the package failed to prerender.
  const exported = run(
    process.execPath,
    ['--input-type=module', '-e', 'console.log(Object.keys(await import("localface")).sort().join(","))'],
    join(scratch, 'app'),
  ).trim();
  expect(exported.split(',')).toEqual(expect.arrayContaining(['FaceError', 'createFaceClient', 'version']));
  // A client made there by mistake (a server-side load function) says where clients run.
  const onServer = run(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      'const { createFaceClient } = await import("localface"); await createFaceClient().catch((e) => console.log(e.code, e.metadata.reason))',
    ],
    join(scratch, 'app'),
  ).trim();
  expect(onServer).toBe('ERR_INTERNAL not-a-browser');
  // The service-worker build: what a worker forwarding REST requests imports, without TF.js.
  const forWorkers = run(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      'console.log(Object.keys(await import("localface/service-worker")).sort().join(","))',
    ],
    join(scratch, 'app'),
  ).trim();
  expect(forWorkers).toBe('FaceError,mountRestHandler,version');
  // CommonJS tools (Jest's default mode, ts-node, an Electron main process) require() it: Node ≥ 20.19 loads an ES
  // module there, given an export condition that require matches.
  const required = run(
    process.execPath,
    [
      '-e',
      'const m = require("localface"); const w = require("localface/service-worker"); console.log(typeof m.createFaceClient, typeof w.mountRestHandler, require("localface/package.json").name)',
    ],
    join(scratch, 'app'),
  ).trim();
  expect(required).toBe('function function localface');
  for (const script of ['localface-sw.js', 'localface-sw.iife.js']) {
    const text = readFileSync(join(installed, 'dist', script), 'utf8');
    expect(text.length).toBeLessThan(20_000);
    expect(text).not.toContain('tensorflow');
  }
  // Their sources name files outside the package, which Parcel fails on; no file names a map either.
  const files = readdirSync(join(installed, 'dist'), { recursive: true }).map(String);
  expect(files.filter((f) => f.endsWith('.map'))).toEqual([]);
  for (const script of ['localface.js', 'localface.iife.js', 'localface-sw.js', 'localface-sw.iife.js'])
    expect(readFileSync(join(installed, 'dist', script), 'utf8')).not.toContain('sourceMappingURL');
});
