/** The model files LocalFace ships, with their npm sources (scripts/copy-models.mjs). */
export interface ModelFileEntry {
  file: string;
  pkg: string;
  path: string;
  rename?: { from: string; to: string };
  /** Derived from a graph model: the part (`topology` or `weights`) of the graph cut after `output`. */
  prefix?: { output: string; part: 'topology' | 'weights' };
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
/** The CenterNet node the hat head reads; the shipped backbone ends there. */
export const CENTERNET_BACKBONE_OUTPUT: string;
/** A tfjs graph model cut to the nodes `output` depends on: its topology JSON and the weights those nodes read. */
export function graphModelPrefix(
  modelJson: unknown,
  weightBytes: Buffer,
  output: string,
  weightsFile: string,
): { topology: Buffer; weights: Buffer };
