import type { Server } from 'node:http';
/** Serves `root` on 127.0.0.1:`port` with the cross-origin isolation headers, and `csp` as Content-Security-Policy. */
export function serve(root: string, port: number, options?: { csp?: string }): Promise<Server>;
