// Writes dist/index.d.ts, the types entry the API contract names, pointing at the declarations in dist/types/
// (kept in their own folder so dist/models/ holds only model files).
import { writeFileSync } from 'node:fs';

writeFileSync(new URL('../dist/index.d.ts', import.meta.url), "export * from './types/index';\n");
