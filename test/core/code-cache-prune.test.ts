/**
 * The V8 code caches of our bundles (src/storage/code-cache.ts: the runtime, loaded by an enabled
 * run; the shipper's send path) are ~300 KB files, one per bundle: every upgrade, and every other
 * installed copy of the package, adds some. A process that writes a cache prunes the others once a
 * month old, and the temp files of interrupted writes after an hour, and leaves everything else in
 * the directory alone. Real preloaded runs on a fixture, and the shipper they start.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cacheDir } from '../../src/storage/paths';
import { receiverPerFile, sandboxPerTest } from '../support/hooks';
import { runFixture } from '../support/run-fixture';
import { waitForShipperIdle } from '../support/spool-helpers';

const sb = sandboxPerTest({ waitForShipper: true });
const rx = receiverPerFile();
const env = () => ({ ...sb.env, OTEL_EXPORTER_OTLP_ENDPOINT: rx.url });
const DAY = 24 * 3600 * 1000;

function plant(dir: string, name: string, ageMs: number, kind: 'file' | 'dir' = 'file'): string {
  const p = path.join(dir, name);
  if (kind === 'dir') fs.mkdirSync(p);
  else fs.writeFileSync(p, 'x', { mode: 0o600 });
  const t = new Date(Date.now() - ageMs);
  fs.utimesSync(p, t, t);
  return p;
}

const ours = (dir: string) => fs.readdirSync(dir).filter((n) => /^v8-v\d.*\.cache$/.test(n) && n.includes(process.version));

describe('code cache pruning', () => {
  it('a run writing its cache removes month-old caches and hour-old temp files, and nothing else', async () => {
    const dir = cacheDir(sb.env);
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    const stale = plant(dir, 'v8-v18.0.0-x64-0123456789abcdef.cache', 40 * DAY);
    const staleTmp = plant(dir, `v8-${process.version}-x64-0123456789abcdef.cache.4242.tmp`, 2 * 3600 * 1000);
    const recent = plant(dir, 'v8-v22.0.0-x64-fedcba9876543210.cache', 5 * DAY);
    const freshTmp = plant(dir, 'v8-v22.0.0-x64-fedcba9876543210.cache.4343.tmp', 60 * 1000);
    const foreign = plant(dir, 'notes.txt', 400 * DAY);
    const oddDir = plant(dir, 'v8-dir.cache', 400 * DAY, 'dir');

    const r = await runFixture({ script: 'fixture-tool/cli.js', args: ['ok'], env: env(), mode: 'require' });
    expect(r.code).toBe(0);
    await waitForShipperIdle(env());
    expect(ours(dir)).toHaveLength(2); // the run's cache of the runtime, the shipper's of its send path
    expect(fs.existsSync(stale)).toBe(false);
    expect(fs.existsSync(staleTmp)).toBe(false);
    for (const kept of [recent, freshTmp, foreign, oddDir]) expect(fs.existsSync(kept), kept).toBe(true);
  });

  it('a run and a shipper that find their caches valid write nothing and prune nothing', async () => {
    const first = await runFixture({ script: 'fixture-tool/cli.js', args: ['ok'], env: env(), mode: 'require' });
    expect(first.code).toBe(0);
    await waitForShipperIdle(env());
    const dir = cacheDir(sb.env);
    const mtimes = () => ours(dir).map((n) => fs.statSync(path.join(dir, n)).mtimeMs);
    const before = mtimes();
    expect(before).toHaveLength(2);
    const stale = plant(dir, 'v8-v18.0.0-x64-0123456789abcdef.cache', 40 * DAY);
    const r = await runFixture({ script: 'fixture-tool/cli.js', args: ['ok'], env: env(), mode: 'require' });
    expect(r.code).toBe(0);
    await waitForShipperIdle(env());
    expect(mtimes()).toEqual(before);
    expect(fs.existsSync(stale)).toBe(true);
  });
});
