// ModelFiles' downloads against a stand-in server (fetch replaced): a stalled download is given up, and a .gz copy
// that does not decompress to the file falls back to the plain file. The real bytes come from public/models/, which
// `npm ci` fills from the pinned npm packages.
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ModelFiles } from '../../src/models/modelFiles';
import { FaceError } from '../../src/errors';

const FILE = 'face-detector-full.bin'; // shipped with a .gz copy
const plain = readFileSync(new URL(`../../public/models/${FILE}`, import.meta.url));
const BASE = 'https://app.example/models/';

/** Replaces fetch: `serve(path, signal)` answers each request; every request path is recorded. */
function server(serve: (path: string, signal?: AbortSignal | null) => Promise<Response>): string[] {
  const requested: string[] = [];
  vi.stubGlobal('fetch', (input: string | URL, init?: RequestInit) => {
    const path = new URL(String(input)).pathname.replace('/models/', '');
    requested.push(path);
    return serve(path, init?.signal);
  });
  return requested;
}

/** A promise that never settles unless `signal` aborts it (a server that never answers). */
const never = (signal?: AbortSignal | null) =>
  new Promise<Response>((_, reject) => signal?.addEventListener('abort', () => reject(signal.reason)));

async function failure(promise: Promise<unknown>): Promise<FaceError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(FaceError);
  return error as FaceError;
}

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('model downloads', () => {
  it('a server that never answers is given up after the stall limit, with a network error', async () => {
    server((_, signal) => never(signal));
    const error = await failure(new ModelFiles(BASE, undefined, 50).bytes(FILE, 'detector'));
    expect(error.code).toBe('ERR_MODEL_LOAD_FAILED');
    expect(error.message).toMatch(/nothing arrived for 0 s, so the download was given up/);
    expect(error.message).toMatch(/Check the network connection/);
  });

  it('a body that stops arriving half-way is given up too; one that keeps arriving slowly is not', async () => {
    const body = (chunks: number, pauseMs: number, stopAfter = Infinity) =>
      new ReadableStream<Uint8Array>({
        async start(controller) {
          const size = Math.ceil(plain.length / chunks);
          for (let i = 0; i < chunks; i++) {
            if (i === stopAfter) return; // the connection hangs: no more bytes, no end
            await new Promise((resolve) => setTimeout(resolve, pauseMs));
            controller.enqueue(new Uint8Array(plain.subarray(i * size, (i + 1) * size)));
          }
          controller.close();
        },
      });
    // No .gz on this server (404): the plain file is read in 10 chunks.
    server(async (path) => (path.endsWith('.gz') ? new Response('', { status: 404 }) : new Response(body(10, 20, 4))));
    const stalled = await failure(new ModelFiles(BASE, undefined, 150).bytes(FILE, 'detector'));
    expect(stalled.message).toMatch(/download was given up/);
    // 10 chunks 20 ms apart take longer than the 150-ms limit in all, but none waits that long.
    server(async (path) => (path.endsWith('.gz') ? new Response('', { status: 404 }) : new Response(body(10, 20))));
    const bytes = await new ModelFiles(BASE, undefined, 150).bytes(FILE, 'detector');
    expect(Buffer.from(bytes).equals(plain)).toBe(true);
  });

  it('a .gz copy that is stale or damaged falls back to the plain file, which is checked as usual', async () => {
    const stale = Buffer.from(plain);
    stale[4096] = stale[4096]! ^ 1;
    for (const gz of [gzipSync(stale), gzipSync(plain).subarray(0, 50_000)]) {
      const requested = server(async (path) => new Response(path.endsWith('.gz') ? gz : plain));
      const bytes = await new ModelFiles(BASE).bytes(FILE, 'detector');
      expect(Buffer.from(bytes).equals(plain)).toBe(true);
      expect(requested).toEqual([`${FILE}.gz`, FILE]);
    }
    // Both copies wrong: the error says so, and that the copy is of the right size.
    server(async (path) => new Response(path.endsWith('.gz') ? gzipSync(stale) : stale));
    const error = await failure(new ModelFiles(BASE).bytes(FILE, 'detector'));
    expect(error.message).toMatch(/its sha256 is not the one built into this LocalFace version/);
    expect(error.message).toMatch(/of the right size; its face-detector-full\.bin\.gz copy did not decompress/);
    expect(error.message).toMatch(/Serve this LocalFace version's models\/ folder/);
  });

  it('a good .gz copy is all that is downloaded', async () => {
    const requested = server(async (path) =>
      path.endsWith('.gz') ? new Response(gzipSync(plain)) : new Response('', { status: 500 }),
    );
    const bytes = await new ModelFiles(BASE).bytes(FILE, 'detector');
    expect(Buffer.from(bytes).equals(plain)).toBe(true);
    expect(requested).toEqual([`${FILE}.gz`]);
  });
});

describe('the model base URL', () => {
  it('with a user name or password (which fetch refuses) is refused without repeating the password', () => {
    let error: unknown;
    try {
      new ModelFiles('https://kiosk:s3cret-token@cdn.example/models/');
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
    expect((error as Error).message).toContain('"https://cdn.example/models/" without them');
    expect((error as Error).message).not.toContain('s3cret');
    expect(new ModelFiles(BASE).baseUrl).toBe(BASE);
    // Nor when the URL does not even parse.
    let unparsable: unknown;
    try {
      new ModelFiles('https://user:hunter2@[bad/models/');
    } catch (e) {
      unparsable = e;
    }
    expect(unparsable).toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
    expect((unparsable as Error).message).not.toContain('hunter2');
  });
});
