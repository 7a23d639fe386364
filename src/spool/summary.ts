/**
 * The spool as `devtool-telemetry status` shows it: what is waiting, what was lost and why, whether
 * the collector is considered down, and any condition a person has to fix (a spool dir that is a
 * file, not writable, owned by someone else; an invalid endpoint). Read-only, never throws.
 */
import fs = require('node:fs');
import { trustDir } from '../storage/trusted-dir';
import { lockFile, batchDir, destinationKey, destinationKeys, spoolRoot } from './layout';
import { listBatches, quarantinedCount } from './reader';
import { readShipperState } from './shipper-state';

type Env = NodeJS.ProcessEnv;

export interface SpoolStats {
  dir: string;
  pendingBatches: number;
  pendingBytes: number;
  pendingRecords: number;
  /** Unix ms of the oldest pending batch. */
  oldestAt?: number;
  quarantined: number;
  /** Records dropped by the shipper per reason (rejected, corrupt, ...). Spool evictions travel
   *  as the devtool.spool.dropped metric and are counted here once the shipper has folded them. */
  dropped: Record<string, number>;
  breaker: { open: boolean; nextAttemptAt?: number; failures: number };
  lastSuccessAt?: number;
  lastAttemptAt?: number;
  lastError?: string;
  lastErrorAt?: number;
  sentSpans: number;
  sentBatches: number;
  shipper: { running: boolean; pid?: number };
  /** Batches waiting for other destinations (other OTEL_EXPORTER_OTLP_* settings, other tools). */
  otherDestinations: { destinations: number; batches: number };
  /** Conditions a person should know about. */
  problems: string[];
  /** Set while the collector refuses our credentials (401/403); batches are kept meanwhile. */
  auth?: { status: number; at: number; failures: number };
}

function dirProblem(dir: string, what: string): string | undefined {
  try {
    const st = fs.statSync(dir);
    if (!st.isDirectory()) return `${what} ${dir} is not a directory: nothing can be spooled`;
    if (typeof process.getuid === 'function' && st.uid !== process.getuid()) {
      return `${what} ${dir} belongs to another user`;
    }
    fs.accessSync(dir, fs.constants.W_OK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') return `${what} ${dir} is not writable (${code})`;
    if (code === 'ENOTDIR') return `${what} ${dir}: a parent is not a directory`;
    return `${what} ${dir} cannot be used (${code ?? 'error'})`;
  }
  return undefined;
}

export function spoolStats(env: Env, now = Date.now()): SpoolStats {
  const dir = spoolRoot(env);
  const problems: string[] = [];
  for (const [d, what] of [
    [dir, 'spool dir'],
    [batchDir(env), 'spool dir'],
  ] as const) {
    const p = dirProblem(d, what);
    if (p) {
      problems.push(p);
      break;
    }
  }
  const trust = trustDir(batchDir(env), { root: dir });
  if (!trust.ok && !trust.missing) problems.push(`spool not used (nothing is written to it, read from it or sent from it): ${trust.reason}`);
  const names = listBatches(env);
  let pendingBytes = 0;
  let pendingRecords = 0;
  for (const n of names) {
    pendingBytes += n.bytes;
    pendingRecords += n.records;
  }
  const st = readShipperState(env);
  problems.push(...st.conditions);
  if (st.auth) {
    // Said in words: the backlog is safe, and what fixes it.
    const until = st.nextAttemptAt > now ? `until ${new Date(st.nextAttemptAt).toISOString()} or ` : '';
    problems.push(
      `the collector refused our credentials (HTTP ${st.auth.status}, ${st.auth.failures} time(s), last ${new Date(st.auth.at).toISOString()}): ` +
        `${names.length} batch(es) kept, delivery paused ${until}until the OTLP settings change (check OTEL_EXPORTER_OTLP_HEADERS)`,
    );
  }
  let shipper: SpoolStats['shipper'];
  try {
    // Lazy: the lock module lives with the shipper; this keeps stats importable alone.
    const { lockStatus } = require('./lock') as typeof import('./lock');
    const ls = lockStatus(env, now);
    shipper = ls.held ? { running: true, ...(ls.info ? { pid: ls.info.pid } : {}) } : { running: false };
  } catch {
    shipper = { running: fs.existsSync(lockFile(env)) };
  }
  const own = destinationKey(env);
  const otherDestinations = { destinations: 0, batches: 0 };
  for (const key of destinationKeys(env)) {
    if (key === own) continue;
    const n = listBatches(env, key).length;
    if (n > 0) {
      otherDestinations.destinations++;
      otherDestinations.batches += n;
    }
  }
  return {
    dir,
    pendingBatches: names.length,
    pendingBytes,
    pendingRecords,
    ...(names.length ? { oldestAt: names[0].createdAt } : {}),
    quarantined: quarantinedCount(env),
    dropped: st.dropped,
    breaker: { open: st.nextAttemptAt > now, ...(st.nextAttemptAt > now ? { nextAttemptAt: st.nextAttemptAt } : {}), failures: st.failures },
    ...(st.lastSuccessAt ? { lastSuccessAt: st.lastSuccessAt } : {}),
    ...(st.lastAttemptAt ? { lastAttemptAt: st.lastAttemptAt } : {}),
    ...(st.lastError ? { lastError: st.lastError } : {}),
    ...(st.lastErrorAt ? { lastErrorAt: st.lastErrorAt } : {}),
    sentSpans: st.sentSpans,
    sentBatches: st.sentBatches,
    ...(st.auth ? { auth: st.auth } : {}),
    shipper,
    otherDestinations,
    problems,
  };
}
