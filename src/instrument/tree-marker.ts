/**
 * The tree marker of a top-level process with telemetry off. The top-level process speaks for its
 * process tree (README, first-run notice): when it records, it showed the notice and its children
 * stay silent (child-process.ts hands them DEVTOOL_TELEMETRY_TREE). When it is off it shows nothing,
 * and without a marker its children would each print their own first-run notice into its output.
 * So an off top-level process still marks the environment its children inherit with
 * DEVTOOL_TELEMETRY_TREE=off: they print no notice, and record only when their own consent says so
 * and their tool's notice was shown before (runtime.ts). Nothing else is recorded, written or sent.
 *
 * Cost: wrapping child_process loads it (~1 ms for a tool that prints nothing). So this runs only
 * when a child could decide differently from us: not for the opt-outs every child inherits (the
 * global environment variables, the user's "all tools" choice) and not inside a tree (the marker
 * passes down with the environment by itself). An `env` built from scratch is left as the app wrote
 * it, as in child-process.ts; `process.env` is never changed.
 */
import { TREE_ENV, TREE_OFF } from '../recorder/propagation';
import { isShipperProcess } from '../settings/process-role';
import { derivedFromProcessEnv, optionsIndex, rebindPromisify, withEnv, ASYNC, SYNC, type AnyFn, type Name } from './child-env';

const MARKED = Symbol.for('devtool-telemetry.child_process.marked');
/** Off decisions every child inherits: they decide the same for it, no marker needed. */
const INHERITED = new Set(['env:DO_NOT_TRACK', 'env:DEVTOOL_TELEMETRY_DISABLED', 'env:OTEL_SDK_DISABLED', 'env:DEVTOOL_TELEMETRY_LEVEL', 'user:all']);

/** Mark the children of this off process, when one of them could decide otherwise. Never throws. */
export function markTreeWhenOff(source: string, env: NodeJS.ProcessEnv): void {
  if (INHERITED.has(source) || env[TREE_ENV] !== undefined) return;
  try {
    const cp = require('node:child_process') as Record<string, unknown> & { [MARKED]?: boolean };
    if (cp[MARKED]) return;
    Object.defineProperty(cp, MARKED, { value: true });
    for (const name of [...ASYNC, ...SYNC]) {
      const original = cp[name];
      if (typeof original === 'function') cp[name] = wrap(name, original as AnyFn);
    }
    rebindPromisify(cp);
  } catch {
    /* children then decide alone, as before */
  }
}

function wrap(name: Name, original: AnyFn): AnyFn {
  const wrapped = function (this: unknown, ...args: unknown[]): unknown {
    let next = args;
    try {
      const idx = optionsIndex(name, args);
      const given = args[idx];
      const appEnv = given !== null && typeof given === 'object' ? ((given as { env?: unknown }).env as Record<string, string | undefined> | null | undefined) : undefined;
      const base = appEnv != null && typeof appEnv === 'object' ? appEnv : process.env;
      // the app's copy of process.env gets the marker; one built from scratch is the app's choice
      if (!isShipperProcess(base) && base[TREE_ENV] === undefined && (base === process.env || derivedFromProcessEnv(base))) {
        next = withEnv(args, idx, { ...base, [TREE_ENV]: TREE_OFF });
      }
    } catch {
      next = args;
    }
    return original.apply(this, next);
  };
  Object.defineProperty(wrapped, 'name', { value: original.name, configurable: true });
  Object.defineProperty(wrapped, 'length', { value: original.length, configurable: true });
  return wrapped;
}
