/**
 * A local transparency log: what the shipper actually sent, when, where, and what came back, in
 * the sanitized form that left the machine. JSON lines in sent.log, bounded: past MAX_BYTES the
 * file rotates to sent.log.1 (one generation kept). Each entry keeps at most MAX_RECORDS records in
 * full and counts the rest, so a large backlog does not turn the log into a second spool.
 * Written only by the shipper; read by `status` / anyone through readSentLog().
 */
import fs = require('node:fs');
import { appendNoFollow, trustDir } from '../storage/trusted-dir';
import { sentLogFile, spoolRoot } from './layout';

type Env = NodeJS.ProcessEnv;

const MAX_BYTES = 1024 * 1024;
export const MAX_RECORDS = 20;

export interface SentLogEntry {
  /** Unix ms. */
  time: number;
  signal: 'traces' | 'metrics' | 'logs';
  /** Endpoint without credentials or query. */
  endpoint: string;
  /** ok | partial (some rejected) | rejected (permanent, dropped) | retry (kept, will retry) */
  result: 'ok' | 'partial' | 'rejected' | 'retry';
  /** HTTP status, or 0 when no response (network error, timeout). */
  status: number;
  /** How long the request took, ms. */
  ms?: number;
  /** Short, value-free error description. */
  error?: string;
  batches: number;
  /** Spans or data points in the request. */
  items: number;
  rejected?: number;
  via?: 'proxy';
  /** Up to MAX_RECORDS of the records sent (sanitized), for people to inspect. */
  records: unknown[];
  /** Records not shown. */
  more: number;
}

export function appendSentLog(env: Env, entry: SentLogEntry): void {
  const file = sentLogFile(env);
  try {
    if (!trustDir(spoolRoot(env)).ok) return;
    const line = JSON.stringify(entry) + '\n';
    try {
      // lstat: a link is rotated away as a link, never measured or written through.
      if (fs.lstatSync(file).size + line.length > MAX_BYTES) fs.renameSync(file, `${file}.1`);
    } catch {
      /* no log yet */
    }
    appendNoFollow(file, line);
  } catch {
    /* the log is for people; failing to write it must not stop delivery */
  }
}

function readLines(file: string): SentLogEntry[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  const out: SentLogEntry[] = [];
  for (const line of text.split('\n')) {
    if (!line) continue;
    try {
      const e = JSON.parse(line) as SentLogEntry;
      if (e && typeof e === 'object' && typeof e.time === 'number') out.push(e);
    } catch {
      /* a torn last line after a crash */
    }
  }
  return out;
}

/** The most recent entries, oldest first (at most `limit`). Never throws. */
export function readSentLog(env: Env, limit = 100): SentLogEntry[] {
  const file = sentLogFile(env);
  const all = [...readLines(`${file}.1`), ...readLines(file)];
  return limit > 0 ? all.slice(-limit) : all;
}
