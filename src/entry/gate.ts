/**
 * Whether this process records, decided before anything else loads: not twice, never in our own
 * shipper, only on the main thread, and only when consent says so. Shared by the preload
 * (preload.ts) and by the API's start() (start.ts). Order matters for the start-up budget and the
 * "off means nothing" promise: the tool identity and the consent resolver load first; the
 * recorder, notice and everything else only when on.
 */
import { workingDir } from '../storage/paths';
import { isDebug } from '../settings/env-values';
import { isShipperProcess } from '../settings/process-role';
import { isMainThread } from './main-thread';
import { mark } from '../diagnostics/profile';
import { anyToolOptOut, resolveConsent, type ConsentDecision } from '../consent/resolve';
import { currentRecorder, type Recorder } from '../recorder/current';
import { detectTool, type ToolIdentity, type ToolOptions } from '../resource/tool';

export interface StartOptions extends ToolOptions {
  /** Tool name when it should not come from the nearest package.json. */
  name?: string;
  version?: string;
}

export type GateResult =
  | { record: false; recorder?: Recorder }
  | { record: true; decision: ConsentDecision; tool: ToolIdentity };

export function debugLine(env: NodeJS.ProcessEnv, text: string): void {
  if (isDebug(env)) process.stderr.write(`[devtool-telemetry] debug: ${text}\n`);
}

/** `options` is set when the tool's own code called start(). */
export function gate(entry: string | undefined, options: StartOptions | undefined, env: NodeJS.ProcessEnv): GateResult {
  mark('node start + preload load');
  const existing = currentRecorder();
  if (existing) return { record: false, recorder: existing };
  if (isShipperProcess(env)) return { record: false };

  const identify = (): ToolIdentity => {
    const tool = detectTool(entry);
    if (options) {
      const { name, version, ...rest } = options;
      if (name) tool.name = name;
      if (version) tool.version = version;
      tool.options = { ...tool.options, ...rest };
      tool.integrated = true; // start() called in the tool's own code
    }
    return tool;
  };
  const cwd = workingDir();
  // DO_NOT_TRACK and its kind turn every tool off alike: decided before the tool's package.json is read.
  const early = anyToolOptOut(env, cwd, identify);
  if (early) return stayOff(early, env);
  const tool = identify();
  mark('tool identity');
  const decision = resolveConsent({ env, cwd, tool });
  mark('consent');
  if (decision.level === 'off') return stayOff(decision, env);
  // Only the main thread records. Checked after the decision, without loading node:worker_threads
  // where Node's own process.chdir answers (main-thread.ts: ~1.5 ms).
  if (!isMainThread()) return { record: false };
  return { record: true, decision, tool };
}

function stayOff(decision: ConsentDecision, env: NodeJS.ProcessEnv): GateResult {
  if (isDebug(env)) {
    // Only under debug: `reports` is computed lazily on the fast opt-out paths (every source read).
    const why = decision.reports.find((r) => r.decided)?.problem;
    debugLine(env, `telemetry off (decided by ${decision.source}${why ? `: ${why}` : ''}); nothing recorded, written or sent`);
  }
  // The top-level process speaks for its tree even when off: children print no notice of their own.
  (require('../instrument/tree-marker') as typeof import('../instrument/tree-marker')).markTreeWhenOff(decision.source, env);
  return { record: false };
}
