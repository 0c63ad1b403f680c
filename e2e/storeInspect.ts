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
    type F = { collection: string; faceId: string; personId: string; image: string; block: number };
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
    // One row per searchable face (block -1: a face of another model set, kept from a v1 database, never searched).
    const rows = blocks.flatMap((b) => b.faceIds.map((id) => `${b.collection}/${id}`));
    const searchable = faces.filter((f) => f.block !== -1).length;
    if (rows.length !== searchable || new Set(rows).size !== rows.length || !rows.every((r) => faceKey.has(r)))
      problems.push(`search blocks hold ${rows.length} rows (${new Set(rows).size} distinct) for ${searchable} faces`);
    const imageKey = new Set(images.map((i) => `${i.collection}/${i.faceId}`));
    for (const i of images) if (!faceKey.has(`${i.collection}/${i.faceId}`)) problems.push(`orphan image ${i.faceId}`);
    for (const f of faces)
      if (f.image !== 'none' && !imageKey.has(`${f.collection}/${f.faceId}`))
        problems.push(`face ${f.faceId} names a ${f.image} image that is not stored`);
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

/** One stored record as seen by a scan: its strings and its binary parts (typed arrays, Blobs), decoded or not. */
export interface ScannedRecord {
  store: string;
  key: unknown;
  /** personId / faceId of the record, when it has them (for picking a person's records). */
  personId?: string;
  faceId?: string;
  strings: string[];
  /** Binary parts, base64. With `decrypt`, a sealed part is followed by its plaintext. */
  bytes: string[];
  /** With `decrypt`: the plaintexts of the sealed parts, base64. */
  opened: string[];
}

/**
 * Every record of every store, flattened for byte scans. With `decrypt`, sealed parts are also opened with the
 * page's `window.testKey` (an extractable AES-GCM CryptoKey the test created the client with), mirroring the store's
 * format (iv ‖ ciphertext, additional data JSON [store, ...key]) — a white-box view of what the key holder can read.
 */
export async function scanRecords(page: Page, db: string, decrypt = false): Promise<ScannedRecord[]> {
  return page.evaluate(
    async ({ name, decrypt }) => {
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
            new Promise<{ store: string; keys: IDBValidKey[]; values: unknown[] }>((ok) => {
              const keys = tx.objectStore(s).getAllKeys();
              const values = tx.objectStore(s).getAll();
              values.onsuccess = () => ok({ store: s, keys: keys.result, values: values.result as unknown[] });
            }),
        ),
      );
      database.close();
      const key = (window as unknown as { testKey?: CryptoKey }).testKey;
      const b64 = (u: Uint8Array) => {
        let s = '';
        for (let i = 0; i < u.length; i += 0x8000) s += String.fromCharCode(...u.subarray(i, i + 0x8000));
        return btoa(s);
      };
      const out: unknown[] = [];
      for (const { store, keys, values } of raw) {
        for (let r = 0; r < values.length; r++) {
          const value = values[r];
          const recordKey = keys[r];
          const strings: string[] = [];
          const bytes: string[] = [];
          const opened: string[] = [];
          const open = async (sealed: Uint8Array<ArrayBuffer>) => {
            if (!decrypt || !key) return;
            const located = [store, ...(Array.isArray(recordKey) ? recordKey : [recordKey])];
            // The additional data of cipher.ts: the record's store and key, and (databases that bind ids) a face's
            // personId or a search block's faceIds and personIds.
            const record = value as { personId?: string; faceIds?: string[]; personIds?: string[] };
            const bound =
              store === 'faces'
                ? [[record.personId]]
                : store === 'searchBlocks'
                  ? [[record.faceIds, record.personIds]]
                  : [];
            for (const aad of [...bound.map((b) => [...located, b]), located]) {
              try {
                const plain = new Uint8Array(
                  await crypto.subtle.decrypt(
                    {
                      name: 'AES-GCM',
                      iv: sealed.subarray(0, 12),
                      additionalData: new TextEncoder().encode(JSON.stringify(aad)),
                    },
                    key,
                    sealed.subarray(12),
                  ),
                );
                bytes.push(b64(plain));
                opened.push(b64(plain));
                strings.push(new TextDecoder().decode(plain));
                return;
              } catch {
                // not sealed with this key and additional data
              }
            }
          };
          const walk = async (x: unknown, field: string): Promise<void> => {
            if (typeof x === 'string') strings.push(x);
            else if (x instanceof Blob) {
              const u = new Uint8Array(await x.arrayBuffer());
              bytes.push(b64(u));
              if ((value as { sealed?: unknown }).sealed === true) await open(u);
            } else if (ArrayBuffer.isView(x)) {
              const u = new Uint8Array(x.buffer as ArrayBuffer, x.byteOffset, x.byteLength);
              bytes.push(b64(u));
              if (field === 'sealed') await open(u);
            } else if (x instanceof ArrayBuffer) bytes.push(b64(new Uint8Array(x)));
            else if (Array.isArray(x)) {
              if (x.length > 8 && x.every((n) => typeof n === 'number'))
                bytes.push(b64(new Uint8Array(Float32Array.from(x as number[]).buffer)));
              else for (const y of x) await walk(y, field);
            } else if (x && typeof x === 'object') for (const [k, y] of Object.entries(x)) await walk(y, k);
          };
          await walk(value, '');
          const v = value as { personId?: unknown; faceId?: unknown };
          out.push({
            store,
            key: recordKey,
            ...(typeof v.personId === 'string' ? { personId: v.personId } : {}),
            ...(typeof v.faceId === 'string' ? { faceId: v.faceId } : {}),
            strings,
            bytes,
            opened,
          });
        }
      }
      return out as never;
    },
    { name: db, decrypt },
  );
}

/** Where each needle (a string, or bytes given as base64) occurs in the scanned records: "store:needleLabel" list. */
export function findNeedles(records: ScannedRecord[], needles: { label: string; text?: string; bytes?: string }[]) {
  const hits: string[] = [];
  for (const r of records) {
    const buffers = r.bytes.map((b) => Buffer.from(b, 'base64'));
    for (const n of needles) {
      let found = false;
      if (n.text !== undefined) {
        found =
          r.strings.some((s) => s.includes(n.text!)) ||
          buffers.some((b) => b.includes(Buffer.from(n.text!, 'utf8')) || b.includes(Buffer.from(n.text!, 'utf16le')));
      }
      if (n.bytes !== undefined) found ||= buffers.some((b) => b.includes(Buffer.from(n.bytes!, 'base64')));
      if (found) hits.push(`${r.store}:${n.label}`);
    }
  }
  return hits;
}

/**
 * Needles for the template and image bytes of the given faces, taken from decrypted/plain scanned records: three
 * 24-byte slices of every face's vectors and of every stored image (random-looking floats and compressed pixels:
 * a 24-byte slice occurs nowhere else by chance).
 */
export function faceNeedles(records: ScannedRecord[], faceIds: string[]): { label: string; bytes: string }[] {
  const needles: { label: string; bytes: string }[] = [];
  for (const r of records) {
    if (!r.faceId || !faceIds.includes(r.faceId) || (r.store !== 'faces' && r.store !== 'faceImages')) continue;
    // The largest binary part is the vectors / the image (its plaintext when decrypted).
    const biggest = (r.opened.length > 0 ? r.opened : r.bytes)
      .map((b) => Buffer.from(b, 'base64'))
      .sort((a, b) => b.length - a.length)[0];
    if (!biggest || biggest.length < 96) continue;
    for (const at of [0.3, 0.55, 0.8]) {
      const o = Math.floor((biggest.length * at) / 4) * 4;
      needles.push({
        label: `${r.store === 'faces' ? 'template' : 'image'} of ${r.faceId} @${at}`,
        bytes: biggest.subarray(o, o + 24).toString('base64'),
      });
    }
  }
  return needles;
}
