import type { BrowserContext, Page } from '@playwright/test';
export const CAMERA_WIDTH: number;
export const CAMERA_HEIGHT: number;
/** Writes `outPath` (.y4m): one frame (Chromium loops it) showing `photoPath` scaled to fit 640×480 (× look.scale), pixels × look.brightness. */
export function writeFakeCameraVideo(
  page: Page,
  photoPath: string,
  outPath: string,
  look?: { scale?: number; brightness?: number },
): Promise<void>;
/** Writes `outPath` (.y4m): segments of `seconds` showing `photoPath` (null: an empty grey frame) at `fps` (default 10). */
export function writeFakeCameraClip(
  page: Page,
  segments: { photoPath: string | null; seconds: number }[],
  outPath: string,
  fps?: number,
): Promise<void>;
/** RGBA → one-frame Y4M, 4:2:0, full-range BT.601. */
export function y4mFrame(rgba: Uint8Array, width: number, height: number): Buffer;
/**
 * A Chromium whose camera shows `videoPath` (null: Chromium's default fake camera: a green disc and a clock), with a
 * persistent profile (IndexedDB survives relaunches), camera allowed. `gpu: 'off'`: no GL at all; `cameras`: how many
 * default fake cameras (without a video file); `serviceWorkers: 'block'`: no service worker (routes see every request).
 */
export function launchWithCamera(
  videoPath: string | null,
  profileDir: string,
  options?: { gpu?: 'swiftshader' | 'off'; cameras?: number; serviceWorkers?: 'allow' | 'block' },
): Promise<BrowserContext>;
