import type { FaceClient } from '../client';
import { onlyKnownKeys, show } from '../collections/validate';
import { isClientClosed, FaceError } from '../errors';
import { createContext, spend, type Dialect, type Route } from './context';
import { enrollFace } from './enrollFace';
import { faceSearch } from './faceSearch';
import { faceSet } from './faceSet';
import {
  ANSWER_BODY_PROBLEM,
  basePathOption,
  BodyError,
  matchPath,
  maxBodyBytesOption,
  relativePath,
  type AnswerBodyProblem,
  type BodyProblem,
} from './http';
import { unavailableResponse } from './paths';
import { personManagement } from './personManagement';
import { users } from './users';

export interface RestHandlerOptions {
  /** The on-device client whose collections and API keys (client.apiKeys) the handler uses. */
  client: FaceClient;
  /** The path the seeds' paths are relative to, e.g. '/api/' for '/api/face-search'. Default '/'. */
  basePath?: string;
  /** Request bodies larger than this are refused before they are read or parsed. Default 8 MiB. */
  maxBodyBytes?: number;
}

/** Answers one HTTP request; a request outside basePath or to an unknown path gets a 404 JSON body. */
export type RestHandler = (request: Request) => Promise<Response>;

/** Every dialect; the first is also the shape of a 404 for a path no dialect owns. */
const DIALECTS: Dialect[] = [personManagement, faceSearch, users, enrollFace, faceSet];

/**
 * The five seeds' REST APIs (docs/rest.md), answered on the device from `client`: person management (000),
 * face search (003), users (001), enroll face (002) and face set (004), each with its own paths, fields, status
 * codes and error bodies. Every request needs an API key from `client.apiKeys.create()`.
 */
export function createRestHandler(options: RestHandlerOptions): RestHandler {
  if (
    options === null ||
    typeof options !== 'object' ||
    !options.client ||
    typeof options.client.searchFace !== 'function' ||
    !options.client.apiKeys
  ) {
    throw new FaceError(
      'ERR_INVALID_ARGUMENT',
      'createRestHandler needs { client }: a client from createFaceClient().',
    );
  }
  onlyKnownKeys(
    options as unknown as Record<string, unknown>,
    ['client', 'basePath', 'maxBodyBytes'],
    'createRestHandler options',
  );
  const { client } = options;
  const basePath = basePathOption(options.basePath);
  const maxBodyBytes = maxBodyBytesOption(options.maxBodyBytes);
  const knownCollections = new Set<string>();

  const answer = async (request: Request, method: string, bodyProblem?: BodyProblem): Promise<Response> => {
    const url = new URL(request.url);
    const path = relativePath(url, basePath);
    const dialect = (path !== null && DIALECTS.find((d) => d.owns(path))) || DIALECTS[0]!;
    if (path === null) return dialect.unknownPath();
    const routed = route(dialect, method, path);
    if (!routed) return dialect.unknownPath();
    if ('allowed' in routed) return dialect.methodNotAllowed(routed.allowed);
    try {
      const credentials = dialect.credentials(request);
      if (!credentials.key) return dialect.keyMissing();
      const key = await client.apiKeys.verify(credentials.key, credentials.keyId);
      if (!key) return dialect.keyInvalid();
      const allowance = await spend(client, key.keyId, 'request');
      if (!allowance.allowed) return dialect.limited(allowance);
      const context = createContext({
        client,
        request,
        url,
        params: routed.params,
        key,
        maxBodyBytes,
        knownCollections,
        bodyProblem,
      });
      return await routed.route.handle(context);
    } catch (error) {
      if (error instanceof BodyError) return dialect.badBody(error.problem);
      if (error instanceof FaceError && error.code === 'ERR_API_KEY_NOT_VALID') return dialect.keyInvalid();
      // The client behind the handler was closed: the server's state, not the request's fault (503, not 400).
      if (isClientClosed(error))
        return unavailableResponse(path ?? '', 503, 'The LocalFace client serving these requests was closed.');
      return dialect.failure(error);
    }
  };

  const handler = async (request: Request): Promise<Response> => {
    requireUnreadRequest(request);
    const method = request.method.toUpperCase();
    if (method !== 'HEAD') return answer(request, method);
    // HEAD is GET without the body (RFC 9110), with GET's status and headers.
    const response = await answer(request, 'GET');
    return new Response(null, { status: response.status, statusText: response.statusText, headers: response.headers });
  };
  const answerBodyProblem: AnswerBodyProblem = (request, problem) =>
    answer(request, request.method.toUpperCase(), problem);
  return Object.assign(handler, { [ANSWER_BODY_PROBLEM]: answerBodyProblem });
}

/**
 * A caller's mistake, not a client's request, so a FaceError rather than an HTTP answer: something that is not a
 * Request (as fetch events and servers give), or one whose body another listener already read.
 */
function requireUnreadRequest(request: unknown): asserts request is Request {
  const r = request as Partial<Request> | null;
  if (
    r === null ||
    typeof r !== 'object' ||
    typeof r.method !== 'string' ||
    typeof r.url !== 'string' ||
    typeof r.headers?.get !== 'function'
  ) {
    throw new FaceError(
      'ERR_INVALID_ARGUMENT',
      `The REST handler takes a Request (a fetch event's event.request, or new Request(url, init)); got ${show(request)}.`,
    );
  }
  if (r.bodyUsed === true) {
    throw new FaceError(
      'ERR_INVALID_ARGUMENT',
      `The body of this ${r.method} ${r.url} request was already read, so the handler cannot read it. Pass the handler request.clone() where the request is read elsewhere too.`,
    );
  }
}

/** The route for method and path, or the methods the path takes, or null for an unknown path. */
export function route(
  dialect: Dialect,
  method: string,
  path: string,
): { route: Route; params: Record<string, string> } | { allowed: string[] } | null {
  const allowed: string[] = [];
  for (const r of dialect.routes) {
    const params = matchPath(r.pattern, path);
    if (!params) continue;
    if (r.method === method) return { route: r, params };
    if (!allowed.includes(r.method)) allowed.push(r.method);
    if (r.method === 'GET' && !allowed.includes('HEAD')) allowed.push('HEAD');
  }
  return allowed.length > 0 ? { allowed } : null;
}
