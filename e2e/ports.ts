/**
 * The e2e servers' ports. E2E_PORT_OFFSET shifts all of them, so two checkouts can run their suites at once
 * without one reusing the other's server.
 */
const offset = Number(process.env.E2E_PORT_OFFSET ?? 0);
export const HARNESS_PORT = 4173 + offset;
export const DEV_PORT = 5174 + offset;
export const SITE_PORT = 4175 + offset;
export const CHECKIN_PORT = 4176 + offset;
export const CONSUMER_PORT = 4177 + offset;
// 4178 and 4179 are taken by tools/kiosk-fps and tools/fit-checks/decision.mjs.
export const CLOUD_CLIENT_PORT = 4181 + offset;
/**
 * The harness root and the built demos again, served with a strict Content-Security-Policy (csp.spec.ts). Every
 * port stays within 4173–4182, so checkouts whose offsets differ by 10 never collide.
 */
export const CSP_HARNESS_PORT = 4174 + offset;
export const CSP_SITE_PORT = 4182 + offset;
/** The harness root served with a policy that forbids compiling WebAssembly (no 'wasm-unsafe-eval'). */
export const NO_WASM_CSP_PORT = 4180 + offset;
export const STRICT_CSP = "script-src 'self' 'wasm-unsafe-eval'; worker-src 'self'";
