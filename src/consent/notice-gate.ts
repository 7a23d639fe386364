/**
 * The first-run notice as a gate on recording, in one place for the preload (notice.ts) and for
 * `status`: a run whose consent says "on" still records nothing when its notice is due and cannot be
 * remembered (read-only or untrusted config directory). Showing the notice on every run would repeat
 * five lines forever; recording without it would break the promise that it precedes the first send.
 *
 * `status` must say what runs actually do, so it asks the same question here: is the notice due,
 * and would the write that remembers it succeed? The second part is answered by the same gate the
 * run's write passes (config/trusted-dir.ts, creating the directory 0700 as a run would) and a probe
 * file created exclusively and removed: a read-only file system or an EPERM mount fails there just
 * as the run's write would.
 */
import fs = require('node:fs');
import path = require('node:path');
import { userConfigFile } from '../storage/paths';
import { trustDir } from '../storage/trusted-dir';
import type { ToolIdentity } from '../resource/tool';
import type { ConsentDecision } from './resolve';
import { readUserConfig, type UserConfigRead } from './user-config';

export interface NoticeNeed {
  /** The notice was shown before for this tool (or, with no tool name, for all). */
  shownBefore: boolean;
  /** The persistent install id is wanted and not stored yet (written with the notice). */
  needId: boolean;
}

/** What the notice step of an enabled, non-CI, top-level run has to do (pure). */
export function noticeNeed(decision: ConsentDecision, tool: ToolIdentity, read: UserConfigRead): NoticeNeed {
  const key = tool.name ?? '';
  const entry = key && read.ok ? read.config.tools?.[key] : undefined;
  const shownBefore = key ? Boolean(entry?.noticeShownAt) : Boolean(read.ok && read.config.all?.noticeShownAt);
  return { shownBefore, needId: decision.identity === 'install' && !decision.installId };
}

/** Would the config write that remembers the notice succeed? The reason when it would not. */
export function noticeStorable(env: NodeJS.ProcessEnv): { ok: true } | { ok: false; reason: string } {
  let dir = '';
  try {
    const read = readUserConfig(env);
    if (!read.ok) return { ok: false, reason: `${read.file} is ${read.error}` };
    dir = path.dirname(userConfigFile(env));
    const trust = trustDir(dir, { create: true });
    if (!trust.ok) return { ok: false, reason: trust.reason };
    const probe = path.join(dir, `.probe.${process.pid}.${Date.now().toString(36)}.tmp`);
    fs.closeSync(fs.openSync(probe, 'wx', 0o600));
    fs.unlinkSync(probe);
    return { ok: true };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException)?.code ?? 'error';
    return { ok: false, reason: `${dir || 'the config directory'} cannot be written (${code})` };
  }
}

/**
 * Why a top-level run with this decision records nothing although consent is on (its notice is due
 * and cannot be remembered), or undefined when the notice does not stop it. Off decisions and CI
 * runs (a one-line notice each run, nothing stored) are never blocked here.
 */
export function noticeBlocks(decision: ConsentDecision, tool: ToolIdentity, env: NodeJS.ProcessEnv): string | undefined {
  if (decision.level === 'off' || decision.ci) return undefined;
  const need = noticeNeed(decision, tool, readUserConfig(env));
  if (need.shownBefore) return undefined; // a failed install-id write only costs the id, the run records
  const storable = noticeStorable(env);
  return storable.ok ? undefined : `the first-run notice is due and cannot be remembered: ${storable.reason}`;
}
