/**
 * The spool's reading side, used by the shipper (which holds the lock) and by `status`.
 * Reads are defensive: a batch file is whatever is on disk, possibly truncated by a power loss,
 * planted by someone else, or written by a future version. Anything that does not validate is moved
 * to quarantine/ (kept for inspection, never sent, counted) and the rest of the spool goes on.
 */
import fs = require('node:fs');
import path = require('node:path');
import type { AttrValue, Attributes, Batch, BatchOrigin, HistogramPoint, LogRecordData, MetricRecord, SpanRecord, SumPoint } from '../model';
import { LEVELS } from '../model';
import { removeNoFollow, trustDir } from '../config/trusted-dir';
import { type BatchName, batchDir, quarantineDir, sortBatchNames, spoolRoot } from './layout';

type Env = NodeJS.ProcessEnv;

/** Temp files older than this were left by a writer that died mid-write. */
const STALE_TMP_MS = 10 * 60 * 1000;
/** Refuse to read anything bigger than this (the writer caps batches far below it). */
const MAX_READ_BYTES = 8 * 1024 * 1024;
/** Quarantine is for inspection, not an archive. */
const MAX_QUARANTINED = 50;

/** Batches waiting for this env's destination (or for the destination folder `key`). */
export function listBatches(env: Env, key?: string): BatchName[] {
  try {
    const dir = batchDir(env, key);
    // Nothing is read from a spool that is not ours (planted batches would go out under our name).
    if (!trustDir(dir, { root: spoolRoot(env) }).ok) return [];
    return sortBatchNames(fs.readdirSync(dir));
  } catch {
    return [];
  }
}

export type ReadOutcome =
  | { kind: 'ok'; batch: Batch; invalidRecords: number }
  | { kind: 'gone' }
  | { kind: 'corrupt'; reason: string };

const HEX32 = /^[0-9a-f]{32}$/;
const HEX16 = /^[0-9a-f]{16}$/;
const NANOS = /^\d{1,20}$/;

function isAttrValue(v: unknown): v is AttrValue {
  const t = typeof v;
  if (t === 'string' || t === 'boolean') return true;
  if (t === 'number') return Number.isFinite(v as number);
  if (!Array.isArray(v) || v.length === 0) return Array.isArray(v);
  const t0 = typeof v[0];
  if (t0 !== 'string' && t0 !== 'number' && t0 !== 'boolean') return false;
  return v.every((x) => typeof x === t0 && (t0 !== 'number' || Number.isFinite(x)));
}

/** Keep only well-typed attributes (a bad value loses its key, not the record). */
export function cleanAttributes(a: unknown): Attributes {
  const out: Attributes = {};
  if (!a || typeof a !== 'object' || Array.isArray(a)) return out;
  for (const [k, v] of Object.entries(a as Record<string, unknown>)) {
    if (k && isAttrValue(v)) out[k] = v;
  }
  return out;
}

function cleanAttrs(a: unknown): boolean {
  if (!a || typeof a !== 'object' || Array.isArray(a)) return false;
  for (const k in a as Record<string, unknown>) {
    if (!k || !isAttrValue((a as Record<string, unknown>)[k])) return false;
  }
  return true;
}

/**
 * The common case, without copying: a span exactly as our recorder writes it. Anything unusual
 * (a missing array, a bad attribute, an unknown kind) goes through validSpan, which repairs or rejects.
 */
function spanAsIs(s: unknown): SpanRecord | undefined {
  if (!s || typeof s !== 'object') return undefined;
  const r = s as Record<string, unknown>;
  if (typeof r.traceId !== 'string' || !HEX32.test(r.traceId) || /^0+$/.test(r.traceId)) return undefined;
  if (typeof r.spanId !== 'string' || !HEX16.test(r.spanId) || /^0+$/.test(r.spanId)) return undefined;
  if (r.parentSpanId !== undefined && (typeof r.parentSpanId !== 'string' || !HEX16.test(r.parentSpanId))) return undefined;
  if (typeof r.name !== 'string' || typeof r.kind !== 'number' || !Number.isInteger(r.kind) || r.kind < 1 || r.kind > 5) return undefined;
  if (typeof r.startTimeUnixNano !== 'string' || !NANOS.test(r.startTimeUnixNano)) return undefined;
  if (typeof r.endTimeUnixNano !== 'string' || !NANOS.test(r.endTimeUnixNano)) return undefined;
  if (r.scope !== undefined && typeof r.scope !== 'string') return undefined;
  const st = r.status as Record<string, unknown> | undefined;
  if (!st || typeof st !== 'object' || (st.code !== 0 && st.code !== 1 && st.code !== 2)) return undefined;
  if (st.message !== undefined && typeof st.message !== 'string') return undefined;
  if (!cleanAttrs(r.attributes) || !Array.isArray(r.events) || !Array.isArray(r.links)) return undefined;
  for (const e of r.events as Array<Record<string, unknown>>) {
    if (!e || typeof e !== 'object' || typeof e.name !== 'string' || typeof e.timeUnixNano !== 'string' || !NANOS.test(e.timeUnixNano) || !cleanAttrs(e.attributes)) return undefined;
  }
  for (const l of r.links as Array<Record<string, unknown>>) {
    if (!l || typeof l !== 'object' || typeof l.traceId !== 'string' || !HEX32.test(l.traceId) || typeof l.spanId !== 'string' || !HEX16.test(l.spanId) || !cleanAttrs(l.attributes)) {
      return undefined;
    }
  }
  return r as unknown as SpanRecord;
}

function validSpan(s: unknown): SpanRecord | undefined {
  if (!s || typeof s !== 'object') return undefined;
  const r = s as Record<string, unknown>;
  if (typeof r.traceId !== 'string' || !HEX32.test(r.traceId) || /^0+$/.test(r.traceId)) return undefined;
  if (typeof r.spanId !== 'string' || !HEX16.test(r.spanId) || /^0+$/.test(r.spanId)) return undefined;
  if (r.parentSpanId !== undefined && (typeof r.parentSpanId !== 'string' || !HEX16.test(r.parentSpanId))) return undefined;
  if (typeof r.name !== 'string') return undefined;
  if (typeof r.startTimeUnixNano !== 'string' || !NANOS.test(r.startTimeUnixNano)) return undefined;
  if (typeof r.endTimeUnixNano !== 'string' || !NANOS.test(r.endTimeUnixNano)) return undefined;
  const kind = typeof r.kind === 'number' && Number.isInteger(r.kind) && r.kind >= 1 && r.kind <= 5 ? r.kind : 1;
  const st = (r.status && typeof r.status === 'object' ? r.status : {}) as Record<string, unknown>;
  const code = st.code === 1 || st.code === 2 ? st.code : 0;
  const events = Array.isArray(r.events)
    ? r.events
        .filter((e): e is Record<string, unknown> => !!e && typeof e === 'object')
        .filter((e) => typeof e.name === 'string' && typeof e.timeUnixNano === 'string' && NANOS.test(e.timeUnixNano))
        .map((e) => ({ name: e.name as string, timeUnixNano: e.timeUnixNano as string, attributes: cleanAttributes(e.attributes) }))
    : [];
  const links = Array.isArray(r.links)
    ? r.links
        .filter((l): l is Record<string, unknown> => !!l && typeof l === 'object')
        .filter((l) => typeof l.traceId === 'string' && HEX32.test(l.traceId) && typeof l.spanId === 'string' && HEX16.test(l.spanId))
        .map((l) => ({ traceId: l.traceId as string, spanId: l.spanId as string, attributes: cleanAttributes(l.attributes) }))
    : [];
  return {
    traceId: r.traceId,
    spanId: r.spanId,
    ...(r.parentSpanId ? { parentSpanId: r.parentSpanId as string } : {}),
    name: r.name,
    kind,
    startTimeUnixNano: r.startTimeUnixNano,
    endTimeUnixNano: r.endTimeUnixNano,
    attributes: cleanAttributes(r.attributes),
    events,
    links,
    status: typeof st.message === 'string' ? { code, message: st.message } : { code },
    ...(typeof r.scope === 'string' ? { scope: r.scope } : {}),
  };
}

function finite(n: unknown): n is number {
  return typeof n === 'number' && Number.isFinite(n);
}

function validPoint(type: 'sum' | 'histogram', p: unknown): SumPoint | HistogramPoint | undefined {
  if (!p || typeof p !== 'object') return undefined;
  const r = p as Record<string, unknown>;
  const attributes = cleanAttributes(r.attributes);
  if (type === 'sum') return finite(r.value) ? { attributes, value: r.value } : undefined;
  const bounds = r.bounds;
  const counts = r.bucketCounts;
  if (!Array.isArray(bounds) || !Array.isArray(counts) || counts.length !== bounds.length + 1) return undefined;
  if (!bounds.every(finite) || !counts.every((c) => Number.isInteger(c) && c >= 0)) return undefined;
  for (let i = 1; i < bounds.length; i++) if (!(bounds[i] > bounds[i - 1])) return undefined;
  if (!Number.isInteger(r.count) || !finite(r.sum) || !finite(r.min) || !finite(r.max)) return undefined;
  return {
    attributes,
    count: r.count as number,
    sum: r.sum,
    min: r.min,
    max: r.max,
    bounds: bounds as number[],
    bucketCounts: counts as number[],
  };
}

function validMetric(m: unknown): { metric?: MetricRecord; invalid: number } {
  if (!m || typeof m !== 'object') return { invalid: 1 };
  const r = m as Record<string, unknown>;
  if (typeof r.name !== 'string' || !r.name || (r.type !== 'sum' && r.type !== 'histogram') || !Array.isArray(r.points)) {
    return { invalid: Array.isArray(r.points) ? r.points.length : 1 };
  }
  const type = r.type;
  const points = [];
  let invalid = 0;
  for (const p of r.points) {
    const v = validPoint(type, p);
    if (v) points.push(v);
    else invalid++;
  }
  const metric: MetricRecord = {
    name: r.name,
    unit: typeof r.unit === 'string' ? r.unit : '',
    description: typeof r.description === 'string' ? r.description : '',
    type,
    startTimeUnixNano: typeof r.startTimeUnixNano === 'string' && NANOS.test(r.startTimeUnixNano) ? r.startTimeUnixNano : '0',
    timeUnixNano: typeof r.timeUnixNano === 'string' && NANOS.test(r.timeUnixNano) ? r.timeUnixNano : '0',
    points,
  };
  return { metric, invalid };
}

/**
 * Validate parsed JSON as a Batch. Returns undefined when the envelope itself is wrong (quarantine);
 * otherwise a clean copy plus how many records inside had to be dropped.
 */
export function validateBatch(x: unknown): { batch: Batch; invalidRecords: number } | undefined {
  if (!x || typeof x !== 'object' || Array.isArray(x)) return undefined;
  const r = x as Record<string, unknown>;
  if (r.v !== 1 || typeof r.id !== 'string' || !r.id) return undefined;
  if (!Array.isArray(r.spans) || !Array.isArray(r.metrics)) return undefined;
  const level = (LEVELS as readonly string[]).includes(r.level as string) ? (r.level as Batch['level']) : 'minimal';
  let invalidRecords = 0;
  const spans: SpanRecord[] = [];
  for (const s of r.spans) {
    const v = spanAsIs(s) ?? validSpan(s);
    if (v) spans.push(v);
    else invalidRecords++;
  }
  const metrics: MetricRecord[] = [];
  for (const m of r.metrics) {
    const v = validMetric(m);
    invalidRecords += v.invalid;
    if (v.metric && v.metric.points.length) metrics.push(v.metric);
  }
  // Log-based events: the envelope only (plain objects with an event name); the sanitizer that every
  // batch passes next judges every field.
  const logs: LogRecordData[] = [];
  if (Array.isArray(r.logs)) {
    for (const l of r.logs) {
      if (l && typeof l === 'object' && !Array.isArray(l) && typeof (l as LogRecordData).eventName === 'string') logs.push({ ...(l as LogRecordData), attributes: cleanAttributes((l as LogRecordData).attributes) });
      else invalidRecords++;
    }
  } else if (r.logs !== undefined) invalidRecords++;
  return {
    batch: {
      v: 1,
      id: r.id,
      createdAt: finite(r.createdAt) ? r.createdAt : 0,
      level,
      resource: cleanAttributes(r.resource),
      spans,
      metrics,
      ...(logs.length ? { logs } : {}),
      // Tool-declared catalog extensions: passed on as data, re-validated by the sanitizer.
      ...(r.extensions && typeof r.extensions === 'object' && !Array.isArray(r.extensions) ? { extensions: r.extensions as Batch['extensions'] } : {}),
      ...validOrigin(r.origin),
    },
    invalidRecords,
  };
}

/** The recorder's identity for consent re-checks: short strings only, anything else ignored. */
function validOrigin(x: unknown): { origin?: BatchOrigin } {
  if (!x || typeof x !== 'object' || Array.isArray(x)) return {};
  const o = x as Record<string, unknown>;
  const str = (v: unknown, max: number) => (typeof v === 'string' && v.length > 0 && v.length <= max && !v.includes('\0') ? v : undefined);
  const origin: BatchOrigin = {};
  const tool = str(o.tool, 214);
  const cwd = str(o.cwd, 4096);
  const def = str(o.defaultLevel, 16);
  if (tool) origin.tool = tool;
  if (cwd) origin.cwd = cwd;
  if (o.prompt === true) origin.prompt = true;
  if (def) origin.defaultLevel = def;
  return { origin };
}

function parseBatchText(text: string): ReadOutcome {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { kind: 'corrupt', reason: text.length === 0 ? 'empty' : 'not JSON (truncated or garbage)' };
  }
  const v = validateBatch(parsed);
  if (!v) return { kind: 'corrupt', reason: 'not a batch' };
  return { kind: 'ok', batch: v.batch, invalidRecords: v.invalidRecords };
}

function ioOutcome(e: unknown): ReadOutcome {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return { kind: 'gone' };
  return { kind: 'corrupt', reason: `unreadable (${code ?? 'error'})` };
}

/**
 * Read and validate one batch file: one open (never following a planted symlink), one fstat (size
 * checked before reading: a planted huge file is not loaded), one read, one close.
 */
export function readBatch(env: Env, name: BatchName): ReadOutcome {
  const file = path.join(batchDir(env), name.file);
  let text: string;
  let fd: number | undefined;
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | (fs.constants.O_NOFOLLOW ?? 0));
    const st = fs.fstatSync(fd);
    if (!st.isFile()) return { kind: 'corrupt', reason: 'not a regular file' };
    if (st.size > MAX_READ_BYTES) return { kind: 'corrupt', reason: 'too large' };
    const buf = Buffer.allocUnsafe(st.size);
    let off = 0;
    while (off < buf.length) {
      const n = fs.readSync(fd, buf, off, buf.length - off, off);
      if (n === 0) break;
      off += n;
    }
    text = buf.toString('utf8', 0, off);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ELOOP') return { kind: 'corrupt', reason: 'a symbolic link' };
    return ioOutcome(e);
  } finally {
    if (fd !== undefined) {
      try {
        fs.closeSync(fd);
      } catch {
        /* closed */
      }
    }
  }
  return parseBatchText(text);
}

/** Delete a delivered (or dropped) batch. Missing is fine. */
export function removeBatch(env: Env, name: BatchName, key?: string): void {
  try {
    fs.unlinkSync(path.join(batchDir(env, key), name.file));
  } catch {
    /* already gone */
  }
}

/** Delete without blocking: the shipper overlaps deletions of acknowledged batches with the next request. */
export function removeBatchAsync(env: Env, name: BatchName): Promise<void> {
  return fs.promises.unlink(path.join(batchDir(env), name.file)).catch(() => undefined);
}

/** Move an unreadable batch aside; keeps at most MAX_QUARANTINED files (oldest removed). */
export function quarantineBatch(env: Env, name: BatchName): void {
  const qdir = quarantineDir(env);
  const src = path.join(batchDir(env), name.file);
  try {
    // Created if missing (bounded) and used only when it is ours: a planted link or another user's
    // directory here would make the trimming below delete files somewhere else.
    const trust = trustDir(qdir, { create: true, root: spoolRoot(env) });
    if (!trust.ok) throw new Error(trust.reason);
    fs.renameSync(src, path.join(qdir, name.file));
    const files = fs.readdirSync(qdir).sort();
    for (const f of files.slice(0, Math.max(0, files.length - MAX_QUARANTINED))) {
      try {
        removeNoFollow(path.join(qdir, f));
      } catch {
        /* best effort */
      }
    }
  } catch {
    // Could not move it: delete it, so one bad file cannot block the spool forever.
    try {
      removeNoFollow(src);
    } catch {
      /* nothing more to do */
    }
  }
}

export function quarantinedCount(env: Env): number {
  try {
    return fs.readdirSync(quarantineDir(env)).length;
  } catch {
    return 0;
  }
}

/** Remove temp files left by writers that died between write and rename. */
export function cleanStaleTemps(env: Env, now = Date.now()): void {
  const dir = batchDir(env);
  let files: string[];
  try {
    files = fs.readdirSync(dir);
  } catch {
    return;
  }
  for (const f of files) {
    if (!f.startsWith('.') || !f.endsWith('.tmp')) continue;
    try {
      const st = fs.statSync(path.join(dir, f));
      if (now - st.mtimeMs > STALE_TMP_MS) fs.unlinkSync(path.join(dir, f));
    } catch {
      /* raced with its writer: fine */
    }
  }
}
