import { openDB, type IDBPDatabase, type IDBPTransaction } from 'idb';
import { FaceError } from '../../errors';
import { concatFloats, sameElements } from '../../vocabulary';
import { RecordCipher } from './cipher';
import type { EncryptionOption } from '../../vocabulary';
import {
  ALL_STORES,
  BLOCK_SIZE,
  collectionRange,
  DB_VERSION,
  upgradeDatabase,
  type ApiKeyRecord,
  type CollectionRecord,
  type EncryptionRecord,
  type FaceImageKind,
  type FaceImageRecord,
  type FaceRecord,
  type LocalFaceDB,
  type PersonRecord,
  type SearchBlockRecord,
  type StoreName,
} from './schema';

type WriteTx = IDBPTransaction<LocalFaceDB, StoreName[], 'readwrite'>;

/** How long opening waits for other tabs to close an older version of the database before it gives up. */
export const UPGRADE_BLOCKED_TIMEOUT_MS = 5000;

/** Seals and opens records: identity for a plain database, RecordCipher for an encrypted one. */
type Codec = Pick<
  RecordCipher,
  'sealPerson' | 'openPerson' | 'sealFace' | 'openFace' | 'sealImage' | 'openImage' | 'sealBlock' | 'openBlock'
>;
/** A plain client that meets a sealed record: another tab encrypted this (then empty) database after it opened. */
function plainOpen<R extends { sealed?: unknown }>(record: R): Promise<R> {
  if (!record.sealed) return Promise.resolve(record);
  return Promise.reject(encryptedMeanwhile());
}
function encryptedMeanwhile(): FaceError {
  return new FaceError(
    'ERR_ENCRYPTION_KEY_INVALID',
    'This database was made encrypted by another tab or window after this client opened it. Create the client again with the encryption option ({ passphrase } or { key }) it was created with. Nothing was read or changed.',
  );
}
const PLAIN: Codec = {
  sealPerson: async (x) => x,
  openPerson: plainOpen,
  sealFace: async (x) => x,
  openFace: plainOpen,
  sealImage: async (x) => x,
  openImage: plainOpen,
  sealBlock: async (x) => x,
  openBlock: plainOpen,
};

/**
 * Waits for `work` (WebCrypto) inside a readwrite transaction. A transaction commits by itself once no request is
 * pending at the end of a task, and WebCrypto resolves in a later task; so while `work` runs, one cheap read at a time
 * keeps the transaction open, and this returns inside that read's callback, where the transaction accepts requests.
 */
async function keepOpenDuring<T>(tx: WriteTx, work: Promise<T>): Promise<T> {
  let settled = false;
  work.then(
    () => (settled = true),
    () => (settled = true),
  );
  const store = tx.objectStore(tx.objectStoreNames[0]!);
  while (!settled) await store.count('\uffff');
  return work;
}

/** A face to store: its template and optional image. */
export interface NewFace {
  faceId: string;
  createTime: number;
  models: string[];
  vectors: Float32Array[];
  image?: { kind: Exclude<FaceImageKind, 'none'>; blob: Blob };
}

/** What a committed write changed, for keeping in-memory indexes in step without re-reading. */
export interface ChangeSet {
  collection: string;
  /** Revision before and after the write: an index at `from` may apply the change, any other must reload. */
  from: number;
  to: number;
  removedFaceIds: string[];
  added: { faceId: string; personId: string; row: Float32Array }[];
}

export interface StoredPerson {
  person: PersonRecord;
  faces: { record: FaceRecord; image?: Blob }[];
}

/**
 * Why a connection closed under its client: another tab's newer LocalFace upgrades the database ('upgraded': this
 * version cannot use it any more), another tab deletes it ('deleted'), or the browser ended it ('terminated': site
 * data cleared, storage evicted). After 'deleted' and 'terminated' the client opens the database again on its next
 * call.
 */
export type ConnectionLoss = 'upgraded' | 'deleted' | 'terminated';

/** Filled in by the connection's own events, from the moment it opens (also while the store is being unlocked). */
class ConnectionWatch {
  loss: ConnectionLoss | undefined;
  private listeners: ((loss: ConnectionLoss) => void)[] = [];

  lost(loss: ConnectionLoss): void {
    if (this.loss) return;
    this.loss = loss;
    for (const listener of this.listeners.splice(0)) listener(loss);
  }

  onLost(listener: (loss: ConnectionLoss) => void): void {
    if (this.loss) listener(this.loss);
    else this.listeners.push(listener);
  }
}

/** The error of a call that met a lost connection (see ConnectionLoss): what happened, and what to do. */
function connectionLost(name: string, loss: ConnectionLoss, cause?: unknown): FaceError {
  const metadata = { databaseName: name, reason: loss };
  if (loss === 'upgraded')
    return new FaceError(
      'ERR_INTERNAL',
      `The database "${name}" was closed because another tab upgraded it to a newer version of LocalFace. Reload this page (or restart this Worker) to use the newer version.`,
      { cause, metadata },
    );
  return new FaceError(
    'ERR_INTERNAL',
    `The database "${name}" was ${loss === 'deleted' ? 'deleted by another tab' : 'closed by the browser (site data cleared or storage evicted)'} while this call ran. Retry: the next call opens it again.`,
    { cause, metadata },
  );
}

/**
 * The only code that touches IndexedDB. Every mutation is one readwrite transaction over the stores it needs: it
 * either commits completely or not at all (an exception, a quota error or a closed tab aborts it), so there is
 * never a half-written person, an orphan face or a search block out of step with the faces.
 */
export class FaceStore {
  private constructor(
    private readonly watch: ConnectionWatch,
    private readonly db: IDBPDatabase<LocalFaceDB>,
    readonly name: string,
    private readonly codec: Codec,
    /** Whether records are encrypted (crypto inside a write transaction then needs keepOpenDuring). */
    readonly encrypted: boolean,
  ) {}

  /**
   * Opens (creating or upgrading) the database. With `encryption`: an encrypted database is unlocked (a wrong key is
   * ERR_ENCRYPTION_KEY_INVALID), a new or empty one becomes encrypted, and one holding plain collections is refused
   * (ERR_INVALID_ARGUMENT: LocalFace does not encrypt in place). Without: an encrypted one is ERR_ENCRYPTION_KEY_INVALID.
   */
  static async open(
    name: string,
    encryption?: EncryptionOption,
    options: { blockedTimeoutMs?: number } = {},
  ): Promise<FaceStore> {
    const watch = new ConnectionWatch();
    const db = await openDatabase(name, options.blockedTimeoutMs ?? UPGRADE_BLOCKED_TIMEOUT_MS, watch);
    try {
      const cipher = await unlock(db, name, encryption);
      return new FaceStore(watch, db, name, cipher ?? PLAIN, cipher !== null);
    } catch (error) {
      db.close();
      if (watch.loss) throw connectionLost(name, watch.loss, error);
      throw storageError(error, `open the database "${name}"`);
    }
  }

  close(): void {
    this.db.close();
  }

  /** Calls `listener` once if the connection closes under the client (at once if it already has). */
  onLost(listener: (loss: ConnectionLoss) => void): void {
    this.watch.onLost(listener);
  }

  // ---- collections -------------------------------------------------------------------------------------------

  async createCollection(name: string, models: string[], dims: number[], now: number): Promise<CollectionRecord> {
    return this.write(['collections'], async (tx) => {
      const store = tx.objectStore('collections');
      if (await store.get(name)) {
        throw new FaceError(
          'ERR_COLLECTION_EXISTS',
          `A collection named "${name}" already exists. Use it, or delete it first with deleteCollection().`,
          { metadata: { collectionName: name } },
        );
      }
      // A random first revision: an index another tab still holds for a deleted collection of the same name can
      // never look current for the new one.
      const record: CollectionRecord = {
        name,
        createdAt: now,
        models,
        dims,
        revision: Math.floor(Math.random() * 2 ** 31),
        personCount: 0,
        nextBlockId: 0,
      };
      await store.add(record);
      return record;
    });
  }

  async listCollections(): Promise<CollectionRecord[]> {
    return this.read(['collections'], (tx) => tx.objectStore('collections').getAll());
  }

  async getCollection(name: string): Promise<CollectionRecord> {
    return this.read(['collections'], async (tx) =>
      requireCollection(await tx.objectStore('collections').get(name), name),
    );
  }

  async deleteCollection(name: string): Promise<void> {
    await this.write([...ALL_STORES, 'apiKeys'], async (tx) => {
      requireCollection(await tx.objectStore('collections').get(name), name);
      await Promise.all([deleteCollectionRecords(tx, name), tx.objectStore('collections').delete(name)]);
      // A key limited to the erased collection must not reach one created later under its name: a key limited to it
      // alone is revoked, another loses it from its list (an empty list would mean every collection).
      const keys = tx.objectStore('apiKeys');
      for (const key of await keys.getAll()) {
        if (!key.collections.includes(name)) continue;
        const rest = key.collections.filter((c) => c !== name);
        await (rest.length === 0 ? keys.delete(key.keyId) : keys.put({ ...key, collections: rest }));
      }
    });
  }

  // ---- persons -------------------------------------------------------------------------------------------------

  /**
   * Writes a person and faces in one transaction. `mode` 'replace' (enroll's upsert) removes the person's old
   * faces; 'append' (addFace) keeps them and creates the person if `createIfMissing`. `expectRevision`: the
   * collection revision a duplicate check was made against; if another write came in between, nothing is
   * written and null is returned so the caller can re-check. `personNameIfNew` names a person this write creates;
   * `refuseExisting` writes nothing if the person exists (`personExistsError`), decided in the same transaction.
   */
  async putPerson(args: {
    collection: string;
    personId: string;
    personName?: string;
    metadata?: Record<string, unknown>;
    faces: NewFace[];
    mode: 'replace' | 'append';
    createIfMissing: boolean;
    personNameIfNew?: string;
    refuseExisting?: boolean;
    expectRevision?: number;
    now: number;
  }): Promise<{ person: PersonRecord; change: ChangeSet } | null> {
    const sealed = await this.sealFaces(args.collection, args.personId, args.faces);
    return this.write(ALL_STORES, async (tx) => {
      const collection = requireCollection(await tx.objectStore('collections').get(args.collection), args.collection);
      if (args.expectRevision !== undefined && collection.revision !== args.expectRevision) return null;
      for (const f of args.faces) requireSameModels(collection, f.models, dimsOf(f));
      const change = startChange(collection);
      const persons = tx.objectStore('persons');
      const existing = await persons.get([args.collection, args.personId]);
      if (!existing && !args.createIfMissing) throw personNotFound(args.collection, args.personId);
      if (existing && args.refuseExisting) throw personExistsError(args.collection, args.personId);
      const blocks = this.blocks(tx, collection);
      let faceCount = existing?.faceCount ?? 0;
      if (existing && args.mode === 'replace') {
        const old = await tx.objectStore('faces').index('byPerson').getAll([args.collection, args.personId]);
        for (const f of old) await removeFace(tx, blocks, f, change);
        faceCount = 0;
      }
      for (const { face, image, row } of sealed) {
        const block = await blocks.append(face.faceId, args.personId, row);
        await tx.objectStore('faces').add({ ...face, block });
        if (image) await tx.objectStore('faceImages').put(image);
        change.added.push({ faceId: face.faceId, personId: args.personId, row });
        faceCount++;
      }
      // Only a change of name or metadata needs the stored ones opened; otherwise the sealed ones are kept as they are.
      const changesDetails = args.personName !== undefined || args.metadata !== undefined;
      const old = existing && changesDetails ? await this.inTx(tx, this.codec.openPerson(existing)) : existing;
      const person: PersonRecord = {
        ...(old ?? {}),
        collection: args.collection,
        personId: args.personId,
        personName: args.personName ?? old?.personName ?? args.personNameIfNew ?? '',
        metadata: args.metadata ?? old?.metadata ?? {},
        createdAt: existing?.createdAt ?? args.now,
        updatedAt: args.now,
        faceCount,
      };
      const stored = !existing || changesDetails ? await this.inTx(tx, this.codec.sealPerson(person)) : person;
      await persons.put(stored);
      if (!existing) collection.personCount++;
      await blocks.flush();
      await finishChange(tx, collection, change);
      return { person, change };
    }).then(async (r) => {
      // The person as written: still sealed when its stored name and metadata were kept as they were.
      if (!r) return r;
      return { person: r.person.sealed ? await this.codec.openPerson(r.person) : r.person, change: r.change };
    });
  }

  async updatePerson(
    collection: string,
    personId: string,
    patch: { personName?: string; metadata?: Record<string, unknown> },
    now: number,
  ): Promise<{ person: PersonRecord; change: ChangeSet }> {
    return this.write(['collections', 'persons'], async (tx) => {
      const c = requireCollection(await tx.objectStore('collections').get(collection), collection);
      const stored = await tx.objectStore('persons').get([collection, personId]);
      if (!stored) throw personNotFound(collection, personId);
      const person = await this.inTx(tx, this.codec.openPerson(stored));
      const updated: PersonRecord = { ...person, ...patch, updatedAt: now };
      await tx.objectStore('persons').put(await this.inTx(tx, this.codec.sealPerson(updated)));
      const change = startChange(c);
      await finishChange(tx, c, change);
      return { person: updated, change };
    });
  }

  async deletePerson(collection: string, personId: string): Promise<ChangeSet> {
    return this.write(
      ALL_STORES,
      async (tx) => {
        const c = requireCollection(await tx.objectStore('collections').get(collection), collection);
        const person = await tx.objectStore('persons').get([collection, personId]);
        if (!person) throw personNotFound(collection, personId);
        const change = startChange(c);
        const blocks = this.blocks(tx, c);
        for (const f of await tx.objectStore('faces').index('byPerson').getAll([collection, personId]))
          await removeFace(tx, blocks, f, change);
        await tx.objectStore('persons').delete([collection, personId]);
        c.personCount--;
        await blocks.flush();
        await finishChange(tx, c, change);
        return change;
      },
      DELETE_IN_COLLECTION,
    );
  }

  async deleteFace(collection: string, faceId: string): Promise<ChangeSet> {
    return this.write(
      ALL_STORES,
      async (tx) => {
        const c = requireCollection(await tx.objectStore('collections').get(collection), collection);
        const face = await tx.objectStore('faces').get([collection, faceId]);
        if (!face) {
          throw new FaceError(
            'ERR_NOT_FOUND',
            `No face with faceId "${faceId}" in collection "${collection}". getPerson() lists a person's faceIds.`,
            { metadata: { collectionName: collection, faceId } },
          );
        }
        const change = startChange(c);
        const blocks = this.blocks(tx, c);
        await removeFace(tx, blocks, face, change);
        const person = await tx.objectStore('persons').get([collection, face.personId]);
        // A person keeps existing with no faces (seed 004 face sets); it is never found by a search until it has one.
        if (person) await tx.objectStore('persons').put({ ...person, faceCount: Math.max(0, person.faceCount - 1) });
        await blocks.flush();
        await finishChange(tx, c, change);
        return change;
      },
      DELETE_IN_COLLECTION,
    );
  }

  async getPerson(collection: string, personId: string): Promise<StoredPerson> {
    const stored = await this.read(['collections', 'persons', 'faces', 'faceImages'], async (tx) => {
      requireCollection(await tx.objectStore('collections').get(collection), collection);
      const person = await tx.objectStore('persons').get([collection, personId]);
      if (!person) throw personNotFound(collection, personId);
      const faces = await tx.objectStore('faces').index('byPerson').getAll([collection, personId]);
      faces.sort((a, b) => a.createTime - b.createTime || (a.faceId < b.faceId ? -1 : 1));
      const images = await Promise.all(
        faces.map((f) => (f.image === 'none' ? undefined : tx.objectStore('faceImages').get([collection, f.faceId]))),
      );
      return { person, faces, images };
    });
    return {
      person: await this.codec.openPerson(stored.person),
      faces: await Promise.all(
        stored.faces.map(async (f, i) => {
          const image = stored.images[i];
          return { record: await this.codec.openFace(f), image: image && (await this.codec.openImage(image)).blob };
        }),
      ),
    };
  }

  /** Persons ordered by personId. */
  async listPersons(
    collection: string,
    offset: number,
    limit: number,
  ): Promise<{ persons: PersonRecord[]; total: number }> {
    const page = await this.read(['collections', 'persons'], async (tx) => {
      requireCollection(await tx.objectStore('collections').get(collection), collection);
      const store = tx.objectStore('persons');
      const range = collectionRange(collection);
      const total = await store.count(range);
      const persons: PersonRecord[] = [];
      // Past the end, no cursor: IDBCursor.advance takes at most 2³² − 1.
      if (offset >= total) return { persons, total };
      let cursor = await store.openCursor(range);
      if (cursor && offset > 0) cursor = await cursor.advance(offset);
      while (cursor && persons.length < limit) {
        persons.push(cursor.value);
        cursor = await cursor.continue();
      }
      return { persons, total };
    });
    return { persons: await Promise.all(page.persons.map((p) => this.codec.openPerson(p))), total: page.total };
  }

  /** Persons and the given faces' images for search results, in one snapshot. Missing ones are left out. */
  async getResultDetails(
    collection: string,
    hits: { personId: string; faceId: string }[],
  ): Promise<{ revision: number; details: Map<string, { person: PersonRecord; image?: Blob }> }> {
    // A hit whose face is gone or now someone else's (another tab wrote since the index was read) is left out; the
    // collection's revision read in the same snapshot tells the caller whether the index it searched was current.
    const { revision, found } = await this.read(['collections', 'persons', 'faces', 'faceImages'], async (tx) => {
      const out = new Map<string, { person: PersonRecord; image?: FaceImageRecord }>();
      const record = tx.objectStore('collections').get(collection);
      await Promise.all(
        hits.map(async (h) => {
          const [person, face, image] = await Promise.all([
            tx.objectStore('persons').get([collection, h.personId]),
            tx.objectStore('faces').get([collection, h.faceId]),
            tx.objectStore('faceImages').get([collection, h.faceId]),
          ]);
          if (person && face?.personId === h.personId) out.set(h.personId, { person, image });
        }),
      );
      return { revision: requireCollection(await record, collection).revision, found: out };
    });
    const details = new Map<string, { person: PersonRecord; image?: Blob }>();
    for (const [id, { person, image }] of found)
      details.set(id, {
        person: await this.codec.openPerson(person),
        image: image && (await this.codec.openImage(image)).blob,
      });
    return { revision, details };
  }

  /** The collection record and all its search blocks, in one snapshot (so they agree on the revision). */
  async loadSearchBlocks(collection: string): Promise<{ collection: CollectionRecord; blocks: SearchBlockRecord[] }> {
    const loaded = await this.read(['collections', 'searchBlocks'], async (tx) => {
      const c = requireCollection(await tx.objectStore('collections').get(collection), collection);
      return { collection: c, blocks: await tx.objectStore('searchBlocks').getAll(collectionRange(collection)) };
    });
    if (!this.encrypted) {
      await Promise.all(loaded.blocks.map((b) => this.codec.openBlock(b))); // refuses blocks another tab sealed
      return loaded;
    }
    // All blocks decrypt at once: WebCrypto works off the main thread, so they overlap.
    return {
      collection: loaded.collection,
      blocks: await Promise.all(loaded.blocks.map((b) => this.codec.openBlock(b))),
    };
  }

  /**
   * Another tab's committed change as this database holds it: the added faces' rows read from their own (sealed)
   * records, in one snapshot with the collection's revision. Null when the snapshot is not that change's result (the
   * collection moved on or is gone, an added face is missing or belongs to another person, a removed face is still
   * there): the message is then no use, and the index reloads instead.
   */
  async readChange(change: ChangeSet): Promise<ChangeSet | null> {
    const snapshot = await this.read(['collections', 'faces'], async (tx) => {
      const c = await tx.objectStore('collections').get(change.collection);
      if (!c || c.revision !== change.to) return null;
      const faces = tx.objectStore('faces');
      const [added, removed] = await Promise.all([
        Promise.all(change.added.map((a) => faces.get([change.collection, a.faceId]))),
        Promise.all(change.removedFaceIds.map((id) => faces.count([change.collection, id]))),
      ]);
      return removed.some((n) => n > 0) ? null : added;
    });
    if (!snapshot || snapshot.some((record, i) => record?.personId !== change.added[i]!.personId)) return null;
    const faces = await Promise.all(snapshot.map((record) => this.codec.openFace(record!)));
    return {
      ...change,
      added: faces.map((f) => ({ faceId: f.faceId, personId: f.personId, row: concatFloats(f.vectors) })),
    };
  }

  /**
   * For benchmarks and bulk imports: many new persons with one face each in one transaction (no images). A person id
   * already in the collection aborts the whole write.
   */
  async importFaces(
    collection: string,
    items: { personId: string; personName: string; face: NewFace }[],
    now: number,
  ): Promise<ChangeSet> {
    const sealed = await Promise.all(
      items.map(async ({ personId, personName, face }) => ({
        person: await this.codec.sealPerson({
          collection,
          personId,
          personName,
          metadata: {},
          createdAt: now,
          updatedAt: now,
          faceCount: 1,
        }),
        face: (await this.sealFaces(collection, personId, [{ ...face, image: undefined }]))[0]!,
      })),
    );
    return this.write(ALL_STORES, async (tx) => {
      const c = requireCollection(await tx.objectStore('collections').get(collection), collection);
      const change = startChange(c);
      const blocks = this.blocks(tx, c);
      const persons = tx.objectStore('persons');
      const requests: Promise<unknown>[] = [];
      for (const [i, { person, face: f }] of sealed.entries()) {
        requireSameModels(c, f.face.models, dimsOf(items[i]!.face));
        const block = await blocks.append(f.face.faceId, person.personId, f.row);
        // Not awaited one by one: the requests queue in the transaction and are awaited together.
        requests.push(tx.objectStore('faces').add({ ...f.face, block }));
        requests.push(persons.add(person));
        change.added.push({ faceId: f.face.faceId, personId: person.personId, row: f.row });
      }
      await Promise.all(requests);
      c.personCount += items.length;
      await blocks.flush();
      await finishChange(tx, c, change);
      return change;
    });
  }

  // ---- export / import ------------------------------------------------------------------------------------------

  /** Everything of one collection in one snapshot: its record, persons, faces and (if asked) face images. */
  async readCollection(
    name: string,
    includeImages: boolean,
  ): Promise<{
    collection: CollectionRecord;
    persons: PersonRecord[];
    faces: FaceRecord[];
    images: FaceImageRecord[];
  }> {
    const stored = await this.read(['collections', 'persons', 'faces', 'faceImages'], async (tx) => {
      const collection = requireCollection(await tx.objectStore('collections').get(name), name);
      const range = collectionRange(name);
      const [persons, faces, images] = await Promise.all([
        tx.objectStore('persons').getAll(range),
        tx.objectStore('faces').getAll(range),
        includeImages ? tx.objectStore('faceImages').getAll(range) : Promise.resolve([]),
      ]);
      return { collection, persons, faces, images };
    });
    // Through the codec even when plain: a plain client must refuse records another tab sealed since, not export
    // their ciphertext as if it were data.
    return {
      collection: stored.collection,
      persons: await Promise.all(stored.persons.map((p) => this.codec.openPerson(p))),
      faces: await Promise.all(stored.faces.map((f) => this.codec.openFace(f))),
      images: await Promise.all(stored.images.map((i) => this.codec.openImage(i))),
    };
  }

  /**
   * Writes checked, imported persons in one transaction. `onConflict` for an existing collection: 'fail' is
   * ERR_COLLECTION_EXISTS, 'replace' deletes it first, 'merge' replaces persons of the same personId (and faces of the
   * same faceId) and keeps the others. Nothing is written if anything fails.
   */
  async importCollection(args: {
    name: string;
    createdAt: number;
    models: string[];
    dims: number[];
    onConflict: 'fail' | 'replace' | 'merge';
    persons: { person: Omit<PersonRecord, 'collection' | 'faceCount'>; faces: NewFace[] }[];
  }): Promise<CollectionRecord> {
    // Sealed before the transaction: it must not wait for anything but IndexedDB.
    const sealed = await Promise.all(
      args.persons.map(async ({ person, faces }) => ({
        person: await this.codec.sealPerson({ ...person, collection: args.name, faceCount: faces.length }),
        faces: await this.sealFaces(args.name, person.personId, faces),
      })),
    );
    return this.write(ALL_STORES, async (tx) => {
      const { name } = args;
      const collections = tx.objectStore('collections');
      const existing = await collections.get(name);
      let c: CollectionRecord;
      let change: ChangeSet;
      if (existing && args.onConflict === 'fail') {
        throw new FaceError(
          'ERR_COLLECTION_EXISTS',
          `A collection named "${name}" already exists. Import under another name ({ name }), or pass onConflict: 'replace' or 'merge'.`,
          { metadata: { collectionName: name } },
        );
      }
      if (existing && args.onConflict === 'merge') {
        requireSameModels(existing, args.models, args.dims);
        c = existing;
        change = startChange(c);
      } else {
        if (existing) await deleteCollectionRecords(tx, name);
        c = {
          name,
          createdAt: args.createdAt,
          models: args.models,
          dims: args.dims,
          revision: Math.floor(Math.random() * 2 ** 31),
          personCount: 0,
          nextBlockId: 0,
        };
        change = startChange(c);
      }
      const blocks = this.blocks(tx, c);
      const persons = tx.objectStore('persons'),
        faces = tx.objectStore('faces'),
        images = tx.objectStore('faceImages');
      if (existing && args.onConflict === 'merge') {
        for (const { person } of args.persons) {
          const old = await persons.get([name, person.personId]);
          if (!old) continue;
          for (const f of await faces.index('byPerson').getAll([name, person.personId]))
            await removeFace(tx, blocks, f, change);
          await persons.delete([name, person.personId]);
          c.personCount--;
        }
        for (const { faces: newFaces } of args.persons) {
          for (const nf of newFaces) {
            const old = await faces.get([name, nf.faceId]);
            if (!old) continue;
            // Another person's face with the same id: that person loses it.
            await removeFace(tx, blocks, old, change);
            const owner = await persons.get([name, old.personId]);
            if (owner) await persons.put({ ...owner, faceCount: Math.max(0, owner.faceCount - 1) });
          }
        }
      }
      const requests: Promise<unknown>[] = [];
      for (const { person, faces: newFaces } of sealed) {
        for (const { face, image, row } of newFaces) {
          const block = await blocks.append(face.faceId, person.personId, row);
          requests.push(faces.add({ ...face, block }));
          if (image) requests.push(images.add(image));
          change.added.push({ faceId: face.faceId, personId: person.personId, row });
        }
        requests.push(persons.add(person));
      }
      await Promise.all(requests);
      c.personCount += args.persons.length;
      await blocks.flush();
      await finishChange(tx, c, change);
      return c;
    });
  }

  // ---- API keys ------------------------------------------------------------------------------------------------

  /**
   * Stores a new key. Its createdAt is moved just past the newest existing key's when the clock has not advanced
   * (keys made within one millisecond), so listing by createdAt is creation order. The collections it is limited to
   * must exist (ERR_NOT_FOUND): a key for a misspelt name would otherwise reach a collection created later under it.
   */
  async addApiKey(record: ApiKeyRecord): Promise<void> {
    await this.write(['apiKeys', 'collections'], async (tx) => {
      for (const name of record.collections) requireCollection(await tx.objectStore('collections').get(name), name);
      const store = tx.objectStore('apiKeys');
      const newest = Math.max(-Infinity, ...(await store.getAll()).map((k) => k.createdAt));
      await store.add(record.createdAt > newest ? record : { ...record, createdAt: newest + 1 });
    });
  }

  async listApiKeys(): Promise<ApiKeyRecord[]> {
    return this.read(['apiKeys'], (tx) => tx.objectStore('apiKeys').getAll());
  }

  async getApiKey(keyId: string): Promise<ApiKeyRecord | undefined> {
    return this.read(['apiKeys'], (tx) => tx.objectStore('apiKeys').get(keyId));
  }

  /** Deletes the key; false if there was none. */
  async deleteApiKey(keyId: string): Promise<boolean> {
    return this.write(['apiKeys'], async (tx) => {
      const store = tx.objectStore('apiKeys');
      if (!(await store.get(keyId))) return false;
      await store.delete(keyId);
      return true;
    });
  }

  /**
   * Read-modify-write of one key in one transaction (so two concurrent requests cannot both take the last unit of
   * a quota). `update` returns the record to store, or null to store nothing; the result is what was stored.
   */
  async updateApiKey(
    keyId: string,
    update: (record: ApiKeyRecord) => ApiKeyRecord | null,
  ): Promise<{ record: ApiKeyRecord; stored: boolean } | undefined> {
    return this.write(['apiKeys'], async (tx) => {
      const store = tx.objectStore('apiKeys');
      const record = await store.get(keyId);
      if (!record) return undefined;
      const next = update(record);
      if (next) await store.put(next);
      return { record: next ?? record, stored: next !== null };
    });
  }

  // ---- transactions ---------------------------------------------------------------------------------------------

  /** Face records (block still unset) and image records of new faces, sealed for an encrypted database. */
  private async sealFaces(
    collection: string,
    personId: string,
    faces: readonly NewFace[],
  ): Promise<{ face: FaceRecord; image?: FaceImageRecord; row: Float32Array }[]> {
    return Promise.all(
      faces.map(async (f) => {
        const face = await this.codec.sealFace({
          collection,
          faceId: f.faceId,
          personId,
          createTime: f.createTime,
          models: f.models,
          vectors: f.vectors,
          block: -1,
          image: f.image?.kind ?? 'none',
        });
        const image = f.image
          ? await this.codec.sealImage({ collection, faceId: f.faceId, kind: f.image.kind, blob: f.image.blob })
          : undefined;
        return { face, ...(image ? { image } : {}), row: concatFloats(f.vectors) };
      }),
    );
  }

  /** Waits for crypto work inside a write transaction (see keepOpenDuring); a plain database has none to wait for. */
  private inTx<T>(tx: WriteTx, work: Promise<T>): Promise<T> {
    return this.encrypted ? keepOpenDuring(tx, work) : work;
  }

  private blocks(tx: WriteTx, collection: CollectionRecord): BlockEditor {
    return new BlockEditor(tx, collection, this.codec, (work) => this.inTx(tx, work));
  }

  private assertUsable(): void {
    const lost = this.lostError();
    if (lost) throw lost;
  }

  /** A failed read or write: the connection's loss when it was lost (the real cause), else the storage error. */
  private failure(cause: unknown, doing: string | Doing): FaceError {
    return this.lostError() ?? storageError(cause, doing);
  }

  private lostError(): FaceError | undefined {
    return this.watch.loss && connectionLost(this.name, this.watch.loss);
  }

  /** Whether the connection closed under the client (see ConnectionLoss). */
  get lost(): boolean {
    return this.watch.loss !== undefined;
  }

  /** Why the connection ended (another tab upgraded or deleted the database, or the browser ended it), if it did. */
  get loss(): ConnectionLoss | undefined {
    return this.watch.loss;
  }

  private async read<T>(
    stores: StoreName[],
    fn: (tx: IDBPTransaction<LocalFaceDB, StoreName[], 'readonly'>) => Promise<T>,
  ): Promise<T> {
    this.assertUsable();
    try {
      const tx = this.db.transaction(stores, 'readonly');
      const result = await fn(tx);
      await tx.done;
      return result;
    } catch (cause) {
      throw this.failure(cause, 'read from the database');
    }
  }

  /**
   * Runs `fn` in one readwrite transaction and resolves after it committed. If `fn` throws, the transaction is
   * aborted (nothing it wrote stays) and the error is rethrown. `fn` must only await IndexedDB requests, or the
   * transaction would auto-commit half-way: all image work (decoding, embedding, JPEG encoding) happens before.
   */
  private async write<T>(stores: StoreName[], fn: (tx: WriteTx) => Promise<T>, doing: Doing = WRITE): Promise<T> {
    this.assertUsable();
    let tx: WriteTx;
    try {
      // A plain client also reads the encryption record in the same transaction: another tab may have made this (then
      // empty) database encrypted since, and nothing plain may be written into it from then on.
      tx = this.db.transaction(this.encrypted || stores.includes('meta') ? stores : [...stores, 'meta'], 'readwrite');
    } catch (cause) {
      throw this.failure(cause, doing);
    }
    const done = tx.done;
    done.catch(() => undefined); // observed below; avoids an unhandled rejection when fn fails first
    let result: T;
    try {
      if (!this.encrypted && (await tx.objectStore('meta').get('encryption'))) throw encryptedMeanwhile();
      result = await fn(tx);
    } catch (error) {
      try {
        tx.abort();
      } catch {
        // already aborted (e.g. by a failed request)
      }
      throw this.failure(error, doing);
    }
    try {
      await done;
    } catch (cause) {
      throw this.failure(cause ?? tx.error, doing);
    }
    return result;
  }
}

/**
 * Opens the database at DB_VERSION. If another connection to an older version (a tab running an older LocalFace, or
 * any code holding it open) does not close, the upgrade is blocked: wait `timeoutMs` for it, then fail clearly instead
 * of hanging (the pending open is closed whenever it finishes later). Only the first open waiting on such a tab is
 * told it is blocked; later ones (a retry, another client or tab) queue behind it without a word, so an open that has
 * neither opened nor started upgrading within `timeoutMs` fails the same way, unless a migration is running in another
 * tab (it holds the upgrade's Web Lock): that is waited for, however long it takes. A migration once started is not cut.
 */
async function openDatabase(
  name: string,
  timeoutMs: number,
  watch: ConnectionWatch,
): Promise<IDBPDatabase<LocalFaceDB>> {
  let wasBlocked = false;
  let upgrading = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let waited = 0;
  let settled = false;
  const blocked = new Promise<never>((_, reject) => {
    const check = async () => {
      waited += timeoutMs;
      if (upgrading || settled) return;
      if (!wasBlocked && (await upgradeRunningElsewhere(name))) {
        if (!settled) timer = setTimeout(() => void check(), timeoutMs);
        return;
      }
      const why = wasBlocked
        ? 'it needs an upgrade to this version of LocalFace, but another tab or window of this site keeps the old version open'
        : 'it waits behind another open of it (in this or another tab of this site), which waits for a tab or window that keeps an old version open';
      reject(
        new FaceError(
          'ERR_INTERNAL',
          `The database "${name}" could not be opened: ${why} (waited ${waited / 1000} s). Close or reload the other tabs of this site that run an older version, then retry.`,
          { metadata: { databaseName: name, reason: 'upgrade-blocked' } },
        ),
      );
    };
    timer = setTimeout(() => void check(), timeoutMs);
  });
  let migrationError: unknown;
  let upgradeCommitError: unknown;
  const opening = openDB<LocalFaceDB>(name, DB_VERSION, {
    upgrade: (database, oldVersion, newVersion, tx) => {
      upgrading = true;
      holdUpgradeLock(name, tx.done);
      // A migration's writes can succeed and its commit still fail (a full quota); the open request then reports
      // only AbortError, so the transaction's own error is kept to say why.
      tx.done.catch((error: unknown) => {
        upgradeCommitError = error;
      });
      // idb does not wait for this promise: a migration step that throws must abort the upgrade itself, or the
      // half-migrated database would be committed at the new version.
      upgradeDatabase(database, oldVersion, newVersion ?? DB_VERSION, tx).catch((error: unknown) => {
        migrationError = error;
        try {
          tx.abort();
        } catch {
          // already finished or aborted
        }
      });
    },
    blocked: () => {
      wasBlocked = true;
    },
    // Another tab upgrades or deletes the database: close at once so it is not blocked (even while this store is
    // still being unlocked), and tell the client.
    blocking: (_current, next, event) => {
      (event.target as IDBDatabase).close();
      watch.lost(next === null ? 'deleted' : 'upgraded');
    },
    terminated: () => watch.lost('terminated'),
  });
  try {
    return await Promise.race([opening, blocked]);
  } catch (cause) {
    opening.then(
      (db) => db.close(),
      () => undefined,
    );
    const quotaError = [migrationError, upgradeCommitError].find(
      (e) => e instanceof DOMException && e.name === 'QuotaExceededError',
    );
    if (quotaError)
      throw new FaceError(
        'ERR_STORAGE_QUOTA_EXCEEDED',
        `The database "${name}" needs an upgrade to this version of LocalFace, which rewrites its data and needs about as much free space again; the browser's storage quota for this site is full, so it was left as it was. Free space used by this site (other databases, caches) or ask the user to allow more storage, then retry.`,
        { cause: quotaError, metadata: { databaseName: name, reason: 'upgrade-quota' } },
      );
    if (migrationError !== undefined)
      throw new FaceError(
        'ERR_INTERNAL',
        `The database "${name}" could not be upgraded to this version of LocalFace (${migrationError instanceof Error ? migrationError.message : String(migrationError)}); it was left as it was. Export its collections with the previous version, or use another databaseName.`,
        { cause: migrationError, metadata: { databaseName: name, reason: 'migration-failed' } },
      );
    if (cause instanceof DOMException && cause.name === 'VersionError') {
      throw new FaceError(
        'ERR_INTERNAL',
        `The database "${name}" was written by a newer version of LocalFace (schema newer than ${DB_VERSION}). Update LocalFace or use another databaseName.`,
        { cause, metadata: { databaseName: name, reason: 'newer-version' } },
      );
    }
    throw storageError(cause, `open the database "${name}"`);
  } finally {
    settled = true;
    clearTimeout(timer);
  }
}

/** The Web Lock an upgrade of database `name` holds while it runs, so that opens in other tabs wait for it. */
const upgradeLockName = (name: string) => `localface-upgrade:${name}`;

function holdUpgradeLock(name: string, done: Promise<unknown>): void {
  globalThis.navigator?.locks?.request(upgradeLockName(name), () => done.catch(() => undefined)).catch(() => undefined);
}

/** Whether another tab (or client) is upgrading database `name` now: its lock is held or asked for. */
async function upgradeRunningElsewhere(name: string): Promise<boolean> {
  try {
    const state = await globalThis.navigator?.locks?.query();
    const lock = upgradeLockName(name);
    return [...(state?.held ?? []), ...(state?.pending ?? [])].some((l) => l.name === lock);
  } catch {
    return false;
  }
}

/**
 * The cipher of an existing encrypted database. One whose ids are bound but whose key check an earlier version wrote
 * gets the check that says so (one transaction, only if no one changed the record meanwhile).
 */
async function unlockExisting(
  db: IDBPDatabase<LocalFaceDB>,
  record: EncryptionRecord,
  encryption: EncryptionOption,
  name: string,
): Promise<RecordCipher> {
  const cipher = await RecordCipher.unlock(record, encryption, name);
  if (cipher.keyCheckOutdated) {
    try {
      const check = await cipher.boundKeyCheck();
      const tx = db.transaction('meta', 'readwrite');
      const now = await tx.store.get('encryption');
      if (now && sameElements(now.check, record.check)) await tx.store.put({ ...now, bindsIds: true, check });
      await tx.done;
    } catch {
      // The database opens all the same (a full disk must not lock its owner out); the next open tries again.
    }
  }
  return cipher;
}

/** The cipher for `encryption` (null: a plain database); see FaceStore.open for the rules. */
async function unlock(
  db: IDBPDatabase<LocalFaceDB>,
  name: string,
  encryption: EncryptionOption | undefined,
): Promise<RecordCipher | null> {
  const existing: EncryptionRecord | undefined = await db.get('meta', 'encryption');
  if (existing) {
    if (!encryption)
      throw new FaceError(
        'ERR_ENCRYPTION_KEY_INVALID',
        `The database "${name}" is encrypted: pass createFaceClient the encryption option ({ passphrase } or { key }) it was created with. No record was read or written.`,
        { metadata: { databaseName: name } },
      );
    return unlockExisting(db, existing, encryption, name);
  }
  if (!encryption) return null;
  const created = await RecordCipher.create(encryption);
  // One transaction, so two tabs creating the same database agree on one key check.
  const tx = db.transaction(['meta', 'collections'], 'readwrite');
  const [raced, collections] = await Promise.all([
    tx.objectStore('meta').get('encryption'),
    tx.objectStore('collections').count(),
  ]);
  if (!raced && collections === 0) await tx.objectStore('meta').add(created.record);
  await tx.done;
  if (raced) return unlockExisting(db, raced, encryption, name);
  if (collections > 0)
    throw new FaceError(
      'ERR_INVALID_ARGUMENT',
      `The database "${name}" holds unencrypted collections, and LocalFace does not encrypt a database in place (the plain bytes could stay behind on disk). Export each collection with a client without encryption, import them into a client with encryption on a new databaseName, then delete the plain database. Nothing was changed.`,
      { metadata: { databaseName: name, reason: 'plain-database' } },
    );
  return created.cipher;
}

/**
 * Appends and removes rows of search blocks within one transaction, writing each touched block once (appended rows
 * are concatenated at flush, so a bulk import does not copy a block per row).
 */
class BlockEditor {
  private readonly touched = new Map<number, SearchBlockRecord & { pending: Float32Array[] }>();
  private readonly deleted = new Set<number>();

  constructor(
    private readonly tx: WriteTx,
    private readonly collection: CollectionRecord,
    private readonly codec: Codec,
    /** Waits for crypto work without letting the transaction commit. */
    private readonly wait: <T>(work: Promise<T>) => Promise<T>,
  ) {}

  private async get(blockId: number): Promise<(SearchBlockRecord & { pending: Float32Array[] }) | undefined> {
    if (this.deleted.has(blockId)) return undefined;
    let block = this.touched.get(blockId);
    if (!block) {
      const sealed = await this.tx.objectStore('searchBlocks').get([this.collection.name, blockId]);
      const stored = sealed && (await this.wait(this.codec.openBlock(sealed)));
      if (stored) {
        block = { ...stored, pending: [] };
        this.touched.set(blockId, block);
      }
    }
    return block;
  }

  async append(faceId: string, personId: string, row: Float32Array): Promise<number> {
    const openId = this.collection.nextBlockId - 1;
    let block = openId >= 0 ? await this.get(openId) : undefined;
    if (!block || block.faceIds.length >= BLOCK_SIZE) {
      block = {
        collection: this.collection.name,
        blockId: this.collection.nextBlockId++,
        faceIds: [],
        personIds: [],
        data: new Float32Array(0),
        pending: [],
      };
      this.touched.set(block.blockId, block);
      this.deleted.delete(block.blockId);
    }
    block.pending.push(row);
    block.faceIds.push(faceId);
    block.personIds.push(personId);
    return block.blockId;
  }

  async remove(blockId: number, faceId: string): Promise<void> {
    const block = await this.get(blockId);
    if (!block) return;
    const i = block.faceIds.indexOf(faceId);
    if (i < 0) return;
    materialize(block);
    const d = block.data.length / block.faceIds.length;
    const last = block.faceIds.length - 1;
    // Swap-remove: the last row takes the removed row's place.
    block.data.copyWithin(i * d, last * d, (last + 1) * d);
    block.data = block.data.slice(0, last * d);
    block.faceIds[i] = block.faceIds[last]!;
    block.personIds[i] = block.personIds[last]!;
    block.faceIds.pop();
    block.personIds.pop();
    if (block.faceIds.length === 0) {
      this.touched.delete(blockId);
      this.deleted.add(blockId);
    }
  }

  async flush(): Promise<void> {
    const store = this.tx.objectStore('searchBlocks');
    for (const id of this.deleted) await store.delete([this.collection.name, id]);
    const records = [...this.touched.values()].map((block) => {
      materialize(block);
      const { pending: _, ...record } = block;
      return record;
    });
    for (const record of await this.wait(Promise.all(records.map((r) => this.codec.sealBlock(r)))))
      await store.put(record);
  }
}

function materialize(block: SearchBlockRecord & { pending: Float32Array[] }): void {
  if (block.pending.length === 0) return;
  const d = block.pending[0]!.length;
  const data = new Float32Array(block.data.length + block.pending.length * d);
  data.set(block.data);
  block.pending.forEach((row, i) => data.set(row, block.data.length + i * d));
  block.data = data;
  block.pending = [];
}

/** Deletes every person, face, image and search block of collection `name` (not its collection record). */
async function deleteCollectionRecords(tx: WriteTx, name: string): Promise<void> {
  const range = collectionRange(name);
  await Promise.all(
    (['persons', 'faces', 'faceImages', 'searchBlocks'] as const).map((store) => tx.objectStore(store).delete(range)),
  );
}

async function removeFace(tx: WriteTx, blocks: BlockEditor, face: FaceRecord, change: ChangeSet): Promise<void> {
  if (face.block >= 0) await blocks.remove(face.block, face.faceId);
  await tx.objectStore('faces').delete([face.collection, face.faceId]);
  if (face.image !== 'none') await tx.objectStore('faceImages').delete([face.collection, face.faceId]);
  change.removedFaceIds.push(face.faceId);
}

function startChange(c: CollectionRecord): ChangeSet {
  return { collection: c.name, from: c.revision, to: c.revision + 1, removedFaceIds: [], added: [] };
}

async function finishChange(tx: WriteTx, c: CollectionRecord, change: ChangeSet): Promise<void> {
  c.revision = change.to;
  await tx.objectStore('collections').put(c);
}

function dimsOf(face: NewFace): number[] {
  return face.vectors.map((v) => v.length);
}

function requireCollection(record: CollectionRecord | undefined, name: string): CollectionRecord {
  if (!record) {
    throw new FaceError(
      'ERR_NOT_FOUND',
      `No collection named "${name}". Create it first with createCollection("${name}"), or check listCollections().`,
      { metadata: { collectionName: name } },
    );
  }
  return record;
}

/** A write that may only create the person found it already there (ERR_INVALID_ARGUMENT, metadata.exists). */
export function personExistsError(collection: string, personId: string): FaceError {
  return new FaceError(
    'ERR_INVALID_ARGUMENT',
    `A person with personId "${personId}" already exists in collection "${collection}"; choose another id, or enroll it to replace that person.`,
    { metadata: { collectionName: collection, personId, exists: true } },
  );
}

function personNotFound(collection: string, personId: string): FaceError {
  return new FaceError(
    'ERR_NOT_FOUND',
    `No person with personId "${personId}" in collection "${collection}". personIds are case-sensitive; listPersons() shows the enrolled ones.`,
    { metadata: { collectionName: collection, personId } },
  );
}

/**
 * Templates of different embedding models are never stored side by side (their scores are not comparable). A
 * collection without models (migrated from the prototype with no face) takes those of its first template; the
 * caller's write stores the updated record.
 */
export function requireSameModels(
  collection: CollectionRecord,
  models: readonly string[],
  dims: readonly number[],
): void {
  if (collection.models.length === 0) {
    collection.models = [...models];
    collection.dims = [...dims];
    return;
  }
  if (!sameElements(collection.models, models)) {
    throw modelMismatch(collection, models);
  }
}

export function modelMismatch(collection: CollectionRecord, models: readonly string[]): FaceError {
  return new FaceError(
    'ERR_MODEL_MISMATCH',
    `Collection "${collection.name}" holds face templates of the embedding models [${collection.models.join(', ')}], but this version of LocalFace uses [${models.join(', ')}]; ` +
      'templates of different models cannot be compared. Re-enroll the persons into a new collection (or use the LocalFace version that created it).',
    { metadata: { collectionName: collection.name, storedModels: collection.models, currentModels: [...models] } },
  );
}

/** What a storage call was doing, for its error: a sentence part, and what frees space when the quota is full. */
export interface Doing {
  what: string;
  toFreeSpace: string;
}

const WRITE: Doing = {
  what: 'write to the database',
  toFreeSpace:
    "Free space (delete collections or persons, or use faceStorageType 'NoStorage') or ask the user to allow more storage.",
};

// A delete in a collection also rewrites part of its search index, so it too needs a little free space.
const DELETE_IN_COLLECTION: Doing = {
  what: 'delete from the collection (a delete rewrites part of its search index, which needs a little free space)',
  toFreeSpace:
    'deleteCollection frees space without writing: delete a whole collection (export it first to keep it), free space used by other data of this site, or ask the user to allow more storage.',
};

/** FaceErrors pass through; QuotaExceededError becomes ERR_STORAGE_QUOTA_EXCEEDED; anything else ERR_INTERNAL. */
export function storageError(cause: unknown, doing: string | Doing): FaceError {
  if (cause instanceof FaceError) return cause;
  const { what, toFreeSpace } = typeof doing === 'string' ? { ...WRITE, what: doing } : doing;
  const name = cause instanceof DOMException || cause instanceof Error ? cause.name : '';
  if (name === 'QuotaExceededError') {
    return new FaceError(
      'ERR_STORAGE_QUOTA_EXCEEDED',
      `The browser's storage quota for this site is full, so LocalFace could not ${what}; nothing was changed. ${toFreeSpace}`,
      { cause },
    );
  }
  const detail = cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause);
  return new FaceError(
    'ERR_INTERNAL',
    `LocalFace could not ${what} (IndexedDB failed: ${detail}). Retry; if it persists, the browser's site data may be corrupt or storage disabled (e.g. some private modes).`,
    { cause },
  );
}

export type { CollectionRecord, PersonRecord, FaceRecord, FaceImageRecord, SearchBlockRecord };
