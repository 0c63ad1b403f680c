import { FaceError } from '../errors';

// Captured while the bundle is being evaluated: for the IIFE <script> build, document.currentScript is that
// script; for the ES module it is null and import.meta.url names the module instead. (In the IIFE build
// import.meta is an empty object, so its url is undefined there.)
const scriptSrc =
  typeof document !== 'undefined' && document.currentScript && 'src' in document.currentScript
    ? document.currentScript.src
    : '';
const moduleUrl: string | undefined = import.meta.url;
// A classic Worker that loaded the IIFE with importScripts has no currentScript: the file being evaluated is the
// first script URL on the stack (Chromium "at URL:line:col", Firefox and Safari "@URL:line:col").
const importedScript =
  !scriptSrc && !moduleUrl && typeof document === 'undefined' ? scriptOnStack(new Error().stack) : undefined;

/** The first http(s) or file script URL of a stack trace, without its line and column (blob: URLs have no folder). */
export function scriptOnStack(stack: string | undefined): string | undefined {
  const match = /(?<!blob:)((?:https?|file):\/\/[^\s()@]+?):\d+:\d+/.exec(stack ?? '');
  return match?.[1];
}

/** `models/` next to the library file: dist/localface.js and dist/localface.iife.js both load dist/models/. */
export function defaultModelBaseUrl(): string {
  const base =
    scriptSrc || moduleUrl || importedScript || (typeof location !== 'undefined' ? location.href : undefined);
  try {
    return new URL('./models/', base).href;
  } catch {
    // A blob: or data: document or Worker has no folder to look in.
    throw new FaceError(
      'ERR_INVALID_ARGUMENT',
      `LocalFace cannot tell where its models are (it runs from ${base ? base.split(':')[0] + ': URL' : 'no URL'}): pass modelBaseUrl, e.g. the absolute URL of the models/ folder next to the library.`,
    );
  }
}
