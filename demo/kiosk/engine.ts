// The kiosk's recognition work, independent of where it runs: kioskWorker.ts runs it in a Worker (the usual
// case), main.ts runs it on the page's thread where a Worker with OffscreenCanvas is unavailable.
// Built on the face tracker: each frame is decoded and detected once, faces keep their track ids, and who someone
// is and whether they are live are decided over their frames. The boxes drawn are the faces enroll accepts: both
// come from the same tracker.
import {
  createFaceClient,
  FaceError,
  type FaceClient,
  type FaceTracker,
  type LoadProgress,
  type PersonSummary,
  type TrackedFace,
  type TrackerTimings,
} from 'localface';
import { CheckInLog } from '../checkin/log';
import { adviceFor } from '../shared/advice';
import { gpuWasReset } from '../shared/gpuReset';
import { COLLECTION, DATABASE, ensureCollection, withCollection } from '../shared/store';

export { adviceFor };

export interface KioskPerson extends PersonSummary {
  /** The enrolled person this one looks most like, and what a search would score them against each other. */
  lookAlike?: { name: string; similarityScore: number };
}

export interface KioskTrack {
  trackId: number;
  box: { x: number; y: number; width: number; height: number };
  /** Who the track is (decided over its frames): only for a face enrolled AND decided live. */
  match?: { personId: string; name: string; similarity: number };
  /** Decided over the track's frames; undefined while not decided yet. */
  live?: boolean;
  /** Why the track is not live (a liveness code), when it is not. */
  notLiveCode?: string;
}

export interface FrameResult {
  tracks: KioskTrack[];
  /** Milliseconds the frame took in the engine, and per stage (the tracker's timings). */
  ms: number;
  timings: TrackerTimings;
}

export type EnrollOutcome =
  | { ok: true; personId: string; name: string }
  /** `pending`: the face is fine so far but its liveness is not decided yet; ask again after a few frames. */
  | { ok: false; advice: string[]; message: string; pending?: boolean };

/** What the check found, per reason code, for the sentence under the advice. */
const FINDING: Record<string, string> = {
  TOO_MANY_FACES: 'another face is in view',
  FACE_TOO_SMALL: 'the face is too small in the picture',
  TOO_DARK: 'the face is too dark',
  GRAYSCALE: 'the picture has no colour',
  BLURRY: 'the face is blurred',
  EYES_CLOSED: 'the eyes look closed',
  FACE_IS_OCCLUDED: 'part of the face is covered',
  FACE_NOT_LIVE: 'the face does not look live',
};

function findings(codes: string[]): string {
  const found = [...new Set(codes.map((code) => FINDING[code] ?? code))].join(', ');
  return `Not enrolled: ${found}.`;
}

/** The liveness check needs a face at least this wide (px); smaller ones are told to come closer at once. */
const MIN_ENROLL_FACE = 64;

// keepFrames: false: the kiosk enrolls without images (NoStorage), so it needs no whole frames, nor their cost.
const TRACKER_OPTIONS = {
  collectionName: COLLECTION,
  liveness: true,
  quality: true,
  maxFaces: 5,
  keepFrames: false,
} as const;

export class KioskEngine {
  private tracker: FaceTracker;
  private latest: TrackedFace[] = [];
  private restarting?: Promise<void>;
  private needsRestart = false;

  private constructor(
    private client: FaceClient,
    private readonly modelBaseUrl: string,
  ) {
    this.tracker = client.createFaceTracker(TRACKER_OPTIONS);
  }

  static async create(modelBaseUrl: string, onProgress?: (p: LoadProgress) => void): Promise<KioskEngine> {
    const client = await createFaceClient({ modelBaseUrl, databaseName: DATABASE, onProgress });
    await ensureCollection(client);
    return new KioskEngine(client, modelBaseUrl);
  }

  /**
   * `work`, run again on a new client if the GPU context under this one was lost (a kiosk runs for days; browsers
   * reset the GPU after driver updates, crashes or memory pressure). Tracks start afresh. A restart that fails is
   * tried again by the next call.
   */
  private async recovering<T>(work: () => Promise<T>): Promise<T> {
    if (this.needsRestart) await this.restart();
    try {
      return await work();
    } catch (error) {
      if (!gpuWasReset(error)) throw error;
      this.needsRestart = true;
      await this.restart();
      return work();
    }
  }

  private restart(): Promise<void> {
    this.restarting ??= (async () => {
      await this.client.close();
      this.client = await createFaceClient({ modelBaseUrl: this.modelBaseUrl, databaseName: DATABASE });
      this.tracker = this.client.createFaceTracker(TRACKER_OPTIONS);
      this.latest = [];
      this.needsRestart = false;
    })().finally(() => (this.restarting = undefined));
    return this.restarting;
  }

  get backend(): string {
    return this.client.backend;
  }

  /** The faces of one camera frame as tracks: box, name and liveness decided over each track's frames. */
  async processFrame(frame: ImageBitmap | VideoFrame, timestampMs: number): Promise<FrameResult> {
    const t0 = performance.now();
    // A collection gone while the kiosk runs (the site's data cleared) is made again, empty, for the same frame.
    const update = await this.recovering(() =>
      withCollection(this.client, () => this.tracker.process(frame, timestampMs)),
    );
    this.latest = update.tracks;
    return {
      tracks: update.tracks.map((t) => {
        // A photo or screen held up must not learn whose face it shows, nor whether it is enrolled: no name, and no
        // sign of a match, leaves the engine before the face is decided live, so the page cannot display one.
        const named = t.match !== null && t.liveness?.live === true;
        return {
          trackId: t.trackId,
          box: t.box,
          ...(t.match && named
            ? {
                match: {
                  personId: t.match.personId,
                  name: t.match.personName || t.match.personId,
                  similarity: t.match.similarityScore,
                },
              }
            : {}),
          ...(t.liveness
            ? { live: t.liveness.live, ...(t.liveness.code ? { notLiveCode: t.liveness.code } : {}) }
            : {}),
        };
      }),
      ms: performance.now() - t0,
      timings: update.timings,
    };
  }

  /**
   * Enrolls the person in front of the camera (the largest face of the latest frame) as `name`, from their track's
   * best frames, if the face passes the quality, size, face-count and liveness checks and is not enrolled already.
   */
  async enroll(name: string): Promise<EnrollOutcome> {
    const trimmed = name.trim();
    if (!trimmed) return { ok: false, advice: ['Type your name first'], message: 'A name is needed to enroll.' };
    const [face, ...others] = this.latest;
    if (!face) return { ok: false, advice: [adviceFor('FACE_NOT_FOUND')], message: 'No face is in view.' };
    const codes: string[] = [];
    if (others.some((o) => o.box.width >= face.box.width / 2)) codes.push('TOO_MANY_FACES');
    if (Math.max(face.box.width, face.box.height) < MIN_ENROLL_FACE) codes.push('FACE_TOO_SMALL');
    const q = face.quality;
    if (q && !q.ok) {
      if (q.dark >= 0.5) codes.push('TOO_DARK');
      if (q.grayscale >= 0.5) codes.push('GRAYSCALE');
      if (q.blur >= 0.5 || (q.dark < 0.5 && q.grayscale < 0.5)) codes.push('BLURRY');
    }
    if (face.liveness && !face.liveness.live) codes.push(face.liveness.code ?? 'FACE_NOT_LIVE');
    if (codes.length > 0) {
      const advice = [...new Set(codes.map(adviceFor))];
      return { ok: false, advice, message: findings(codes) };
    }
    // Liveness first: whether a face is enrolled is told only to the live person it belongs to (never to a photo).
    if (!face.liveness)
      return { ok: false, pending: true, advice: ['Hold still a moment'], message: 'Checking that the face is live…' };
    if (face.match) {
      // Not who: the message names nobody.
      return {
        ok: false,
        advice: ['Already enrolled'],
        message: 'This face is already enrolled. Ask staff if your details need changing.',
      };
    }
    const personId = `p-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 7)}`;
    try {
      await this.recovering(() =>
        withCollection(this.client, () =>
          this.tracker.enroll(face.trackId, {
            collectionName: COLLECTION,
            personId,
            personName: trimmed,
            // Nothing in the demos shows a stored face: the template alone, no face image kept on the device.
            faceStorageType: 'NoStorage',
          }),
        ),
      );
    } catch (error) {
      if (error instanceof FaceError && (error.code === 'ERR_NOT_FOUND' || error.code === 'ERR_LIVENESS_ERROR')) {
        return {
          ok: false,
          pending: error.code === 'ERR_NOT_FOUND',
          advice: [adviceFor(String(error.metadata?.code ?? 'FACE_NOT_FOUND'))],
          message: error.message,
        };
      }
      throw error;
    }
    return { ok: true, personId, name: trimmed };
  }

  /** Forgets every track (the camera stopped): enroll then has no face until new frames arrive. */
  async reset(): Promise<void> {
    this.tracker.reset();
    this.latest = [];
  }

  /** The enrolled people, each with the person they look most like (staff check that the threshold tells them apart). */
  async people(): Promise<KioskPerson[]> {
    const { persons } = await this.recovering(() =>
      withCollection(this.client, () => this.client.listPersons(COLLECTION, { limit: 1000 })),
    );
    const { pairs } = await this.recovering(() =>
      withCollection(this.client, () => this.client.findLookAlikes({ collectionName: COLLECTION, maxPairs: 100 })),
    );
    const closest = new Map<string, { name: string; similarityScore: number }>();
    for (const { personA, personB, similarityScore } of pairs) {
      // Pairs come most alike first, so the first pair naming someone is their closest.
      for (const [me, other] of [
        [personA, personB],
        [personB, personA],
      ] as const)
        if (!closest.has(me.personId))
          closest.set(me.personId, { name: other.personName || other.personId, similarityScore });
    }
    return persons.map((p) => ({ ...p, lookAlike: closest.get(p.personId) }));
  }

  async remove(personId: string): Promise<void> {
    await this.recovering(() => this.client.deletePerson(COLLECTION, personId));
    // Tracks recognised as this person are searched again within a second; start afresh so it shows at once.
    this.tracker.reset();
    // The check-in app's log on this device names the person too: forget them there as well.
    const log = await CheckInLog.open();
    try {
      await log.forgetPerson(personId);
    } finally {
      log.close();
    }
  }
}
