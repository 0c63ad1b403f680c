// What the person in front of the camera should do, per reason code: the kiosk's enrolment and status line, and the
// check-in page's verdict. (The library's tracker gives a liveness code, not words: demos say it in their own.)

/** Short instructions for the person in front of the camera, per reason code (quality and liveness codes). */
const ADVICE: Record<string, string> = {
  FACE_NOT_FOUND: 'Step in front of the camera',
  FACE_TOO_SMALL: 'Move closer',
  FACE_TOO_CLOSE: 'Move back a little',
  FACE_CLOSE_TO_BORDER: 'Centre your face',
  FACE_CROPPED: 'Centre your face',
  FACE_ANGLE_TOO_LARGE: 'Look straight at the camera',
  EYES_CLOSED: 'Open your eyes',
  FACE_IS_OCCLUDED: 'Uncover your face',
  FACE_NOT_LIVE: 'Present your own face, not a photo or a screen',
  TOO_MANY_FACES: 'One person at a time, please',
  TOO_DARK: 'More light',
  BLURRY: 'Hold still',
  GRAYSCALE: 'Use a colour camera',
};

export function adviceFor(code: string): string {
  return ADVICE[code] ?? 'Try again';
}
