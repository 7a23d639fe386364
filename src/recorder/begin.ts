/**
 * Beginning to record, once the gate (entry/gate.ts) said yes: the first-run notice, then the
 * recorder. Undefined when the run must stay off because its notice cannot be remembered
 * (consent/notice.ts).
 */
import { isDebug } from '../settings/env-values';
import { mark } from '../diagnostics/profile';
import { maybeShowNotice } from '../consent/notice';
import type { ConsentDecision } from '../consent/resolve';
import type { Recorder } from './current';
import { startRecorder } from './recorder';
import { extractContext } from './propagation';
import type { ToolIdentity } from '../resource/tool';

export function beginRecording(decision: ConsentDecision, tool: ToolIdentity, env: NodeJS.ProcessEnv): Recorder | undefined {
  // A process started by another preloaded process stays silent: the top-level process of the
  // tree showed the notice (once, for the tree); a child's notice would land in its parent's
  // output (`concurrently` prefixes and prints it).
  if (!extractContext(env).inTree && !maybeShowNotice(decision, tool, env)) return undefined;
  mark('notice');
  const notes = decision.reports.filter((r) => r.problem).map((r) => `${r.source}: ${r.problem}`);
  return startRecorder({ tool, decision, env, debug: isDebug(env), notes });
}
