/**
 * Decide, then (only if enabled) start recording. Shared by the preload and by start().
 * Order matters for the start-up budget and the "off means nothing" promise: the tool identity
 * and the consent resolver load first; the recorder, notice and everything else only when on.
 */
import { isDebug } from './consent/booleans';
import { mark } from './profile';
import { resolveConsent } from './consent/resolve';
import type { Level } from './model';
import { currentAgent, type Agent } from './recorder/global';
import { detectTool, type ToolOptions } from './resource/tool';

export interface StartOptions extends ToolOptions {
  /** Tool name when it should not come from the nearest package.json. */
  name?: string;
  version?: string;
}

/** Set in the shipper's environment: a preload inherited through NODE_OPTIONS stays idle there. */
export const SHIPPER_ENV = 'DEVTOOL_TELEMETRY_SHIPPER';

function debugLine(env: NodeJS.ProcessEnv, text: string): void {
  if (isDebug(env)) process.stderr.write(`[devtool-telemetry] debug: ${text}\n`);
}

export function bootstrap(entry: string | undefined, options?: StartOptions, env: NodeJS.ProcessEnv = process.env): Agent | undefined {
  try {
    mark('node start + preload load');
    const existing = currentAgent();
    if (existing) return existing;
    if (env[SHIPPER_ENV]) return undefined;

    const tool = detectTool(entry);
    mark('tool identity');
    if (options) {
      const { name, version, ...rest } = options;
      if (name) tool.name = name;
      if (version) tool.version = version;
      tool.options = { ...tool.options, ...rest };
      tool.integrated = true; // start() called in the tool's own code
    }
    const decision = resolveConsent({ env, cwd: safeCwd(), tool });
    mark('consent');
    if (decision.level === 'off') {
      if (isDebug(env)) {
        // Only under debug: `reports` is computed lazily on the fast opt-out path (every source read).
        const why = decision.reports.find((r) => r.decided)?.problem;
        debugLine(env, `telemetry off (decided by ${decision.source}${why ? `: ${why}` : ''}); nothing recorded, written or sent`);
      }
      return undefined;
    }
    // Only the main thread records. Checked after the decision: loading node:worker_threads costs
    // ~1.7 ms, more than half the disabled-path budget (bench/consent-off.mjs).
    if (!(require('node:worker_threads') as typeof import('node:worker_threads')).isMainThread) return undefined;
    // The recorder lives in the runtime (one bundle with the public API, so the preload and the
    // app's `require('devtool-telemetry')` share one instance of every module); loaded only now.
    const { loadRuntime } = require('./load-runtime') as typeof import('./load-runtime');
    const { runtime, saveCodeCacheAtExit } = loadRuntime(env);
    mark('runtime load');
    const agent = runtime.startRecording(decision, tool, env);
    if (agent) saveCodeCacheAtExit?.();
    return agent;
  } catch (err) {
    debugLine(env, `not started: ${(err as Error)?.name ?? 'error'}`);
    return undefined;
  }
}

function safeCwd(): string {
  try {
    return process.cwd();
  } catch {
    return '/'; // cwd deleted under us
  }
}

/** For apps that do not preload: start recording this process (idempotent). */
export function start(options?: StartOptions): { enabled: boolean; level: Level } {
  const agent = bootstrap(process.argv[1], options ?? {}); // {}: the tool's own code started us
  return { enabled: !!agent, level: agent?.level ?? 'off' };
}
