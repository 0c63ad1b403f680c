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

const dependencies = Object.keys(
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).dependencies,
);
/** The package a bare specifier names ('@scope/name/deep/path' -> '@scope/name'). */
const packageOf = (spec) =>
  spec
    .split('/')
    .slice(0, spec.startsWith('@') ? 2 : 1)
    .join('/');
const problems = [];

function rewrite(file) {
  // A side-effect import (`import '@tensorflow/tfjs-backend-cpu';`, which registers a backend at run time) carries no
  // types our declarations need, but an app type-checking them (skipLibCheck off, TypeScript's default, and Vite's
  // noUncheckedSideEffectImports) must resolve it: the package does not depend on the backends (the bundle holds
  // them), and tfjs-core's deep chained-ops path does not resolve under node16/nodenext. So they are dropped here.
  const text = readFileSync(file, 'utf8').replace(/^import\s+(['"])([^'"]+)\1;\n/gm, (line, _, spec) =>
    spec.startsWith('.') ? line : '',
  );
  const statements = /^(?:import|export)\b[^;'"]*?\bfrom\s*['"]([^'"]+)['"]|^import\s*['"]([^'"]+)['"]/gm;
  const typeImports = /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g; // tsc's inline import("pkg").Name
  for (const [, fromSpec, bareSpec] of [...text.matchAll(statements), ...text.matchAll(typeImports)]) {
    const spec = fromSpec ?? bareSpec;
    if (!spec.startsWith('.') && !dependencies.includes(packageOf(spec))) problems.push(`${file}: ${spec}`);
  }
  const fixed = text.replace(
    /((?:from|import)\s*\(?\s*)(['"])(\.{1,2}\/[^'"]*)\2/g,
    (_, lead, quote, spec) => `${lead}${quote}${withExtension(file, spec)}${quote}`,
  );
  writeFileSync(file, fixed);
}

function walk(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path);
    else if (name.endsWith('.d.ts')) rewrite(path);
  }
}

walk(join(dist, 'types'));
if (problems.length > 0) {
  // An app's type check would fail to resolve these: the package does not depend on them.
  console.error(`Declarations name packages that are not dependencies:\n${problems.join('\n')}`);
  process.exit(1);
}
writeFileSync(join(dist, 'index.d.ts'), "export * from './types/index.js';\n");
