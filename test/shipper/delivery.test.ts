/**
 * End to end through real processes: writer fixtures (what the recorder does at exit) kick the
 * detached shipper, which exports to a real OTLP/HTTP receiver on loopback.
 */
import * as net from 'node:net';
import { describe, expect, it } from 'vitest';
import { receiversPerTest } from '../support/hooks';
import type { Env } from '../support/run-fixture';
import { ownSpoolEnv, shipperSuiteSandbox, latestTotal, readJsonFile, runWriter, spoolFiles, waitShipperGone } from './helpers';
import { shipperStateFile } from '../../src/spool/layout';

const sb = shipperSuiteSandbox();
const receiver = receiversPerTest();

const freshEnv = (extra: Env = {}): Env => ownSpoolEnv(sb, extra);

function countBy<T>(xs: T[]): Map<T, number> {
  const m = new Map<T, number>();
  for (const x of xs) m.set(x, (m.get(x) ?? 0) + 1);
  return m;
}

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

describe('delivery', () => {
  it('100 concurrent tool processes: exactly 100 runs delivered once each, metric totals exact', async () => {
    const rx = await receiver();
    // The receiver shares this test worker's event loop with 100 synchronous spawns; on a loaded
    // machine it can take longer than the default 10 s export timeout to read a request, and a
    // request that times out after the collector got it is resent (at-least-once, see README).
    // A generous timeout keeps this test about concurrency, not about a stalled receiver.
    const env = freshEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: rx.url, OTEL_EXPORTER_OTLP_TIMEOUT: '120000' });
    const outs = await Promise.all(Array.from({ length: 100 }, (_, i) => runWriter(env, `c${i}`, 3, 60_000)));
    expect(outs.filter((o) => !(o.out.written.ok && o.code === 0 && !o.stdioHeldOpen)).map((o) => [o.out, o.stdioHeldOpen, o.code])).toEqual([]);
    // Far fewer shippers than runs were started (lock + kick marker).
    const spawned = outs.filter((o) => o.out.kick === 'spawned').length;
    expect(spawned).toBeGreaterThanOrEqual(1);
    expect(spawned).toBeLessThan(50);

    await rx.waitFor(() => new Set(rx.spans().map((s) => s.traceId)).size >= 100, 60_000);
    await waitShipperGone(env);
    expect(spoolFiles(env)).toEqual([]);
    const spans = rx.spans();
    // 100 runs x 3 spans, none twice.
    expect(spans).toHaveLength(300);
    expect(new Set(spans.map((s) => s.spanId)).size).toBe(300);
    expect(new Set(spans.map((s) => s.traceId))).toEqual(new Set(outs.map((o) => o.out.traceId)));
    // The span content survives the round trip.
    const first = spans.find((s) => s.traceId === outs[0].out.traceId && s.name === 'fixture-tool run')!;
    expect(first.name).toBe('fixture-tool run');
    expect(first.attributes['devtool.command.name']).toBe('fixture-tool c0');
    expect(first.resource['service.name']).toBe('fixture-tool');
    expect(first.kind).toBe(1);

    await rx.waitFor(() => latestTotal(rx.metrics(), 'devtool.command.runs') === 100, 20_000);
    const metrics = rx.metrics();
    expect(latestTotal(metrics, 'devtool.command.runs')).toBe(100);
    expect(latestTotal(metrics, 'devtool.command.duration', 'count')).toBe(100);
    // One stream per (metric, attributes, resource without per-run ids), stable identity and start.
    const runs = metrics.filter((m) => m.name === 'devtool.command.runs');
    expect(new Set(runs.map((m) => m.resource['service.instance.id'])).size).toBe(1);
    expect(runs.every((m) => m.resource['session.id'] === undefined)).toBe(true);
    expect(new Set(runs.flatMap((m) => m.points.map((p) => p.startTimeUnixNano))).size).toBe(1);
    expect(runs.every((m) => m.isMonotonic === true)).toBe(true);
    const st = readJsonFile<{ sentSpans: number; sentBatches: number }>(shipperStateFile(env));
    expect(st.sentSpans).toBe(300);
    expect(st.sentBatches).toBe(100);
  }, 120_000);

  it('collector down for 20 runs, then up: every run delivered exactly once, and no shipper storm', async () => {
    const port = await freePort();
    const env = freshEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}` });
    const outs = [];
    for (let i = 0; i < 20; i++) outs.push(await runWriter(env, `down${i}`));
    expect(outs.every((o) => o.out.written.ok)).toBe(true);
    // Each run exits at once even though nothing listens.
    // (A network wait would be seconds; spawning a process costs a few ms, the other paths well under.)
    // The bound is loose because a spawn can stall on a loaded test machine; waiting on the
    // network would cost at least the export timeout (10 s), which is what this rules out.
    expect(Math.max(...outs.map((o) => o.out.kickMs))).toBeLessThan(1_000);
    const quick = outs.filter((o) => o.out.kick !== 'spawned').map((o) => o.out.kickMs).sort((a, b) => a - b);
    expect(quick.length).toBeGreaterThan(0);
    expect(quick[Math.floor(quick.length / 2)]).toBeLessThan(10); // ~0.3 ms idle; see bench/exit-delay.mjs
    expect(outs.filter((o) => o.out.kick === 'spawned').length).toBeLessThan(20);
    await waitShipperGone(env);
    expect(spoolFiles(env)).toHaveLength(20);
    const state = readJsonFile<{ failures: number; lastError: string }>(shipperStateFile(env));
    expect(state.failures).toBeGreaterThan(0);
    expect(state.lastError).toMatch(/network error/);

    const rx = await receiver({ port });
    await new Promise((r) => setTimeout(r, 500)); // past the (test-sized) breaker period
    const last = await runWriter(env, 'up');
    expect(last.out.kick).toBe('spawned');
    await rx.waitFor(() => new Set(rx.spans().map((s) => s.traceId)).size >= 21, 30_000);
    await waitShipperGone(env);
    const counts = countBy(rx.spans().map((s) => s.traceId));
    for (const o of [...outs, last]) expect(counts.get(o.out.traceId)).toBe(1);
    expect(counts.size).toBe(21);
    await rx.waitFor(() => latestTotal(rx.metrics(), 'devtool.command.runs') === 21, 10_000);
    expect(spoolFiles(env)).toEqual([]);
  }, 120_000);

  it('http/json with gzip and custom headers', async () => {
    const rx = await receiver();
    const env = freshEnv({
      OTEL_EXPORTER_OTLP_ENDPOINT: rx.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_EXPORTER_OTLP_COMPRESSION: 'gzip',
      OTEL_EXPORTER_OTLP_HEADERS: 'x-api-key=s3cr%20t,x-team=dev',
    });
    const w = await runWriter(env, 'json', 2);
    await rx.waitFor(() => rx.spans().length >= 2 && latestTotal(rx.metrics(), 'devtool.command.runs') === 1, 20_000);
    const req = rx.requests.find((r) => r.signal === 'traces')!;
    expect(req.encoding).toBe('json');
    expect(req.headers['content-encoding']).toBe('gzip');
    expect(req.headers['x-api-key']).toBe('s3cr t');
    expect(req.headers['x-team']).toBe('dev');
    expect(rx.spans().map((s) => s.traceId)).toEqual([w.out.traceId, w.out.traceId]);
    expect(rx.requests.find((r) => r.signal === 'metrics')?.encoding).toBe('json');
    await waitShipperGone(env);
  }, 60_000);
});
