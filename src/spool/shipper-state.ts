/**
 * Small JSON state files in the spool dir, written only by the shipper that holds the lock (temp +
 * rename: readers see the old or the new state, never half of one) and read by anyone: the kick in
 * the tool's process reads the breaker, `status` reads everything.
 */
import fs = require('node:fs');
import path = require('node:path');
import { writeExclusive } from '../storage/trusted-dir';
import { shipperStateFile } from './layout';
import { envFingerprint } from '../storage/fingerprint';

type Env = NodeJS.ProcessEnv;

/** Shipper health, the circuit breaker and drop totals. */
export interface ShipperState {
  v: 1;
  /** Consecutive failed export attempts (0 after a success). */
  failures: number;
  /** Unix ms before which no new shipper should be started (circuit open); 0 when closed. */
  nextAttemptAt: number;
  lastAttemptAt?: number;
  lastSuccessAt?: number;
  /** Short, value-free description of the last failure. */
  lastError?: string;
  lastErrorAt?: number;
  /** Conditions that need a person (invalid endpoint, ...), shown by `status`. */
  conditions: string[];
  /** Records dropped by the shipper, per reason (spool evictions are counted in batches instead). */
  dropped: Record<string, number>;
  /** Spans and batches delivered since the state was created. */
  sentSpans: number;
  sentBatches: number;
  /** routeKey() of the proxy set-up the breaker was opened for: another route is not down. */
  breakerKey?: string;
  /**
   * The collector refused our credentials (401/403): a configuration problem a person fixes. The
   * batches are kept and delivery is paused (breaker) until the settings change; cleared on success.
   */
  auth?: { status: number; at: number; failures: number };
}

export function emptyShipperState(): ShipperState {
  return { v: 1, failures: 0, nextAttemptAt: 0, conditions: [], dropped: {}, sentSpans: 0, sentBatches: 0 };
}

/** Read a JSON file; undefined when missing or unparsable. */
export function readJson(file: string): unknown {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}

/** Atomically replace a JSON file (mode 0600). Throws on failure: callers decide. */
export function writeJsonAtomic(file: string, value: unknown): void {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${Math.random().toString(36).slice(2, 8)}.tmp`);
  try {
    writeExclusive(tmp, JSON.stringify(value));
    fs.renameSync(tmp, file);
  } catch (e) {
    try {
      fs.unlinkSync(tmp);
    } catch {
      /* nothing written */
    }
    throw e;
  }
}

export function readShipperState(env: Env): ShipperState {
  const raw = readJson(shipperStateFile(env)) as Partial<ShipperState> | undefined;
  const s = emptyShipperState();
  if (!raw || typeof raw !== 'object') return s;
  const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : undefined);
  s.failures = num(raw.failures) ?? 0;
  s.nextAttemptAt = num(raw.nextAttemptAt) ?? 0;
  s.lastAttemptAt = num(raw.lastAttemptAt);
  s.lastSuccessAt = num(raw.lastSuccessAt);
  s.lastErrorAt = num(raw.lastErrorAt);
  if (typeof raw.lastError === 'string') s.lastError = raw.lastError.slice(0, 300);
  if (Array.isArray(raw.conditions)) s.conditions = raw.conditions.filter((c) => typeof c === 'string').slice(0, 20);
  if (raw.dropped && typeof raw.dropped === 'object') {
    for (const [k, v] of Object.entries(raw.dropped)) if (num(v) !== undefined) s.dropped[k] = v as number;
  }
  s.sentSpans = num(raw.sentSpans) ?? 0;
  s.sentBatches = num(raw.sentBatches) ?? 0;
  if (typeof raw.breakerKey === 'string') s.breakerKey = raw.breakerKey;
  const a = raw.auth as Partial<NonNullable<ShipperState['auth']>> | undefined;
  if (a && typeof a === 'object' && num(a.status) !== undefined && num(a.at) !== undefined) {
    s.auth = { status: a.status as number, at: a.at as number, failures: num(a.failures) ?? 1 };
  }
  return s;
}

export function writeShipperState(env: Env, state: ShipperState): boolean {
  try {
    writeJsonAtomic(shipperStateFile(env), state);
    return true;
  } catch {
    return false;
  }
}

const ROUTE_VARS: readonly string[] = ['HTTP_PROXY', 'HTTPS_PROXY', 'NO_PROXY', 'ALL_PROXY', 'http_proxy', 'https_proxy', 'no_proxy', 'all_proxy'].sort();

/**
 * How the destination is reached: the proxy variables. The destination itself (the OTLP
 * variables) names the folder this state lives in (layout.ts destinationKey), so the breaker is
 * per destination already; this key adds the route, so that a breaker opened for one proxy set-up
 * does not hold back a fixed one. A proxy never moves batches to another folder.
 */
export function routeKey(env: Env): string {
  return envFingerprint(env, ROUTE_VARS);
}

/**
 * Only the breaker fields, read cheaply on the tool's exit path by kickShipper: until when no new
 * shipper should start for this endpoint configuration. A corrupt or missing file means "closed".
 */
export function breakerOpenUntil(env: Env): number {
  try {
    const raw = JSON.parse(fs.readFileSync(shipperStateFile(env), 'utf8')) as { nextAttemptAt?: unknown; breakerKey?: unknown };
    const t = raw?.nextAttemptAt;
    if (typeof t !== 'number' || !Number.isFinite(t)) return 0;
    if (typeof raw.breakerKey === 'string' && raw.breakerKey !== routeKey(env)) return 0;
    return t;
  } catch {
    return 0;
  }
}
