/** Every failure LocalFace reports. Codes and statuses are listed in docs/api.md. */
export type FaceErrorCode =
  | 'ERR_INVALID_ARGUMENT'
  | 'ERR_INVALID_COLLECTION_NAME'
  | 'ERR_COLLECTION_EXISTS'
  | 'ERR_NOT_FOUND'
  | 'ERR_BASE64_IMAGE_CANNOT_BE_DECODED'
  | 'ERR_IMAGE_TOO_LARGE'
  | 'ERR_IMAGE_TOO_SMALL'
  | 'ERR_FACE_NOT_DETECTED'
  | 'ERR_TOO_MANY_FACES'
  | 'ERR_DUPLICATE_FACE'
  | 'ERR_LIVENESS_ERROR'
  | 'ERR_FACE_CHECK_FAILED'
  | 'ERR_API_KEY_NOT_PRESENT'
  | 'ERR_API_KEY_NOT_VALID'
  | 'ERR_MODEL_LOAD_FAILED'
  | 'ERR_STORAGE_QUOTA_EXCEEDED'
  | 'ERR_MODEL_MISMATCH'
  | 'ERR_INVALID_EXPORT'
  | 'ERR_ENCRYPTION_KEY_INVALID'
  | 'ERR_INTERNAL';

const STATUS: Record<FaceErrorCode, number> = {
  ERR_INVALID_ARGUMENT: 400,
  ERR_INVALID_COLLECTION_NAME: 400,
  ERR_COLLECTION_EXISTS: 409,
  ERR_NOT_FOUND: 404,
  ERR_BASE64_IMAGE_CANNOT_BE_DECODED: 400,
  ERR_IMAGE_TOO_LARGE: 413,
  ERR_IMAGE_TOO_SMALL: 400,
  ERR_FACE_NOT_DETECTED: 400,
  ERR_TOO_MANY_FACES: 400,
  ERR_DUPLICATE_FACE: 409,
  ERR_LIVENESS_ERROR: 400,
  ERR_FACE_CHECK_FAILED: 400,
  ERR_API_KEY_NOT_PRESENT: 401,
  ERR_API_KEY_NOT_VALID: 403,
  ERR_MODEL_LOAD_FAILED: 500,
  ERR_STORAGE_QUOTA_EXCEEDED: 500,
  ERR_MODEL_MISMATCH: 409,
  ERR_INVALID_EXPORT: 400,
  ERR_ENCRYPTION_KEY_INVALID: 401,
  ERR_INTERNAL: 500,
};

export class FaceError extends Error {
  readonly code: FaceErrorCode;
  readonly status: number;
  readonly metadata?: Record<string, unknown>;

  constructor(
    code: FaceErrorCode,
    message: string,
    options: { metadata?: Record<string, unknown>; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'FaceError';
    this.code = code;
    this.status = STATUS[code];
    if (options.metadata) this.metadata = options.metadata;
  }

  toJSON(): { code: FaceErrorCode; message: string; status: number; metadata?: Record<string, unknown> } {
    return {
      code: this.code,
      message: this.message,
      status: this.status,
      ...(this.metadata ? { metadata: this.metadata } : {}),
    };
  }
}

export function invalidArgument(message: string): FaceError {
  return new FaceError('ERR_INVALID_ARGUMENT', message);
}

/** What every call on a closed client throws (metadata.reason 'client-closed', which the REST handler answers as 503). */
export function clientClosedError(): FaceError {
  return new FaceError(
    'ERR_INVALID_ARGUMENT',
    'This LocalFace client is closed. Create a new one with createFaceClient().',
    {
      metadata: { reason: 'client-closed' },
    },
  );
}

/** Whether `error` says the client was closed (the server's state, not the request's fault). */
export function isClientClosed(error: unknown): boolean {
  return error instanceof FaceError && error.metadata?.reason === 'client-closed';
}

/**
 * `error` if it is a FaceError, else an ERR_INTERNAL FaceError naming what failed and keeping the error as its cause:
 * every failure a caller sees is a FaceError (docs/api.md), a bug or a browser failure included.
 */
export function asFaceError(error: unknown, what: string): FaceError {
  if (error instanceof FaceError) return error;
  const detail = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return new FaceError(
    'ERR_INTERNAL',
    `${what} failed unexpectedly (${detail}). Each write is one transaction, so a change was stored whole or not at all; retry, and report it if it persists.`,
    { cause: error },
  );
}

/**
 * Refuses `feature` where the page has no WebCrypto (`crypto.subtle`): browsers give it only to secure contexts, so
 * a kiosk served over plain http on a LAN has none. AES-GCM and PBKDF2 have no plain-JS stand-in here.
 */
export function requireWebCrypto(feature: string): void {
  if (globalThis.crypto?.subtle) return;
  throw new FaceError(
    'ERR_INTERNAL',
    `${feature} needs the browser's WebCrypto, which it gives only to secure pages: serve this page over https:// (or from localhost). Nothing was read or written.`,
    { metadata: { reason: 'no-webcrypto' } },
  );
}
