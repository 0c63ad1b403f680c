// One place for how tests, benchmarks and tools launch Debian's chromium (apt-get install chromium): no browser
// is downloaded. SwiftShader gives WebGL2 in headless mode on machines without a GPU.
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--use-angle=swiftshader',
  '--enable-unsafe-swiftshader',
];

/**
 * A browser's arguments that reach 127.0.0.1 under `host`: a plain-HTTP page that is not localhost is insecure, as
 * http://192.168.1.20/ on a LAN would be. The fake camera is there, so only the insecure page keeps it away.
 */
export function lanHostArgs(host) {
  return [
    ...CHROMIUM_ARGS,
    `--host-resolver-rules=MAP ${host} 127.0.0.1`,
    '--use-fake-device-for-media-stream',
    '--use-fake-ui-for-media-stream',
  ];
}
