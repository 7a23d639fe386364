/**
 * The set-up most test files share, as vitest hooks: call one at the top of a file (or a describe) and
 * use what it returns as if it were the object itself. Each is one concern, named for what it sets up
 * and how long it lives. What they return is a stand-in for the object the hook makes (reads and calls
 * go to the current one), so test code reads `sb.env`, `receiver.spans()` as before; touching it
 * outside a test (before the hook ran) throws, saying which hook to look at.
 */
import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';
import { startReceiver, type Receiver, type ReceiverOptions } from './otlp-receiver';
import { makeSandbox, type Sandbox, type SandboxOptions } from './sandbox';
import { waitForShipperIdle } from './spool-helpers';

/** A stand-in for an object a hook makes later; `set` installs (or, with undefined, removes) the current one. */
function standIn<T extends object>(what: string): { value: T; set(v: T | undefined): void } {
  let current: T | undefined;
  const target = (): T => {
    if (current === undefined) throw new Error(`${what} is made by a vitest hook and used outside a test (or after it was removed)`);
    return current;
  };
  const value = new Proxy({} as T, {
    get(_, key) {
      const t = target();
      const v = Reflect.get(t, key, t) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(t) : v;
    },
    set: (_, key, v) => Reflect.set(target(), key, v),
    has: (_, key) => Reflect.has(target(), key),
    ownKeys: () => Reflect.ownKeys(target()),
    getOwnPropertyDescriptor: (_, key) => {
      const d = Reflect.getOwnPropertyDescriptor(target(), key);
      return d && { ...d, configurable: true };
    },
  });
  return { value, set: (v) => void (current = v) };
}

export interface SandboxHookOptions extends SandboxOptions {
  /**
   * Before removing the sandbox, wait (up to 15 s) until its detached shipper has delivered and exited,
   * so the next test's receiver sees only its own records (for tests whose runs reach a receiver).
   */
  waitForShipper?: boolean;
}

function lifetime<T extends object>(scope: 'file' | 'test', what: string, make: () => T | Promise<T>, remove: (t: T) => unknown): T {
  const [before, after] = scope === 'file' ? [beforeAll, afterAll] : [beforeEach, afterEach];
  const h = standIn<T>(what);
  let current: T | undefined;
  before(async () => h.set((current = await make())));
  after(async () => {
    const done = current;
    h.set((current = undefined));
    if (done) await remove(done);
  });
  return h.value;
}

/**
 * Something made before the file's (or describe's) first test and removed after its last, as a stand-in
 * usable from the top of the file. The building block of the helpers below and of suite-specific ones
 * (a fake LLM server, a private collector stack).
 */
export function perFile<T extends object>(what: string, make: () => T | Promise<T>, remove: (t: T) => unknown): T {
  return lifetime('file', what, make, remove);
}

/** Something made before every test and removed after it, as a stand-in usable from the top of the file. */
export function perTest<T extends object>(what: string, make: () => T | Promise<T>, remove: (t: T) => unknown): T {
  return lifetime('test', what, make, remove);
}

async function removeSandbox(sb: Sandbox, opts: SandboxHookOptions): Promise<void> {
  if (opts.waitForShipper) await waitForShipperIdle({ ...sb.env }).catch(() => undefined);
  sb.cleanup();
}

/** A fresh sandbox (HOME, config, cache, policy file: support/sandbox.ts) for every test, removed after it. */
export function sandboxPerTest(opts: SandboxHookOptions = {}): Sandbox {
  return perTest('sandboxPerTest()', () => makeSandbox(opts), (sb) => removeSandbox(sb, opts));
}

/** One sandbox for the whole file (or describe), removed after its last test. */
export function sandboxPerFile(opts: SandboxHookOptions = {}): Sandbox {
  return perFile('sandboxPerFile()', () => makeSandbox(opts), (sb) => removeSandbox(sb, opts));
}

/**
 * One real OTLP receiver (support/otlp-receiver.ts) for the whole file (or describe), emptied before
 * every test (`reset()`: requests and connection count) and closed after the last.
 */
export function receiverPerFile(opts: ReceiverOptions = {}): Receiver {
  const rx = perFile('receiverPerFile()', () => startReceiver(opts), (r) => r.close());
  beforeEach(() => rx.reset());
  return rx;
}

/**
 * Clean-ups a test registers as it goes (servers, receivers, processes), run after it in reverse order,
 * whether it passed or failed. Returns the function that registers one.
 */
export function cleanupAfterEach(): (cleanup: () => unknown) => void {
  const pending: Array<() => unknown> = [];
  afterEach(async () => {
    for (const c of pending.splice(0).reverse()) await c();
  });
  return (cleanup) => void pending.push(cleanup);
}

/**
 * Receivers a test starts for itself (each with its own answers), closed after that test; `defer`: the
 * file's cleanupAfterEach(), when the receivers must close in order with its other clean-ups.
 */
export function receiversPerTest(defer = cleanupAfterEach()): (opts?: ReceiverOptions) => Promise<Receiver> {
  return async (opts = {}) => {
    const r = await startReceiver(opts);
    defer(() => r.close());
    return r;
  };
}
