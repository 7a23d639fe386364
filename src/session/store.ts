/**
 * Session files, per tool, under `<cache>/sessions/`:
 *  - `<tool>-<hash>.json` (`service-<hash>.json` under OTEL_SERVICE_NAME): the current session's id and start time, written once when a session
 *    starts (hard-linked into place: of two runs starting one at once, one wins, the other joins;
 *    an ended head is renamed away by exactly one run, which summarizes that session);
 *  - `<tool>-<hash>.<id>.log`: one line of totals appended by every flush of every run of that
 *    session. An O_APPEND write of a few bytes is atomic, so concurrent runs need no lock and lose
 *    no counts, and the exit path costs one small append. The log's mtime is "last seen".
 * Synchronous on purpose: it runs inside the final flush (the 'exit' event). Never throws.
 */
import { fnv1a } from '../storage/fingerprint';
import fs = require('node:fs');
import path = require('node:path');
import { cacheDir } from '../storage/paths';
import { appendNoFollow, trustDir, writeExclusive } from '../storage/trusted-dir';

export interface SessionTotals {
  runs: number;
  steps: number;
  llmRequests: number;
  tokens: number;
  userInputs: number;
}

/** The stored head of a session: written once, when it starts. */
export interface SessionHead {
  v: 1;
  id: string;
  /** Unix ms: start of the first run of the session. */
  startedAt: number;
}

/** A session as read back: head, last activity and totals so far. */
export interface SessionRecord extends SessionHead {
  /** Unix ms: the last time a run of the session flushed (the log's mtime). */
  lastSeenAt: number;
  totals: SessionTotals;
}

export const EMPTY_TOTALS: SessionTotals = Object.freeze({ runs: 0, steps: 0, llmRequests: 0, tokens: 0, userInputs: 0 });

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const MAX_HEAD = 1024;
/** A day of one flush a minute is ~50 KB; past this the rest of a log is not read. */
const MAX_LOG = 1 << 20;

export function isUuid(v: unknown): v is string {
  return typeof v === 'string' && UUID_RE.test(v);
}

/**
 * The sessions directory, created if missing and checked to be ours (every level from the cache
 * root down): undefined with the reason when it is not, and then no session state is kept.
 */
export function trustedSessionsDir(env: NodeJS.ProcessEnv): { ok: true } | { ok: false; reason: string } {
  return trustDir(path.join(cacheDir(env), 'sessions'), { create: true, root: cacheDir(env) });
}

/** The npm package-name shape (what a tool's package.json `name` is): shown in the file name. */
const PACKAGE_NAME_RE = /^(?:@[a-z0-9~-][a-z0-9._~-]*\/)?[a-z0-9~-][a-z0-9._~-]*$/;

/**
 * `<cache>/sessions/<slug>-<hash>.json`: distinct for names that slug alike. The slug is readable
 * only for a package name; any other name (OTEL_SERVICE_NAME, `fromEnv`, can hold a path, an
 * e-mail, anything) is `service-<hash>`: a file name never shows what the variable holds.
 */
export function sessionFile(env: NodeJS.ProcessEnv, toolName: string, opts: { fromEnv?: boolean } = {}): string {
  const readable = !opts.fromEnv && toolName.length <= 214 && PACKAGE_NAME_RE.test(toolName);
  const slug = readable ? toolName.replace(/[^a-z0-9._-]+/g, '_').slice(0, 48) : 'service';
  return path.join(cacheDir(env), 'sessions', `${slug}-${fnv1a(toolName)}.json`);
}

/** The totals log of session `id` next to its head file. */
export function logFile(file: string, id: string): string {
  return `${file.slice(0, -'.json'.length)}.${id}.log`;
}

function mtimeMs(file: string): number | undefined {
  try {
    return fs.statSync(file).mtimeMs;
  } catch {
    return undefined;
  }
}

/** Parse a head file's text; anything malformed is `undefined` (a fresh session starts). */
export function parseHead(text: string): SessionHead | undefined {
  if (text.length > MAX_HEAD) return undefined;
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(text) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  if (!o || typeof o !== 'object' || !isUuid(o.id)) return undefined;
  if (typeof o.startedAt !== 'number' || !Number.isFinite(o.startedAt)) return undefined;
  return { v: 1, id: o.id, startedAt: o.startedAt };
}

/** The head and last activity (no totals: the liveness check needs none). */
export function readHead(file: string): (SessionHead & { lastSeenAt: number }) | undefined {
  let head: SessionHead | undefined;
  try {
    head = parseHead(fs.readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
  if (!head) return undefined;
  const seen = mtimeMs(logFile(file, head.id)) ?? mtimeMs(file) ?? head.startedAt;
  return { ...head, lastSeenAt: Math.max(seen, head.startedAt) };
}

function count(s: string | undefined): number {
  const n = Number(s);
  return Number.isSafeInteger(n) && n >= 0 ? n : 0;
}

/** Sum a session's totals log; malformed lines are skipped. */
export function readTotals(file: string, id: string): SessionTotals {
  const t = { ...EMPTY_TOTALS };
  let text: string;
  try {
    const fd = fs.openSync(logFile(file, id), 'r');
    try {
      const buf = Buffer.alloc(Math.min(MAX_LOG, fs.fstatSync(fd).size));
      text = buf.toString('utf8', 0, fs.readSync(fd, buf, 0, buf.length, 0));
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return t;
  }
  for (const line of text.split('\n')) {
    const f = line.split(' ');
    if (f.length !== 5) continue;
    t.runs += count(f[0]);
    t.steps += count(f[1]);
    t.llmRequests += count(f[2]);
    t.tokens += count(f[3]);
    t.userInputs += count(f[4]);
  }
  return t;
}

/** The full record: head, last activity and totals. */
export function readSession(file: string): SessionRecord | undefined {
  const head = readHead(file);
  return head && { ...head, totals: readTotals(file, head.id) };
}

/** One flush's totals, appended atomically (O_APPEND, a few bytes), never through a link. */
export function appendTotals(file: string, id: string, t: SessionTotals): void {
  const line = `${t.runs} ${t.steps} ${t.llmRequests} ${t.tokens} ${t.userInputs}\n`;
  appendNoFollow(logFile(file, id), line);
}

let tmpSeq = 0;

function tmpName(file: string): string {
  return `${file}.${process.pid}.${Date.now().toString(36)}${(tmpSeq++).toString(36)}.tmp`;
}

/**
 * Start a session if none is stored: the head is written to a temp file and hard-linked into
 * place, which fails if another run created one first (then that one is joined). Lock-free, so
 * a stampede of first runs never waits. Returns 'created', 'exists' or 'failed'.
 */
export function createHead(file: string, head: SessionHead): 'created' | 'exists' | 'failed' {
  const tmp = tmpName(file);
  try {
    writeExclusive(tmp, JSON.stringify(head));
    fs.linkSync(tmp, file);
    return 'created';
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EEXIST' ? 'exists' : 'failed';
  } finally {
    try {
      fs.unlinkSync(tmp);
    } catch {
      /* nothing to clean */
    }
  }
}

/**
 * Take the current head out of place to end its session. A rename succeeds for exactly one of
 * several runs that race to end the same session, so a session is summarized once. Returns the
 * head taken, or undefined when another run took it first.
 */
export function claimHead(file: string): SessionHead | undefined {
  const claimed = tmpName(file);
  try {
    fs.renameSync(file, claimed);
  } catch {
    return undefined;
  }
  try {
    return parseHead(fs.readFileSync(claimed, 'utf8'));
  } catch {
    return undefined;
  } finally {
    try {
      fs.unlinkSync(claimed);
    } catch {
      /* gone */
    }
  }
}

/** Delete the totals logs next to `file` (all, or all but session `keep`). */
export function removeLogs(file: string, keep?: string): void {
  const dir = path.dirname(file);
  const prefix = path.basename(file, '.json') + '.';
  try {
    for (const name of fs.readdirSync(dir)) {
      if (name.startsWith(prefix) && name.endsWith('.log') && name !== `${prefix}${keep}.log`) fs.rmSync(path.join(dir, name), { force: true });
    }
  } catch {
    /* best effort */
  }
}
