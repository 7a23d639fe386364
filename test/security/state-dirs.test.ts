// Issue 13, items 1-3, under the real preload, shipper and CLI: state directories another user
// controls are not used (a second uid plants files in a 0777 dir), no symlink at any state path is
// followed, and a cache/config path where `mkdir -p` never converges (/proc/self) does not hang.
import { execFileSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import Module from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vm from 'node:vm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { destinationKey, formatBatchName } from '../../src/spool/layout';
import { receiverPerFile, sandboxPerTest } from '../support/hooks';
import { REPO_ROOT, runFixture, runPlain, type Env } from '../support/run-fixture';
import { waitForShipperIdle } from '../support/spool-helpers';

const isRoot = process.getuid?.() === 0;
const NOBODY = 65534;
const CLI = path.join(REPO_ROOT, 'bin/devtool-telemetry.js');
const RUNTIME = path.join(REPO_ROOT, 'dist/cjs/runtime.js');

const receiver = receiverPerFile();
const sb = sandboxPerTest({ waitForShipper: true });
let shared: string;
beforeEach(() => {
  // A directory the second uid can reach: /tmp/x (0755) holding 0777 dirs, like a shared /tmp.
  shared = fs.mkdtempSync(path.join(os.tmpdir(), 'dtt-shared-'));
  fs.chmodSync(shared, 0o755);
});
afterEach(() => {
  fs.rmSync(shared, { recursive: true, force: true });
});

/** Run a shell script as uid/gid 65534 (nobody), no supplementary groups. */
function asNobody(script: string): void {
  execFileSync('setpriv', [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', 'sh', '-c', script], { stdio: 'pipe' });
}

function worldWritable(name: string): string {
  const d = path.join(shared, name);
  fs.mkdirSync(d);
  fs.chmodSync(d, 0o777);
  return d;
}

function bundleSha(): string {
  return crypto.createHash('sha256').update(fs.readFileSync(RUNTIME)).digest('hex');
}

function cacheName(): string {
  return `v8-${process.version}-${process.arch}-${bundleSha().slice(0, 16)}.cache`;
}

/** Our cache header (src/storage/code-cache.ts): the build's checksum and the bundle file's identity now. */
function cacheHeader(over: { sha?: string; mtimeMs?: number } = {}): string {
  const st = fs.statSync(RUNTIME);
  return `DTVC2 ${over.sha ?? bundleSha()} ${st.size} ${Math.trunc(over.mtimeMs ?? st.mtimeMs)} ${st.ino}\n`;
}

/**
 * A V8 code cache compiled from other source of the bundle's exact length (V8 accepts it: its
 * source check is the length), with our header (or `header`). Loaded, it writes `marker`.
 */
function forgedCache(marker: string, header = cacheHeader()): Buffer {
  const src = fs.readFileSync(RUNTIME, 'utf8');
  const evil = `require('fs').writeFileSync(${JSON.stringify(marker)}, 'pwned');`;
  const script = new vm.Script((Module as unknown as { wrap(s: string): string }).wrap(evil + ' '.repeat(src.length - evil.length)), { filename: RUNTIME });
  return Buffer.concat([Buffer.from(header, 'latin1'), script.createCachedData()]);
}

function plantedBatch(): string {
  const now = Date.now();
  return JSON.stringify({
    v: 1, id: `planted${now}`, createdAt: now, level: 'usage',
    resource: { 'service.name': 'fixture-tool', 'service.version': '1.0.0' },
    spans: [{
      traceId: 'c'.repeat(32), spanId: 'd'.repeat(16), name: 'planted-by-nobody', kind: 1,
      startTimeUnixNano: String(now * 1e6), endTimeUnixNano: String(now * 1e6 + 5e6),
      attributes: {}, events: [], links: [], status: { code: 0 },
    }],
    metrics: [],
  });
}

/** Every path below `dir` owned by `uid`. */
function ownedBy(dir: string, uid: number): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const n of fs.readdirSync(d)) {
      const p = path.join(d, n);
      const st = fs.lstatSync(p);
      if (st.uid === uid) out.push(p);
      if (st.isDirectory()) walk(p);
    }
  };
  walk(dir);
  return out;
}

describe.runIf(isRoot)('item 1: state directories another user can write are not used', () => {
  it('a cache dir planted by a second uid: its code cache never runs, its batches are never sent, nothing of ours goes in', async () => {
    const cacheHome = worldWritable('cache');
    const state = path.join(cacheHome, 'devtool-telemetry');
    const marker = path.join(shared, 'pwned');
    const env: Env = { ...sb.env, XDG_CACHE_HOME: cacheHome, OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url };
    const spool = path.join(state, 'destinations', destinationKey(env), 'spool');
    const forged = path.join(shared, 'forged.cache');
    fs.writeFileSync(forged, forgedCache(marker), { mode: 0o644 });
    const batch = path.join(shared, 'planted.batch');
    fs.writeFileSync(batch, plantedBatch(), { mode: 0o644 });
    const name = formatBatchName(Date.now(), 1, 'planted', 1, fs.statSync(batch).size);
    asNobody(`mkdir -m 777 ${state} && cp ${forged} ${state}/${cacheName()} && mkdir -p -m 777 ${spool} ${state}/sessions && cp ${batch} ${spool}/${name} && chmod -R a+rwX ${state}`);

    const plain = await runPlain({ script: 'fixture-tool/cli.js', args: ['ok'], env });
    for (let i = 0; i < 2; i++) {
      const r = await runFixture({ script: 'fixture-tool/cli.js', args: ['ok'], env, mode: 'require' });
      expect(r.code).toBe(0);
      expect(r.stdout).toBe(plain.stdout);
    }
    expect(fs.existsSync(marker)).toBe(false);
    // Not one file or directory of ours was created in there (no spool, session, cache, log).
    expect(ownedBy(state, 0)).toEqual([]);
    await new Promise((res) => setTimeout(res, 500));
    expect(receiver.spans().map((s) => s.name)).not.toContain('planted-by-nobody');
    expect(receiver.connections).toBe(0);

    const dbg = await runFixture({ script: 'fixture-tool/cli.js', args: ['ok'], env: { ...env, DEVTOOL_TELEMETRY_DEBUG: '1' }, mode: 'require' });
    expect(dbg.stderr).toMatch(/debug: code cache not used: .*owned by uid 65534/);
    expect(fs.existsSync(marker)).toBe(false);
    const status = await runPlain({ script: CLI, args: ['status', '--tool', 'fixture-tool'], env });
    expect(status.stdout).toMatch(/spool not used .*owned by uid 65534/);
    expect(status.stdout).not.toMatch(/planted/);
  });

  it('the same forged cache in a directory of our own is accepted by V8 (what the ownership check stops)', async () => {
    // The control: proves the planted file above is a working exploit, so only the check stops it.
    const cacheHome = path.join(sb.root, 'own-cache');
    const state = path.join(cacheHome, 'devtool-telemetry');
    fs.mkdirSync(state, { recursive: true, mode: 0o700 });
    const marker = path.join(sb.root, 'pwned');
    fs.writeFileSync(path.join(state, cacheName()), forgedCache(marker), { mode: 0o600 });
    const env: Env = { ...sb.env, XDG_CACHE_HOME: cacheHome, DEVTOOL_TELEMETRY_DEBUG: '1' };
    const r = await runFixture({ script: 'fixture-tool/cli.js', args: ['ok'], env, mode: 'require' });
    expect(r.code).toBe(0);
    expect(fs.existsSync(marker)).toBe(true);
  });

  // Another bundle's checksum; or the bundle before an in-place edit (a patched digit keeps its
  // length, all V8 checks): the file's identity in our header does not match.
  it.each([
    ['another bundle checksum in its header', () => cacheHeader({ sha: '0'.repeat(64) })],
    ['the header of the bundle before an in-place edit (same length, same recorded checksum)', () => cacheHeader({ mtimeMs: fs.statSync(RUNTIME).mtimeMs - 60_000 })],
  ])('a cache with %s is not loaded, and is replaced by ours', async (_, header) => {
    const cacheHome = path.join(sb.root, 'own-cache');
    const state = path.join(cacheHome, 'devtool-telemetry');
    fs.mkdirSync(state, { recursive: true, mode: 0o700 });
    const marker = path.join(sb.root, 'pwned');
    const file = path.join(state, cacheName());
    fs.writeFileSync(file, forgedCache(marker, header()), { mode: 0o600 });
    const env: Env = { ...sb.env, XDG_CACHE_HOME: cacheHome, DEVTOOL_TELEMETRY_DEBUG: '1' };
    const r = await runFixture({ script: 'fixture-tool/cli.js', args: ['ok'], env, mode: 'require' });
    expect(r.code).toBe(0);
    expect(fs.existsSync(marker)).toBe(false);
    const ours = cacheHeader();
    expect(fs.readFileSync(file).subarray(0, ours.length).toString('latin1')).toBe(ours);
  });

  it('our own cache dir made writable by others (0777) is not used either', async () => {
    const env: Env = { ...sb.env, OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, DEVTOOL_TELEMETRY_DEBUG: '1' };
    const state = path.join(sb.cacheHome, 'devtool-telemetry');
    fs.mkdirSync(state, { recursive: true });
    fs.chmodSync(state, 0o777);
    const r = await runFixture({ script: 'fixture-tool/cli.js', args: ['ok'], env, mode: 'require' });
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/code cache not used: .*writable by group or others \(mode 777; `chmod go-w`/);
    expect(fs.readdirSync(state)).toEqual([]);
  });

  it('a config dir planted by a second uid: not loaded (telemetry off), status says why', async () => {
    const configHome = worldWritable('config');
    const dir = path.join(configHome, 'devtool-telemetry');
    asNobody(`mkdir -m 777 ${dir} && echo '{"all":{"level":"full"},"installId":"planted-id"}' > ${dir}/config.json`);
    const env: Env = { ...sb.env, XDG_CONFIG_HOME: configHome, OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url };
    const r = await runFixture({ script: 'fixture-tool/cli.js', args: ['ok'], env, mode: 'require' });
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('ok: stderr line\n'); // no notice: nothing is recorded
    const status = await runPlain({ script: CLI, args: ['status', '--tool', 'fixture-tool'], env });
    expect(status.stdout).toMatch(/OFF/);
    expect(status.stdout).toMatch(/not safe to use: .*owned by uid 65534/);
    expect(status.stdout).not.toMatch(/planted-id/);
    const enable = await runPlain({ script: CLI, args: ['enable', '--tool', 'fixture-tool'], env });
    expect(enable.code).not.toBe(0);
    expect(fs.readFileSync(path.join(dir, 'config.json'), 'utf8')).toMatch(/planted-id/); // left alone
    expect(ownedBy(dir, 0)).toEqual([]);
    await new Promise((res) => setTimeout(res, 300));
    expect(receiver.connections).toBe(0);
  });
});

describe('item 2: no symlink at a state path is followed', () => {
  let victim: string;
  let victimFile: string;
  beforeEach(() => {
    victim = path.join(sb.root, 'victim');
    fs.mkdirSync(victim);
    for (let i = 0; i < 60; i++) fs.writeFileSync(path.join(victim, `0000-${String(i).padStart(2, '0')}`), `keep ${i}`);
    victimFile = path.join(sb.root, 'victim.txt');
    fs.writeFileSync(victimFile, 'precious\n');
  });
  const victimIntact = () => {
    expect(fs.readdirSync(victim)).toHaveLength(60);
    expect(fs.readFileSync(victimFile, 'utf8')).toBe('precious\n');
  };

  it('sent.log, sessions, destinations and quarantine links: runs and the shipper write and delete nothing through them', async () => {
    const env: Env = { ...sb.env, OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url };
    const state = path.join(sb.cacheHome, 'devtool-telemetry');
    const dest = path.join(state, 'destinations', destinationKey(env));
    fs.mkdirSync(path.join(dest, 'spool'), { recursive: true, mode: 0o700 });
    fs.chmodSync(state, 0o700);
    fs.symlinkSync(victimFile, path.join(state, 'sent.log'));
    fs.symlinkSync(victim, path.join(state, 'quarantine'));
    fs.symlinkSync(victim, path.join(state, 'sessions'));
    // An unreadable batch: the shipper sets it aside (quarantine), which trims the oldest files there.
    fs.writeFileSync(path.join(dest, 'spool', formatBatchName(Date.now() - 1000, 1, 'corrupt', 1, 9)), 'not json!');
    const r = await runFixture({ script: 'fixture-tool/cli.js', args: ['ok'], env, mode: 'require' });
    expect(r.code).toBe(0);
    await receiver.waitFor(() => receiver.spans().length > 0);
    await waitForShipperIdle(env);
    victimIntact();
    expect(fs.lstatSync(path.join(state, 'sent.log')).isSymbolicLink()).toBe(true);
    expect(fs.readdirSync(path.join(dest, 'spool')).filter((f) => f.includes('corrupt'))).toEqual([]); // deleted, not sent

    // A link where the destinations folder should be: nothing is written through it.
    const env2: Env = { ...env, OTEL_EXPORTER_OTLP_HEADERS: 'x-other=1' };
    fs.rmSync(path.join(state, 'destinations'), { recursive: true });
    fs.symlinkSync(victim, path.join(state, 'destinations'));
    const r2 = await runFixture({ script: 'fixture-tool/cli.js', args: ['ok'], env: env2, mode: 'require' });
    expect(r2.code).toBe(0);
    victimIntact();
  });

  it('reset removes a sessions or quarantine link as a link; forget never follows a config or cache link', async () => {
    const env: Env = { ...sb.env };
    const state = path.join(sb.cacheHome, 'devtool-telemetry');
    fs.mkdirSync(state, { recursive: true, mode: 0o700 });
    fs.symlinkSync(victim, path.join(state, 'sessions'));
    fs.symlinkSync(victim, path.join(state, 'quarantine'));
    const reset = await runPlain({ script: CLI, args: ['reset'], env });
    expect(reset.code).toBe(0);
    victimIntact();
    expect(fs.existsSync(path.join(state, 'sessions'))).toBe(false);

    fs.mkdirSync(sb.configHome, { recursive: true });
    const cfg = path.join(sb.configHome, 'devtool-telemetry');
    fs.rmSync(cfg, { recursive: true, force: true });
    fs.symlinkSync(victim, cfg);
    fs.rmSync(state, { recursive: true });
    fs.symlinkSync(victim, state);
    const forget = await runPlain({ script: CLI, args: ['forget', '--everything'], env });
    expect(forget.code).toBe(0);
    victimIntact();
    expect(fs.existsSync(cfg)).toBe(false);
    expect(fs.existsSync(state)).toBe(false);
  });

  it('the V8 cache temp file: a link planted at its name is never written through', async () => {
    const plant = path.join(sb.root, 'plant.js');
    const state = path.join(sb.cacheHome, 'devtool-telemetry');
    fs.mkdirSync(state, { recursive: true, mode: 0o700 });
    // Runs first in the tool's own process, so it knows the pid the temp name will carry.
    fs.writeFileSync(plant, `require('fs').symlinkSync(${JSON.stringify(victimFile)}, ${JSON.stringify(path.join(state, cacheName()))} + '.' + process.pid + '.tmp');\n`);
    const env: Env = { ...sb.env, DEVTOOL_TELEMETRY_DEBUG: '1' };
    const r = await runFixture({ script: 'fixture-tool/cli.js', args: ['ok'], env, mode: 'require', nodeArgs: ['--require', plant] });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('ok: stdout line\n');
    victimIntact();
    expect(fs.existsSync(path.join(state, cacheName()))).toBe(false);
    // Without the link, the cache is written (so the case above did reach the write).
    const r2 = await runFixture({ script: 'fixture-tool/cli.js', args: ['ok'], env, mode: 'require' });
    expect(r2.code).toBe(0);
    expect(fs.existsSync(path.join(state, cacheName()))).toBe(true);
  });
});

describe.runIf(process.platform === 'linux')('item 3: a state path where mkdir -p never converges', () => {
  it('XDG_CACHE_HOME=/proc/self: the tool runs to completion, nothing hangs', async () => {
    const env: Env = { ...sb.env, XDG_CACHE_HOME: '/proc/self', OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url };
    const plain = await runPlain({ script: 'fixture-tool/cli.js', args: ['ok'], env });
    // runFixture kills and fails after its timeout: before the fix this run never ended.
    const r = await runFixture({ script: 'fixture-tool/cli.js', args: ['ok'], env, mode: 'require', timeoutMs: 15_000 });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(plain.stdout);
    const status = await runPlain({ script: CLI, args: ['status', '--tool', 'fixture-tool'], env, timeoutMs: 15_000 });
    expect(status.code).toBe(0);
  });

  it('XDG_CONFIG_HOME=/proc/self: the CLI fails with a reason, the preload stays off and silent', async () => {
    const env: Env = { ...sb.env, XDG_CONFIG_HOME: '/proc/self' };
    const enable = await runPlain({ script: CLI, args: ['enable', '--tool', 'fixture-tool'], env, timeoutMs: 15_000 });
    expect(enable.code).not.toBe(0);
    expect(enable.stderr).toMatch(/\/proc\/self\/devtool-telemetry/);
    const r = await runFixture({ script: 'fixture-tool/cli.js', args: ['ok'], env, mode: 'require', timeoutMs: 15_000 });
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('ok: stderr line\n');
  });
});
