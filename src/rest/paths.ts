// Which paths (relative to basePath) each seed's API owns. Kept apart from the dialects so that the service worker,
// which forwards only these paths, does not bundle the REST handler.
import { randomId } from '../vocabulary';
import { DETAIL_HEADER, headerValue, jsonResponse } from './http';

/** "TID" and 32 hex digits, as the face-set seed's request ids. */
export function requestId(): string {
  return `TID${randomId().replace(/-/g, '')}`;
}

export const ownsPersonManagementPath = (path: string): boolean =>
  ['person', 'persons', 'collection', 'collections'].includes(path.split('/')[0]!);
export const ownsFaceSearchPath = (path: string): boolean => path === 'face-search' || path === 'multi-face-search';
export const ownsUsersPath = (path: string): boolean => path === 'users' || path.startsWith('users/');
export const ownsEnrollFacePath = (path: string): boolean => path === 'enroll-face';
export const ownsFaceSetPath = (path: string): boolean => path === 'faceset' || path.startsWith('faceset/');

/** Whether some seed's API owns `path`: the service worker forwards these and lets every other request through. */
export function isRestPath(path: string): boolean {
  return [ownsPersonManagementPath, ownsFaceSearchPath, ownsUsersPath, ownsEnrollFacePath, ownsFaceSetPath].some(
    (owns) => owns(path),
  );
}

/**
 * The service worker's own 502 (the page went away), 503 (no page serves) or 504 (the page did not answer), and the
 * handler's 503 (its client was closed), in the error shape of the dialect that owns `path`, so a client of that seed
 * reads it as it reads the seed's other errors: 002's body is its table's, with the cause in DETAIL_HEADER.
 */
export function unavailableResponse(path: string, status: 502 | 503 | 504, message: string): Response {
  if (ownsUsersPath(path))
    return jsonResponse(status, {
      status,
      title: { 502: 'Bad Gateway', 503: 'Service Unavailable', 504: 'Gateway Timeout' }[status],
      detail: message,
      type: `https://developer.mozilla.org/en-US/docs/Web/HTTP/Status/${status}`,
      errors: [message],
    });
  if (ownsEnrollFacePath(path))
    return jsonResponse(
      status,
      { error_code: 'INTERNAL_SERVER_ERROR', message: 'internal server error' },
      { [DETAIL_HEADER]: headerValue(message) },
    );
  if (ownsFaceSetPath(path))
    return jsonResponse(status, {
      status: 'INTERNAL_ERROR',
      reason: message,
      request_id: requestId(),
    });
  return jsonResponse(status, { code: 'ERR_INTERNAL', message });
}
