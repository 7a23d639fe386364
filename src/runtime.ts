/**
 * The in-process runtime: the public API plus what the preload needs once telemetry is on. The
 * build bundles this file into dist/cjs/runtime.js (one file instead of ~40: module loading was
 * the largest start-up cost, see bench/startup.mjs), and both the preload and the public entry
 * load that one bundle, so there is exactly one recorder, one catalog and one context store.
 */
import { isDebug } from './consent/booleans';
import { mark } from './profile';
import { maybeShowNotice } from './consent/notice';
import { noticeNeed } from './consent/notice-gate';
import { readUserConfig } from './consent/user-config';
import type { ConsentDecision } from './consent/resolve';
import type { Agent } from './recorder/global';
import { startAgent } from './recorder/agent';
import { extractContext } from './recorder/propagation';
import type { ToolIdentity } from './resource/tool';

export * from './index';

/**
 * Called by bootstrap after an enabled decision: the notice first, then the recorder. Undefined
 * when the run must stay off because its notice cannot be remembered (notice.ts).
 */
export function startRecording(decision: ConsentDecision, tool: ToolIdentity, env: NodeJS.ProcessEnv): Agent | undefined {
  // A process started by another preloaded process stays silent: the top-level process of the
  // tree showed the notice (once, for the tree); a child's notice would land in its parent's
  // output (`concurrently` prefixes and prints it).
  const tree = extractContext(env);
  if (tree.topOff) {
    // The tree's top-level process had telemetry off and said nothing. No notice here either, so
    // this run records only if its tool's notice was shown before (never in CI: a notice per run).
    if (decision.ci || !noticeNeed(decision, tool, readUserConfig(env)).shownBefore || !maybeShowNotice(decision, tool, env)) return undefined;
  } else if (!tree.inTree && !maybeShowNotice(decision, tool, env)) return undefined;
  mark('notice');
  const notes = decision.reports.filter((r) => r.problem).map((r) => `${r.source}: ${r.problem}`);
  return startAgent({ tool, decision, env, debug: isDebug(env), notes });
}
