// Head crops the attribute study measured as hat features and the library does not ship (its hat head reads the
// CenterNet backbone's features, src/face/checks/centerNetBackbone.ts): kept for re-running the study.
import type { Point } from '../../src/vocabulary';
import { MOBILEFACENET_TEMPLATE } from '../../src/face/embedding/mobileFaceNet';

export const HEAD_THUMB_SIZE = 32;

/**
 * A 32-px head crop for region statistics: MobileFaceNet's 112-px template at half scale, eyes at 57 % of the height,
 * so the crop spans about twice the face's width and the whole head above the brows (where a hat sits).
 */
export const HEAD_TEMPLATE: readonly Point[] = Object.freeze(
  MOBILEFACENET_TEMPLATE.map((p) =>
    Object.freeze({
      x: (((p.x - 56) * 0.5 + 56) * HEAD_THUMB_SIZE) / 112,
      y: (((p.y - 51.6) * 0.5 + 64) * HEAD_THUMB_SIZE) / 112,
    }),
  ),
);

/**
 * A 112-px head crop for MobileFaceNet's descriptor: its own template zoomed out by half about the crop's centre and
 * moved down by 12 % of the crop (the layout CenterNet's head crop uses at 224 px).
 */
export const HEAD_EMBEDDING_TEMPLATE: readonly Point[] = Object.freeze(
  MOBILEFACENET_TEMPLATE.map((p) => Object.freeze({ x: (p.x - 56) * 0.5 + 56, y: (p.y - 56) * 0.5 + 56 + 0.12 * 112 })),
);
