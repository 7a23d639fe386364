/**
 * The per-process recorder: the run, its exit hooks and its periodic flush. Kept on a
 * global symbol so the preload, the CommonJS API and the ESM facade (and even a second copy of
 * this package in node_modules) all record into one run.
 */
import type { ConsentDecision } from '../consent/resolve';
import type { ToolIdentity } from '../resource/tool';
import { flushInterval } from '../settings/flush-interval';
import { settingsOf } from '../settings/settings';
import type { SessionOptions } from '../session';
import type { BatchOrigin } from '../model/records';
import { argvShape } from './argv';
import { installChildProcessHook } from '../instrument/child-process';
import { extractContext, type InheritedContext } from './propagation';
import { emit } from './emit';
import { installExitHooks } from './exit-hooks';
import { mark, printProfile } from '../diagnostics/profile';
import { installHttpInstrumentation } from '../instrument/http/install';
import { newUuid } from './ids';
import { errorType } from './error-type';
import { currentRecorder, setRecorder, type Recorder } from './current';
import { logException } from './events';
import { Run } from './run';
import { startLiveness } from './liveness';

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
  const shape = argvShape(process.argv.slice(2), tool.options.subcommands);
  const flags = decision.level === 'minimal' ? [] : shape.flags;
  const inherited = extractContext(env);
  const sessionOpts: SessionOptions = { ci: decision.ci, inTree: inherited.inTree, treeSessionBase: inherited.treeSessionBase };
  const run = newRun(opts, shape.subcommand, flags, inherited, sessionOpts);
  mark('recording: run');
  const liveness = debug ? undefined : startLiveness({ run, tool, decision, env, flags, inherited });
  mark('recording: start record');

  // Who recorded, for the shipper's consent re-check: the tool identity consent was decided for
  // (never OTEL_SERVICE_NAME, a display name) and the directory whose project files applied.
  const origin = batchOrigin(tool);
  const notes = (): string[] => debugNotes(opts);
  const flush = (final = false): void => {
    if (!run.dirty) return;
    const batch = run.takeBatch();
    mark('exit: records + resource');
    if (origin) batch.origin = origin;
    if (decision.identity !== 'none') (require('../session') as typeof import('../session')).addSessionTotals(batch, final);
    if (!run.sampled) batch.spans = []; // an unsampled parent: the tree records no spans
    emit(batch, { env, debug, notes });
  };
  const end = (finish: () => void): void => {
    finish();
    flush(true);
    liveness?.ended();
  };
  const recorder: Recorder = {
    run,
    env,
    debug,
    level: decision.level,
    tool,
    inherited,
    childSession() {
      return (require('../session') as typeof import('../session')).sessionForChildren(env, tool, decision.identity, sessionOpts);
    },
    flush,
    finish(code: number) {
      if (!run.root.ended) end(() => run.finish({ code }));
    },
  };
  setRecorder(recorder);
  installHooks(recorder);

  installExitHooks({
    onError(err) {
      run.errorType = errorType(err);
      logException(run, err);
    },
    onExit(info) {
      if (run.root.ended) return;
      mark('app');
      end(() => run.finish(info));
      mark('exit: start record remove');
      printProfile();
    },
  });

  mark('recording: exit hooks');
  const every = flushInterval(env, tool, opts.notes);
  liveness?.beat(every);
  if (every > 0) {
    // Each period also marks the run alive: if it then dies without JS, its end time is close.
    setInterval(() => {
      liveness?.touch();
      flush();
    }, every).unref();
  }
  return recorder;
}

/** The run, its resource detected only when its first batch is taken (never on the start path). */
function newRun(opts: StartRecorderOptions, subcommand: string | undefined, flags: string[], inherited: InheritedContext, sessionOpts: SessionOptions): Run {
  const { tool, decision, env } = opts;
  const identity = decision.identity;
  return new Run({
    level: decision.level,
    parent: inherited.parent,
    link: inherited.link,
    toolName: settingsOf(env).serviceName || tool.name || 'node',
    subcommand,
    flags,
    resource: () => {
      // The stored id (the notice usually created it); the resolver never asks for one in CI.
      const installId = identity === 'install' ? (decision.installId ?? loadInstallId(env)) : undefined;
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
}

/** Only under debug (or OTEL_LOG_LEVEL): what was skipped or degraded, so a person can fix it. */
function debugNotes(opts: StartRecorderOptions): string[] {
  const { decision, tool, env } = opts;
  const out = [`telemetry level ${decision.level} (decided by ${decision.source})`, ...opts.notes, ...tool.problems];
  try {
    const settings = settingsOf(env);
    out.push(...settings.otlp.problems);
    out.push(...(require('../settings/explain-env') as typeof import('../settings/explain-env')).extraProblems(settings));
  } catch {
    /* explanations are best effort */
  }
  return out;
}

/** What the app does that we observe: HTTP servers, child processes, LLM clients when it loads them. */
function installHooks(recorder: Recorder): void {
  installHttpInstrumentation(recorder);
  mark('recording: http hooks');
  installChildProcessHook(recorder);
  mark('recording: child_process hook');
  (require('../instrument/llm-hooks') as typeof import('../instrument/llm-hooks')).installInstrumentations(recorder);
  mark('recording: LLM client hooks');
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
