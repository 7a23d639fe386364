/**
 * The in-process runtime: the public API plus what the preload needs once telemetry is on. The
 * build bundles this file into dist/cjs/runtime.js (one file instead of ~40: module loading was
 * the largest start-up cost, see bench/startup.mjs), and both the preload and the public entry
 * load that one bundle, so there is exactly one recorder, one catalog and one context store.
 */
import { isDebug } from './consent/booleans';
import { maybeShowNotice } from './consent/notice';
import type { ConsentDecision } from './consent/resolve';
import type { Agent } from './recorder/global';
import { startAgent } from './recorder/agent';
import type { ToolIdentity } from './resource/tool';

export * from './index';

/**
 * Called by bootstrap after an enabled decision: the notice first, then the recorder. Undefined
 * when the run must stay off because its notice cannot be remembered (notice.ts).
 */
export function startRecording(decision: ConsentDecision, tool: ToolIdentity, env: NodeJS.ProcessEnv): Agent | undefined {
  if (!maybeShowNotice(decision, tool, env)) return undefined;
  const notes = decision.reports.filter((r) => r.problem).map((r) => `${r.source}: ${r.problem}`);
  return startAgent({ tool, decision, env, debug: isDebug(env), notes });
}
