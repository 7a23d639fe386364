/**
 * How a client method is patched, the same way for every client we capture: only once (the
 * global WRAPPED marker also holds across two copies of this package in one process), and the
 * wrapper looks like the original to the app (name, length) and leads back to it.
 */
export type Obj = Record<string, unknown>;
export type AnyFn = (this: unknown, ...args: unknown[]) => unknown;

export const WRAPPED = Symbol.for('devtool-telemetry.wrapped');

export function isObj(v: unknown): v is Obj {
  return !!v && typeof v === 'object';
}

/** `proto[method]` when it is a function we have not wrapped yet; otherwise undefined. */
export function unwrappedMethod(proto: unknown, method: string): AnyFn | undefined {
  if (!isObj(proto)) return undefined;
  const original = proto[method];
  if (typeof original !== 'function' || (original as unknown as Obj)[WRAPPED as unknown as string]) return undefined;
  return original as AnyFn;
}

/** Put `wrapped` in place of `orig` as `proto[method]`. */
export function installWrapper(proto: Obj, method: string, orig: AnyFn, wrapped: AnyFn): void {
  Object.defineProperty(wrapped, 'name', { value: orig.name });
  Object.defineProperty(wrapped, 'length', { value: orig.length });
  Object.defineProperty(wrapped, WRAPPED, { value: orig });
  proto[method] = wrapped;
}

/** JSON of a value the app handed over (tool arguments, results); undefined when it has none. */
export function json(v: unknown): string | undefined {
  try {
    return v === undefined ? undefined : JSON.stringify(v);
  } catch {
    return undefined;
  }
}

/** Call the original; a synchronous throw ends the observation (`onThrow`) and reaches the app unchanged. */
export function callOriginal(orig: AnyFn, self: unknown, args: unknown[], onThrow: (err: unknown) => void): unknown {
  try {
    return orig.apply(self, args);
  } catch (err) {
    onThrow(err);
    throw err;
  }
}

/** What a client returned, once settled: `onValue` sees the value; a rejection ends the observation (`onError`) and reaches the app unchanged. */
export function whenSettled<T, R>(p: unknown, onValue: (v: T) => R, onError: (err: unknown) => void): Promise<R> {
  return Promise.resolve(p as T).then(onValue, (err: unknown) => {
    onError(err);
    throw err;
  });
}

/** A named export of a client package (CJS `module.exports`, an ESM namespace, or a function with statics). */
export function exported(exports: unknown, name: string): unknown {
  return isObj(exports) || typeof exports === 'function' ? (exports as Obj)[name] : undefined;
}
