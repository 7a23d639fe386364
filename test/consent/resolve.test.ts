import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LEVELS, type Level } from '../../src/model/levels';
import { anyToolOptOut, resolveConsent } from '../../src/consent/resolve';
import type { ToolIdentity } from '../../src/resource/tool';
import { makeSandbox, type Sandbox } from './sandbox';

const TOOL = 'fixture-tool';
const tool = (options: ToolIdentity['options'] = {}): ToolIdentity => ({ name: TOOL, version: '1.0.0', options, problems: [] });

let sb: Sandbox;
beforeEach(() => {
  sb = makeSandbox();
});
afterEach(() => sb.cleanup());

function decide(opts: ToolIdentity['options'] = {}) {
  return resolveConsent({ env: sb.env, cwd: sb.cwd, tool: tool(opts) });
}

describe('no source set', () => {
  it('uses the default level usage, decided by the tool default', () => {
    const d = decide();
    expect(d).toMatchObject({ level: 'usage', source: 'default:tool', ci: false, identity: 'install' });
    expect(d.reports.filter((r) => r.decided)).toHaveLength(1);
    expect(d.installId).toBeUndefined();
  });
  it('an opt-in-only tool (defaultLevel off) is off', () => {
    expect(decide({ defaultLevel: 'off' })).toMatchObject({ level: 'off', source: 'default:tool', identity: 'none' });
  });
  it('a tool default of full is lowered to usage and reported', () => {
    const d = decide({ defaultLevel: 'full' });
    expect(d.level).toBe('usage');
    expect(d.reports.find((r) => r.source === 'default:tool')?.problem).toMatch(/full/);
  });
  it('an unknown tool default is off and reported', () => {
    const d = decide({ defaultLevel: 'lots' as Level });
    expect(d.level).toBe('off');
    expect(d.reports.find((r) => r.source === 'default:tool')?.problem).toMatch(/lots/);
  });
});

/** Each source, one at a time: how to set it, and what it must decide. */
interface Row { name: string; set: (sb: Sandbox) => void; level: Level; source: string | RegExp; problem?: RegExp }
const single: Row[] = [
  { name: 'policy telemetry off', set: (s) => s.writePolicy({ telemetry: 'off' }), level: 'off', source: /^policy:/ },
  { name: 'policy telemetry false', set: (s) => s.writePolicy({ telemetry: false }), level: 'off', source: /^policy:/ },
  { name: 'policy maxLevel minimal', set: (s) => s.writePolicy({ maxLevel: 'minimal' }), level: 'minimal', source: /^policy:/ },
  { name: 'policy per tool off', set: (s) => s.writePolicy({ tools: { [TOOL]: { telemetry: 'off' } } }), level: 'off', source: /^policy:/ },
  { name: 'policy for another tool', set: (s) => s.writePolicy({ tools: { other: { telemetry: 'off' } } }), level: 'usage', source: 'default:tool' },
  { name: 'policy corrupt JSON', set: (s) => s.writePolicy('{"telemetry": '), level: 'off', source: /^policy:/, problem: /not valid JSON/ },
  { name: 'policy not an object', set: (s) => s.writePolicy('[1,2]'), level: 'off', source: /^policy:/, problem: /not a JSON object/ },
  { name: 'policy unknown maxLevel', set: (s) => s.writePolicy({ maxLevel: 'some' }), level: 'off', source: /^policy:/, problem: /not a level/ },
  { name: 'policy unreadable (a directory)', set: (s) => fs.mkdirSync(s.policy, { recursive: true }), level: 'off', source: /^policy:/, problem: /unreadable/ },
  { name: 'policy allowing everything', set: (s) => s.writePolicy({ telemetry: 'on' }), level: 'usage', source: 'default:tool' },
  { name: 'DO_NOT_TRACK=1', set: (s) => { s.env.DO_NOT_TRACK = '1'; }, level: 'off', source: 'env:DO_NOT_TRACK' },
  { name: 'DO_NOT_TRACK=0', set: (s) => { s.env.DO_NOT_TRACK = '0'; }, level: 'usage', source: 'default:tool' },
  { name: 'DO_NOT_TRACK=garbage', set: (s) => { s.env.DO_NOT_TRACK = 'sure'; }, level: 'off', source: 'env:DO_NOT_TRACK', problem: /not a boolean/ },
  { name: 'DEVTOOL_TELEMETRY_DISABLED=true', set: (s) => { s.env.DEVTOOL_TELEMETRY_DISABLED = 'true'; }, level: 'off', source: 'env:DEVTOOL_TELEMETRY_DISABLED' },
  { name: 'DEVTOOL_TELEMETRY_DISABLED=false', set: (s) => { s.env.DEVTOOL_TELEMETRY_DISABLED = 'false'; }, level: 'usage', source: 'default:tool' },
  { name: 'OTEL_SDK_DISABLED=true', set: (s) => { s.env.OTEL_SDK_DISABLED = 'true'; }, level: 'off', source: 'env:OTEL_SDK_DISABLED' },
  { name: 'OTEL_SDK_DISABLED=false', set: (s) => { s.env.OTEL_SDK_DISABLED = 'false'; }, level: 'usage', source: 'default:tool' },
  { name: 'FIXTURE_TOOL_TELEMETRY_DISABLED=yes', set: (s) => { s.env.FIXTURE_TOOL_TELEMETRY_DISABLED = 'yes'; }, level: 'off', source: 'env:FIXTURE_TOOL_TELEMETRY_DISABLED' },
  { name: 'FIXTURE_TOOL_TELEMETRY_DISABLED=no', set: (s) => { s.env.FIXTURE_TOOL_TELEMETRY_DISABLED = 'no'; }, level: 'usage', source: 'default:tool' },
  { name: 'OTHER_TOOL_TELEMETRY_DISABLED=1 (another tool)', set: (s) => { s.env.OTHER_TOOL_TELEMETRY_DISABLED = '1'; }, level: 'usage', source: 'default:tool' },
  { name: 'FIXTURE_TOOL_TELEMETRY_LEVEL=minimal', set: (s) => { s.env.FIXTURE_TOOL_TELEMETRY_LEVEL = 'minimal'; }, level: 'minimal', source: 'env:FIXTURE_TOOL_TELEMETRY_LEVEL' },
  { name: 'FIXTURE_TOOL_TELEMETRY_LEVEL=full', set: (s) => { s.env.FIXTURE_TOOL_TELEMETRY_LEVEL = 'full'; }, level: 'full', source: 'env:FIXTURE_TOOL_TELEMETRY_LEVEL' },
  { name: 'FIXTURE_TOOL_TELEMETRY_LEVEL=off', set: (s) => { s.env.FIXTURE_TOOL_TELEMETRY_LEVEL = 'off'; }, level: 'off', source: 'env:FIXTURE_TOOL_TELEMETRY_LEVEL' },
  { name: 'FIXTURE_TOOL_TELEMETRY_LEVEL=bogus', set: (s) => { s.env.FIXTURE_TOOL_TELEMETRY_LEVEL = 'bogus'; }, level: 'off', source: 'env:FIXTURE_TOOL_TELEMETRY_LEVEL', problem: /not a level/ },
  { name: 'DEVTOOL_TELEMETRY_LEVEL=full', set: (s) => { s.env.DEVTOOL_TELEMETRY_LEVEL = 'full'; }, level: 'full', source: 'env:DEVTOOL_TELEMETRY_LEVEL' },
  { name: 'DEVTOOL_TELEMETRY_LEVEL=MINIMAL', set: (s) => { s.env.DEVTOOL_TELEMETRY_LEVEL = 'MINIMAL'; }, level: 'minimal', source: 'env:DEVTOOL_TELEMETRY_LEVEL' },
  { name: 'DEVTOOL_TELEMETRY_LEVEL=verbose', set: (s) => { s.env.DEVTOOL_TELEMETRY_LEVEL = 'verbose'; }, level: 'off', source: 'env:DEVTOOL_TELEMETRY_LEVEL', problem: /not a level/ },
  { name: 'project file at the repo root: off', set: (s) => s.writeProject(s.repo, { telemetry: 'off' }), level: 'off', source: /^project:.*repo/ },
  { name: 'project file in cwd: minimal', set: (s) => s.writeProject(s.cwd, { level: 'minimal' }), level: 'minimal', source: /^project:.*src/ },
  { name: 'project file per tool off', set: (s) => s.writeProject(s.repo, { tools: { [TOOL]: { telemetry: 'off' } } }), level: 'off', source: /^project:/ },
  { name: 'project file for another tool', set: (s) => s.writeProject(s.repo, { tools: { other: { telemetry: 'off' } } }), level: 'usage', source: 'default:tool' },
  { name: 'project file asking for full cannot raise', set: (s) => s.writeProject(s.repo, { level: 'full' }), level: 'usage', source: 'default:tool' },
  { name: 'project file corrupt: off (it could have said off)', set: (s) => s.writeProject(s.repo, '{telemetry: off'), level: 'off', source: /^project:/, problem: /not valid JSON/ },
  { name: 'project file with a wrong-typed tool entry: off', set: (s) => s.writeProject(s.repo, { tools: { [TOOL]: 'off' } }), level: 'off', source: /^project:/, problem: /not an object/ },
  { name: 'project file with a wrong-typed "tools": off', set: (s) => s.writeProject(s.repo, { tools: [] }), level: 'off', source: /^project:/, problem: /"tools" is not an object/ },
  { name: 'project file unknown level: off', set: (s) => s.writeProject(s.repo, { level: 'lots' }), level: 'off', source: /^project:/, problem: /not a level/ },
  { name: 'project file odd switch: off', set: (s) => s.writeProject(s.repo, { telemetry: 'maybe' }), level: 'off', source: /^project:/, problem: /not on\/off/ },
  { name: 'user config tool off', set: (s) => s.writeUserConfig({ tools: { [TOOL]: { level: 'off' } } }), level: 'off', source: `user:tool:${TOOL}` },
  { name: 'user config tool full', set: (s) => s.writeUserConfig({ tools: { [TOOL]: { level: 'full' } } }), level: 'full', source: `user:tool:${TOOL}` },
  { name: 'user config all minimal', set: (s) => s.writeUserConfig({ all: { level: 'minimal' } }), level: 'minimal', source: 'user:all' },
  { name: 'user config all off', set: (s) => s.writeUserConfig({ all: { level: 'off' } }), level: 'off', source: 'user:all' },
  { name: 'user config other tool off', set: (s) => s.writeUserConfig({ tools: { other: { level: 'off' } } }), level: 'usage', source: 'default:tool' },
  { name: 'user config unknown level', set: (s) => s.writeUserConfig({ tools: { [TOOL]: { level: 'many' } } }), level: 'off', source: `user:tool:${TOOL}`, problem: /not a level/ },
  { name: 'user config corrupt: off (it could have said off)', set: (s) => s.writeUserConfig('{"tools":'), level: 'off', source: /^user:\//, problem: /not valid JSON/ },
  { name: 'user config wrong shape: off', set: (s) => s.writeUserConfig({ tools: [] }), level: 'off', source: /^user:\//, problem: /not an object/ },
  { name: 'user config wrong-typed entry for this tool: off', set: (s) => s.writeUserConfig({ tools: { [TOOL]: 'off' } }), level: 'off', source: `user:tool:${TOOL}`, problem: /not an object/ },
  { name: 'user config wrong-typed entry for another tool: not this tool', set: (s) => s.writeUserConfig({ tools: { 'other-tool': 'off' } }), level: 'usage', source: 'default:tool' },
  { name: 'user config wrong-typed "all": off', set: (s) => s.writeUserConfig({ all: 'on' }), level: 'off', source: /^user:\//, problem: /"all" is not an object/ },
];

describe('each source alone', () => {
  it.each(single)('$name', (row) => {
    row.set(sb);
    const d = decide();
    expect(d.level).toBe(row.level);
    if (typeof row.source === 'string') expect(d.source).toBe(row.source);
    else expect(d.source).toMatch(row.source);
    const decided = d.reports.filter((r) => r.decided);
    expect(decided).toHaveLength(1);
    expect(decided[0].source).toBe(d.source);
    const problems = d.reports.map((r) => r.problem).filter(Boolean).join(' | ');
    if (row.problem) expect(problems).toMatch(row.problem);
    else expect(problems).toBe('');
  });
});

/**
 * Every pair of conflicting sources. Each setter says what kind of constraint it is; the expected
 * result follows the documented rule: any opt-out wins (the first in precedence order names the
 * source); otherwise the lowest of the explicit choices (or the default when there is none) and the
 * caps.
 */
type Kind = 'optout' | 'cap' | 'choice' | 'default';
interface Setter { source: string; kind: Kind; level: Level; label: string; apply: (s: Sandbox) => ToolIdentity['options'] | void }
const ORDER = ['policy', 'env:DO_NOT_TRACK', 'env:DEVTOOL_TELEMETRY_DISABLED', 'env:OTEL_SDK_DISABLED', 'env:FIXTURE_TOOL_TELEMETRY_DISABLED',
  'env:FIXTURE_TOOL_TELEMETRY_LEVEL', 'env:DEVTOOL_TELEMETRY_LEVEL', 'project', `user:tool:${TOOL}`, 'user:all', 'default:tool'];

const setters: Setter[] = [];
for (const l of ['off', 'minimal'] as Level[]) {
  setters.push({ source: 'policy', kind: l === 'off' ? 'optout' : 'cap', level: l, label: `policy max ${l}`, apply: (s) => s.writePolicy({ maxLevel: l }) });
}
for (const v of ['DO_NOT_TRACK', 'DEVTOOL_TELEMETRY_DISABLED', 'OTEL_SDK_DISABLED', 'FIXTURE_TOOL_TELEMETRY_DISABLED']) {
  // OTEL_SDK_DISABLED takes only `true` (OpenTelemetry spec); the others take 1/true/yes/on.
  const on = v === 'OTEL_SDK_DISABLED' ? 'true' : '1';
  setters.push({ source: `env:${v}`, kind: 'optout', level: 'off', label: `${v}=${on}`, apply: (s) => { s.env[v] = on; } });
}
for (const l of LEVELS) {
  for (const v of ['FIXTURE_TOOL_TELEMETRY_LEVEL', 'DEVTOOL_TELEMETRY_LEVEL']) {
    setters.push({ source: `env:${v}`, kind: l === 'off' ? 'optout' : 'choice', level: l, label: `${v}=${l}`, apply: (s) => { s.env[v] = l; } });
  }
  setters.push({ source: `user:tool:${TOOL}`, kind: l === 'off' ? 'optout' : 'choice', level: l, label: `user tool ${l}`, apply: (s) => {
    const cur = fs.existsSync(s.userConfigFile) ? JSON.parse(fs.readFileSync(s.userConfigFile, 'utf8')) : {};
    s.writeUserConfig({ ...cur, tools: { [TOOL]: { level: l } } });
  } });
  setters.push({ source: 'user:all', kind: l === 'off' ? 'optout' : 'choice', level: l, label: `user all ${l}`, apply: (s) => {
    const cur = fs.existsSync(s.userConfigFile) ? JSON.parse(fs.readFileSync(s.userConfigFile, 'utf8')) : {};
    s.writeUserConfig({ ...cur, all: { level: l } });
  } });
  if (l !== 'full') {
    setters.push({ source: 'project', kind: l === 'off' ? 'optout' : 'cap', level: l, label: `project ${l}`, apply: (s) => s.writeProject(s.repo, { level: l }) });
    setters.push({ source: 'default:tool', kind: 'default', level: l, label: `tool default ${l}`, apply: () => ({ defaultLevel: l }) });
  }
}

const rank = (l: Level) => LEVELS.indexOf(l);
function expected(set: Setter[]): { level: Level; source: string } {
  const sorted = [...set].sort((a, b) => ORDER.indexOf(a.source) - ORDER.indexOf(b.source));
  const out = sorted.find((s) => s.kind === 'optout');
  if (out) return { level: 'off', source: out.source };
  const choices = sorted.filter((s) => s.kind === 'choice');
  const def = sorted.find((s) => s.kind === 'default') ?? { source: 'default:tool', level: 'usage' as Level };
  const candidates = [...sorted.filter((s) => s.kind === 'cap'), ...(choices.length ? choices : [def])]
    .sort((a, b) => ORDER.indexOf(a.source) - ORDER.indexOf(b.source));
  let best = candidates[0];
  for (const c of candidates) if (rank(c.level) < rank(best.level)) best = c;
  return { level: best.level, source: best.source };
}

const pairs: Array<[string, Setter, Setter]> = [];
for (let i = 0; i < setters.length; i++) {
  for (let j = i + 1; j < setters.length; j++) {
    if (setters[i].source === setters[j].source) continue;
    pairs.push([`${setters[i].label} + ${setters[j].label}`, setters[i], setters[j]]);
  }
}

describe('every pair of conflicting sources', () => {
  it('covers every pair of distinct sources', () => {
    const sourcePairs = new Set(pairs.map(([, a, b]) => [a.source, b.source].sort().join('|')));
    expect(sourcePairs.size).toBe((ORDER.length * (ORDER.length - 1)) / 2);
  });
  it.each(pairs)('%s', (_label, a, b) => {
    let options: ToolIdentity['options'] = {};
    for (const s of [a, b]) options = { ...options, ...(s.apply(sb) ?? {}) };
    const d = decide(options);
    const want = expected([a, b]);
    expect(d.level).toBe(want.level);
    if (want.source === 'project' || want.source === 'policy') expect(d.source.startsWith(`${want.source}:`)).toBe(true);
    else expect(d.source).toBe(want.source);
  });
});

describe('hand-checked conflicts', () => {
  it('DO_NOT_TRACK=1 beats an explicit full level in every other source', () => {
    sb.env.DO_NOT_TRACK = '1';
    sb.env.DEVTOOL_TELEMETRY_LEVEL = 'full';
    sb.writeUserConfig({ all: { level: 'full' }, tools: { [TOOL]: { level: 'full' } } });
    expect(decide()).toMatchObject({ level: 'off', source: 'env:DO_NOT_TRACK' });
  });
  it('user full is capped by the project file at minimal', () => {
    sb.writeUserConfig({ tools: { [TOOL]: { level: 'full' } } });
    sb.writeProject(sb.repo, { level: 'minimal' });
    const d = decide();
    expect(d.level).toBe('minimal');
    expect(d.source).toBe(`project:${path.join(sb.repo, '.devtool-telemetry.json')}`);
  });
  it('an opt-in tool is enabled by the user choosing usage', () => {
    sb.writeUserConfig({ tools: { [TOOL]: { level: 'usage' } } });
    expect(decide({ defaultLevel: 'off' })).toMatchObject({ level: 'usage', source: `user:tool:${TOOL}` });
  });
  it('disable --all wins over a per-tool enable (any opt-out wins)', () => {
    sb.writeUserConfig({ all: { level: 'off' }, tools: { [TOOL]: { level: 'usage' } } });
    expect(decide()).toMatchObject({ level: 'off', source: 'user:all' });
  });
  it('nested project files: the nearer one cannot raise what the outer one lowered', () => {
    sb.writeProject(sb.repo, { telemetry: 'off' });
    sb.writeProject(sb.cwd, { telemetry: 'on', level: 'usage' });
    expect(decide()).toMatchObject({ level: 'off' });
  });
});

describe('prompt mode, CI, identity', () => {
  it('prompt mode without a stored answer is off for the run and pending', () => {
    const d = decide({ prompt: true });
    expect(d).toMatchObject({ level: 'off', source: 'prompt', promptPending: true });
  });
  it('prompt mode with a stored yes uses it', () => {
    sb.writeUserConfig({ tools: { [TOOL]: { level: 'usage', via: 'prompt' } } });
    const d = decide({ prompt: true });
    expect(d).toMatchObject({ level: 'usage', source: `user:tool:${TOOL}` });
    expect(d.promptPending).toBeUndefined();
  });
  it('prompt mode with an opt-out is not pending', () => {
    sb.env.DO_NOT_TRACK = 'yes';
    expect(decide({ prompt: true }).promptPending).toBeUndefined();
  });
  it('CI gives throwaway ids and never the stored install id', () => {
    sb.writeUserConfig({ installId: 'abc-123' });
    expect(decide()).toMatchObject({ identity: 'install', installId: 'abc-123', ci: false });
    sb.env.CI = 'true';
    const d = decide();
    expect(d).toMatchObject({ ci: true, identity: 'session' });
    expect(d.installId).toBeUndefined();
    sb.env.CI = 'false';
    expect(decide().ci).toBe(false);
    delete sb.env.CI;
    sb.env.GITHUB_ACTIONS = 'true';
    expect(decide().ci).toBe(true);
  });
  it('identity none / session from the tool options', () => {
    sb.writeUserConfig({ installId: 'abc-123' });
    expect(decide({ identity: 'none' })).toMatchObject({ identity: 'none' });
    expect(decide({ identity: 'session' }).installId).toBeUndefined();
  });
  it('a tool without a name still honours the global sources', () => {
    sb.env.DEVTOOL_TELEMETRY_DISABLED = 'on';
    const d = resolveConsent({ env: sb.env, cwd: sb.cwd, tool: { options: {}, problems: [] } });
    expect(d).toMatchObject({ level: 'off', source: 'env:DEVTOOL_TELEMETRY_DISABLED' });
    expect(d.reports.some((r) => r.source.startsWith('user:tool'))).toBe(false);
  });
  it('never throws on absurd input', () => {
    const d = resolveConsent({ env: sb.env, cwd: '\0bad', tool: null as unknown as ToolIdentity });
    expect(d.level).toBe('off');
  });
});

describe('fast opt-out path agrees with the full evaluation', () => {
  // The preload takes a shortcut when the policy or the environment opts out; reading `reports`
  // runs the full evaluation. Both must name the same source and level, with only that one decided.
  const rows: Array<[string, (s: Sandbox) => void]> = [
    ['policy off + DO_NOT_TRACK', (s) => { s.writePolicy({ telemetry: 'off' }); s.env.DO_NOT_TRACK = '1'; }],
    ['policy minimal + OTEL_SDK_DISABLED', (s) => { s.writePolicy({ maxLevel: 'minimal' }); s.env.OTEL_SDK_DISABLED = 'true'; }],
    ['tool level invalid + user full', (s) => { s.env.FIXTURE_TOOL_TELEMETRY_LEVEL = 'x'; s.writeUserConfig({ all: { level: 'full' } }); }],
    ['DEVTOOL_TELEMETRY_LEVEL=off + project off', (s) => { s.env.DEVTOOL_TELEMETRY_LEVEL = 'off'; s.writeProject(s.repo, { telemetry: 'off' }); }],
    ['DO_NOT_TRACK=0 + DEVTOOL_TELEMETRY_DISABLED=on', (s) => { s.env.DO_NOT_TRACK = '0'; s.env.DEVTOOL_TELEMETRY_DISABLED = 'on'; }],
  ];
  it.each(rows)('%s', (_n, set) => {
    set(sb);
    const d = decide({ prompt: true });
    const summary = { level: d.level, source: d.source, ci: d.ci, identity: d.identity, installId: d.installId, promptPending: d.promptPending };
    const decided = d.reports.filter((r) => r.decided);
    expect(decided.map((r) => r.source)).toEqual([d.source]);
    expect(summary.level).toBe('off');
    expect(JSON.parse(JSON.stringify(d)).reports).toHaveLength(d.reports.length);
    expect(d.reports.some((r) => r.source === 'user:all')).toBe(true);
  });
});

describe('any-tool opt-out: decided before the tool is known', () => {
  // The preload checks the opt-outs every tool obeys before it looks the tool's package.json up.
  // Where that shortcut answers, it must answer exactly as the full evaluation; elsewhere, not at all.
  const yes: Array<[string, Record<string, string>]> = [
    ['DO_NOT_TRACK=1', { DO_NOT_TRACK: '1' }],
    ['DEVTOOL_TELEMETRY_DISABLED=true', { DEVTOOL_TELEMETRY_DISABLED: 'true' }],
    ['OTEL_SDK_DISABLED=true', { OTEL_SDK_DISABLED: 'true' }],
    ['DO_NOT_TRACK=maybe (does not parse: off, safer)', { DO_NOT_TRACK: 'maybe' }],
    ['DO_NOT_TRACK=0 + DEVTOOL_TELEMETRY_DISABLED=on', { DO_NOT_TRACK: '0', DEVTOOL_TELEMETRY_DISABLED: 'on' }],
    ['DO_NOT_TRACK=1 under CI (ci as the full evaluation says)', { DO_NOT_TRACK: '1', CI: 'true' }],
  ];
  it.each(yes)("%s: the full evaluation's decision, the tool looked up only for `reports`", (_n, vars) => {
    Object.assign(sb.env, vars);
    let lookups = 0;
    const d = anyToolOptOut(sb.env, sb.cwd, () => (lookups++, tool()));
    const full = decide();
    expect(d).toBeDefined();
    expect({ level: d!.level, source: d!.source, ci: d!.ci, identity: d!.identity }).toEqual({ level: 'off', source: full.source, ci: full.ci, identity: full.identity });
    expect(lookups).toBe(0);
    expect(d!.reports.filter((r) => r.decided).map((r) => r.source)).toEqual([full.source]);
    expect(lookups).toBe(1);
  });
  const no: Array<[string, (s: Sandbox) => void]> = [
    ['a policy file exists (it comes first, and may name this tool)', (s) => { s.writePolicy({ maxLevel: 'full' }); s.env.DO_NOT_TRACK = '1'; }],
    ['the policy path is a directory (the full evaluation says what that means)', (s) => { fs.mkdirSync(s.policy, { recursive: true }); s.env.DO_NOT_TRACK = '1'; }],
    ["only the tool's own variable opts out", (s) => { s.env.FIXTURE_TOOL_TELEMETRY_DISABLED = '1'; }],
    ['OTEL_SDK_DISABLED=1 (only `true` disables, as the spec says)', (s) => { s.env.OTEL_SDK_DISABLED = '1'; }],
    ['DEVTOOL_TELEMETRY_LEVEL=off (a tool-specific level would come before it)', (s) => { s.env.DEVTOOL_TELEMETRY_LEVEL = 'off'; }],
    ['nothing opts out', () => {}],
  ];
  it.each(no)('%s: left to the full evaluation', (_n, set) => {
    set(sb);
    expect(anyToolOptOut(sb.env, sb.cwd, () => tool())).toBeUndefined();
  });
});
