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

export interface Association {
  /** [track index, detection index] pairs. */
  pairs: [number, number][];
  /** Detections that continue no track: new tracks. */
  newDetections: number[];
  /** Tracks no detection continues in this frame. */
  missedTracks: number[];
}

/**
 * One-to-one assignment of this frame's detections to the live tracks, greedily by continuation score, best first
 * (faces in a kiosk are few and rarely overlap, so greedy equals the optimal assignment in practice).
 */
export function associate(
  tracks: readonly Box[],
  detections: readonly Box[],
  limits: AssociationLimits = DEFAULT_ASSOCIATION_LIMITS,
): Association {
  const candidates: { t: number; d: number; score: number }[] = [];
  tracks.forEach((track, t) =>
    detections.forEach((detection, d) => {
      const score = continuationScore(track, detection, limits);
      if (score > 0) candidates.push({ t, d, score });
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
