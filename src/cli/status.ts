/**
 * `status [--explain] [--json]`: the effective level and the source that decided it, computed by the
 * same resolver the preload runs; with --explain every source's raw value, parse and verdict; plus
 * where data goes (endpoint), the install id, what waits in the spool and the last send.
 */
import { isDebug, parseBool } from '../settings/env-values';
import { resolveConsent, type ConsentDecision } from '../consent/resolve';
import { readUserConfig } from '../consent/user-config';
import { settingsOf } from '../settings/settings';
import { readSentLog, type SentLogEntry } from '../spool/sent-log';
import { spoolStats, type SpoolStats } from '../spool/summary';
import { allowFlags, type CliContext, EXIT, fmtBytes, fmtTime, line, noTool } from './context';

export interface StatusReport {
  tool: string | null;
  level: ConsentDecision['level'];
  source: string;
  ci: boolean;
  identity: ConsentDecision['identity'];
  installId: string | null;
  promptPending: boolean;
  debug: boolean;
  reports: ConsentDecision['reports'];
  problems: string[];
  endpoint: { traces: string; metrics: string; source: string; protocol: string; problems: string[] };
  userConfig: { file: string; ok: boolean; error?: string; tools: Record<string, string>; all?: string };
  spool: SpoolStats | null;
  lastSend: Omit<SentLogEntry, 'records'> | null;
  lastSuccessfulSend: Omit<SentLogEntry, 'records'> | null;
}

function safe<T>(fn: () => T, fallback: T): T {
  try {
    return fn();
  } catch {
    return fallback;
  }
}

export function buildStatus(ctx: CliContext): StatusReport {
  const tool = ctx.tool ?? noTool();
  const decision = resolveConsent({ env: ctx.env, cwd: ctx.cwd, tool });
  const user = readUserConfig(ctx.env);
  const otlp = safe(() => settingsOf(ctx.env).otlp, undefined);
  const spool = safe(() => spoolStats(ctx.env), null);
  const log = safe(() => readSentLog(ctx.env, 200), [] as SentLogEntry[]);
  const strip = (e: SentLogEntry | undefined) => {
    if (!e) return null;
    const { records: _records, ...rest } = e;
    return rest;
  };
  const tools: Record<string, string> = {};
  if (user.ok) for (const [name, e] of Object.entries(user.config.tools ?? {})) if (e && typeof e.level === 'string') tools[name] = e.level;
  const problems = decision.reports.filter((r) => r.problem).map((r) => `${r.source}: ${r.problem}`);
  const debugRaw = parseBool(ctx.env.DEVTOOL_TELEMETRY_DEBUG);
  if (debugRaw.kind === 'invalid') problems.push(`DEVTOOL_TELEMETRY_DEBUG=${debugRaw.raw} is not a boolean: debug is on (the safer reading: nothing is sent)`);
  if (otlp) problems.push(...otlp.problems);
  if (spool) problems.push(...spool.problems);
  return {
    tool: tool.name ?? null,
    level: decision.level,
    source: decision.source,
    ci: decision.ci,
    identity: decision.identity,
    installId: (user.ok && user.config.installId) || null,
    promptPending: decision.promptPending === true,
    debug: isDebug(ctx.env),
    reports: decision.reports,
    problems,
    endpoint: {
      traces: otlp?.traces.url ? otlp.traces.displayUrl : '(none usable)',
      metrics: otlp?.metrics.url ? otlp.metrics.displayUrl : '(none usable)',
      source: otlp?.traces.urlSource ?? 'unknown',
      protocol: otlp?.traces.protocol ?? 'http/protobuf',
      problems: otlp?.problems ?? [],
    },
    userConfig: { file: user.file, ok: user.ok, ...(user.ok ? {} : { error: user.error }), tools, ...(user.ok && typeof user.config.all?.level === 'string' ? { all: user.config.all.level } : {}) },
    spool,
    lastSend: strip(log[log.length - 1]),
    lastSuccessfulSend: strip([...log].reverse().find((e) => e.result === 'ok' || e.result === 'partial')),
  };
}

function why(decision: StatusReport): string {
  const r = decision.reports.find((x) => x.decided);
  return r ? r.why.replace(/ \(decides\)$/, '') : '';
}

export function statusVerb(ctx: CliContext): number {
  allowFlags(ctx, ['explain', 'json', 'tool']);
  const s = buildStatus(ctx);
  if (ctx.args.flags.has('json')) {
    line(ctx.out, JSON.stringify(s, null, 2));
    return EXIT.OK;
  }
  const o = ctx.out;
  const who = s.tool ? `${s.tool}` : 'tools using devtool-telemetry (no tool named: global sources only; use --tool NAME)';
  line(o, `Telemetry for ${who}: ${s.level.toUpperCase()}`);
  line(o, `  decided by:  ${s.source} (${why(s)})`);
  if (s.promptPending) line(o, `  prompt:      the tool asks for consent on its next interactive run`);
  if (s.ci) line(o, `  CI:          yes (one-line notice per run, throwaway ids)`);
  if (s.debug) line(o, `  debug:       on (records are printed to stderr; nothing is spooled or sent)`);
  line(o, `  endpoint:    ${s.endpoint.traces} (${s.endpoint.source}, ${s.endpoint.protocol})`);
  line(o, `  install id:  ${s.installId ?? 'none yet (created on the first enabled run)'}${s.identity !== 'install' && s.level !== 'off' ? ` (not used: identity ${s.identity})` : ''}`);
  if (s.spool) {
    const sp = s.spool;
    line(o, `  spool:       ${sp.pendingBatches} batch(es), ${sp.pendingRecords} record(s), ${fmtBytes(sp.pendingBytes)} waiting in ${sp.dir}`);
    if (sp.quarantined) line(o, `               ${sp.quarantined} unreadable batch file(s) set aside (never sent)`);
    if (sp.otherDestinations.batches) {
      line(o, `               ${sp.otherDestinations.batches} more batch(es) wait for ${sp.otherDestinations.destinations} other endpoint setting(s) (sent by the runs that use them)`);
    }
    const dropped = Object.entries(sp.dropped).filter(([, n]) => n > 0);
    // opted-out: spooled before an opt-out and deleted unsent; the others are delivery losses.
    if (dropped.length) line(o, `  dropped:     ${dropped.map(([k, n]) => `${n} ${k}`).join(', ')} (records not delivered, by reason)`);
  }
  const last = s.lastSuccessfulSend;
  line(o, `  last send:   ${last ? `${fmtTime(last.time)} to ${last.endpoint} (${last.items} ${last.signal === 'traces' ? 'span(s)' : last.signal === 'logs' ? 'log record(s)' : 'point(s)'})` : s.spool?.lastSuccessAt ? fmtTime(s.spool.lastSuccessAt) : 'never'}`);
  if (s.lastSend && s.lastSend !== null && s.lastSend.result !== 'ok' && s.lastSend.result !== 'partial') {
    line(o, `  last attempt: ${fmtTime(s.lastSend.time)} ${s.lastSend.result}${s.lastSend.error ? ` (${s.lastSend.error})` : ''}`);
  }
  const choices = Object.entries(s.userConfig.tools).map(([k, v]) => `${k}=${v}`);
  if (s.userConfig.all) choices.unshift(`all=${s.userConfig.all}`);
  line(o, `  your choices: ${choices.length ? choices.join(', ') : 'none stored'} (${s.userConfig.file})`);
  if (s.problems.length) {
    line(o, `  problems:`);
    for (const p of s.problems) line(o, `    - ${p}`);
  }
  if (ctx.args.flags.has('explain')) {
    line(o);
    line(o, 'Every source, in precedence order (any opt-out wins; otherwise the lowest level set wins;');
    line(o, 'the tool default applies only when neither the environment nor your config chooses a level):');
    for (const r of s.reports) {
      const mark = r.decided ? '=>' : '  ';
      const raw = r.raw === undefined ? '(not set)' : JSON.stringify(r.raw);
      line(o, `${mark} ${r.source}`);
      const sets = r.level === undefined ? '' : r.level === 'off' ? '  means: off' : `  means: ${r.effect === 'cap' ? 'at most' : r.effect === 'default' ? 'default' : 'level'} ${r.level}`;
      line(o, `     raw: ${raw}  parsed: ${r.parsed}${sets}`);
      line(o, `     ${r.decided ? 'DECIDES' : 'why'}: ${r.why.replace(/ \(decides\)$/, '')}${r.problem ? `  [problem: ${r.problem}]` : ''}`);
    }
  } else {
    line(o, `Run \`${ctx.prog} status --explain\` to see every source and why it did or did not decide.`);
  }
  return EXIT.OK;
}
