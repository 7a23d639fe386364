/**
 * The spool's on-disk layout, in one place so the writer (in the tool's process), the shipper and the
 * CLI agree. Everything lives under paths.cacheDir(env):
 *
 *   destinations/<key>/                 one folder per destination: the OTLP endpoint, headers and
 *                                       protocol (OTEL_EXPORTER_OTLP_*) a run was recorded for, so a
 *                                       shipper started by one tool never sends another tool's records
 *                                       to its own endpoint (and two tools ship in parallel)
 *     spool/<created>-<pid>-<id>-<records>-<bytes>.batch   one sealed Batch as JSON (tmp + rename)
 *     spool/.<name>.tmp                 a write in progress (ignored by readers)
 *     shipper.lock                      the one live shipper of this destination (pid + token + time)
 *     shipper.kick                      a kick in progress (many runs at once start one shipper)
 *     shipper-state.json                breaker, last success/error, drop totals
 *     metrics-state.json                cumulative accumulator + folded batch files
 *   quarantine/                         unreadable batches moved aside, never sent
 *   sent.log, sent.log.1                transparency log of what was sent
 *
 * The batch file name carries its creation time (sortable: oldest first), record count and size, so
 * bounding the spool needs one readdir and no stat or read of other writers' files. Batches wait for
 * a run with the same destination settings; ones that never see it again age out (7 days).
 */
import { envFingerprint } from '../storage/fingerprint';
import fs = require('node:fs');
import path = require('node:path');
import { cacheDir } from '../storage/paths';

type Env = NodeJS.ProcessEnv;

export const BATCH_SUFFIX = '.batch';

export function spoolRoot(env: Env): string {
  return cacheDir(env);
}

/** The OTLP exporter settings that pick where and how records are sent (settings/otlp.ts). */
const OTLP_SETTINGS = ['ENDPOINT', 'HEADERS', 'PROTOCOL', 'COMPRESSION', 'TIMEOUT', 'CERTIFICATE', 'CLIENT_KEY', 'CLIENT_CERTIFICATE'];
export const DESTINATION_VARS: readonly string[] = ['', 'TRACES_', 'METRICS_', 'LOGS_']
  .flatMap((signal) => OTLP_SETTINGS.map((s) => `OTEL_EXPORTER_OTLP_${signal}${s}`))
  .sort();

/** The destination a run's records are for: its OTEL_EXPORTER_OTLP_* settings. */
export function destinationKey(env: Env): string {
  return envFingerprint(env, DESTINATION_VARS);
}
export function destinationsRoot(env: Env): string {
  return path.join(cacheDir(env), 'destinations');
}
export function destinationDir(env: Env, key = destinationKey(env)): string {
  return path.join(destinationsRoot(env), key);
}
/** Every destination folder present (for `reset` and `status`). */
export function destinationKeys(env: Env): string[] {
  try {
    return fs.readdirSync(destinationsRoot(env)).filter((k) => /^[0-9a-f]{8}$/.test(k));
  } catch {
    return [];
  }
}
export function batchDir(env: Env, key?: string): string {
  return path.join(destinationDir(env, key), 'spool');
}
export function quarantineDir(env: Env): string {
  return path.join(cacheDir(env), 'quarantine');
}
export function lockFile(env: Env): string {
  return path.join(destinationDir(env), 'shipper.lock');
}
export function kickMarkerFile(env: Env): string {
  return path.join(destinationDir(env), 'shipper.kick');
}
export function shipperStateFile(env: Env): string {
  return path.join(destinationDir(env), 'shipper-state.json');
}
export function metricsStateFile(env: Env): string {
  return path.join(destinationDir(env), 'metrics-state.json');
}
export function sentLogFile(env: Env): string {
  return path.join(cacheDir(env), 'sent.log');
}

/** What a batch file name tells without opening it. */
export interface BatchName {
  file: string;
  createdAt: number;
  pid: number;
  id: string;
  records: number;
  bytes: number;
}

const NAME_RE = /^(\d{13})-(\d{1,10})-([A-Za-z0-9_]{1,64})-(\d{1,9})-(\d{1,12})\.batch$/;

export function safeId(id: unknown): string {
  const s = typeof id === 'string' ? id.replace(/[^A-Za-z0-9_]/g, '').slice(0, 64) : '';
  return s || Math.random().toString(36).slice(2, 14);
}

export function formatBatchName(createdAt: number, pid: number, id: string, records: number, bytes: number): string {
  const t = Math.max(0, Math.min(9_999_999_999_999, Math.floor(createdAt)));
  return `${String(t).padStart(13, '0')}-${pid}-${id}-${records}-${bytes}${BATCH_SUFFIX}`;
}

/** Parse a batch file name; undefined for temp files, foreign files and anything malformed. */
export function parseBatchName(file: string): BatchName | undefined {
  const m = NAME_RE.exec(file);
  if (!m) return undefined;
  return { file, createdAt: Number(m[1]), pid: Number(m[2]), id: m[3], records: Number(m[4]), bytes: Number(m[5]) };
}

/** Batch names in a directory listing, oldest first (ties broken by name, so the order is total). */
export function sortBatchNames(files: string[]): BatchName[] {
  const out: BatchName[] = [];
  for (const f of files) {
    const n = parseBatchName(f);
    if (n) out.push(n);
  }
  out.sort((a, b) => a.createdAt - b.createdAt || (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
  return out;
}
