import { describe, expect, it, vi } from 'vitest';
import { mountRestHandler, serveRestRequests, type ServiceWorkerScope } from '../../src/rest/serviceWorker';
import { fakePageContainer } from '../support/pageContainer';

type Listener = (event: never) => void;

/** A service worker scope with one open window, whose messages and fetches the test sends by hand. */
function fakeScope() {
  const listeners: Record<string, Listener[]> = { fetch: [], message: [] };
  const posted: unknown[] = [];
  const page = {
    id: 'page-1',
    postMessage: (message: unknown, transfer?: unknown[]) =>
      void posted.push(transfer?.[0] instanceof MessagePort ? { ...(message as object), port: transfer[0] } : message),
  };
  const state = { pageOpen: true };
  const scope: ServiceWorkerScope = {
    location: { origin: 'http://app.test' },
    clients: {
      get: async (id) => (id === page.id && state.pageOpen ? page : undefined),
      matchAll: async () => (state.pageOpen ? [page] : []),
    },
    addEventListener: (type, listener) => void listeners[type]!.push(listener),
    removeEventListener: (type, listener) => {
      listeners[type] = listeners[type]!.filter((l) => l !== listener);
    },
  };
  const fetchEvent = (url: string, init: { method?: string; mode?: string; body?: string } = {}) => {
    let answered: Promise<Response> | undefined;
    const request =
      init.body !== undefined
        ? new Request(url, { method: init.method ?? 'POST', body: init.body })
        : { url, method: init.method ?? 'GET', mode: init.mode ?? 'cors', headers: new Headers() };
    for (const l of listeners.fetch!)
      (l as (e: unknown) => void)({ request, respondWith: (r: Promise<Response>) => void (answered = r) });
    return answered;
  };
  const message = (type: string) => {
    for (const l of listeners.message!) (l as (e: unknown) => void)({ data: { type }, source: page });
  };
  return { scope, fetchEvent, message, posted, state };
}

/** The port a forwarded request is answered on, once the worker has posted it to the page. */
async function requestPort(posted: unknown[]): Promise<MessagePort> {
  for (;;) {
    const request = posted.find((m) => (m as { type?: string }).type === 'localface-rest-request');
    if (request) return (request as { port: MessagePort }).port;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
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

  it('a page closed or reloaded before it answers is a 502 within seconds, not a 504 after the timeout', async () => {
    const { scope, fetchEvent, message, posted, state } = fakeScope();
    mountRestHandler(scope, { timeoutMs: 60_000 });
    message('localface-rest-ready');
    const answered = fetchEvent('http://app.test/face-search', { method: 'GET' })!;
    await requestPort(posted);
    state.pageOpen = false;
    const response = await answered;
    expect(response.status).toBe(502);
    expect(await response.json()).toMatchObject({
      code: 'ERR_INTERNAL',
      message: expect.stringMatching(/closed or reloaded/),
    });
    // A 502, not the 504 the 60-s timeout gives: the closed page was noticed (within the test's 5-s time limit).
  });

  it('a page that says it is still at work is waited for past the timeout; one silent for the timeout is a 504', async () => {
    const { scope, fetchEvent, message, posted } = fakeScope();
    // A 2-s timeout against "still at work" every 200 ms: only a timer more than 1.8 s late lets the timeout win.
    mountRestHandler(scope, { timeoutMs: 2_000 });
    message('localface-rest-ready');
    const answered = fetchEvent('http://app.test/face-search', { method: 'GET' })!;
    const port = await requestPort(posted);
    expect(posted.at(-1)).toMatchObject({ working: true });
    for (let i = 0; i < 20; i++) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      port.postMessage({ type: 'localface-rest-working' });
    }
    port.postMessage({ status: 200, headers: [['content-type', 'application/json']], body: null });
    expect((await answered).status).toBe(200); // after at least 4 s, twice the timeout
    posted.length = 0;
    const silent = fetchEvent('http://app.test/face-search', { method: 'GET' })!;
    await requestPort(posted);
    const response = await silent;
    expect(response.status).toBe(504);
    expect(await response.json()).toMatchObject({ message: expect.stringMatching(/no sign of work for 2000 ms/) });
  }, 30_000); // 4 s of work, then 2 s of silence

  it("answers its own 503 in the shape of the path's dialect", async () => {
    const { scope, fetchEvent } = fakeScope();
    mountRestHandler(scope, { timeoutMs: 50 });
    const answer = (path: string) => fetchEvent(`http://app.test/${path}`, { method: 'GET' })!;
    const [users, enrollAnswer, faceSet] = await Promise.all([
      answer('users/search').then((r) => r.json()),
      answer('enroll-face'),
      answer('faceset/v2/add_face').then((r) => r.json()),
    ]);
    // 001's problem shape has `errors`; 002's body is its seed table's, the cause in a header.
    expect(users).toMatchObject({
      status: 503,
      title: 'Service Unavailable',
      errors: [expect.stringContaining('No page of this app is serving')],
    });
    expect(await enrollAnswer.json()).toEqual({
      error_code: 'INTERNAL_SERVER_ERROR',
      message: 'internal server error',
    });
    expect(enrollAnswer.headers.get('x-localface-detail')).toMatch(/^No page of this app is serving/);
    expect(faceSet).toMatchObject({ status: 'INTERNAL_ERROR', request_id: expect.stringMatching(/^TID[0-9a-f]{32}$/) });
  }, 15_000); // waits out the 3-s search for a serving page
});

describe('mountRestHandler: a body over its limit', () => {
  it('is forwarded as too large with its length, whatever the page handler would take', async () => {
    const { scope, fetchEvent, message, posted } = fakeScope();
    mountRestHandler(scope, { maxBodyBytes: 100, timeoutMs: 1000 });
    message('localface-rest-ready');
    const answered = fetchEvent('http://app.test/face-search', { method: 'POST', body: 'x'.repeat(150) });
    const port = await requestPort(posted);
    const forwarded = posted.find((m) => (m as { type?: string }).type === 'localface-rest-request') as {
      request: { tooLarge?: unknown; body: ArrayBuffer };
    };
    expect(forwarded.request.tooLarge).toEqual({ bytes: 150, maxBytes: 100 });
    expect(forwarded.request.body.byteLength).toBe(101); // what a page of an older version reads as too large
    port.postMessage({ status: 413, headers: [], body: null });
    expect((await answered!).status).toBe(413);
  });
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
  it('says every 5 s that it is still at work on a request, to a worker that asked for that', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    try {
      const { container, deliver } = fakePageContainer();
      let finish = () => undefined as void;
      serveRestRequests(async () => {
        await new Promise<void>((resolve) => (finish = resolve));
        return new Response('{}', { status: 200 });
      }, container);
      const heard = async (working: boolean) => {
        const channel = new MessageChannel();
        const received: unknown[] = [];
        channel.port1.onmessage = (e) => void received.push(e.data);
        const request = { url: 'http://app.test/face-search', method: 'GET', headers: [], body: null };
        const handled = deliver({
          data: { type: 'localface-rest-request', request, ...(working ? { working } : {}) },
          ports: [channel.port2],
        });
        vi.advanceTimersByTime(11_000);
        finish();
        await handled;
        await new Promise((resolve) => setTimeout(resolve, 20));
        channel.port1.close();
        return received.map((m) => (m as { type?: string; status?: number }).type ?? (m as { status: number }).status);
      };
      expect(await heard(true)).toEqual(['localface-rest-working', 'localface-rest-working', 200]);
      // An older worker takes the first message for the answer: it gets none but the answer.
      expect(await heard(false)).toEqual([200]);
    } finally {
      vi.useRealTimers();
    }
  });

  it("a long request in a hidden tab whose timers are throttled is still answered: the page answers the worker's questions", async () => {
    // The page's "still at work" timer never fires (a tab hidden for minutes: Chromium runs its timers once a minute).
    const { scope, fetchEvent, message, posted } = fakeScope();
    mountRestHandler(scope, { timeoutMs: 1_500 });
    message('localface-rest-ready');
    const { container, deliver } = fakePageContainer();
    const realSetInterval = globalThis.setInterval;
    globalThis.setInterval = ((handler: () => void, ms: number) =>
      ms === 5_000 ? realSetInterval(() => undefined, 2 ** 30) : realSetInterval(handler, ms)) as typeof setInterval;
    try {
      serveRestRequests(async () => {
        await new Promise((resolve) => setTimeout(resolve, 4_000)); // a bulk enroll: longer than the timeout
        return new Response('{}', { status: 200 });
      }, container);
      const answered = fetchEvent('http://app.test/face-search', { method: 'GET' })!;
      const port = await requestPort(posted);
      const forwarded = posted.find((m) => (m as { type?: string }).type === 'localface-rest-request') as object;
      void deliver({ data: forwarded, ports: [port] });
      expect((await answered).status).toBe(200);
    } finally {
      globalThis.setInterval = realSetInterval;
    }
  }, 15_000);

  it('a page whose answer fails to read stops saying it is at work: the worker answers 504, not never', async () => {
    const { scope, fetchEvent, message, posted } = fakeScope();
    mountRestHandler(scope, { timeoutMs: 1_500 });
    message('localface-rest-ready');
    const { container, deliver } = fakePageContainer();
    serveRestRequests(
      async () =>
        new Response(
          new ReadableStream({
            pull: (controller) => controller.error(new Error('stream broke')),
          }),
        ),
      container,
    );
    const answered = fetchEvent('http://app.test/face-search', { method: 'GET' })!;
    const port = await requestPort(posted);
    const forwarded = posted.find((m) => (m as { type?: string }).type === 'localface-rest-request') as object;
    const handled = deliver({ data: forwarded, ports: [port] });
    await expect(handled).rejects.toThrow('stream broke');
    expect((await answered).status).toBe(504);
  }, 15_000);

  it('announces itself to the active worker when the page is not controlled (loaded with Shift+Reload)', async () => {
    const toActive: unknown[] = [];
    const container = {
      controller: null,
      ready: Promise.resolve({ active: { postMessage: (m: unknown) => void toActive.push(m) } }),
      addEventListener: () => undefined,
      removeEventListener: () => undefined,
      startMessages: () => undefined,
    } as unknown as ServiceWorkerContainer;
    const stop = serveRestRequests(async () => new Response(null), container);
    await container.ready;
    expect(toActive).toEqual([{ type: 'localface-rest-ready' }]);
    stop();
    await container.ready;
    expect(toActive).toEqual([{ type: 'localface-rest-ready' }, { type: 'localface-rest-stopped' }]);
  });

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
