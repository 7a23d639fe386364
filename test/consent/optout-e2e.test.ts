// Opt-outs, end to end: a real `node --require`/`--import` preload run of the fixture tool with a
// counting OTLP receiver as its endpoint. For every opt-out source: no connection at all, no file
// written or touched anywhere in the sandbox, output identical to a plain run, no notice. A positive
// control proves the same setup does connect when nothing opts out. Then the first-run notice: on
// stderr, before anything is spooled or sent, once.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { receiverPerFile, sandboxPerTest } from '../support/hooks';
import { copyFixture, preloadArgs, REPO_ROOT, runFixture, runPlain, type Env } from '../support/run-fixture';
import { batchFiles, waitForShipperIdle } from '../support/spool-helpers';

const QUIET_MS = 800;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Every file under `dir` with size and mtime: any write shows up as a difference. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const full = path.join(d, e.name);
      if (e.isDirectory()) {
        out[full + '/'] = 'dir';
        walk(full);
      } else {
        const st = fs.statSync(full);
        out[full] = `${st.size}:${st.mtimeMs}`;
      }
    }
  };
  walk(dir);
  return out;
}

beforeAll(() => {
  expect(fs.existsSync(path.join(REPO_ROOT, 'dist/cjs/register.js')), 'run `npm run build` first').toBe(true);
});
const receiver = receiverPerFile();
const sb = sandboxPerTest();

const configFile = () => path.join(sb.configHome, 'devtool-telemetry', 'config.json');
function writeJson(file: string, data: unknown) {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, typeof data === 'string' ? data : JSON.stringify(data));
}

interface Case { name: string; setup: (env: Env) => Env | { env: Env; script: string } }
const withPkg = (options: object) => (env: Env) => {
  const dir = copyFixture('fixture-tool', path.join(sb.root, 'tool-copy'));
  const pkgFile = path.join(dir, 'package.json');
  writeJson(pkgFile, { ...JSON.parse(fs.readFileSync(pkgFile, 'utf8')), devtoolTelemetry: options });
  return { env, script: path.join(dir, 'cli.js') };
};
const cases: Case[] = [
  { name: 'DO_NOT_TRACK=1', setup: (env) => ({ ...env, DO_NOT_TRACK: '1' }) },
  { name: 'DO_NOT_TRACK=banana (invalid: safer)', setup: (env) => ({ ...env, DO_NOT_TRACK: 'banana' }) },
  { name: 'DEVTOOL_TELEMETRY_DISABLED=true', setup: (env) => ({ ...env, DEVTOOL_TELEMETRY_DISABLED: 'true' }) },
  { name: 'OTEL_SDK_DISABLED=true', setup: (env) => ({ ...env, OTEL_SDK_DISABLED: 'true' }) },
  { name: 'FIXTURE_TOOL_TELEMETRY_DISABLED=YES', setup: (env) => ({ ...env, FIXTURE_TOOL_TELEMETRY_DISABLED: ' YES ' }) },
  { name: 'FIXTURE_TOOL_TELEMETRY_LEVEL=off', setup: (env) => ({ ...env, FIXTURE_TOOL_TELEMETRY_LEVEL: 'off' }) },
  { name: 'DEVTOOL_TELEMETRY_LEVEL=nonsense (invalid: safer)', setup: (env) => ({ ...env, DEVTOOL_TELEMETRY_LEVEL: 'nonsense' }) },
  { name: 'admin policy {"telemetry":"off"}', setup: (env) => { writeJson(sb.policyFile, { telemetry: 'off' }); return env; } },
  { name: 'admin policy corrupt (safer: off)', setup: (env) => { writeJson(sb.policyFile, '{"telemetry":'); return env; } },
  { name: 'project file {"telemetry":"off"} above cwd', setup: (env) => {
    writeJson(path.join(sb.cwd, '.devtool-telemetry.json'), { telemetry: 'off' });
    return env;
  } },
  { name: 'user config: tool off', setup: (env) => { writeJson(configFile(), { tools: { 'fixture-tool': { level: 'off' } } }); return env; } },
  { name: 'user config: all off', setup: (env) => { writeJson(configFile(), { all: { level: 'off' } }); return env; } },
  { name: 'tool default off (opt-in only)', setup: withPkg({ defaultLevel: 'off' }) },
  { name: 'prompt mode without a stored answer', setup: withPkg({ prompt: true }) },
];

async function assertSilent(env: Env, script: string) {
  const before = snapshot(sb.root);
  const plain = await runPlain({ script, args: ['ok'], env });
  for (const mode of ['require', 'import'] as const) {
    for (const verb of ['ok', 'llm', 'throw']) {
      const r = await runFixture({ script, args: [verb], env, mode });
      const base = verb === 'ok' ? plain : await runPlain({ script, args: [verb], env });
      expect(r.code, `${mode} ${verb}: ${r.stderr}`).toBe(base.code);
      expect(r.stdout).toBe(base.stdout);
      expect(r.stderr).not.toMatch(/devtool-telemetry/);
    }
  }
  await sleep(QUIET_MS);
  expect(receiver.connections).toBe(0);
  expect(receiver.requests).toHaveLength(0);
  expect(snapshot(sb.root)).toEqual(before);
}

describe('every opt-out: no connection, no file, no output change', () => {
  it.each(cases)('$name', async ({ setup }) => {
    const base: Env = { ...sb.env, OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url };
    const got = setup(base);
    const { env, script } = 'script' in got ? got as { env: Env; script: string } : { env: got as Env, script: 'fixture-tool/cli.js' };
    await assertSilent(env, script);
  });

  it('`devtool-telemetry disable` (the CLI) has the same effect', async () => {
    const env: Env = { ...sb.env, OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url };
    const r = await runPlain({ script: path.join(REPO_ROOT, 'bin/devtool-telemetry.js'), args: ['disable', '--tool', 'fixture-tool'], env });
    expect(r.code).toBe(0);
    await assertSilent(env, 'fixture-tool/cli.js');
  });

  it('positive control: the same setup with no opt-out connects and spools', async () => {
    const env: Env = { ...sb.env, OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url };
    const r = await runFixture({ script: 'fixture-tool/cli.js', args: ['ok'], env, mode: 'require' });
    expect(r.code).toBe(0);
    await receiver.waitFor(() => receiver.spans().length > 0, 15_000);
    expect(receiver.connections).toBeGreaterThan(0);
    await waitForShipperIdle(env);
  });
});

describe('first-run notice', () => {
  it('is on stderr before anything is spooled or sent, and only once', async () => {
    const env: Env = { ...sb.env, OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url };
    const plain = await runPlain({ script: 'fixture-tool/cli.js', args: ['ok'], env });

    // A long-running run: at the moment the tool says "ready", the notice must be on stderr and
    // nothing may have been spooled or sent yet.
    const { args, env: childEnv } = preloadArgs('require', env);
    const child = spawn(process.execPath, [...args, path.join(REPO_ROOT, 'test/fixtures/fixture-tool/cli.js'), 'wait'], { env: childEnv, cwd: sb.cwd });
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (c) => { stderr += c; });
    const atReady = await new Promise<{ stderr: string; connections: number; batches: number }>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no ready; stderr: ${stderr}`)), 15_000);
      child.stdout.on('data', (c) => {
        stdout += c;
        if (stdout.includes('ready')) {
          clearTimeout(t);
          resolve({ stderr, connections: receiver.connections, batches: batchFiles(env).length });
        }
      });
    });
    expect(atReady.stderr).toMatch(/fixture-tool collects anonymous telemetry \(level usage\)/);
    expect(atReady.stderr).toMatch(/FIXTURE_TOOL_TELEMETRY_DISABLED=1/);
    expect(atReady.connections).toBe(0);
    expect(atReady.batches).toBe(0);
    expect(stdout).not.toMatch(/telemetry/);
    const exited = new Promise((r) => child.on('exit', r));
    child.kill('SIGTERM');
    await exited;

    // Second and third runs: no notice; output as without the preload.
    for (let i = 0; i < 2; i++) {
      const r = await runFixture({ script: 'fixture-tool/cli.js', args: ['ok'], env, mode: 'require' });
      expect(r.stderr).toBe(plain.stderr);
      expect(r.stdout).toBe(plain.stdout);
    }
    // The first run died by SIGTERM without running JS (the preload installs no signal listener):
    // the shipper these runs started sent it from its start record.
    await receiver.waitFor(() => receiver.spans().some((s) => s.name === 'fixture-tool wait' && s.attributes['devtool.command.outcome'] === 'abnormal'), 15_000);
    const cfg = JSON.parse(fs.readFileSync(configFile(), 'utf8'));
    expect(cfg.tools['fixture-tool'].noticeShownAt).toBeTruthy();
    expect(cfg.installId).toMatch(/^[0-9a-f-]{36}$/);
    await waitForShipperIdle(env);
  });

  it('in CI: one line on stderr every run, no install id stored', async () => {
    const env: Env = { ...sb.env, OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, CI: 'true' };
    for (let i = 0; i < 2; i++) {
      const r = await runFixture({ script: 'fixture-tool/cli.js', args: ['ok'], env, mode: 'require' });
      const lines = r.stderr.split('\n').filter((l) => l.includes('devtool-telemetry'));
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/throwaway ids in CI/);
      expect(r.stdout).toBe('ok: stdout line\n');
    }
    expect(fs.existsSync(configFile())).toBe(false);
    await waitForShipperIdle(env);
  });
});
