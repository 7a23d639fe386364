/**
 * The consent resolver: the only place that decides whether, and at which level, a run records
 * telemetry. The preload calls it first and loads nothing else when it says `off`; the CLI calls the
 * same function for `status`, so what `status --explain` prints is what the preload did.
 *
 * Rules: any opt-out from any source wins; otherwise the effective level is the lowest level any
 * source sets. The tool author's default applies only when neither the environment nor the user
 * config makes an explicit choice; an explicit choice may raise the level up to `full` unless a
 * policy or project file caps it. Invalid values are reported and read as the safer choice.
 *
 * Cost: synchronous reads of the policy file, the project files from cwd up, and the user config.
 * Only node:fs / node:path and small modules of ours load here. Never throws.
 */
import fs = require('node:fs');
import type { Level } from '../model/records';
import { policyFiles } from '../storage/paths';
import { toolEnvPrefix, type ToolIdentity } from '../resource/tool';
import { parseBool, parseLevel, parseOtelBool, safeRaw } from '../settings/env-values';
import { levelRank } from '../model/levels';
import { isCI } from './ci';
import { readPolicy, readProjectFiles, report, type SourceReport } from './sources';
import { readUserConfig, type ConsentEntry, type UserConfigRead } from './user-config';

export type { SourceReport, SourceEffect } from './sources';

export interface ConsentDecision {
  level: Level;
  /** The deciding source, e.g. `env:DO_NOT_TRACK`, `user:tool:fixture-tool`, `default:tool`. */
  source: string;
  /** Every source, in precedence order: raw value, how it parsed, decided or not and why. */
  reports: SourceReport[];
  /** Running under CI: a one-line notice per run and throwaway ids. */
  ci: boolean;
  /** The anonymous install id from the user config, when present (never in CI). */
  installId?: string;
  /** Which id the recorder may attach: persistent install id, per-run session id, or none. */
  identity: 'install' | 'session' | 'none';
  /** Prompt mode and no stored answer: off for this run; a host CLI may call askConsent(). */
  promptPending?: boolean;
  /**
   * The user config as the resolver read it, so the notice that follows does not read it again
   * (~0.7 ms). Not enumerable: never printed with the decision.
   */
  readonly userConfig?: UserConfigRead;
}

export interface ResolveInput {
  env: NodeJS.ProcessEnv;
  cwd: string;
  tool: ToolIdentity;
}

/** Decide consent. Never throws: an unexpected failure resolves to off. */
export function resolveConsent(input: ResolveInput): ConsentDecision {
  try {
    return fastOptOut(input) ?? resolve(input);
  } catch (err) {
    const r = report({ source: 'internal', parsed: 'error', effect: 'cap', level: 'off', why: 'the resolver failed: off (safer)', problem: safeRaw((err as Error)?.message ?? err) });
    r.decided = true;
    return { level: 'off', source: 'internal', reports: [r], ci: false, identity: 'none' };
  }
}

function envBoolDisable(env: NodeJS.ProcessEnv, name: string): SourceReport {
  const source = `env:${name}`;
  const p = parseBool(env[name]);
  switch (p.kind) {
    case 'unset':
      return report({ source, raw: p.raw, parsed: 'unset', effect: 'none', why: 'not set' });
    case 'false':
      return report({ source, raw: p.raw, parsed: 'false', effect: 'none', why: 'set to a false value: does not opt out' });
    case 'true':
      return report({ source, raw: p.raw, parsed: 'true', effect: 'cap', level: 'off', why: 'opt-out' });
    case 'invalid':
      return report({
        source, raw: safeRaw(p.raw), parsed: 'invalid', effect: 'cap', level: 'off', why: 'unrecognised value: treated as opt-out (safer)',
        problem: `${name}=${safeRaw(p.raw)} is not a boolean (use 1/true/yes/on or 0/false/no/off)`,
      });
  }
}

/** OTEL_SDK_DISABLED as the spec reads it: `true` disables; any other value does not (reported). */
function otelSdkDisabled(env: NodeJS.ProcessEnv): SourceReport {
  const source = 'env:OTEL_SDK_DISABLED';
  const p = parseOtelBool(env.OTEL_SDK_DISABLED);
  switch (p.kind) {
    case 'unset':
      return report({ source, raw: p.raw, parsed: 'unset', effect: 'none', why: 'not set' });
    case 'false':
      return report({ source, raw: p.raw, parsed: 'false', effect: 'none', why: 'set to false: does not opt out' });
    case 'true':
      return report({ source, raw: p.raw, parsed: 'true', effect: 'cap', level: 'off', why: 'opt-out' });
    case 'invalid':
      return report({
        source, raw: safeRaw(p.raw), parsed: 'invalid', effect: 'none', why: 'only "true" disables (OpenTelemetry specification): not an opt-out',
        problem: `OTEL_SDK_DISABLED=${safeRaw(p.raw)} does not disable: the OpenTelemetry specification accepts only "true" (use OTEL_SDK_DISABLED=true or DEVTOOL_TELEMETRY_DISABLED=1)`,
      });
  }
}

function envLevel(env: NodeJS.ProcessEnv, name: string): SourceReport {
  const source = `env:${name}`;
  const raw = env[name];
  const p = parseLevel(raw);
  if (p.kind === 'unset') return report({ source, raw, parsed: 'unset', effect: 'none', why: 'not set' });
  if (p.kind === 'invalid') {
    return report({
      source, raw: safeRaw(raw), parsed: 'invalid', effect: 'level', level: 'off', why: 'unknown level name: treated as off (safer)',
      problem: `${name}=${safeRaw(raw)} is not a level (off, minimal, usage, full)`,
    });
  }
  return report({ source, raw, parsed: `level ${p.level}`, effect: 'level', level: p.level, why: p.level === 'off' ? 'opt-out' : `explicit level ${p.level}` });
}

function userEntry(source: string, entry: ConsentEntry | undefined, what: string): SourceReport {
  if (entry !== undefined && (typeof entry !== 'object' || entry === null || Array.isArray(entry))) {
    // A wrong-typed entry could have said off: read it as off for what it speaks about.
    const raw = safeRaw(entry);
    return report({ source, raw, parsed: 'invalid', effect: 'level', level: 'off', why: 'wrong-typed entry: treated as off (safer)', problem: `user config entry for ${what} is not an object: ${raw}` });
  }
  const p = parseLevel(entry?.level);
  if (p.kind === 'unset') return report({ source, parsed: 'unset', effect: 'none', why: `no choice stored for ${what}` });
  const raw = safeRaw(entry?.level);
  if (p.kind === 'invalid') {
    return report({ source, raw, parsed: 'invalid', effect: 'level', level: 'off', why: 'unknown level name: treated as off (safer)', problem: `user config ${what} level ${raw} is not a level` });
  }
  return report({
    source, raw, parsed: `level ${p.level}`, effect: 'level', level: p.level,
    why: p.level === 'off' ? `the user disabled telemetry for ${what}` : `the user chose ${p.level} for ${what}`,
  });
}

/** The opt-out variables every tool obeys, in precedence order; the tool's own come after them. */
const ANY_TOOL_DISABLE_VARS = ['DO_NOT_TRACK', 'DEVTOOL_TELEMETRY_DISABLED', 'OTEL_SDK_DISABLED'];

/** The first of `vars` that disables (a true value, or one that does not parse: safer), if any. */
function disabledBy(env: NodeJS.ProcessEnv, vars: readonly string[]): string | undefined {
  for (const v of vars) {
    // OTEL_SDK_DISABLED is read exactly as the OpenTelemetry spec says: only `true` disables.
    const k = v === 'OTEL_SDK_DISABLED' ? (parseOtelBool(env[v]).kind === 'true' ? 'true' : 'false') : parseBool(env[v]).kind;
    if (k === 'true' || k === 'invalid') return `env:${v}`;
  }
  return undefined;
}

/** Off, decided by `source`; the full evaluation runs only if someone reads `reports`. */
function offDecision(source: string, env: NodeJS.ProcessEnv, input: () => ResolveInput): ConsentDecision {
  const decision = { level: 'off', source, ci: isCI(env), identity: 'none' } as ConsentDecision;
  Object.defineProperty(decision, 'reports', {
    enumerable: true,
    configurable: true,
    get(): SourceReport[] {
      const reports = resolve(input()).reports;
      Object.defineProperty(decision, 'reports', { value: reports, enumerable: true, configurable: true, writable: true });
      return reports;
    },
  });
  return decision;
}

/**
 * The common disabled case, cheaply: when the policy or an environment variable opts out, the
 * files after them in precedence order (project files, user config) cannot change the outcome, so
 * they are read only if someone looks at `reports` (status, debug). Same level, source, ci and
 * identity as the full evaluation (the tests compare them).
 */
function fastOptOut(input: ResolveInput): ConsentDecision | undefined {
  const { env, tool } = input;
  const name = tool.name;
  const prefix = name ? toolEnvPrefix(name) || undefined : undefined;
  let source: string | undefined;
  for (const file of policyFiles(env)) {
    const policy = readPolicy(file, name);
    if (policy.level === 'off') {
      source = policy.source;
      break;
    }
  }
  source ??= disabledBy(env, prefix ? [...ANY_TOOL_DISABLE_VARS, `${prefix}_TELEMETRY_DISABLED`] : ANY_TOOL_DISABLE_VARS);
  if (!source) {
    for (const v of [...(prefix ? [`${prefix}_TELEMETRY_LEVEL`] : []), 'DEVTOOL_TELEMETRY_LEVEL']) {
      const p = parseLevel(env[v]);
      if (p.kind === 'invalid' || (p.kind === 'level' && p.level === 'off')) {
        source = `env:${v}`;
        break;
      }
    }
  }
  return source ? offDecision(source, env, () => input) : undefined;
}

/**
 * The most common opt-out, decided before the tool is known: a variable every tool obeys
 * (DO_NOT_TRACK, DEVTOOL_TELEMETRY_DISABLED, OTEL_SDK_DISABLED), with no policy file on the machine
 * (a policy comes first and would name itself as the source, and its per-tool entries need the
 * tool's name). Saves the run the package.json lookup. `tool` is called only if someone reads
 * `reports`. Otherwise undefined: resolveConsent() decides, as always.
 */
export function anyToolOptOut(env: NodeJS.ProcessEnv, cwd: string, tool: () => ToolIdentity): ConsentDecision | undefined {
  try {
    const source = disabledBy(env, ANY_TOOL_DISABLE_VARS);
    if (!source || policyFiles(env).some((f) => fs.statSync(f, { throwIfNoEntry: false }) !== undefined)) return undefined;
    return offDecision(source, env, () => ({ env, cwd, tool: tool() }));
  } catch {
    return undefined; // a policy path we cannot even stat: the full evaluation says what it means
  }
}

function resolve({ env, cwd, tool }: ResolveInput): ConsentDecision {
  const name = tool.name;
  // A name with no letters or digits has no usable variable prefix (`@@@` -> ''): skip those sources.
  const prefix = name ? toolEnvPrefix(name) || undefined : undefined;
  const reports: SourceReport[] = [];

  for (const file of policyFiles(env)) reports.push(readPolicy(file, name));
  reports.push(envBoolDisable(env, 'DO_NOT_TRACK'));
  reports.push(envBoolDisable(env, 'DEVTOOL_TELEMETRY_DISABLED'));
  reports.push(otelSdkDisabled(env));
  if (prefix) {
    reports.push(envBoolDisable(env, `${prefix}_TELEMETRY_DISABLED`));
    reports.push(envLevel(env, `${prefix}_TELEMETRY_LEVEL`));
  }
  reports.push(envLevel(env, 'DEVTOOL_TELEMETRY_LEVEL'));
  reports.push(...readProjectFiles(cwd, name));

  const user = readUserConfig(env);
  if (!user.ok) {
    // It could have said off for this tool or for all: the safer reading is off.
    reports.push(report({ source: `user:${user.file}`, parsed: 'invalid', effect: 'level', level: 'off', why: 'user config unusable: treated as off (safer)', problem: `user config ${user.error}` }));
  } else {
    if (name) reports.push(userEntry(`user:tool:${name}`, user.config.tools?.[name], name));
    reports.push(userEntry('user:all', user.config.all, 'all tools'));
  }

  const hasChoice = reports.some((r) => r.effect === 'level');
  const promptMode = tool.options?.prompt === true;
  if (promptMode) {
    reports.push(report(hasChoice
      ? { source: 'prompt', parsed: 'answered', effect: 'none', why: 'prompt mode: an explicit choice exists, no question needed' }
      : { source: 'prompt', parsed: 'no answer', effect: 'default', level: 'off', why: 'prompt mode (opt-in) and no stored answer: off until the user says yes' }));
  }
  reports.push(toolDefault(tool, promptMode));

  const ci = isCI(env);
  const decided = decide(reports, hasChoice);
  decided.decided = true;
  const level = decided.level ?? 'off';
  for (const r of reports) if (!r.decided && r.effect !== 'none') r.why += notDecidingWhy(r, decided, hasChoice);
  if (decided.effect !== 'none') decided.why += ' (decides)';

  const wanted = tool.options?.identity;
  let identity: ConsentDecision['identity'] = wanted === 'session' || wanted === 'none' ? wanted : 'install';
  if (level === 'off') identity = 'none';
  else if (ci && identity === 'install') identity = 'session';
  const installId = identity === 'install' && user.ok ? user.config.installId : undefined;

  const decision: ConsentDecision = { level, source: decided.source, reports, ci, identity };
  if (installId) decision.installId = installId;
  if (promptMode && !hasChoice && level === 'off' && decided.source === 'prompt') decision.promptPending = true;
  Object.defineProperty(decision, 'userConfig', { value: user });
  return decision;
}

function toolDefault(tool: ToolIdentity, promptMode: boolean): SourceReport {
  const raw = tool.options?.defaultLevel;
  const source = 'default:tool';
  if (promptMode) return report({ source, raw: raw === undefined ? undefined : safeRaw(raw), parsed: 'prompt mode', effect: 'none', why: 'prompt mode replaces the default' });
  const p = parseLevel(raw);
  if (p.kind === 'unset') return report({ source, parsed: 'level usage', effect: 'default', level: 'usage', why: 'the default level (usage) applies when nothing else is set' });
  if (p.kind === 'invalid') {
    return report({ source, raw: safeRaw(raw), parsed: 'invalid', effect: 'default', level: 'off', why: 'the tool declares an unknown default level: off (safer)', problem: `devtoolTelemetry.defaultLevel ${safeRaw(raw)} is not a level` });
  }
  if (p.level === 'full') {
    // Content is collected only on the user's own explicit opt-in, never by a tool author's default.
    return report({ source, raw: 'full', parsed: 'level full', effect: 'default', level: 'usage', why: 'a tool default cannot be full (only the user can opt in to content): usage', problem: 'devtoolTelemetry.defaultLevel "full" lowered to usage' });
  }
  return report({ source, raw: p.level, parsed: `level ${p.level}`, effect: 'default', level: p.level, why: p.level === 'off' ? 'the tool is opt-in only: off until the user enables it' : `the tool's default level is ${p.level}` });
}

/** The deciding report: first opt-out; else the lowest among the base level and every cap. */
function decide(reports: SourceReport[], hasChoice: boolean): SourceReport {
  const optOut = reports.find((r) => r.effect !== 'none' && r.effect !== 'default' && r.level === 'off');
  if (optOut) return optOut;
  const candidates = reports.filter((r) => r.effect === 'cap' || (hasChoice ? r.effect === 'level' : r.effect === 'default'));
  let best: SourceReport | undefined;
  for (const r of candidates) {
    if (r.level === undefined) continue;
    if (!best || levelRank(r.level) < levelRank(best.level as Level)) best = r;
  }
  return best ?? reports[reports.length - 1];
}

function notDecidingWhy(r: SourceReport, decided: SourceReport, hasChoice: boolean): string {
  if (r.effect === 'default' && hasChoice) return '; not deciding: an explicit choice overrides the default';
  if (decided.level === 'off' && r.level === 'off') return `; not deciding: ${decided.source} opts out first`;
  if (decided.level === 'off') return `; not deciding: ${decided.source} opts out, and any opt-out wins`;
  return `; not deciding: ${decided.source} sets a lower or equal level (${decided.level})`;
}
