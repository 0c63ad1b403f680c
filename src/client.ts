import { asFaceError, clientClosedError, FaceError, requireWebCrypto } from './errors';
import type { ApiKeys } from './collections/apiKeys';
import { CollectionServices } from './collections/services';
import { FaceStore, type ConnectionLoss } from './collections/store/database';
import { PUT_FACE_OF, SEARCH_LARGEST_FACE, type PutFaceOfRequest } from './collections/restWrites';
import { checkEncryptionOption } from './collections/store/cipher';
import {
  PersonService,
  type AddedFace,
  type AddFaceRequest,
  type BulkEnrollResult,
  type Collection,
  type EnrolledPerson,
  type EnrollPersonRequest,
  type EnrollPersonsOptions,
  type ExportCollectionOptions,
  type ImportCollectionOptions,
  type MultiFaceSearchRequest,
  type MultiFaceSearchResult,
  type FindLookAlikesRequest,
  type FindLookAlikesResult,
  type Person,
  type PersonSummary,
  type SearchFaceRequest,
  type SearchResult,
  type UpdatePersonRequest,
  exportFileOf,
} from './collections/persons';
import {
  boolean as booleanOption,
  collectionName as checkCollectionName,
  onlyKnownKeys,
  show as showValue,
} from './collections/validate';
import {
  validate,
  type CheckedFace,
  type FaceAttributes,
  type FaceLiveness,
  type FaceQuality,
  type ValidationReason,
} from './face/checks';
import { FaceEngine, noFaceError } from './face/engine';
import { createFaceTracker, type FaceTracker, type FaceTrackerOptions } from './tracker/faceTracker';
import { inputScale, resolveImageLimits } from './face/input/decode';
import type { ImageLimits } from './face/input/limits';
import type { BackendChoice, BackendName } from './models/backend';
import { defaultModelBaseUrl } from './models/defaultModelBase';
import { ModelFiles } from './models/modelFiles';
import {
  faceInInput,
  keypointList,
  type Box,
  type DetectedFace,
  type FaceKeypoint,
  type HeadPose,
  type EncryptionOption,
  type ImageInput,
  type LoadProgress,
} from './vocabulary';

export interface FaceClientOptions {
  /** Where the models/ folder is served. Default: the models/ folder next to the library file. */
  modelBaseUrl?: string | URL;
  /**
   * Default 'auto': WebGL on a hardware GPU, else WASM (software WebGL is ~10× slower than WASM). A page runs one
   * backend: while another client of the page is open, 'auto' takes its backend and another choice is refused.
   */
  backend?: BackendChoice;
  /** IndexedDB database for collections. Default 'localface'. */
  databaseName?: string;
  /** Model download progress, per stage ('detector', 'embedder', ...). Default: none. */
  onProgress?: (p: LoadProgress) => void;
  /**
   * Limits for input images, each a positive integer (a key left out or `undefined` keeps its default). Default
   * `{ maxBytes: 5 MB, minDimension: 128, maxDimension: 6000, maxPixels: 36,000,000 }`; anything else (NaN, a
   * string, an unknown key, a value above its ceiling) is ERR_INVALID_ARGUMENT.
   */
  imageLimits?: Partial<ImageLimits>;
  /**
   * Encryption at rest of the database's templates, names, metadata and stored images (AES-GCM-256): a passphrase
   * (PBKDF2-SHA-256 with a per-database salt) or an AES-GCM CryptoKey. A database created with it can only be opened
   * with the same one (else ERR_ENCRYPTION_KEY_INVALID); a database holding plain collections is not encrypted in
   * place (ERR_INVALID_ARGUMENT). Default: none. README "Your data" says what each option protects against.
   */
  encryption?: EncryptionOption;
  /**
   * Default 'auto': on the WASM backend, with at least 2 cores, Workers and Cache Storage, the MobileFaceNet embedder
   * loads and runs in a Worker (models/localface-embedder.worker.js) beside dlib: the same templates, less work on
   * the calling thread at start-up and a fifth to a third less time per face (2 cores). Where that file cannot load
   * (not served, a CSP without worker-src for this origin) or the Worker fails, MobileFaceNet loads on the calling
   * thread instead. 1: one thread.
   */
  threads?: 'auto' | 1;
}

export interface DetectFacesOptions {
  /** Blur, darkness and greyscale scores. Default true. */
  quality?: boolean;
  /** Sunglasses, mask, veil and hat probabilities. Default true. */
  attributes?: boolean;
  /** Passive (single-image) presentation-attack check. Default false. */
  liveness?: boolean;
}

export type { FaceKeypoint };

/** One face found by detectFaces / validateFace, in pixels of the input image. */
export interface Face {
  box: Box;
  /** Detector confidence in [0, 1]. */
  score: number;
  keypoints: FaceKeypoint[];
  /** Degrees, estimated from the keypoints. */
  pose: HeadPose;
  /** With `quality: true`: blur, dark, grayscale in [0, 1] and whether the face passes. */
  quality?: FaceQuality;
  /** With `attributes: true`: probabilities of sunglasses, mask, veil, hat. */
  attributes?: FaceAttributes;
  /** With `liveness: true`: passive (single-image) presentation-attack check. */
  liveness?: FaceLiveness;
}

/** validateFace's switches: each check runs only when asked. */
export interface ValidateFaceOptions {
  /** Fail on a blurred, dark or greyscale face (FAIL_ON bit 4). Default false. */
  validateQuality?: boolean;
  /** Fail on sunglasses or a mask (probability ≥ 0.5; a veil reads as a mask) (FAIL_ON bit 2). Default false. */
  validateAttribute?: boolean;
  /** Fail on a face that is not live (FAIL_ON bit 1). Default false. */
  validateLiveness?: boolean;
  /** Fail when another face is at least half as wide as the largest (FAIL_ON bit 8). Default false. */
  validateNface?: boolean;
}

export type ValidateFaceResult =
  { ok: true; faces: Face[] } | { ok: false; failOn: number; reasons: ValidationReason[] };

export interface CompareFacesResult {
  /** Calibrated similarity in [0, 1]: 0.7 ⇔ 0.1 % false matches on LFW different-person pairs. */
  similarityScore: number;
}

export interface PersonRequest {
  collectionName: string;
  personId: string;
}

export interface FaceRequest {
  collectionName: string;
  /** As returned by addFace() or listed by getPerson(). */
  faceId: string;
}

export interface ListPersonsRequest {
  collectionName: string;
  /** Persons to skip, in personId order. Default 0. */
  offset?: number;
  /** At most this many persons (1–1000). Default 100. */
  limit?: number;
}

export interface ListPersonsResult {
  persons: PersonSummary[];
  /** Persons in the collection. */
  total: number;
}

/** A request to a collection handle: the client's request without `collectionName`. */
export type InCollection<R> = Omit<R, 'collectionName'>;

/** One collection's methods, from client.collection(name): the client's requests without `collectionName`. */
export interface FaceCollection {
  readonly name: string;
  enrollPerson(request: InCollection<EnrollPersonRequest>): Promise<EnrolledPerson>;
  enrollPersons(
    requests: InCollection<EnrollPersonRequest>[],
    options?: EnrollPersonsOptions,
  ): Promise<BulkEnrollResult[]>;
  addFace(request: InCollection<AddFaceRequest>): Promise<AddedFace>;
  getPerson(request: InCollection<PersonRequest>): Promise<Person>;
  listPersons(request?: InCollection<ListPersonsRequest>): Promise<ListPersonsResult>;
  updatePerson(request: InCollection<UpdatePersonRequest>): Promise<PersonSummary>;
  deletePerson(request: InCollection<PersonRequest>): Promise<void>;
  deleteFace(request: InCollection<FaceRequest>): Promise<void>;
  searchFace(request: InCollection<SearchFaceRequest>): Promise<SearchResult[]>;
  multiFaceSearch(request: InCollection<MultiFaceSearchRequest>): Promise<MultiFaceSearchResult>;
  findLookAlikes(request?: InCollection<FindLookAlikesRequest>): Promise<FindLookAlikesResult>;
  /** exportCollection of this collection. */
  export(options?: ExportCollectionOptions): Promise<Blob>;
}

/**
 * The on-device face client. Methods on images take the image first and an options object; methods on a
 * collection's persons and faces take one request object `{ collectionName, ... }` (the positional forms of the
 * API contract, e.g. `getPerson(collectionName, personId)`, are accepted too).
 */
export interface FaceClient {
  /** The TF.js backend actually in use. */
  readonly backend: BackendName;
  /** Ids of the embedding models whose templates this client makes and compares. */
  readonly modelIds: readonly string[];
  /** Threads embedding runs on: 2 when the embedding Worker (`threads: 'auto'`) runs MobileFaceNet, else 1. */
  readonly threads: 1 | 2;
  /** API keys for createRestHandler: stored in this client's database as salted hashes only. */
  readonly apiKeys: ApiKeys;

  /** Every face in `image`, largest first, with the requested checks. */
  detectFaces(image: ImageInput, options?: DetectFacesOptions): Promise<Face[]>;
  /** Checks the largest face; failOn is the FAIL_ON_<n> mask (liveness 1, attribute 2, quality 4, number of faces 8). */
  validateFace(image: ImageInput, options?: ValidateFaceOptions): Promise<ValidateFaceResult>;
  /** 1:1: the calibrated similarity of the largest face in each image. */
  compareFaces(faceA: ImageInput, faceB: ImageInput): Promise<CompareFacesResult>;

  createCollection(name: string): Promise<Collection>;
  listCollections(): Promise<Collection[]>;
  /** Removes the collection with its persons and faces. */
  deleteCollection(name: string): Promise<void>;
  /** A handle on one collection, whose methods take the requests below without `collectionName`. */
  collection(name: string): FaceCollection;
  /**
   * One file (a Blob) with the collection's persons, metadata, templates (with their model ids), optionally the stored
   * images, and checksums; encrypted with `passphrase`. Defaults: `includeImages: false`, no passphrase.
   */
  exportCollection(name: string, options?: ExportCollectionOptions): Promise<Blob>;
  /**
   * Restores an export. Everything is checked before anything is written, then it is written in one transaction: a
   * corrupt or truncated file is ERR_INVALID_EXPORT, templates of other models ERR_MODEL_MISMATCH, a wrong passphrase
   * ERR_ENCRYPTION_KEY_INVALID, a name in use ERR_COLLECTION_EXISTS (with the default `onConflict: 'fail'`); a
   * failed import changes nothing. `file`: the export's Blob, or its bytes. Defaults: `name` the exported one, no
   * passphrase, `onConflict: 'fail'`.
   */
  importCollection(file: Blob | ArrayBuffer | Uint8Array, options?: ImportCollectionOptions): Promise<Collection>;

  /** Upsert on personId: an existing person's name, metadata and faces are replaced. */
  enrollPerson(request: EnrollPersonRequest): Promise<EnrolledPerson>;
  /** One enrollPerson per request, each on its own (a failing item stores nothing and does not stop the rest). */
  enrollPersons(requests: EnrollPersonRequest[], options?: EnrollPersonsOptions): Promise<BulkEnrollResult[]>;
  /** Adds a face to a person (no personId: a new person with a generated id). */
  addFace(request: AddFaceRequest): Promise<AddedFace>;
  getPerson(request: PersonRequest): Promise<Person>;
  getPerson(collectionName: string, personId: string): Promise<Person>;
  listPersons(request: ListPersonsRequest): Promise<ListPersonsResult>;
  listPersons(collectionName: string, options?: { offset?: number; limit?: number }): Promise<ListPersonsResult>;
  /** Changes a person's name and/or metadata; no face needed. */
  updatePerson(request: UpdatePersonRequest): Promise<PersonSummary>;
  deletePerson(request: PersonRequest): Promise<void>;
  deletePerson(collectionName: string, personId: string): Promise<void>;
  deleteFace(request: FaceRequest): Promise<void>;
  deleteFace(collectionName: string, faceId: string): Promise<void>;
  /** 1:N: the persons matching the face(s) in `face`, best first, each once. */
  searchFace(request: SearchFaceRequest): Promise<SearchResult[]>;
  /** N:N: every face of `image` matched to at most one person; thumbnails of the faces nobody matched. */
  multiFaceSearch(request: MultiFaceSearchRequest): Promise<MultiFaceSearchResult>;
  /** The closest pairs of different persons in a collection (a check of the threshold on a deployment's own people). */
  findLookAlikes(request: FindLookAlikesRequest): Promise<FindLookAlikesResult>;
  /**
   * A tracker for live video: decodes and detects each frame once, follows faces with stable trackIds and decides
   * who each is (with `collectionName`) and whether it is live (with `liveness: true`) over the track's frames.
   */
  createFaceTracker(options?: FaceTrackerOptions): FaceTracker;
  /**
   * Frees the models, closes the database and closes every tracker the client made (once calls already running have
   * ended). Later calls reject with ERR_INVALID_ARGUMENT.
   */
  close(): Promise<void>;
}

const CLIENT_OPTION_KEYS = [
  'modelBaseUrl',
  'backend',
  'databaseName',
  'onProgress',
  'imageLimits',
  'encryption',
  'threads',
] as const satisfies readonly (keyof FaceClientOptions)[];

export async function createFaceClient(options: FaceClientOptions = {}): Promise<FaceClient> {
  if (options === null || typeof options !== 'object')
    throw new FaceError('ERR_INVALID_ARGUMENT', 'createFaceClient takes an options object (or nothing).');
  onlyKnownKeys(options as Record<string, unknown>, CLIENT_OPTION_KEYS, 'createFaceClient options');
  const backend = options.backend ?? 'auto';
  if (!['auto', 'webgl', 'wasm', 'cpu'].includes(backend)) {
    throw new FaceError(
      'ERR_INVALID_ARGUMENT',
      `backend must be 'auto', 'webgl', 'wasm' or 'cpu'; got ${showValue(backend)}.`,
    );
  }
  // Importing the package on a server works (server-side rendering); a client there, or in a simulated DOM (jsdom,
  // happy-dom: a document, no image decoding), would fail further on with errors about model URLs or TF.js internals.
  if (
    (typeof document === 'undefined' && !('WorkerGlobalScope' in globalThis)) ||
    typeof createImageBitmap !== 'function'
  )
    throw new FaceError(
      'ERR_INTERNAL',
      'createFaceClient runs in a browser (a page or a Worker), and this is not one (Node.js, a server rendering the page, or a simulated DOM such as jsdom). Import LocalFace anywhere, but create the client in the browser: e.g. in a component once it is mounted, or behind a dynamic import.',
      { metadata: { reason: 'not-a-browser' } },
    );
  const databaseName = options.databaseName ?? 'localface';
  if (typeof databaseName !== 'string' || databaseName.length === 0)
    throw new FaceError('ERR_INVALID_ARGUMENT', 'databaseName must be a non-empty string.');
  const imageLimits = resolveImageLimits(options.imageLimits);
  // Before the option's own checks: on a page without WebCrypto a { key } could not even have been made with it.
  if (options.encryption !== undefined) requireWebCrypto('Encryption at rest (the encryption option)');
  const encryption = checkEncryptionOption(options.encryption);
  if (options.onProgress !== undefined && typeof options.onProgress !== 'function')
    throw new FaceError('ERR_INVALID_ARGUMENT', 'onProgress must be a function, called with { stage, loaded, total }.');
  const files = new ModelFiles(
    options.modelBaseUrl === undefined ? defaultModelBaseUrl() : options.modelBaseUrl,
    options.onProgress,
  );
  const threads = options.threads ?? 'auto';
  if (threads !== 'auto' && threads !== 1)
    throw new FaceError('ERR_INVALID_ARGUMENT', `threads must be 'auto' or 1; got ${showValue(threads)}.`);
  // With encryption the database is opened now, while the models load, so that a wrong key or passphrase is
  // ERR_ENCRYPTION_KEY_INVALID from createFaceClient itself. Other failures to open are left to the first
  // collection call, as without encryption (detect and compare do not need the database).
  const keyCheck =
    encryption && typeof indexedDB !== 'undefined' ? FaceStore.open(databaseName, encryption) : undefined;
  const [engineResult, storeResult] = await Promise.allSettled([
    FaceEngine.create({ files, backend, imageLimits, threads }),
    keyCheck,
  ]);
  const store = storeResult.status === 'fulfilled' ? storeResult.value : undefined;
  if (engineResult.status === 'rejected') {
    store?.close();
    throw asFaceError(engineResult.reason, 'Loading the models');
  }
  const engine = engineResult.value;
  if (storeResult.status === 'rejected') {
    const error = storeResult.reason as unknown;
    if (error instanceof FaceError && error.code === 'ERR_ENCRYPTION_KEY_INVALID') {
      // The Worker's model-cache writes finish before dispose() terminates it (the next visit then starts from cache).
      await engine.cacheWritten();
      await engine.dispose();
      throw error;
    }
  }
  return new LocalFaceClient(engine, databaseName, encryption, store);
}

class LocalFaceClient implements FaceClient {
  private closed = false;
  private closing?: Promise<void>;
  /** Opened on the first collection call, so detect/compare work where IndexedDB is unavailable. */
  private opening: Promise<CollectionServices> | undefined;
  /** The connection the open collections use (replaced when the database is opened again after a loss). */
  private current: FaceStore | undefined;
  /** Why the last connection ended, if it did: explains a key that no longer opens the database opened again. */
  private lastLoss: ConnectionLoss | undefined;
  /** Calls still running: close() lets them finish before it frees the models and closes the database. */
  private readonly running = new Set<Promise<unknown>>();
  /**
   * The trackers this client made: close() closes them, since their tracks hold templates and frames. Held weakly:
   * a tracker the app let go of is not kept alive by its client.
   */
  private readonly trackers = new Set<WeakRef<FaceTracker>>();

  readonly apiKeys: ApiKeys = {
    create: (request) => this.keys((keys) => keys.create(request)),
    list: () => this.keys((keys) => keys.list()),
    revoke: (keyId) => this.keys((keys) => keys.revoke(keyId)),
    verify: (key, keyId) => this.keys((keys) => keys.verify(key, keyId)),
    consume: (keyId, use) => this.keys((keys) => keys.consume(keyId, use)),
  };

  /**
   * Kept to open the database again (another tab deleted it); dropped by close(). A JavaScript private field, so code
   * handed the client cannot read the passphrase off it.
   */
  #encryption: EncryptionOption | undefined;

  constructor(
    private readonly engine: FaceEngine,
    private readonly databaseName: string,
    encryption: EncryptionOption | undefined,
    /** The database when createFaceClient already opened it (to check an encryption key). */
    private openedStore?: FaceStore,
  ) {
    this.#encryption = encryption;
  }

  get backend(): BackendName {
    return this.engine.backend;
  }

  get modelIds(): readonly string[] {
    return this.engine.modelIds;
  }

  get threads(): 1 | 2 {
    return this.engine.threads;
  }

  detectFaces(image: ImageInput, options: DetectFacesOptions = {}): Promise<Face[]> {
    return this.call(() => this.detectFacesNow(image, options));
  }

  private async detectFacesNow(image: ImageInput, options: DetectFacesOptions): Promise<Face[]> {
    if (options === null || typeof options !== 'object')
      throw new FaceError(
        'ERR_INVALID_ARGUMENT',
        'detectFaces options must be an object such as { quality: true, attributes: true, liveness: false }.',
      );
    onlyKnownKeys(options as Record<string, unknown>, ['quality', 'attributes', 'liveness'], 'detectFaces options');
    const request = {
      quality: booleanOption(options.quality, 'quality', true),
      attributes: booleanOption(options.attributes, 'attributes', true),
      liveness: booleanOption(options.liveness, 'liveness', false),
    };
    return this.engine.withImage(image, 'image', async (decoded) => {
      const faces = await this.engine.detect(decoded.pixels, 'all', request);
      const checked = await this.engine.check(decoded.pixels, faces, request);
      return faces.map((f, i) => ({ ...toPublicFace(faceInInput(f, inputScale(decoded))), ...checked[i] }));
    });
  }

  validateFace(image: ImageInput, options: ValidateFaceOptions = {}): Promise<ValidateFaceResult> {
    return this.call(() => this.validateFaceNow(image, options));
  }

  private async validateFaceNow(image: ImageInput, options: ValidateFaceOptions): Promise<ValidateFaceResult> {
    if (options === null || typeof options !== 'object')
      throw new FaceError(
        'ERR_INVALID_ARGUMENT',
        'validateFace options must be an object such as { validateQuality: true }.',
      );
    onlyKnownKeys(
      options as Record<string, unknown>,
      ['validateQuality', 'validateAttribute', 'validateLiveness', 'validateNface'],
      'validateFace options',
    );
    const request = {
      quality: booleanOption(options.validateQuality, 'validateQuality', false),
      attributes: booleanOption(options.validateAttribute, 'validateAttribute', false),
      liveness: booleanOption(options.validateLiveness, 'validateLiveness', false),
    };
    booleanOption(options.validateNface, 'validateNface', false);
    return this.engine.withImage(image, 'image', async (decoded) => {
      const faces = await this.engine.detect(decoded.pixels, 'all', request);
      if (faces.length === 0) throw noFaceError('image', decoded);
      // Only the largest face is checked; the others count for the number-of-faces rule.
      const [largest] = await this.engine.check(decoded.pixels, faces.slice(0, 1), request);
      const result = validate<CheckedFace>(
        faces.map((f, i) => (i === 0 ? { ...f, ...largest } : f)),
        options,
      );
      if (!result.ok) return { ok: false, failOn: result.failOn, reasons: result.reasons };
      return {
        ok: true,
        faces: result.faces.map((f) => ({ ...toPublicFace(faceInInput(f, inputScale(decoded))), ...pickChecks(f) })),
      };
    });
  }

  compareFaces(faceA: ImageInput, faceB: ImageInput): Promise<CompareFacesResult> {
    return this.call(async () => {
      const a = await this.engine.templateOf(faceA, 'faceA');
      const b = await this.engine.templateOf(faceB, 'faceB');
      return { similarityScore: this.engine.compare(a, b) };
    });
  }

  createCollection(name: string): Promise<Collection> {
    return this.persons((s) => s.createCollection(name));
  }
  listCollections(): Promise<Collection[]> {
    return this.persons((s) => s.listCollections());
  }
  deleteCollection(name: string): Promise<void> {
    return this.persons((s) => s.deleteCollection(name));
  }

  collection(name: string): FaceCollection {
    const collectionName = checkCollectionName(name);
    const inCollection = <R>(request: R) => {
      if (request === null || typeof request !== 'object' || Array.isArray(request)) return request; // the client reports it
      return { ...request, collectionName };
    };
    return {
      name: collectionName,
      enrollPerson: (r) => this.enrollPerson(inCollection(r) as EnrollPersonRequest),
      enrollPersons: (rs, o) =>
        this.enrollPersons((Array.isArray(rs) ? rs.map(inCollection) : rs) as EnrollPersonRequest[], o),
      addFace: (r) => this.addFace(inCollection(r) as AddFaceRequest),
      getPerson: (r) => this.getPerson(inCollection(r) as PersonRequest),
      listPersons: (r = {}) => this.listPersons(inCollection(r) as ListPersonsRequest),
      updatePerson: (r) => this.updatePerson(inCollection(r) as UpdatePersonRequest),
      deletePerson: (r) => this.deletePerson(inCollection(r) as PersonRequest),
      deleteFace: (r) => this.deleteFace(inCollection(r) as FaceRequest),
      searchFace: (r) => this.searchFace(inCollection(r) as SearchFaceRequest),
      multiFaceSearch: (r) => this.multiFaceSearch(inCollection(r) as MultiFaceSearchRequest),
      findLookAlikes: (r = {}) => this.findLookAlikes(inCollection(r) as FindLookAlikesRequest),
      export: (o) => this.exportCollection(collectionName, o),
    };
  }

  exportCollection(name: string, options?: ExportCollectionOptions): Promise<Blob> {
    return this.persons((s) => s.exportCollection(name, options));
  }
  importCollection(file: Blob | ArrayBuffer | Uint8Array, options?: ImportCollectionOptions): Promise<Collection> {
    let blob: Blob;
    try {
      blob = exportFileOf(file); // bytes copied now: the caller may reuse or transfer its buffer once this returns
    } catch (error) {
      return Promise.reject(error as Error);
    }
    return this.persons((s) => s.importCollection(blob, options));
  }

  enrollPerson(request: EnrollPersonRequest): Promise<EnrolledPerson> {
    return this.persons((s) => s.enrollPerson(request));
  }
  enrollPersons(requests: EnrollPersonRequest[], options?: EnrollPersonsOptions): Promise<BulkEnrollResult[]> {
    return this.persons((s) => s.enrollPersons(requests, options));
  }
  addFace(request: AddFaceRequest): Promise<AddedFace> {
    return this.persons((s) => s.addFace(request));
  }
  getPerson(request: PersonRequest | string, personId?: string): Promise<Person> {
    return this.persons((s) => s.getPerson(request, personId));
  }
  /** Not on FaceClient: for the REST dialects (src/rest/context.ts putFaceOf). */
  [PUT_FACE_OF](request: PutFaceOfRequest): Promise<AddedFace> {
    return this.persons((s) => s.putFaceOf(request));
  }
  listPersons(
    request: ListPersonsRequest | string,
    options?: { offset?: number; limit?: number },
  ): Promise<ListPersonsResult> {
    return this.persons((s) => s.listPersons(request, options));
  }
  updatePerson(request: UpdatePersonRequest): Promise<PersonSummary> {
    return this.persons((s) => s.updatePerson(request));
  }
  deletePerson(request: PersonRequest | string, personId?: string): Promise<void> {
    return this.persons((s) => s.deletePerson(request, personId));
  }
  deleteFace(request: FaceRequest | string, faceId?: string): Promise<void> {
    return this.persons((s) => s.deleteFace(request, faceId));
  }
  searchFace(request: SearchFaceRequest): Promise<SearchResult[]> {
    return this.persons((s) => s.searchFace(request));
  }
  /** Not on FaceClient: for the REST dialects (src/rest/context.ts searchLargestFace). */
  [SEARCH_LARGEST_FACE](request: SearchFaceRequest): Promise<SearchResult[]> {
    return this.persons((s) => s.searchFace(request, { largestOnly: true }));
  }
  multiFaceSearch(request: MultiFaceSearchRequest): Promise<MultiFaceSearchResult> {
    return this.persons((s) => s.multiFaceSearch(request));
  }
  findLookAlikes(request: FindLookAlikesRequest): Promise<FindLookAlikesResult> {
    return this.persons((s) => s.findLookAlikes(request));
  }

  createFaceTracker(options: FaceTrackerOptions = {}): FaceTracker {
    this.assertOpen();
    const tracker = createFaceTracker(
      {
        engine: this.engine,
        persons: () => this.open().then(({ persons }) => persons),
        during: (work) => this.call(() => asFaceErrors('The face tracker call', work)),
      },
      options,
    );
    for (const ref of this.trackers) if (!ref.deref()) this.trackers.delete(ref);
    this.trackers.add(new WeakRef(tracker));
    return tracker;
  }

  close(): Promise<void> {
    // A second call waits for the first: its caller may delete the database next.
    this.closing ??= this.shutDown();
    return this.closing;
  }

  private async shutDown(): Promise<void> {
    this.closed = true;
    // Calls already running end as they would have (their results or errors are theirs), then the models go.
    await Promise.allSettled([...this.running]);
    for (const ref of this.trackers) ref.deref()?.close();
    this.trackers.clear();
    this.#encryption = undefined;
    // The Worker's model-cache writes finish before dispose() terminates it (the next visit then starts from cache).
    await this.engine.cacheWritten();
    await this.engine.dispose();
    if (this.opening) {
      try {
        (await this.opening).close();
      } catch {
        // the database never opened: nothing to close
      }
    } else {
      this.openedStore?.close();
    }
  }

  private keys<T>(use: (keys: CollectionServices['apiKeys']) => Promise<T>): Promise<T> {
    return this.call(async () => {
      const { apiKeys } = await this.open();
      return asFaceErrors('The API key call', () => use(apiKeys));
    });
  }

  /** A public call: refused once the client is closed; while it runs, close() waits for it. */
  private call<T>(work: () => Promise<T>): Promise<T> {
    let running: Promise<T>;
    try {
      this.assertOpen();
      running = work();
    } catch (error) {
      return Promise.reject(error as Error);
    }
    this.running.add(running);
    const settled = () => this.running.delete(running);
    running.then(settled, settled);
    return running;
  }

  private persons<T>(use: (service: PersonService) => Promise<T>): Promise<T> {
    return this.call(async () => {
      const { persons } = await this.open();
      return asFaceErrors('The collection call', () => use(persons));
    });
  }

  /** The database and its services, opened on first use (by a call that already checked the client is open). */
  private async open(): Promise<CollectionServices> {
    if (!this.opening) {
      const opening = this.openCollections().catch((error: unknown) => {
        throw asFaceError(error, 'Opening the database');
      });
      this.opening = opening;
      opening.catch(() => {
        if (this.opening === opening) this.opening = undefined; // let a later call retry
      });
    }
    return this.opening;
  }

  private async openCollections(): Promise<CollectionServices> {
    if (typeof indexedDB === 'undefined') {
      throw new FaceError(
        'ERR_INTERNAL',
        'IndexedDB is not available in this browser context (e.g. a private mode that disables it), so collections cannot be stored. detectFaces and compareFaces still work.',
      );
    }
    // The connection createFaceClient opened (to check an encryption key) is used once, unless it was lost since.
    const opened = this.openedStore;
    this.openedStore = undefined;
    if (opened?.lost) {
      this.lastLoss = opened.loss;
      opened.close();
    }
    const store =
      opened && !opened.lost
        ? opened
        : await FaceStore.open(this.databaseName, this.#encryption).catch(this.reopenError);
    this.current = store;
    return new CollectionServices(store, this.engine, (loss) => {
      // Templates of a database deleted or cleared elsewhere are zeroed here too; after a deletion or the browser
      // ending the connection, the next call opens the database again (an upgrade needs a reload instead).
      this.lastLoss = loss;
      if (loss !== 'upgraded' && this.current === store) {
        this.opening = undefined;
        this.current = undefined;
      }
    });
  }

  /**
   * A database deleted (or cleared) elsewhere and made again with another key, or plain: this client's key, which
   * opened it before, no longer does. Said so, or the user would retype the very passphrase that opened it, or
   * follow advice meant for a database that was always plain (delete it: another tab's new data).
   */
  private readonly reopenError = (error: unknown): never => {
    if (!(error instanceof FaceError) || (this.lastLoss !== 'deleted' && this.lastLoss !== 'terminated')) throw error;
    const how =
      this.lastLoss === 'deleted' ? 'deleted by another tab or window of this site' : 'cleared by the browser';
    const after = `The database "${this.databaseName}" was ${how} after this client opened it, and has been created again`;
    if (error.code === 'ERR_ENCRYPTION_KEY_INVALID')
      throw new FaceError(
        'ERR_ENCRYPTION_KEY_INVALID',
        `${after} with ${this.#encryption ? 'another encryption key' : 'an encryption key'}, which this client cannot open. Create the client again with the key it has now. No record was read or written.`,
        { cause: error, metadata: error.metadata },
      );
    if (error.code === 'ERR_INVALID_ARGUMENT' && error.metadata?.reason === 'plain-database')
      throw new FaceError(
        'ERR_INVALID_ARGUMENT',
        `${after} without encryption, and holds its collections in clear; this encrypting client does not write into it. Create the client again without encryption to use it, or on another databaseName. Nothing was read or changed.`,
        { cause: error, metadata: error.metadata },
      );
    throw error;
  };

  private assertOpen(): void {
    if (this.closed) throw clientClosedError();
  }
}

function toPublicFace(face: DetectedFace): Face {
  const { box, score, keypoints, pose } = face;
  return {
    box: { ...box },
    score,
    keypoints: keypointList(keypoints),
    pose: { ...pose },
  };
}

function pickChecks(f: {
  quality?: FaceQuality;
  attributes?: FaceAttributes;
  liveness?: FaceLiveness;
}): Pick<Face, 'quality' | 'attributes' | 'liveness'> {
  return {
    ...(f.quality ? { quality: f.quality } : {}),
    ...(f.attributes ? { attributes: f.attributes } : {}),
    ...(f.liveness ? { liveness: f.liveness } : {}),
  };
}

/** `work`'s result; any failure that is not a FaceError becomes ERR_INTERNAL naming `what` (see asFaceError). */
async function asFaceErrors<T>(what: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw asFaceError(error, what);
  }
}
