/**
 * The per-process recorder: the run, its exit hooks and its periodic flush. Kept on a
 * global symbol so the preload, the CommonJS API and the ESM facade (and even a second copy of
 * this package in node_modules) all record into one run.
 */
import type { ConsentDecision } from '../consent/resolve';
import type { ToolIdentity } from '../resource/tool';
import { flushInterval } from '../settings/flush-interval';
import { settingsOf } from '../settings/settings';
import type { BatchOrigin } from '../model/records';
import { argvShape } from './argv';
import { installChildProcessHook } from '../instrument/child-process';
import { extractContext } from './propagation';
import { emit, spooledSignals } from './emit';
import { installExitHooks } from './exit-hooks';
import { mark, printProfile } from '../diagnostics/profile';
import { installHttpInstrumentation } from '../instrument/http/install';
import { newUuid } from './ids';
import { errorType } from './error-type';
import { currentRecorder, setRecorder, type Recorder } from './current';
import { logException } from './events';
import { EXECUTABLE_NAME, Run } from './run';
import { writeStartRecord, type StartRecord } from '../spool/start-record';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface StartRecorderOptions {
  tool: ToolIdentity;
  decision: ConsentDecision;
  env: NodeJS.ProcessEnv;
  debug: boolean;
  /** Explanations gathered before start (unparsable package.json...), printed under debug. */
  notes: string[];
}

export function startRecorder(opts: StartRecorderOptions): Recorder {
  const existing = currentRecorder();
  if (existing) return existing;
  const { tool, decision, env, debug } = opts;
  const toolName = settingsOf(env).serviceName || tool.name || 'node';
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
      const { detectAgent } = require('../consent/ai-agent') as typeof import('../consent/ai-agent');
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
      const otlp = settingsOf(env).otlp;
      out.push(...otlp.problems);
      out.push(...(require('../settings/explain-env') as typeof import('../settings/explain-env')).extraProblems(env, otlp));
    } catch {
      /* explanations are best effort */
    }
    return out;
  };
  // Written before the app's code runs: if the process then dies without running JS (an
  // unhandled signal, SIGKILL, a crash), the shipper still records the run (spool/start-record.ts).
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
        serviceName: settingsOf(env).serviceName,
        identity,
        ci: decision.ci,
        agent: (require('../consent/ai-agent') as typeof import('../consent/ai-agent')).detectAgent(env),
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
  const flush = (final = false): void => {
    if (!run.dirty) return;
    const batch = run.takeBatch();
    mark('exit: records + resource');
    if (origin) batch.origin = origin;
    if (identity !== 'none') (require('../session') as typeof import('../session')).addSessionTotals(batch, final);
    if (!run.sampled) batch.spans = []; // an unsampled parent: the tree records no spans
    emit(batch, { env, debug, notes });
  };
  const recorder: Recorder = {
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
      flush(true);
      startRecord?.remove();
    },
  };
  setRecorder(recorder);
  installHttpInstrumentation(recorder);
  mark('recording: http hooks');
  installChildProcessHook(recorder);
  mark('recording: child_process hook');
  (require('../instrument/llm-hooks') as typeof import('../instrument/llm-hooks')).installInstrumentations(recorder); // LLM clients, when the app loads them
  mark('recording: LLM client hooks');

  installExitHooks({
    onError(err) {
      run.errorType = errorType(err);
      logException(run, err);
    },
    onExit(info) {
      if (run.root.ended) return;
      mark('app');
      run.finish(info);
      flush(true);
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
  return recorder;
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
