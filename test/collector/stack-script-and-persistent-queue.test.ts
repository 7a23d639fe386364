// `npm run stack` / `npm run stack:stop` (scripts/stack.mjs) on private ports, a clear error on a busy port,
// and the collector's persistent sending queue: traces accepted while Jaeger is down survive a collector
// restart and arrive once Jaeger is up.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { BUILD_TIMEOUT, ROOT, ensureStackBuilt, hex, postOtlp, removeDir, span, stackLib, tmpDir, tracesBody } from './helpers';

const dirs: string[] = [];
const cleanups: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  await ensureStackBuilt();
}, BUILD_TIMEOUT);

afterAll(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => {});
  dirs.forEach(removeDir);
});

function runStackCli(cmd: string, env: Record<string, string>) {
  const r = spawnSync(process.execPath, [path.join(ROOT, 'scripts/stack.mjs'), cmd], {
    env: { ...process.env, ...env },
    encoding: 'utf8',
    timeout: 300_000,
  });
  return { code: r.status, out: r.stdout + r.stderr };
}

describe('scripts/stack.mjs', () => {
  it('starts, reports, refuses a second stack on busy ports, stops', async () => {
    const ports = await stackLib.freeStackPorts();
    const env: Record<string, string> = Object.fromEntries(Object.entries(stackLib.ENV_PORTS).map(([k, v]) => [v as string, String(ports[k])]));
    const dir = tmpDir('stackcli');
    dirs.push(dir);
    cleanups.push(() => stackLib.stopStack({ workDir: dir }));
    const start = runStackCli('start', { ...env, DEVTOOL_STACK_DIR: dir });
    expect(start.code, start.out).toBe(0);
    expect(start.out).toContain(`http://127.0.0.1:${ports.collectorHttpPort}`);
    expect(start.out).toContain(`http://127.0.0.1:${ports.jaegerUiPort}`);

    // the processes outlive the CLI, with pid files and logs in the work dir
    const { alive, info } = stackLib.stackStatus(dir);
    expect(Object.keys(alive).sort()).toEqual(['collector', 'jaeger', 'prometheus', 'viewer']);
    for (const pid of Object.values(alive)) expect(pid).toBeTruthy();
    expect(info.ports.collectorHttpPort).toBe(ports.collectorHttpPort);
    expect((await fetch(`http://127.0.0.1:${ports.healthPort}/`)).status).toBe(200);
    expect((await fetch(`http://127.0.0.1:${ports.prometheusPort}/-/ready`)).status).toBe(200);
    expect((await fetch(`http://127.0.0.1:${ports.jaegerUiPort}/api/services`)).status).toBe(200);

    const again = runStackCli('start', { ...env, DEVTOOL_STACK_DIR: dir });
    expect(again.code).toBe(0);
    expect(again.out).toContain('already running');

    const other = tmpDir('stackcli2');
    dirs.push(other);
    const busy = runStackCli('start', { ...env, DEVTOOL_STACK_DIR: other });
    expect(busy.code).toBe(1);
    expect(busy.out).toMatch(/port \d+ on 127\.0\.0\.1 is already in use/);
    expect(busy.out).toContain('npm run stack:stop');

    const stop = runStackCli('stop', { ...env, DEVTOOL_STACK_DIR: dir });
    expect(stop.code, stop.out).toBe(0);
    expect(stop.out).toContain('stack stopped');
    for (const pid of Object.values<number>(alive)) {
      // gone, or a zombie waiting for init to reap it
      const stat = (() => {
        try {
          return fs.readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/\(.*\)/, 'x');
        } catch {
          return '';
        }
      })();
      expect(stat === '' || stat.split(' ')[2] === 'Z', `pid ${pid} still running: ${stat.slice(0, 40)}`).toBe(true);
    }
    await expect(stackLib.assertPortFree(ports.collectorHttpPort)).resolves.toBeUndefined();
  }, 300_000);
});

describe('persistent sending queue (file_storage)', () => {
  it('traces accepted while Jaeger is down survive a collector restart', async () => {
    const ports = await stackLib.freeStackPorts();
    const dir = tmpDir('persist');
    dirs.push(dir);
    const service = `persist-${hex(4)}`;
    let col = await stackLib.startCollector({ ports, workDir: dir, env: { DEVTOOL_COLLECTOR_BATCH_TIMEOUT: '100ms' } });
    cleanups.push(() => stackLib.stopPid(col.pid));
    const traceIds: string[] = [];
    for (let i = 0; i < 20; i++) {
      const traceId = hex(16);
      traceIds.push(traceId);
      const r = await postOtlp(`http://127.0.0.1:${ports.collectorHttpPort}`, 'traces', tracesBody({ 'service.name': service }, [span({ traceId, name: 'build' })]));
      expect(r.status, r.text).toBe(200);
    }
    await new Promise((r) => setTimeout(r, 1500)); // batched and in the on-disk queue; Jaeger unreachable
    await stackLib.stopPid(col.pid); // SIGTERM: graceful shutdown keeps the queue on disk

    const jaeger = await stackLib.startStack({ ...ports, workDir: dir, components: { collector: false, prometheus: false } });
    cleanups.push(() => jaeger.stop());
    expect(await jaeger.queryJaegerTraces(service)).toEqual([]);

    col = await stackLib.startCollector({ ports, workDir: dir }); // same storage directory
    const traces = await stackLib.eventually(
      () => jaeger.queryJaegerTraces(service),
      (t: any[]) => t.length === traceIds.length,
      { timeoutMs: 60_000, what: 'queued traces delivered after restart' },
    );
    expect(traces.map((t: any) => t.traceID).sort()).toEqual([...traceIds].sort());
  }, 180_000);
});
