// The face tracker: live video decided over frames. Each frame is decoded and detected once; faces are followed
// with stable track ids; embedding, search and liveness run per track only when needed, and decide over the
// track's frames rather than the last one.
import { FaceError } from '../errors';
import type { EnrolledPerson, Metadata, PersonService } from '../collections/persons';
import * as v from '../collections/validate';
import type { FaceStorageType } from '../collections/validate';
import type { FaceAttributes, FaceQuality, LivenessEvidence } from '../face/checks';
import { LIVENESS_MESSAGES } from '../face/checks';
import type { FaceEngine } from '../face/engine';
import { inputScale, isVideoFrame, VIDEO_FRAME_TYPES } from '../face/input/decode';
import { faceThumbnail, fullImageJpeg } from '../face/thumbnail';
import {
  DEFAULT_MATCH_THRESHOLD,
  faceInInput,
  intersectionOverUnion,
  keypointList,
  largerBoxFirst,
  type Box,
  type DetectedFace,
  type FaceKeypoint,
  type FaceTemplate,
  type HeadPose,
  type ToInput,
} from '../vocabulary';
import { associate, contestedGroups, continuationScore, keepFollowed, keepTracks, trackEnded } from './association';
import {
  decideTrackLiveness,
  detectionModeFor,
  frameGoodness,
  frameTime,
  keepBest,
  NEW_FRAME_CLOCK,
  meanTemplate,
  shouldCheckLiveness,
  shouldEmbed,
  type TrackLiveness,
} from './decisions';

export type { TrackLiveness };

/** Everything `tracker.process` accepts as a frame. */
export type VideoFrameInput =
  HTMLVideoElement | VideoFrame | ImageBitmap | ImageData | HTMLCanvasElement | OffscreenCanvas;

export interface FaceTrackerOptions {
  /** Search tracked faces in this collection. Default: none (detection and checks only; `match` stays null). */
  collectionName?: string;
  /** A track is matched to a person whose search similarity is at least this, in [0, 1]. Default 0.7. */
  minSimilarityScore?: number;
  /** Decide liveness per track, over frames. Default false (`liveness` stays null). */
  liveness?: boolean;
  /** Report the current frame's blur, darkness and greyscale scores per track. Default true. */
  quality?: boolean;
  /** Report sunglasses, mask, veil and hat probabilities per track, averaged over the frames measured. Default false. */
  attributes?: boolean;
  /** Follow at most this many faces per frame, largest first (1–20). Default 5. */
  maxFaces?: number;
  /**
   * Keep each frame chosen for enroll whole too (a JPEG, encoded in the background), so that enroll can store it with
   * faceStorageType 'StoreFullImage'. Default true. False: such an enroll is ERR_INVALID_ARGUMENT, and no whole
   * frame is encoded (about 40 ms of work per kept frame at 1280 × 720, 90 ms at 1920 × 1080; up to 5 frames are kept
   * per face followed) or held in memory, bystanders included.
   */
  keepFrames?: boolean;
}

/** Who a track is, decided from its running template (the mean of its embedded frames). */
export interface TrackMatch {
  personId: string;
  personName: string;
  metadata: Metadata;
  similarityScore: number;
}

/** One face followed across frames, as seen in the current frame (in pixels of that frame). */
export interface TrackedFace {
  /** Stays the same while the same face stays in view; a face that leaves and comes back gets a new id. */
  trackId: number;
  box: Box;
  keypoints: FaceKeypoint[];
  pose: HeadPose;
  /** With `quality: true` (default): this frame's quality. */
  quality?: FaceQuality;
  /** With `attributes: true`: probabilities averaged over the track's measured frames. */
  attributes?: FaceAttributes;
  /** Frames this track was detected in so far. */
  framesSeen: number;
  /** The enrolled person this track is, or null: not (yet) recognised (or no collection). */
  match: TrackMatch | null;
  /** With `liveness: true`: decided over the track's frames; null while not yet decided (or liveness off). */
  liveness: TrackLiveness | null;
}

/** Milliseconds spent on this frame, per stage (0 for a stage that did not run). */
export interface TrackerTimings {
  decodeMs: number;
  detectMs: number;
  embedMs: number;
  searchMs: number;
  checksMs: number;
}

export interface TrackerUpdate {
  /** The faces of this frame, largest first. */
  tracks: TrackedFace[];
  timings: TrackerTimings;
}

export interface TrackEnrollRequest {
  collectionName: string;
  /** 1–255 characters; an existing id is replaced (upsert), as enrollPerson does. */
  personId: string;
  /** 1–1024 characters. */
  personName: string;
  /** A JSON object of at most 16 KB serialised. Default {}. */
  metadata?: Metadata;
  /**
   * 'NoStorage' (default), 'StoreThumbnails' (a thumbnail of each enrolled frame) or 'StoreFullImage' (each enrolled
   * frame whole, upright, as decoded, re-encoded as JPEG).
   */
  faceStorageType?: FaceStorageType;
}

export interface FaceTracker {
  /**
   * Decodes and detects `frame` once and returns its faces as tracks. `timestampMs` (default performance.now()) is
   * the frame's time in milliseconds, used for the re-check intervals: one earlier than the last frame's starts over
   * (as reset()); the same one on more than 10 frames in a row (a clock that stopped) counts each further frame as
   * 33 ms later; beyond ±2^53 it is ERR_INVALID_ARGUMENT. A call made while another is running rejects with
   * ERR_INVALID_ARGUMENT: skip that frame (nothing queues).
   */
  process(frame: VideoFrameInput, timestampMs?: number): Promise<TrackerUpdate>;
  /**
   * Enrolls the person of a track now in view from its best frames (a face set of up to 5 faces, each like the
   * track's running template), as enrollPerson does (upsert on personId). ERR_NOT_FOUND for a track no longer in
   * view; with `liveness: true`, a track not decided live is refused with ERR_LIVENESS_ERROR.
   */
  enroll(trackId: number, request: TrackEnrollRequest): Promise<EnrolledPerson>;
  /** Forgets every track (the next frame's faces get new ids). */
  reset(): void;
  /** Forgets every track; later calls reject with ERR_INVALID_ARGUMENT. */
  close(): void;
}

/** Frames of a track kept for enroll. */
const ENROLL_FRAMES = 5;
/** Embedded frames the running template averages (the latest). */
const TEMPLATE_FRAMES = 10;
/** Attribute measurements averaged per track (the latest). */
const ATTRIBUTE_FRAMES = 10;
/** A track's match is searched again at least this often (a change another tab announced late or never). */
const RESEARCH_EVERY_MS = 1000;
/** After a change of the collection's index (an enroll, a deletion, here or announced by another tab), tracks are
 * searched again at once, but at most this often while changes keep coming (a bulk enroll in another tab). */
const RESEARCH_ON_CHANGE_MS = 100;
/**
 * A frame whose face scores below this to the track's running template, on the `compareFaces` score, is someone else
 * who took the place of the tracked face (boxes overlap, the person does not): the track ends and a new one starts.
 * 0.5 is that score's 10 % false-match point, on LFW and on webcam frames alike (its calibration holds on both),
 * where 99.2 % of LFW same-person pairs, years apart, score higher; frames of one face seconds apart score 0.96 or
 * more. The plain score's 0.5 held only on LFW: different people on a webcam score above it (it caught 13 % of the
 * fitting webcam subjects' strangers, this 88 %; BENCHMARKS.md).
 */
const SWAP_SIMILARITY = 0.5;
/**
 * A good frame scoring from SWAP_SIMILARITY up to this (the default match threshold on the same score) is one the
 * default threshold would not call the track's face: it may be a stranger who looks alike (different people on a
 * webcam score up to 0.79 on it) or an odd frame of the same face. It is kept out of the track and the next frame is
 * embedded too; a second such frame in a row ends the track. Without this, a look-alike who took a recognised
 * person's place kept that name until their own frames outnumbered the other's in the running template (seconds).
 */
const DOUBTFUL_SIMILARITY = DEFAULT_MATCH_THRESHOLD;
/**
 * Below this goodness (small, blurred, turned) a frame may be a poor frame of the same person, which scores lower:
 * such a frame counts as someone else's only under POOR_FRAME_SWAP_SIMILARITY (the calibration's far tail, where
 * same-person pairs are almost never found), and then it is kept out of the track and the next frame is embedded
 * too; a second such frame in a row ends the track.
 */
const SWAP_MIN_GOODNESS = 0.3;
const POOR_FRAME_SWAP_SIMILARITY = 0.3;
/**
 * Detections scoring below this are not tracked. The detector keeps faces from 0.5; on video that admits shapes
 * that flicker in and out (Chromium's default fake camera, a green disc with a clock, scores 0.51–0.61 in most
 * frames), while webcam faces at a usable distance score 0.85–0.97 and far ones (35 px) 0.62–0.81.
 */
export const MIN_TRACKED_FACE_SCORE = 0.75;
/**
 * A detection that continues a track (its box does, as the association judges boxes) is kept from this score; only
 * one scoring MIN_TRACKED_FACE_SCORE starts a track. A face of 50–60 px in a 640×480 frame is seen by the full-range
 * model at 15–18 px, where its score moves with the face's place in the frame (which pixels the model's 3.3× bilinear
 * resampling reads, and where the face falls on the model's anchor grid): 0.61–0.91 over a few pixels of movement, the
 * same face, and up to 0.13 from one pixel to the next. With the one threshold such a face dropped out of the tracks
 * on some frames of a moving picture (and its track was re-embedded when it came back), while the identical frame fed
 * again kept it. Shapes that are no face (Chromium's fake-camera disc, 0.51–0.61) still never start a track.
 */
export const MIN_FOLLOWED_FACE_SCORE = 0.6;
/** Tracked faces the whole-frame detection missed that are looked for on a crop in one frame (~5 ms each). */
const MAX_LOOKED_FOR_PER_FRAME = 4;
/** Tracks kept (those in view and the latest missed ones) per face followed: maxFaces × this. */
const MAX_TRACKS_PER_FACE = 2;
/** The liveness evidence a track keeps: that of its last checked frames. */
const LIVENESS_EVIDENCE_FRAMES = 20;

interface BestFrame {
  goodness: number;
  template: FaceTemplate;
  thumbnail?: Blob;
  /** The whole frame as a JPEG, for StoreFullImage; encoded in the background (the error, if that failed). */
  frameImage?: Promise<Blob | Error>;
  /** Its whole-frame encoding failed: the next frame the track embeds takes its place. */
  wholeFailed?: boolean;
}

/**
 * The frames to enroll with StoreFullImage, each with its whole-frame JPEG. Frames whose encoding failed are left out
 * (their pixels are gone, so they cannot be encoded again, and faces stored without their image would look like a
 * partial write); `reason` is the first failure.
 */
async function withWholeFrames(
  best: readonly BestFrame[],
): Promise<{ faces: { template: FaceTemplate; thumbnail?: Blob; image: Blob }[]; reason?: Error }> {
  const images = await Promise.all(best.map((b) => b.frameImage ?? new Error('the frame was not kept whole')));
  const faces: { template: FaceTemplate; thumbnail?: Blob; image: Blob }[] = [];
  let reason: Error | undefined;
  best.forEach((b, i) => {
    const image = images[i]!;
    if (image instanceof Blob) faces.push({ template: b.template, thumbnail: b.thumbnail, image });
    else reason ??= image;
  });
  return { faces, reason };
}

interface Track {
  id: number;
  face: DetectedFace;
  framesSeen: number;
  missedFrames: number;
  lastSeenAt: number;
  quality?: FaceQuality;
  embedded: number;
  lastEmbedAt?: number;
  recentTemplates: FaceTemplate[];
  template?: FaceTemplate;
  templateChanged: boolean;
  /** The best frames for enroll, each with its thumbnail. */
  best: BestFrame[];
  /** The last embedded frame was doubtful (DOUBTFUL_SIMILARITY) or a poor one unlike the track: the next frame decides. */
  suspect: boolean;
  match: TrackMatch | null;
  /** The person the track was last matched to (kept while the match is lost for a while). */
  matchedPersonId?: string;
  /** Searched at least once (a search due after an enroll elsewhere is not its first). */
  searched: boolean;
  lastSearchAt?: number;
  /**
   * The search indexes' version this track was last searched at: a change since (someone enrolled or deleted) makes
   * it due. Per track, since a track searched moments before a change is due later than the others.
   */
  searchedIndexVersion?: number;
  evidence: LivenessEvidence[];
  lastLivenessAt?: number;
  liveness: TrackLiveness | null;
  attributes: FaceAttributes[];
}

export interface TrackerDependencies {
  engine: FaceEngine;
  /** The person service, opened on first use. */
  persons: () => Promise<PersonService>;
  /** Runs one of the tracker's calls as a call of its client (closing the client waits for it). */
  during: <T>(work: () => Promise<T>) => Promise<T>;
}

export function createFaceTracker(deps: TrackerDependencies, options: unknown = {}): FaceTracker {
  const o = v.requireObject(options ?? {}, 'createFaceTracker options');
  v.onlyKnownKeys(
    o,
    ['collectionName', 'minSimilarityScore', 'liveness', 'quality', 'attributes', 'maxFaces', 'keepFrames'],
    'createFaceTracker options',
  );
  const settings = {
    collectionName: o.collectionName === undefined ? undefined : v.collectionName(o.collectionName),
    minSimilarityScore: v.similarity(o.minSimilarityScore, 'minSimilarityScore', DEFAULT_MATCH_THRESHOLD),
    liveness: v.boolean(o.liveness, 'liveness', false),
    quality: v.boolean(o.quality, 'quality', true),
    attributes: v.boolean(o.attributes, 'attributes', false),
    maxFaces: v.integer(o.maxFaces, 'maxFaces', 5, 1, 20),
    keepFrames: v.boolean(o.keepFrames, 'keepFrames', true),
  };
  return new LocalFaceTracker(deps, settings);
}

type Settings = Required<Omit<FaceTrackerOptions, 'collectionName'>> & { collectionName: string | undefined };

/** No frame detected yet (a new, reset or restarted tracker): every pass is due. */
function noDetectionYet(): { fullAt: number | undefined; wideAt: number | undefined } {
  return { fullAt: undefined, wideAt: undefined };
}

class LocalFaceTracker implements FaceTracker {
  private tracks: Track[] = [];
  private nextId = 1;
  private busy = false;
  private closed = false;
  /** Timestamps of the last frames that got the full and the wide detection (detectionModeFor). */
  private lastDetection = noDetectionYet();
  /** The frames' clock (frameTime): a restarted or stopped clock. */
  private clock = NEW_FRAME_CLOCK;
  /** Bumped by reset/close, so a frame in work does not bring back forgotten tracks. */
  private generation = 0;
  /** The last frame's inputScale: tracks are kept in its decoded pixels and returned in the frame's own. */
  private toFrame: ToInput = { x: 1, y: 1 };
  /** The last frame's size (as input, and as decoded): a frame of another size starts the tracks over. */
  private frameSize: string | undefined;
  /** The JPEG of the frame in work, once a track keeps it: tracks keeping the same frame share one encoding. */
  private frameImage: { pixels: object; image: Promise<Blob | Error> } | undefined;

  constructor(
    private readonly deps: TrackerDependencies,
    private readonly settings: Settings,
  ) {}

  process(frame: VideoFrameInput, timestampMs?: number): Promise<TrackerUpdate> {
    return this.deps.during(() => this.processNow(frame, timestampMs));
  }

  enroll(trackId: number, request: TrackEnrollRequest): Promise<EnrolledPerson> {
    return this.deps.during(() => this.enrollNow(trackId, request));
  }

  private async processNow(frame: VideoFrameInput, timestampMs: number | undefined): Promise<TrackerUpdate> {
    this.assertOpen();
    if (this.busy) {
      throw new FaceError(
        'ERR_INVALID_ARGUMENT',
        'tracker.process was called while the previous frame is still in work: skip this frame and send the next one after the previous call settles.',
      );
    }
    // Above 2^53 consecutive frames' times can no longer be told apart (and no clock in milliseconds reads that).
    if (
      timestampMs !== undefined &&
      (typeof timestampMs !== 'number' ||
        !Number.isFinite(timestampMs) ||
        Math.abs(timestampMs) > Number.MAX_SAFE_INTEGER)
    ) {
      throw new FaceError(
        'ERR_INVALID_ARGUMENT',
        `timestampMs must be a finite number of milliseconds (e.g. performance.now() or VideoFrame.timestamp / 1000); got ${String(timestampMs)}.`,
      );
    }
    if (!isVideoFrameInput(frame)) {
      throw new FaceError(
        'ERR_INVALID_ARGUMENT',
        `tracker.process takes a video frame: ${VIDEO_FRAME_TYPES.join(', ')}; got ${frame === null ? 'null' : typeof frame === 'object' ? ((frame as object).constructor?.name ?? 'an object') : typeof frame}. For a single photo use detectFaces or searchFace.`,
      );
    }
    this.busy = true;
    const generation = this.generation;
    const time = frameTime(this.clock, timestampMs ?? performance.now());
    const now = time.now;
    const timings: TrackerTimings = { decodeMs: 0, detectMs: 0, embedMs: 0, searchMs: 0, checksMs: 0 };
    try {
      const t0 = performance.now();
      const visible = await this.deps.engine.withImage(frame, 'frame', async (decoded) => {
        timings.decodeMs = performance.now() - t0;
        // The clock moves only for a frame that decoded (a refused call is not a frame of the video), and not after
        // a reset() made while it decoded, which set a new clock.
        if (generation === this.generation) {
          this.clock = time.clock;
          // A looped clip or another camera restarts the clock: every "time since" of the tracks would be negative
          // (nothing due, nothing ended), so start over as reset() does.
          if (time.restarted) this.forgetTracks();
        }
        this.toFrame = inputScale(decoded);
        // Frames of another size (a phone turned, a camera switched) put faces elsewhere: a box kept from the last
        // frame would pass its track, its name and its liveness to whoever is now there. Start over, as reset() does.
        const size = `${decoded.inputWidth}x${decoded.inputHeight}:${decoded.width}x${decoded.height}`;
        if (size !== this.frameSize) {
          this.frameSize = size;
          this.forgetTracks();
        }
        return this.track(decoded.pixels, now, timings);
      });
      if (this.settings.collectionName && generation === this.generation) await this.search(visible, now, timings);
      if (generation !== this.generation) {
        // reset() or close() while this frame was in work: its tracks and detection times are forgotten.
        this.forgetTracks();
        return { tracks: [], timings };
      }
      return { tracks: visible.map((t) => this.describe(t)), timings };
    } finally {
      this.busy = false;
      // Shared within a frame only: the tracks that keep this frame hold its JPEG, and no one else.
      this.frameImage = undefined;
    }
  }

  private async enrollNow(trackId: number, request: TrackEnrollRequest): Promise<EnrolledPerson> {
    this.assertOpen();
    // Bad arguments are told apart from a track's state (ERR_NOT_FOUND, ERR_LIVENESS_ERROR) before either is looked at.
    if (!Number.isSafeInteger(trackId))
      throw new FaceError(
        'ERR_INVALID_ARGUMENT',
        `tracker.enroll takes a trackId (an integer from tracker.process); got ${v.show(trackId)}.`,
      );
    const r = v.requireObject(request, 'tracker.enroll request');
    v.onlyKnownKeys(
      r,
      ['collectionName', 'personId', 'personName', 'metadata', 'faceStorageType'],
      'tracker.enroll request',
    );
    const { storage } = v.templateEnrollRequest(r);
    if (storage === 'StoreFullImage' && !this.settings.keepFrames)
      throw new FaceError(
        'ERR_INVALID_ARGUMENT',
        "This tracker was created with keepFrames: false, so it keeps no whole frames: enroll with faceStorageType 'StoreThumbnails' or 'NoStorage', or create the tracker without keepFrames: false.",
      );
    const track = this.tracks.find((t) => t.id === trackId && t.missedFrames === 0);
    if (!track) {
      throw new FaceError(
        'ERR_NOT_FOUND',
        `No track ${String(trackId)} is in view: enroll a trackId from the latest tracker.process result.`,
        { metadata: { trackId } },
      );
    }
    const best = track.best; // as checked here: a frame in work may replace the list meanwhile
    if (best.length === 0)
      throw new FaceError(
        'ERR_FACE_NOT_DETECTED',
        `Track ${trackId} has no frame good enough to enroll yet: keep the face in view a moment longer.`,
      );
    if (this.settings.liveness && !track.liveness?.live) {
      const code = track.liveness?.code ?? 'UNKNOWN_ERROR';
      const why = track.liveness
        ? LIVENESS_MESSAGES[code]
        : 'Liveness is not decided yet: keep the face in view a moment longer.';
      throw new FaceError('ERR_LIVENESS_ERROR', `Liveness check failed (${code}). ${why}`, { metadata: { code } });
    }
    const generation = this.generation;
    let faces: readonly { template: FaceTemplate; thumbnail?: Blob; image?: Blob }[] = best;
    if (storage === 'StoreFullImage') {
      const whole = await withWholeFrames(best);
      if (whole.faces.length === 0)
        throw new FaceError(
          'ERR_INTERNAL',
          `The whole frames of track ${trackId} could not be encoded as JPEG (${whole.reason!.message}): nothing was stored. Keep the face in view a moment (new frames are kept) and enroll again, or enroll with faceStorageType 'StoreThumbnails' or 'NoStorage'.`,
        );
      faces = whole.faces;
    }
    const service = await this.deps.persons();
    // reset() or close() meanwhile (the frames' encoding or the database's opening can take a while) forgot the
    // track: its frames are not stored after all.
    this.assertOpen();
    if (generation !== this.generation)
      throw new FaceError(
        'ERR_NOT_FOUND',
        `Track ${trackId} was forgotten by reset() while its enroll was prepared: nothing was stored.`,
      );
    const enrolled = await service.enrollTemplates(request, faces);
    // Every track is searched again on the next frame; this one is recognised now.
    for (const t of this.tracks) t.lastSearchAt = undefined;
    if (
      track.template &&
      this.settings.collectionName &&
      this.settings.collectionName === v.collectionName((request as { collectionName?: unknown }).collectionName)
    ) {
      const [hit] = await service.searchTemplate(
        this.settings.collectionName,
        track.template,
        this.settings.minSimilarityScore,
        1,
      );
      track.match = hit ? matchOf(hit) : null;
      // The person just enrolled from this track's own frames (decided live, with liveness on): no new decision.
      if (hit) track.matchedPersonId = hit.personId;
    }
    return enrolled;
  }

  /** Forgets every track and when each detection pass last ran, as on a new tracker. */
  private forgetTracks(): void {
    this.tracks = [];
    this.lastDetection = noDetectionYet();
  }

  reset(): void {
    this.generation++;
    this.forgetTracks();
    this.clock = NEW_FRAME_CLOCK;
  }

  close(): void {
    this.closed = true;
    this.reset();
  }

  /** Detection, association, quality, embedding and liveness for one decoded frame; returns the tracks in view. */
  private async track(
    pixels: Parameters<FaceEngine['detect']>[0],
    now: number,
    timings: TrackerTimings,
  ): Promise<Track[]> {
    const { engine } = this.deps;
    const faces = await this.detectTrackedFaces(pixels, now, timings);
    const associated = await this.associateFaces(pixels, faces, now, timings);
    if (!associated || associated.visible.length === 0) return [];
    const { unsure, embeddedNow, sharedCrop } = associated;
    let visible = associated.visible;

    // A track's first embedding does not depend on this frame's quality (it happens whatever the frame is), so it
    // starts before the checks: the embedder in the Worker then runs while the checks run on this thread.
    let t = performance.now();
    const fresh = visible.filter((tr) => tr.embedded === 0 && !embeddedNow.has(tr));
    const freshTemplates =
      fresh.length > 0
        ? engine.embed(
            pixels,
            fresh.map((tr) => tr.face),
          )
        : undefined;
    freshTemplates?.catch(() => undefined); // awaited below, also when the checks fail
    timings.embedMs += performance.now() - t;

    let frameEvidence: Map<Track, LivenessEvidence>;
    try {
      frameEvidence = await this.checkFrame(pixels, visible, now, timings);
    } catch (error) {
      await freshTemplates?.catch(() => undefined); // nothing of this frame keeps running on its pixels
      throw error;
    }

    t = performance.now();
    const goodness = new Map(visible.map((tr) => [tr, frameGoodness(tr.face, tr.quality)]));
    const again = visible.filter(
      (tr) =>
        !fresh.includes(tr) &&
        !embeddedNow.has(tr) &&
        (unsure.has(tr) ||
          shouldEmbed(
            {
              embedded: tr.embedded,
              lastEmbedAt: tr.lastEmbedAt,
              bestGoodness: tr.best[0]?.goodness ?? 0,
              recognised: tr.match !== null,
            },
            now,
            goodness.get(tr)!,
          )),
    );
    const settled = visible.filter((tr) => embeddedNow.has(tr));
    const toEmbed = [...fresh, ...again, ...settled];
    const templates = [
      ...((await freshTemplates) ?? []),
      ...(await engine.embed(
        pixels,
        again.map((tr) => tr.face),
      )),
      ...settled.map((tr) => embeddedNow.get(tr)!),
    ];
    for (let i = 0; i < toEmbed.length; i++) {
      const tr = toEmbed[i]!;
      if (tr.template && sharedCrop.has(tr)) {
        // A face next to another's, embedded to tell whose it is: the association gave it the track it looks like
        // (at least POOR_FRAME_SWAP_SIMILARITY), so it is no swap; its crop may hold part of the other face, so it
        // joins neither the running template nor the frames kept for enroll. It decides no doubt either: a doubtful
        // track stays so until a frame of its own decides. A face alone, contested only by a track just missed
        // nearby, has a crop of its own and is judged as any other frame.
        continue;
      }
      const replacement = await this.addFrameTemplate(pixels, tr, templates[i]!, goodness.get(tr)!, now);
      if (replacement === tr) continue;
      visible = visible.map((x) => (x === tr ? replacement : x));
      const e = frameEvidence.get(tr);
      if (e) frameEvidence.set(replacement, e);
    }
    timings.embedMs = toEmbed.length > 0 ? timings.embedMs + performance.now() - t : 0;

    for (const tr of visible) {
      const e = frameEvidence.get(tr);
      if (!e) continue;
      tr.lastLivenessAt = now;
      tr.evidence = [...tr.evidence, e].slice(-LIVENESS_EVIDENCE_FRAMES);
      tr.liveness = decideTrackLiveness(tr.evidence, engine.livenessThresholds);
      if (this.settings.attributes && e.attributes)
        tr.attributes = [...tr.attributes, e.attributes].slice(-ATTRIBUTE_FRAMES);
    }
    t = performance.now();
    if (!this.settings.liveness && this.settings.attributes && toEmbed.length > 0) {
      const measured = visible.filter((tr) => tr.lastEmbedAt === now);
      const results = await engine.check(
        pixels,
        measured.map((tr) => tr.face),
        { attributes: true },
      );
      measured.forEach(
        (tr, i) => (tr.attributes = [...tr.attributes, results[i]!.attributes!].slice(-ATTRIBUTE_FRAMES)),
      );
    }
    timings.checksMs += performance.now() - t;
    return visible;
  }

  /** The faces to track in this frame: the due detection pass, plus tracked faces it missed, found near where they were. */
  private async detectTrackedFaces(
    pixels: Parameters<FaceEngine['detect']>[0],
    now: number,
    timings: TrackerTimings,
  ): Promise<DetectedFace[]> {
    const { engine } = this.deps;
    const t = performance.now();
    const mode = detectionModeFor(this.tracks.length, this.lastDetection, now);
    if (mode !== 'near') this.lastDetection.fullAt = now;
    // While nobody is in view the wide pass is not due: the first comes FULL_DETECTION_EVERY_MS after faces appear,
    // so the frames right after a face appears go to naming it.
    if (mode === 'wide' || this.tracks.length === 0) this.lastDetection.wideAt = now;
    const checks = { quality: true, liveness: this.settings.liveness };
    // Every tracked face, including one missed in the last frames, is expected: a face further back, which only the
    // full-range model sees, keeps that model running on its frames.
    const followed = this.tracks.map((tr) => tr.face.box);
    const detected = (await engine.detect(pixels, mode, checks, MIN_TRACKED_FACE_SCORE, this.tracks.length)).filter(
      (f) =>
        f.score >= MIN_TRACKED_FACE_SCORE ||
        (f.score >= MIN_FOLLOWED_FACE_SCORE && followed.some((box) => continuationScore(box, f.box) > 0)),
    );
    // A face seen on the last frame that the whole-frame passes miss now (a small face the full-range model sees
    // at its limit, on some frames only) is looked for on a crop around where it was, for a few of them a frame.
    const lost = this.tracks
      .filter((tr) => tr.missedFrames === 0 && !detected.some((f) => continuationScore(tr.face.box, f.box) > 0))
      .slice(0, MAX_LOOKED_FOR_PER_FRAME)
      .map((tr) => tr.face.box);
    if (lost.length > 0) {
      const near = await engine.findNear(pixels, lost);
      for (const f of near)
        if (f.score >= MIN_FOLLOWED_FACE_SCORE && !detected.some((d) => intersectionOverUnion(d.box, f.box) >= 0.3))
          detected.push(f);
    }
    // Largest first, as the detector gives them (keepFollowed keeps the first): a face found on a crop is placed too.
    detected.sort(largerBoxFirst);
    const faces = keepFollowed(detected, followed, this.settings.maxFaces);
    timings.detectMs = performance.now() - t;

    return faces;
  }

  /**
   * Gives each face the track it continues (by boxes, and by likeness where faces contest a track), starts tracks
   * for new faces, and ends tracks unseen too long. Returns the tracks in view, largest first, with what this frame
   * told about them; undefined when the tracker was reset meanwhile.
   */
  private async associateFaces(
    pixels: Parameters<FaceEngine['detect']>[0],
    faces: readonly DetectedFace[],
    now: number,
    timings: TrackerTimings,
  ): Promise<
    | {
        visible: Track[];
        /** Tracks that came back after missed frames, or whose face jumped: someone else may be in their place. */
        unsure: Set<Track>;
        /** Tracks whose face in this frame was embedded for the association. */
        embeddedNow: Map<Track, FaceTemplate>;
        /** Of those, the tracks whose face had another face close by. */
        sharedCrop: Set<Track>;
      }
    | undefined
  > {
    const { engine } = this.deps;
    // Faces that could continue more than one track (two faces crossing, one passing behind another): the boxes give
    // each track the other's face as readily as its own, so these faces are embedded now and each goes to the track
    // it looks like. Such frames are rare; other frames are embedded only as scheduled below.
    const tracks = this.tracks;
    const trackBoxes = tracks.map((tr) => tr.face.box);
    const faceBoxes = faces.map((f) => f.box);
    const groups = contestedGroups(trackBoxes, faceBoxes);
    const contested = groups.flatMap((g) => g.detections);
    /** Contested faces with another face close by: each crop may hold part of the other. */
    const besideAnother = new Set(groups.filter((g) => g.detections.length > 1).flatMap((g) => g.detections));
    const contestedTemplates = new Map<number, FaceTemplate>();
    if (contested.length > 0) {
      const t = performance.now();
      const templates = await engine.embed(
        pixels,
        contested.map((d) => faces[d]!),
      );
      contested.forEach((d, i) => contestedTemplates.set(d, templates[i]!));
      timings.embedMs += performance.now() - t;
      if (this.tracks !== tracks) return undefined; // reset() meanwhile: these tracks are forgotten
    }
    const { pairs, newDetections, missedTracks } = associate(
      trackBoxes,
      faceBoxes,
      undefined,
      contested.length > 0
        ? {
            likeness: (ti, di) => {
              const template = tracks[ti]!.template;
              return template ? engine.similarity(contestedTemplates.get(di)!, template) : -1;
            },
            // Lenient, as for a poor frame (a face half hidden by another scores lower): a track paired here keeps its
            // face; one left unpaired is missed, and the face starts a new track.
            minLikeness: POOR_FRAME_SWAP_SIMILARITY,
            groups,
          }
        : undefined,
    );
    const seen: { track: Track; face: DetectedFace; template?: FaceTemplate; shared: boolean }[] = pairs.map(
      ([ti, di]) => ({
        track: tracks[ti]!,
        face: faces[di]!,
        template: contestedTemplates.get(di),
        shared: besideAnother.has(di),
      }),
    );
    // A face kept for a track it could continue (scoring under MIN_TRACKED_FACE_SCORE) that the association gave no
    // track (the track took another face) starts none.
    for (const di of newDetections.filter((d) => faces[d]!.score >= MIN_TRACKED_FACE_SCORE))
      seen.push({
        track: this.newTrack(faces[di]!, now),
        face: faces[di]!,
        template: contestedTemplates.get(di),
        shared: besideAnother.has(di),
      });
    for (const ti of missedTracks) tracks[ti]!.missedFrames++;
    // A track that comes back after missed frames, or whose face jumped, may be someone else in its place: its next
    // embedding (which runs the check for that) is not left to the schedule.
    const unsure = new Set<Track>();
    /** Tracks whose face in this frame was embedded for the association above. */
    const embeddedNow = new Map<Track, FaceTemplate>();
    /** Of those, the tracks whose face had another face close by. */
    const sharedCrop = new Set<Track>();
    for (const { track, face, template, shared } of seen) {
      if (template) embeddedNow.set(track, template);
      if (template && shared) sharedCrop.add(track);
      if (track.framesSeen > 0 && (track.suspect || track.missedFrames > 0 || jumped(track.face.box, face.box)))
        unsure.add(track);
      track.face = face;
      track.framesSeen++;
      track.missedFrames = 0;
      track.lastSeenAt = now;
    }
    this.tracks = keepTracks(
      [
        ...tracks.filter((tr) => !trackEnded(tr.missedFrames, now - tr.lastSeenAt)),
        ...seen.map((s) => s.track).filter((tr) => !tracks.includes(tr)),
      ],
      MAX_TRACKS_PER_FACE * this.settings.maxFaces,
    );
    const visible = seen.map((s) => s.track).sort((a, b) => largerBoxFirst(a.face, b.face));
    return { visible, unsure, embeddedNow, sharedCrop };
  }

  /**
   * Quality is cheap and chooses the frames worth embedding, so it runs on every frame. Liveness evidence is taken
   * in the same call (each face aligned once) for the tracks due, a new track on its first frame: its liveness,
   * which the kiosk waits for before naming anyone, is decided a frame sooner. Sets each track's quality; returns
   * the evidence taken.
   */
  private async checkFrame(
    pixels: Parameters<FaceEngine['detect']>[0],
    visible: readonly Track[],
    now: number,
    timings: TrackerTimings,
  ): Promise<Map<Track, LivenessEvidence>> {
    const t = performance.now();
    const evidenceDue = visible.map(
      (tr) => this.settings.liveness && shouldCheckLiveness(tr.liveness !== null, tr.lastLivenessAt, now),
    );
    const checked = await this.deps.engine.frameChecks(
      pixels,
      visible.map((tr) => tr.face),
      (i) => evidenceDue[i]!,
      // The hat score costs a CenterNet pass and the liveness decision does not read it.
      { hat: this.settings.attributes },
    );
    const frameEvidence = new Map<Track, LivenessEvidence>();
    visible.forEach((tr, i) => {
      tr.quality = checked[i]!.quality;
      const e = checked[i]!.evidence;
      if (e) frameEvidence.set(tr, e);
    });
    timings.checksMs += performance.now() - t;
    return frameEvidence;
  }

  /**
   * Adds a frame's template (of goodness `g`) to its track, unless it is unlike the track's face: then the next frame
   * decides, or, when this one is that next frame, someone else stands there, and the track ends and a new one starts
   * with this frame. Returns the track the frame went to.
   */
  private async addFrameTemplate(
    pixels: Parameters<FaceEngine['detect']>[0],
    track: Track,
    template: FaceTemplate,
    g: number,
    now: number,
  ): Promise<Track> {
    const { engine } = this.deps;
    let tr = track;
    const poor = g < SWAP_MIN_GOODNESS;
    // A poor frame is judged on the plain score's far tail (the compareFaces score has no such tail below 0.4).
    const score = !tr.template
      ? 1
      : poor
        ? engine.similarity(template, tr.template)
        : engine.compare(template, tr.template);
    const unlike = score < (poor ? POOR_FRAME_SWAP_SIMILARITY : SWAP_SIMILARITY);
    const doubtful = !poor && !unlike && score < DOUBTFUL_SIMILARITY;
    if (((unlike && poor) || doubtful) && !tr.suspect) {
      // Not added to the track; the next frame is embedded and decides.
      tr.suspect = true;
      return tr;
    }
    tr.suspect = false;
    if (unlike || doubtful) {
      // Someone else in the same place: end this track, start a new one with this frame.
      const replacement = this.newTrack(tr.face, now);
      Object.assign(replacement, { framesSeen: 1, quality: tr.quality, lastSeenAt: now });
      this.tracks = this.tracks.map((x) => (x === tr ? replacement : x));
      tr = replacement;
    }
    tr.embedded++;
    tr.lastEmbedAt = now;
    tr.recentTemplates = [...tr.recentTemplates, template].slice(-TEMPLATE_FRAMES);
    const running = meanTemplate(tr.recentTemplates);
    tr.template = running;
    tr.templateChanged = true;
    // The frames kept for enroll stay frames of the face the track follows now: a track whose face drifted to
    // someone else's (each frame a little unlike the last) does not enroll the first face under the second's name.
    // On the compareFaces score, as the swap check: the plain score's 0.5 keeps a webcam stranger's frames.
    tr.best = tr.best.filter((b) => engine.compare(b.template, running) >= SWAP_SIMILARITY);
    // A frame that cannot be stored whole (its encoding failed, and its pixels are gone) makes room for this one, so
    // that a StoreFullImage enroll works again once the face has been followed a moment longer.
    const unencoded = tr.best.find((b) => b.wholeFailed);
    if (unencoded) tr.best = tr.best.filter((b) => b !== unencoded);
    const candidate: BestFrame = { goodness: g, template };
    const kept = keepBest(tr.best, candidate, ENROLL_FRAMES);
    if (kept.added) {
      // The thumbnail is made before the frame joins the list: an enroll reading the list meanwhile (or after the
      // thumbnail failed) would store the frame without its image.
      candidate.thumbnail = await faceThumbnail(pixels, tr.face.box);
      if (this.settings.keepFrames) {
        candidate.frameImage = this.wholeFrameImage(pixels);
        void candidate.frameImage.then((image) => {
          if (image instanceof Error) candidate.wholeFailed = true;
        });
      }
      tr.best = kept.kept;
    }
    return tr;
  }

  /**
   * The frame as a JPEG for StoreFullImage, encoded in the background: its pixels are read now (the frame is disposed
   * after this call), the encoding does not hold up the frame, which is what a face's time to its name waits for.
   */
  private wholeFrameImage(pixels: Parameters<FaceEngine['detect']>[0]): Promise<Blob | Error> {
    if (this.frameImage?.pixels !== pixels)
      this.frameImage = {
        pixels,
        image: this.deps.engine
          .untilContextLoss(fullImageJpeg(pixels))
          .catch((error: unknown) => (error instanceof Error ? error : new Error(String(error)))),
      };
    return this.frameImage.image;
  }

  /**
   * Searches the tracks whose template changed, every track once the collection changed (someone was enrolled or
   * deleted), and every track again about once a second.
   */
  private async search(visible: readonly Track[], now: number, timings: TrackerTimings): Promise<void> {
    const withTemplate = visible.filter((tr) => tr.template);
    if (withTemplate.length === 0) return;
    const service = await this.deps.persons();
    const due = withTemplate.filter((tr) => {
      if (tr.templateChanged || tr.lastSearchAt === undefined) return true;
      const since = now - tr.lastSearchAt;
      const indexChanged = service.indexVersion !== tr.searchedIndexVersion;
      return since >= RESEARCH_EVERY_MS || (indexChanged && since >= RESEARCH_ON_CHANGE_MS);
    });
    if (due.length === 0) return;
    const t = performance.now();
    for (const tr of due) {
      const [hit] = await service.searchTemplate(
        this.settings.collectionName!,
        tr.template!,
        this.settings.minSimilarityScore,
        1,
      );
      // Another person than the track was matched to: the liveness decided so far was decided on frames that may
      // not be this person's (a photo held up where a live face was), so it is decided again from the next frames.
      // (A match lost and found again near the threshold is the same person: no new decision.)
      if (hit && tr.searched && hit.personId !== tr.matchedPersonId) {
        tr.evidence = [];
        tr.liveness = null;
        tr.lastLivenessAt = undefined;
      }
      tr.match = hit ? matchOf(hit) : null;
      if (hit) tr.matchedPersonId = hit.personId;
      tr.searched = true;
      tr.lastSearchAt = now;
      tr.templateChanged = false;
      // Read after the search: loading the index for it is not a change to search again for.
      tr.searchedIndexVersion = service.indexVersion;
    }
    timings.searchMs = performance.now() - t;
  }

  private newTrack(face: DetectedFace, now: number): Track {
    return {
      id: this.nextId++,
      face,
      framesSeen: 0,
      missedFrames: 0,
      lastSeenAt: now,
      embedded: 0,
      recentTemplates: [],
      templateChanged: false,
      best: [],
      suspect: false,
      searched: false,
      match: null,
      evidence: [],
      liveness: null,
      attributes: [],
    };
  }

  private describe(tr: Track): TrackedFace {
    const { box, keypoints, pose } = faceInInput(tr.face, this.toFrame);
    return {
      trackId: tr.id,
      box: { ...box },
      keypoints: keypointList(keypoints),
      pose: { ...pose },
      ...(this.settings.quality && tr.quality ? { quality: { ...tr.quality } } : {}),
      ...(this.settings.attributes && tr.attributes.length > 0 ? { attributes: averageAttributes(tr.attributes) } : {}),
      framesSeen: tr.framesSeen,
      match: tr.match && { ...tr.match },
      liveness: tr.liveness && { ...tr.liveness },
    };
  }

  private assertOpen(): void {
    if (this.closed)
      throw new FaceError(
        'ERR_INVALID_ARGUMENT',
        'This face tracker is closed. Create a new one with client.createFaceTracker().',
      );
  }
}

function isVideoFrameInput(frame: unknown): frame is VideoFrameInput {
  return isVideoFrame(frame);
}

function averageAttributes(all: readonly FaceAttributes[]): FaceAttributes {
  const mean = (k: keyof FaceAttributes) => Math.round((all.reduce((s, a) => s + a[k], 0) / all.length) * 1e4) / 1e4;
  return { sunglasses: mean('sunglasses'), mask: mean('mask'), veil: mean('veil'), hat: mean('hat') };
}

/** Whether a face moved by more than half its width between two frames (the association still followed it). */
function jumped(before: Box, after: Box): boolean {
  const dx = after.x + after.width / 2 - (before.x + before.width / 2);
  const dy = after.y + after.height / 2 - (before.y + before.height / 2);
  return Math.hypot(dx, dy) > 0.5 * before.width;
}

/** A track's match from a search hit (the hit's other fields stay with the search). */
function matchOf(hit: TrackMatch): TrackMatch {
  return {
    personId: hit.personId,
    personName: hit.personName,
    metadata: hit.metadata,
    similarityScore: hit.similarityScore,
  };
}
