// The kiosk and the check-in PWA share one IndexedDB database and collection (same origin in demo-dist/), so people
// enrolled at the kiosk can check in offline.
import { FaceError, type FaceClient } from 'localface';

export const DATABASE = 'localface-demo';
export const COLLECTION = 'people';

/** Creates the shared collection unless it exists (another tab may create it at the same moment). */
export async function ensureCollection(client: FaceClient): Promise<void> {
  if ((await client.listCollections()).some((c) => c.name === COLLECTION)) return;
  try {
    await client.createCollection(COLLECTION);
  } catch (error) {
    if (!(error instanceof FaceError && error.code === 'ERR_COLLECTION_EXISTS')) throw error;
  }
}

/**
 * Whether `error` says the shared collection is gone: the browser cleared the site's data while the page was open
 * (the library opens its emptied database again by itself), or another tab deleted it. Not a person or a face
 * missing from it, whose errors name those too.
 */
export function isCollectionGone(error: unknown): boolean {
  return (
    error instanceof FaceError &&
    error.code === 'ERR_NOT_FOUND' &&
    error.metadata?.collectionName === COLLECTION &&
    Object.keys(error.metadata).length === 1
  );
}

/** Runs `work`; if the collection was gone, creates it again and runs `work` once more. */
export async function withCollection<T>(client: FaceClient, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (!isCollectionGone(error)) throw error;
    await ensureCollection(client);
    return work();
  }
}
