// A broken install must not cost data: when the shipper cannot load the OTLP encoders (the package's
// dependencies missing or unreadable), no batch is at fault. Every batch stays in the spool (none is
// quarantined or counted as corrupt), nothing is sent, and `status` can say why. A damaged checksum
// of the send path (send.js.sha256, the key of its code cache) costs only the cache: batches go out.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { receiversPerTest } from '../support/hooks';
import { REPO_ROOT, runFixture, type Env } from '../support/run-fixture';
import { DIST, ensureBuilt, ownSpoolEnv, readJsonFile, runWriter, shipperSuiteSandbox, spoolFiles } from './helpers';
import { quarantineDir, shipperStateFile } from '../../src/spool/layout';

const sb = shipperSuiteSandbox();
const receiver = receiversPerTest();
const copies: string[] = [];
afterEach(() => {
  for (const c of copies.splice(0)) fs.rmSync(c, { recursive: true, force: true });
});

/** The shipper's build copied where `@opentelemetry/otlp-transformer` cannot be resolved. */
function brokenInstall(): string {
  ensureBuilt();
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'dtt-broken-install-'));
  copies.push(root);
  fs.cpSync(DIST, path.join(root, 'cjs'), { recursive: true });
  fs.rmSync(path.join(root, 'cjs', 'shipper', 'send.js'), { force: true }); // the bundle carries the encoders
  return path.join(root, 'cjs', 'shipper', 'main.js');
}

describe('a broken install', () => {
  it('keeps every batch when the OTLP encoders cannot load, sends nothing, and says why', async () => {
    const rx = await receiver();
    const env: Env = ownSpoolEnv(sb, { OTEL_EXPORTER_OTLP_ENDPOINT: rx.url });
    for (const tag of ['r0', 'r1']) await runWriter({ ...env, DEVTOOL_TELEMETRY_SHIPPER: '1' }, tag, 2);
    expect(spoolFiles(env)).toHaveLength(2);

    const main = brokenInstall();
    const r = await runFixture({ script: main, env: { ...env, DEVTOOL_TELEMETRY_SHIPPER: '1' }, mode: 'none', timeoutMs: 30_000, cwd: path.dirname(main) });
    expect(r.code).toBe(0);

    expect(spoolFiles(env)).toHaveLength(2);
    expect(rx.requests.filter((q) => q.signal === 'traces')).toEqual([]);
    expect(fs.existsSync(quarantineDir(env)) ? fs.readdirSync(quarantineDir(env)) : []).toEqual([]);
    const state = readJsonFile<{ lastError?: string; dropped?: Record<string, number> }>(shipperStateFile(env));
    expect(state.lastError).toMatch(/OTLP encoders cannot load .*batches are kept/);
    expect(state.dropped?.corrupt ?? 0).toBe(0);
  }, 90_000);
});

/** The package's own build (with the send.js bundle), copied where its dependencies still resolve. */
function installWithChecksum(checksum: string | undefined): string {
  const root = fs.mkdtempSync(path.join(REPO_ROOT, 'node_modules', '.cache', 'dtt-send-checksum-'));
  copies.push(root);
  fs.cpSync(path.join(REPO_ROOT, 'dist', 'cjs'), path.join(root, 'cjs'), { recursive: true });
  const file = path.join(root, 'cjs', 'shipper', 'send.js.sha256');
  if (checksum === undefined) fs.rmSync(file, { force: true });
  else fs.writeFileSync(file, checksum);
  return path.join(root, 'cjs', 'shipper', 'main.js');
}

describe('a damaged send-path checksum', () => {
  it.each([
    ['missing', undefined],
    ['not a checksum', 'not-hex\n'],
    ["another bundle's checksum", `${'ab'.repeat(32)}\n`],
  ])('%s: the shipper delivers every batch, twice over (with or without the cache it wrote)', async (_n, checksum) => {
    const rx = await receiver();
    const env: Env = ownSpoolEnv(sb, { OTEL_EXPORTER_OTLP_ENDPOINT: rx.url, DEVTOOL_TELEMETRY_SHIP: 'immediate' });
    // The copy has send.js wherever the build made it. (The OTel-next pass, scripts/test-otel-next.mjs,
    // removes it on purpose: there the checksum keys nothing, and delivery through the modules must hold.)
    const main = installWithChecksum(checksum);
    for (const round of ['first', 'second']) {
      const w = await runWriter({ ...env, DEVTOOL_TELEMETRY_SHIPPER: '1' }, round, 2);
      const r = await runFixture({ script: main, env: { ...env, DEVTOOL_TELEMETRY_SHIPPER: '1' }, mode: 'none', timeoutMs: 30_000, cwd: path.dirname(main) });
      expect(r.code).toBe(0);
      expect(spoolFiles(env)).toEqual([]);
      expect(rx.spans().some((sp) => sp.traceId === w.out.traceId)).toBe(true);
    }
  }, 90_000);
});
