/**
 * One reader for every duration setting (flush interval, retry delays, shipper lifetime...).
 *
 * Node's timers take a signed 32-bit millisecond count: setTimeout/setInterval with 2^31 ms or more
 * print a TimeoutOverflowWarning and fire after 1 ms, so a "once a month" setting becomes a busy
 * loop. Every duration that can reach a timer is therefore validated and clamped here, and values
 * that are not plain non-negative numbers fall back to the default instead of being guessed at.
 */

/** The largest delay a Node timer honours (2^31 - 1 ms, about 24.8 days). */
export const MAX_TIMER_MS = 2 ** 31 - 1;

export interface DurationSpec {
  /** Used when the value is missing or not a non-negative number. */
  fallback: number;
  /** Smaller values are raised to this (after the zero check). */
  min?: number;
  /** Larger values are lowered to this; never above MAX_TIMER_MS. */
  max?: number;
  /** Whether 0 is a meaningful value (e.g. "never flush periodically") and kept as is. */
  allowZero?: boolean;
}

export interface Duration {
  ms: number;
  /** Set when the value was unusable or out of range: one line for debug output. */
  problem?: string;
}

/** Parse and clamp a duration in milliseconds from an env string or a config number. */
export function durationMs(raw: unknown, spec: DurationSpec, what = 'duration'): Duration {
  const max = Math.min(spec.max ?? MAX_TIMER_MS, MAX_TIMER_MS);
  const min = Math.min(spec.min ?? 0, max);
  if (raw === undefined || raw === null || (typeof raw === 'string' && raw.trim() === '')) return { ms: spec.fallback };
  let n: number;
  if (typeof raw === 'number') n = raw;
  else if (typeof raw === 'string' && /^\s*\d+(\.\d+)?\s*$/.test(raw)) n = Number(raw);
  else return { ms: spec.fallback, problem: `${what} is not a number of milliseconds; using ${spec.fallback}` };
  if (!Number.isFinite(n) || n < 0) return { ms: spec.fallback, problem: `${what} is not a non-negative number of milliseconds; using ${spec.fallback}` };
  n = Math.round(n);
  if (n === 0 && spec.allowZero) return { ms: 0 };
  if (n > max) return { ms: max, problem: `${what} ${n} ms is above the limit; using ${max}` };
  if (n < min) return { ms: min, problem: `${what} ${n} ms is below the minimum; using ${min}` };
  return { ms: n };
}
