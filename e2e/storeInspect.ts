// White-box checks of the IndexedDB contents, read with raw IndexedDB in the page (not through LocalFace).
import type { Page } from '@playwright/test';

/** Counts of every object store, read with raw IndexedDB (white-box check that nothing half-written stays). */
export async function storeCounts(page: Page, db = 'localface'): Promise<Record<string, number>> {
  return page.evaluate(async (name) => {
    const open = indexedDB.open(name);
    const database: IDBDatabase = await new Promise((ok, ko) => {
      open.onsuccess = () => ok(open.result);
      open.onerror = () => ko(open.error);
    });
    const stores = Array.from(database.objectStoreNames);
    const tx = database.transaction(stores);
    const counts = Object.fromEntries(
      await Promise.all(
        stores.map(
          (s) =>
            new Promise<[string, number]>((ok) => {
              const r = tx.objectStore(s).count();
              r.onsuccess = () => ok([s, r.result]);
            }),
        ),
      ),
    );
    database.close();
    return counts;
  }, db);
}

/** Consistency of the whole database: every face has its person, every person's faceCount matches, every block row has its face. */
export async function checkConsistency(
  page: Page,
  db = 'localface',
): Promise<{ faces: number; persons: number; problems: string[] }> {
  return page.evaluate(async (name) => {
    const open = indexedDB.open(name);
    const database: IDBDatabase = await new Promise((ok, ko) => {
      open.onsuccess = () => ok(open.result);
      open.onerror = () => ko(open.error);
    });
    const tx = database.transaction(['persons', 'faces', 'searchBlocks', 'faceImages', 'collections']);
    const all = <T>(s: string) =>
      new Promise<T[]>((ok) => {
        const r = tx.objectStore(s).getAll();
        r.onsuccess = () => ok(r.result as T[]);
      });
    type P = { collection: string; personId: string; faceCount: number };
    type F = { collection: string; faceId: string; personId: string; image: string };
    type B = { collection: string; faceIds: string[] };
    const [persons, faces, blocks, images, collections] = await Promise.all([
      all<P>('persons'),
      all<F>('faces'),
      all<B>('searchBlocks'),
      all<{ collection: string; faceId: string }>('faceImages'),
      all<{ name: string; personCount: number }>('collections'),
    ]);
    database.close();
    const problems: string[] = [];
    const personKey = new Set(persons.map((p) => `${p.collection}/${p.personId}`));
    const faceKey = new Set(faces.map((f) => `${f.collection}/${f.faceId}`));
    const collectionNames = new Set(collections.map((c) => c.name));
    for (const f of faces)
      if (!personKey.has(`${f.collection}/${f.personId}`)) problems.push(`orphan face ${f.faceId}`);
    for (const p of persons) {
      if (!collectionNames.has(p.collection)) problems.push(`orphan person ${p.personId}`);
      const n = faces.filter((f) => f.collection === p.collection && f.personId === p.personId).length;
      if (n !== p.faceCount) problems.push(`person ${p.personId} faceCount ${p.faceCount} but ${n} faces`);
    }
    for (const c of collections) {
      const n = persons.filter((p) => p.collection === c.name).length;
      if (n !== c.personCount) problems.push(`collection ${c.name} personCount ${c.personCount} but ${n} persons`);
    }
    const rows = blocks.flatMap((b) => b.faceIds.map((id) => `${b.collection}/${id}`));
    if (new Set(rows).size !== faces.length || !rows.every((r) => faceKey.has(r)))
      problems.push(`search blocks hold ${rows.length} rows for ${faces.length} faces`);
    for (const i of images) if (!faceKey.has(`${i.collection}/${i.faceId}`)) problems.push(`orphan image ${i.faceId}`);
    return { faces: faces.length, persons: persons.length, problems };
  }, db);
}

/**
 * Every record of every store, in key order, as JSON: typed arrays as arrays, Blobs as { size, type, sha256 }. Two
 * equal dumps mean an unchanged database.
 */
export async function storeDump(page: Page, db = 'localface'): Promise<Record<string, unknown[]>> {
  return page.evaluate(async (name) => {
    const open = indexedDB.open(name);
    const database: IDBDatabase = await new Promise((ok, ko) => {
      open.onsuccess = () => ok(open.result);
      open.onerror = () => ko(open.error);
    });
    const stores = Array.from(database.objectStoreNames);
    const tx = database.transaction(stores);
    const raw = await Promise.all(
      stores.map(
        (s) =>
          new Promise<unknown[]>((ok) => {
            const r = tx.objectStore(s).getAll();
            r.onsuccess = () => ok(r.result as unknown[]);
          }),
      ),
    );
    database.close();
    const plain = async (x: unknown): Promise<unknown> => {
      if (x instanceof Blob) {
        const hash = new Uint8Array(await crypto.subtle.digest('SHA-256', await x.arrayBuffer()));
        return {
          size: x.size,
          type: x.type,
          sha256: Array.from(hash, (b) => b.toString(16).padStart(2, '0')).join(''),
        };
      }
      if (ArrayBuffer.isView(x)) return Array.from(x as unknown as ArrayLike<number>);
      if (Array.isArray(x)) return Promise.all(x.map(plain));
      if (x && typeof x === 'object')
        return Object.fromEntries(
          await Promise.all(Object.entries(x).map(async ([k, v]) => [k, await plain(v)] as const)),
        );
      return x;
    };
    return Object.fromEntries(
      await Promise.all(stores.map(async (s, i) => [s, (await plain(raw[i])) as unknown[]] as const)),
    );
  }, db);
}
