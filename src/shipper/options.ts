/**
 * Shipper tuning. Defaults suit a developer's machine; the variables exist for tests and for
 * unusual networks. Unparsable values fall back to the default; durations are clamped to what a
 * Node timer can wait (durations.ts), so a huge value never turns into a 1 ms retry loop.
 *
 * Requests are small on purpose: a request that was in flight when the shipper died (SIGKILL, a
 * timeout after the collector accepted it) is sent again, so the request size is what one crash
 * can duplicate. 16 batches / 512 spans / 1 MiB keeps that small and costs one round trip per 16
 * runs of backlog.
 */
import { durationMs, MAX_TIMER_MS } from '../settings/durations';
import { isCI } from '../consent/ci';

type Env = NodeJS.ProcessEnv;

export interface ShipperOptions {
  /** First retry delay; doubles per consecutive failure (with jitter). */
  retryBaseMs: number;
  /** Longest breaker period (and cap of the exponential delay). */
  retryMaxMs: number;
  /** Longest the shipper waits in-process before retrying; beyond it, it opens the breaker and exits. */
  maxWaitMs: number;
  /** Consecutive failures in one shipper life before it opens the breaker and exits. */
  maxAttempts: number;
  /** Largest Retry-After honoured (a hostile value must not park delivery for a year). */
  maxRetryAfterMs: number;
  /** Per export request. */
  maxBatchesPerRequest: number;
  maxSpansPerRequest: number;
  maxBytesPerRequest: number;
  /** A shipper never lives longer than this (a fresh one is kicked by the next run). */
  maxLifeMs: number;
  /** `immediate` (ship as soon as a batch is written, exit when empty) or `batched` (cadence.ts). */
  mode: ShipMode;
  /** Batched: a request leaves once the oldest pending batch is this old (or a request is full). */
  gatherDelayMs: number;
  /** Batched: after the spool is empty, stay this long taking new batches before exiting. */
  lingerMs: number;
}

export type ShipMode = 'immediate' | 'batched';

/**
 * DEVTOOL_TELEMETRY_SHIP=immediate|batched. Unset: batched, except under CI (a CI job tears its
 * machine down minutes after the last run, so nothing should wait there) where it is immediate.
 */
export function shipMode(env: Env): ShipMode {
  const v = env.DEVTOOL_TELEMETRY_SHIP?.trim().toLowerCase();
  if (v === 'immediate' || v === 'batched') return v;
  return isCI(env) ? 'immediate' : 'batched';
}

/** A count setting: a positive integer within [min, max], else the default. */
function int(env: Env, name: string, fallback: number, min: number, max: number): number {
  const v = env[name]?.trim();
  if (!v || !/^\d+$/.test(v)) return fallback;
  const n = Number(v);
  return Number.isSafeInteger(n) && n >= min ? Math.min(n, max) : fallback;
}

function ms(env: Env, name: string, fallback: number, min: number, max: number): number {
  return durationMs(env[name], { fallback, min, max }, name).ms;
}

const DAY = 24 * 3600_000;

export function shipperOptions(env: Env): ShipperOptions {
  const mode = shipMode(env);
  const batched = mode === 'batched';
  return {
    retryBaseMs: ms(env, 'DEVTOOL_TELEMETRY_RETRY_BASE_MS', 1_000, 1, DAY),
    retryMaxMs: ms(env, 'DEVTOOL_TELEMETRY_RETRY_MAX_MS', 60 * 60_000, 1, 7 * DAY),
    maxWaitMs: ms(env, 'DEVTOOL_TELEMETRY_SHIPPER_MAX_WAIT_MS', 60_000, 0, DAY),
    maxAttempts: int(env, 'DEVTOOL_TELEMETRY_SHIPPER_MAX_ATTEMPTS', 6, 1, 1_000),
    maxRetryAfterMs: 6 * 60 * 60_000,
    maxBatchesPerRequest: int(env, 'DEVTOOL_TELEMETRY_SHIPPER_REQUEST_BATCHES', 16, 1, 1_000),
    maxSpansPerRequest: int(env, 'DEVTOOL_TELEMETRY_SHIPPER_REQUEST_SPANS', 512, 1, 8_192),
    maxBytesPerRequest: 1024 * 1024,
    maxLifeMs: ms(env, 'DEVTOOL_TELEMETRY_SHIPPER_MAX_LIFE_MS', 15 * 60_000, 1_000, DAY),
    mode,
    // Bounded so that a batch is never held back for long: at most the delay after it was written
    // (plus a request's time), however the variables are set.
    gatherDelayMs: batched ? ms(env, 'DEVTOOL_TELEMETRY_SHIP_DELAY_MS', 10_000, 0, 10 * 60_000) : 0,
    lingerMs: batched ? ms(env, 'DEVTOOL_TELEMETRY_SHIPPER_LINGER_MS', 60_000, 0, 10 * 60_000) : 0,
  };
}

/** Exponential backoff with "equal jitter": half fixed, half random, so retries spread out. */
export function backoffMs(failures: number, opts: Pick<ShipperOptions, 'retryBaseMs' | 'retryMaxMs'>, rand = Math.random): number {
  const exp = Math.min(opts.retryMaxMs, MAX_TIMER_MS, opts.retryBaseMs * 2 ** Math.min(Math.max(failures - 1, 0), 30));
  return Math.round(exp / 2 + (exp / 2) * rand());
}

/** Retry-After: delta-seconds or an HTTP date. Undefined when absent or unparsable. */
export function parseRetryAfter(value: string | string[] | undefined, now = Date.now()): number | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  if (!v) return undefined;
  const t = v.trim();
  if (/^\d+$/.test(t)) return Math.min(Number(t) * 1000, Number.MAX_SAFE_INTEGER);
  const date = Date.parse(t);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}
