// Bad consent input under the real preload: the tool runs unchanged and never crashes; files we
// cannot trust are left alone; the CLI, not the preload, is where problems are explained.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { receiverPerFile, sandboxPerTest } from '../support/hooks';
import { REPO_ROOT, runFixture, runPlain, type Env } from '../support/run-fixture';
import { waitForShipperIdle } from '../support/spool-helpers';

const receiver = receiverPerFile();
const sb = sandboxPerTest();

const NOTICE = /^devtool-telemetry: [\s\S]*This notice is shown once\.\n/m;

describe('bad consent input under the preload', () => {
  it('an unusable config dir: the tool runs unchanged, no notice on every run, nothing sent; debug says why', async () => {
    const blocker = path.join(sb.root, 'file-not-dir');
    fs.writeFileSync(blocker, 'x');
    // A file where the config dir should be, and (as root) a file system that refuses mkdir.
    const homes = [path.join(blocker, 'config')];
    if (process.getuid?.() === 0) homes.push('/sys/devtool-telemetry-readonly-test');
    for (const home of homes) {
      const env: Env = { ...sb.env, XDG_CONFIG_HOME: home, OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url };
      const plain = await runPlain({ script: 'fixture-tool/cli.js', args: ['ok'], env });
      for (let i = 0; i < 2; i++) {
        const r = await runFixture({ script: 'fixture-tool/cli.js', args: ['ok'], env, mode: 'require' });
        expect(r.code).toBe(0);
        expect(r.stdout).toBe(plain.stdout);
        // The notice cannot be remembered: not shown (it would be on every run), and the run stays off.
        expect(r.stderr).toBe(plain.stderr);
      }
      const dbg = await runFixture({ script: 'fixture-tool/cli.js', args: ['ok'], env: { ...env, DEVTOOL_TELEMETRY_DEBUG: '1' }, mode: 'require' });
      expect(dbg.stderr).toMatch(/debug: telemetry off/);
      expect(dbg.stderr).not.toMatch(NOTICE);
    }
    expect(fs.existsSync(path.join(sb.cacheHome, 'devtool-telemetry', 'destinations'))).toBe(false);
    await new Promise((res) => setTimeout(res, 300));
    expect(receiver.connections).toBe(0);
  });

  it('a corrupt user config is never rewritten by the preload; status explains it', async () => {
    const file = path.join(sb.configHome, 'devtool-telemetry', 'config.json');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, '{"tools": {"fixture-tool": {"level": "off"');
    const env: Env = { ...sb.env, OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url };
    const plain = await runPlain({ script: 'fixture-tool/cli.js', args: ['exitcode', '7'], env });
    const r = await runFixture({ script: 'fixture-tool/cli.js', args: ['exitcode', '7'], env, mode: 'require' });
    expect(r.code).toBe(plain.code);
    expect(r.stdout).toBe(plain.stdout);
    expect(fs.readFileSync(file, 'utf8')).toBe('{"tools": {"fixture-tool": {"level": "off"');
    const status = await runPlain({ script: path.join(REPO_ROOT, 'bin/devtool-telemetry.js'), args: ['status', '--tool', 'fixture-tool'], env });
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/user config not valid JSON/);
    // It could have said off (it did, before the typo): the safer reading is off, nothing is sent.
    expect(status.stdout).toMatch(/off/);
    expect(fs.existsSync(path.join(sb.cacheHome, 'devtool-telemetry', 'destinations'))).toBe(false);
    await waitForShipperIdle(env);
    expect(receiver.connections).toBe(0);
  });

  it('a corrupt project file turns telemetry off; debug says why', async () => {
    fs.writeFileSync(path.join(sb.cwd, '.devtool-telemetry.json'), '{"telemetry": off}');
    const env: Env = { ...sb.env, OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, DEVTOOL_TELEMETRY_DEBUG: '1' };
    const r = await runFixture({ script: 'fixture-tool/cli.js', args: ['ok'], env, mode: 'require' });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('ok: stdout line\n');
    expect(r.stderr).toMatch(/project file not valid JSON/);
    // Debug sends nothing.
    await new Promise((res) => setTimeout(res, 500));
    expect(receiver.connections).toBe(0);
  });
});
