import { lockFile } from '../../src/spool/layout';
// The runner and the fixtures: the sandbox really isolates, every fixture verb produces the
// documented baseline without any preload, signals/timeouts behave, and each preload mode really
// loads the preload (DEVTOOL_TELEMETRY_DEBUG makes it speak on stderr).
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startReceiver, type Receiver } from './otlp-receiver';
import {
  cleanEnv,
  isAlive,
  listSpool,
  makeSandbox,
  runFixture,
  runPlain,
  waitForFile,
  waitUntil,
  type PreloadMode,
  type RunResult,
} from './run-fixture';

const sandbox = makeSandbox();
afterAll(() => sandbox.cleanup());

const SCRIPTS = { cjs: 'fixture-tool/cli.js', esm: 'fixture-esm/cli.mjs' } as const;

describe('sandbox', () => {
  it('drops every variable that could change a run, keeps PATH', () => {
    const inherited = {
      PATH: '/usr/bin',
      KEEP_ME: 'yes',
      DO_NOT_TRACK: '1',
      DEVTOOL_TELEMETRY_DISABLED: '1',
      DEVTOOL_TELEMETRY_DEBUG: '1',
      FIXTURE_TOOL_TELEMETRY_DISABLED: '1',
      NEXT_TELEMETRY_DISABLED: '1',
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://x',
      OTEL_SDK_DISABLED: 'true',
      NODE_OPTIONS: '--require x',
      CI: 'true',
      GITHUB_ACTIONS: 'true',
      GITLAB_CI: 'true',
      BUILDKITE: 'true',
      CLAUDECODE: '1',
      CURSOR_TRACE_ID: 'abc',
      AI_AGENT: 'x',
      HTTPS_PROXY: 'http://proxy',
      no_proxy: '*',
      HOME: '/root',
      XDG_CONFIG_HOME: '/somewhere',
      VITEST_POOL_ID: '1',
    };
    expect(cleanEnv(inherited)).toEqual({ PATH: '/usr/bin', KEEP_ME: 'yes' });
  });

  it('gives the child a private HOME, XDG dirs and a policy path that does not exist', async () => {
    const probe = path.join(sandbox.root, 'print-env.js');
    fs.writeFileSync(probe, 'console.log(JSON.stringify({ cwd: process.cwd(), env: process.env }))');
    const env = { ...sandbox.env };
    const res = await runPlain({ script: probe, env });
    const { cwd, env: childEnv } = JSON.parse(res.stdout) as { cwd: string; env: Record<string, string> };
    expect(cwd).toBe(sandbox.cwd);
    expect(childEnv.HOME).toBe(sandbox.home);
    expect(childEnv.XDG_CONFIG_HOME).toBe(sandbox.configHome);
    expect(childEnv.XDG_CACHE_HOME).toBe(sandbox.cacheHome);
    expect(childEnv.DEVTOOL_TELEMETRY_POLICY_FILE).toBe(sandbox.policyFile);
    expect(fs.existsSync(sandbox.policyFile)).toBe(false);
    expect(childEnv.PATH).toBe(process.env.PATH);
    for (const k of Object.keys(childEnv)) expect(k).not.toMatch(/^(OTEL_|DO_NOT_TRACK$|NODE_OPTIONS$|CI$|VITEST)/);
  });
});

/** The documented baseline of each verb, without any preload. */
const BASELINE: Array<{ args: string[]; code: number | null; signal?: string; stdout?: string; stderr?: RegExp }> = [
  { args: ['ok'], code: 0, stdout: 'ok: stdout line\n', stderr: /^ok: stderr line\n$/ },
  { args: ['exitcode', '2'], code: 2, stdout: 'setting exitCode\n' },
  { args: ['fail-exit', '3'], code: 3, stdout: 'exiting synchronously\n' },
  { args: ['async-exit', '4'], code: 4, stdout: 'exiting from async code\n' },
  { args: ['throw'], code: 1, stdout: '', stderr: /TypeError: secret message/ },
  { args: ['reject'], code: 1, stdout: '', stderr: /RangeError: secret message/ },
  { args: ['replace-exit', '5'], code: 5, stdout: 'wrapped exit 5\n' },
  { args: ['step'], code: 0, stdout: 'steps done\n' },
  { args: ['llm'], code: 0, stdout: 'llm failed: RateLimitError\nllm done\n' },
  { args: ['no-such-verb'], code: 64, stdout: '' },
];

describe.each(Object.entries(SCRIPTS))('%s fixture baseline (no preload)', (_kind, script) => {
  it.each(BASELINE.map((b) => [b.args.join(' '), b] as const))('%s', async (_name, b) => {
    const res = await runPlain({ script, args: b.args, env: sandbox.env });
    expect({ code: res.code, signal: res.signal }).toEqual({ code: b.code, signal: null });
    if (b.stdout !== undefined) expect(res.stdout).toBe(b.stdout);
    if (b.stderr) expect(res.stderr).toMatch(b.stderr);
    expect(res.stdioHeldOpen).toBe(false);
  });

  it('wait + SIGTERM once ready: killed by the signal', async () => {
    const res = await runPlain({ script, args: ['wait'], env: sandbox.env, signalAfterMs: { signal: 'SIGTERM', whenStdoutIncludes: 'ready' } });
    expect(res).toMatchObject({ code: null, signal: 'SIGTERM', stdout: 'ready\n' });
    expect(res.ms).toBeLessThan(10_000);
  });

  it('wait + SIGINT after a delay: killed by the signal', async () => {
    const res = await runPlain({ script, args: ['wait'], env: sandbox.env, signalAfterMs: { signal: 'SIGINT', afterMs: 400 } });
    expect(res).toMatchObject({ code: null, signal: 'SIGINT', stdout: 'ready\n' });
  });

  it('own-handler + SIGTERM: the app handler decides (exit 0)', async () => {
    const res = await runPlain({ script, args: ['own-handler'], env: sandbox.env, signalAfterMs: { signal: 'SIGTERM', whenStdoutIncludes: 'ready' } });
    expect(res).toMatchObject({ code: 0, signal: null, stdout: 'ready\nown handler ran\n' });
  });
});

describe('runner mechanics', () => {
  it('sandbox cleanup stops a shipper still holding its lock, then removes everything', async () => {
    const s = makeSandbox();
    const lock = lockFile(s.env);
    fs.mkdirSync(path.dirname(lock), { recursive: true });
    const sleeper = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 20000)'], { stdio: 'ignore' });
    const exited = new Promise((r) => sleeper.once('exit', (_c, sig) => r(sig)));
    try {
      fs.writeFileSync(lock, JSON.stringify({ pid: sleeper.pid, token: 't', startedAt: Date.now() }));
      s.cleanup();
      await expect(exited).resolves.toBe('SIGKILL');
      expect(fs.existsSync(s.root)).toBe(false);
    } finally {
      sleeper.kill('SIGKILL');
    }
  });

  it('kills a child that outlives timeoutMs and says so', async () => {
    const started = Date.now();
    await expect(runPlain({ script: SCRIPTS.cjs, args: ['wait'], env: sandbox.env, timeoutMs: 600 })).rejects.toThrow(
      /timed out after 600 ms and was killed[\s\S]*--- stdout ---\nready/,
    );
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('flags stdio held open by a descendant instead of waiting for it', async () => {
    const script = path.join(sandbox.root, 'leaky.js');
    fs.writeFileSync(
      script,
      `const c = require('child_process').spawn(process.execPath, ['-e', 'setTimeout(() => {}, 4000)'], { detached: true, stdio: 'inherit' });
       c.unref(); console.log(c.pid);`,
    );
    const res = await runPlain({ script, env: sandbox.env });
    const grandchild = Number(res.stdout.trim());
    try {
      expect(res.code).toBe(0);
      expect(res.stdioHeldOpen).toBe(true);
      expect(res.ms).toBeLessThan(2000);
    } finally {
      if (isAlive(grandchild)) process.kill(grandchild, 'SIGKILL');
    }
  });

  it('writes input to stdin', async () => {
    const script = path.join(sandbox.root, 'echo.js');
    fs.writeFileSync(script, `let s = ''; process.stdin.on('data', (d) => (s += d)).on('end', () => console.log(s.toUpperCase()));`);
    const res = await runPlain({ script, env: sandbox.env, input: 'hello' });
    expect(res.stdout).toBe('HELLO\n');
  });

  it('waitForFile and listSpool see files under the sandbox cache dir', async () => {
    const s = makeSandbox();
    try {
      expect(listSpool(s.env)).toEqual([]);
      const file = path.join(s.cacheHome, 'devtool-telemetry', 'spool', 'a.json');
      setTimeout(() => {
        fs.mkdirSync(path.dirname(file), { recursive: true });
        fs.writeFileSync(file, '{"v":1}');
      }, 100);
      await expect(waitForFile(file, 3000, (c) => c.includes('"v"'))).resolves.toBe('{"v":1}');
      expect(listSpool(s.env)).toEqual([path.join('spool', 'a.json')]);
      await expect(waitForFile(path.join(s.root, 'never'), 100)).rejects.toThrow(/not ready after 100 ms/);
      await expect(waitUntil(() => false, 50, 'nothing')).rejects.toThrow(/nothing not met/);
    } finally {
      s.cleanup();
    }
    expect(fs.existsSync(s.root)).toBe(false);
  });
});

describe('preload modes', () => {
  let receiver: Receiver;
  afterAll(async () => {
    await receiver?.close();
  });

  const cases: Array<[PreloadMode, string]> = [
    ['require', SCRIPTS.cjs],
    ['node-options', SCRIPTS.cjs],
    ['import', SCRIPTS.esm],
    ['node-options-import', SCRIPTS.esm],
  ];

  it.each(cases)('%s loads the preload and leaves %s output unchanged', async (mode, script) => {
    receiver ??= await startReceiver();
    // Debug mode: the preload explains itself on stderr and sends nothing.
    const env = { ...sandbox.env, DEVTOOL_TELEMETRY_DEBUG: '1', OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url };
    const plain: RunResult = await runPlain({ script, args: ['ok'], env });
    const pre = await runFixture({ script, args: ['ok'], env, mode });
    expect(plain.stderr).not.toMatch(/devtool-telemetry/);
    expect(pre.stderr).toMatch(/devtool-telemetry/);
    expect(pre.code).toBe(plain.code);
    expect(pre.stdout).toBe(plain.stdout);
    expect(pre.stdioHeldOpen).toBe(false);
  });
});
