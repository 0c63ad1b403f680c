import type { IDBPDatabase, IDBPTransaction, DBSchema, StoreNames } from 'idb';
import { concatFloats, sameElements } from '../../vocabulary';

/**
 * The IndexedDB layout and its upgrades. One database per `databaseName`; every collection's data is keyed by
 * the collection name first, so a collection is a key range in each store.
 *
 * Version history:
 *  1 — pre-release prototype layout: `collections` and `persons`, with each person's faces inline as plain
 *      number arrays. Only migrated, never written (the migration test writes one by hand).
 *  2 — separate stores for collections, persons, faces (typed-array vectors + model ids), face images
 *      (Blobs, so loading vectors never touches them) and packed search blocks (see SearchBlockRecord).
 *  3 — adds `apiKeys` (salted hashes of the REST handler's API keys, see ApiKeyRecord).
 *  4 — adds `meta` (the encryption record of an encrypted database, see cipher.ts). Records of an encrypted
 *      database carry `sealed` in place of their sensitive fields.
 *  5 — current: no new store; an encrypted database's key check may say that ids are bound (cipher.ts), which a
 *      LocalFace of version 4 would read as a wrong key. The number tells it that a newer LocalFace wrote the database.
 */
export const DB_VERSION = 5;

/** Faces per search block: ~1.3 MB for 320-d templates; 100k faces load in ≈0.5 s (BENCHMARKS.md). */
export const BLOCK_SIZE = 1024;

export interface CollectionRecord {
  name: string;
  /** ms since the epoch. */
  createdAt: number;
  /** Embedding model ids (with version) of every template in this collection, in vector order. */
  models: string[];
  /** Vector dimension per model (same order as `models`). */
  dims: number[];
  /** Incremented by every write to the collection, in the same transaction: in-memory indexes compare it. */
  revision: number;
  personCount: number;
  /** Next search block id; block nextBlockId − 1 is the one new faces are appended to. */
  nextBlockId: number;
}

export interface PersonRecord {
  collection: string;
  personId: string;
  personName: string;
  metadata: Record<string, unknown>;
  createdAt: number;
  updatedAt: number;
  faceCount: number;
  /** Encrypted database: personName and metadata, sealed (the clear fields are then empty). */
  sealed?: Uint8Array<ArrayBuffer>;
}

export type FaceImageKind = 'none' | 'thumbnail' | 'full';

export interface FaceRecord {
  collection: string;
  faceId: string;
  personId: string;
  /** ms since the epoch. */
  createTime: number;
  /** Embedding model ids (with version), one per vector. */
  models: string[];
  /** One L2-normalised vector per model. */
  vectors: Float32Array[];
  /** The search block holding this face's row. */
  block: number;
  image: FaceImageKind;
  /** Encrypted database: the vectors, sealed (`vectors` is then empty). */
  sealed?: Uint8Array<ArrayBuffer>;
}

export interface FaceImageRecord {
  collection: string;
  faceId: string;
  kind: Exclude<FaceImageKind, 'none'>;
  blob: Blob;
  /** Encrypted database: `blob` holds the sealed image and its type. */
  sealed?: true;
}

/**
 * A packed copy of up to BLOCK_SIZE faces' vectors, written in the same transaction as the faces: row i is
 * faceIds[i]'s vectors concatenated in the collection's model order. Reading 100 of these is ~20× faster than
 * reading 100k face records (structured-clone cost per record), which is what makes a cold index load fast.
 */
export interface SearchBlockRecord {
  collection: string;
  blockId: number;
  faceIds: string[];
  personIds: string[];
  data: Float32Array;
  /** Encrypted database: `data`, sealed (`data` is then empty). */
  sealed?: Uint8Array<ArrayBuffer>;
}

/** The `meta` store's record that says how the database is encrypted and lets a wrong key fail at once. */
export interface EncryptionRecord {
  id: 'encryption';
  /** 'PBKDF2-SHA-256': the key is derived from a passphrase with `salt` and `iterations`; 'key': a CryptoKey given. */
  kdf: 'PBKDF2-SHA-256' | 'key';
  salt?: Uint8Array<ArrayBuffer>;
  iterations?: number;
  /** A fixed text sealed with the database key (cipher.ts). */
  check: Uint8Array<ArrayBuffer>;
  /**
   * True for databases made since ids are bound (see cipher.ts). Older ones keep the old additional data. The key
   * check says so too (authenticated); this flag serves databases whose check an earlier version wrote.
   */
  bindsIds?: true;
}

/** Per-key limits of the REST handler; a missing field means no limit (the default). */
export interface ApiKeyLimits {
  /**
   * Requests in any 60 s window (1 – 10⁹), counted by this client in memory; beyond it a request is answered 429 with
   * `retry-after`. Default: none.
   */
  requestsPerMinute?: number;
  /**
   * Enrolls per UTC day (1 – 10⁹), counted in the database (so across pages and reloads); beyond it an enroll is
   * answered 429 with `retry-after` until midnight UTC. Default: none.
   */
  enrollsPerDay?: number;
}

/**
 * An API key as stored: never the secret, only SHA-256(salt ‖ secret). The secret carries 256 random bits, so a
 * fast hash is enough (no password-style stretching needed); the salt keeps equal hashes from revealing equal keys.
 */
export interface ApiKeyRecord {
  keyId: string;
  name: string;
  /** Collections the key may reach; empty: all. */
  collections: string[];
  /** ms since the epoch. */
  createdAt: number;
  salt: Uint8Array;
  hash: Uint8Array;
  limits: ApiKeyLimits;
  /** Enrolls counted today (UTC day), for `limits.enrollsPerDay`. */
  usage: { day: string; enrolls: number };
}

export interface LocalFaceDB extends DBSchema {
  collections: { key: string; value: CollectionRecord };
  persons: { key: [string, string]; value: PersonRecord };
  faces: { key: [string, string]; value: FaceRecord; indexes: { byPerson: [string, string] } };
  faceImages: { key: [string, string]; value: FaceImageRecord };
  searchBlocks: { key: [string, number]; value: SearchBlockRecord };
  apiKeys: { key: string; value: ApiKeyRecord };
  meta: { key: string; value: EncryptionRecord };
}

export type StoreName = StoreNames<LocalFaceDB>;
/** The stores holding collections' data (every collection write spans them); `apiKeys` is not one of them. */
export const ALL_STORES: StoreName[] = ['collections', 'persons', 'faces', 'faceImages', 'searchBlocks'];

/** All keys [collection, …] of one collection in a store keyed by [collection, id]. */
export function collectionRange(collection: string): IDBKeyRange {
  return IDBKeyRange.bound([collection], [collection, []]);
}

type UpgradeTx = IDBPTransaction<LocalFaceDB, StoreName[], 'versionchange'>;
// The legacy layout is not described by LocalFaceDB, so migrations see the database untyped.
type UntypedDb = IDBPDatabase<unknown>;
type UntypedTx = IDBPTransaction<unknown, string[], 'versionchange'>;

/**
 * Upgrades run in the versionchange transaction, so a failed upgrade leaves the old database untouched.
 * Each step takes the database from version `from` to `from + 1`.
 */
const MIGRATIONS: Record<number, (db: UntypedDb, tx: UntypedTx) => Promise<void>> = {
  // A new database: create the current layout directly (steps below only convert existing data).
  0: async (db) => {
    createV2Stores(db, { withCollectionsAndPersons: true });
    createApiKeyStore(db);
    createMetaStore(db);
  },
  1: async (db, tx) => migrateV1toV2(db, tx),
  2: async (db) => createApiKeyStore(db),
  3: async (db) => createMetaStore(db),
  // Nothing to convert: the key check is rewritten when the database is next opened with its key (database.ts).
  4: async () => undefined,
};

export async function upgradeDatabase(
  db: IDBPDatabase<LocalFaceDB>,
  oldVersion: number,
  newVersion: number,
  tx: UpgradeTx,
): Promise<void> {
  const untypedDb = db as unknown as UntypedDb,
    untypedTx = tx as unknown as UntypedTx;
  // A new database skips straight to the current layout.
  if (oldVersion === 0) {
    await MIGRATIONS[0]!(untypedDb, untypedTx);
    return;
  }
  for (let v = oldVersion; v < newVersion; v++) {
    const step = MIGRATIONS[v];
    if (!step) throw new Error(`no migration from LocalFace database version ${v}`);
    await step(untypedDb, untypedTx);
  }
}

function createV2Stores(db: UntypedDb, options: { withCollectionsAndPersons: boolean }): void {
  if (options.withCollectionsAndPersons) {
    db.createObjectStore('collections', { keyPath: 'name' });
    db.createObjectStore('persons', { keyPath: ['collection', 'personId'] });
  }
  const faces = db.createObjectStore('faces', { keyPath: ['collection', 'faceId'] });
  faces.createIndex('byPerson', ['collection', 'personId']);
  db.createObjectStore('faceImages', { keyPath: ['collection', 'faceId'] });
  db.createObjectStore('searchBlocks', { keyPath: ['collection', 'blockId'] });
}

function createApiKeyStore(db: UntypedDb): void {
  db.createObjectStore('apiKeys', { keyPath: 'keyId' });
}

function createMetaStore(db: UntypedDb): void {
  db.createObjectStore('meta', { keyPath: 'id' });
}

/** The v1 prototype's records (inline faces, number[] vectors). */
interface V1Person {
  collection: string;
  personId: string;
  personName: string;
  metadata?: Record<string, unknown>;
  createdAt?: number;
  faces: { faceId: string; createTime: number; models: string[]; vectors: number[][] }[];
}
interface V1Collection {
  name: string;
  createdAt: number;
}

async function migrateV1toV2(db: UntypedDb, tx: UntypedTx): Promise<void> {
  const oldPersons = (await tx.objectStore('persons').getAll()) as V1Person[];
  const oldCollections = (await tx.objectStore('collections').getAll()) as V1Collection[];
  db.deleteObjectStore('persons');
  db.createObjectStore('persons', { keyPath: ['collection', 'personId'] });
  createV2Stores(db, { withCollectionsAndPersons: false });
  const collections = new Map<string, CollectionRecord>();
  for (const c of oldCollections) {
    collections.set(c.name, {
      name: c.name,
      createdAt: c.createdAt,
      models: [],
      dims: [],
      revision: 1,
      personCount: 0,
      nextBlockId: 0,
    });
  }
  const blocks = new Map<string, SearchBlockRecord>();
  for (const p of oldPersons) {
    const collection = collections.get(p.collection);
    if (!collection) continue; // an orphan of the prototype: nothing can reach it
    collection.personCount++;
    const person: PersonRecord = {
      collection: p.collection,
      personId: p.personId,
      personName: p.personName,
      metadata: p.metadata ?? {},
      createdAt: p.createdAt ?? collection.createdAt,
      updatedAt: p.createdAt ?? collection.createdAt,
      faceCount: 0,
    };
    for (const f of p.faces) {
      // The collection's model set is the one of its first face; a face of another model set stays stored but is
      // never searched (the index skips it and reports it), so nothing is silently mixed.
      if (collection.models.length === 0) {
        collection.models = [...f.models];
        collection.dims = f.vectors.map((v) => v.length);
      }
      const vectors = f.vectors.map((v) => Float32Array.from(v));
      const sameModels = sameElements(f.models, collection.models);
      let blockId = -1;
      if (sameModels) {
        let block = blocks.get(p.collection);
        if (!block || block.faceIds.length >= BLOCK_SIZE) {
          if (block) await tx.objectStore('searchBlocks').put(block);
          block = {
            collection: p.collection,
            blockId: collection.nextBlockId++,
            faceIds: [],
            personIds: [],
            data: new Float32Array(0),
          };
          blocks.set(p.collection, block);
        }
        block.faceIds.push(f.faceId);
        block.personIds.push(p.personId);
        block.data = concatFloats([block.data, ...vectors]);
        blockId = block.blockId;
      }
      const face: FaceRecord = {
        collection: p.collection,
        faceId: f.faceId,
        personId: p.personId,
        createTime: f.createTime,
        models: [...f.models],
        vectors,
        block: blockId,
        image: 'none',
      };
      await tx.objectStore('faces').put(face);
      person.faceCount++;
    }
    await tx.objectStore('persons').put(person);
  }
  for (const block of blocks.values()) await tx.objectStore('searchBlocks').put(block);
  for (const c of collections.values()) await tx.objectStore('collections').put(c);
}
