import { FaceError } from '../../errors';
import { newPassphraseKey, passphraseIterationsInRange, PBKDF2_ITERATIONS, withPassphraseKey } from '../passphraseKey';
import { characterCount } from '../validate';
import type { EncryptionRecord, FaceImageRecord, FaceRecord, PersonRecord, SearchBlockRecord } from './schema';
import type { EncryptionOption } from '../../vocabulary';

/**
 * Encryption at rest (createFaceClient's `encryption` option). The sensitive part of each record — a person's name
 * and metadata, a face's vectors, a stored image, a search block's rows — is replaced by `sealed`:
 * `iv(12) ‖ AES-GCM-256(payload)`, with a fresh random IV per write and the record's store and key as additional data
 * (a sealed value copied onto another record does not open). Keys and structure stay in clear so IndexedDB can
 * still index and range over them: collection names, personIds, faceIds, times and counts. In a database whose
 * key check says ids are bound (or, written by an earlier version, whose record says `bindsIds`), a face's personId
 * and a search block's faceIds and personIds are part of the additional data too, so whose face a template is cannot
 * be changed on disk either.
 */

type Bytes = Uint8Array<ArrayBuffer>;
const IV_BYTES = 12;
const KEY_CHECK_TEXT = 'LocalFace encryption key check v1';
/** In the key check's additional data of a database whose ids are bound. */
const BINDS_IDS = 'bindsIds';

/** Checks the `encryption` option of createFaceClient; undefined means none. */
export function checkEncryptionOption(option: unknown): EncryptionOption | undefined {
  if (option === undefined) return undefined;
  const usage =
    "encryption must be { passphrase: string } or { key: CryptoKey } (an AES-GCM key with 'encrypt' and 'decrypt' usages)";
  if (option === null || typeof option !== 'object' || Array.isArray(option))
    throw new FaceError('ERR_INVALID_ARGUMENT', `${usage}; got ${describe(option)}.`);
  const o = option as Record<string, unknown>;
  const keys = Object.keys(o);
  if (keys.length !== 1 || (keys[0] !== 'passphrase' && keys[0] !== 'key'))
    throw new FaceError('ERR_INVALID_ARGUMENT', `${usage}; got an object with keys [${keys.join(', ')}].`);
  if ('passphrase' in o) {
    // Any non-empty passphrase, as for exports (the API contract sets no minimum); docs/security.md advises a long
    // random one: it is the only thing between a copy of the disk and the templates.
    if (typeof o.passphrase !== 'string' || o.passphrase.length < 1 || characterCount(o.passphrase) > 1024)
      throw new FaceError(
        'ERR_INVALID_ARGUMENT',
        'encryption.passphrase must be a string of 1 to 1024 characters (use a long random passphrase: it is the only thing between a copy of the disk and the templates).',
      );
    return { passphrase: o.passphrase };
  }
  const key = o.key;
  if (
    typeof CryptoKey === 'undefined' ||
    !(key instanceof CryptoKey) ||
    key.algorithm.name !== 'AES-GCM' ||
    !key.usages.includes('encrypt') ||
    !key.usages.includes('decrypt')
  ) {
    throw new FaceError(
      'ERR_INVALID_ARGUMENT',
      `${usage}. Make one with crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt']).`,
    );
  }
  return { key };
}

/** The database key: seals and opens record payloads. */
export class RecordCipher {
  private constructor(
    private readonly key: CryptoKey,
    /** Whether faces' and search blocks' ids are part of the additional data (EncryptionRecord.bindsIds). */
    private readonly bindsIds: boolean,
    private readonly outdatedCheck = false,
  ) {}

  /** A new database's encryption record and cipher (a fresh salt for a passphrase). */
  static async create(option: EncryptionOption): Promise<{ cipher: RecordCipher; record: EncryptionRecord }> {
    let key: CryptoKey;
    let record: Omit<EncryptionRecord, 'check'>;
    if ('passphrase' in option) {
      const salt = crypto.getRandomValues(new Uint8Array(16));
      key = await newPassphraseKey(option.passphrase, salt);
      record = { id: 'encryption', kdf: 'PBKDF2-SHA-256', salt, iterations: PBKDF2_ITERATIONS, bindsIds: true };
    } else {
      key = option.key;
      record = { id: 'encryption', kdf: 'key', bindsIds: true };
    }
    const cipher = new RecordCipher(key, true);
    return { cipher, record: { ...record, check: await cipher.boundKeyCheck() } };
  }

  /**
   * The key check of a database whose ids are bound: the binding is part of its additional data, so removing
   * `bindsIds` from the record on disk does not turn the binding off (the check says so, and is authenticated).
   */
  boundKeyCheck(): Promise<Bytes> {
    return this.seal(utf8(KEY_CHECK_TEXT), 'meta', ['encryption'], [BINDS_IDS]);
  }

  /**
   * True when the database binds ids but its key check, written by an earlier version, does not say so: the caller
   * writes `boundKeyCheck()` in its place, after which the flag can no longer be removed unnoticed.
   */
  get keyCheckOutdated(): boolean {
    return this.outdatedCheck;
  }

  /** The cipher of an encrypted database, or ERR_ENCRYPTION_KEY_INVALID if `option` does not open it. */
  static async unlock(record: EncryptionRecord, option: EncryptionOption, database: string): Promise<RecordCipher> {
    if ('passphrase' in option) {
      const { salt, iterations } = record;
      if (record.kdf !== 'PBKDF2-SHA-256' || !salt || !iterations)
        throw keyInvalid(database, 'it was encrypted with a CryptoKey ({ key }), not a passphrase');
      // Read from disk: a count far out of range would stall the open for minutes (or hours).
      if (!passphraseIterationsInRange(iterations))
        throw new FaceError(
          'ERR_INTERNAL',
          `The encryption record of the database "${database}" asks for ${String(iterations)} PBKDF2 iterations, which no LocalFace writes: it was altered on disk. Nothing was read or changed.`,
        );
      return withPassphraseKey(option.passphrase, salt, iterations, (key) =>
        RecordCipher.checked(key, record, database),
      );
    }
    if (record.kdf !== 'key') throw keyInvalid(database, 'it was encrypted with a passphrase, not a CryptoKey');
    return RecordCipher.checked(option.key, record, database);
  }

  /** The cipher of `key` if it opens the record's key check, else ERR_ENCRYPTION_KEY_INVALID. */
  private static async checked(key: CryptoKey, record: EncryptionRecord, database: string): Promise<RecordCipher> {
    const probe = new RecordCipher(key, false);
    const opens = async (bound: unknown[]) => {
      try {
        return (
          new TextDecoder().decode(await probe.openRaw(record.check, 'meta', ['encryption'], bound)) === KEY_CHECK_TEXT
        );
      } catch {
        return false;
      }
    };
    // A check that says ids are bound binds them, whatever the record's flag says now.
    if (await opens([BINDS_IDS])) return new RecordCipher(key, true);
    if (await opens([])) return new RecordCipher(key, record.bindsIds === true, record.bindsIds === true);
    throw keyInvalid(database, 'the key check did not open with this key');
  }

  /** `bound`: more of the record that must not change, as additional data (not named in errors). */
  async seal(plain: Bytes, store: string, key: readonly (string | number)[], bound: unknown[] = []): Promise<Bytes> {
    const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES));
    const ct = new Uint8Array(
      await crypto.subtle.encrypt(
        { name: 'AES-GCM', iv, additionalData: location(store, key, bound) },
        this.key,
        plain,
      ),
    );
    const out = new Uint8Array(IV_BYTES + ct.length);
    out.set(iv);
    out.set(ct, IV_BYTES);
    return out;
  }

  private async openRaw(
    sealed: Bytes,
    store: string,
    key: readonly (string | number)[],
    bound: unknown[] = [],
  ): Promise<Bytes> {
    return new Uint8Array(
      await crypto.subtle.decrypt(
        { name: 'AES-GCM', iv: sealed.subarray(0, IV_BYTES), additionalData: location(store, key, bound) },
        this.key,
        sealed.subarray(IV_BYTES),
      ),
    );
  }

  /** Opens a stored payload; a failure (after the key check passed) means the record was altered on disk. */
  async open(sealed: Bytes, store: string, key: readonly (string | number)[], bound: unknown[] = []): Promise<Bytes> {
    try {
      return await this.openRaw(sealed, store, key, bound);
    } catch (cause) {
      throw new FaceError(
        'ERR_INTERNAL',
        `The stored ${recordName(store, key)} does not decrypt although the key is right: it was altered or damaged on disk. ${repairAdvice(store)}`,
        { cause },
      );
    }
  }

  // ---- records ----

  /** Whose face it is: bound to its vectors where ids are bound. */
  private faceBound(f: FaceRecord): unknown[] {
    return this.bindsIds ? [f.personId] : [];
  }

  /** Which face and person each row is: bound to the rows where ids are bound. */
  private blockBound(b: SearchBlockRecord): unknown[] {
    return this.bindsIds ? [b.faceIds, b.personIds] : [];
  }

  async sealPerson(p: PersonRecord): Promise<PersonRecord> {
    const sealed = await this.seal(utf8(JSON.stringify({ n: p.personName, m: p.metadata })), 'persons', [
      p.collection,
      p.personId,
    ]);
    return { ...p, personName: '', metadata: {}, sealed };
  }

  async openPerson(p: PersonRecord): Promise<PersonRecord> {
    if (!p.sealed) throw storedInClear('persons', [p.collection, p.personId]);
    const { sealed, ...rest } = p;
    const o = JSON.parse(new TextDecoder().decode(await this.open(sealed, 'persons', [p.collection, p.personId]))) as {
      n: string;
      m: Record<string, unknown>;
    };
    return { ...rest, personName: o.n, metadata: o.m };
  }

  async sealFace(f: FaceRecord): Promise<FaceRecord> {
    const sealed = await this.seal(packVectors(f.vectors), 'faces', [f.collection, f.faceId], this.faceBound(f));
    return { ...f, vectors: [], sealed };
  }

  async openFace(f: FaceRecord): Promise<FaceRecord> {
    if (!f.sealed) throw storedInClear('faces', [f.collection, f.faceId]);
    const { sealed, ...rest } = f;
    return {
      ...rest,
      vectors: unpackVectors(await this.open(sealed, 'faces', [f.collection, f.faceId], this.faceBound(f))),
    };
  }

  async sealImage(i: FaceImageRecord): Promise<FaceImageRecord> {
    const type = utf8(i.blob.type);
    const bytes = new Uint8Array(4 + type.length + i.blob.size);
    new DataView(bytes.buffer).setUint32(0, type.length, true);
    bytes.set(type, 4);
    bytes.set(new Uint8Array(await i.blob.arrayBuffer()), 4 + type.length);
    const sealed = await this.seal(bytes, 'faceImages', [i.collection, i.faceId]);
    // Still a Blob, so the browser can keep it out of the JS heap and loading templates never reads it.
    return { ...i, blob: new Blob([sealed]), sealed: true };
  }

  async openImage(i: FaceImageRecord): Promise<FaceImageRecord> {
    if (!i.sealed) throw storedInClear('faceImages', [i.collection, i.faceId]);
    const { sealed: _, ...rest } = i;
    const plain = await this.open(new Uint8Array(await i.blob.arrayBuffer()), 'faceImages', [i.collection, i.faceId]);
    const n = new DataView(plain.buffer, plain.byteOffset).getUint32(0, true);
    const type = new TextDecoder().decode(plain.subarray(4, 4 + n));
    return { ...rest, blob: new Blob([plain.subarray(4 + n)], { type }) };
  }

  async sealBlock(b: SearchBlockRecord): Promise<SearchBlockRecord> {
    const bytes = new Uint8Array(b.data.buffer as ArrayBuffer, b.data.byteOffset, b.data.byteLength);
    const sealed = await this.seal(bytes, 'searchBlocks', [b.collection, b.blockId], this.blockBound(b));
    return { ...b, data: new Float32Array(0), sealed };
  }

  async openBlock(b: SearchBlockRecord): Promise<SearchBlockRecord> {
    if (!b.sealed) throw storedInClear('searchBlocks', [b.collection, b.blockId]);
    const { sealed, ...rest } = b;
    const plain = await this.open(sealed, 'searchBlocks', [b.collection, b.blockId], this.blockBound(b));
    return { ...rest, data: new Float32Array(plain.buffer, plain.byteOffset, plain.byteLength / 4) };
  }
}

/** What undoes a damaged record: a person's record goes with the person; a search block only with the collection. */
function repairAdvice(store: string): string {
  return store === 'searchBlocks' || store === 'collections'
    ? 'Restore the collection from an export.'
    : 'Delete the person it belongs to (or restore the collection from an export).';
}

/** A stored record as a person reads it: `person "p" in collection "c"`, not the store's key. */
function recordName(store: string, key: readonly (string | number)[]): string {
  const [collection, id] = key;
  const what: Record<string, string> = {
    persons: `person ${JSON.stringify(id)}`,
    faces: `face ${JSON.stringify(id)}`,
    faceImages: `image of face ${JSON.stringify(id)}`,
    searchBlocks: `search block ${JSON.stringify(id)}`,
  };
  return key.length === 2 && what[store]
    ? `${what[store]} in collection ${JSON.stringify(collection)}`
    : `record ${JSON.stringify(key)} of ${store}`;
}

/** Every record of an encrypted database is sealed: a plain one was written or altered outside this client. */
function storedInClear(store: string, key: readonly (string | number)[]): FaceError {
  return new FaceError(
    'ERR_INTERNAL',
    `The stored ${recordName(store, key)} of this encrypted database is not encrypted: it was written by other code or altered on disk. ${repairAdvice(store)}`,
  );
}

function keyInvalid(database: string, why: string, cause?: unknown): FaceError {
  return new FaceError(
    'ERR_ENCRYPTION_KEY_INVALID',
    `The encryption key does not open the database "${database}" (${why}). Pass the passphrase or CryptoKey it was created with; nothing was read or changed.`,
    cause === undefined ? {} : { cause },
  );
}

/** The additional data binding a sealed value to its record. */
function location(store: string, key: readonly (string | number)[], bound: unknown[]): Bytes {
  return utf8(JSON.stringify(bound.length === 0 ? [store, ...key] : [store, ...key, bound]));
}

/** u32 count, u32 length per vector, then the floats. */
function packVectors(vectors: readonly Float32Array[]): Bytes {
  const total = vectors.reduce((n, v) => n + v.length, 0);
  const head = 4 * (1 + vectors.length);
  const out = new Uint8Array(head + 4 * total);
  const view = new DataView(out.buffer);
  view.setUint32(0, vectors.length, true);
  vectors.forEach((v, i) => view.setUint32(4 * (1 + i), v.length, true));
  let o = head;
  for (const v of vectors) {
    out.set(new Uint8Array(v.buffer, v.byteOffset, v.byteLength), o);
    o += v.byteLength;
  }
  return out;
}

function unpackVectors(bytes: Bytes): Float32Array[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = view.getUint32(0, true);
  let o = 4 * (1 + n);
  const out: Float32Array[] = [];
  for (let i = 0; i < n; i++) {
    const len = view.getUint32(4 * (1 + i), true);
    out.push(new Float32Array(bytes.slice(o, o + 4 * len).buffer));
    o += 4 * len;
  }
  return out;
}

function utf8(s: string): Bytes {
  return new Uint8Array(new TextEncoder().encode(s));
}

function describe(x: unknown): string {
  return x === null ? 'null' : Array.isArray(x) ? 'an array' : typeof x;
}
