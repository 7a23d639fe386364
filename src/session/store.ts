/**
 * The session file: one small JSON file per tool under the cache dir holding the current session
 * id, when it started, when it was last seen and its running totals. Every process of the tool
 * reads it (to join the session) and adds its own totals at flush. Writes are write-then-rename
 * under a short exclusive lock, so concurrent processes neither tear the file nor lose counts.
 * Synchronous on purpose: it runs inside the final flush (the 'exit' event). Never throws.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { cacheDir } from '../config/paths';

export interface SessionTotals {
  runs: number;
  steps: number;
  llmRequests: number;
  tokens: number;
  userInputs: number;
}

export interface SessionRecord {
  v: 1;
  id: string;
  /** Unix ms: start of the first run of the session. */
  startedAt: number;
  /** Unix ms: the last time a run of the session flushed. */
  lastSeenAt: number;
  totals: SessionTotals;
}

export const EMPTY_TOTALS: SessionTotals = Object.freeze({ runs: 0, steps: 0, llmRequests: 0, tokens: 0, userInputs: 0 });

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const MAX_FILE = 4096;
const LOCK_STALE_MS = 5000;
const LOCK_TRIES = 100;
const LOCK_WAIT_MS = 2;

export function isUuid(v: unknown): v is string {
  return typeof v === 'string' && UUID_RE.test(v);
}

/** `<cache>/sessions/<slug>-<hash>.json`: readable, and distinct for names that slug alike. */
export function sessionFile(env: NodeJS.ProcessEnv, toolName: string): string {
  const slug = toolName.toLowerCase().replace(/[^a-z0-9._-]+/g, '_').slice(0, 48) || 'tool';
  const hash = crypto.createHash('sha256').update(toolName).digest('hex').slice(0, 8);
  return path.join(cacheDir(env), 'sessions', `${slug}-${hash}.json`);
}

function count(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) && v >= 0 ? Math.min(v, Number.MAX_SAFE_INTEGER) : 0;
}

/** Parse a session file's text; anything malformed is `undefined` (a fresh session starts). */
export function parseRecord(text: string): SessionRecord | undefined {
  if (text.length > MAX_FILE) return undefined;
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(text) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  if (!o || typeof o !== 'object' || !isUuid(o.id)) return undefined;
  const startedAt = o.startedAt;
  const lastSeenAt = o.lastSeenAt;
  if (typeof startedAt !== 'number' || typeof lastSeenAt !== 'number' || !Number.isFinite(startedAt) || !Number.isFinite(lastSeenAt)) return undefined;
  const t = (o.totals && typeof o.totals === 'object' ? o.totals : {}) as Record<string, unknown>;
  return {
    v: 1,
    id: o.id,
    startedAt,
    lastSeenAt,
    totals: { runs: count(t.runs), steps: count(t.steps), llmRequests: count(t.llmRequests), tokens: count(t.tokens), userInputs: count(t.userInputs) },
  };
}

export function readRecord(file: string): SessionRecord | undefined {
  try {
    return parseRecord(fs.readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}

export function writeRecord(file: string, rec: SessionRecord): boolean {
  const tmp = `${file}.${process.pid}.${crypto.randomBytes(4).toString('hex')}.tmp`;
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    fs.writeFileSync(tmp, JSON.stringify(rec), { mode: 0o600 });
    fs.renameSync(tmp, file);
    return true;
  } catch {
    try {
      fs.unlinkSync(tmp);
    } catch {
      /* nothing to clean */
    }
    return false;
  }
}

function sleepSync(ms: number): void {
  try {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
  } catch {
    /* no SharedArrayBuffer: spin briefly instead */
    const end = Date.now() + ms;
    while (Date.now() < end) {
      /* wait */
    }
  }
}

/**
 * Run `fn` holding `<file>.lock` (exclusive create). A lock older than LOCK_STALE_MS is taken
 * over (its holder died). Without the lock after ~200 ms, `fn` runs anyway: a lost increment is
 * better than a tool that waits.
 */
export function withLock<T>(file: string, fn: () => T): T {
  const lock = `${file}.lock`;
  let held = false;
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  } catch {
    return fn();
  }
  for (let i = 0; i < LOCK_TRIES && !held; i++) {
    try {
      fs.closeSync(fs.openSync(lock, 'wx', 0o600));
      held = true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') break;
      try {
        if (Date.now() - fs.statSync(lock).mtimeMs > LOCK_STALE_MS) fs.unlinkSync(lock);
      } catch {
        /* released meanwhile */
      }
      sleepSync(LOCK_WAIT_MS);
    }
  }
  try {
    return fn();
  } finally {
    if (held) {
      try {
        fs.unlinkSync(lock);
      } catch {
        /* already gone */
      }
    }
  }
}
