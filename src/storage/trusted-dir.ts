/**
 * The one gate every state directory passes (user config, cache/spool, sessions, quarantine, the V8
 * code cache) before anything in it is read, trusted or written, and the no-follow file opens used
 * inside them.
 *
 * Threat: another local user (or a planted symlink) controls a directory we keep state in. Then a
 * planted V8 code cache runs as us, planted batches are sent under our name, and appends, temp
 * files or deletions go through a link to a file of ours elsewhere. So a state directory is used
 * only when the directory itself, opened with O_DIRECTORY|O_NOFOLLOW and checked with fstat on that
 * open descriptor, is owned by our uid and not writable by group or others; for a directory below a
 * state root, every level from the root down is checked the same way. Files inside are created with
 * O_EXCL|O_NOFOLLOW (never through a link, never over a planted file) and appended with O_NOFOLLOW.
 *
 * Every mkdir here is bounded: one level at a time, at most MAX_DEPTH levels, each attempted once, so
 * a path where `mkdir -p` never converges (XDG_CACHE_HOME=/proc/self) fails instead of spinning.
 *
 * Not covered (SECURITY.md): a race by someone who can write the parent of a state root between
 * our check and a later path-based open (Node has no openat), and root, who can do anything.
 * Windows has no uid/mode bits in this sense: the checks pass there and the ACLs of the user
 * profile apply. Node built-ins only: this module runs in the preload.
 */
import fs = require('node:fs');
import path = require('node:path');
import { isDebug } from '../settings/env-values';

export type Trust =
  | { ok: true }
  | {
      ok: false;
      reason: string;
      /** The directory does not exist (yet). */
      missing?: boolean;
      /** The errno code when creating it failed (EROFS, EACCES, ...): a condition, not an attack. */
      code?: string;
    };

const MAX_DEPTH = 64;
const C = fs.constants;
const POSIX = process.platform !== 'win32' && typeof process.getuid === 'function';
const NOFOLLOW = POSIX ? C.O_NOFOLLOW : 0;
const DIR_FLAGS = C.O_RDONLY | (POSIX ? C.O_DIRECTORY | C.O_NOFOLLOW : 0);

/** Directories already checked by this process (only successes: a failure may be fixed meanwhile). */
const trusted = new Set<string>();

function code(e: unknown): string {
  const c = (e as NodeJS.ErrnoException | undefined)?.code;
  return typeof c === 'string' ? c : 'error';
}

/**
 * mkdir -p, bounded: walks up to the nearest existing ancestor (at most MAX_DEPTH levels), then
 * creates each missing level once, 0700. Throws the first real error.
 */
export function makeDirs(dir: string): void {
  const missing: string[] = [];
  let d = path.resolve(dir);
  for (let i = 0; ; i++) {
    if (i >= MAX_DEPTH) throw Object.assign(new Error(`too deep: ${dir}`), { code: 'ELOOP', path: dir });
    try {
      fs.mkdirSync(d, { mode: 0o700 });
      break;
    } catch (e) {
      const c = code(e);
      if (c === 'EEXIST') break;
      const parent = path.dirname(d);
      if (c !== 'ENOENT' || parent === d) throw e;
      missing.push(d);
      d = parent;
    }
  }
  for (let i = missing.length - 1; i >= 0; i--) {
    try {
      fs.mkdirSync(missing[i], { mode: 0o700 });
    } catch (e) {
      if (code(e) !== 'EEXIST') throw e; // another process made it meanwhile: fine
    }
  }
}

/** One directory, opened without following a link, checked on the open descriptor. */
function checkOne(dir: string): Trust {
  if (!POSIX) {
    // No uid/mode bits, and no opening a directory: existence and kind only (see the header).
    const st = fs.statSync(dir, { throwIfNoEntry: false });
    if (!st) return { ok: false, reason: `${dir} does not exist`, missing: true };
    return st.isDirectory() ? { ok: true } : { ok: false, reason: `${dir} is not a directory (ENOTDIR)`, code: 'ENOTDIR' };
  }
  let fd: number;
  try {
    fd = fs.openSync(dir, DIR_FLAGS);
  } catch (e) {
    const c = code(e);
    if (c === 'ENOENT') return { ok: false, reason: `${dir} does not exist`, missing: true };
    // O_NOFOLLOW on a link: ELOOP; O_DIRECTORY on anything else: ENOTDIR.
    if (c === 'ELOOP') return { ok: false, reason: `${dir} is a symbolic link` };
    if (c === 'ENOTDIR') return { ok: false, reason: `${dir} is not a directory (ENOTDIR)`, code: c };
    return { ok: false, reason: `${dir} cannot be opened (${c})`, code: c };
  }
  try {
    const st = fs.fstatSync(fd);
    const uid = (process.getuid as () => number)();
    if (!st.isDirectory()) return { ok: false, reason: `${dir} is not a directory` };
    if (st.uid !== uid) return { ok: false, reason: `${dir} is owned by uid ${st.uid}, not by you (uid ${uid})` };
    if (st.mode & 0o022) return { ok: false, reason: `${dir} is writable by group or others (mode ${(st.mode & 0o7777).toString(8)}; \`chmod go-w\` it if it is yours)` };
    return { ok: true };
  } finally {
    fs.closeSync(fd);
  }
}

export interface TrustOptions {
  /** Create what is missing (0700) first. */
  create?: boolean;
  /** A state root above `dir`: every level from the root down to `dir` is checked. */
  root?: string;
}

/**
 * Is `dir` ours to use? Owned by us, not writable by group or others, not a link, and so is every
 * level from `root` down. Never throws. Successes are remembered for the life of the process.
 */
export function trustDir(dir: string, opts: TrustOptions = {}): Trust {
  try {
    const target = path.resolve(dir);
    if (trusted.has(target)) return { ok: true };
    const root = opts.root ? path.resolve(opts.root) : target;
    const rel = path.relative(root, target);
    if (rel.startsWith('..') || path.isAbsolute(rel)) return { ok: false, reason: `${target} is outside ${root}` };
    const levels = [root];
    for (const part of rel ? rel.split(path.sep) : []) levels.push(path.join(levels[levels.length - 1], part));
    // Top down: nothing is created inside a level before that level was found to be ours.
    for (let i = 0; i < levels.length; i++) {
      const level = levels[i];
      // Even a level checked before may have been deleted since (`forget`, a cleaner). Looked at
      // first: mkdir on an existing level (every level on most calls) throws EEXIST, and each such
      // exception costs more than the look. A level that appears in between still gets EEXIST.
      if (opts.create && !fs.existsSync(level)) {
        try {
          if (i === 0) makeDirs(level);
          else fs.mkdirSync(level, { mode: 0o700 });
          trusted.delete(level); // made just now: check what is there
        } catch (e) {
          const c = code(e);
          if (c !== 'EEXIST') return { ok: false, reason: `${level} cannot be created (${c})`, code: c };
        }
      }
      if (trusted.has(level)) continue;
      const t = checkOne(level);
      if (!t.ok) return t;
      trusted.add(level);
    }
    return { ok: true };
  } catch (e) {
    return { ok: false, reason: `${dir}: ${code(e)}` };
  }
}

const explained = new Set<string>();

/** Under DEVTOOL_TELEMETRY_DEBUG: say once which state is not used and why. Silent otherwise. */
export function explainUntrusted(env: NodeJS.ProcessEnv, what: string, t: Trust): void {
  if (t.ok || !isDebug(env)) return;
  const text = `[devtool-telemetry] debug: ${what} not used: ${t.reason}\n`;
  if (explained.has(text)) return;
  explained.add(text);
  try {
    process.stderr.write(text);
  } catch {
    /* closed stderr */
  }
}

/** Check an open descriptor is a regular file we own and only we can write. Throws otherwise. */
function assertOwnFile(fd: number, file: string): fs.Stats {
  const st = fs.fstatSync(fd);
  if (!st.isFile()) throw Object.assign(new Error(`not a regular file: ${file}`), { code: 'EFTYPE', path: file });
  if (POSIX && (st.uid !== (process.getuid as () => number)() || st.mode & 0o022)) {
    throw Object.assign(new Error(`not owned by you or writable by others: ${file}`), { code: 'EPERM', path: file });
  }
  return st;
}

/**
 * Create `file` exclusively (never through a link, never over anything), 0600, with `data`. Throws;
 * a file it created but could not fill is removed again.
 */
export function writeExclusive(file: string, data: string | Uint8Array, more?: Uint8Array): void {
  const fd = fs.openSync(file, C.O_WRONLY | C.O_CREAT | C.O_EXCL | NOFOLLOW, 0o600);
  try {
    fs.writeFileSync(fd, data);
    if (more) fs.writeFileSync(fd, more);
  } catch (e) {
    fs.closeSync(fd);
    try {
      fs.unlinkSync(file);
    } catch {
      /* gone */
    }
    throw e;
  }
  fs.closeSync(fd);
}

/** Append to `file` (created 0600 if missing) without following a link; only to a file of ours. Throws. */
export function appendNoFollow(file: string, text: string): void {
  const fd = fs.openSync(file, C.O_WRONLY | C.O_APPEND | C.O_CREAT | NOFOLLOW, 0o600);
  try {
    assertOwnFile(fd, file);
    fs.writeFileSync(fd, text);
  } finally {
    fs.closeSync(fd);
  }
}

/** Read a regular file of ours without following a link (at most `max` bytes). Throws. */
export function readOwnFile(file: string, max: number): Buffer {
  return readOwnFileStat(file, max).data;
}

/** readOwnFile, with the file's stat as it was read (its mtime, for the start records). Throws. */
export function readOwnFileStat(file: string, max: number): { data: Buffer; stat: fs.Stats } {
  const fd = fs.openSync(file, C.O_RDONLY | NOFOLLOW);
  try {
    const st = assertOwnFile(fd, file);
    const buf = Buffer.allocUnsafe(Math.min(max, st.size));
    return { data: buf.subarray(0, readAll(fd, buf)), stat: st };
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Delete `target` and everything below it without ever following a link: a link is removed as a
 * link, a directory is entered only after lstat says it is one. Missing is fine. Throws the first
 * error, after trying the rest.
 */
export function removeNoFollow(target: string, depth = 0): void {
  if (depth === 0) {
    const abs = path.resolve(target);
    for (const d of trusted) if (d === abs || d.startsWith(abs + path.sep)) trusted.delete(d);
  }
  let st: fs.Stats;
  try {
    st = fs.lstatSync(target);
  } catch (e) {
    if (code(e) === 'ENOENT') return;
    throw e;
  }
  if (!st.isDirectory()) {
    fs.unlinkSync(target);
    return;
  }
  if (depth > MAX_DEPTH) throw Object.assign(new Error(`too deep: ${target}`), { code: 'ELOOP', path: target });
  let first: unknown;
  for (const name of fs.readdirSync(target)) {
    try {
      removeNoFollow(path.join(target, name), depth + 1);
    } catch (e) {
      first ??= e;
    }
  }
  if (first) throw first;
  fs.rmdirSync(target);
}

/** Tests only: forget what this process checked. */
export function _resetTrust(): void {
  trusted.clear();
  explained.clear();
}

/** Close a descriptor on a path that is failing or done anyway; a close error changes nothing then. */
export function closeQuietly(fd: number | undefined): void {
  if (fd === undefined) return;
  try {
    fs.closeSync(fd);
  } catch {
    /* already closed or failing */
  }
}

/** Remove a file of ours that may already be gone; true when this call removed it. */
export function unlinkQuiet(file: string): boolean {
  try {
    fs.unlinkSync(file);
    return true;
  } catch {
    return false;
  }
}

/** Fill `buf` from the start of `fd` (short reads repeated); the bytes read. */
export function readAll(fd: number, buf: Buffer): number {
  let n = 0;
  while (n < buf.length) {
    const r = fs.readSync(fd, buf, n, buf.length - n, n);
    if (r === 0) break;
    n += r;
  }
  return n;
}

/**
 * Remove the entries of `dir` whose age (their own mtime: a link is not followed) passes the limit
 * `maxAgeOf(name)` gives; names it gives no limit for stay. Leftovers of our own writers (temp files
 * of a write that died, caches of old bundles). Never throws: an entry gone meanwhile, or one that
 * cannot be unlinked (a directory), stays as it is.
 */
export function removeOlderThan(dir: string, maxAgeOf: (name: string) => number | undefined, now: number): void {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    const maxAge = maxAgeOf(name);
    if (maxAge === undefined) continue;
    const file = path.join(dir, name);
    try {
      if (now - fs.lstatSync(file).mtimeMs > maxAge) fs.unlinkSync(file);
    } catch {
      /* raced with its writer, or not a file */
    }
  }
}
