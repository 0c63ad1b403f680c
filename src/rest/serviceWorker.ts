// Serving the REST handler at a URL path through a Service Worker, so an app's plain fetch('/api/face-search')
// works offline. The models and the client run in a page of the app (a service worker may not start the model
// runtimes: it cannot import() code, and it is stopped after ~30 s idle, which would reload ~12 MB of models on
// every wake-up). The worker forwards each request to a seed's path under basePath to such a page and answers with
// its response; everything else (the app's pages, scripts, models) passes through untouched.
import { onlyKnownKeys, requireObject } from '../collections/validate';
import { FaceError } from '../errors';
import {
  ANSWER_BODY_PROBLEM,
  basePathOption,
  BodyError,
  jsonResponse,
  maxBodyBytesOption,
  readBody,
  relativePath,
  type AnswerBodyProblem,
} from './http';
import type { RestHandler } from './handler';
import { isRestPath, unavailableResponse } from './paths';

const READY = 'localface-rest-ready';
const REQUEST = 'localface-rest-request';
const PING = 'localface-rest-ping';
const STOPPED = 'localface-rest-stopped';
const WORKING = 'localface-rest-working';
/** The worker asks the page at work on a request whether it still is (answered with WORKING). */
const STILL_WORKING = 'localface-rest-still-working';
/** How long a restarted worker waits for the open pages to say again that they serve requests. */
const DISCOVERY_MS = 3_000;
/**
 * A page at work on a request says so this often, so that a long one (a bulk enroll) is not taken for a hung page.
 * A hidden tab's timers may fire only once a minute (Chromium's intensive throttling), so the page also answers the
 * worker's STILL_WORKING questions, which are messages and are not throttled.
 */
const WORKING_EVERY_MS = 5_000;
/**
 * How often the worker checks that the page it asked is still open (closed or reloaded, it will never answer) and
 * asks it whether it is still at work.
 */
const PAGE_CHECK_MS = 1_000;

export interface MountRestHandlerOptions {
  /**
   * Requests to the seeds' paths under this path are answered; others pass through. Same as createRestHandler's
   * basePath. Default '/'.
   */
  basePath?: string;
  /** Answer in the worker itself with this handler instead of forwarding to a page. Default: forward. */
  handler?: RestHandler;
  /**
   * How long a page may show no sign of work on a request before the worker answers 504, in ms (a page at work on a
   * long request says so every 5 s). Default 60000.
   */
  timeoutMs?: number;
  /**
   * At most this much of a request body is copied to the page (whose handler then refuses it as too large in the
   * seed's words). Set it to the page handler's maxBodyBytes if that is larger. Default 8 MiB.
   */
  maxBodyBytes?: number;
}

/** The parts of a service worker's global scope used here (typed structurally: the DOM and WebWorker libs clash). */
export interface ServiceWorkerScope {
  location: { origin: string };
  clients: {
    get(id: string): Promise<WorkerClient | undefined>;
    matchAll(options: { type: 'window'; includeUncontrolled?: boolean }): Promise<readonly WorkerClient[]>;
  };
  addEventListener(type: 'fetch' | 'message', listener: (event: never) => void): void;
  removeEventListener(type: 'fetch' | 'message', listener: (event: never) => void): void;
}

/** A page (window client) as the service worker sees it. */
export interface WorkerClient {
  id: string;
  postMessage(message: unknown, transfer: Transferable[]): void;
}

interface FetchEventLike {
  request: Request;
  respondWith(response: Promise<Response>): void;
}

interface MessageEventLike {
  data: { type?: string } | null;
  source: WorkerClient | null;
}

interface SerializedRequest {
  url: string;
  method: string;
  headers: [string, string][];
  body: ArrayBuffer | null;
  /** The body was over the worker's maxBodyBytes: `body` is then maxBytes + 1 zero bytes (what older pages read). */
  tooLarge?: { bytes: number; maxBytes: number };
}

interface SerializedResponse {
  status: number;
  headers: [string, string][];
  body: ArrayBuffer | null;
}

/**
 * In the service worker: answers fetches under `basePath` with the REST handler of a page that called
 * serveRestRequests() (or with `options.handler`). A request when no such page is open gets a 503 JSON body (after
 * up to 3 s of asking the open pages, when the worker knows of none).
 * Returns a function that unmounts.
 */
export function mountRestHandler(scope: ServiceWorkerScope, options: MountRestHandlerOptions = {}): () => void {
  // Checked here, once, with a sentence: a misspelt key would otherwise leave requests to the network, and a bad
  // value would throw in every fetch event.
  const o = requireObject(options, 'mountRestHandler');
  onlyKnownKeys(o, ['basePath', 'handler', 'timeoutMs', 'maxBodyBytes'], 'mountRestHandler options');
  const { timeoutMs = 60_000, handler } = options;
  const basePath = basePathOption(options.basePath);
  const maxBodyBytes = maxBodyBytesOption(options.maxBodyBytes);
  if (handler !== undefined && typeof handler !== 'function')
    throw new FaceError(
      'ERR_INVALID_ARGUMENT',
      'handler must be a RestHandler (a function from createRestHandler), or left out to forward to a page.',
    );
  if (!Number.isInteger(timeoutMs) || timeoutMs < 1 || timeoutMs > 2 ** 31 - 1)
    throw new FaceError(
      'ERR_INVALID_ARGUMENT',
      `timeoutMs must be a whole number of milliseconds from 1 to ${2 ** 31 - 1}; got ${String(timeoutMs)}.`,
    );
  const ready: string[] = [];
  const onReady: (() => void)[] = [];

  const onMessage = (event: MessageEventLike) => {
    const source = event.source;
    const type = event.data?.type;
    if ((type !== READY && type !== STOPPED) || !source || typeof source.id !== 'string') return;
    const i = ready.indexOf(source.id);
    if (i >= 0) ready.splice(i, 1);
    if (type === STOPPED) return;
    ready.push(source.id); // the latest page first
    for (const wake of onReady.splice(0)) wake();
  };

  const onFetch = (event: FetchEventLike) => {
    const { request } = event;
    if (request.mode === 'navigate') return; // the app's own pages, even at a path a seed uses
    const url = new URL(request.url);
    if (url.origin !== scope.location.origin) return;
    const path = relativePath(url, basePath);
    if (path === null || !isRestPath(path)) return; // pass through
    event.respondWith(handler ? handler(request) : forward(request, path));
  };

  async function servingPage(): Promise<WorkerClient | undefined> {
    for (let i = ready.length - 1; i >= 0; i--) {
      const client = await scope.clients.get(ready[i]!);
      if (client) return client;
      ready.splice(i, 1);
    }
    return undefined;
  }

  // The browser stops an idle worker (after ~30 s) and starts it again on the next fetch with `ready` empty, while
  // the pages that serve are still open: ask the open pages to say so again.
  async function discover(): Promise<WorkerClient | undefined> {
    // Uncontrolled pages too: a page loaded with Shift+Reload is not controlled, yet it may serve (it announces itself
    // to the active worker).
    const windows = await scope.clients.matchAll({ type: 'window', includeUncontrolled: true });
    if (windows.length === 0) return undefined;
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        const i = onReady.indexOf(done);
        if (i >= 0) onReady.splice(i, 1);
        resolve();
      };
      const timer = setTimeout(done, DISCOVERY_MS);
      onReady.push(done);
      for (const page of windows) page.postMessage({ type: PING }, []);
    });
    return servingPage();
  }

  async function forward(request: Request, path: string): Promise<Response> {
    const client = (await servingPage()) ?? (await discover());
    if (client) return ask(scope, client, request, path, timeoutMs, maxBodyBytes);
    return unavailableResponse(
      path,
      503,
      'No page of this app is serving LocalFace requests: open the app (it calls serveRestRequests()) and retry.',
    );
  }

  scope.addEventListener('message', onMessage);
  scope.addEventListener('fetch', onFetch);
  return () => {
    scope.removeEventListener('message', onMessage);
    scope.removeEventListener('fetch', onFetch);
  };
}

/**
 * Forwards `request` to `client` and waits for its answer: 504 once the page has shown no sign of work for
 * `timeoutMs` (a page at work says so every WORKING_EVERY_MS), 502 at once when the page is closed or reloaded
 * meanwhile (it can no longer answer, and part of the request may have been done).
 */
async function ask(
  scope: ServiceWorkerScope,
  client: WorkerClient,
  request: Request,
  path: string,
  timeoutMs: number,
  maxBodyBytes: number,
): Promise<Response> {
  const message: SerializedRequest = {
    url: request.url,
    method: request.method,
    headers: [...request.headers],
    body: null,
  };
  if (request.method !== 'GET' && request.method !== 'HEAD')
    Object.assign(message, await cappedBody(request, maxBodyBytes));
  const channel = new MessageChannel();
  let silence: ReturnType<typeof setTimeout> | undefined;
  let pageCheck: ReturnType<typeof setInterval> | undefined;
  const answer = new Promise<SerializedResponse | 'silent' | 'gone'>((resolve) => {
    const waitForWork = () => {
      clearTimeout(silence);
      silence = setTimeout(() => resolve('silent'), timeoutMs);
    };
    waitForWork();
    pageCheck = setInterval(() => {
      void scope.clients.get(client.id).then(
        (open) => open || resolve('gone'),
        () => undefined,
      );
      channel.port1.postMessage({ type: STILL_WORKING });
    }, PAGE_CHECK_MS);
    channel.port1.onmessage = (e: MessageEvent<SerializedResponse | { type: typeof WORKING }>) => {
      if ('type' in e.data && e.data.type === WORKING) waitForWork();
      else resolve(e.data as SerializedResponse);
    };
  });
  // `working`: this worker understands the page's "still at work" messages (a page of an older version sends none, and
  // an older worker would take one for the answer).
  client.postMessage({ type: REQUEST, request: message, working: true }, [
    channel.port2,
    ...(message.body ? [message.body] : []),
  ]);
  const response = await answer;
  clearTimeout(silence);
  clearInterval(pageCheck);
  channel.port1.close();
  if (response === 'silent')
    return unavailableResponse(
      path,
      504,
      `The page serving LocalFace requests showed no sign of work for ${timeoutMs} ms.`,
    );
  if (response === 'gone')
    return unavailableResponse(
      path,
      502,
      'The page serving LocalFace requests was closed or reloaded before it answered. Part of the request may have been done: check before retrying (retrying an upsert by id is harmless).',
    );
  return new Response(response.body, { status: response.status, headers: response.headers });
}

/**
 * The body, or, if it is longer than maxBytes, maxBytes + 1 zero bytes and how long it was: the page's handler answers
 * it as too large in its dialect's words (a page of an older version reads the zeros as too large, if its limit is
 * this one).
 */
async function cappedBody(request: Request, maxBytes: number): Promise<Pick<SerializedRequest, 'body' | 'tooLarge'>> {
  try {
    return { body: (await readBody(request, maxBytes)).slice().buffer };
  } catch (error) {
    if (!(error instanceof BodyError) || error.problem.kind !== 'tooLarge') throw error;
    return { body: new Uint8Array(maxBytes + 1).buffer, tooLarge: { bytes: error.problem.bytes, maxBytes } };
  }
}

/**
 * In a page: answers the requests its service worker (mountRestHandler) forwards, with `handler`. Tells the worker
 * it is ready now, whenever another worker takes control, and when a restarted worker asks. Returns a function that
 * stops serving.
 */
export function serveRestRequests(
  handler: RestHandler,
  container: ServiceWorkerContainer | undefined = globalThis.navigator?.serviceWorker,
): () => void {
  if (typeof handler !== 'function')
    throw new FaceError(
      'ERR_INVALID_ARGUMENT',
      'serveRestRequests takes the handler createRestHandler({ client }) returns (a function), not the client itself.',
    );
  if (!container)
    throw new FaceError(
      'ERR_INVALID_ARGUMENT',
      'serveRestRequests needs service workers, which this page does not have: browsers offer them only on secure pages (HTTPS or localhost) and not in every private mode. Call the handler directly instead.',
    );
  // To the worker in control, or to the active one where this page is not controlled (loaded with Shift+Reload): the
  // worker can still forward other pages' requests here.
  const toWorker = (message: { type: string }) => {
    if (container.controller) container.controller.postMessage(message);
    else
      void container.ready.then(
        (registration) => registration.active?.postMessage(message),
        () => undefined,
      );
  };
  const announce = () => toWorker({ type: READY });
  const onMessage = async (event: MessageEvent) => {
    if (event.data?.type === PING) announce();
    if (event.data?.type !== REQUEST || !event.ports[0]) return;
    const port = event.ports[0];
    const r = event.data.request as SerializedRequest;
    // A long request (a bulk enroll) is not taken for a hung page: the worker hears that this one is still at work.
    const working =
      event.data.working === true
        ? setInterval(() => port.postMessage({ type: WORKING }), WORKING_EVERY_MS)
        : undefined;
    if (event.data.working === true)
      port.onmessage = (e: MessageEvent) => {
        if (e.data?.type === STILL_WORKING) port.postMessage({ type: WORKING });
      };
    let response: Response;
    const answerTooLarge = (handler as { [ANSWER_BODY_PROBLEM]?: AnswerBodyProblem })[ANSWER_BODY_PROBLEM];
    try {
      const tooLarge = r.tooLarge && {
        kind: 'tooLarge' as const,
        bytes: r.tooLarge.bytes,
        maxBytes: r.tooLarge.maxBytes,
        message: `The request body is more than ${r.tooLarge.maxBytes} bytes, the most the service worker forwards (mountRestHandler's maxBodyBytes).`,
      };
      response = !tooLarge
        ? await handler(new Request(r.url, { method: r.method, headers: r.headers, body: r.body }))
        : answerTooLarge
          ? await answerTooLarge(new Request(r.url, { method: r.method, headers: r.headers }), tooLarge)
          : // A handler wrapped in a function of the app's own has no dialect to answer in: a plain 413, not the
            // zeros a handler would read as malformed JSON.
            jsonResponse(413, { code: 'ERR_IMAGE_TOO_LARGE', message: tooLarge.message });
    } catch (error) {
      response = jsonResponse(500, {
        code: 'ERR_INTERNAL',
        message: error instanceof Error ? error.message : String(error),
      });
    }
    let body: ArrayBuffer | null;
    try {
      body = response.body ? await response.arrayBuffer() : null;
    } finally {
      // Done, answered or not: a page that stops saying it is at work lets the worker answer 504.
      clearInterval(working);
      port.onmessage = null;
    }
    const reply: SerializedResponse = { status: response.status, headers: [...response.headers], body };
    port.postMessage(reply, body ? [body] : []);
  };
  container.addEventListener('message', onMessage);
  container.addEventListener('controllerchange', announce);
  container.startMessages(); // deliver the worker's messages now, not only after the page finished loading
  announce();
  return () => {
    container.removeEventListener('message', onMessage);
    container.removeEventListener('controllerchange', announce);
    toWorker({ type: STOPPED }); // the worker asks another page from now on
  };
}
