/**
 * Bad input around the preload: the app runs unchanged, nothing is thrown into it, and
 * DEVTOOL_TELEMETRY_DEBUG=1 explains what was skipped.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { copyFixture, runFixture, runPlain, REPO_ROOT } from '../support/run-fixture';
import { harnessPerFile, runAndCollect, stripNotice } from './helpers';

const h = harnessPerFile();

async function unchanged(script: string, args: string[], env: Record<string, string> = {}) {
  const plain = await runPlain({ script, args, env: { ...h.env, ...env } });
  const run = await runFixture({ script, args, mode: 'require', env: { ...h.env, ...env } });
  expect(run.code).toBe(plain.code);
  expect(run.stdout).toBe(plain.stdout);
  expect(stripNotice(run.stderr)).toBe(plain.stderr);
  return run;
}

describe('bad input', () => {
  it('no package.json above the script: runs unchanged, recorded as unknown_service, explained under debug', async () => {
    const dir = path.join(h.sandbox.root, 'no-pkg');
    fs.mkdirSync(dir, { recursive: true });
    const script = path.join(dir, 'cli.js');
    fs.copyFileSync(path.join(REPO_ROOT, 'test/fixtures/fixture-tool/cli.js'), script);
    await unchanged(script, ['ok']);
    const { root } = await runAndCollect(h, { script, args: ['ok'], mode: 'require' });
    expect(root.resource['service.name']).toBe('unknown_service:node');
    const dbg = await runFixture({ script, args: ['ok'], mode: 'require', env: { ...h.env, DEVTOOL_TELEMETRY_DEBUG: '1' } });
    expect(dbg.code).toBe(0);
    expect(dbg.stderr).toContain('no package.json with a name above the entry script');
  });

  it('an unparsable package.json above the script: runs unchanged, skipped and explained', async () => {
    // Node itself refuses to run a script whose nearest package.json is unparsable, for us and
    // without us alike; the case we own is a broken one further up that only our walk reads.
    const dir = path.join(h.sandbox.root, 'broken-pkg');
    const sub = copyFixture('fixture-tool', path.join(dir, 'sub'));
    fs.writeFileSync(path.join(dir, 'package.json'), '{ "name": "broken", oops');
    fs.writeFileSync(path.join(sub, 'package.json'), '{ "private": true }');
    const script = path.join(sub, 'cli.js');
    await unchanged(script, ['fail-exit', '3']);
    const dbg = await runFixture({ script, args: ['ok'], mode: 'require', env: { ...h.env, DEVTOOL_TELEMETRY_DEBUG: '1' } });
    expect(dbg.stderr).toContain('unparsable package.json skipped');
    expect(dbg.stdout).toBe('ok: stdout line\n');
  });

  it('no os-release file: runs unchanged, OS name and description simply absent', async () => {
    const env = { DEVTOOL_TELEMETRY_OS_RELEASE_FILE: path.join(h.sandbox.root, 'missing-os-release') };
    await unchanged('fixture-tool/cli.js', ['ok'], env);
    const { root } = await runAndCollect(h, { script: 'fixture-tool/cli.js', args: ['ok'], mode: 'require', env });
    expect(root.resource['os.type']).toBeTruthy();
    if (process.platform === 'linux') {
      expect(root.resource).not.toHaveProperty('os.name');
      expect(root.resource).not.toHaveProperty('os.description');
    }
  });

  it('an invalid OTEL_EXPORTER_OTLP_ENDPOINT: runs unchanged and exits promptly, explained under debug', async () => {
    const env = { OTEL_EXPORTER_OTLP_ENDPOINT: 'not a url::' };
    const run = await unchanged('fixture-tool/cli.js', ['ok'], env);
    expect(run.stdioHeldOpen).toBe(false);
    const dbg = await runFixture({ script: 'fixture-tool/cli.js', args: ['ok'], mode: 'require', env: { ...h.env, ...env, DEVTOOL_TELEMETRY_DEBUG: '1' } });
    expect(dbg.stderr).toMatch(/OTEL_EXPORTER_OTLP_ENDPOINT/);
    expect(dbg.stderr).not.toContain('not a url::');
  });

  it('odd env values for our own knobs are survived', async () => {
    await unchanged('fixture-tool/cli.js', ['ok'], {
      DEVTOOL_TELEMETRY_FLUSH_INTERVAL: 'soon',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'carrier-pigeon',
      OTEL_EXPORTER_OTLP_HEADERS: '=,,%%zz',
      OTEL_RESOURCE_ATTRIBUTES: '%E0%A4%A,=,,a=%',
    });
  });

  it('an app that registered its own OpenTelemetry SDK runs unchanged, and its run is still recorded', async () => {
    const script = path.join(REPO_ROOT, 'test/fixtures/own-sdk/app.js');
    const run = await unchanged(script, []);
    expect(run.stdout).toBe('own sdk spans: 1 own-work kept by the app\n');
    const { root } = await runAndCollect(h, { script, args: [], mode: 'require' });
    expect(root.resource['service.name']).toBe('own-sdk-tool');
  });

  it('a cwd that was deleted under the process: runs unchanged', async () => {
    const dir = path.join(h.sandbox.root, 'gone');
    fs.mkdirSync(dir);
    const script = path.join(REPO_ROOT, 'test/fixtures/fixture-tool/cli.js');
    // The shell removes the directory it runs in, then starts node there.
    const { execFileSync } = await import('node:child_process');
    const { registerPath } = await import('../support/run-fixture');
    const out = execFileSync('sh', ['-c', `cd "${dir}" && rmdir "${dir}" && "${process.execPath}" --require "${registerPath('require')}" "${script}" ok`], {
      env: h.env,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    expect(out).toBe('ok: stdout line\n');
  });
});
