// Writes dist/index.d.ts, the types entry the API contract names, pointing at the declarations in dist/types/
// (kept in their own folder so dist/models/ holds only model files). The package is an ES module ("type":
// "module"), so under TypeScript's node16/nodenext resolution a relative import needs its file's extension: tsc
// writes `from './client'`, and every such specifier in the declarations is given its `.js` (or `/index.js`) here.
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const dist = fileURLToPath(new URL('../dist/', import.meta.url));

/** `spec` as written, with the extension of the declaration it names (unchanged if it names none here). */
function withExtension(fromFile, spec) {
  if (!spec.startsWith('.') || /\.(js|mjs|cjs|json)$/.test(spec)) return spec;
  const target = resolve(dirname(fromFile), spec);
  if (existsSync(`${target}.d.ts`)) return `${spec}.js`;
  if (existsSync(join(target, 'index.d.ts'))) return `${spec}/index.js`;
  return spec;
}

function rewrite(file) {
  const text = readFileSync(file, 'utf8');
  const fixed = text.replace(
    /((?:from|import)\s*\(?\s*)(['"])(\.{1,2}\/[^'"]*)\2/g,
    (_, lead, quote, spec) => `${lead}${quote}${withExtension(file, spec)}${quote}`,
  );
  if (fixed !== text) writeFileSync(file, fixed);
}

function walk(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path);
    else if (name.endsWith('.d.ts')) rewrite(path);
  }
}

walk(join(dist, 'types'));
writeFileSync(join(dist, 'index.d.ts'), "export * from './types/index.js';\n");
