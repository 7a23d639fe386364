/**
 * Resource attributes of a real run: what must be there (tool, OS with distribution, runtime,
 * distribution, ids) and what must never be (host, owner, args, paths, env values).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { harnessPerFile, runAndCollect } from './helpers';

const h = harnessPerFile();

const FORBIDDEN_KEYS = [
  'host.name', 'host.id', 'host.ip', 'process.owner', 'process.command_args', 'process.command_line',
  'process.executable.path', 'process.command', 'process.pid', 'process.working_directory', 'user.name', 'enduser.id',
];

describe('resource of a preloaded run', () => {
  it('has tool, OS, runtime, distribution and id attributes, and none of the identifying ones', async () => {
    const release = path.join(h.sandbox.root, 'os-release');
    fs.writeFileSync(release, 'NAME="Debian GNU/Linux"\nVERSION_ID="12"\nPRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\n');
    const { root } = await runAndCollect(h, {
      script: 'fixture-tool/cli.js',
      args: ['ok'],
      mode: 'require',
      env: { DEVTOOL_TELEMETRY_OS_RELEASE_FILE: release, MY_SECRET_ENV: 'env-value-should-not-travel' },
    });
    const r = root.resource;
    expect(r['service.name']).toBe('fixture-tool');
    expect(r['service.version']).toBe('1.2.3');
    expect(r['os.type']).toBe(process.platform === 'win32' ? 'windows' : process.platform);
    expect(r['os.version']).toBe(os.release());
    expect(r['os.name']).toBe('Debian GNU/Linux');
    expect(r['os.description']).toBe('Debian GNU/Linux 12 (bookworm)');
    expect(r['host.arch']).toBe(process.arch === 'x64' ? 'amd64' : process.arch);
    expect(r['process.runtime.name']).toBe('nodejs');
    expect(r['process.runtime.version']).toBe(process.versions.node);
    expect(r['telemetry.distro.name']).toBe('devtool-telemetry');
    expect(r['telemetry.distro.version']).toMatch(/^\d+\.\d+\.\d+/);
    expect(r['telemetry.sdk.language']).toBe('nodejs');
    expect(r['app.installation.id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(r['session.id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(r['devtool.ci']).toBe(false);
    for (const key of FORBIDDEN_KEYS) expect(r, key).not.toHaveProperty(key);
    const text = h.receiver.rawBodiesText();
    expect(text).not.toContain('env-value-should-not-travel');
    expect(text).not.toContain(os.hostname());
    expect(text).not.toContain(h.sandbox.home);
  });

  it('keeps the install id across runs and changes the session id', async () => {
    const a = await runAndCollect(h, { script: 'fixture-tool/cli.js', args: ['ok'], mode: 'require' });
    const b = await runAndCollect(h, { script: 'fixture-tool/cli.js', args: ['ok'], mode: 'require' });
    expect(a.root.resource['app.installation.id']).toBe(b.root.resource['app.installation.id']);
    expect(a.root.resource['session.id']).toBeTruthy();
  });

  it('OTEL_SERVICE_NAME overrides the tool name; OTEL_RESOURCE_ATTRIBUTES cannot add unknown keys or override detected ones', async () => {
    const { root } = await runAndCollect(h, {
      script: 'fixture-tool/cli.js',
      args: ['ok'],
      mode: 'require',
      env: {
        OTEL_SERVICE_NAME: 'renamed-tool',
        OTEL_RESOURCE_ATTRIBUTES: 'host.name=leaky-host,deployment.secret=abc123,os.type=fake-os,service.version=9.9.9',
      },
    });
    expect(root.resource['service.name']).toBe('renamed-tool');
    expect(root.name.startsWith('renamed-tool')).toBe(true);
    expect(root.resource['os.type']).not.toBe('fake-os');
    expect(root.resource['service.version']).toBe('1.2.3');
    expect(root.resource).not.toHaveProperty('host.name');
    expect(root.resource).not.toHaveProperty('deployment.secret');
    expect(h.receiver.rawBodiesText()).not.toContain('leaky-host');
  });

  it('marks CI runs and gives them throwaway install ids', async () => {
    const a = await runAndCollect(h, { script: 'fixture-tool/cli.js', args: ['ok'], mode: 'require', env: { CI: 'true', GITHUB_ACTIONS: 'true' } });
    const b = await runAndCollect(h, { script: 'fixture-tool/cli.js', args: ['ok'], mode: 'require', env: { CI: 'true', GITHUB_ACTIONS: 'true' } });
    expect(a.root.resource['devtool.ci']).toBe(true);
    expect(a.root.resource['devtool.ci.vendor']).toBe('github-actions');
    // No persistent id in CI: the install id is withheld and the session id is new each run.
    expect(a.root.resource).not.toHaveProperty('app.installation.id');
    expect(a.root.resource['session.id']).not.toBe(b.root.resource['session.id']);
  });

  it('names the AI coding agent by enum only', async () => {
    const { root } = await runAndCollect(h, { script: 'fixture-tool/cli.js', args: ['ok'], mode: 'require', env: { CLAUDECODE: '1' } });
    expect(root.resource['devtool.agent']).toBe('claude');
  });
});
