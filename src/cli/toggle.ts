/**
 * `enable` / `disable` [--tool NAME | --all] [--level L]: store the user's choice in the user config.
 * Afterwards the same resolver runs again, so when another source still decides (DO_NOT_TRACK in the
 * environment, a policy, a project file), the person is told which one and how to change it.
 */
import { parseLevel } from '../settings/env-values';
import { resolveConsent } from '../consent/resolve';
import { readUserConfig, updateUserConfigDetailed, userConfigLocation } from '../consent/user-config';
import type { Level } from '../model/records';
import { allowFlags, type CliContext, EXIT, line, noTool, toolByName, UsageError } from './context';

interface Target {
  /** undefined = all tools */
  tool?: string;
  label: string;
}

function target(ctx: CliContext): Target {
  const all = ctx.args.flags.has('all');
  const named = ctx.args.values.get('tool');
  if (all && named) throw new UsageError('give either --tool NAME or --all, not both');
  if (all) return { label: 'all tools' };
  const name = named ?? ctx.tool?.name;
  if (name) return { tool: name, label: name };
  // Our own bin with no tool named: the choice is for every tool built on devtool-telemetry.
  return { label: 'all tools' };
}

/** A message for a failed write that says what to do about it. */
export function writeFailure(ctx: CliContext, what: string, error: string): number {
  const loc = userConfigLocation(ctx.env);
  line(ctx.err, `${ctx.prog}: could not ${what}: ${error}.`);
  line(ctx.err, `  The user config lives in ${loc.dir}. Make it writable, or point XDG_CONFIG_HOME at a writable directory.`);
  if (what.includes('disable')) line(ctx.err, '  Meanwhile, DO_NOT_TRACK=1 in your environment turns telemetry off for every tool.');
  return EXIT.FAILED;
}

function toggle(ctx: CliContext, enable: boolean): number {
  allowFlags(ctx, enable ? ['tool', 'all', 'level'] : ['tool', 'all']);
  const t = target(ctx);
  let level: Level = enable ? 'usage' : 'off';
  const rawLevel = ctx.args.values.get('level');
  if (rawLevel !== undefined) {
    const p = parseLevel(rawLevel);
    if (p.kind !== 'level') throw new UsageError(`--level ${rawLevel} is not a level (minimal, usage, full)`);
    if (p.level === 'off') throw new UsageError(`use \`${ctx.prog} disable\` to turn telemetry off`);
    level = p.level;
  }
  const w = updateUserConfigDetailed(
    ctx.env,
    (cfg) => {
      const entry = { level, via: 'cli', updatedAt: new Date().toISOString() };
      if (t.tool) {
        cfg.tools ??= {};
        cfg.tools[t.tool] = { ...cfg.tools[t.tool], ...entry };
      } else {
        cfg.all = { ...cfg.all, ...entry };
      }
    },
    { onCorrupt: 'backup' },
  );
  if (!w.ok) return writeFailure(ctx, `${enable ? 'enable' : 'disable'} telemetry for ${t.label}`, w.error);
  if (w.backup) line(ctx.err, `${ctx.prog}: the previous config was not valid JSON; it was kept as ${w.backup}`);
  line(ctx.out, `Telemetry ${enable ? `enabled (level ${level})` : 'disabled'} for ${t.label}. Saved in ${w.file}.`);

  const tool = t.tool ? (ctx.tool?.name === t.tool ? ctx.tool : toolByName(t.tool, ctx.cwd)) : noTool();
  const d = resolveConsent({ env: ctx.env, cwd: ctx.cwd, tool });
  if (enable && d.level === 'off') {
    const r = d.reports.find((x) => x.decided);
    line(ctx.out, `Note: telemetry is still off for ${t.label}: ${d.source} decides (${r?.why.replace(/ \(decides\)$/, '') ?? 'opt-out'}).`);
    line(ctx.out, `  Any opt-out wins; see \`${ctx.prog} status --explain${t.tool ? ` --tool ${t.tool}` : ''}\`.`);
  } else if (enable && d.level !== level) {
    line(ctx.out, `Note: the effective level is ${d.level}, decided by ${d.source} (the lowest level any source sets wins).`);
  }
  if (enable && t.tool === undefined) {
    const still = Object.entries(readUserConfig(ctx.env).config.tools ?? {}).filter(([, e]) => e?.level === 'off').map(([n]) => n);
    if (still.length) line(ctx.out, `Note: still disabled by your own per-tool choice: ${still.join(', ')} (\`${ctx.prog} enable --tool NAME\` changes that).`);
  }
  if (!enable && t.tool === undefined && ctx.mounted === false) {
    line(ctx.out, 'Every tool built on devtool-telemetry now records nothing for you; `enable` undoes it.');
  }
  return EXIT.OK;
}

export function enableVerb(ctx: CliContext): number {
  return toggle(ctx, true);
}

export function disableVerb(ctx: CliContext): number {
  return toggle(ctx, false);
}
