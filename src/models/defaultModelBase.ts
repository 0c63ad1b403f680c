// Captured while the bundle is being evaluated: for the IIFE <script> build, document.currentScript is that
// script; for the ES module it is null and import.meta.url names the module instead. (In the IIFE build
// import.meta is an empty object, so its url is undefined there.)
const scriptSrc =
  typeof document !== 'undefined' && document.currentScript && 'src' in document.currentScript
    ? document.currentScript.src
    : '';
const moduleUrl: string | undefined = import.meta.url;

/** `models/` next to the library file: dist/localface.js and dist/localface.iife.js both load dist/models/. */
export function defaultModelBaseUrl(): string {
  const base = scriptSrc || moduleUrl || (typeof location !== 'undefined' ? location.href : undefined);
  return new URL('./models/', base).href;
}
