import type * as tf from '@tensorflow/tfjs';
import type { DetectedFace } from '../detection/faceDetector';
import { FaceError } from '../errors';

/**
 * The one place enroll and search check liveness (`checkLiveness: true`). There is no liveness model in this
 * version (issue 4 adds it and replaces this function): rather than pretend a face is live, the call is refused.
 * When implemented, it rejects a non-live face with ERR_LIVENESS_ERROR and `metadata.code` (API.md).
 */
export async function assertLive(_pixels: tf.Tensor3D, _face: DetectedFace): Promise<void> {
  throw livenessUnavailable();
}

/** Checked before any image work, so an unsupported request fails fast. */
export function livenessUnavailable(): FaceError {
  return new FaceError('ERR_INVALID_ARGUMENT', 'Liveness checking is not available in this version of LocalFace; call without checkLiveness (or with checkLiveness: false).', { metadata: { option: 'checkLiveness' } });
}

export const LIVENESS_AVAILABLE = false;
