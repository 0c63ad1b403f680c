import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { serve } from '../../scripts/serve.mjs';

/** GET with the path sent exactly as written (fetch would normalise it). */
function get(port: number, path: string): Promise<{ status: number; body: string; location?: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'GET' }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          body,
          ...(res.headers.location ? { location: res.headers.location } : {}),
        }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

describe('scripts/serve.mjs', () => {
  let dir: string;
  let server: Server;
  let port: number;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'serve-'));
    mkdirSync(join(dir, 'site'));
    writeFileSync(join(dir, 'site', 'index.html'), 'inside');
    mkdirSync(join(dir, 'site', 'app'));
    writeFileSync(join(dir, 'site', 'app', 'index.html'), 'app');
    // A sibling whose name starts with the root's name.
    mkdirSync(join(dir, 'site-private'));
    writeFileSync(join(dir, 'site-private', 'secret.txt'), 'secret');
    writeFileSync(join(dir, 'secret.txt'), 'secret');
    server = await serve(join(dir, 'site'), 0);
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => {
    server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('serves files inside the root', async () => {
    expect(await get(port, '/index.html')).toEqual({ status: 200, body: 'inside' });
    expect((await get(port, '/')).body).toBe('inside');
  });
  test("a folder without its trailing slash is redirected to it (the page's relative URLs need it)", async () => {
    expect(await get(port, '/app/')).toEqual({ status: 200, body: 'app' });
    expect(await get(port, '/app')).toMatchObject({ status: 301, location: '/app/' });
    expect(await get(port, '/app?x=1&y=%2F')).toMatchObject({ status: 301, location: '/app/?x=1&y=%2F' });
    // Never to another host: its path is `//app`, and a Location `//app/` would be the host `app`.
    expect(await get(port, '/.//app')).toMatchObject({ status: 301, location: '/app/' });
  });
  test('never serves a sibling folder whose name starts with the root name, nor the parent', async () => {
    for (const path of [
      '/..%2fsite-private/secret.txt',
      '/..%2f..%2fsite-private/secret.txt',
      '/%2e%2e%2fsite-private%2fsecret.txt',
      '/..%2fsecret.txt',
      '/../site-private/secret.txt',
    ]) {
      const res = await get(port, path);
      expect(res.body, path).not.toBe('secret');
      expect([403, 404], path).toContain(res.status);
    }
  });
  test('a malformed escape or a NUL is refused without crashing the server', async () => {
    expect((await get(port, '/%E0%A4%A')).status).toBe(400);
    for (const notAPath of ['//', '/\\', '///']) expect((await get(port, notAPath)).status, notAPath).toBe(400);
    expect((await get(port, '/index.html%00.png')).status).toBe(403);
    expect((await get(port, '/index.html')).status).toBe(200);
  });
});
