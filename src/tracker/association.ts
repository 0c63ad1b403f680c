// Following faces from frame to frame: which detection of this frame continues which track. Pure functions.
import { intersectionOverUnion, type Box } from '../vocabulary';

export interface AssociationLimits {
  /** Boxes overlapping at least this much (IoU) are the same face moving. */
  minIoU: number;
  /**
   * Below minIoU, a detection whose centre lies within this many box sizes of a track's centre, with a similar size,
   * still continues it (a head moving fast between two slow frames), at a lower priority than any overlap.
   */
  maxCentreShift: number;
  /** Sizes (box width) within this ratio of each other count as similar for the centre rule. */
  maxSizeRatio: number;
}

export const DEFAULT_ASSOCIATION_LIMITS: AssociationLimits = Object.freeze({
  minIoU: 0.3,
  maxCentreShift: 0.6,
  maxSizeRatio: 1.5,
});

/** How strongly a detection continues a track: the IoU when ≥ minIoU, a small positive score for the centre rule, else 0. */
export function continuationScore(
  track: Box,
  detection: Box,
  limits: AssociationLimits = DEFAULT_ASSOCIATION_LIMITS,
): number {
  const iou = intersectionOverUnion(track, detection);
  if (iou >= limits.minIoU) return iou;
  const size = Math.max(track.width, track.height);
  const ratio = Math.max(track.width, detection.width) / Math.max(1e-9, Math.min(track.width, detection.width));
  if (!(size > 0) || ratio > limits.maxSizeRatio) return 0;
  const shift =
    Math.hypot(
      track.x + track.width / 2 - (detection.x + detection.width / 2),
      track.y + track.height / 2 - (detection.y + detection.height / 2),
    ) / size;
  if (shift > limits.maxCentreShift) return 0;
  // Always below any IoU ≥ minIoU, higher for smaller shifts.
  return (limits.minIoU * (1 - shift / limits.maxCentreShift)) / 2 + 1e-6;
}

/**
 * The at most `max` detections to follow this frame, from `detections` largest first: the largest (the person
 * nearest the camera, whom a kiosk serves), then those that continue a track, then the others. Cutting by size alone,
 * with more faces in view than `max`, would follow a different few each frame (a queue flickering), each face coming
 * back as new and embedded again.
 */
export function keepFollowed<T extends { box: Box }>(
  detections: readonly T[],
  tracks: readonly Box[],
  max: number,
  limits: AssociationLimits = DEFAULT_ASSOCIATION_LIMITS,
): T[] {
  if (detections.length <= max) return [...detections];
  const [largest, ...others] = detections;
  const continues = (d: T) => tracks.some((t) => continuationScore(t, d.box, limits) > 0);
  return [largest!, ...others.filter(continues), ...others.filter((d) => !continues(d))].slice(0, max);
}

export interface Association {
  /** [track index, detection index] pairs. */
  pairs: [number, number][];
  /** Detections that continue no track: new tracks. */
  newDetections: number[];
  /** Tracks no detection continues in this frame. */
  missedTracks: number[];
}

/**
 * Groups of tracks and detections that the boxes alone cannot pair with certainty: a detection that could continue
 * more than one track, or a track that more than one detection could continue (two faces crossing, one passing
 * behind another, a face entering next to a tracked one). Connected groups of the candidate pairs, each with at least
 * two tracks or two detections; indices ascending.
 */
export function contestedGroups(
  tracks: readonly Box[],
  detections: readonly Box[],
  limits: AssociationLimits = DEFAULT_ASSOCIATION_LIMITS,
): { tracks: number[]; detections: number[] }[] {
  // Union-find over tracks (0..T-1) and detections (T..T+D-1).
  const parent = Array.from({ length: tracks.length + detections.length }, (_, i) => i);
  const root = (i: number): number => (parent[i] === i ? i : (parent[i] = root(parent[i]!)));
  tracks.forEach((track, t) =>
    detections.forEach((detection, d) => {
      if (continuationScore(track, detection, limits) > 0) parent[root(t)] = root(tracks.length + d);
    }),
  );
  const groups = new Map<number, { tracks: number[]; detections: number[] }>();
  const group = (i: number) => {
    const r = root(i);
    if (!groups.has(r)) groups.set(r, { tracks: [], detections: [] });
    return groups.get(r)!;
  };
  tracks.forEach((_, t) => group(t).tracks.push(t));
  detections.forEach((_, d) => group(tracks.length + d).detections.push(d));
  return [...groups.values()].filter((g) => g.tracks.length > 1 || g.detections.length > 1);
}

/** How alike a track's face and a detection look, for the detections of contested groups (see associate). */
export interface Appearance {
  /** The similarity of track t's running template and detection d's embedding. */
  likeness(t: number, d: number): number;
  /** In a contested group, a track and a detection less alike than this are never paired. */
  minLikeness: number;
  /** The contested groups, when the caller has them already (else computed from the boxes). */
  groups?: readonly { tracks: readonly number[] }[];
}

/**
 * In a contested group, a pair's rank is its likeness plus this much of its continuation score: appearance decides,
 * the boxes only break near-ties (two photos of one person, twins).
 */
export const GEOMETRY_WEIGHT = 0.1;

/**
 * One-to-one assignment of this frame's detections to the live tracks, greedily by continuation score, best first
 * (faces in a kiosk are few and rarely overlap, so greedy equals the optimal assignment in practice). With
 * `appearance`, the pairs of contested groups (contestedGroups) are ranked by how alike the faces look instead: when
 * two faces cross, the boxes give each track the other's face as readily as its own.
 */
export function associate(
  tracks: readonly Box[],
  detections: readonly Box[],
  limits: AssociationLimits = DEFAULT_ASSOCIATION_LIMITS,
  appearance?: Appearance,
): Association {
  const groups = appearance ? (appearance.groups ?? contestedGroups(tracks, detections, limits)) : [];
  const contested = new Set(groups.flatMap((g) => g.tracks));
  const candidates: { t: number; d: number; score: number }[] = [];
  tracks.forEach((track, t) =>
    detections.forEach((detection, d) => {
      const score = continuationScore(track, detection, limits);
      if (!(score > 0)) return;
      if (!contested.has(t)) candidates.push({ t, d, score });
      else {
        // Groups share no track or detection, so these ranks are compared only with each other.
        const likeness = appearance!.likeness(t, d);
        if (likeness >= appearance!.minLikeness) candidates.push({ t, d, score: likeness + GEOMETRY_WEIGHT * score });
      }
    }),
  );
  candidates.sort((a, b) => b.score - a.score || a.t - b.t || a.d - b.d);
  const trackTaken = new Set<number>(),
    detectionTaken = new Set<number>();
  const pairs: [number, number][] = [];
  for (const c of candidates) {
    if (trackTaken.has(c.t) || detectionTaken.has(c.d)) continue;
    trackTaken.add(c.t);
    detectionTaken.add(c.d);
    pairs.push([c.t, c.d]);
  }
  return {
    pairs,
    newDetections: detections.map((_, d) => d).filter((d) => !detectionTaken.has(d)),
    missedTracks: tracks.map((_, t) => t).filter((t) => !trackTaken.has(t)),
  };
}

/** A track that was not seen is kept for a short while (a detector miss, a hand passing), then ended. */
export interface TrackLifetime {
  /** A track missed in at least this many consecutive frames ... */
  maxMissedFrames: number;
  /** ... and for at least this long ends; the face coming back later is a new track. */
  maxMissedMs: number;
  /**
   * A track missed in this many consecutive frames ends whatever the timestamps say (a clock that advances too
   * slowly would keep every face that ever passed).
   */
  maxMissedFramesAnyTime: number;
}

export const DEFAULT_TRACK_LIFETIME: TrackLifetime = Object.freeze({
  maxMissedFrames: 2,
  maxMissedMs: 400,
  maxMissedFramesAnyTime: 30,
});

export function trackEnded(
  missedFrames: number,
  msSinceSeen: number,
  lifetime: TrackLifetime = DEFAULT_TRACK_LIFETIME,
): boolean {
  return (
    missedFrames >= lifetime.maxMissedFramesAnyTime ||
    (missedFrames >= lifetime.maxMissedFrames && msSinceSeen >= lifetime.maxMissedMs)
  );
}

/**
 * At most `max` tracks, in their order: every track seen in this frame, then the missed ones seen most recently
 * (fewest missed frames first). Many faces passing in a short while cannot grow the tracker without bound.
 */
export function keepTracks<T extends { missedFrames: number }>(tracks: readonly T[], max: number): T[] {
  if (tracks.length <= max) return [...tracks];
  const kept = new Set(
    [...tracks]
      .map((track, i) => ({ track, i }))
      .sort((a, b) => a.track.missedFrames - b.track.missedFrames || a.i - b.i)
      .slice(0, max)
      .map((x) => x.track),
  );
  return tracks.filter((t) => kept.has(t));
}
