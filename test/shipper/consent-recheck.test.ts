/**
 * Consent changed after runs were spooled, with real processes and real files (issue 13, items 5,
 * 7, 8): an opt-out made while a shipper waits for the collector, an opt-out that
 * OTEL_SERVICE_NAME must not bypass, and the cumulative metric streams of a tool that is now off.
 */
import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cleanupAfterEach } from '../support/hooks';
import { REPO_ROOT, runFixture, type Env } from '../support/run-fixture';
import { freePort, startReceiver, type ReceivedRequest, type Receiver } from '../support/otlp-receiver';
import { decodeProtobuf, flattenMetrics, flattenSpans } from '../support/otlp-decode';
import { DIST, lockPid, readJsonFile, runShipperProcess, runWriter, shipperSuiteSandbox, spoolFiles, waitShipperGone } from './helpers';
import { isAlive, waitUntil } from '../support/run-fixture';
import { metricsStateFile, shipperStateFile } from '../../src/spool/layout';

const sb = shipperSuiteSandbox();
const defer = cleanupAfterEach();

const CLI = path.join(REPO_ROOT, 'bin', 'devtool-telemetry.js');

/** A collector that is down (503) until `up()`, and remembers what it accepted (2xx). */
async function switchableCollector(): Promise<{ rx: Receiver; up: () => void; accepted: ReceivedRequest[] }> {
  let isUp = false;
  const accepted: ReceivedRequest[] = [];
  const rx = await startReceiver({
    respond: (req) => {
      if (!isUp) return { status: 503 };
      accepted.push(req);
      return undefined;
    },
  });
  defer(() => rx.close());
  return { rx, up: () => (isUp = true), accepted };
}

/** Own cache and config dirs: opt-outs must not leak into other tests. */
function freshEnv(extra: Env = {}): Env {
  return {
    ...sb.env,
    XDG_CACHE_HOME: fs.mkdtempSync(path.join(sb.root, 'cache-')),
    XDG_CONFIG_HOME: fs.mkdtempSync(path.join(sb.root, 'config-')),
    ...extra,
  };
}

function cli(env: Env, ...args: string[]): string {
  return execFileSync(process.execPath, [CLI, ...args], { env, encoding: 'utf8' });
}

function dropped(env: Env): Record<string, number> {
  return readJsonFile<{ dropped: Record<string, number> }>(shipperStateFile(env)).dropped;
}

function serviceNames(reqs: ReceivedRequest[]): string[] {
  const out: string[] = [];
  for (const r of reqs) {
    const d = r.decoded ?? (r.signal ? decodeProtobuf(r.signal, r.body) : undefined);
    if (!d) continue;
    const flat = r.signal === 'traces' ? flattenSpans(d, 0) : r.signal === 'metrics' ? flattenMetrics(d, 0) : [];
    for (const x of flat) out.push(String((x as { resource: Record<string, unknown> }).resource['service.name']));
  }
  return out;
}

describe('consent is re-checked before every request', () => {
  it('collector down, run, `disable --all` while the shipper waits, collector up: nothing is sent, the batches are dropped as opted-out and counted', async () => {
    const { rx, up, accepted } = await switchableCollector();
    const env = freshEnv({
      OTEL_EXPORTER_OTLP_ENDPOINT: rx.url,
      // The shipper waits in-process between attempts: the opt-out lands while it waits.
      DEVTOOL_TELEMETRY_RETRY_BASE_MS: '2000',
      DEVTOOL_TELEMETRY_RETRY_MAX_MS: '2000',
      DEVTOOL_TELEMETRY_SHIPPER_MAX_WAIT_MS: '10000',
      DEVTOOL_TELEMETRY_SHIPPER_MAX_ATTEMPTS: '20',
    });
    for (let i = 0; i < 3; i++) await runWriter({ ...env, DEVTOOL_TELEMETRY_SHIPPER: '1' }, `r${i}`);
    const shipper = spawn(process.execPath, [path.join(DIST, 'shipper', 'main.js')], { env: { ...env, DEVTOOL_TELEMETRY_SHIPPER: '1' }, stdio: 'ignore' });
    defer(() => {
      if (shipper.exitCode === null) shipper.kill('SIGKILL');
    });
    await rx.waitFor(() => rx.requests.some((r) => r.signal === 'traces'), 15_000); // it tried, got 503, now waits
    cli(env, 'disable', '--all');
    up();
    const code = await new Promise<number | null>((r) => shipper.once('exit', r));
    expect(code).toBe(0);
    expect(accepted).toEqual([]); // nothing left the machine after the opt-out
    expect(spoolFiles(env)).toEqual([]);
    // 3 batches of 1 span + 2 metric points, and the 2 cumulative streams folded from them.
    expect(dropped(env)).toEqual({ 'opted-out': 3 * 3 + 2 });
    expect(cli(env, 'status')).toMatch(/dropped: +11 opted-out/);
  }, 60_000);

  it('a real run while nothing listens, `disable --all` while its shipper waits, collector up: not one connection', async () => {
    const port = await freePort(); // the collector is down: connections are refused
    const env = freshEnv({
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`,
      DEVTOOL_TELEMETRY_RETRY_BASE_MS: '2000',
      DEVTOOL_TELEMETRY_RETRY_MAX_MS: '2000',
      DEVTOOL_TELEMETRY_SHIPPER_MAX_WAIT_MS: '10000',
      DEVTOOL_TELEMETRY_SHIPPER_MAX_ATTEMPTS: '20',
    });
    const run = await runFixture({ script: 'fixture-tool/cli.js', args: ['ok'], env, mode: 'require' });
    expect(run.code).toBe(0);
    // The shipper the run started has failed once and now waits to retry.
    await waitUntil(() => {
      try {
        return readJsonFile<{ failures: number }>(shipperStateFile(env)).failures >= 1;
      } catch {
        return false;
      }
    }, 15_000, 'first failed attempt');
    const pid = lockPid(env);
    expect(pid && isAlive(pid)).toBeTruthy();
    expect(spoolFiles(env).length).toBeGreaterThan(0);
    cli(env, 'disable', '--all');
    const rx = await startReceiver({ port });
    defer(() => rx.close());
    await waitShipperGone(env, 30_000);
    expect(rx.connections).toBe(0);
    expect(spoolFiles(env)).toEqual([]);
    expect(dropped(env)['opted-out']).toBeGreaterThan(0);
  }, 60_000);

  it('OTEL_SERVICE_NAME does not bypass a tool opt-out: consent follows the tool recorded with the batch', async () => {
    const { rx, up, accepted } = await switchableCollector();
    const env = freshEnv({
      OTEL_EXPORTER_OTLP_ENDPOINT: rx.url,
      OTEL_SERVICE_NAME: 'renamed-service',
      DEVTOOL_TELEMETRY_SHIPPER_MAX_ATTEMPTS: '1', // the shipper the run starts gives up at once
    });
    // A real run with the real preload: spooled (the collector is down), recorded as fixture-tool.
    const run = await runFixture({ script: 'fixture-tool/cli.js', args: ['ok'], env, mode: 'require' });
    expect(run.code).toBe(0);
    await rx.waitFor(() => rx.requests.some((r) => r.signal === 'traces'), 15_000);
    await waitShipperGone(env);
    expect(serviceNames(rx.requests.filter((r) => r.signal === 'traces'))).toContain('renamed-service'); // the display name differs
    const spooled = spoolFiles(env).length;
    expect(spooled).toBeGreaterThan(0);
    // Another tool's run, which must still go out: proves the shipper below does send.
    const other = await runWriter({ ...env, DTT_TOOL: 'other-tool', DEVTOOL_TELEMETRY_SHIPPER: '1' }, 'other');

    cli(env, 'disable', '--tool', 'fixture-tool');
    up();
    const r = await runShipperProcess(env);
    expect(r.code).toBe(0);
    expect(spoolFiles(env)).toEqual([]);
    const sent = serviceNames(accepted);
    expect(sent).not.toContain('renamed-service');
    expect(sent).toContain('other-tool');
    expect(rx.spans().filter((s) => accepted.includes(rx.requests[s.request]!)).map((s) => s.traceId)).toEqual([other.out.traceId]);
    expect(dropped(env)['opted-out']).toBeGreaterThan(0);
  }, 60_000);

  it('metric streams of a tool that is now off are not exported again, and are dropped', async () => {
    const rx = await startReceiver();
    defer(() => rx.close());
    const env = freshEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: rx.url });
    // tool-a's runs are delivered: its cumulative streams now live in the shipper's accumulator.
    for (let i = 0; i < 2; i++) await runWriter({ ...env, DTT_TOOL: 'tool-a', DEVTOOL_TELEMETRY_SHIPPER: '1' }, `a${i}`);
    await runShipperProcess(env);
    expect(serviceNames(rx.requests.filter((r) => r.signal === 'metrics'))).toContain('tool-a');
    const streamsOf = (tool: string) =>
      Object.values(readJsonFile<{ streams: Record<string, { resource: Record<string, unknown> }> }>(metricsStateFile(env)).streams).filter(
        (s) => s.resource['service.name'] === tool,
      ).length;
    const aStreams = streamsOf('tool-a');
    expect(aStreams).toBe(2);

    cli(env, 'disable', '--tool', 'tool-a');
    rx.reset();
    // The next export (caused by tool-b) carries every cumulative stream, but not tool-a's any more.
    await runWriter({ ...env, DTT_TOOL: 'tool-b', DEVTOOL_TELEMETRY_SHIPPER: '1' }, 'b');
    await runShipperProcess(env);
    const names = serviceNames(rx.requests.filter((r) => r.signal === 'metrics'));
    expect(names).toContain('tool-b');
    expect(names).not.toContain('tool-a');
    expect(streamsOf('tool-a')).toBe(0);
    expect(streamsOf('tool-b')).toBe(2);
    expect(dropped(env)).toEqual({ 'opted-out': aStreams });
  }, 60_000);
});
