/**
 * DEVTOOL_TELEMETRY_PROFILE=1: what each step of our start-up and exit costs in the process, as
 * hrtime marks printed to stderr once the exit path is done (bench/startup-phases.mjs reads them):
 *
 *   [devtool-telemetry] profile <phase> <ms since the previous mark>
 *
 * The first phase runs from the process's time origin to the preload's first line (Node's own
 * start plus loading the preload). Off (the default), a mark is one boolean test. The store lives
 * on globalThis because the preload and the runtime are two bundles, each with its own copy of
 * this module. Not telemetry: nothing here is recorded or sent.
 */
interface Store {
  on: boolean;
  marks: Array<[string, bigint]>;
  last?: bigint;
}

const KEY = Symbol.for('devtool-telemetry.profile');
const holder = globalThis as { [KEY]?: Store };
const store: Store = (holder[KEY] ??= { on: process.env.DEVTOOL_TELEMETRY_PROFILE === '1', marks: [] });

/** The phase that just ended. */
export function mark(phase: string): void {
  if (store.on) store.marks.push([phase, process.hrtime.bigint()]);
}

/** Print the marks taken since the last print (at the end of the exit path). */
export function printProfile(): void {
  if (!store.on || store.marks.length === 0) return;
  const lines: string[] = [];
  for (const [phase, t] of store.marks) {
    // First mark: time since the process's time origin (performance is only touched when on).
    const ms = store.last === undefined ? performance.now() - Number(process.hrtime.bigint() - t) / 1e6 : Number(t - store.last) / 1e6;
    lines.push(`[devtool-telemetry] profile ${phase} ${ms.toFixed(3)}`);
    store.last = t;
  }
  store.marks.length = 0;
  try {
    process.stderr.write(lines.join('\n') + '\n');
  } catch {
    /* stderr closed */
  }
}
