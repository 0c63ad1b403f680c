import * as tf from './models/tf';
import type { DetectedFace } from './face/detection/faceDetector';
import type { HeadPose } from './face/detection/pose';
import { FaceError } from './errors';
import { decodeImage, DEFAULT_IMAGE_LIMITS, type DecodedImage, type ImageInput, type ImageLimits } from './face/input/decode';
import { loadFacePipeline, type FacePipeline, type FaceTemplate } from './face/engine';
import type { BackendChoice, BackendName } from './models/backend';
import { defaultModelBaseUrl } from './models/defaultModelBase';
import { ModelFiles, type LoadProgress } from './models/modelFiles';
import calibration from './face/similarity/calibration.json';
import { Matcher, type MatcherConfig } from './face/similarity/matcher';
import {
  PersonService, type AddedFace, type AddFaceRequest, type BulkEnrollResult, type Collection, type EnrolledPerson,
  type EnrollPersonRequest, type EnrollPersonsOptions, type FaceAnalyzer, type MultiFaceSearchRequest,
  type MultiFaceSearchResult, type Person, type PersonSummary, type SearchFaceRequest, type SearchResult,
  type UpdatePersonRequest,
} from './collections/persons';
import { boolean as booleanOption } from './collections/validate';
import { FusedScorer } from './collections/search/fusedScorer';
import { SearchIndexes } from './collections/search/searchIndexes';
import { FaceStore } from './collections/store/database';
import type { DetectionMode } from './face/detection/faceDetector';
import {
  FaceChecks, livenessError, livenessFailure, validate,
  type CheckedFace, type FaceAttributes, type FaceLiveness, type FaceQuality, type ValidateRequest, type ValidationReason,
} from './face/checks';

export interface FaceClientOptions {
  /** Where models/ is served; default: the models/ folder next to the library file. */
  modelBaseUrl?: string | URL;
  /** Default 'auto': WebGL on a hardware GPU, else WASM (software WebGL is ~10× slower than WASM). */
  backend?: BackendChoice;
  /** IndexedDB database for collections (default 'localface'). */
  databaseName?: string;
  /** Model download progress, per stage ('detector', 'embedder'). */
  onProgress?: (p: LoadProgress) => void;
  /** Limits for encoded images (default 5 MB, 128–6000 px). */
  imageLimits?: Partial<ImageLimits>;
}

export interface DetectFacesOptions {
  quality?: boolean;
  attributes?: boolean;
  liveness?: boolean;
}

export interface FaceKeypoint {
  name: 'rightEye' | 'leftEye' | 'noseTip' | 'mouthCenter' | 'rightEarTragion' | 'leftEarTragion';
  x: number;
  y: number;
}

export interface Face {
  box: { x: number; y: number; width: number; height: number };
  /** Detector confidence in [0, 1]. */
  score: number;
  keypoints: FaceKeypoint[];
  /** Degrees, estimated from the keypoints. */
  pose: HeadPose;
  /** With `quality: true` (default): blur, dark, grayscale in [0, 1] and whether the face passes. */
  quality?: FaceQuality;
  /** With `attributes: true` (default): probabilities of sunglasses, mask, veil, hat. */
  attributes?: FaceAttributes;
  /** With `liveness: true`: passive (single-image) presentation-attack check. */
  liveness?: FaceLiveness;
}

export type ValidateFaceOptions = ValidateRequest;

export type ValidateFaceResult =
  | { ok: true; faces: Face[] }
  | { ok: false; failOn: number; reasons: ValidationReason[] };

export interface FaceClient {
  /** The TF.js backend actually in use. */
  readonly backend: BackendName;
  /** Ids of the embedding models whose templates this client makes and compares. */
  readonly modelIds: readonly string[];
  detectFaces(image: ImageInput, options?: DetectFacesOptions): Promise<Face[]>;
  /** Seed 002: checks the largest face; failOn is the FAIL_ON_<n> mask (liveness 1, attribute 2, quality 4, faces 8). */
  validateFace(image: ImageInput, options?: ValidateFaceOptions): Promise<ValidateFaceResult>;
  compareFaces(faceA: ImageInput, faceB: ImageInput): Promise<{ similarityScore: number }>;

  createCollection(name: string): Promise<Collection>;
  listCollections(): Promise<Collection[]>;
  /** Removes the collection with its persons and faces. */
  deleteCollection(name: string): Promise<void>;
  /** Upsert on personId: an existing person's name, metadata and faces are replaced. */
  enrollPerson(request: EnrollPersonRequest): Promise<EnrolledPerson>;
  /** One enrollPerson per request, each on its own (a failing item stores nothing and does not stop the rest). */
  enrollPersons(requests: EnrollPersonRequest[], options?: EnrollPersonsOptions): Promise<BulkEnrollResult[]>;
  /** Seed 004 face set: adds a face to a person (no personId: a new person with a generated id). */
  addFace(request: AddFaceRequest): Promise<AddedFace>;
  getPerson(collectionName: string, personId: string): Promise<Person>;
  listPersons(collectionName: string, options?: { offset?: number; limit?: number }): Promise<{ persons: PersonSummary[]; total: number }>;
  updatePerson(request: UpdatePersonRequest): Promise<PersonSummary>;
  deletePerson(collectionName: string, personId: string): Promise<void>;
  deleteFace(collectionName: string, faceId: string): Promise<void>;
  /** 1:N: the persons matching the face(s) in `face`, best first, each once. */
  searchFace(request: SearchFaceRequest): Promise<SearchResult[]>;
  /** N:N: every face of `image` matched to at most one person; thumbnails of the faces nobody matched. */
  multiFaceSearch(request: MultiFaceSearchRequest): Promise<MultiFaceSearchResult>;
  close(): Promise<void>;
}

export async function createFaceClient(options: FaceClientOptions = {}): Promise<FaceClient> {
  if (options === null || typeof options !== 'object') throw new FaceError('ERR_INVALID_ARGUMENT', 'createFaceClient takes an options object (or nothing).');
  const backendChoice = options.backend ?? 'auto';
  if (!['auto', 'webgl', 'wasm', 'cpu'].includes(backendChoice)) {
    throw new FaceError('ERR_INVALID_ARGUMENT', `backend must be 'auto', 'webgl', 'wasm' or 'cpu'; got ${JSON.stringify(backendChoice)}.`);
  }
  const limits: ImageLimits = { ...DEFAULT_IMAGE_LIMITS, ...options.imageLimits };
  const files = new ModelFiles(options.modelBaseUrl ?? defaultModelBaseUrl(), options.onProgress);
  const matcher = new Matcher(calibration as MatcherConfig);
  const { backend, pipeline } = await loadFacePipeline(files, backendChoice, matcher.modelIds);
  await pipeline.warmUp();
  // Loads nothing now: each check's models load on its first use.
  const checks = await FaceChecks.create(files);
  const databaseName = options.databaseName ?? 'localface';
  if (typeof databaseName !== 'string' || databaseName.length === 0) throw new FaceError('ERR_INVALID_ARGUMENT', 'databaseName must be a non-empty string.');
  return new LocalFaceClient(backend, pipeline, checks, matcher, limits, databaseName);
}

class LocalFaceClient implements FaceClient {
  private closed = false;
  /** Opened on the first collection call, so detect/compare work where IndexedDB is unavailable. */
  private personService: Promise<{ service: PersonService; store: FaceStore; indexes: SearchIndexes }> | undefined;

  constructor(
    readonly backend: BackendName,
    private readonly pipeline: FacePipeline,
    private readonly checks: FaceChecks,
    private readonly matcher: Matcher,
    private readonly limits: ImageLimits,
    private readonly databaseName: string,
  ) {}

  get modelIds(): readonly string[] {
    return this.pipeline.modelIds;
  }

  async detectFaces(image: ImageInput, options: DetectFacesOptions = {}): Promise<Face[]> {
    this.assertOpen();
    if (options === null || typeof options !== 'object') throw new FaceError('ERR_INVALID_ARGUMENT', 'detectFaces options must be an object such as { quality: true, attributes: true, liveness: false }.');
    const request = {
      quality: booleanOption(options.quality, 'quality', true),
      attributes: booleanOption(options.attributes, 'attributes', true),
      liveness: booleanOption(options.liveness, 'liveness', false),
    };
    return this.withImage(image, 'image', async (decoded) => {
      const faces = await this.pipeline.detect(decoded.pixels, 'all');
      const checked = await this.checks.analyze(decoded.pixels, faces, request);
      return faces.map((f, i) => ({ ...toPublicFace(f), ...checked[i] }));
    });
  }

  async validateFace(image: ImageInput, options: ValidateFaceOptions = {}): Promise<ValidateFaceResult> {
    this.assertOpen();
    if (options === null || typeof options !== 'object') throw new FaceError('ERR_INVALID_ARGUMENT', 'validateFace options must be an object such as { validateQuality: true }.');
    const request = {
      quality: booleanOption(options.validateQuality, 'validateQuality', false),
      attributes: booleanOption(options.validateAttribute, 'validateAttribute', false),
      liveness: booleanOption(options.validateLiveness, 'validateLiveness', false),
    };
    booleanOption(options.validateNface, 'validateNface', false);
    return this.withImage(image, 'image', async (decoded) => {
      const faces = await this.pipeline.detect(decoded.pixels, 'all');
      // Only the largest face is checked; the others count for the number-of-faces rule.
      const [largest] = await this.checks.analyze(decoded.pixels, faces.slice(0, 1), request);
      const result = validate<CheckedFace>(faces.map((f, i) => (i === 0 ? { ...f, ...largest } : f)), options);
      if (!result.ok) return { ok: false, failOn: result.failOn, reasons: result.reasons };
      return { ok: true, faces: result.faces.map((f) => ({ ...toPublicFace(f), ...pickChecks(f) })) };
    });
  }

  async compareFaces(faceA: ImageInput, faceB: ImageInput): Promise<{ similarityScore: number }> {
    this.assertOpen();
    const [a, b] = [await this.templateOf(faceA, 'faceA'), await this.templateOf(faceB, 'faceB')];
    return { similarityScore: this.matcher.similarity(a, b) };
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
  enrollPerson(request: EnrollPersonRequest): Promise<EnrolledPerson> {
    return this.persons((s) => s.enrollPerson(request));
  }
  enrollPersons(requests: EnrollPersonRequest[], options?: EnrollPersonsOptions): Promise<BulkEnrollResult[]> {
    return this.persons((s) => s.enrollPersons(requests, options));
  }
  addFace(request: AddFaceRequest): Promise<AddedFace> {
    return this.persons((s) => s.addFace(request));
  }
  getPerson(collectionName: string, personId: string): Promise<Person> {
    return this.persons((s) => s.getPerson(collectionName, personId));
  }
  listPersons(collectionName: string, options?: { offset?: number; limit?: number }): Promise<{ persons: PersonSummary[]; total: number }> {
    return this.persons((s) => s.listPersons(collectionName, options));
  }
  updatePerson(request: UpdatePersonRequest): Promise<PersonSummary> {
    return this.persons((s) => s.updatePerson(request));
  }
  deletePerson(collectionName: string, personId: string): Promise<void> {
    return this.persons((s) => s.deletePerson(collectionName, personId));
  }
  deleteFace(collectionName: string, faceId: string): Promise<void> {
    return this.persons((s) => s.deleteFace(collectionName, faceId));
  }
  searchFace(request: SearchFaceRequest): Promise<SearchResult[]> {
    return this.persons((s) => s.searchFace(request));
  }
  multiFaceSearch(request: MultiFaceSearchRequest): Promise<MultiFaceSearchResult> {
    return this.persons((s) => s.multiFaceSearch(request));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.pipeline.dispose();
    this.checks.dispose();
    if (this.personService) {
      try {
        const { store, indexes } = await this.personService;
        indexes.close();
        store.close();
      } catch {
        // the database never opened: nothing to close
      }
    }
  }

  private async persons<T>(use: (service: PersonService) => Promise<T>): Promise<T> {
    this.assertOpen();
    if (!this.personService) {
      const opening = this.openPersons();
      this.personService = opening;
      opening.catch(() => {
        if (this.personService === opening) this.personService = undefined; // let a later call retry
      });
    }
    return use((await this.personService).service);
  }

  private async openPersons(): Promise<{ service: PersonService; store: FaceStore; indexes: SearchIndexes }> {
    if (typeof indexedDB === 'undefined') {
      throw new FaceError('ERR_INTERNAL', 'IndexedDB is not available in this browser context (e.g. a private mode that disables it), so collections cannot be stored. detectFaces and compareFaces still work.');
    }
    const store = await FaceStore.open(this.databaseName);
    const modelIds = this.pipeline.modelIds;
    const dims = this.pipeline.embedders.map((e) => e.dimension);
    const indexes = new SearchIndexes(store, modelIds, dims);
    const analyzer: FaceAnalyzer = {
      modelIds,
      dims,
      withFaces: <T>(image: unknown, argName: string, mode: DetectionMode, use: (decoded: DecodedImage, faces: DetectedFace[]) => Promise<T>) =>
        this.withImage(image as ImageInput, argName, async (decoded) => use(decoded, await this.pipeline.detect(decoded.pixels, mode))),
      embed: (pixels, faces) => this.pipeline.embed(pixels, faces),
      assertLive: async (pixels, faces) => {
        const [largest] = await this.checks.analyze(pixels, faces.slice(0, 1), { liveness: true });
        const code = livenessFailure(faces.map((f, i) => (i === 0 ? { ...f, ...largest } : f)));
        if (code) throw livenessError(code);
      },
    };
    const scorer = new FusedScorer(this.matcher.config, modelIds, dims);
    return { service: new PersonService(store, indexes, analyzer, scorer), store, indexes };
  }

  /** The template of the largest face in `image`. */
  private async templateOf(image: ImageInput, argName: string): Promise<FaceTemplate> {
    return this.withImage(image, argName, async (decoded) => {
      const [face] = await this.pipeline.detect(decoded.pixels, 'largest');
      if (!face) {
        throw new FaceError('ERR_FACE_NOT_DETECTED', `No face was found in ${argName}. Use a photo where the face is visible, frontal and at least ~40 px wide.`, { metadata: { argument: argName } });
      }
      const [template] = await this.pipeline.embed(decoded.pixels, [face]);
      return template!;
    });
  }

  private async withImage<T>(image: ImageInput, argName: string, use: (decoded: DecodedImage) => Promise<T>): Promise<T> {
    const decoded = await decodeImage(image, this.limits, argName);
    try {
      return await use(decoded);
    } finally {
      decoded.pixels.dispose();
    }
  }

  private assertOpen(): void {
    if (this.closed) throw new FaceError('ERR_INVALID_ARGUMENT', 'This LocalFace client is closed. Create a new one with createFaceClient().');
  }
}

function toPublicFace(face: DetectedFace): Face {
  const { box, score, keypoints, pose } = face;
  return {
    box: { ...box },
    score,
    keypoints: (Object.keys(keypoints) as FaceKeypoint['name'][]).map((name) => ({ name, x: keypoints[name].x, y: keypoints[name].y })),
    pose: { ...pose },
  };
}

function pickChecks(f: { quality?: FaceQuality; attributes?: FaceAttributes; liveness?: FaceLiveness }): Pick<Face, 'quality' | 'attributes' | 'liveness'> {
  return {
    ...(f.quality ? { quality: f.quality } : {}),
    ...(f.attributes ? { attributes: f.attributes } : {}),
    ...(f.liveness ? { liveness: f.liveness } : {}),
  };
}

/** Exposed for tests: tensors currently allocated by TF.js (must not grow across calls). */
export function tensorCount(): number {
  return tf.memory().numTensors;
}
