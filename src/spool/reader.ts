/**
 * The spool's reading side, used by the shipper (which holds the lock) and by `status`.
 * Reads are defensive: a batch file is whatever is on disk, possibly truncated by a power loss,
 * planted by someone else, or written by a future version. Anything that does not validate is moved
 * to quarantine/ (kept for inspection, never sent, counted) and the rest of the spool goes on.
 */
import fs = require('node:fs');
import path = require('node:path');
import type { Batch } from '../model/records';
import { validateBatch } from '../model/validate';
import { closeQuietly, readAll, removeNoFollow, removeOlderThan, trustDir } from '../storage/trusted-dir';
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
    text = buf.toString('utf8', 0, readAll(fd, buf));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ELOOP') return { kind: 'corrupt', reason: 'a symbolic link' };
    return ioOutcome(e);
  } finally {
    closeQuietly(fd);
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
  removeOlderThan(batchDir(env), (f) => (f.startsWith('.') && f.endsWith('.tmp') ? STALE_TMP_MS : undefined), now);
}
