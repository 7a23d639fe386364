/**
 * What both child_process hooks share: the recording one (child-process.ts: CLIENT spans and trace
 * context) and the off path's tree marker (tree-marker.ts). The entry points, where their options
 * go, whether an `env` the app passed is its copy of process.env (context passes) or one built from
 * scratch (left exactly as written), and Node's promisify.custom for exec/execFile.
 *
 * Node built-ins only (node:util, lazily): this module can load on the off path.
 */

export const ASYNC = ['spawn', 'exec', 'execFile', 'fork'] as const;
export const SYNC = ['spawnSync', 'execSync', 'execFileSync'] as const;
export type Name = (typeof ASYNC)[number] | (typeof SYNC)[number];
export type AnyFn = (...args: unknown[]) => unknown;

/** Where the options object is (or would go) in this entry point's arguments. */
export function optionsIndex(name: Name, args: unknown[]): number {
  if (name === 'exec' || name === 'execSync') return 1;
  // (file, args[, options]); Node also takes (file, undefined, options) and (file, options).
  return Array.isArray(args[1]) || (args[1] == null && args.length > 2) ? 2 : 1;
}

/**
 * A copy of process.env, possibly with a few variables changed or removed, rather than an
 * environment built from scratch: at least 90% of process.env's variables are present.
 */
export function derivedFromProcessEnv(env: Record<string, unknown>): boolean {
  const keys = Object.keys(process.env);
  if (keys.length === 0) return true;
  let missing = 0;
  const allowed = Math.floor(keys.length * 0.1);
  for (const k of keys) if (!(k in env) && ++missing > allowed) return false;
  return true;
}

/** The arguments with `env` in the options (the app's options object is copied, never modified). */
export function withEnv(args: unknown[], idx: number, env: Record<string, string | undefined>): unknown[] {
  const given = args[idx];
  const options = given !== null && typeof given === 'object' ? (given as Record<string, unknown>) : undefined;
  const next = args.slice();
  const newOptions = { ...(options ?? {}), env };
  if (options) next[idx] = newOptions;
  else if (given === undefined || given === null) next[idx] = newOptions;
  else next.splice(idx, 0, newOptions); // a callback where options would be: exec(cmd, cb)
  return next;
}

/** Node's own promisify.custom for exec/execFile, calling our wrapper. */
export function promisified(fn: AnyFn): AnyFn {
  return (...args: unknown[]) => {
    let resolve!: (v: unknown) => void;
    let reject!: (e: unknown) => void;
    const promise = new Promise((res, rej) => {
      resolve = res;
      reject = rej;
    }) as Promise<unknown> & { child?: unknown };
    promise.child = fn(...args, (err: (Error & { stdout?: unknown; stderr?: unknown }) | null, stdout: unknown, stderr: unknown) => {
      if (err !== null) {
        err.stdout = stdout;
        err.stderr = stderr;
        reject(err);
      } else {
        resolve({ stdout, stderr });
      }
    });
    return promise;
  };
}

/** promisify(exec)/promisify(execFile) use a custom function bound to the original: rebind it. */
export function rebindPromisify(cp: Record<string, unknown>): void {
  const { promisify } = require('node:util') as typeof import('node:util');
  for (const name of ['exec', 'execFile'] as const) {
    const fn = cp[name] as AnyFn & { [promisify.custom]?: unknown };
    Object.defineProperty(fn, promisify.custom, { value: promisified(fn), configurable: true, enumerable: false, writable: false });
  }
}
