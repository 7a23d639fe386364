/**
 * DEVTOOL_TELEMETRY_PROFILE=1: what each step of our start-up and exit costs in the process, as
 * hrtime marks printed to stderr once the exit path is done (bench/startup-phases.mjs reads them):
 *
 *   [devtool-telemetry] profile <phase> <ms since the previous mark>
 *   [devtool-telemetry] profile-cpu <phase> <CPU ms of the process since the previous mark>
 *
 * The CPU line is the one to compare on a shared machine: a phase's wall time grows whenever the
 * scheduler runs something else, its CPU time does not.
 *
 * The first phase runs from the process's time origin to the preload's first line (Node's own
 * start plus loading the preload). Off (the default), a mark is one boolean test. The store lives
 * on globalThis because the preload and the runtime are two bundles, each with its own copy of
 * this module. Not telemetry: nothing here is recorded or sent.
 */
interface Store {
  on: boolean;
  marks: Array<[string, bigint, number]>;
  last?: bigint;
  lastCpu?: number;
}

const KEY = Symbol.for('devtool-telemetry.profile');
const holder = globalThis as { [KEY]?: Store };
const store: Store = (holder[KEY] ??= { on: process.env.DEVTOOL_TELEMETRY_PROFILE === '1', marks: [] });

/** The phase that just ended. */
export function mark(phase: string): void {
  if (store.on) store.marks.push([phase, process.hrtime.bigint(), cpuMs()]);
}

function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/** Print the marks taken since the last print (at the end of the exit path). */
export function printProfile(): void {
  if (!store.on || store.marks.length === 0) return;
  const lines: string[] = [];
  for (const [phase, t, cpu] of store.marks) {
    // First mark: time since the process's time origin (performance is only touched when on).
    const ms = store.last === undefined ? performance.now() - Number(process.hrtime.bigint() - t) / 1e6 : Number(t - store.last) / 1e6;
    lines.push(`[devtool-telemetry] profile ${phase} ${ms.toFixed(3)}`);
    lines.push(`[devtool-telemetry] profile-cpu ${phase} ${(cpu - (store.lastCpu ?? 0)).toFixed(3)}`);
    store.last = t;
    store.lastCpu = cpu;
  }
  store.marks.length = 0;
  try {
    process.stderr.write(lines.join('\n') + '\n');
  } catch {
    /* stderr closed */
  }
}
