/**
 * The per-process telemetry agent: the run, its exit hooks and its periodic flush. Kept on a
 * global symbol so the preload, the CommonJS API and the ESM facade (and even a second copy of
 * this package in node_modules) all record into one run.
 */
import type { ConsentDecision } from '../consent/resolve';
import type { ToolIdentity } from '../resource/tool';
import { argvShape } from './argv';
import { emit } from './emit';
import { installExitHooks } from './exit-hooks';
import { installHttpInstrumentation } from '../instrument/http/install';
import { newUuid } from './ids';
import { errorType } from './error-type';
import { currentAgent, setAgent, type Agent } from './global';
import { Run } from './run';

const DEFAULT_FLUSH_MS = 60_000;

export interface StartAgentOptions {
  tool: ToolIdentity;
  decision: ConsentDecision;
  env: NodeJS.ProcessEnv;
  debug: boolean;
  /** Explanations gathered before start (unparsable package.json...), printed under debug. */
  notes: string[];
}

/** OTEL_METRIC_EXPORT_INTERVAL (ms, > 0 per the SDK spec); anything else is ignored. */
function otelExportInterval(env: NodeJS.ProcessEnv): string | undefined {
  const v = env.OTEL_METRIC_EXPORT_INTERVAL?.trim();
  return v && /^\d+$/.test(v) && Number(v) > 0 ? v : undefined;
}

function flushInterval(env: NodeJS.ProcessEnv, tool: ToolIdentity): number {
  // Ours first, then the standard variable, then the tool's package.json option.
  const raw = env.DEVTOOL_TELEMETRY_FLUSH_INTERVAL ?? otelExportInterval(env) ?? tool.options.flushIntervalMs;
  const n = Number(raw);
  if (raw === undefined || raw === '' || !Number.isFinite(n) || n < 0) return DEFAULT_FLUSH_MS;
  return n === 0 ? 0 : Math.max(1000, n);
}

export function startAgent(opts: StartAgentOptions): Agent {
  const existing = currentAgent();
  if (existing) return existing;
  const { tool, decision, env, debug } = opts;
  const toolName = (env.OTEL_SERVICE_NAME || '').trim() || tool.name || 'node';
  const shape = argvShape(process.argv.slice(2), tool.options.subcommands);
  const identity = decision.identity;
  let installId: string | undefined;

  const run: Run = new Run({
    level: decision.level,
    toolName,
    subcommand: shape.subcommand,
    flags: decision.level === 'minimal' ? [] : shape.flags,
    resource: () => {
      // The stored id (the notice usually created it); the resolver never asks for one in CI.
      if (identity === 'install') installId = decision.installId ?? loadInstallId(env);
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { detectResource } = require('../resource/detect') as typeof import('../resource/detect');
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { detectAgent } = require('../consent/agent') as typeof import('../consent/agent');
      return detectResource({
        env,
        toolName: tool.name,
        toolVersion: tool.version,
        ci: decision.ci,
        agent: detectAgent(env),
        installId,
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        sessionId: (require('../session') as typeof import('../session')).resolveSessionId(env, tool, identity, { ci: decision.ci }),
      });
    },
  });

  // Only under debug: what was skipped or degraded, so a person can fix it.
  const notes = (): string[] => {
    const out = [`telemetry level ${decision.level} (decided by ${decision.source})`, ...opts.notes, ...tool.problems];
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { parseOtlpEnv } = require('../config/otlp-env') as typeof import('../config/otlp-env');
      out.push(...parseOtlpEnv(env).problems);
    } catch {
      /* explanations are best effort */
    }
    return out;
  };
  const flush = (): void => {
    if (!run.dirty) return;
    const batch = run.takeBatch();
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    if (identity !== 'none') (require('../session') as typeof import('../session')).addSessionTotals(batch);
    emit(batch, { env, debug, notes });
  };
  const agent: Agent = {
    run,
    env,
    debug,
    level: decision.level,
    tool,
    flush,
    finish(code: number) {
      if (run.root.ended) return;
      run.finish({ code });
      flush();
    },
  };
  setAgent(agent);
  installHttpInstrumentation(agent);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  (require('../instrument/index') as typeof import('../instrument/index')).installInstrumentations(agent); // LLM clients, when the app loads them

  installExitHooks({
    onError(err) {
      run.errorType = errorType(err);
    },
    onExit(info) {
      if (run.root.ended) return;
      run.finish(info);
      flush();
    },
  });

  const every = flushInterval(env, tool);
  if (every > 0) setInterval(flush, every).unref();
  return agent;
}

function loadInstallId(env: NodeJS.ProcessEnv): string {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { ensureInstallId } = require('../consent/user-config') as typeof import('../consent/user-config');
    const id = ensureInstallId(env);
    if (id) return id;
  } catch {
    /* fall through */
  }
  // Not storable (read-only home): a per-run id, never a reused unstored one.
  return newUuid();
}
