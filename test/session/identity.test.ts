// Identity modes a tool author chooses in package.json "devtoolTelemetry": { "identity": ... }:
// `none` (no id at all, no file written), `session` (a session id only, never a persistent id),
// `install` (the default: a persistent anonymous install id, new after a reset, plus the session).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { userConfigFile } from '../../src/storage/paths';
import { newInstallId, updateUserConfig } from '../../src/consent/user-config';
import { sessionFile } from '../../src/session/store';
import { linkPackage } from '../support/run-fixture';
import { e2ePerFile, type E2E } from '../features/e2e';

const SOURCE = path.join(__dirname, 'fixtures', 'session-tool', 'cli.js');
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** A copy of the session tool named `name` with the given identity mode. */
function makeTool(root: string, name: string, identity?: string): string {
  const dir = path.join(root, 'tools', name);
  fs.mkdirSync(dir, { recursive: true });
  const pkg: Record<string, unknown> = { name, version: '1.0.0', private: true };
  // `work` is declared: only declared words (or common CLI verbs) name the span.
  pkg.devtoolTelemetry = identity ? { identity, subcommands: ['work'] } : { subcommands: ['work'] };
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify(pkg));
  fs.copyFileSync(SOURCE, path.join(dir, 'cli.js'));
  linkPackage(dir);
  return path.join(dir, 'cli.js');
}

function resources(e: E2E, name: string) {
  return e.receiver.spans().filter((s) => s.name === `${name} work`).map((s) => s.resource);
}
function storedInstallId(e: E2E): unknown {
  try {
    return JSON.parse(fs.readFileSync(userConfigFile(e.env), 'utf8')).installId;
  } catch {
    return undefined;
  }
}

describe('identity modes across runs', () => {
  const e = e2ePerFile([]);

  it('none: neither an install id nor a session id, and no id file written', async () => {
    const cli = makeTool(e.sb.root, 'id-none', 'none');
    await e.run(cli, ['work']);
    await e.run(cli, ['work']);
    await e.receiver.waitFor(() => resources(e, 'id-none').length === 2, 15_000);
    for (const r of resources(e, 'id-none')) {
      expect(r).not.toHaveProperty('app.installation.id');
      expect(r).not.toHaveProperty('session.id');
      expect(r['service.name']).toBe('id-none');
    }
    expect(fs.existsSync(sessionFile(e.env, 'id-none'))).toBe(false);
    expect(storedInstallId(e)).toBeUndefined();
    // The run itself is still recorded.
    expect(e.receiver.metrics().some((m) => m.name === 'devtool.command.runs')).toBe(true);
  });

  it('session: a session id only, new at each start (as Visivo does); nothing persistent', async () => {
    const cli = makeTool(e.sb.root, 'id-session', 'session');
    await e.run(cli, ['work']);
    await e.run(cli, ['work']);
    await e.receiver.waitFor(() => resources(e, 'id-session').length === 2, 15_000);
    const rs = resources(e, 'id-session');
    for (const r of rs) {
      expect(r).not.toHaveProperty('app.installation.id');
      expect(String(r['session.id'])).toMatch(UUID);
    }
    expect(rs[0]!['session.id']).not.toBe(rs[1]!['session.id']);
    expect(storedInstallId(e)).toBeUndefined();
    expect(fs.existsSync(sessionFile(e.env, 'id-session'))).toBe(false);
  });

  it('install: one persistent anonymous id across runs, a new one after reset', async () => {
    const cli = makeTool(e.sb.root, 'id-install'); // the default mode
    await e.run(cli, ['work']);
    await e.run(cli, ['work']);
    await e.receiver.waitFor(() => resources(e, 'id-install').length === 2, 15_000);
    const [a, b] = resources(e, 'id-install');
    expect(String(a!['app.installation.id'])).toMatch(UUID);
    expect(b!['app.installation.id']).toBe(a!['app.installation.id']);
    expect(storedInstallId(e)).toBe(a!['app.installation.id']);
    expect(String(a!['session.id'])).toMatch(UUID);
    expect(a!['session.id']).not.toBe(a!['app.installation.id']);

    // What `devtool-telemetry reset` does: a new anonymous id in the user config.
    expect(updateUserConfig(e.env, (c) => void (c.installId = newInstallId()))).toBe(true);
    await e.run(cli, ['work']);
    await e.receiver.waitFor(() => resources(e, 'id-install').length === 3, 15_000);
    const c = resources(e, 'id-install')[2]!;
    expect(String(c['app.installation.id'])).toMatch(UUID);
    expect(c['app.installation.id']).not.toBe(a!['app.installation.id']);
    expect(storedInstallId(e)).toBe(c['app.installation.id']);
  });

  it('install in CI: throwaway ids per run, nothing stored', async () => {
    const cli = makeTool(e.sb.root, 'id-ci');
    const before = storedInstallId(e);
    await e.run(cli, ['work'], { CI: 'true' });
    await e.run(cli, ['work'], { CI: 'true' });
    await e.receiver.waitFor(() => resources(e, 'id-ci').length === 2, 15_000);
    const rs = resources(e, 'id-ci');
    for (const r of rs) {
      expect(r).not.toHaveProperty('app.installation.id');
      expect(String(r['session.id'])).toMatch(UUID);
    }
    // Throwaway per run: a shared CI runner must not group different jobs into one session.
    expect(rs[0]!['session.id']).not.toBe(rs[1]!['session.id']);
    expect(fs.existsSync(sessionFile(e.env, 'id-ci'))).toBe(false);
    expect(storedInstallId(e)).toBe(before);
  });
});
