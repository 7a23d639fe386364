// Every verb of the consent CLI end to end: `node bin/devtool-telemetry.js ...` as a real process
// in a temp HOME / XDG sandbox (requires `npm run build`, as `npm test` does through pretest).
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Batch } from '../../src/model/records';
import { runsDir } from '../../src/spool/start-record';
import { writeBatch } from '../../src/spool/spool';
import { FIXTURE_SECRETS, makeSandbox, REPO_ROOT, runFixture, type Env, type Sandbox } from '../support/run-fixture';
import { freePort } from '../support/otlp-receiver';
import { batchFiles } from '../support/spool-helpers';

const BIN = path.join(REPO_ROOT, 'bin', 'devtool-telemetry.js');
const CLI_MODULE = path.join(REPO_ROOT, 'dist', 'cjs', 'cli', 'index.js');

interface Out { code: number | null; stdout: string; stderr: string }

function run(file: string, args: string[], env: Env, cwd: string): Promise<Out> {
  return new Promise((resolve) => {
    execFile(process.execPath, [file, ...args], { env, cwd, timeout: 20_000 }, (err, stdout, stderr) => {
      const code = err ? ((err as { code?: unknown }).code as number | null) : 0;
      resolve({ code: typeof code === 'number' ? code : null, stdout, stderr });
    });
  });
}

let sb: Sandbox;
let configFile: string;
const cli = (args: string[], env: Env = sb.env, cwd = sb.cwd) => run(BIN, args, env, cwd);
/** The verbs mounted inside a tool's own CLI: `fixture-tool telemetry <verb>`. */
const mounted = (args: string[], env: Env = sb.env) =>
  run('-e', [`require(${JSON.stringify(CLI_MODULE)}).runCli(process.argv.slice(1), { tool: 'fixture-tool' }).then((c) => { process.exitCode = c; })`, ...args], env, sb.cwd);
const readConfig = () => JSON.parse(fs.readFileSync(configFile, 'utf8'));

beforeEach(() => {
  expect(fs.existsSync(CLI_MODULE), 'run `npm run build` first').toBe(true);
  sb = makeSandbox();
  configFile = path.join(sb.configHome, 'devtool-telemetry', 'config.json');
});
afterEach(() => sb.cleanup());

function sampleBatch(service = 'fixture-tool'): Batch {
  const now = Date.now();
  return {
    v: 1, id: `b${now}`, createdAt: now, level: 'usage',
    resource: { 'service.name': service, 'service.version': '1.2.3', 'host.name': 'alice-laptop' },
    spans: [{
      traceId: 'a'.repeat(32), spanId: 'b'.repeat(16), name: 'fixture-tool build', kind: 1,
      startTimeUnixNano: String(now * 1e6), endTimeUnixNano: String(now * 1e6 + 5e6),
      attributes: { 'process.exit.code': 0, 'process.command_args': ['--token', 'sk-FIXTURE-0123456789abcdef'], 'user.email': 'alice@example.com' },
      events: [], links: [], status: { code: 2, message: 'TypeError: secret message /home/alice/project' },
    }],
    metrics: [],
  };
}

describe('status', () => {
  it('defaults: usage decided by the tool default; text, --json and --explain agree', async () => {
    const text = await cli(['status', '--tool', 'fixture-tool']);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/Telemetry for fixture-tool: USAGE/);
    expect(text.stdout).toMatch(/decided by: +default:tool/);
    expect(text.stderr).toBe('');
    const json = await cli(['status', '--tool', 'fixture-tool', '--json']);
    const s = JSON.parse(json.stdout);
    expect(s).toMatchObject({ tool: 'fixture-tool', level: 'usage', source: 'default:tool', installId: null });
    expect(s.reports.map((r: { source: string }) => r.source)).toEqual(expect.arrayContaining(['env:DO_NOT_TRACK', 'env:FIXTURE_TOOL_TELEMETRY_DISABLED', 'user:all', 'default:tool']));
    const explain = await cli(['status', '--tool', 'fixture-tool', '--explain']);
    for (const r of s.reports) expect(explain.stdout).toContain(r.source);
    expect(explain.stdout).toMatch(/=> default:tool[\s\S]*DECIDES/);
  });
  it('no verb means status', async () => {
    const r = await cli([]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Telemetry for .*: USAGE/);
  });
  it('reports the deciding opt-out and the strict-parse problem', async () => {
    const r = await cli(['status', '--explain', '--tool', 'fixture-tool'], { ...sb.env, DO_NOT_TRACK: 'banana' });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/: OFF/);
    expect(r.stdout).toMatch(/decided by: +env:DO_NOT_TRACK/);
    expect(r.stdout).toMatch(/DO_NOT_TRACK=banana is not a boolean/);
    expect(r.stdout).toMatch(/raw: "banana" +parsed: invalid/);
  });
  it('DO_NOT_TRACK=0 does not opt out', async () => {
    const s = JSON.parse((await cli(['status', '--json'], { ...sb.env, DO_NOT_TRACK: '0' })).stdout);
    expect(s.level).toBe('usage');
    expect(s.reports.find((r: { source: string }) => r.source === 'env:DO_NOT_TRACK')).toMatchObject({ raw: '0', parsed: 'false', decided: false });
  });
  it('shows endpoint from OTEL_EXPORTER_OTLP_ENDPOINT without credentials', async () => {
    const s = JSON.parse((await cli(['status', '--json'], { ...sb.env, OTEL_EXPORTER_OTLP_ENDPOINT: 'https://user:pw@collector.example:4318/?token=abc' })).stdout);
    expect(s.endpoint.traces).toBe('https://collector.example:4318/v1/traces');
    expect(JSON.stringify(s)).not.toMatch(/pw@|token=abc/);
  });
  it('a corrupt user config and a corrupt policy are reported, not fatal', async () => {
    fs.mkdirSync(path.dirname(configFile), { recursive: true });
    fs.writeFileSync(configFile, '{"tools": {');
    fs.mkdirSync(path.dirname(sb.policyFile), { recursive: true });
    fs.writeFileSync(sb.policyFile, 'not json');
    const r = await cli(['status', '--tool', 'fixture-tool']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/: OFF/);
    expect(r.stdout).toMatch(/policy file not valid JSON/);
    expect(r.stdout).toMatch(/user config not valid JSON/);
  });
  it('a config dir the notice cannot be remembered in: status says OFF and why, as the runs do', async () => {
    // Unprivileged: a 0500 directory. Root ignores permission bits: a path under sysfs, where mkdir
    // fails with EPERM even for root (test/consent/sandbox.ts does the same).
    const root = process.getuid?.() === 0;
    const configHome = root ? '/sys/devtool-telemetry-status-test' : path.join(sb.root, 'ro-config');
    if (!root) fs.mkdirSync(configHome, { mode: 0o500 });
    const env = { ...sb.env, XDG_CONFIG_HOME: configHome, OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${await freePort()}` };
    // what a run does: no notice, nothing spooled, no start record
    const run = await runFixture({ script: 'fixture-tool/cli.js', args: ['ok'], env, mode: 'require' });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).not.toMatch(/devtool-telemetry/);
    await new Promise((r) => setTimeout(r, 200));
    expect(batchFiles(env)).toEqual([]);
    expect(fs.existsSync(runsDir(env)) ? fs.readdirSync(runsDir(env)) : []).toEqual([]);
    // what status says
    const s = JSON.parse((await cli(['status', '--json', '--tool', 'fixture-tool'], env)).stdout);
    expect(s).toMatchObject({ level: 'off', source: 'notice', blocked: { consentLevel: 'usage', consentSource: 'default:tool' } });
    expect(s.blocked.why).toMatch(/first-run notice is due and cannot be remembered/);
    expect(s.blocked.why).toContain(configHome);
    const text = await cli(['status', '--tool', 'fixture-tool'], env);
    expect(text.stdout).toMatch(/Telemetry for fixture-tool: OFF/);
    expect(text.stdout).toMatch(/decided by: +notice \(the first-run notice is due and cannot be remembered: .*(EPERM|EACCES).*consent alone: usage, by default:tool\)/);
    expect(text.stdout).toMatch(/runs record nothing/);
    if (!root) fs.chmodSync(configHome, 0o700);
    // the same directory once writable: status says USAGE and a run records
    if (!root) {
      expect(JSON.parse((await cli(['status', '--json', '--tool', 'fixture-tool'], env)).stdout)).toMatchObject({ level: 'usage', blocked: null });
    }
  });
  it('an untrusted config dir (group-writable): status says OFF, and runs record nothing', async () => {
    const dir = path.join(sb.configHome, 'devtool-telemetry');
    fs.mkdirSync(dir, { recursive: true });
    fs.chmodSync(dir, 0o777);
    const env = { ...sb.env, OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${await freePort()}` };
    const run = await runFixture({ script: 'fixture-tool/cli.js', args: ['ok'], env, mode: 'require' });
    expect(run.code, run.stderr).toBe(0);
    await new Promise((r) => setTimeout(r, 200));
    expect(batchFiles(env)).toEqual([]);
    const s = JSON.parse((await cli(['status', '--json', '--tool', 'fixture-tool'], env)).stdout);
    expect(s.level).toBe('off');
    expect(JSON.stringify(s)).toMatch(/writable by group or others/);
  });
  it('a notice shown before: a config dir that cannot be written blocks nothing', async () => {
    fs.mkdirSync(path.dirname(configFile), { recursive: true });
    fs.writeFileSync(configFile, JSON.stringify({ installId: '0b6f7d2e-9c1a-4e8b-a5d3-7f2c1e9b4a60', tools: { 'fixture-tool': { noticeShownAt: '2026-01-01T00:00:00.000Z' } } }));
    const s = JSON.parse((await cli(['status', '--json', '--tool', 'fixture-tool'])).stdout);
    expect(s).toMatchObject({ level: 'usage', source: 'default:tool', blocked: null });
  });
  it('shows spool size and the last successful send from the sent log', async () => {
    writeBatch(sampleBatch(), sb.env);
    const cache = path.join(sb.cacheHome, 'devtool-telemetry');
    const when = Date.UTC(2026, 10, 20, 8, 0, 0);
    fs.writeFileSync(path.join(cache, 'sent.log'), JSON.stringify({ time: when, signal: 'traces', endpoint: 'http://127.0.0.1:4318/v1/traces', result: 'ok', status: 200, batches: 1, items: 3, records: [], more: 0 }) + '\n');
    const s = JSON.parse((await cli(['status', '--json'])).stdout);
    expect(s.spool).toMatchObject({ pendingBatches: 1, pendingRecords: 1 });
    expect(s.lastSuccessfulSend).toMatchObject({ time: when, items: 3 });
    const text = await cli(['status']);
    expect(text.stdout).toMatch(/spool: +1 batch\(es\), 1 record\(s\)/);
    expect(text.stdout).toContain('last send:   2026-11-20T08:00:00.000Z');
  });
});

describe('enable / disable', () => {
  it('disable --tool stores off for that tool only, 0600; enable restores it', async () => {
    const d = await cli(['disable', '--tool', 'fixture-tool']);
    expect(d.code).toBe(0);
    expect(d.stdout).toMatch(/disabled for fixture-tool/);
    expect(readConfig().tools['fixture-tool'].level).toBe('off');
    expect(fs.statSync(configFile).mode & 0o777).toBe(0o600);
    expect(JSON.parse((await cli(['status', '--json', '--tool', 'fixture-tool'])).stdout)).toMatchObject({ level: 'off', source: 'user:tool:fixture-tool' });
    expect(JSON.parse((await cli(['status', '--json', '--tool', 'other-tool'])).stdout)).toMatchObject({ level: 'usage' });
    const e = await cli(['enable', '--tool', 'fixture-tool', '--level', 'full']);
    expect(e.code).toBe(0);
    expect(JSON.parse((await cli(['status', '--json', '--tool', 'fixture-tool'])).stdout)).toMatchObject({ level: 'full', source: 'user:tool:fixture-tool' });
  });
  it('disable with no tool means all tools; --all likewise; enable --all names the tools still off', async () => {
    expect((await cli(['disable'])).stdout).toMatch(/disabled for all tools/);
    expect(readConfig().all.level).toBe('off');
    expect(JSON.parse((await cli(['status', '--json', '--tool', 'anything'])).stdout)).toMatchObject({ level: 'off', source: 'user:all' });
    await cli(['disable', '--tool', 'fixture-tool']);
    const e = await cli(['enable', '--all']);
    expect(e.stdout).toMatch(/enabled \(level usage\) for all tools/);
    expect(e.stdout).toMatch(/still disabled by your own per-tool choice: fixture-tool/);
  });
  it('enable under DO_NOT_TRACK=1 says which source still decides', async () => {
    const r = await cli(['enable', '--tool', 'fixture-tool'], { ...sb.env, DO_NOT_TRACK: '1' });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/still off for fixture-tool: env:DO_NOT_TRACK decides/);
  });
  it('a corrupt config is kept aside and replaced', async () => {
    fs.mkdirSync(path.dirname(configFile), { recursive: true });
    fs.writeFileSync(configFile, '{oops');
    const r = await cli(['disable', '--tool', 'fixture-tool']);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/not valid JSON; it was kept as .*config\.json\.corrupt-/);
    expect(readConfig().tools['fixture-tool'].level).toBe('off');
    const aside = fs.readdirSync(path.dirname(configFile)).find((f) => f.includes('.corrupt-')) as string;
    expect(fs.readFileSync(path.join(path.dirname(configFile), aside), 'utf8')).toBe('{oops');
  });
  it('an unwritable config dir: a clear message and exit 1', async () => {
    // Root ignores permission bits; a path below a regular file fails for everyone (ENOTDIR).
    const blocker = path.join(sb.root, 'not-a-dir');
    fs.writeFileSync(blocker, '');
    const r = await cli(['disable'], { ...sb.env, XDG_CONFIG_HOME: path.join(blocker, 'config') });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/could not disable telemetry for all tools/);
    expect(r.stderr).toMatch(/XDG_CONFIG_HOME/);
    expect(r.stderr).toMatch(/DO_NOT_TRACK=1/);
    expect(r.stdout).toBe('');
  });
  it('bad command lines exit 2 with a pointer to help', async () => {
    for (const args of [['enable', '--level', 'lots'], ['disable', '--tool'], ['disable', '--all', '--tool', 'x'], ['status', '--frobnicate'], ['enable', 'extra'], ['disable', '--tool', '__proto__'], ['enable', '--tool', '../etc']]) {
      const r = await cli(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(/help/);
    }
    expect(fs.existsSync(configFile)).toBe(false);
  });
});

describe('mounted in a tool (`fixture-tool telemetry ...`)', () => {
  it('acts on the mounting tool by default', async () => {
    const d = await mounted(['disable']);
    expect(d.code).toBe(0);
    expect(d.stdout).toMatch(/disabled for fixture-tool/);
    expect(readConfig().tools['fixture-tool'].level).toBe('off');
    expect(readConfig().all).toBeUndefined();
    const s = await mounted(['status']);
    expect(s.stdout).toMatch(/Telemetry for fixture-tool: OFF/);
    expect(s.stdout).toMatch(/fixture-tool telemetry status --explain/);
    const h = await mounted(['help']);
    expect(h.stdout).toMatch(/Usage: fixture-tool telemetry <command>/);
  });
});

describe('reset', () => {
  it('gives a new install id and deletes unsent data', async () => {
    await cli(['status']);
    fs.mkdirSync(path.dirname(configFile), { recursive: true });
    fs.writeFileSync(configFile, JSON.stringify({ installId: 'old-id', tools: { 'fixture-tool': { level: 'minimal' } } }));
    writeBatch(sampleBatch(), sb.env);
    writeBatch(sampleBatch(), sb.env);
    expect(batchFiles(sb.env).length).toBe(2);
    const sessions = path.join(sb.cacheHome, 'devtool-telemetry', 'sessions');
    fs.mkdirSync(sessions, { recursive: true });
    fs.writeFileSync(path.join(sessions, 'fixture-tool-0badc0de.json'), '{"v":1}');
    // A start record carrying the old id (a run that might still die without JS and be sent later).
    const runs = runsDir(sb.env);
    fs.mkdirSync(runs, { recursive: true, mode: 0o700 });
    fs.writeFileSync(path.join(runs, '123-bbbbbbbbbbbbbbb2.run'), '{"v":1,"installId":"old-id"}');
    const r = await cli(['reset']);
    expect(r.code).toBe(0);
    const cfg = readConfig();
    expect(cfg.installId).toMatch(/^[0-9a-f-]{36}$/);
    expect(cfg.installId).not.toBe('old-id');
    expect(cfg.tools['fixture-tool'].level).toBe('minimal');
    expect(r.stdout).toContain(cfg.installId);
    expect(r.stdout).toMatch(/Removed 2 unsent batch/);
    expect(batchFiles(sb.env)).toEqual([]);
    expect(fs.readdirSync(sessions)).toEqual([]);
    expect(fs.readdirSync(runs)).toEqual([]);
    expect(r.stdout).toMatch(/Ended the current session/);
  });
});

describe('preview', () => {
  it('prints the newest spooled batch sanitized, sends nothing', async () => {
    writeBatch(sampleBatch(), sb.env);
    const before = batchFiles(sb.env);
    const r = await cli(['preview']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.from).toBe('spool');
    expect(out.batch.resource['service.name']).toBe('fixture-tool');
    expect(out.batch.spans).toHaveLength(1);
    for (const s of FIXTURE_SECRETS) expect(r.stdout).not.toContain(s);
    expect(r.stdout).not.toContain('alice-laptop');
    expect(r.stderr).toMatch(/Nothing was sent/);
    expect(batchFiles(sb.env)).toEqual(before);
  });
  it('after a real run with an unreachable collector: the run is what preview prints', async () => {
    const env = { ...sb.env, OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${await freePort()}` };
    const run = await runFixture({ script: 'fixture-tool/cli.js', args: ['throw'], env, mode: 'require' });
    expect(run.code).toBe(1);
    await new Promise((r) => setTimeout(r, 200));
    const r = await cli(['preview', '--tool', 'fixture-tool'], env);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.batch.resource['service.name']).toBe('fixture-tool');
    expect(out.batch.spans.length).toBeGreaterThan(0);
    for (const s of FIXTURE_SECRETS) expect(r.stdout).not.toContain(s);
  });
  it('with nothing recorded: says how to get records, exit 0, empty stdout', async () => {
    const r = await cli(['preview']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/no records yet/);
    expect(r.stderr).toMatch(/DEVTOOL_TELEMETRY_DEBUG=1/);
  });
});

describe('forget', () => {
  it('deletes config and cache; keeps opt-outs unless --everything', async () => {
    await cli(['disable', '--tool', 'fixture-tool']);
    await cli(['enable', '--tool', 'other-tool']);
    await cli(['reset']);
    writeBatch(sampleBatch(), sb.env);
    const cache = path.join(sb.cacheHome, 'devtool-telemetry');
    expect(fs.existsSync(cache)).toBe(true);
    const r = await cli(['forget']);
    expect(r.code).toBe(0);
    expect(fs.existsSync(cache)).toBe(false);
    const cfg = readConfig();
    expect(cfg.installId).toBeUndefined();
    expect(cfg.tools).toEqual({ 'fixture-tool': expect.objectContaining({ level: 'off' }) });
    expect(r.stdout).toMatch(/Kept your opt-outs \(fixture-tool\)/);
    const all = await cli(['forget', '--everything']);
    expect(all.code).toBe(0);
    expect(fs.existsSync(path.join(sb.configHome, 'devtool-telemetry'))).toBe(false);
  });
});

describe('schema and help', () => {
  it('schema prints the catalog as JSON', async () => {
    const r = await cli(['schema']);
    expect(r.code).toBe(0);
    const cat = JSON.parse(r.stdout);
    expect(Array.isArray(cat.attributes)).toBe(true);
    expect(cat.attributes.length).toBeGreaterThan(5);
    expect(cat.attributes.map((a: { key: string }) => a.key)).toContain('service.name');
  });
  it('help and unknown verbs', async () => {
    const h = await cli(['help']);
    expect(h.code).toBe(0);
    for (const v of ['status', 'enable', 'disable', 'reset', 'preview', 'forget', 'schema']) expect(h.stdout).toMatch(new RegExp(`^  ${v}`, 'm'));
    expect((await cli(['--help'])).stdout).toBe(h.stdout);
    const u = await cli(['frobnicate']);
    expect(u.code).toBe(2);
    expect(u.stderr).toMatch(/unknown command "frobnicate"/);
  });
  it('a closed stdout pipe does not crash the CLI', async () => {
    const r = await new Promise<Out>((resolve) => {
      execFile('/bin/sh', ['-c', `"${process.execPath}" "${BIN}" schema | head -c 10 >/dev/null; echo "rc=\${PIPESTATUS:-done}"`], { env: sb.env, cwd: sb.cwd }, (err, stdout, stderr) => resolve({ code: err ? 1 : 0, stdout, stderr }));
    });
    expect(r.stderr).not.toMatch(/EPIPE|Error/);
  });
});
