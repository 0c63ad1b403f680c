// Why a camera did not start, said as what to do about it: both camera apps show it to the person at the screen.
import { cameraUnavailable } from './cameraFrames';

/** A clause after "No camera: " — what happened and what to do next; the error itself goes to the console. */
export function cameraProblem(error: unknown): string {
  const unavailable = cameraUnavailable(); // not a secure page, or no camera API at all
  if (unavailable) return unavailable;
  const name = error instanceof DOMException ? error.name : '';
  if (name === 'NotAllowedError' || name === 'SecurityError')
    return 'access to it was refused: allow the camera for this page, then reload';
  // Both camera pages open a camera connected later, without a reload.
  if (name === 'NotFoundError') return 'none is connected: connect a camera';
  // The pages ask only for an ideal size and the front camera: no camera at all meets them.
  if (name === 'OverconstrainedError') return 'none of the connected cameras can be used: connect another, then reload';
  if (name === 'NotReadableError' || name === 'AbortError')
    return 'it is in use by another app, or failed: close that app, then reload';
  console.error('The camera could not start:', error);
  return 'it could not start: reload the page, and restart the device if that does not help';
}
