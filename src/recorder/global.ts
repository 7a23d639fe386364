/**
 * Where the per-process agent lives: a global symbol, so the preload, the CommonJS API, the
 * ESM facade and even a second copy of this package all record into one run. Tiny on purpose:
 * the API imports only this until an agent exists.
 */
import type { Level } from '../model';
import type { ToolIdentity } from '../resource/tool';
import type { InheritedContext } from './propagation';
import type { Run } from './run';

export const AGENT_KEY = Symbol.for('devtool-telemetry.agent');

export interface Agent {
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

type Global = { [AGENT_KEY]?: Agent };

export function currentAgent(): Agent | undefined {
  return (globalThis as Global)[AGENT_KEY];
}

export function setAgent(agent: Agent): void {
  (globalThis as Global)[AGENT_KEY] = agent;
}
