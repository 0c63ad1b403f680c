import { asFaceError, FaceError, requireWebCrypto } from '../errors';
import { competingFaces } from '../face/checks';
import { noFaceError, type FaceEngine } from '../face/engine';
import { blobOf, bytesOf, describeInput, inputScale, isBlob } from '../face/input/decode';
import { blobToBase64, faceThumbnail, fullImageJpeg } from '../face/thumbnail';
import {
  boxInInput,
  DEFAULT_MATCH_THRESHOLD,
  randomId,
  sameElements,
  type Box,
  type FaceTemplate,
  type ImageInput,
} from '../vocabulary';
import { ExportWriter, readExport, type ExportedPerson } from './exportFormat';
import type { CollectionIndex, PersonHit } from './search/collectionIndex';
import type { FusedScorer } from './search/fusedScorer';
import type { SearchIndexes } from './search/searchIndexes';
import type { FaceStore, NewFace } from './store/database';
import type { CollectionRecord, PersonRecord } from './store/schema';
import type { PutFaceOfRequest } from './restWrites';
import * as v from './validate';
import type { FaceStorageType } from './validate';

// ---- public types (re-exported from src/index.ts) ------------------------------------------------------------

export interface Collection {
  name: string;
  /** ms since the epoch. */
  createdAt: number;
  personCount: number;
}

export type Metadata = Record<string, unknown>;

export interface EnrollPersonRequest {
  collectionName: string;
  /** 1–255 characters, case-sensitive, unique in the collection; an existing id is replaced (upsert). */
  personId: string;
  /** 1–1024 characters. */
  personName: string;
  /** An image with the face; its largest face is enrolled. */
  face: ImageInput;
  /**
   * Reject with ERR_TOO_MANY_FACES when the image holds another face at least half as wide as the largest, instead of
   * enrolling the largest. Default false.
   */
  validateNface?: boolean;
  /** Reject with ERR_DUPLICATE_FACE when another person matches the face. Default false. */
  checkDuplicates?: boolean;
  /** The duplicate check's threshold, a search similarity in [0, 1]. Default 0.7. */
  duplicateCheckMinSimilarity?: number;
  /** Reject a face that is not live with ERR_LIVENESS_ERROR. Default false. */
  checkLiveness?: boolean;
  /** Which image to keep with the template. Default 'NoStorage'. */
  faceStorageType?: FaceStorageType;
  /** A JSON object of at most 16 KB serialised. Default {}. */
  metadata?: Metadata;
}

export interface EnrolledPerson {
  personId: string;
  personName: string;
  metadata: Metadata;
  /** '' for NoStorage, a JPEG face thumbnail for StoreThumbnails, the full input image for StoreFullImage, re-encoded as an upright JPEG without EXIF (base64). */
  faceBase64: string;
}

export type BulkEnrollResult =
  | { personId: string; ok: true; person: EnrolledPerson }
  | { personId: string; ok: false; error: { code: string; message: string } };

export interface BulkEnrollProgress {
  done: number;
  total: number;
  personId: string;
  ok: boolean;
}

export interface EnrollPersonsOptions {
  /** Called after each item (an exception it throws is ignored). Default: none. */
  onProgress?: (p: BulkEnrollProgress) => void;
}

export interface AddFaceRequest {
  collectionName: string;
  /** The person the face belongs to; omitted: a new person with a generated id. */
  personId?: string;
  face: ImageInput;
  /** Which image to keep with the template. Default 'NoStorage'. */
  faceStorageType?: FaceStorageType;
}

export interface AddedFace {
  faceId: string;
  personId: string;
  /** ms since the epoch. */
  createTime: number;
}

export interface StoredFace {
  faceId: string;
  createTime: number;
  faceBase64: string;
}

export interface Person {
  personId: string;
  personName: string;
  metadata: Metadata;
  faceCount: number;
  faces: StoredFace[];
}

export type PersonSummary = Omit<Person, 'faces'>;

export interface UpdatePersonRequest {
  collectionName: string;
  personId: string;
  /** 1–1024 characters. Default: unchanged. */
  personName?: string;
  /** Replaces the whole metadata; a JSON object of at most 16 KB serialised. Default: unchanged. */
  metadata?: Metadata;
}

export interface SearchFaceRequest {
  collectionName: string;
  face: ImageInput;
  /** Results scoring below this are left out, in [0, 1]. Default 0.7. */
  minSimilarityScore?: number;
  /** At most this many persons (1–1000). Default 1. */
  maxResults?: number;
  /** Reject a face that is not live with ERR_LIVENESS_ERROR. Default false. */
  checkLiveness?: boolean;
}

export interface SearchResult {
  personId: string;
  personName: string;
  metadata: Metadata;
  /** The stored image of the person's best-matching face ('' if stored with NoStorage). */
  faceBase64: string;
  similarityScore: number;
}

export interface MultiFaceSearchRequest {
  collectionName: string;
  image: ImageInput;
  /** Matches scoring below this are left out, in [0, 1]. Default 0.7. */
  minSimilarityScore?: number;
}

export interface MultiFaceSearchResult {
  personSearchResults: (SearchResult & { box: Box })[];
  unrecognizedFaceThumbnailsBase64: string[];
}

/** findLookAlikes scores every pair of persons: about a minute at this size on a 2-core machine (BENCHMARKS.md). */
export const MAX_LOOK_ALIKE_PERSONS = 10_000;

export interface FindLookAlikesRequest {
  collectionName: string;
  /** At most this many pairs (1–1000). Default 10. */
  maxPairs?: number;
}

/** One person of a look-alike pair (a SearchResult without a score: the pair has one). */
export type LookAlikePerson = Omit<SearchResult, 'similarityScore'>;

export interface LookAlikePair {
  personA: LookAlikePerson;
  personB: LookAlikePerson;
  /** What searchFace in this collection would score one of them against the other (same scale as minSimilarityScore). */
  similarityScore: number;
}

export interface FindLookAlikesResult {
  /** The closest pairs of different persons, most alike first. */
  pairs: LookAlikePair[];
  /** Persons in the collection (every pair of them was compared). */
  personsCompared: number;
}

export interface ExportCollectionOptions {
  /** Include the stored face images (thumbnails or full images). Default false: templates, names and metadata only. */
  includeImages?: boolean;
  /** Encrypt the file (AES-GCM-256, key from PBKDF2-SHA-256 with 600,000 iterations and a random salt). Default: not encrypted. */
  passphrase?: string;
}

export type ImportConflict = 'fail' | 'replace' | 'merge';

export interface ImportCollectionOptions {
  /** The name to import under. Default: the exported collection's name. */
  name?: string;
  /** The passphrase the file was exported with. Default: none (the file must not be encrypted). */
  passphrase?: string;
  /**
   * When a collection of that name exists: 'fail' (ERR_COLLECTION_EXISTS), 'replace' it, or 'merge' (imported persons
   * replace those of the same personId, the others stay). Default 'fail'.
   */
  onConflict?: ImportConflict;
}

/** A search compares each face with at most this many candidate persons before the one-to-one assignment. */
const MULTI_FACE_CANDIDATES = 5;
/** Retries of an enroll whose duplicate check was overtaken by a concurrent write. */
const DUPLICATE_CHECK_RETRIES = 5;
/**
 * Searches of an index that a write made stale before its hits were read (see searchAndHydrate). Each retry reads
 * the index as the database is then, so only a write landing in every one of these short windows exhausts them.
 */
const STALE_SEARCH_ATTEMPTS = 10;

/**
 * Collections, persons and search (docs/api.md): argument checks, image work,
 * then exactly one storage transaction per mutation, then the in-memory index update.
 */
export class PersonService {
  /**
   * The last duplicate-checked write of each collection in this tab. Such writes take turns between their check and
   * their write: in parallel they would keep overtaking each other's checked revision and run out of retries. The
   * revision check still guards against other tabs.
   */
  private readonly duplicateCheckTurns = new Map<string, Promise<unknown>>();

  constructor(
    private readonly store: FaceStore,
    private readonly indexes: SearchIndexes,
    private readonly engine: FaceEngine,
    private readonly scorer: FusedScorer,
  ) {}

  // ---- collections ----

  async createCollection(name: unknown): Promise<Collection> {
    const record = await this.store.createCollection(
      v.newCollectionName(name),
      this.engine.modelIds,
      this.engine.dimensions,
      Date.now(),
    );
    // A fresh collection with the name of a deleted one must not reuse an index another tab still holds.
    this.indexes.dropped(record.name);
    return toCollection(record);
  }

  async listCollections(): Promise<Collection[]> {
    return (await this.store.listCollections()).map(toCollection);
  }

  async deleteCollection(name: unknown): Promise<void> {
    const n = v.collectionName(name);
    await this.store.deleteCollection(n);
    this.indexes.dropped(n);
  }

  // ---- export / import ----

  async exportCollection(name: unknown, options: unknown = {}): Promise<Blob> {
    const collection = v.collectionName(name);
    const o = v.requireObject(options, 'exportCollection options');
    v.onlyKnownKeys(o, ['includeImages', 'passphrase'], 'exportCollection options');
    const includeImages = v.boolean(o.includeImages, 'includeImages', false);
    const passphrase = optionalPassphrase(o.passphrase);
    if (passphrase !== undefined) requireWebCrypto('An encrypted export (the passphrase option)');
    const { collection: c, persons, faces, images } = await this.store.readCollection(collection, includeImages);
    // A collection that has no models yet (migrated without a face) is exported as this version's, as it would enroll.
    const [models, dims] = c.models.length > 0 ? [c.models, c.dims] : [this.engine.modelIds, this.engine.dimensions];
    const writer = await ExportWriter.create([...models], [...dims], passphrase);
    const imageOf = new Map(images.map((i) => [i.faceId, i]));
    const facesOf = new Map<string, typeof faces>();
    // Faces of another model set (possible only in databases migrated from the prototype) are never searched: left out.
    for (const f of faces)
      if (sameElements(f.models, c.models)) facesOf.set(f.personId, [...(facesOf.get(f.personId) ?? []), f]);
    let faceCount = 0,
      imageCount = 0;
    for (const list of facesOf.values()) {
      faceCount += list.length;
      imageCount += list.filter((f) => imageOf.has(f.faceId)).length;
    }
    await writer.collection({
      name: c.name,
      createdAt: c.createdAt,
      personCount: persons.length,
      faceCount,
      includeImages,
    });
    for (const p of persons) {
      const own = (facesOf.get(p.personId) ?? []).sort(
        (a, b) => a.createTime - b.createTime || (a.faceId < b.faceId ? -1 : 1),
      );
      const exported: ExportedPerson = {
        personId: p.personId,
        personName: p.personName,
        metadata: p.metadata,
        createdAt: p.createdAt,
        updatedAt: p.updatedAt,
        faces: own.map((f) => {
          const image = imageOf.get(f.faceId);
          return {
            faceId: f.faceId,
            createTime: f.createTime,
            vectors: f.vectors,
            ...(image ? { image: { kind: image.kind, blob: image.blob } } : {}),
          };
        }),
      };
      await writer.person(exported);
    }
    return writer.finish({ persons: persons.length, faces: faceCount, images: imageCount });
  }

  async importCollection(file: unknown, options: unknown = {}): Promise<Collection> {
    const blob = exportFileOf(file);
    const o = v.requireObject(options, 'importCollection options');
    v.onlyKnownKeys(o, ['name', 'passphrase', 'onConflict'], 'importCollection options');
    const name = o.name === undefined ? undefined : v.newCollectionName(o.name);
    const passphrase = optionalPassphrase(o.passphrase);
    if (passphrase !== undefined) requireWebCrypto('Importing an encrypted export (the passphrase option)');
    const onConflict = o.onConflict ?? 'fail';
    if (onConflict !== 'fail' && onConflict !== 'replace' && onConflict !== 'merge') {
      throw new FaceError(
        'ERR_INVALID_ARGUMENT',
        `onConflict must be 'fail', 'replace' or 'merge'; got ${v.show(onConflict)}.`,
      );
    }
    // Everything is read and checked before the one write transaction.
    const decoded = await readExport(blob, {
      passphrase,
      models: this.engine.modelIds,
      dims: this.engine.dimensions,
    });
    // The file's own name is checked like a new one too: an edited file must not create a collection of dots.
    const target = name ?? v.newCollectionName(decoded.collection.name);
    const models = [...decoded.header.models];
    const record = await this.store.importCollection({
      name: target,
      createdAt: decoded.collection.createdAt,
      models,
      dims: [...decoded.header.dims],
      onConflict,
      persons: decoded.persons.map((p) => ({
        person: {
          personId: p.personId,
          personName: p.personName,
          metadata: p.metadata,
          createdAt: p.createdAt,
          updatedAt: p.updatedAt,
        },
        faces: p.faces.map((f) => ({
          faceId: f.faceId,
          createTime: f.createTime,
          models,
          vectors: f.vectors,
          ...(f.image ? { image: f.image } : {}),
        })),
      })),
    });
    // The whole collection changed at once: this tab's and other tabs' indexes reload it on their next search.
    this.indexes.dropped(target);
    return toCollection(record);
  }

  // ---- persons ----

  async enrollPerson(request: unknown): Promise<EnrolledPerson> {
    const r = v.requireObject(request, 'enrollPerson');
    v.onlyKnownKeys(
      r,
      [
        'collectionName',
        'personId',
        'personName',
        'face',
        'validateNface',
        'checkDuplicates',
        'duplicateCheckMinSimilarity',
        'checkLiveness',
        'faceStorageType',
        'metadata',
      ],
      'enrollPerson',
    );
    const collection = v.collectionName(r.collectionName);
    const personId = v.personId(r.personId);
    const personName = v.personName(r.personName);
    const face = v.requireFace(r.face, 'face');
    const validateNface = v.boolean(r.validateNface, 'validateNface', false);
    const checkDuplicates = v.boolean(r.checkDuplicates, 'checkDuplicates', false);
    const minDuplicate = v.similarity(
      r.duplicateCheckMinSimilarity,
      'duplicateCheckMinSimilarity',
      DEFAULT_MATCH_THRESHOLD,
    );
    const checkLiveness = v.boolean(r.checkLiveness, 'checkLiveness', false);
    const storage = v.faceStorageType(r.faceStorageType);
    const metadata = v.metadata(r.metadata);
    await this.indexes.get(collection); // ERR_NOT_FOUND / model mismatch before any image work

    const { newFace, faceBase64 } = await this.prepareFace(face, 'face', storage, {
      checkLiveness,
      validateNface,
    });
    const template: FaceTemplate = { models: newFace.models, vectors: newFace.vectors };
    const write = async (): Promise<EnrolledPerson> => {
      for (let attempt = 0; attempt < DUPLICATE_CHECK_RETRIES; attempt++) {
        let expectRevision: number | undefined;
        if (checkDuplicates) {
          const index = await this.indexes.get(collection);
          const duplicate = this.bestMatch(index, template, personId);
          if (duplicate && duplicate.similarityScore >= minDuplicate) {
            throw new FaceError(
              'ERR_DUPLICATE_FACE',
              `Another person in collection "${collection}" ("${duplicate.personId}") has a face matching this one (similarity ${duplicate.similarityScore.toFixed(3)} ≥ ${minDuplicate}). Update that person instead, or enroll with checkDuplicates: false.`,
              { metadata: { personId: duplicate.personId, similarityScore: duplicate.similarityScore } },
            );
          }
          expectRevision = index.revision;
        }
        const written = await this.store.putPerson({
          collection,
          personId,
          personName,
          metadata,
          faces: [newFace],
          mode: 'replace',
          createIfMissing: true,
          expectRevision,
          now: Date.now(),
        });
        if (!written) continue; // another tab changed the collection after the duplicate check: check again
        this.indexes.committed(written.change);
        return { personId, personName: written.person.personName, metadata: written.person.metadata, faceBase64 };
      }
      throw new FaceError(
        'ERR_INTERNAL',
        `The collection "${collection}" kept changing during the duplicate check of "${personId}"; nothing was stored. Retry the enroll.`,
      );
    };
    return checkDuplicates ? this.inDuplicateCheckTurn(collection, write) : write();
  }

  private async inDuplicateCheckTurn<T>(collection: string, work: () => Promise<T>): Promise<T> {
    const previous = this.duplicateCheckTurns.get(collection) ?? Promise.resolve();
    const mine = previous.then(work); // previous never rejects (see settled)
    const settled = mine.catch(() => undefined);
    this.duplicateCheckTurns.set(collection, settled);
    try {
      return await mine;
    } finally {
      if (this.duplicateCheckTurns.get(collection) === settled) this.duplicateCheckTurns.delete(collection);
    }
  }

  async enrollPersons(requests: unknown, options: unknown = {}): Promise<BulkEnrollResult[]> {
    if (!Array.isArray(requests))
      throw new FaceError('ERR_INVALID_ARGUMENT', 'enrollPersons takes an array of enrollPerson requests.');
    const o = v.requireObject(options, 'enrollPersons options');
    v.onlyKnownKeys(o, ['onProgress'], 'enrollPersons options');
    if (o.onProgress !== undefined && typeof o.onProgress !== 'function')
      throw new FaceError('ERR_INVALID_ARGUMENT', 'onProgress must be a function.');
    const onProgress = o.onProgress as EnrollPersonsOptions['onProgress'];
    const results: BulkEnrollResult[] = [];
    for (const request of requests as unknown[]) {
      const id =
        request !== null &&
        typeof request === 'object' &&
        typeof (request as { personId?: unknown }).personId === 'string'
          ? (request as { personId: string }).personId
          : '';
      // Each item is its own transaction: a failing item stores nothing and does not stop the others.
      try {
        results.push({ personId: id, ok: true, person: await this.enrollPerson(request) });
      } catch (e) {
        const error = asFaceError(e, `Enrolling "${id}"`);
        results.push({ personId: id, ok: false, error: { code: error.code, message: error.message } });
      }
      try {
        onProgress?.({
          done: results.length,
          total: requests.length,
          personId: id,
          ok: results[results.length - 1]!.ok,
        });
      } catch {
        // A throwing progress callback must not abort the enrollment of the remaining persons.
      }
    }
    return results;
  }

  async addFace(request: unknown): Promise<AddedFace> {
    const r = v.requireObject(request, 'addFace');
    v.onlyKnownKeys(r, ['collectionName', 'personId', 'face', 'faceStorageType'], 'addFace');
    const collection = v.collectionName(r.collectionName);
    const givenId = r.personId === undefined ? undefined : v.personId(r.personId);
    const face = v.requireFace(r.face, 'face');
    const storage = v.faceStorageType(r.faceStorageType);
    return this.writeOneFace(collection, givenId ?? randomId(), face, storage, {
      mode: 'append',
      createIfMissing: givenId === undefined,
    });
  }

  /** For the REST dialects: see PutFaceOfRequest. */
  async putFaceOf(request: PutFaceOfRequest): Promise<AddedFace> {
    const collection = v.collectionName(request.collectionName);
    const personId = v.personId(request.personId);
    const face = v.requireFace(request.face, 'face');
    return this.writeOneFace(collection, personId, face, 'NoStorage', {
      mode: request.ifExists === 'replaceFaces' ? 'replace' : 'append',
      createIfMissing: true,
      personNameIfNew: personId,
      refuseExisting: request.ifExists === 'refuse',
    });
  }

  /** One face of `face` written for `personId` in one transaction, as `how` says (FaceStore.putPerson). */
  private async writeOneFace(
    collection: string,
    personId: string,
    face: unknown,
    storage: FaceStorageType,
    how: Pick<Parameters<FaceStore['putPerson']>[0], 'mode' | 'createIfMissing' | 'personNameIfNew' | 'refuseExisting'>,
  ): Promise<AddedFace> {
    await this.indexes.get(collection);
    const { newFace } = await this.prepareFace(face, 'face', storage);
    const written = await this.store.putPerson({ collection, personId, faces: [newFace], ...how, now: Date.now() });
    this.indexes.committed(written!.change);
    return { faceId: newFace.faceId, personId, createTime: newFace.createTime };
  }

  async getPerson(request: unknown, personIdArg?: unknown): Promise<Person> {
    const r = v.requestOrPositional(request, { personId: personIdArg }, 'getPerson');
    v.onlyKnownKeys(r, ['collectionName', 'personId'], 'getPerson');
    const stored = await this.store.getPerson(v.collectionName(r.collectionName), v.personId(r.personId));
    const faces = await Promise.all(
      stored.faces.map(async (f) => ({
        faceId: f.record.faceId,
        createTime: f.record.createTime,
        faceBase64: await blobToBase64(f.image),
      })),
    );
    return { ...toSummary(stored.person), faces };
  }

  async listPersons(request: unknown, options: unknown = {}): Promise<{ persons: PersonSummary[]; total: number }> {
    let o: Record<string, unknown>;
    if (typeof request === 'string') {
      const given = v.requireObject(options, 'listPersons options');
      v.onlyKnownKeys(given, ['offset', 'limit'], 'listPersons options');
      o = { ...given, collectionName: request };
    } else {
      o = v.requireObject(request, 'listPersons');
      v.onlyKnownKeys(o, ['collectionName', 'offset', 'limit'], 'listPersons');
    }
    const name = v.collectionName(o.collectionName);
    const offset = v.integer(o.offset, 'offset', 0, 0, Number.MAX_SAFE_INTEGER);
    const limit = v.integer(o.limit, 'limit', 100, 1, v.MAX_RESULTS_LIMIT);
    const { persons, total } = await this.store.listPersons(name, offset, limit);
    return { persons: persons.map(toSummary), total };
  }

  async updatePerson(request: unknown): Promise<PersonSummary> {
    const r = v.requireObject(request, 'updatePerson');
    v.onlyKnownKeys(r, ['collectionName', 'personId', 'personName', 'metadata'], 'updatePerson');
    const collection = v.collectionName(r.collectionName);
    const personId = v.personId(r.personId);
    if (r.personName === undefined && r.metadata === undefined) {
      throw new FaceError(
        'ERR_INVALID_ARGUMENT',
        'updatePerson needs personName and/or metadata to change (faces change with enrollPerson, addFace and deleteFace).',
      );
    }
    const patch: { personName?: string; metadata?: Metadata } = {};
    if (r.personName !== undefined) patch.personName = v.personName(r.personName);
    if (r.metadata !== undefined) patch.metadata = v.metadata(r.metadata);
    const { person, change } = await this.store.updatePerson(collection, personId, patch, Date.now());
    this.indexes.committed(change);
    return toSummary(person);
  }

  async deletePerson(request: unknown, personIdArg?: unknown): Promise<void> {
    const r = v.requestOrPositional(request, { personId: personIdArg }, 'deletePerson');
    v.onlyKnownKeys(r, ['collectionName', 'personId'], 'deletePerson');
    this.indexes.committed(await this.store.deletePerson(v.collectionName(r.collectionName), v.personId(r.personId)));
  }

  async deleteFace(request: unknown, faceIdArg?: unknown): Promise<void> {
    const r = v.requestOrPositional(request, { faceId: faceIdArg }, 'deleteFace');
    v.onlyKnownKeys(r, ['collectionName', 'faceId'], 'deleteFace');
    this.indexes.committed(await this.store.deleteFace(v.collectionName(r.collectionName), v.faceId(r.faceId)));
  }

  // ---- search ----

  /** `largestOnly`: search the largest face alone (seed 001), not each face of the image (the public rule). */
  async searchFace(request: unknown, { largestOnly = false }: { largestOnly?: boolean } = {}): Promise<SearchResult[]> {
    const r = v.requireObject(request, 'searchFace');
    v.onlyKnownKeys(r, ['collectionName', 'face', 'minSimilarityScore', 'maxResults', 'checkLiveness'], 'searchFace');
    const collection = v.collectionName(r.collectionName);
    const face = v.requireFace(r.face, 'face');
    const minScore = v.similarity(r.minSimilarityScore, 'minSimilarityScore', DEFAULT_MATCH_THRESHOLD);
    const maxResults = v.integer(r.maxResults, 'maxResults', 1, 1, v.MAX_RESULTS_LIMIT);
    const checkLiveness = v.boolean(r.checkLiveness, 'checkLiveness', false);
    await this.indexes.get(collection);
    const templates = await this.engine.withImage(face, 'face', async (decoded) => {
      // Each face is searched (unless only the largest is), so the smaller ones of a wide image are looked for too.
      const mode = checkLiveness || largestOnly ? 'largest' : 'each';
      const faces = await this.engine.detect(decoded.pixels, mode, { liveness: checkLiveness });
      if (faces.length === 0) throw noFaceError('face', decoded);
      if (!checkLiveness) return this.engine.embed(decoded.pixels, largestOnly ? faces.slice(0, 1) : faces);
      // Only the face whose liveness was checked is searched: a small printed photo held up beside a live face
      // must not be matched on the live face's check.
      await this.engine.assertLive(decoded.pixels, faces);
      return this.engine.embed(decoded.pixels, faces.slice(0, 1));
    });
    // Several faces: each is searched and the results merged, best first, each person once (seed 003).
    const { results } = await this.searchAndHydrate(collection, (index) => {
      const best = new Map<string, { faceId: string; similarityScore: number }>();
      for (const t of templates) {
        for (const hit of this.searchIndex(index, t, maxResults)) {
          const similarityScore = hit.score;
          if (similarityScore < minScore) continue;
          const prev = best.get(hit.personId);
          if (!prev || similarityScore > prev.similarityScore)
            best.set(hit.personId, { faceId: hit.faceId, similarityScore });
        }
      }
      return [...best]
        .map(([personId, h]) => ({ personId, ...h }))
        .sort((a, b) => b.similarityScore - a.similarityScore)
        .slice(0, maxResults);
    });
    return results;
  }

  async multiFaceSearch(request: unknown): Promise<MultiFaceSearchResult> {
    const r = v.requireObject(request, 'multiFaceSearch');
    v.onlyKnownKeys(r, ['collectionName', 'image', 'minSimilarityScore'], 'multiFaceSearch');
    const collection = v.collectionName(r.collectionName);
    const image = v.requireFace(r.image, 'image');
    const minScore = v.similarity(r.minSimilarityScore, 'minSimilarityScore', DEFAULT_MATCH_THRESHOLD);
    await this.indexes.get(collection);
    const { assigned, results, unrecognized } = await this.engine.withImage(image, 'image', async (decoded) => {
      const faces = await this.engine.detect(decoded.pixels, 'all');
      if (faces.length === 0) throw noFaceError('image', decoded);
      const templates = await this.engine.embed(decoded.pixels, faces);
      // Candidate (face, person) pairs above the threshold, then a greedy one-to-one assignment best first:
      // a person appears at most once, and each face names at most one person. Hydrated while the pixels are still
      // here: a person deleted since the search (another tab) is left out of the results, and that face then counts
      // as unrecognised, so every face is in one of the two lists.
      const { hits: assigned, results } = await this.searchAndHydrate(collection, (index) => {
        const pairs: { face: number; personId: string; faceId: string; similarityScore: number }[] = [];
        templates.forEach((t, face) => {
          for (const hit of this.searchIndex(index, t, MULTI_FACE_CANDIDATES)) {
            const similarityScore = hit.score;
            if (similarityScore >= minScore)
              pairs.push({ face, personId: hit.personId, faceId: hit.faceId, similarityScore });
          }
        });
        pairs.sort((a, b) => b.similarityScore - a.similarityScore);
        const faceTaken = new Set<number>(),
          personTaken = new Set<string>();
        const chosen: ((typeof pairs)[number] & { box: Box })[] = [];
        for (const p of pairs) {
          if (faceTaken.has(p.face) || personTaken.has(p.personId)) continue;
          faceTaken.add(p.face);
          personTaken.add(p.personId);
          chosen.push({ ...p, box: boxInInput(faces[p.face]!.box, inputScale(decoded)) });
        }
        return chosen;
      });
      const named = new Set(results.map((r) => r.personId));
      const unrecognized: string[] = [];
      for (let i = 0; i < faces.length; i++) {
        const match = assigned.find((a) => a.face === i);
        if (!match || !named.has(match.personId))
          unrecognized.push(await blobToBase64(await faceThumbnail(decoded.pixels, faces[i]!.box)));
      }
      return { assigned, results, unrecognized };
    });
    const boxes = new Map(assigned.map((a) => [a.personId, a.box]));
    return {
      personSearchResults: results.map((res) => ({ ...res, box: boxes.get(res.personId)! })),
      unrecognizedFaceThumbnailsBase64: unrecognized,
    };
  }

  /**
   * The closest pairs of different persons of a collection by their templates: a deployment's own check of its
   * threshold (a pair at or above it would be confused by a search). O(persons²).
   */
  async findLookAlikes(request: unknown): Promise<FindLookAlikesResult> {
    const r = v.requireObject(request, 'findLookAlikes');
    v.onlyKnownKeys(r, ['collectionName', 'maxPairs'], 'findLookAlikes');
    const collection = v.collectionName(r.collectionName);
    const maxPairs = v.integer(r.maxPairs, 'maxPairs', 10, 1, v.MAX_RESULTS_LIMIT);
    let personsCompared = 0;
    let pairs: { personA: string; faceA: string; personB: string; faceB: string; similarityScore: number }[] = [];
    const { results: people } = await this.searchAndHydrate(collection, (index) => {
      if (index.personCount > MAX_LOOK_ALIKE_PERSONS)
        throw new FaceError(
          'ERR_INVALID_ARGUMENT',
          `findLookAlikes compares every pair of persons, which takes minutes beyond ${MAX_LOOK_ALIKE_PERSONS.toLocaleString('en')} persons; collection '${collection}' has ${index.personCount.toLocaleString('en')}.`,
        );
      personsCompared = index.personCount;
      pairs = index
        .closestPersonPairs(
          (row) => this.scorer.queryOfRow(row),
          maxPairs,
          (row) => this.scorer.templateOfRow(row),
          // As a search by one person's template would score the other.
          (a, b, cohort) => this.scorer.searchScoreOf(a, b, index.personCount, cohort),
        )
        .map((p) => ({ ...p, similarityScore: p.score }));
      return [...new Map(pairs.flatMap((p) => [[p.personA, p.faceA] as const, [p.personB, p.faceB] as const]))].map(
        ([personId, faceId]) => ({ personId, faceId, similarityScore: 0 }),
      );
    });
    const byId = new Map(people.map(({ similarityScore: _, ...person }) => [person.personId, person]));
    return {
      pairs: pairs
        .filter((p) => byId.has(p.personA) && byId.has(p.personB))
        .map((p) => ({
          personA: byId.get(p.personA)!,
          personB: byId.get(p.personB)!,
          similarityScore: p.similarityScore,
        })),
      personsCompared,
    };
  }

  /** The `k` best persons of `index` for a probe template, each `score` being the similarityScore a search reports. */
  private searchIndex(index: CollectionIndex, probe: FaceTemplate, k: number): PersonHit[] {
    return index.topPersons(this.scorer.query(probe), k, (row, cohort) =>
      this.scorer.searchScore(probe, row, index.personCount, cohort),
    );
  }

  // ---- templates (internal: the face tracker's search and enroll, whose images were already processed) ----

  /** Changes whenever a collection's search index changes (see SearchIndexes.version). */
  get indexVersion(): number {
    return this.indexes.version;
  }

  /**
   * 1:N search of a template already made by this engine (e.g. a video track's running template): the persons at or
   * above `minScore`, best first, at most `maxResults`. ERR_NOT_FOUND for a missing collection.
   */
  async searchTemplate(
    collectionName: string,
    template: FaceTemplate,
    minScore: number,
    maxResults = 1,
  ): Promise<SearchResult[]> {
    const collection = v.collectionName(collectionName);
    const { results } = await this.searchAndHydrate(collection, (index) =>
      this.searchIndex(index, template, maxResults)
        .map((hit) => ({ personId: hit.personId, faceId: hit.faceId, similarityScore: hit.score }))
        .filter((h) => h.similarityScore >= minScore),
    );
    return results;
  }

  /**
   * Enrolls (upsert on personId, like enrollPerson) a person from templates this engine already made, with an
   * optional face thumbnail each: one transaction. `faceBase64` of the result is the first face's image.
   */
  async enrollTemplates(
    request: unknown,
    faces: readonly { template: FaceTemplate; thumbnail?: Blob; image?: Blob }[],
  ): Promise<EnrolledPerson> {
    const { collection, personId, personName, storage, metadata } = v.templateEnrollRequest(request);
    if (faces.length === 0) throw new FaceError('ERR_FACE_NOT_DETECTED', 'No face to enroll.');
    const stored = (f: (typeof faces)[number]): NewFace['image'] => {
      if (storage === 'NoStorage') return undefined;
      const blob = storage === 'StoreThumbnails' ? f.thumbnail : f.image;
      // Stored faces with and without their image would look like a partial write.
      if (!blob)
        throw new FaceError(
          'ERR_INTERNAL',
          `A face's ${storage === 'StoreThumbnails' ? 'thumbnail' : 'image'} could not be encoded: nothing was stored. Try again, or enroll with faceStorageType 'NoStorage'.`,
        );
      return { kind: storage === 'StoreThumbnails' ? 'thumbnail' : 'full', blob };
    };
    const images = faces.map(stored);
    await this.indexes.get(collection);
    const now = Date.now();
    const newFaces: NewFace[] = faces.map((f, i) => ({
      faceId: randomId(),
      createTime: now,
      models: [...f.template.models],
      vectors: f.template.vectors,
      ...(images[i] ? { image: images[i] } : {}),
    }));
    const written = await this.store.putPerson({
      collection,
      personId,
      personName,
      metadata,
      faces: newFaces,
      mode: 'replace',
      createIfMissing: true,
      now,
    });
    this.indexes.committed(written!.change);
    return {
      personId,
      personName: written!.person.personName,
      metadata: written!.person.metadata,
      faceBase64: await blobToBase64(newFaces[0]!.image?.blob),
    };
  }

  // ---- helpers ----

  /** Decode → largest face → template, plus the image to store; all image work happens before any transaction. */
  private async prepareFace(
    face: unknown,
    argName: string,
    storage: FaceStorageType,
    { checkLiveness = false, validateNface = false }: { checkLiveness?: boolean; validateNface?: boolean } = {},
  ): Promise<{ newFace: NewFace; faceBase64: string }> {
    return this.engine.withImage(face, argName, async (decoded) => {
      const faces = await this.engine.detect(decoded.pixels, 'largest', { liveness: checkLiveness });
      const largest = faces[0];
      if (!largest) throw noFaceError(argName, decoded);
      const others = validateNface ? competingFaces(faces) : 0;
      if (others > 0)
        throw new FaceError(
          'ERR_TOO_MANY_FACES',
          `The ${argName} image shows ${others + 1} faces of similar size: use a photo of one person only, or enroll without validateNface to take the largest face.`,
          { metadata: { argument: argName, faces: others + 1 } },
        );
      if (checkLiveness) await this.engine.assertLive(decoded.pixels, faces);
      const [template] = await this.engine.embed(decoded.pixels, [largest]);
      let blob: Blob | undefined;
      if (storage === 'StoreThumbnails') blob = await faceThumbnail(decoded.pixels, largest.box);
      // Re-encoded from the pixels, never the caller's bytes: those carry EXIF (GPS position, device, time), and the
      // pixels are already upright.
      else if (storage === 'StoreFullImage') blob = await fullImageJpeg(decoded.pixels);
      const newFace: NewFace = {
        faceId: randomId(),
        createTime: Date.now(),
        models: [...template!.models],
        vectors: template!.vectors,
        ...(blob
          ? { image: { kind: storage === 'StoreThumbnails' ? ('thumbnail' as const) : ('full' as const), blob } }
          : {}),
      };
      return { newFace, faceBase64: await blobToBase64(blob) };
    });
  }

  private bestMatch(
    index: CollectionIndex,
    template: FaceTemplate,
    excludePersonId: string,
  ): { personId: string; similarityScore: number } | undefined {
    const hit = this.searchIndex(index, template, 2).find((h) => h.personId !== excludePersonId);
    return hit && { personId: hit.personId, similarityScore: hit.score };
  }

  /**
   * Runs `search` on the collection's index and adds the hits' names, metadata and stored face images. A write that
   * lands between the index read and the details read (an upsert replaces a person's faces, a delete removes them)
   * leaves hits whose face is gone: the details' snapshot then has a later revision than the index searched, and the
   * search runs again on the index as it is now, so that a person stored all along is not dropped. Under a stream of
   * writes, after STALE_SEARCH_ATTEMPTS the stale hits are left out.
   */
  private async searchAndHydrate<H extends { personId: string; faceId: string; similarityScore: number }>(
    collection: string,
    search: (index: CollectionIndex) => H[],
  ): Promise<{ hits: H[]; results: SearchResult[] }> {
    for (let attempt = 1; ; attempt++) {
      const index = await this.indexes.get(collection);
      const hits = search(index);
      const searched = index.revision; // read now: a write of this client applied later moves it
      if (hits.length === 0) return { hits, results: [] };
      const { revision, details } = await this.store.getResultDetails(collection, hits);
      if (details.size < hits.length && revision !== searched && attempt < STALE_SEARCH_ATTEMPTS) continue;
      const results: SearchResult[] = [];
      for (const h of hits) {
        const d = details.get(h.personId);
        if (!d) continue;
        results.push({
          personId: h.personId,
          personName: d.person.personName,
          metadata: d.person.metadata,
          faceBase64: await blobToBase64(d.image),
          similarityScore: h.similarityScore,
        });
      }
      return { hits, results };
    }
  }
}

function optionalPassphrase(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.length === 0 || v.characterCount(value) > 1024)
    throw new FaceError('ERR_INVALID_ARGUMENT', 'passphrase must be a non-empty string of at most 1024 characters.');
  return value;
}

function toCollection(c: CollectionRecord): Collection {
  return { name: c.name, createdAt: c.createdAt, personCount: c.personCount };
}

function toSummary(p: PersonRecord): PersonSummary {
  return { personId: p.personId, personName: p.personName, metadata: p.metadata, faceCount: p.faceCount };
}

/**
 * importCollection's file as a Blob: the Blob (or File) exportCollection made, or its bytes (an ArrayBuffer or
 * Uint8Array: an export kept in IndexedDB, or fetched), copied at once, so that a caller reusing or transferring the
 * buffer after the call does not change what is imported.
 */
export function exportFileOf(file: unknown): Blob {
  if (isBlob(file)) return file;
  const bytes = bytesOf(file, 'file');
  if (!bytes)
    throw new FaceError(
      'ERR_INVALID_ARGUMENT',
      `importCollection takes the Blob (or File) that exportCollection made, or its bytes (an ArrayBuffer or Uint8Array); got ${describeInput(file)}.`,
    );
  return blobOf(bytes);
}
