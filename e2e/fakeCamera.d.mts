import type { BrowserContext, Page } from '@playwright/test';
export const CAMERA_WIDTH: number;
export const CAMERA_HEIGHT: number;
/** Writes `outPath` (.y4m): one frame (Chromium loops it) showing `photoPath` scaled to fit 640×480 (× look.scale), pixels × look.brightness. */
export function writeFakeCameraVideo(page: Page, photoPath: string, outPath: string, look?: { scale?: number; brightness?: number }): Promise<void>;
/** RGBA → one-frame Y4M, 4:2:0, full-range BT.601. */
export function y4mFrame(rgba: Uint8Array, width: number, height: number): Buffer;
/** A Chromium whose camera shows `videoPath`, with a persistent profile (IndexedDB survives relaunches), camera allowed. */
export function launchWithCamera(videoPath: string, profileDir: string): Promise<BrowserContext>;
