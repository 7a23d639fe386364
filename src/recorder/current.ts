/**
 * Where the per-process recorder lives: a global symbol, so the preload, the CommonJS API, the
 * ESM facade and even a second copy of this package all record into one run. Tiny on purpose:
 * the API imports only this until a recorder exists.
 */
import type { Level } from '../model/records';
import type { ToolIdentity } from '../resource/tool';
import type { InheritedContext } from './propagation';
import type { Run } from './run';

export const RECORDER_KEY = Symbol.for('devtool-telemetry.recorder');

export interface Recorder {
  run: Run;
  env: NodeJS.ProcessEnv;
  debug: boolean;
  level: Level;
  tool: ToolIdentity;
  /** Trace context and tree state found in the environment at start (propagation.ts). */
  inherited: InheritedContext;
  /** The session a child process joins: id and session log base name (resolved on first use). */
  childSession(): { id?: string; base: string };
  flush(): void;
  /** Ends the run now (explicit shutdown); the exit hook then has nothing left to do. */
  finish(code: number): void;
}

type Global = { [RECORDER_KEY]?: Recorder };

export function currentRecorder(): Recorder | undefined {
  return (globalThis as Global)[RECORDER_KEY];
}

export function setRecorder(recorder: Recorder): void {
  (globalThis as Global)[RECORDER_KEY] = recorder;
}
