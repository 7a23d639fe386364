/**
 * The spool writer: the only spool code that runs inside the tool's process, at exit and on the
 * periodic flush of long-running apps. One batch, one file, written as a temp file and renamed into
 * place, so a reader never sees a torn batch and any number of processes can write at once without
 * coordinating (each writes its own uniquely named file). No fsync: a power loss can at worst leave
 * an empty or partial file, which the shipper quarantines; fsync would cost milliseconds per run.
 *
 * Bounded: before writing, the writer lists the spool (names only: each name carries its creation
 * time, record count and size) and evicts the oldest batches beyond the size and count caps and any
 * older than the age cap. The count cap also bounds the cost of that listing during long outages. What it evicts is counted into the batch being written as a `devtool.spool.dropped`
 * {record} metric, so losses are reported by the next batch that does get through.
 *
 * Never throws: disk full, read-only home, a file where the directory should be, EACCES all return
 * { ok: false, reason } and the tool carries on. Depends only on node built-ins and our paths/model.
 */
import fs = require('node:fs');
import path = require('node:path');
import type { Batch, MetricRecord } from '../model/records';
import { explainUntrusted, trustDir, writeExclusive } from '../storage/trusted-dir';
import { BATCH_SUFFIX, batchDir, formatBatchName, safeId, sortBatchNames, spoolRoot } from './layout';

type Env = NodeJS.ProcessEnv;

export interface WriteResult {
  ok: boolean;
  reason?: string;
  /** Records evicted to make room (already counted into the written batch). */
  evicted?: number;
}

export interface SpoolLimits {
  /** Total bytes of pending batches. */
  maxBytes: number;
  /** Pending batches older than this are evicted. */
  maxAgeMs: number;
  /** Pending batch files: also bounds the cost of the listing every write does. */
  maxBatches: number;
  /** A single batch larger than this is refused (a runaway recorder must not fill the disk). */
  maxBatchBytes: number;
}

export const DROPPED_METRIC = 'devtool.spool.dropped';
export const DROP_REASON_ATTR = 'devtool.spool.drop.reason';
/** The catalog's enum for devtool.spool.drop.reason: full (size cap), expired (age cap), corrupt, rejected. */
export type DropReason = 'full' | 'expired' | 'rejected' | 'corrupt';

const MB = 1024 * 1024;
const DAY = 24 * 3600 * 1000;

function positiveInt(v: string | undefined, fallback: number): number {
  if (!v || !/^\d+$/.test(v.trim())) return fallback;
  const n = Number(v);
  return n > 0 && Number.isSafeInteger(n) ? n : fallback;
}

/** Limits, overridable for tests and unusual machines. */
export function spoolLimits(env: Env): SpoolLimits {
  const maxBytes = positiveInt(env.DEVTOOL_TELEMETRY_SPOOL_MAX_BYTES, 20 * MB);
  return {
    maxBytes,
    maxAgeMs: positiveInt(env.DEVTOOL_TELEMETRY_SPOOL_MAX_AGE_MS, 7 * DAY),
    maxBatches: positiveInt(env.DEVTOOL_TELEMETRY_SPOOL_MAX_BATCHES, 5_000),
    maxBatchBytes: Math.min(maxBytes, 4 * MB),
  };
}

function countRecords(batch: Batch): number {
  let n = Array.isArray(batch.spans) ? batch.spans.length : 0;
  if (Array.isArray(batch.metrics)) for (const m of batch.metrics) n += Array.isArray(m.points) ? m.points.length : 0;
  if (Array.isArray(batch.logs)) n += batch.logs.length;
  return n;
}

function errCode(e: unknown): string {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' ? code : e instanceof Error ? e.name : 'unknown error';
}

/** A `devtool.spool.dropped` metric record for the given per-reason counts (nothing if all zero). */
export function droppedMetric(counts: Partial<Record<DropReason, number>>, nowMs: number): MetricRecord | undefined {
  const points = [];
  for (const [reason, value] of Object.entries(counts)) {
    if (value && value > 0) points.push({ attributes: { [DROP_REASON_ATTR]: reason }, value });
  }
  if (points.length === 0) return undefined;
  const t = `${BigInt(Math.floor(nowMs)) * 1_000_000n}`;
  return {
    name: DROPPED_METRIC,
    unit: '{record}',
    description: 'Telemetry records dropped before delivery (spool full or too old, rejected by the collector, unreadable).',
    type: 'sum',
    startTimeUnixNano: t,
    timeUnixNano: t,
    points,
  };
}

/**
 * Evict the oldest batches so that `incoming` more bytes fit, and any past the age cap.
 * Returns records evicted per reason. Another writer may evict the same file at the same time:
 * only the one whose unlink succeeds counts it, so nothing is counted twice.
 */
function evict(dir: string, incoming: number, limits: SpoolLimits, now: number): Partial<Record<DropReason, number>> {
  const files = fs.readdirSync(dir);
  // Common case first, without parsing or sorting every name: within both caps, nothing to do.
  // Names start with the 13-digit creation time, so the oldest is the smallest name.
  let total = 0;
  let count = 0;
  let oldest = '';
  for (const f of files) {
    if (!f.endsWith(BATCH_SUFFIX)) continue;
    count++;
    const dash = f.lastIndexOf('-');
    total += Number(f.slice(dash + 1, f.length - BATCH_SUFFIX.length)) || 0;
    if (!oldest || f < oldest) oldest = f;
  }
  if (total + incoming <= limits.maxBytes && count < limits.maxBatches && (!oldest || now - Number(oldest.slice(0, 13)) <= limits.maxAgeMs)) {
    return {};
  }
  const names = sortBatchNames(files);
  total = 0;
  for (const n of names) total += n.bytes;
  let left = names.length;
  const counts: Partial<Record<DropReason, number>> = {};
  for (const n of names) {
    const tooOld = now - n.createdAt > limits.maxAgeMs;
    const tooBig = total + incoming > limits.maxBytes || left >= limits.maxBatches;
    if (!tooOld && !tooBig) break;
    total -= n.bytes;
    left--;
    try {
      fs.unlinkSync(path.join(dir, n.file));
      const reason: DropReason = tooOld ? 'expired' : 'full';
      counts[reason] = (counts[reason] ?? 0) + n.records;
    } catch {
      /* gone already (shipped, or evicted by another writer): not ours to count */
    }
  }
  return counts;
}

let writeSeq = 0;

/**
 * Write one sealed batch to the spool. Synchronous, one file, never throws.
 * The caller's batch object is not modified.
 */
export function writeBatch(batch: Batch, env: Env): WriteResult {
  let tmp: string | undefined;
  try {
    const dir = batchDir(env);
    const limits = spoolLimits(env);
    const now = Date.now();
    let json = JSON.stringify(batch);
    if (typeof json !== 'string') return { ok: false, reason: 'batch is not serializable' };
    let bytes = Buffer.byteLength(json);
    if (bytes > limits.maxBatchBytes) return { ok: false, reason: `batch of ${bytes} bytes exceeds the ${limits.maxBatchBytes}-byte cap` };

    // Created if missing (bounded), and used only when every level from the cache root down is ours.
    const trust = trustDir(dir, { create: true, root: spoolRoot(env) });
    if (!trust.ok) {
      if (trust.code) return { ok: false, reason: trust.code }; // read-only or full disk, EACCES
      explainUntrusted(env, 'spool', trust);
      return { ok: false, reason: `untrusted: ${trust.reason}` };
    }
    const counts = evict(dir, bytes, limits, now);
    let toWrite = batch;
    const dropped = droppedMetric(counts, now);
    let evicted = 0;
    if (dropped) {
      for (const p of dropped.points) evicted += (p as { value: number }).value;
      toWrite = { ...batch, metrics: [...(Array.isArray(batch.metrics) ? batch.metrics : []), dropped] };
      json = JSON.stringify(toWrite);
      bytes = Buffer.byteLength(json);
    }

    const createdAt = typeof batch.createdAt === 'number' && Number.isFinite(batch.createdAt) ? batch.createdAt : now;
    // A per-write suffix: two writes never share a name (a rename would silently replace the other).
    const id = `${safeId(batch.id).slice(0, 40)}_${(++writeSeq).toString(36)}${Math.random().toString(36).slice(2, 6)}`;
    const name = formatBatchName(createdAt, process.pid, id, countRecords(toWrite), bytes);
    tmp = path.join(dir, `.${name}.tmp`);
    // Exclusive and no-follow: never through a link, never over something planted at our temp name.
    writeExclusive(tmp, json);
    fs.renameSync(tmp, path.join(dir, name));
    tmp = undefined;
    return evicted ? { ok: true, evicted } : { ok: true };
  } catch (e) {
    if (tmp) {
      try {
        fs.unlinkSync(tmp);
      } catch {
        /* nothing to clean */
      }
    }
    return { ok: false, reason: errCode(e) };
  }
}
