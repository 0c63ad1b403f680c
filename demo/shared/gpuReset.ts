import { FaceError } from 'localface';

/** The GPU context under a client's models was lost (WebGL): a new client, or a reloaded page, starts a new one. */
export function gpuWasReset(error: unknown): boolean {
  return error instanceof FaceError && error.metadata?.reason === 'webgl-context-lost';
}
