/**
 * The user config file (`$XDG_CONFIG_HOME/devtool-telemetry/config.json`): consent per tool and for
 * all tools, the anonymous install id, which first-run notices were shown, prompt answers.
 *
 * Reads are synchronous and cheap (the resolver runs in the preload). Writes are atomic (temp file in
 * the same directory, then rename), the file is 0600 and the directory 0700: it is the user's own
 * state. Nothing here throws: the preload must stay silent, the CLI turns the returned error into a
 * message a person can act on.
 */
import fs = require('node:fs');
import path = require('node:path');
import { configDir, userConfigFile } from '../storage/paths';
import { trustDir, closeQuietly } from '../storage/trusted-dir';

/** Per-tool (or `all`) entry. `level` is kept as written; the resolver parses it strictly. */
export interface ConsentEntry {
  /** `off` | `minimal` | `usage` | `full`; set by `enable`/`disable` or by a prompt answer. */
  level?: string;
  /** ISO time the level was last set. */
  updatedAt?: string;
  /** How it was set: `cli`, `prompt`, `api`. */
  via?: string;
  /** ISO time the first-run notice was shown for this tool. */
  noticeShownAt?: string;
}

export interface UserConfig {
  v?: 1;
  installId?: string;
  all?: ConsentEntry;
  tools?: Record<string, ConsentEntry>;
}

export type UserConfigRead =
  /** `exists: false` when there is no file yet (an empty config). */
  | { ok: true; exists: boolean; config: UserConfig; file: string }
  /**
   * Unreadable, corrupt, or in a directory we do not trust: the resolver takes the safer choice
   * (off) for everything it could have said, `status` reports why. `untrusted`: never written to.
   */
  | { ok: false; exists: boolean; config: UserConfig; file: string; error: string; untrusted?: boolean };

export type UserConfigWrite = { ok: true; file: string; /** where a corrupt previous file was moved */ backup?: string } | { ok: false; file: string; error: string; code?: string };

const MAX_BYTES = 1 << 20;

/** Read and validate the user config. Never throws. */
export function readUserConfig(env: NodeJS.ProcessEnv): UserConfigRead {
  let file = '';
  try {
    file = userConfigFile(env);
    // The directory first: a config another user can write (or one reached through a link) is not
    // the user's word, so nothing from it is loaded.
    const trust = trustDir(path.dirname(file));
    if (!trust.ok) {
      if (trust.missing) return { ok: true, exists: false, config: {}, file };
      return { ok: false, exists: true, untrusted: true, config: {}, file, error: `in a directory that is not safe to use: ${trust.reason}` };
    }
    let text: string;
    try {
      // Non-throwing stat first: no config yet is the common case on the preload's start path.
      if (!fs.statSync(file, { throwIfNoEntry: false })) return { ok: true, exists: false, config: {}, file };
      text = fs.readFileSync(file, 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return { ok: true, exists: false, config: {}, file };
      return { ok: false, exists: true, config: {}, file, error: `unreadable (${code ?? 'error'})` };
    }
    if (text.length > MAX_BYTES) return { ok: false, exists: true, config: {}, file, error: 'too large' };
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch {
      return { ok: false, exists: true, config: {}, file, error: 'not valid JSON' };
    }
    const problem = validate(data);
    if (problem) return { ok: false, exists: true, config: {}, file, error: problem };
    return { ok: true, exists: true, config: data as UserConfig, file };
  } catch (err) {
    return { ok: false, exists: false, config: {}, file, error: `unexpected: ${(err as Error)?.message ?? err}` };
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * File-level shape only: what could speak for every tool. A wrong-typed `tools.<name>` entry speaks
 * only for that tool, so the resolver reads it as off for that tool alone (resolve.ts userEntry).
 */
function validate(data: unknown): string | undefined {
  if (!isObject(data)) return 'not a JSON object';
  if (data.installId !== undefined && typeof data.installId !== 'string') return '"installId" is not a string';
  if (data.all !== undefined && !isObject(data.all)) return '"all" is not an object';
  if (data.tools !== undefined && !isObject(data.tools)) return '"tools" is not an object';
  return undefined;
}

export interface UpdateOptions {
  /**
   * What to do when the existing file is corrupt. `fail` (the preload's choice) leaves it alone;
   * `backup` (the CLI's) moves it aside as `config.json.corrupt-<time>` and starts afresh, so a
   * person's command works and nothing is lost.
   */
  onCorrupt?: 'fail' | 'backup';
}

/**
 * Read-modify-write the user config atomically. `mutate` edits the object in place. Returns the
 * outcome with a reason on failure (read-only dir, corrupt file, ...). Never throws.
 */
export function updateUserConfigDetailed(
  env: NodeJS.ProcessEnv,
  mutate: (config: UserConfig) => void,
  options: UpdateOptions = {},
): UserConfigWrite {
  let file = '';
  try {
    file = userConfigFile(env);
    const current = readUserConfig(env);
    let config: UserConfig = current.config;
    let backup: string | undefined;
    if (!current.ok) {
      if (options.onCorrupt !== 'backup' || !current.exists || current.untrusted) {
        return { ok: false, file, error: `existing config is ${current.error}` };
      }
      const aside = `${file}.corrupt-${Date.now()}`;
      fs.renameSync(file, aside);
      backup = aside;
      config = {};
    }
    mutate(config);
    config.v = 1;
    writeAtomic(file, JSON.stringify(config, null, 2) + '\n');
    return backup ? { ok: true, file, backup } : { ok: true, file };
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    return { ok: false, file, error: describeFsError(e), code: e?.code };
  }
}

/** The preload's form: true when written, false on any failure (never throws, never prints). */
export function updateUserConfig(env: NodeJS.ProcessEnv, mutate: (config: UserConfig) => void): boolean {
  return updateUserConfigDetailed(env, mutate, { onCorrupt: 'fail' }).ok;
}

/**
 * Write `text` to `file` via a temp file + rename, file 0600, directory 0700 (created, bounded, and
 * checked to be ours first). Throws on failure.
 */
export function writeAtomic(file: string, text: string): void {
  const dir = path.dirname(file);
  const trust = trustDir(dir, { create: true });
  if (!trust.ok) {
    if (trust.code) throw Object.assign(new Error(trust.reason), { code: trust.code, path: dir });
    throw Object.assign(new Error(`not safe to use: ${trust.reason}`), { code: 'EUNTRUSTED', reason: trust.reason });
  }
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${Date.now().toString(36)}.tmp`);
  let fd: number | undefined;
  try {
    // O_EXCL: never through a link, never over a planted file.
    fd = fs.openSync(tmp, 'wx', 0o600);
    fs.writeSync(fd, text);
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fd = undefined;
    fs.renameSync(tmp, file);
  } catch (err) {
    closeQuietly(fd);
    try {
      fs.unlinkSync(tmp);
    } catch {
      /* never created */
    }
    throw err;
  }
}

/** A fresh anonymous install id (random UUID; loads node:crypto only when one is needed). */
export function newInstallId(): string {
  const { randomUUID } = require('node:crypto') as typeof import('node:crypto');
  return randomUUID();
}

/**
 * The install id, created and stored on first use. Undefined when it cannot be stored (then the
 * recorder falls back to a per-run id, so no id is ever reused without being persisted).
 */
export function ensureInstallId(env: NodeJS.ProcessEnv): string | undefined {
  const read = readUserConfig(env);
  if (read.ok && read.config.installId) return read.config.installId;
  let id: string | undefined;
  const ok = updateUserConfig(env, (cfg) => {
    if (!cfg.installId) cfg.installId = newInstallId();
    id = cfg.installId;
  });
  return ok ? id : undefined;
}

/** A sentence about a file-system error a person can act on. */
export function describeFsError(err: NodeJS.ErrnoException | undefined): string {
  const code = err?.code;
  const where = err?.path ? ` ${err.path}` : '';
  switch (code) {
    case 'EUNTRUSTED':
      return `the directory is not safe to use: ${(err as { reason?: string }).reason ?? err?.message}`;
    case 'EACCES':
    case 'EPERM':
      return `permission denied${where} (${code})`;
    case 'EROFS':
      return `read-only file system${where} (EROFS)`;
    case 'ENOSPC':
      return `no space left on device${where} (ENOSPC)`;
    case 'ENOTDIR':
    case 'EEXIST':
      return `a file is in the way of a directory${where} (${code})`;
    default:
      return `${err?.message ?? String(err)}`;
  }
}

/** Where the config lives, for messages. */
export function userConfigLocation(env: NodeJS.ProcessEnv): { dir: string; file: string } {
  return { dir: configDir(env), file: userConfigFile(env) };
}
