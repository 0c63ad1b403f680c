import { describe, expect, it } from 'vitest';
import { mountRestHandler, serveRestRequests, type ServiceWorkerScope } from '../../src/rest/serviceWorker';

type Listener = (event: never) => void;

/** A service worker scope with one open window, whose messages and fetches the test sends by hand. */
function fakeScope() {
  const listeners: Record<string, Listener[]> = { fetch: [], message: [] };
  const posted: unknown[] = [];
  const page = { id: 'page-1', postMessage: (message: unknown) => void posted.push(message) };
  const scope: ServiceWorkerScope = {
    location: { origin: 'http://app.test' },
    clients: { get: async (id) => (id === page.id ? page : undefined), matchAll: async () => [page] },
    addEventListener: (type, listener) => void listeners[type]!.push(listener),
    removeEventListener: (type, listener) => {
      listeners[type] = listeners[type]!.filter((l) => l !== listener);
    },
  };
  const fetchEvent = (url: string, init: { method?: string; mode?: string } = {}) => {
    let answered: Promise<Response> | undefined;
    const request = { url, method: init.method ?? 'GET', mode: init.mode ?? 'cors', headers: new Headers() };
    for (const l of listeners.fetch!)
      (l as (e: unknown) => void)({ request, respondWith: (r: Promise<Response>) => void (answered = r) });
    return answered;
  };
  const message = (type: string) => {
    for (const l of listeners.message!) (l as (e: unknown) => void)({ data: { type }, source: page });
  };
  return { scope, fetchEvent, message, posted };
}

describe('mountRestHandler (service worker)', () => {
  it("with the default basePath, forwards only the seeds' paths: the app's pages, scripts and models pass through", () => {
    const { scope, fetchEvent } = fakeScope();
    mountRestHandler(scope, { handler: async () => new Response('handled') });
    expect(fetchEvent('http://app.test/')).toBeUndefined();
    expect(fetchEvent('http://app.test/index.html')).toBeUndefined();
    expect(fetchEvent('http://app.test/models/face-detector-short.json')).toBeUndefined();
    expect(fetchEvent('http://other.test/face-search', { method: 'POST' })).toBeUndefined();
    // A page the app serves at a path a seed also uses is still the app's page.
    expect(fetchEvent('http://app.test/users/search', { mode: 'navigate' })).toBeUndefined();
    expect(fetchEvent('http://app.test/face-search', { method: 'POST' })).toBeInstanceOf(Promise);
    expect(fetchEvent('http://app.test/users/search', { method: 'POST' })).toBeInstanceOf(Promise);
    expect(fetchEvent('http://app.test/faceset/v2/add_face', { method: 'POST' })).toBeInstanceOf(Promise);
  });

  it('stops forwarding to a page that stopped serving', async () => {
    const { scope, fetchEvent, message, posted } = fakeScope();
    mountRestHandler(scope, { timeoutMs: 50 });
    message('localface-rest-ready');
    message('localface-rest-stopped');
    // No page serves: the worker asks the open windows again, then answers 503 (not a 504 after the timeout).
    const response = await fetchEvent('http://app.test/face-search', { method: 'GET' });
    expect(response!.status).toBe(503);
    expect(await response!.json()).toMatchObject({ code: 'ERR_INTERNAL' });
    expect(posted).toEqual([{ type: 'localface-rest-ping' }]);
  }, 15_000); // waits out the 3-s search for a serving page

  it("answers its own 503 in the shape of the path's dialect", async () => {
    const { scope, fetchEvent } = fakeScope();
    mountRestHandler(scope, { timeoutMs: 50 });
    const body = async (path: string) => (await fetchEvent(`http://app.test/${path}`, { method: 'GET' }))!.json();
    const [users, enroll, faceSet] = await Promise.all([
      body('users/search'),
      body('enroll-face'),
      body('faceset/v2/add_face'),
    ]);
    expect(users).toMatchObject({ status: 503, title: 'Service Unavailable' });
    expect(enroll).toMatchObject({ error_code: 'INTERNAL_SERVER_ERROR' });
    expect(faceSet).toMatchObject({ status: 'INTERNAL_ERROR', request_id: expect.stringMatching(/^TID[0-9a-f]{32}$/) });
  }, 15_000); // waits out the 3-s search for a serving page
});

describe('mountRestHandler options', () => {
  it('refuses a misspelt key or a bad value at once, with a sentence (not a TypeError in every fetch)', () => {
    const refused = (options: unknown) => {
      const { scope } = fakeScope();
      try {
        mountRestHandler(scope, options as never);
      } catch (error) {
        return (error as { code?: string }).code;
      }
      return 'mounted';
    };
    expect(refused({ basepath: '/api/' })).toBe('ERR_INVALID_ARGUMENT');
    expect(refused({ basePath: 42 })).toBe('ERR_INVALID_ARGUMENT');
    expect(refused({ handler: 'page' })).toBe('ERR_INVALID_ARGUMENT');
    for (const timeoutMs of [0, -1, Number.NaN, '60000', 2 ** 31])
      expect(refused({ timeoutMs })).toBe('ERR_INVALID_ARGUMENT');
    for (const maxBodyBytes of [0, 1.5, Number.POSITIVE_INFINITY, '8MB'])
      expect(refused({ maxBodyBytes })).toBe('ERR_INVALID_ARGUMENT');
    expect(refused(null)).toBe('ERR_INVALID_ARGUMENT');
    expect(refused(undefined)).toBe('mounted');
    expect(refused({ basePath: '/api/', timeoutMs: 5_000, maxBodyBytes: 1 << 20 })).toBe('mounted');
  });
});

describe('serveRestRequests (page)', () => {
  it('without service workers (an insecure page) is ERR_INVALID_ARGUMENT saying why, not a TypeError', () => {
    // Node, like a plain-HTTP page, has no navigator.serviceWorker.
    expect(() => serveRestRequests(async () => new Response(null))).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT', message: expect.stringContaining('HTTPS') }),
    );
  });

  it('given the client instead of its handler is ERR_INVALID_ARGUMENT at once, not a 500 on every request', () => {
    const container = {} as ServiceWorkerContainer;
    expect(() => serveRestRequests({ searchFace() {} } as never, container)).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT', message: expect.stringContaining('createRestHandler') }),
    );
  });
});
