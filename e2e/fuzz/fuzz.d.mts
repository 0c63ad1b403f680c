export interface FuzzSeeds {
  jpeg: Uint8Array;
  png: Uint8Array;
  png16: Uint8Array;
  grey: Uint8Array;
}
export interface FuzzCase {
  id: number;
  method: string;
  make(ctx: {
    personId: string;
    faceId: string;
  }): [string, (client: unknown, LocalFace: unknown) => Promise<unknown>, boolean?];
}
export interface FuzzResult {
  id: number;
  method: string;
  label: string;
  outcome: 'ok' | 'error' | 'raw' | 'timeout';
  code?: string;
  message: string;
  ms: number;
  storeChanged: boolean;
  unexpectedOk: boolean;
}
/** Every call must settle within this many ms. */
export const TIME_LIMIT_MS: number;
export function seededRandom(seed: number): () => number;
export function encodePng(
  rgba: ArrayLike<number>,
  width: number,
  height: number,
  options?: { bitDepth?: 8 | 16; grey?: boolean },
): Promise<Uint8Array>;
export function makeSeeds(jpeg: Uint8Array): Promise<FuzzSeeds>;
export const MUTATING: Set<string>;
export function makeCases(
  seed: number,
  count: number,
  seeds: FuzzSeeds,
  options?: { hugeInLimit?: boolean },
): FuzzCase[];
export function runCases(
  client: unknown,
  LocalFace: unknown,
  cases: FuzzCase[],
  options: { timeoutMs?: number; seeds: FuzzSeeds; onResult?: (r: FuzzResult) => void },
): Promise<{ results: FuzzResult[]; polluted: boolean }>;
export function summarize(results: FuzzResult[]): {
  total: number;
  byCode: Record<string, number>;
  byMethod: Record<string, number>;
  slowest: FuzzResult;
  failures: FuzzResult[];
};
