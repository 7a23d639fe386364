/**
 * The per-process telemetry agent: the run, its exit hooks and its periodic flush. Kept on a
 * global symbol so the preload, the CommonJS API and the ESM facade (and even a second copy of
 * this package in node_modules) all record into one run.
 */
import type { ConsentDecision } from '../consent/resolve';
import type { ToolIdentity } from '../resource/tool';
import { durationMs } from '../config/durations';
import type { BatchOrigin } from '../model';
import { argvShape } from './argv';
import { installChildProcessHook } from '../instrument/child-process';
import { extractContext } from './propagation';
import { emit, spooledSignals } from './emit';
import { installExitHooks } from './exit-hooks';
import { mark, printProfile } from '../profile';
import { installHttpInstrumentation } from '../instrument/http/install';
import { newUuid } from './ids';
import { errorType } from './error-type';
import { currentAgent, setAgent, type Agent } from './global';
import { EXECUTABLE_NAME, Run } from './run';
import { writeStartRecord, type StartRecord } from './start-record';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const DEFAULT_FLUSH_MS = 60_000;
const MAX_FLUSH_MS = 24 * 3600_000;

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

/**
 * Ours first, then the standard variable, then the tool's package.json option. 0 turns the periodic
 * flush off; otherwise 1 s to 24 h (a timer of 2^31 ms or more would fire every 1 ms).
 */
function flushInterval(env: NodeJS.ProcessEnv, tool: ToolIdentity, notes: string[]): number {
  const ours = env.DEVTOOL_TELEMETRY_FLUSH_INTERVAL;
  const otel = otelExportInterval(env);
  const [raw, what] =
    ours !== undefined && ours !== ''
      ? [ours, 'DEVTOOL_TELEMETRY_FLUSH_INTERVAL']
      : otel !== undefined
        ? [otel, 'OTEL_METRIC_EXPORT_INTERVAL']
        : [tool.options.flushIntervalMs, 'flushIntervalMs'];
  const d = durationMs(raw, { fallback: DEFAULT_FLUSH_MS, min: 1_000, max: MAX_FLUSH_MS, allowZero: true }, what);
  if (d.problem) notes.push(d.problem);
  return d.ms;
}

export function startAgent(opts: StartAgentOptions): Agent {
  const existing = currentAgent();
  if (existing) return existing;
  const { tool, decision, env, debug } = opts;
  const toolName = (env.OTEL_SERVICE_NAME || '').trim() || tool.name || 'node';
  const shape = argvShape(process.argv.slice(2), tool.options.subcommands);
  const identity = decision.identity;
  // Who recorded, for the shipper's consent re-check: the tool identity consent was decided for
  // (never OTEL_SERVICE_NAME, a display name) and the directory whose project files applied.
  const origin = batchOrigin(tool);
  let installId: string | undefined;
  const inherited = extractContext(env);
  const sessionOpts = { ci: decision.ci, inTree: inherited.inTree, treeSessionBase: inherited.treeSessionBase };

  const run: Run = new Run({
    level: decision.level,
    parent: inherited.parent,
    link: inherited.link,
    toolName,
    subcommand: shape.subcommand,
    flags: decision.level === 'minimal' ? [] : shape.flags,
    resource: () => {
      // The stored id (the notice usually created it); the resolver never asks for one in CI.
      if (identity === 'install') installId = decision.installId ?? loadInstallId(env);
      const { detectResource } = require('../resource/detect') as typeof import('../resource/detect');
      const { detectAgent } = require('../consent/agent') as typeof import('../consent/agent');
      return detectResource({
        env,
        toolName: tool.name,
        toolVersion: tool.version,
        ci: decision.ci,
        agent: detectAgent(env),
        installId,
        sessionId: (require('../session') as typeof import('../session')).resolveSessionId(env, tool, identity, sessionOpts),
      });
    },
  });

  // Only under debug: what was skipped or degraded, so a person can fix it.
  const notes = (): string[] => {
    const out = [`telemetry level ${decision.level} (decided by ${decision.source})`, ...opts.notes, ...tool.problems];
    try {
      const { parseOtlpEnv } = require('../config/otlp-env') as typeof import('../config/otlp-env');
      out.push(...parseOtlpEnv(env).problems);
    } catch {
      /* explanations are best effort */
    }
    return out;
  };
  // Written before the app's code runs: if the process then dies without running JS (an
  // unhandled signal, SIGKILL, a crash), the shipper still records the run (start-record.ts).
  // Not under debug, which writes nothing to disk.
  mark('recording: run');
  let startRecord: StartRecord | undefined;
  if (!debug) {
    const handed = env.DEVTOOL_TELEMETRY_SESSION_ID;
    const kept = spooledSignals(env, run.traceId);
    startRecord = writeStartRecord(
      {
        startNs: run.root.startNs.toString(),
        traceId: run.traceId,
        spanId: run.root.spanId,
        name: run.commandName,
        flags: decision.level === 'minimal' ? [] : shape.flags,
        level: decision.level,
        toolName: tool.name,
        toolVersion: tool.version,
        serviceName: (env.OTEL_SERVICE_NAME || '').trim() || undefined,
        identity,
        ci: decision.ci,
        agent: (require('../consent/agent') as typeof import('../consent/agent')).detectAgent(env),
        installId: identity === 'install' ? decision.installId : undefined,
        sessionId: identity !== 'none' && handed && UUID.test(handed) ? handed : undefined,
        exe: EXECUTABLE_NAME,
        ...(!kept.spans || !run.sampled ? { noSpans: true as const } : {}),
        ...(!kept.metrics ? { noMetrics: true as const } : {}),
      },
      env,
    );
  }
  mark('recording: start record');
  const flush = (): void => {
    if (!run.dirty) return;
    const batch = run.takeBatch();
    mark('exit: records + resource');
    if (origin) batch.origin = origin;
    if (identity !== 'none') (require('../session') as typeof import('../session')).addSessionTotals(batch);
    if (!run.sampled) batch.spans = []; // an unsampled parent: the tree records no spans
    emit(batch, { env, debug, notes });
  };
  const agent: Agent = {
    run,
    env,
    debug,
    level: decision.level,
    tool,
    inherited,
    childSession() {
      return (require('../session') as typeof import('../session')).sessionForChildren(env, tool, identity, sessionOpts);
    },
    flush,
    finish(code: number) {
      if (run.root.ended) return;
      run.finish({ code });
      flush();
      startRecord?.remove();
    },
  };
  setAgent(agent);
  installHttpInstrumentation(agent);
  mark('recording: http hooks');
  installChildProcessHook(agent);
  mark('recording: child_process hook');
  (require('../instrument/index') as typeof import('../instrument/index')).installInstrumentations(agent); // LLM clients, when the app loads them
  mark('recording: LLM client hooks');

  installExitHooks({
    onError(err) {
      run.errorType = errorType(err);
    },
    onExit(info) {
      if (run.root.ended) return;
      mark('app');
      run.finish(info);
      flush();
      startRecord?.remove();
      mark('exit: start record remove');
      printProfile();
    },
  });

  mark('recording: exit hooks');
  const every = flushInterval(env, tool, opts.notes);
  if (every > 0) {
    // Each period also marks the run alive: if it then dies without JS, its end time is close.
    setInterval(() => {
      startRecord?.touch();
      flush();
    }, every).unref();
  }
  return agent;
}

function loadInstallId(env: NodeJS.ProcessEnv): string {
  try {
    const { ensureInstallId } = require('../consent/user-config') as typeof import('../consent/user-config');
    const id = ensureInstallId(env);
    if (id) return id;
  } catch {
    /* fall through */
  }
  // Not storable (read-only home): a per-run id, never a reused unstored one.
  return newUuid();
}

function batchOrigin(tool: ToolIdentity): BatchOrigin | undefined {
  try {
    const o: BatchOrigin = { cwd: process.cwd() };
    if (tool.name) o.tool = tool.name;
    if (tool.options.prompt === true) o.prompt = true;
    if (typeof tool.options.defaultLevel === 'string') o.defaultLevel = tool.options.defaultLevel;
    return o;
  } catch {
    return tool.name ? { tool: tool.name } : undefined; // cwd deleted under us
  }
}
