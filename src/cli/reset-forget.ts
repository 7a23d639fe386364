/**
 * `reset`: a new anonymous install id, no unsent data and no open session (what was recorded under
 * the old id is deleted before it can be linked to the new one). `forget`: delete all local state, the config and
 * cache directories. Opt-outs survive `forget` unless --everything is given: deleting your data must
 * not silently switch telemetry back on.
 */
import fs = require('node:fs');
import path = require('node:path');
import { cacheDir, configDir } from '../storage/paths';
import { removeNoFollow } from '../storage/trusted-dir';
import { newInstallId, readUserConfig, updateUserConfigDetailed, type UserConfig } from '../consent/user-config';
import { destinationKeys, destinationsRoot, quarantineDir } from '../spool/layout';
import { listBatches, removeBatch } from '../spool/reader';
import { RUNS_DIR } from '../spool/start-record';
import { allowFlags, type CliContext, EXIT, line } from './context';
import { writeFailure } from './toggle';

/**
 * Empty a state directory without ever following a link: a link (or file) planted where the
 * directory should be is removed as such, and nothing below it is touched.
 */
function clearDir(dir: string): { removed: number; error?: string } {
  let removed = 0;
  let st: fs.Stats;
  try {
    st = fs.lstatSync(dir);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return code === 'ENOENT' ? { removed } : { removed, error: `${dir}: ${code ?? 'error'}` };
  }
  try {
    if (!st.isDirectory()) {
      fs.unlinkSync(dir);
      return { removed: 1 };
    }
    for (const n of fs.readdirSync(dir)) {
      removeNoFollow(path.join(dir, n));
      removed++;
    }
  } catch (e) {
    return { removed, error: `${dir}: ${(e as NodeJS.ErrnoException).code ?? 'error'}` };
  }
  return { removed };
}

export function resetVerb(ctx: CliContext): number {
  allowFlags(ctx, []);
  let id = '';
  const w = updateUserConfigDetailed(ctx.env, (cfg) => {
    id = newInstallId();
    cfg.installId = id;
  }, { onCorrupt: 'backup' });
  if (!w.ok) return writeFailure(ctx, 'store a new install id', w.error);
  if (w.backup) line(ctx.err, `${ctx.prog}: the previous config was not valid JSON; it was kept as ${w.backup}`);

  // Unsent data of every destination, not only the one this shell's OTEL_* variables name.
  let removed = 0;
  let records = 0;
  let left = 0;
  for (const key of destinationKeys(ctx.env)) {
    const batches = listBatches(ctx.env, key);
    for (const b of batches) {
      removeBatch(ctx.env, b, key);
      records += b.records;
    }
    const remaining = listBatches(ctx.env, key).filter((b) => batches.some((x) => x.file === b.file)).length;
    removed += batches.length - remaining;
    left += remaining;
  }
  // Start records carry the old id: a run that later dies without JS would send it after the reset.
  let runsError: string | undefined;
  for (const key of destinationKeys(ctx.env)) runsError ??= clearDir(path.join(destinationsRoot(ctx.env), key, RUNS_DIR)).error;
  const q = clearDir(quarantineDir(ctx.env));
  // Sessions continue across runs; one spanning the reset would link the old id to the new one.
  const sessions = clearDir(path.join(cacheDir(ctx.env), 'sessions'));
  line(ctx.out, `New anonymous install id: ${id}`);
  line(ctx.out, `Removed ${removed} unsent batch(es) (${records} record(s)) from ${destinationsRoot(ctx.env)}${q.removed ? ` and ${q.removed} set-aside file(s)` : ''}.`);
  if (sessions.removed) line(ctx.out, 'Ended the current session(s): the next run starts a new one.');
  if (left || q.error || sessions.error || runsError) {
    line(ctx.err, `${ctx.prog}: some unsent data could not be removed: ${q.error ?? sessions.error ?? runsError ?? `${left} batch file(s) in ${destinationsRoot(ctx.env)}`}. Check the permissions of ${cacheDir(ctx.env)}.`);
    return EXIT.FAILED;
  }
  return EXIT.OK;
}

export function forgetVerb(ctx: CliContext): number {
  allowFlags(ctx, ['everything']);
  const everything = ctx.args.flags.has('everything');
  const before = readUserConfig(ctx.env);
  // The opt-outs to keep: per tool and for all tools.
  const keep: UserConfig = {};
  if (!everything && before.ok) {
    if (before.config.all?.level === 'off') keep.all = { level: 'off', via: 'cli', updatedAt: new Date().toISOString() };
    for (const [name, e] of Object.entries(before.config.tools ?? {})) {
      if (e?.level === 'off') (keep.tools ??= {})[name] = { level: 'off', via: e.via ?? 'cli', updatedAt: e.updatedAt };
    }
  }
  const dirs = [configDir(ctx.env), cacheDir(ctx.env)];
  const failed: string[] = [];
  for (const d of dirs) {
    try {
      removeNoFollow(d); // a link at d is removed as a link, never followed
    } catch (e) {
      failed.push(`${d} (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
    }
  }
  if (failed.length) {
    line(ctx.err, `${ctx.prog}: could not delete ${failed.join(', ')}. Check the permissions and try again.`);
    return EXIT.FAILED;
  }
  line(ctx.out, `Deleted all local devtool-telemetry state: ${dirs.join(' and ')}.`);
  const kept = (keep.all ? 1 : 0) + Object.keys(keep.tools ?? {}).length;
  if (kept) {
    const w = updateUserConfigDetailed(ctx.env, (cfg) => Object.assign(cfg, keep));
    if (!w.ok) return writeFailure(ctx, 'keep your opt-outs (disable) after deleting', w.error);
    const names = [...(keep.all ? ['all tools'] : []), ...Object.keys(keep.tools ?? {})];
    line(ctx.out, `Kept your opt-outs (${names.join(', ')}) so telemetry stays off; \`${ctx.prog} forget --everything\` removes them too.`);
  } else {
    line(ctx.out, 'Tools will show their first-run notice again and start from their defaults.');
  }
  return EXIT.OK;
}
