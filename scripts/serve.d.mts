import type { Server } from 'node:http';
/** Serves `root` on 127.0.0.1:`port` with the cross-origin isolation headers. */
export function serve(root: string, port: number): Promise<Server>;
