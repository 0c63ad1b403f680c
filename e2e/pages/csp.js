// The harness of harness.html, for a page served with a strict Content-Security-Policy (csp.spec.ts): records every
// CSP violation from before the library loads, then loads the built library exactly as an app would.
window.cspViolations = [];
document.addEventListener('securitypolicyviolation', (e) =>
  window.cspViolations.push(
    `${e.effectiveDirective} blocked ${e.blockedURI || '(inline)'} in ${e.sourceFile}:${e.lineNumber}`,
  ),
);
const LocalFace = await import('/dist/localface.js');
window.LocalFace = LocalFace;
window.fixture = async (name) => new Uint8Array(await (await fetch(`/e2e/fixtures/${name}`)).arrayBuffer());
window.tensorCount = () => globalThis._tfengine.memory().numTensors;
window.harnessReady = true;
