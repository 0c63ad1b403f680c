// Which camera the camera pages (the kiosk, the check-in app) use. A kiosk often has two (a laptop's own and a USB
// camera on a stand): staff choose one, and the choice is kept in this browser, so the same camera opens after a
// reload or a power cut.

const CHOICE_KEY = 'localface-kiosk-camera';

/** The deviceId staff chose, as kept in this browser (none where storage is off: the kiosk keeps it in memory too). */
export function chosenCameraId(): string | undefined {
  try {
    return localStorage.getItem(CHOICE_KEY) ?? undefined;
  } catch {
    return undefined;
  }
}

export function rememberCamera(deviceId: string): void {
  try {
    localStorage.setItem(CHOICE_KEY, deviceId);
  } catch {
    // storage off: the kiosk's copy in memory holds until the page reloads
  }
}

/** The picture size the recognition works at: more pixels only cost time to read. */
const SIZE = { width: { ideal: 640 }, height: { ideal: 480 } };

export interface OpenedCamera {
  stream: MediaStream;
  /** The chosen camera could not be opened (unplugged, or in use): another one is shown instead. */
  choiceMissing: boolean;
}

/** Exactly camera `deviceId`, or an error (NotFoundError, OverconstrainedError, NotReadableError…). */
export function openExactCamera(deviceId: string): Promise<MediaStream> {
  return navigator.mediaDevices.getUserMedia({ video: { ...SIZE, deviceId: { exact: deviceId } }, audio: false });
}

/**
 * Opens camera `chosen`, else the front one. A chosen camera that cannot be opened (unplugged, in use by another
 * app) is no reason to show no picture: any camera is used then, and `choiceMissing` says so. A refused permission
 * is thrown: no other camera would be allowed either.
 */
export async function openCamera(chosen: string | undefined): Promise<OpenedCamera> {
  const anyCamera = () => navigator.mediaDevices.getUserMedia({ video: { ...SIZE, facingMode: 'user' }, audio: false });
  if (!chosen) return { stream: await anyCamera(), choiceMissing: false };
  try {
    return { stream: await openExactCamera(chosen), choiceMissing: false };
  } catch (error) {
    const name = error instanceof DOMException ? error.name : '';
    if (name === 'NotAllowedError' || name === 'SecurityError') throw error;
    return { stream: await anyCamera(), choiceMissing: true };
  }
}

/** The camera a <video> element shows (its deviceId, as the browser reports it). */
export function cameraIdOf(video: HTMLVideoElement): string | undefined {
  const stream = video.srcObject;
  return stream instanceof MediaStream ? stream.getVideoTracks()[0]?.getSettings().deviceId : undefined;
}

export interface CameraOption {
  deviceId: string;
  label: string;
}

/** The connected cameras, named as the browser names them (once the page may use a camera), else "Camera n". */
export async function listCameras(): Promise<CameraOption[]> {
  const devices = await navigator.mediaDevices.enumerateDevices();
  return devices
    .filter((device) => device.kind === 'videoinput' && device.deviceId)
    .map((device, i) => ({ deviceId: device.deviceId, label: device.label || `Camera ${i + 1}` }));
}
