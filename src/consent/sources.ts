/**
 * Readers for the file-based consent sources: the administrator policy file and the committable
 * project files. Each returns a SourceReport (what was found, how it parsed, which level it sets)
 * and leaves the decision to resolve.ts. Synchronous, node:fs/node:path only, never throws.
 */
import { dirsUp } from '../storage/walk-up';
import fs = require('node:fs');
import path = require('node:path');
import { PROJECT_FILE } from '../storage/paths';
import type { Level } from '../model/records';
import { parseBool, parseLevel, safeRaw } from '../settings/env-values';
import { minLevel } from '../model/levels';

/**
 * What a source contributes:
 * - `none`: not set, or set to something that changes nothing;
 * - `cap`: an upper bound (policy `maxLevel`, a project file), it can only lower the level;
 * - `level`: an explicit choice by the user (environment, user config), may raise above the default;
 * - `default`: the tool author's default, used only when no explicit choice exists.
 * A level of `off` from any source is an opt-out, and any opt-out wins.
 */
export type SourceEffect = 'none' | 'cap' | 'level' | 'default';

export interface SourceReport {
  /** Which source: `policy:/etc/...`, `env:DO_NOT_TRACK`, `project:/repo/.devtool-telemetry.json`, ... */
  source: string;
  /** The raw value as found (shortened), undefined when the source is not set. */
  raw?: string;
  /** How it parsed: `unset`, `true`, `false`, `level usage`, `invalid`, ... */
  parsed: string;
  effect: SourceEffect;
  /** The level this source sets (or caps at); absent for `none`. */
  level?: Level;
  /** True for the one source that decided the effective level. */
  decided: boolean;
  /** Why it did or did not decide, in words for `status --explain`. */
  why: string;
  /** Set when the value was invalid, corrupt or unreadable (the safer choice was taken). */
  problem?: string;
}

export function report(r: Omit<SourceReport, 'decided'>): SourceReport {
  return { ...r, decided: false };
}

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function readJson(file: string): { state: 'missing' } | { state: 'ok'; data: unknown; text: string } | { state: 'bad'; error: string; text?: string } {
  let text: string;
  try {
    // A stat that does not throw first: absent files are the common case, and a thrown ENOENT
    // costs several times more on the preload's start path.
    if (!fs.statSync(file, { throwIfNoEntry: false })) return { state: 'missing' };
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return { state: 'missing' };
    return { state: 'bad', error: `unreadable (${code ?? 'error'})` };
  }
  if (text.length > 1 << 20) return { state: 'bad', error: 'too large', text: text.slice(0, 80) };
  try {
    return { state: 'ok', data: JSON.parse(text), text };
  } catch {
    return { state: 'bad', error: 'not valid JSON', text };
  }
}

/** Compact one-line form of a JSON value for reports. */
function compact(data: unknown): string {
  return safeRaw(JSON.stringify(data), 120);
}

/**
 * A `telemetry` switch inside a JSON file: `"off"`/`false`/`0`/... disables, `"on"`/`true` changes
 * nothing. Returns `off`, `none`, or `invalid`.
 */
function parseSwitch(v: unknown): 'off' | 'none' | 'invalid' | 'unset' {
  if (v === undefined || v === null) return 'unset';
  if (v === false) return 'off';
  if (v === true) return 'none';
  if (typeof v === 'string' || typeof v === 'number') {
    const s = String(v).trim().toLowerCase();
    if (s === 'disabled') return 'off';
    if (s === 'enabled') return 'none';
    const p = parseBool(s);
    if (p.kind === 'false') return 'off';
    if (p.kind === 'true') return 'none';
    if (p.kind === 'unset') return 'unset';
  }
  return 'invalid';
}

/** The constraints in one JSON object (`telemetry`, `level`/`maxLevel`): lowest level, problems. */
function constraintsOf(obj: Json, levelKeys: string[]): { level?: Level; problems: string[] } {
  const problems: string[] = [];
  let level: Level | undefined;
  const lower = (l: Level) => {
    level = level === undefined ? l : minLevel(level, l);
  };
  const sw = parseSwitch(obj.telemetry);
  if (sw === 'off') lower('off');
  else if (sw === 'invalid') {
    problems.push(`"telemetry": ${compact(obj.telemetry)} is not on/off`);
    lower('off');
  }
  for (const key of levelKeys) {
    const p = parseLevel(obj[key]);
    if (p.kind === 'level') lower(p.level);
    else if (p.kind === 'invalid') {
      problems.push(`"${key}": ${compact(obj[key])} is not a level (off, minimal, usage, full)`);
      lower('off');
    }
  }
  return { level, problems };
}

/**
 * The administrator policy file. Missing: not set. Unreadable or corrupt: off, because an admin who
 * wrote a policy meant to restrict, and a broken lock must not open the door.
 */
export function readPolicy(file: string, toolName: string | undefined): SourceReport {
  const source = `policy:${file}`;
  const got = readJson(file);
  if (got.state === 'missing') {
    return report({ source, parsed: 'unset', effect: 'none', why: 'no policy file' });
  }
  if (got.state === 'bad' || !isObject(got.data)) {
    const error = got.state === 'bad' ? got.error : 'not a JSON object';
    const raw = got.state === 'bad' ? (got.text === undefined ? undefined : safeRaw(got.text)) : compact(got.data);
    return report({ source, raw, parsed: 'invalid', effect: 'cap', level: 'off', why: 'policy file is corrupt or unreadable: treated as off (safer)', problem: `policy file ${error}` });
  }
  const data = got.data;
  const c = constraintsOf(data, ['maxLevel', 'level']);
  // Per-tool policy: {"tools": {"name": {"telemetry": "off"}}}.
  if (data.tools !== undefined && !isObject(data.tools)) {
    c.problems.push('"tools" is not an object');
    c.level = 'off';
  } else if (toolName && isObject(data.tools) && data.tools[toolName] !== undefined) {
    const entry = data.tools[toolName];
    if (isObject(entry)) {
      const t = constraintsOf(entry, ['maxLevel', 'level']);
      c.problems.push(...t.problems.map((p) => `tools.${toolName}: ${p}`));
      if (t.level) c.level = c.level ? minLevel(c.level, t.level) : t.level;
    } else {
      c.problems.push(`tools.${toolName} is not an object`);
      c.level = 'off';
    }
  }
  const problem = c.problems.length ? c.problems.join('; ') : undefined;
  if (c.level === undefined || c.level === 'full') {
    return report({ source, raw: compact(data), parsed: 'no restriction', effect: 'none', why: 'policy allows every level', problem });
  }
  return report({
    source, raw: compact(data), parsed: `max ${c.level}`, effect: 'cap', level: c.level, problem,
    why: c.level === 'off' ? 'administrator policy locks telemetry off' : `administrator policy caps the level at ${c.level}`,
  });
}

const MAX_UP = 64;

/**
 * Every project file from `cwd` up to the file-system root (a repository turns telemetry off for
 * everyone who works in it; a nested file can lower further, never raise). An unreadable, corrupt
 * or wrong-typed file could have said off, so it counts as off (reported, so `status` says why).
 */
export function readProjectFiles(cwd: string, toolName: string | undefined): SourceReport[] {
  const out: SourceReport[] = [];
  let dir: string;
  try {
    dir = path.resolve(cwd);
  } catch {
    return [report({ source: 'project', parsed: 'unset', effect: 'none', why: 'no working directory' })];
  }
  for (const d of dirsUp(dir, MAX_UP)) {
    const r = projectFile(path.join(d, PROJECT_FILE), toolName);
    if (r) out.push(r);
  }
  if (out.length === 0) {
    out.push(report({ source: 'project', parsed: 'unset', effect: 'none', why: `no ${PROJECT_FILE} from the working directory up` }));
  }
  return out;
}

function projectFile(file: string, toolName: string | undefined): SourceReport | undefined {
  const source = `project:${file}`;
  const got = readJson(file);
  if (got.state === 'missing') return undefined;
  if (got.state === 'bad' || !isObject(got.data)) {
    const error = got.state === 'bad' ? got.error : 'not a JSON object';
    const raw = got.state === 'bad' ? (got.text === undefined ? undefined : safeRaw(got.text)) : compact(got.data);
    return report({ source, raw, parsed: 'invalid', effect: 'cap', level: 'off', why: 'project file unreadable or corrupt: treated as off (safer)', problem: `project file ${error}` });
  }
  const data = got.data;
  const c = constraintsOf(data, ['level']);
  if (data.tools !== undefined && !isObject(data.tools)) {
    // Could have named this tool.
    c.problems.push('"tools" is not an object');
    c.level = 'off';
  } else if (toolName && isObject(data.tools) && data.tools[toolName] !== undefined) {
    const entry = data.tools[toolName];
    if (isObject(entry)) {
      const t = constraintsOf(entry, ['level']);
      c.problems.push(...t.problems.map((p) => `tools.${toolName}: ${p}`));
      if (t.level) c.level = c.level ? minLevel(c.level, t.level) : t.level;
    } else {
      c.problems.push(`tools.${toolName} is not an object`);
      c.level = 'off';
    }
  }
  const problem = c.problems.length ? c.problems.join('; ') : undefined;
  if (c.level === undefined) {
    return report({ source, raw: compact(data), parsed: 'no restriction', effect: 'none', why: 'project file sets nothing for this tool', problem });
  }
  if (c.level === 'full') {
    return report({ source, raw: compact(data), parsed: 'level full', effect: 'none', why: 'a project file can lower the level, not raise it to full (only the user can)', problem });
  }
  return report({
    source, raw: compact(data), parsed: `level ${c.level}`, effect: 'cap', level: c.level, problem,
    why: c.level === 'off' ? 'project file turns telemetry off' : `project file caps the level at ${c.level}`,
  });
}
