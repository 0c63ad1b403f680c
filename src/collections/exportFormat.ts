import { FaceError } from '../errors';
import { sha256Bytes } from '../sha256';
import { concatBytes, sameElements } from '../vocabulary';
import { newPassphraseKey, passphraseIterationsInRange, PBKDF2_ITERATIONS, withPassphraseKey } from './passphraseKey';
import * as v from './validate';

/**
 * The collection export file (version 1). Binary, little-endian:
 *
 *   "LFEXPORT"  u32 headerLength  header (UTF-8 JSON)  SHA-256(header)
 *   record*     each: u8 type  u32 bodyLength  body  SHA-256(type ‖ length ‖ body)
 *   SHA-256(SHA-256(header) ‖ every record's hash)   — the whole-file checksum, catches reordering and truncation
 *
 * The header is always in clear (format version, the embedding models and their dimensions, the key derivation
 * parameters) so a file of other models is refused before any decryption. Records, in order: one `collection`,
 * then per person one `person` followed by its `image`s, then one `end` with the counts. With a passphrase every
 * body is `iv(12) ‖ AES-GCM-256(plain)` with a PBKDF2-SHA-256 key and the header hash, record index and type as
 * additional data, so a record cannot be moved to another place or file; checksums cover the encrypted bytes, so
 * corruption (ERR_INVALID_EXPORT) is told apart from a wrong passphrase (ERR_ENCRYPTION_KEY_INVALID).
 *
 * person body: u32 jsonLength  JSON {personId, personName, metadata, createdAt, updatedAt, faces:[{faceId, createTime}]}
 *              then per face its vectors (float32, the header's model order) concatenated.
 * image body:  u32 jsonLength  JSON {faceId, kind, type}  then the image bytes.
 */
export const EXPORT_FORMAT_VERSION = 1;
const MAGIC = new Uint8Array([...'LFEXPORT'].map((c) => c.charCodeAt(0)));
const HASH_BYTES = 32;
type Bytes = Uint8Array<ArrayBuffer>;
const IV_BYTES = 12;
const MAX_HEADER_BYTES = 64 * 1024;
/** A person with many faces and 16 KB of metadata stays far below this; a corrupt length cannot allocate more. */
const MAX_BODY_BYTES = 64 * 1024 * 1024;
const READ_CHUNK_BYTES = 4 * 1024 * 1024;
/** Written parts are folded into a Blob every this many bytes, so the browser can keep them out of the JS heap. */
const FOLD_BYTES = 16 * 1024 * 1024;

const enum RecordType {
  Collection = 1,
  Person = 2,
  Image = 3,
  End = 255,
}

export interface ExportHeader {
  format: 'localface-collection';
  version: number;
  models: string[];
  dims: number[];
  encryption?: { cipher: 'AES-GCM'; kdf: 'PBKDF2-SHA-256'; iterations: number; salt: string };
}

export interface ExportedFace {
  faceId: string;
  createTime: number;
  vectors: Float32Array[];
  image?: { kind: 'thumbnail' | 'full'; blob: Blob };
}

export interface ExportedPerson {
  personId: string;
  personName: string;
  metadata: Record<string, unknown>;
  createdAt: number;
  updatedAt: number;
  faces: ExportedFace[];
}

export interface ExportedCollection {
  name: string;
  createdAt: number;
  personCount: number;
  faceCount: number;
  includeImages: boolean;
}

export interface DecodedExport {
  header: ExportHeader;
  collection: ExportedCollection;
  persons: ExportedPerson[];
}

// ---- writing ----------------------------------------------------------------------------------------------------

/**
 * Builds the file record by record into a list of parts (one Blob at the end), so no single giant string or buffer
 * is ever made; images are added as the Blobs they are stored as when the file is not encrypted.
 */
export class ExportWriter {
  /** Finished Blobs of earlier records, and the parts written since. */
  private readonly folded: Blob[] = [];
  private parts: BlobPart[] = [];
  private pendingBytes = 0;
  private readonly recordHashes: Bytes[] = [];
  private index = 0;

  private constructor(
    private readonly headerHash: Bytes,
    private readonly key: CryptoKey | undefined,
  ) {}

  static async create(models: readonly string[], dims: readonly number[], passphrase?: string): Promise<ExportWriter> {
    const header: ExportHeader = {
      format: 'localface-collection',
      version: EXPORT_FORMAT_VERSION,
      models: [...models],
      dims: [...dims],
    };
    let key: CryptoKey | undefined;
    if (passphrase !== undefined) {
      const salt = crypto.getRandomValues(new Uint8Array(16));
      header.encryption = {
        cipher: 'AES-GCM',
        kdf: 'PBKDF2-SHA-256',
        iterations: PBKDF2_ITERATIONS,
        salt: toBase64(salt),
      };
      key = await newPassphraseKey(passphrase, salt);
    }
    const headerBytes = jsonBytes(header);
    const headerHash = await sha256Bytes(headerBytes);
    const writer = new ExportWriter(headerHash, key);
    writer.parts.push(MAGIC, u32(headerBytes.length), headerBytes, headerHash);
    return writer;
  }

  async collection(c: ExportedCollection): Promise<void> {
    await this.record(RecordType.Collection, [jsonBytes(c)]);
  }

  async person(p: ExportedPerson): Promise<void> {
    const meta = {
      personId: p.personId,
      personName: p.personName,
      metadata: p.metadata,
      createdAt: p.createdAt,
      updatedAt: p.updatedAt,
      faces: p.faces.map((f) => ({ faceId: f.faceId, createTime: f.createTime })),
    };
    const vectors = p.faces.flatMap((f) =>
      f.vectors.map((vec) => new Uint8Array(vec.buffer as ArrayBuffer, vec.byteOffset, vec.byteLength)),
    );
    await this.record(RecordType.Person, [...withLength(jsonBytes(meta)), ...vectors]);
    for (const f of p.faces) {
      if (f.image)
        await this.record(RecordType.Image, [
          ...withLength(jsonBytes({ faceId: f.faceId, kind: f.image.kind, type: f.image.blob.type })),
          f.image.blob,
        ]);
    }
  }

  async finish(counts: { persons: number; faces: number; images: number }): Promise<Blob> {
    await this.record(RecordType.End, [jsonBytes({ records: this.index, ...counts })]);
    this.parts.push(await sha256Bytes(concatBytes([this.headerHash, ...this.recordHashes])));
    return new Blob([...this.folded, ...this.parts], { type: 'application/vnd.localface.collection' });
  }

  private async record(type: RecordType, plain: (Bytes | Blob)[]): Promise<void> {
    let body: Bytes | Blob;
    if (this.key) {
      const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES));
      const clear = await partsToBytes(plain);
      const sealed = new Uint8Array(
        await crypto.subtle.encrypt(
          { name: 'AES-GCM', iv, additionalData: additionalData(this.headerHash, this.index, type) },
          this.key,
          clear,
        ),
      );
      body = concatBytes([iv, sealed]);
    } else {
      // Unencrypted image bytes stay Blobs (the browser may keep them on disk); only the hash reads them.
      body = plain.every((p) => p instanceof Uint8Array) ? concatBytes(plain as Bytes[]) : new Blob(plain);
    }
    const bodyLength = body instanceof Blob ? body.size : body.length;
    const prefix = concatBytes([new Uint8Array([type]), u32(bodyLength)]);
    const bodyBytes = body instanceof Blob ? new Uint8Array(await body.arrayBuffer()) : body;
    const hash = await sha256Bytes(concatBytes([prefix, bodyBytes]));
    this.parts.push(prefix, body, hash);
    this.recordHashes.push(hash);
    this.index++;
    this.pendingBytes += bodyLength + 5 + HASH_BYTES;
    if (this.pendingBytes >= FOLD_BYTES) {
      this.folded.push(new Blob(this.parts));
      this.parts = [];
      this.pendingBytes = 0;
    }
  }
}

// ---- reading ----------------------------------------------------------------------------------------------------

/**
 * Reads and checks a whole export: every checksum, the decryption of every record, the structure and every value
 * (ids, names, metadata, finite vectors of the header's dimensions, unique ids, the counts). Throws a FaceError —
 * ERR_INVALID_EXPORT, ERR_MODEL_MISMATCH (checked against `models` first, from the header) or
 * ERR_ENCRYPTION_KEY_INVALID — and returns only a fully valid content. The file is read in 4 MB slices.
 */
export async function readExport(
  file: Blob,
  options: { passphrase?: string; models: readonly string[]; dims: readonly number[] },
): Promise<DecodedExport> {
  const reader = new ChunkReader(file);
  const magic = await reader.read(MAGIC.length, 'the file signature');
  if (!sameElements(magic, MAGIC))
    throw invalidExport(
      'it does not start with the LocalFace export signature (not an export file, or not from LocalFace)',
    );
  const headerLength = readU32(await reader.read(4, 'the header length'), 0);
  if (headerLength > MAX_HEADER_BYTES) throw invalidExport(`its header length (${headerLength} bytes) is impossible`);
  const headerBytes = await reader.read(headerLength, 'the header');
  const headerHash = await sha256Bytes(headerBytes);
  if (!sameElements(headerHash, await reader.read(HASH_BYTES, "the header's checksum")))
    throw invalidExport("the header's checksum does not match (the file is corrupt)");
  const header = parseHeader(headerBytes);
  if (!sameElements(header.models, options.models) || !sameElements(header.dims, options.dims)) {
    throw new FaceError(
      'ERR_MODEL_MISMATCH',
      `This export holds face templates of the embedding models [${header.models.join(', ')}], but this LocalFace uses [${options.models.join(', ')}]; templates of different models cannot be compared. Import it with the LocalFace version that exported it, or re-enroll the persons.`,
      { metadata: { exportModels: header.models, currentModels: [...options.models] } },
    );
  }
  const encryption = header.encryption;
  if (encryption && options.passphrase === undefined)
    throw new FaceError(
      'ERR_ENCRYPTION_KEY_INVALID',
      'This export is encrypted: pass the passphrase it was exported with ({ passphrase }).',
    );
  if (!encryption && options.passphrase !== undefined)
    throw new FaceError('ERR_INVALID_ARGUMENT', 'This export is not encrypted; import it without a passphrase.');
  let key: CryptoKey | undefined;

  const dim = header.dims.reduce((a, b) => a + b, 0);
  const recordHashes: Bytes[] = [];
  let collection: ExportedCollection | undefined;
  const persons: ExportedPerson[] = [];
  const facesById = new Map<string, ExportedFace>();
  const personIds = new Set<string>();
  let images = 0;
  for (let index = 0; ; index++) {
    const prefix = await reader.read(5, `record ${index}`);
    const type = prefix[0]!;
    const length = readU32(prefix, 1);
    if (length > MAX_BODY_BYTES) throw invalidExport(`record ${index} claims ${length} bytes`);
    const body = await reader.read(length, `record ${index}`);
    const hash = await sha256Bytes(concatBytes([prefix, body]));
    if (!sameElements(hash, await reader.read(HASH_BYTES, `the checksum of record ${index}`)))
      throw invalidExport(`the checksum of record ${index} does not match (the file is corrupt)`);
    recordHashes.push(hash);
    // Record 0 opening proves the key: a later record that does not open was altered, not locked with another key.
    let plain = body;
    if (key) plain = await open(key, body, headerHash, index, type, true);
    else if (encryption)
      ({ key, plain } = await withPassphraseKey(
        options.passphrase!,
        fromBase64(encryption.salt),
        encryption.iterations,
        async (k) => ({ key: k, plain: await open(k, body, headerHash, index, type, false) }),
      ));

    if (index === 0) {
      if (type !== RecordType.Collection) throw invalidExport('its first record is not the collection record');
      collection = parseCollection(parseJson(plain, index));
      continue;
    }
    if (type === RecordType.Person) {
      const person = parsePerson(plain, index, dim, header.dims);
      if (personIds.has(person.personId)) throw invalidExport(`personId "${person.personId}" appears twice`);
      personIds.add(person.personId);
      for (const f of person.faces) {
        if (facesById.has(f.faceId)) throw invalidExport(`faceId "${f.faceId}" appears twice`);
        facesById.set(f.faceId, f);
      }
      persons.push(person);
    } else if (type === RecordType.Image) {
      const { meta, rest } = splitJson(plain, index);
      const faceId = asExportValue(() => v.faceId(meta.faceId), `the faceId of image record ${index}`);
      const face = persons.length > 0 ? persons[persons.length - 1]!.faces.find((f) => f.faceId === faceId) : undefined;
      if (!face || face.image) throw invalidExport(`image record ${index} belongs to no face of the person before it`);
      if (meta.kind !== 'thumbnail' && meta.kind !== 'full')
        throw invalidExport(`image record ${index} has an unknown kind`);
      const jpeg = meta.type === 'image/jpeg' ? withoutMetadataSegments(rest) : undefined;
      if (!jpeg) throw invalidExport(`image record ${index} is not the JPEG image its type says`);
      face.image = { kind: meta.kind, blob: new Blob([jpeg], { type: 'image/jpeg' }) };
      images++;
    } else if (type === RecordType.End) {
      const end = parseJson(plain, index);
      const faceCount = facesById.size;
      if (end.records !== index || end.persons !== persons.length || end.faces !== faceCount || end.images !== images) {
        throw invalidExport('its record counts do not match its contents (records are missing)');
      }
      if (collection!.personCount !== persons.length || collection!.faceCount !== faceCount)
        throw invalidExport("its collection record's counts do not match its contents");
      const fileHash = await reader.read(HASH_BYTES, 'the file checksum');
      if (!sameElements(fileHash, await sha256Bytes(concatBytes([headerHash, ...recordHashes]))))
        throw invalidExport('the whole-file checksum does not match (records were reordered or replaced)');
      if (!reader.atEnd) throw invalidExport('there are bytes after its end');
      return { header, collection: collection!, persons };
    } else {
      throw invalidExport(`record ${index} has an unknown type ${type}`);
    }
  }
}

function parseHeader(bytes: Bytes): ExportHeader {
  let h: unknown;
  try {
    h = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    throw invalidExport('its header is not valid JSON');
  }
  const o = h as Partial<ExportHeader> | null;
  if (!o || typeof o !== 'object' || o.format !== 'localface-collection')
    throw invalidExport('its header does not describe a LocalFace collection');
  if (typeof o.version !== 'number') throw invalidExport('its header has no numeric format version');
  if (o.version !== EXPORT_FORMAT_VERSION)
    throw invalidExport(
      `it has format version ${o.version}; this LocalFace reads version ${EXPORT_FORMAT_VERSION} (update LocalFace)`,
    );
  if (
    !Array.isArray(o.models) ||
    !o.models.every((m) => typeof m === 'string') ||
    !Array.isArray(o.dims) ||
    o.dims.length !== o.models.length ||
    !o.dims.every((d) => Number.isInteger(d) && d > 0 && d <= 65536)
  )
    throw invalidExport('its header lists no valid models');
  const e = o.encryption;
  if (
    e !== undefined &&
    (typeof e !== 'object' ||
      e === null ||
      e.cipher !== 'AES-GCM' ||
      e.kdf !== 'PBKDF2-SHA-256' ||
      typeof e.iterations !== 'number' ||
      !passphraseIterationsInRange(e.iterations) ||
      typeof e.salt !== 'string' ||
      e.salt.length > 64)
  )
    throw invalidExport('its encryption parameters are invalid');
  return o as ExportHeader;
}

function parseCollection(o: Record<string, unknown>): ExportedCollection {
  const name = asExportValue(() => v.collectionName(o.name), 'its collection name');
  if (!isTime(o.createdAt) || !isCount(o.personCount) || !isCount(o.faceCount) || typeof o.includeImages !== 'boolean')
    throw invalidExport('its collection record is invalid');
  return {
    name,
    createdAt: o.createdAt,
    personCount: o.personCount,
    faceCount: o.faceCount,
    includeImages: o.includeImages,
  };
}

function parsePerson(plain: Bytes, index: number, dim: number, dims: readonly number[]): ExportedPerson {
  const { meta, rest } = splitJson(plain, index);
  try {
    const personId = v.personId(meta.personId);
    // addFace without a personId makes a person with an empty name; such a person must come back too.
    const personName = meta.personName === '' ? '' : v.personName(meta.personName);
    const metadata = v.metadata(meta.metadata);
    if (!isTime(meta.createdAt) || !isTime(meta.updatedAt) || !Array.isArray(meta.faces))
      throw invalidExport(`person record ${index} is invalid`);
    const faceMetas = meta.faces as unknown[];
    if (rest.length !== faceMetas.length * dim * 4)
      throw invalidExport(`person record ${index} holds ${rest.length} vector bytes for ${faceMetas.length} faces`);
    const all = new Float32Array(rest.slice().buffer);
    const faces = faceMetas.map((fm, i): ExportedFace => {
      const f = fm as Record<string, unknown> | null;
      if (!f || typeof f !== 'object' || !isTime(f.createTime))
        throw invalidExport(`a face of person record ${index} is invalid`);
      const row = all.subarray(i * dim, (i + 1) * dim);
      if (!row.every(Number.isFinite)) throw invalidExport(`a template of person record ${index} is not finite`);
      let o = 0;
      const vectors = dims.map((d) => row.slice(o, (o += d)));
      // Scores are dot products of unit vectors: a longer vector would outscore every real match.
      if (!vectors.every(isUnitLength)) throw invalidExport(`a template of person record ${index} is not unit length`);
      return { faceId: v.faceId(f.faceId), createTime: f.createTime, vectors };
    });
    return { personId, personName, metadata, createdAt: meta.createdAt, updatedAt: meta.updatedAt, faces };
  } catch (e) {
    if (e instanceof FaceError && e.code !== 'ERR_INVALID_EXPORT')
      throw invalidExport(`person record ${index} is invalid (${e.message})`);
    throw e;
  }
}

function isUnitLength(v: Float32Array): boolean {
  let sum = 0;
  for (const x of v) sum += x * x;
  return Math.abs(Math.sqrt(sum) - 1) <= 1e-3;
}

/** JFIF's APP0 length without a thumbnail: the length field, "JFIF\0", version, units, densities, thumbnail size. */
const JFIF_HEADER_LENGTH = 16;

/**
 * A JPEG without its metadata segments: every APPn but JFIF's APP0 and the ICC colour profile's APP2, and comments,
 * wherever they are (before the first scan or between scans), and anything after the end-of-image marker. Of JFIF,
 * only the first APP0 is kept, cut to its 14-byte header without a thumbnail (which could be another picture).
 * Every image LocalFace stores is a JPEG it encoded, with only those two; a hand-made export could bring EXIF (GPS
 * position, device, time) or other bytes in, which no enroll stores. Undefined: not a well-formed JPEG (no frame
 * header before the first scan, a segment cut short, no end-of-image marker).
 */
export function withoutMetadataSegments(bytes: Bytes): Bytes | undefined {
  if (bytes.length < 4 || bytes[0] !== 0xff || bytes[1] !== 0xd8) return undefined;
  const kept: Bytes[] = [bytes.subarray(0, 2)];
  let at = 2;
  let frame = false;
  let jfif = false;
  for (;;) {
    if (at + 2 > bytes.length || bytes[at] !== 0xff) return undefined;
    const marker = bytes[at + 1]!;
    if (marker === 0xff) {
      at++; // a fill byte before a marker
      continue;
    }
    if (marker === 0xd9) {
      kept.push(bytes.subarray(at, at + 2)); // end of image: whatever follows is dropped
      return concatBytes(kept);
    }
    // Markers without a length (a restart outside a scan, TEM, a second start of image, a stuffed zero) do not
    // belong here.
    if (marker === 0x00 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd8)) return undefined;
    if (at + 4 > bytes.length) return undefined;
    const length = (bytes[at + 2]! << 8) | bytes[at + 3]!;
    let end = at + 2 + length;
    if (length < 2 || end > bytes.length) return undefined;
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) frame = true;
    if (marker === 0xda) {
      if (!frame) return undefined;
      // The entropy-coded data runs to the next marker: 0xFF not followed by a stuffed 0x00 or a restart marker.
      while (
        end + 1 < bytes.length &&
        !(bytes[end] === 0xff && bytes[end + 1] !== 0x00 && !(bytes[end + 1]! >= 0xd0 && bytes[end + 1]! <= 0xd7))
      )
        end++;
      if (end + 1 >= bytes.length) return undefined;
      kept.push(bytes.subarray(at, end));
      at = end;
      continue;
    }
    const id = (text: string) => [...text].every((c, i) => bytes[at + 4 + i] === c.charCodeAt(0));
    const isApp = marker >= 0xe0 && marker <= 0xef;
    const kept0 = marker === 0xe0 && id('JFIF\0');
    const kept2 = marker === 0xe2 && id('ICC_PROFILE\0');
    const metadata = (isApp && !kept0 && !kept2) || marker === 0xfe;
    if (kept0) {
      if (!jfif && length >= JFIF_HEADER_LENGTH) {
        const header = bytes.slice(at, at + 2 + JFIF_HEADER_LENGTH);
        header[2] = 0;
        header[3] = JFIF_HEADER_LENGTH;
        header[16] = 0; // thumbnail width and height
        header[17] = 0;
        kept.push(header);
        jfif = true;
      }
    } else if (!metadata) kept.push(bytes.subarray(at, end));
    at = end;
  }
}

function splitJson(plain: Bytes, index: number): { meta: Record<string, unknown>; rest: Bytes } {
  if (plain.length < 4) throw invalidExport(`record ${index} is too short`);
  const n = readU32(plain, 0);
  if (4 + n > plain.length) throw invalidExport(`record ${index} is too short`);
  return { meta: parseJson(plain.subarray(4, 4 + n), index), rest: plain.subarray(4 + n) };
}

function parseJson(bytes: Bytes, index: number): Record<string, unknown> {
  let o: unknown;
  try {
    o = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    throw invalidExport(`record ${index} is not valid JSON`);
  }
  if (o === null || typeof o !== 'object' || Array.isArray(o)) throw invalidExport(`record ${index} is not an object`);
  return o as Record<string, unknown>;
}

async function open(
  key: CryptoKey,
  body: Bytes,
  headerHash: Bytes,
  index: number,
  type: number,
  keyProven: boolean,
): Promise<Bytes> {
  if (body.length < IV_BYTES + 16) throw invalidExport(`record ${index} is too short to be encrypted`);
  try {
    return new Uint8Array(
      await crypto.subtle.decrypt(
        { name: 'AES-GCM', iv: body.subarray(0, IV_BYTES), additionalData: additionalData(headerHash, index, type) },
        key,
        body.subarray(IV_BYTES),
      ),
    );
  } catch (cause) {
    if (keyProven)
      throw invalidExport(
        `record ${index} does not open with the key that opened the records before it: the file was altered after it was exported`,
      );
    // The checksums are not keyed, so they do not tell a wrong passphrase from a file altered and re-summed.
    throw new FaceError(
      'ERR_ENCRYPTION_KEY_INVALID',
      'The passphrase does not open this export. Check the passphrase it was exported with (or the file was altered: its checksums still match).',
      { cause },
    );
  }
}

/** Sequential reads of a Blob in READ_CHUNK_BYTES slices; a read past the end is a truncated file. */
class ChunkReader {
  private buffer: Bytes = new Uint8Array(0);
  private offset = 0;
  private position = 0;

  constructor(private readonly file: Blob) {}

  get atEnd(): boolean {
    return this.offset >= this.buffer.length && this.position >= this.file.size;
  }

  async read(n: number, what: string): Promise<Bytes> {
    while (this.buffer.length - this.offset < n) {
      if (this.position >= this.file.size) throw invalidExport(`it ends before ${what} (the file is truncated)`);
      const next = Math.min(
        this.file.size,
        this.position + Math.max(READ_CHUNK_BYTES, n - (this.buffer.length - this.offset)),
      );
      const chunk = new Uint8Array(await this.file.slice(this.position, next).arrayBuffer());
      this.position = next;
      this.buffer = concatBytes([this.buffer.subarray(this.offset), chunk]);
      this.offset = 0;
    }
    const out = this.buffer.subarray(this.offset, this.offset + n);
    this.offset += n;
    return out;
  }
}

// ---- helpers ----------------------------------------------------------------------------------------------------

/** A value checked by validate.ts: its argument error becomes ERR_INVALID_EXPORT. */
function asExportValue<T>(check: () => T, what: string): T {
  try {
    return check();
  } catch (e) {
    throw invalidExport(`${what} is invalid (${e instanceof Error ? e.message : String(e)})`);
  }
}

export function invalidExport(why: string): FaceError {
  return new FaceError(
    'ERR_INVALID_EXPORT',
    `This is not a valid LocalFace collection export: ${why}. Nothing was imported; export the collection again.`,
  );
}

function additionalData(headerHash: Bytes, index: number, type: number): Bytes {
  return concatBytes([headerHash, u32(index), new Uint8Array([type])]);
}

async function partsToBytes(parts: (Bytes | Blob)[]): Promise<Bytes> {
  return concatBytes(
    await Promise.all(parts.map(async (p) => (p instanceof Blob ? new Uint8Array(await p.arrayBuffer()) : p))),
  );
}

function jsonBytes(value: unknown): Bytes {
  return new Uint8Array(new TextEncoder().encode(JSON.stringify(value)));
}

function withLength(bytes: Bytes): Bytes[] {
  return [u32(bytes.length), bytes];
}

function u32(n: number): Bytes {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, n, true);
  return out;
}

function readU32(bytes: Bytes, at: number): number {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(at, true);
}

function isTime(x: unknown): x is number {
  return typeof x === 'number' && Number.isFinite(x) && x >= 0;
}

function isCount(x: unknown): x is number {
  return Number.isInteger(x) && (x as number) >= 0;
}

function toBase64(bytes: Bytes): string {
  return btoa(String.fromCharCode(...bytes));
}

function fromBase64(s: string): Bytes {
  try {
    return Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
  } catch {
    throw invalidExport('its encryption salt is invalid');
  }
}
