// Issue 13, items 4 and 6: the machine policy always applies (an environment variable can only add a
// further policy), and an unreadable, unparsable or wrong-typed user or project config means off for
// what it could have said, with `status` saying why. Real processes for the promises, plus
// fast-check properties over the config readers with real files.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseLevel } from '../../src/settings/env-values';
import { resolveConsent } from '../../src/consent/resolve';
import { _resetTrust } from '../../src/storage/trusted-dir';
import { levelRank } from '../../src/model/levels';
import type { ToolIdentity } from '../../src/resource/tool';
import { makeSandbox as makeConsentSandbox, type Sandbox as ConsentSandbox } from '../consent/sandbox';
import { receiverPerFile, sandboxPerTest } from '../support/hooks';
import { registerPath, REPO_ROOT, runFixture, runPlain, fixturePath, type Env } from '../support/run-fixture';
import { waitForShipperIdle } from '../support/spool-helpers';

const CLI = path.join(REPO_ROOT, 'bin/devtool-telemetry.js');
const NOTICE = /This notice is shown once/;

const receiver = receiverPerFile();
const sb = sandboxPerTest({ waitForShipper: true });

/**
 * Run `node <args>` in a private mount namespace whose /etc is an overlay, with `policy` (if any)
 * at /etc/devtool-telemetry/policy.json: the machine policy is really there, for this process only.
 */
function withMachinePolicy(policy: string | undefined, args: string[], env: Env): { code: number | null; stdout: string; stderr: string } {
  const ov = fs.mkdtempSync(path.join(sb.root, 'overlay-'));
  fs.mkdirSync(path.join(ov, 'upper'));
  fs.mkdirSync(path.join(ov, 'work'));
  const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  const script = [
    'set -e',
    'mount --make-rprivate /',
    `mount -t overlay overlay -o lowerdir=/etc,upperdir=${quote(path.join(ov, 'upper'))},workdir=${quote(path.join(ov, 'work'))} /etc`,
    ...(policy === undefined ? [] : ['mkdir -p /etc/devtool-telemetry', `printf '%s' ${quote(policy)} > /etc/devtool-telemetry/policy.json`]),
    `cd ${quote(sb.cwd)}`,
    `exec ${quote(process.execPath)} ${args.map(quote).join(' ')}`,
  ].join('\n');
  const r = spawnSync('unshare', ['-m', 'sh', '-c', script], { env, encoding: 'utf8', timeout: 20_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const canNamespace = process.platform === 'linux' && process.getuid?.() === 0 && spawnSync('unshare', ['-m', 'true']).status === 0;

describe.runIf(canNamespace)('item 4: the machine policy always applies', () => {
  it('/etc/devtool-telemetry/policy.json locks telemetry off even when DEVTOOL_TELEMETRY_POLICY_FILE points elsewhere', async () => {
    const elsewhere = path.join(sb.root, 'permissive.json');
    fs.writeFileSync(elsewhere, '{"telemetry":"on"}');
    const env: Env = { ...sb.env, DEVTOOL_TELEMETRY_POLICY_FILE: elsewhere, OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url };
    const tool = [ '--require', registerPath('require'), fixturePath('fixture-tool/cli.js'), 'ok'];
    // Control: without a machine policy the same run records (the notice is shown).
    const open = withMachinePolicy(undefined, tool, env);
    expect(open.code).toBe(0);
    expect(open.stderr).toMatch(NOTICE);
    await receiver.waitFor(() => receiver.spans().length > 0);
    await waitForShipperIdle(env);
    receiver.reset();

    const locked = withMachinePolicy('{"telemetry":"off"}', tool, env);
    expect(locked.code).toBe(0);
    expect(locked.stdout).toBe('ok: stdout line\n');
    expect(locked.stderr).toBe('ok: stderr line\n');
    const status = withMachinePolicy('{"telemetry":"off"}', [CLI, 'status', '--tool', 'fixture-tool'], env);
    expect(status.stdout).toMatch(/OFF/);
    expect(status.stdout).toMatch(/policy:\/etc\/devtool-telemetry\/policy\.json/);
    // A corrupt machine policy is off as well (a broken lock must not open the door).
    const corrupt = withMachinePolicy('{"telemetry":', [CLI, 'status', '--tool', 'fixture-tool'], env);
    expect(corrupt.stdout).toMatch(/OFF/);
    await new Promise((res) => setTimeout(res, 500));
    expect(receiver.connections).toBe(0);
  });

  it('DEVTOOL_TELEMETRY_POLICY_FILE adds a further policy: it can lower, never lift, the machine one', () => {
    const extra = path.join(sb.root, 'extra.json');
    fs.writeFileSync(extra, '{"maxLevel":"minimal"}');
    const env: Env = { ...sb.env, DEVTOOL_TELEMETRY_POLICY_FILE: extra };
    const both = withMachinePolicy('{"maxLevel":"usage"}', [CLI, 'status', '--tool', 'fixture-tool', '--json'], env);
    const s = JSON.parse(both.stdout);
    expect(s.level).toBe('minimal');
    expect(s.reports.map((r: { source: string }) => r.source)).toEqual(expect.arrayContaining(['policy:/etc/devtool-telemetry/policy.json', `policy:${extra}`]));
    fs.writeFileSync(extra, '{"telemetry":"on","maxLevel":"full"}');
    const lift = withMachinePolicy('{"maxLevel":"minimal"}', [CLI, 'status', '--tool', 'fixture-tool', '--json'], env);
    expect(JSON.parse(lift.stdout).level).toBe('minimal');
  });
});

describe('item 6: a broken config file means off for what it could have said', () => {
  const configFile = () => path.join(sb.configHome, 'devtool-telemetry', 'config.json');

  it('disable --all, then a trailing comma: still off, nothing sent, status says why', async () => {
    const env: Env = { ...sb.env, OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url };
    expect((await runPlain({ script: CLI, args: ['disable', '--all'], env })).code).toBe(0);
    const text = fs.readFileSync(configFile(), 'utf8');
    fs.writeFileSync(configFile(), text.replace(/\}\s*$/, ',}\n'));
    const r = await runFixture({ script: 'fixture-tool/cli.js', args: ['ok'], env, mode: 'require' });
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('ok: stderr line\n');
    const status = await runPlain({ script: CLI, args: ['status', '--tool', 'fixture-tool'], env });
    expect(status.stdout).toMatch(/OFF/);
    expect(status.stdout).toMatch(/user config not valid JSON/);
    await new Promise((res) => setTimeout(res, 500));
    expect(receiver.connections).toBe(0);
    expect(fs.existsSync(path.join(sb.cacheHome, 'devtool-telemetry', 'destinations'))).toBe(false);
  });

  it('{"tools":{"<tool>":"off"}} (wrong shape) is off for that tool, not for others; a broken project file is off', async () => {
    const env: Env = { ...sb.env, OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url };
    fs.mkdirSync(path.dirname(configFile()), { recursive: true });
    fs.writeFileSync(configFile(), '{"tools":{"fixture-tool":"off"}}');
    const r = await runFixture({ script: 'fixture-tool/cli.js', args: ['ok'], env, mode: 'require' });
    expect(r.stderr).toBe('ok: stderr line\n');
    const status = await runPlain({ script: CLI, args: ['status', '--tool', 'fixture-tool'], env });
    expect(status.stdout).toMatch(/OFF/);
    expect(status.stdout).toMatch(/not an object/);
    const other = await runPlain({ script: CLI, args: ['status', '--tool', 'another-tool'], env });
    expect(other.stdout).toMatch(/USAGE/);

    fs.writeFileSync(configFile(), '{}');
    fs.writeFileSync(path.join(sb.cwd, '.devtool-telemetry.json'), '{"telemetry": "off",}');
    const proj = await runPlain({ script: CLI, args: ['status', '--tool', 'fixture-tool'], env });
    expect(proj.stdout).toMatch(/OFF/);
    expect(proj.stdout).toMatch(/project file not valid JSON/);
    await new Promise((res) => setTimeout(res, 300));
    expect(receiver.connections).toBe(0);
  });
});

describe('item 6: properties of the config readers (fast-check, real files)', () => {
  const TOOL = 'fixture-tool';
  const tool: ToolIdentity = { name: TOOL, version: '1.0.0', options: {}, problems: [] };
  let csb: ConsentSandbox;
  beforeEach(() => {
    csb = makeConsentSandbox();
    _resetTrust();
  });
  afterEach(() => csb.cleanup());
  const decide = () => resolveConsent({ env: csb.env, cwd: csb.cwd, tool });
  const isValidJson = (s: string) => {
    try {
      JSON.parse(s);
      return true;
    } catch {
      return false;
    }
  };
  const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

  it('any unparsable user config, project file or policy text: off, never a throw', () => {
    const where = fc.constantFrom('user', 'project', 'policy');
    fc.assert(
      fc.property(where, fc.string({ maxLength: 200 }).filter((s) => s.trim() !== '' && !isValidJson(s)), (w, text) => {
        fs.rmSync(csb.root + '/config', { recursive: true, force: true });
        fs.rmSync(path.join(csb.repo, '.devtool-telemetry.json'), { force: true });
        fs.rmSync(csb.policy, { force: true });
        if (w === 'user') csb.writeUserConfig(text);
        else if (w === 'project') csb.writeProject(csb.repo, text);
        else csb.writePolicy(text);
        const d = decide();
        expect(d.level).toBe('off');
        expect(d.reports.find((r) => r.decided)?.problem).toMatch(/not valid JSON/);
      }),
      { numRuns: 150 },
    );
  });

  it('any JSON value as this tool\'s user entry: its level if it is a well-formed entry, else off', () => {
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue(), fc.record({ level: fc.oneof(fc.constantFrom('off', 'minimal', 'usage', 'full', ' Full ', 'lots', ''), fc.jsonValue()) })), (entry) => {
        csb.writeUserConfig({ tools: { [TOOL]: entry } });
        const d = decide();
        let want: string;
        if (!isObj(entry)) want = 'off';
        else {
          const p = parseLevel(entry.level);
          want = p.kind === 'unset' ? 'usage' : p.kind === 'invalid' ? 'off' : p.level;
        }
        expect(d.level).toBe(want);
      }),
      { numRuns: 200 },
    );
  });

  it('any JSON value as a whole project file never raises the level above the default, and non-objects are off', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        csb.writeProject(csb.repo, JSON.stringify(value));
        const d = decide();
        expect(levelRank(d.level)).toBeLessThanOrEqual(levelRank('usage'));
        if (!isObj(value)) expect(d.level).toBe('off');
        if (isObj(value) && value.tools !== undefined && !isObj(value.tools)) expect(d.level).toBe('off');
      }),
      { numRuns: 200 },
    );
  });

  it('any bytes in the user config: the resolver never throws, and anything but a valid object is off', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 120 }), (bytes) => {
        fs.mkdirSync(path.dirname(csb.userConfigFile), { recursive: true });
        fs.writeFileSync(csb.userConfigFile, bytes);
        const text = Buffer.from(bytes).toString('utf8');
        const d = decide();
        let parsed: unknown;
        try {
          parsed = JSON.parse(text);
        } catch {
          parsed = undefined;
        }
        if (!isObj(parsed)) expect(d.level).toBe('off');
      }),
      { numRuns: 200 },
    );
  });
});
