/**
 * Child processes: the caller's side of a process tree. Every `child_process` entry point
 * (spawn, exec, execFile, fork and the sync variants) is wrapped in place on the module's exports,
 * so CommonJS, `node:`-prefixed requires and ES-module imports (whose builtin facade reads the
 * exports when first imported, after the preload ran) all see the wrapper. Per child:
 *
 *  - a CLIENT span under the active span (the command span, a step(), an HTTP request), following
 *    the CLI semantic conventions' `span.cli.client`: named by `process.executable.name` (the
 *    basename only; never a path or an argument), with `process.exit.code`, `process.pid` and
 *    `error.type` when the child did not exit 0 (signal name, errno code, else `_OTHER`);
 *  - TRACEPARENT (+ TRACESTATE) pointing at that span, and our tree state (session id, "started
 *    by a preloaded process"), added to the environment the child inherits. The app's options
 *    object and `process.env` are never modified: the wrapper passes a copy.
 *
 * Decisions (README "Process trees"):
 *  - Context passes where the app passed its environment through: no `env` option, `process.env`
 *    itself, or a copy of it (`{ ...process.env, X: '1' }`, a few variables removed). An `env`
 *    built from scratch (`{ PATH }`) is left exactly as the app wrote it. A TRACEPARENT the app
 *    set itself (different from the one it inherited) is the app's and is kept.
 *  - `detached: true` marks a child that outlives its caller by design (daemons, watchers, our own
 *    shipper): no CLIENT span (nobody waits for it), and instead of a parent the child gets
 *    DEVTOOL_TELEMETRY_LINK: it starts its own trace, linked to the span that started it.
 *  - A CLIENT span still open when the caller's run ends (an `unref()`ed child) ends with the run.
 *
 * Cost: `node:child_process` is loaded at start of an enabled run (the patch must be in place
 * before the app's first `require`/`import` of it). Tools that print anything load `net` and
 * streams for stdout anyway, which is most of that module's cost (see README, Start-up budget).
 */
import type { Attributes } from '../model/records';
import { SpanKind, StatusCode } from '../model/records';
import { activeSpan } from '../recorder/context';
import { errorType } from '../recorder/error-type';
import type { Recorder } from '../recorder/current';
import { isShipperProcess } from '../settings/process-role';
import { childEnv } from '../recorder/propagation';
import type { LiveSpan } from '../recorder/run';
import { ASYNC, SYNC, derivedFromProcessEnv, optionsIndex, rebindPromisify, withEnv, type AnyFn, type Name } from './child-env';

const PATCHED = Symbol.for('devtool-telemetry.child_process.patched');

/** Nested entry points (exec calls execFile through the exports): only the outer one records. */
let depth = 0;

export function installChildProcessHook(recorder: Recorder): void {
  try {
    const cp = require('node:child_process') as Record<string, unknown> & { [PATCHED]?: boolean };
    if (cp[PATCHED]) return;
    Object.defineProperty(cp, PATCHED, { value: true });
    const open = new Set<LiveSpan>();
    // Children still running when the run ends: their CLIENT span ends with the run.
    recorder.run.onFinish.push(() => {
      for (const span of open) span.end();
      open.clear();
    });
    for (const name of [...ASYNC, ...SYNC]) {
      const original = cp[name];
      if (typeof original === 'function') cp[name] = wrap(recorder, name, original as AnyFn, open);
    }
    rebindPromisify(cp);
  } catch {
    /* child processes then run untraced */
  }
}

interface Prepared {
  args: unknown[];
  span?: LiveSpan;
}

function wrap(recorder: Recorder, name: Name, original: AnyFn, open: Set<LiveSpan>): AnyFn {
  const sync = (SYNC as readonly string[]).includes(name);
  const wrapped = function (this: unknown, ...args: unknown[]): unknown {
    if (depth > 0 || recorder.run.root.ended) return original.apply(this, args);
    let prep: Prepared | undefined;
    try {
      prep = prepare(recorder, name, args);
    } catch {
      prep = undefined;
    }
    if (!prep) return original.apply(this, args);
    const span = prep.span;
    let result: unknown;
    depth++;
    try {
      result = original.apply(this, prep.args);
    } catch (err) {
      // execSync/execFileSync throw on a non-zero exit; spawn throws on invalid arguments.
      if (span) {
        const e = err as { status?: unknown; signal?: unknown; code?: unknown };
        const signal = typeof e.signal === 'string' ? e.signal : null;
        if (typeof e.status === 'number') finish(span, e.status, signal);
        else finish(span, null, signal, typeof e.code === 'string' ? e.code : errorType(err));
      }
      throw err;
    } finally {
      depth--;
    }
    if (!span) return result;
    if (sync) {
      const r = result as { status?: unknown; signal?: unknown; error?: { code?: unknown }; pid?: unknown } | undefined;
      if (r && typeof r === 'object' && 'status' in r) {
        if (typeof r.pid === 'number' && r.pid > 0) span.attributes['process.pid'] = r.pid;
        finish(span, typeof r.status === 'number' ? r.status : null, typeof r.signal === 'string' ? r.signal : null, typeof r.error?.code === 'string' ? r.error.code : undefined);
      } else {
        finish(span, 0, null); // execSync/execFileSync returned: exit code 0
      }
      return result;
    }
    const child = result as { pid?: unknown; once?: (ev: string, fn: (...a: unknown[]) => void) => unknown } | undefined;
    if (!child || typeof child.once !== 'function') {
      span.end();
      return result;
    }
    if (typeof child.pid === 'number') span.attributes['process.pid'] = child.pid;
    open.add(span);
    // 'exit' and 'close' only observe ('error' is not listened to: a listener would swallow it).
    // 'close' follows a failed spawn with a negative errno as the code.
    const done = (code: unknown, signal: unknown): void => {
      open.delete(span);
      const c = typeof code === 'number' ? code : null;
      finish(span, c !== null && c < 0 ? null : c, typeof signal === 'string' ? signal : null, c !== null && c < 0 ? errnoName(c) : undefined);
    };
    child.once('exit', done);
    child.once('close', done);
    return result;
  };
  Object.defineProperty(wrapped, 'name', { value: original.name, configurable: true });
  Object.defineProperty(wrapped, 'length', { value: original.length, configurable: true });
  return wrapped;
}

function errnoName(code: number): string {
  try {
    return (require('node:util') as typeof import('node:util')).getSystemErrorName(code);
  } catch {
    return '_OTHER';
  }
}

function finish(span: LiveSpan, code: number | null, signal: string | null, errCode?: string): void {
  if (span.ended) return;
  const a = span.attributes;
  if (code !== null) a['process.exit.code'] = code;
  if (signal) a['devtool.process.signal'] = signal;
  if (signal || errCode || (code !== null && code !== 0)) {
    span.fail(signal ?? errCode ?? '_OTHER');
  } else if (code === null) {
    span.status = { code: StatusCode.UNSET };
  }
  span.end();
}

function prepare(recorder: Recorder, name: Name, args: unknown[]): Prepared | undefined {
  const run = recorder.run;
  const idx = optionsIndex(name, args);
  const given = args[idx];
  const options = given !== null && typeof given === 'object' ? (given as Record<string, unknown>) : undefined;
  const appEnv = options && options.env != null && typeof options.env === 'object' ? (options.env as Record<string, string | undefined>) : undefined;
  if (isShipperProcess(appEnv ?? process.env)) return undefined; // our own shipper
  const detached = options?.detached === true;
  const parent = activeSpan();
  const under = parent && !parent.ended ? parent : run.root;

  let span: LiveSpan | undefined;
  if (!detached && run.allows('usage')) {
    const exe = executableName(name, args[0], options);
    const attrs: Attributes = { 'process.executable.name': exe };
    span = run.startSpan(exe, SpanKind.CLIENT, attrs, under);
  }

  const base = appEnv ?? process.env;
  if (appEnv && appEnv !== process.env && !derivedFromProcessEnv(appEnv)) return { args, span };
  const ctxSpan = span ?? under;
  const session = recorder.childSession();
  const { set, unset } = childEnv(recorder.inherited, {
    span: { traceId: run.traceId, spanId: ctxSpan.spanId, sampled: run.sampled },
    detached,
    sessionId: session.id,
    treeSessionBase: session.base,
  });
  const env: Record<string, string | undefined> = { ...base };
  // A TRACEPARENT the app put there itself (not the one it inherited) is the app's context.
  const own = appEnv && appEnv.TRACEPARENT !== undefined && appEnv.TRACEPARENT !== process.env.TRACEPARENT;
  for (const k of unset) if (!(own && (k === 'TRACEPARENT' || k === 'TRACESTATE'))) delete env[k];
  for (const [k, v] of Object.entries(set)) if (!(own && (k === 'TRACEPARENT' || k === 'TRACESTATE'))) env[k] = v;
  return { args: withEnv(args, idx, env), span };
}

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._+-]{0,63}$/;

/** The program's basename, never a path or an argument; shell commands: their first word. */
function executableName(name: Name, file: unknown, options: Record<string, unknown> | undefined): string {
  if (typeof file !== 'string') return 'unknown';
  let word = file;
  if (name === 'exec' || name === 'execSync' || (options?.shell && name !== 'fork')) {
    // `FOO=1 npm test` -> npm; quoted or odd first words are not guessed at.
    const words = file.trim().split(/\s+/);
    word = words.find((w) => !/^[A-Za-z_][A-Za-z0-9_]*=/.test(w)) ?? '';
  } else if (name === 'fork') {
    return 'node';
  }
  const base = word.split(/[\\/]/).pop() ?? '';
  const bare = base.replace(/\.(exe|cmd|bat)$/i, '');
  return NAME_RE.test(bare) ? bare : 'unknown';
}
