/**
 * Finalizing runs whose process died without running its exit path (see
 * ../spool/start-record.ts). The shipper of a destination calls this before it drains: each
 * start record whose process is gone (no /proc entry, a zombie, a different kernel start time =
 * the pid was reused, or a start before the last boot) becomes a command span and its run metrics
 * with outcome `abnormal`, under its parent span if it had one (a killed child stays in its caller's
 * trace), ending at the last time the run was known alive (the record's mtime: the run's heartbeat,
 * ../recorder/heartbeat.ts, bounds how far that is from the real end),
 * and goes into the spool like any batch. A live owner's record is touched instead, so a later
 * finalization has a closer end time.
 *
 * One claimant per record: it is renamed aside first (only one rename succeeds), then written as a
 * batch, then removed. Unreadable or foreign records are removed, never sent.
 */
import fs = require('node:fs');
import path = require('node:path');
import type { Attributes, Batch } from '../model/records';
import { SpanKind, StatusCode } from '../model/records';
import { isRecordingLevel } from '../model/levels';
import { INSTRUMENTS } from '../model/instruments';
import { MetricAggregator } from '../recorder/metrics';
import { pidNamespace, RUN_SUFFIX, runsDir, startTicks, type StartRecordData } from '../spool/start-record';
import { readOwnFileStat, trustDir, unlinkQuiet } from '../storage/trusted-dir';
import { spoolRoot } from '../spool/layout';
import { writeBatch } from '../spool/spool';
import { ensureInstallId } from '../consent/user-config';
import { detectResource } from '../resource/detect';
import { resanitize } from './resanitize';

type Env = NodeJS.ProcessEnv;

/** Records we cannot judge (another pid namespace, a non-Linux pid) are dropped after this. */
const MAX_UNJUDGED_MS = 7 * 24 * 3600 * 1000;
const MAX_RECORD_BYTES = 16 * 1024;
const MAX_PER_PASS = 200;

const HEX32 = /^[0-9a-f]{32}$/;
const HEX16 = /^[0-9a-f]{16}$/;

export type Liveness = 'alive' | 'dead' | 'unknown';

let bootNs: bigint | undefined | null = null;
/** System boot time, Unix ns (Linux /proc/stat btime). */
function bootTimeNs(): bigint | undefined {
  if (bootNs !== null) return bootNs;
  bootNs = undefined;
  try {
    const m = /^btime (\d+)$/m.exec(fs.readFileSync('/proc/stat', 'latin1'));
    if (m) bootNs = BigInt(m[1]!) * 1_000_000_000n;
  } catch {
    /* not Linux */
  }
  return bootNs;
}

/** Linux USER_HZ: /proc start times are in these ticks (100 on every mainstream kernel). */
const CLK_TCK = 100n;
/**
 * How far the kernel's start time of a pid may be from the start time the run recorded and still
 * be that run: btime is whole seconds and process.uptime() is read a little after the exec. A pid
 * reused within this window would need the whole pid space to wrap in seconds.
 */
const SAME_PROCESS_NS = 2_000_000_000n;

/** Is the process that wrote `rec` still running? */
export function liveness(rec: StartRecordData, ownNs = pidNamespace()): Liveness {
  const boot = bootTimeNs();
  const started = BigInt(rec.startNs);
  // Started before the last boot: long gone, whatever holds its pid now.
  if (boot !== undefined && started < boot - SAME_PROCESS_NS) return 'dead';
  if (rec.pidns && ownNs && rec.pidns !== ownNs) return 'unknown';
  let stat: string | undefined;
  try {
    stat = fs.readFileSync(`/proc/${rec.pid}/stat`, 'latin1');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' && boot !== undefined) return 'dead';
  }
  if (stat !== undefined && boot !== undefined) {
    if (stat.slice(stat.lastIndexOf(')') + 2)[0] === 'Z') return 'dead'; // exited, not reaped yet
    const ticks = startTicks(stat);
    if (ticks === undefined) return 'unknown';
    if (rec.ticks) return rec.ticks === ticks ? 'alive' : 'dead';
    const kernelStart = boot + (BigInt(ticks) * 1_000_000_000n) / CLK_TCK;
    const diff = kernelStart > started ? kernelStart - started : started - kernelStart;
    return diff <= SAME_PROCESS_NS ? 'alive' : 'dead';
  }
  // No /proc (macOS, Windows): the pid alone cannot tell a reused pid from ours.
  try {
    process.kill(rec.pid, 0);
    return 'unknown';
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ESRCH' ? 'dead' : 'unknown';
  }
}

function str(v: unknown, max = 256): string | undefined {
  return typeof v === 'string' && v.length > 0 && v.length <= max ? v : undefined;
}

/** The record as written by our preload, or undefined. */
export function parseStartRecord(text: string): StartRecordData | undefined {
  let r: Record<string, unknown>;
  try {
    r = JSON.parse(text) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  if (!r || typeof r !== 'object' || r.v !== 1) return undefined;
  if (typeof r.pid !== 'number' || !Number.isInteger(r.pid) || r.pid <= 0) return undefined;
  if (typeof r.startNs !== 'string' || !/^\d{1,20}$/.test(r.startNs)) return undefined;
  if (typeof r.traceId !== 'string' || !HEX32.test(r.traceId) || typeof r.spanId !== 'string' || !HEX16.test(r.spanId)) return undefined;
  if (!str(r.name, 256) || !isRecordingLevel(r.level)) return undefined;
  const link = r.link as Record<string, unknown> | undefined;
  const flags = Array.isArray(r.flags) ? r.flags.filter((f): f is string => typeof f === 'string').slice(0, 32) : [];
  return {
    v: 1,
    pid: r.pid,
    ticks: str(r.ticks, 24),
    pidns: str(r.pidns, 64),
    startNs: r.startNs,
    traceId: r.traceId,
    spanId: r.spanId,
    ...(typeof r.parentSpanId === 'string' && HEX16.test(r.parentSpanId) ? { parentSpanId: r.parentSpanId } : {}),
    ...(link && typeof link.traceId === 'string' && HEX32.test(link.traceId) && typeof link.spanId === 'string' && HEX16.test(link.spanId)
      ? { link: { traceId: link.traceId, spanId: link.spanId } }
      : {}),
    name: r.name as string,
    flags,
    level: r.level,
    toolName: str(r.toolName),
    toolVersion: str(r.toolVersion),
    serviceName: str(r.serviceName),
    identity: str(r.identity, 16),
    ci: r.ci === true,
    agent: str(r.agent, 32),
    installId: str(r.installId, 64),
    sessionId: str(r.sessionId, 64),
    exe: str(r.exe, 64),
    ...(r.noSpans === true ? { noSpans: true as const } : {}),
    ...(r.noMetrics === true ? { noMetrics: true as const } : {}),
  };
}

/** The unsanitized batch for an abandoned run that ended (as far as we know) at `endNs`. */
export function abandonedBatch(rec: StartRecordData, endNs: bigint, env: Env): Batch {
  const start = BigInt(rec.startNs);
  const end = endNs > start ? endNs : start;
  const attrs: Attributes = { 'devtool.command.name': rec.name, 'devtool.command.outcome': 'abnormal' };
  // CLI conventions: the pid and executable name are required (the exit code is unknown: no JS ran).
  const spanAttrs: Attributes = { ...attrs, 'process.pid': rec.pid };
  if (rec.exe) spanAttrs['process.executable.name'] = rec.exe;
  if (rec.flags.length) spanAttrs['devtool.command.flags'] = rec.flags;
  const metrics = new MetricAggregator();
  metrics.add(INSTRUMENTS.commandRuns, 1, attrs);
  metrics.record(INSTRUMENTS.commandDuration, Number(end - start) / 1e9, attrs);
  return {
    v: 1,
    id: `abandoned_${rec.traceId}`,
    createdAt: Date.now(),
    level: rec.level as Batch['level'],
    resource: resourceOf(rec, env),
    // the run's own OTEL_* switches (recorded at start) apply to its finalized records too
    spans: rec.noSpans ? [] : [
      {
        traceId: rec.traceId,
        spanId: rec.spanId,
        // the caller's CLIENT span: a killed child stays under it, in its parent's trace
        ...(rec.parentSpanId ? { parentSpanId: rec.parentSpanId } : {}),
        name: rec.name,
        kind: SpanKind.INTERNAL,
        startTimeUnixNano: start.toString(),
        endTimeUnixNano: end.toString(),
        attributes: spanAttrs,
        events: [],
        links: rec.link ? [{ traceId: rec.link.traceId, spanId: rec.link.spanId, attributes: {} }] : [],
        status: { code: StatusCode.ERROR },
        scope: 'devtool-telemetry',
      },
    ],
    metrics: rec.noMetrics ? [] : metrics.drain(start.toString(), end.toString()),
  };
}

/** The dead run's resource: its own tool identity and enums, this machine's OS and runtime. */
function resourceOf(rec: StartRecordData, env: Env): Attributes {
  let installId = rec.installId;
  if (rec.identity === 'install' && !installId) {
    try {
      installId = ensureInstallId(env);
    } catch {
      /* none */
    }
  }
  return detectResource({
    env: rec.serviceName ? { OTEL_SERVICE_NAME: rec.serviceName } : {},
    toolName: rec.toolName,
    toolVersion: rec.toolVersion,
    ci: rec.ci,
    agent: rec.agent,
    installId: rec.identity === 'install' ? installId : undefined,
    sessionId: rec.sessionId,
  });
}

export interface FinalizeResult {
  finalized: number;
  alive: number;
  removed: number;
}

/** Finalize the abandoned runs of this env's destination. Synchronous, never throws. */
export function finalizeAbandonedRuns(env: Env, now = Date.now()): FinalizeResult {
  const result: FinalizeResult = { finalized: 0, alive: 0, removed: 0 };
  const dir = runsDir(env);
  let files: string[];
  try {
    if (!trustDir(dir, { root: spoolRoot(env) }).ok) return result;
    const all = fs.readdirSync(dir);
    // A claim left by a finalizer that died mid-way: its batch was written or is lost; either way, done.
    for (const f of all) if (f.endsWith('.claim') && olderThan(path.join(dir, f), now, 600_000)) unlinkQuiet(path.join(dir, f));
    files = all.filter((f) => f.endsWith(RUN_SUFFIX)).slice(0, MAX_PER_PASS);
  } catch {
    return result;
  }
  const own = pidNamespace();
  for (const f of files) {
    const file = path.join(dir, f);
    try {
      const read = readRecord(file);
      if (!read) {
        // Half-written by a process starting right now, or not ours: judge it only when old.
        if (olderThan(file, now, 60_000) && unlinkQuiet(file)) result.removed++;
        continue;
      }
      const { rec, mtimeMs } = read;
      const state = liveness(rec, own);
      if (state === 'alive') {
        result.alive++;
        const t = new Date(now);
        fs.utimesSync(file, t, t); // last known alive: now
        continue;
      }
      if (state === 'unknown') {
        if (now - mtimeMs > MAX_UNJUDGED_MS && unlinkQuiet(file)) result.removed++;
        continue;
      }
      const claimed = `${file}.${process.pid}.claim`;
      try {
        fs.renameSync(file, claimed);
      } catch {
        continue; // another finalizer (or the owner's exit) got it
      }
      const raw = abandonedBatch(rec, BigInt(Math.round(mtimeMs)) * 1_000_000n, env);
      const clean = resanitize(raw, env);
      if (clean && !clean.spans.length && !clean.metrics.length) result.finalized++; // its switches keep nothing
      else if (clean && writeBatch(clean, env).ok) result.finalized++;
      unlinkQuiet(claimed);
    } catch {
      /* one bad record never stops the others */
    }
  }
  return result;
}

function readRecord(file: string): { rec: StartRecordData; mtimeMs: number } | undefined {
  try {
    // A regular file of ours (not a link, not writable by others), read whole or not at all.
    const { data, stat } = readOwnFileStat(file, MAX_RECORD_BYTES + 1);
    if (data.length > MAX_RECORD_BYTES) return undefined;
    const rec = parseStartRecord(data.toString('utf8'));
    return rec ? { rec, mtimeMs: stat.mtimeMs } : undefined;
  } catch {
    return undefined;
  }
}

function olderThan(file: string, now: number, ms: number): boolean {
  try {
    return now - fs.lstatSync(file).mtimeMs > ms;
  } catch {
    return false;
  }
}

