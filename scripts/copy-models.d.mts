/** The model files LocalFace ships, with their npm sources (scripts/copy-models.mjs). */
export interface ModelFileEntry {
  file: string;
  pkg: string;
  path: string;
  rename?: { from: string; to: string };
  inputSize?: number;
  purpose: string;
}
export const MODEL_FILES: ModelFileEntry[];
export const GENERATED_MANIFEST: string;
/** Files also written as `<file>.gz`, which the library downloads instead. */
export const GZIPPED: ReadonlySet<string>;
export function sha256(bytes: Uint8Array): string;
export function packageDir(pkg: string): string;
export function sourceBytes(entry: ModelFileEntry): Buffer;
export function generatedManifest(files: { file: string; sha256: string; bytes: number; gzip?: boolean }[]): string;
