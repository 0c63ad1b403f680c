// What a camera page has open, as its tests look at it: the camera it shows, and the cameras still on among those
// it opened (an init script in the test keeps every stream in window.openedStreams).
import type { Page } from '@playwright/test';

/** The label of the camera the page's <video> shows (fake_device_0 …), if any. */
export function shownCamera(page: Page): Promise<string | undefined> {
  return page.evaluate(() => {
    const stream = document.querySelector('video')!.srcObject as MediaStream | null;
    return stream?.getVideoTracks()[0]?.label;
  });
}

/** The labels of the cameras the page opened that are still on. */
export function liveCameras(page: Page): Promise<string[]> {
  return page.evaluate(() =>
    (window as unknown as { openedStreams: MediaStream[] }).openedStreams
      .flatMap((stream) => stream.getVideoTracks())
      .filter((track) => track.readyState === 'live')
      .map((track) => track.label),
  );
}
