// The library's errors in the words of the people at the demos' screens. Its own messages are written for developers
// (they name the argument, "faceA", and say which option to pass): staff enrolling from a photo, or someone comparing
// two photos, are told what is wrong with the picture and what to do instead. Errors nobody at the screen can meet
// (a developer's mistake) keep the library's message and code.
import { adviceFor } from './advice';

export interface FaceErrorWords {
  /** The picture, as the sentence names it: "the photo" (the default), "Photo A". */
  picture?: string;
  /** The picture is the camera's (enrolling from the camera): no face means "stand in front of it". */
  camera?: boolean;
  /** Whom a duplicate face belongs to, where the reader may know (staff). */
  duplicateName?: string;
}

/** A library error, as thrown (a FaceError) or as it comes back from the kiosk's worker (an Error with its code). */
interface CodedError {
  code?: unknown;
  metadata?: Record<string, unknown>;
}

const capitalised = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);

/**
 * One plain sentence for an error someone at the screen can meet (no face, several faces, a duplicate, not live, a
 * file that is no JPEG or PNG, a full disk…), naming the picture; undefined for any other.
 */
export function plainFaceErrorText(error: unknown, words: FaceErrorWords = {}): string | undefined {
  const { picture = 'the photo', camera = false, duplicateName } = words;
  // What createImageBitmap throws for a file the browser cannot decode (the pages draw a photo before the library
  // reads it).
  if (error instanceof DOMException && (error.name === 'InvalidStateError' || error.name === 'EncodingError'))
    return plainFaceErrorText({ code: 'ERR_BASE64_IMAGE_CANNOT_BE_DECODED' }, words);
  const { code, metadata } = (typeof error === 'object' && error !== null ? error : {}) as CodedError;
  switch (code) {
    case 'ERR_FACE_NOT_DETECTED':
      return camera
        ? 'No face was found: stand in front of the camera, facing it, and try again.'
        : `No face was found in ${picture}: pick a photo where the face is clearly visible, from the front.`;
    case 'ERR_TOO_MANY_FACES':
      return camera
        ? 'More than one face is in view: one person at a time, please.'
        : `More than one face is in ${picture}: pick a photo of one person only.`;
    case 'ERR_DUPLICATE_FACE':
      return duplicateName
        ? `Already enrolled: this face is ${duplicateName}'s.`
        : 'Already enrolled: this face matches a person enrolled already.';
    case 'ERR_LIVENESS_ERROR': {
      // The liveness code says what to do, in the words the kiosk uses for it.
      const livenessCode = String(metadata?.code ?? 'FACE_NOT_LIVE');
      if (livenessCode === 'TOO_MANY_FACES') return plainFaceErrorText({ code: 'ERR_TOO_MANY_FACES' }, words);
      const advice = adviceFor(livenessCode);
      return advice === 'Try again'
        ? 'The liveness check could not decide: try again.'
        : `The liveness check failed: ${advice.toLowerCase()}, then try again.`;
    }
    case 'ERR_BASE64_IMAGE_CANNOT_BE_DECODED':
      return `${capitalised(picture)} is not a JPEG or PNG image, or the file is damaged: pick a JPEG or PNG photo.`;
    case 'ERR_IMAGE_TOO_SMALL':
      return `${capitalised(picture)} is too small: pick a larger photo.`;
    case 'ERR_IMAGE_TOO_LARGE':
      return `${capitalised(picture)} is too large for this device: pick a smaller photo.`;
    case 'ERR_STORAGE_QUOTA_EXCEEDED':
      return "This device's storage is full, so nothing was saved: free some space, then try again.";
    case 'ERR_MODEL_LOAD_FAILED':
      return "A face model could not be loaded: check the network connection, then try again (if it keeps failing, the app's files on its server need fixing: the browser console says which).";
  }
  return undefined;
}

/** The plain sentence for `error` where there is one, else the library's message and code (or the error's message). */
export function faceErrorText(error: unknown, words: FaceErrorWords = {}): string {
  const plain = plainFaceErrorText(error, words);
  if (plain) return plain;
  const { code } = (typeof error === 'object' && error !== null ? error : {}) as CodedError;
  const message = error instanceof Error ? error.message : String(error);
  return typeof code === 'string' ? `${message} (${code})` : message;
}

/**
 * For a screen the public sees: the plain sentence where there is one, else a general one; the library's own message
 * (model URLs, option names, codes: for developers) goes to the console.
 */
export function publicErrorText(error: unknown, words: FaceErrorWords = {}): string {
  console.error(error);
  const plain = plainFaceErrorText(error, words);
  if (plain) return plain.endsWith('.') || plain.endsWith(')') ? plain : `${plain}.`;
  const { code } = (typeof error === 'object' && error !== null ? error : {}) as CodedError;
  return `Something went wrong on this device${typeof code === 'string' ? ` (${code})` : ''}.`;
}
