#!/usr/bin/env node
// A static file server for built artifacts (dist/, demo-dist/, e2e pages) with the cross-origin isolation
// headers LocalFace's threaded WASM needs, and optionally a Content-Security-Policy on every response.
// Usage: node scripts/serve.mjs [--root DIR] [--port N] [--csp POLICY]
import { fileURLToPath } from 'node:url';
import { createServer } from 'node:http';
import { createReadStream, statSync } from 'node:fs';
import { extname, join, normalize, resolve, sep } from 'node:path';

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.mjs': 'text/javascript',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.bin': 'application/octet-stream',
  '.tflite': 'application/octet-stream',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.css': 'text/css',
  '.map': 'application/json',
  '.webmanifest': 'application/manifest+json',
  '.y4m': 'video/x-raw',
};

export function serve(root, port, { csp } = {}) {
  const base = resolve(root);
  const server = createServer((req, res) => {
    let url, path;
    try {
      url = new URL(req.url ?? '/', 'http://x'); // throws for `//` and `/\`, which browsers do send
      path = decodeURIComponent(url.pathname);
    } catch {
      res.writeHead(400).end(); // not a path, or a malformed %-escape
      return;
    }
    let file = normalize(join(base, path));
    // Inside the root only: a bare prefix test would also admit a sibling such as `demo-dist-old/` (via `..%2f`).
    if (path.includes('\0') || (file !== base && !file.startsWith(base + sep))) {
      res.writeHead(403).end();
      return;
    }
    try {
      if (statSync(file).isDirectory()) {
        // A folder is its index.html, at the folder's URL with a slash: the page's relative URLs (manifest, service
        // worker, API base) resolve against it. Leading slashes are collapsed: `//host/` would leave this server.
        if (!url.pathname.endsWith('/')) {
          res.writeHead(301, { Location: `${url.pathname.replace(/^\/+/, '/')}/${url.search}` }).end();
          return;
        }
        file = join(file, 'index.html');
      }
      const size = statSync(file).size;
      res.writeHead(200, {
        'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream',
        'Content-Length': size,
        'Cross-Origin-Opener-Policy': 'same-origin',
        'Cross-Origin-Embedder-Policy': 'require-corp',
        'Cross-Origin-Resource-Policy': 'same-origin',
        'Cache-Control': 'no-store',
        ...(csp ? { 'Content-Security-Policy': csp } : {}),
      });
      if (req.method === 'HEAD') res.end();
      else createReadStream(file).pipe(res);
    } catch {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found');
    }
  });
  return new Promise((ok) => server.listen(port, '127.0.0.1', () => ok(server)));
}

if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  const arg = (name, fallback) => {
    const i = process.argv.indexOf(`--${name}`);
    return i > 0 ? process.argv[i + 1] : fallback;
  };
  const port = Number(arg('port', 4173));
  const csp = arg('csp', undefined);
  await serve(arg('root', '.'), port, { csp });
  console.log(`serving ${resolve(arg('root', '.'))} at http://127.0.0.1:${port}/${csp ? ` with CSP ${csp}` : ''}`);
}
