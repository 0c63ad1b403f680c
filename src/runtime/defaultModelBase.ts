// Captured while the bundle is being evaluated: for the IIFE <script> build, document.currentScript is that
// script; for the ES module it is null and import.meta.url names the module instead.
const scriptSrc =
  typeof document !== 'undefined' && document.currentScript && 'src' in document.currentScript ? document.currentScript.src : '';

/** `models/` next to the library file: dist/localface.js and dist/localface.iife.js both load dist/models/. */
export function defaultModelBaseUrl(): string {
  return new URL('./models/', scriptSrc || import.meta.url).href;
}
