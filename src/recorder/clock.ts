/**
 * Wall-clock nanoseconds as decimal strings (OTLP's fixed64 exceeds 2^53). Anchored once to
 * Date.now() and advanced with the monotonic clock, so durations never go negative when the
 * system clock is adjusted mid-run.
 */
const anchorNs = BigInt(Date.now()) * 1_000_000n - process.hrtime.bigint();

export function nowNs(): bigint {
  return anchorNs + process.hrtime.bigint();
}

/**
 * When this process started (before the preload ran), from process.uptime(): touching
 * `performance.timeOrigin` would load perf_hooks, ~1 ms of start-up.
 */
export function processStartNs(): bigint {
  return nowNs() - BigInt(Math.round(process.uptime() * 1e9));
}

export function nsToString(ns: bigint): string {
  return ns.toString();
}

export function secondsBetween(startNs: bigint, endNs: bigint): number {
  return Number(endNs - startNs) / 1e9;
}
