/** The shipper's delivery rules, in-process: OTLP env parsing, when to kick a shipper, preload stripping, backoff and Retry-After, the accumulator, span encoding. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { parseOtlpEnv, redactUrl } from '../../src/settings/otlp';
import type { Batch } from '../../src/model/records';
import { expireStreams, foldBatch, newMetricsState, pruneFolded, streamKey, streamResource } from '../../src/shipper/accumulator';
import { encodeMetrics, encodeSpans, nanosToHrTime } from '../../src/shipper/encode';
import { kickShipper, shipperEnv, stripOurPreload } from '../../src/spool/kick';
import { isShipperProcess } from '../../src/settings/process-role';
import { HEARTBEAT_MS, STALE_MS, WATCHDOG_MS, ShipperLock, lockStatus } from '../../src/spool/lock';
import { backoffMs, parseRetryAfter, shipperOptions } from '../../src/shipper/options';
import { durationMs, MAX_TIMER_MS } from '../../src/settings/durations';
import { withUrlCredentials } from '../../src/shipper/transport';
import { routeKey, writeShipperState, emptyShipperState } from '../../src/spool/shipper-state';
import { decodeProtobuf, flattenMetrics, flattenSpans } from '../support/otlp-decode';
import { lockFile } from '../../src/spool/layout';

describe('parseOtlpEnv', () => {
  it('defaults to http/protobuf on localhost:4318 with signal paths', () => {
    const c = parseOtlpEnv({});
    expect(c.traces.url).toBe('http://localhost:4318/v1/traces');
    expect(c.metrics.url).toBe('http://localhost:4318/v1/metrics');
    expect(c.traces.protocol).toBe('http/protobuf');
    expect(c.traces.compression).toBe('none');
    expect(c.traces.timeoutMs).toBe(10_000);
    expect(c.problems).toEqual([]);
  });

  it('appends the signal path to the generic endpoint (keeping its base path) and uses per-signal ones as is', () => {
    const c = parseOtlpEnv({
      OTEL_EXPORTER_OTLP_ENDPOINT: 'https://collector.example:4318/otlp/',
      OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: 'https://m.example/custom',
    });
    expect(c.traces.url).toBe('https://collector.example:4318/otlp/v1/traces');
    expect(c.traces.urlSource).toBe('OTEL_EXPORTER_OTLP_ENDPOINT');
    expect(c.metrics.url).toBe('https://m.example/custom');
    expect(c.metrics.urlSource).toBe('OTEL_EXPORTER_OTLP_METRICS_ENDPOINT');
  });

  it('headers: generic then per-signal, percent-decoded; bad entries reported by name only', () => {
    const c = parseOtlpEnv({
      OTEL_EXPORTER_OTLP_HEADERS: 'Authorization=Bearer%20tok3n,x-a=1,broken,=x',
      OTEL_EXPORTER_OTLP_TRACES_HEADERS: 'x-a=2',
    });
    expect(c.traces.headers).toEqual({ authorization: 'Bearer tok3n', 'x-a': '2' });
    expect(c.metrics.headers).toEqual({ authorization: 'Bearer tok3n', 'x-a': '1' });
    expect(c.problems.join('\n')).toMatch(/OTEL_EXPORTER_OTLP_HEADERS has an entry/);
    expect(c.problems.join('\n')).not.toMatch(/tok3n/);
  });

  it('invalid values: endpoint unusable (batches kept), others fall back, secrets never echoed', () => {
    const c = parseOtlpEnv({
      OTEL_EXPORTER_OTLP_ENDPOINT: 'not a url user:pass',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
      OTEL_EXPORTER_OTLP_COMPRESSION: 'br',
      OTEL_EXPORTER_OTLP_TIMEOUT: '-5',
      OTEL_EXPORTER_OTLP_TRACES_TIMEOUT: '2500',
    });
    expect(c.traces.url).toBeUndefined();
    expect(c.metrics.url).toBeUndefined();
    expect(c.traces.protocol).toBe('http/protobuf');
    expect(c.traces.compression).toBe('none');
    expect(c.traces.timeoutMs).toBe(2500);
    expect(c.metrics.timeoutMs).toBe(10_000);
    expect(c.problems.length).toBeGreaterThanOrEqual(4);
    expect(c.problems.join('\n')).not.toMatch(/user:pass/);
  });

  it('redacts credentials and queries for display', () => {
    expect(redactUrl('https://u:p@h.example:1/v1/traces?key=abc#x')).toBe('https://h.example:1/v1/traces');
    expect(parseOtlpEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://u:secret@h:4318' }).traces.displayUrl).toBe('http://h:4318/v1/traces');
  });
});

describe('kick helpers', () => {
  it('strips only our preload from NODE_OPTIONS', () => {
    expect(stripOurPreload('--require devtool-telemetry/register --max-old-space-size=100')).toBe('--max-old-space-size=100');
    expect(stripOurPreload('-r devtool-telemetry/register')).toBe('');
    expect(stripOurPreload('--import=devtool-telemetry/register --enable-source-maps')).toBe('--enable-source-maps');
    expect(stripOurPreload('--require "/x/node_modules/devtool-telemetry/dist/cjs/register.js" -r other')).toBe('-r other');
    expect(stripOurPreload('--import file:///x/node_modules/devtool-telemetry/dist/esm/register.mjs')).toBe('');
    expect(stripOurPreload('--require ./other-preload.js')).toBe('--require ./other-preload.js');
    const env = shipperEnv({ NODE_OPTIONS: '--require devtool-telemetry/register', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://x', HTTPS_PROXY: 'http://p' });
    expect(env.NODE_OPTIONS).toBeUndefined();
    expect(env.OTEL_EXPORTER_OTLP_ENDPOINT).toBe('http://x');
    expect(env.HTTPS_PROXY).toBe('http://p');
    expect(isShipperProcess(env)).toBe(true);
    expect(isShipperProcess({})).toBe(false);
  });

  it('does not spawn while a live shipper holds the lock, or while the breaker is open for this endpoint', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dtt-kick-'));
    const env = { XDG_CACHE_HOME: dir, OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9' };
    fs.mkdirSync(path.join(dir, 'devtool-telemetry'), { recursive: true });
    const lock = new ShipperLock(env);
    expect(lock.acquire()).toBe(true);
    expect(lockStatus(env).held).toBe(true);
    expect(kickShipper(env)).toBe('running');
    expect(new ShipperLock(env).acquire()).toBe(false);
    lock.release();
    expect(lockStatus(env).held).toBe(false);
    writeShipperState(env, { ...emptyShipperState(), nextAttemptAt: Date.now() + 60_000, breakerKey: routeKey(env) });
    expect(kickShipper(env)).toBe('breaker-open');
    // Another proxy set-up is not "down" (another endpoint has a state folder of its own).
    expect(routeKey({ ...env, HTTPS_PROXY: 'http://127.0.0.1:10' })).not.toBe(routeKey(env));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('breaks a lock whose owner is dead', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dtt-lock-'));
    const env = { XDG_CACHE_HOME: dir };
    fs.mkdirSync(path.dirname(lockFile(env)), { recursive: true });
    fs.writeFileSync(lockFile(env), JSON.stringify({ pid: 2 ** 22 + 12345, token: 'dead', startedAt: 1 }));
    expect(lockStatus(env)).toMatchObject({ held: false, stale: true });
    const lock = new ShipperLock(env);
    expect(lock.acquire()).toBe(true);
    expect(lock.owned()).toBe(true);
    lock.release();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("the owner's beat marks the lock alive; a lock left unbeaten past STALE_MS is a hung owner's", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dtt-lock-'));
    const env = { XDG_CACHE_HOME: dir };
    const lock = new ShipperLock(env);
    expect(lock.acquire()).toBe(true);
    const back = (ms: number) => fs.utimesSync(lockFile(env), new Date(Date.now() - ms), new Date(Date.now() - ms));
    const age = () => Date.now() - fs.statSync(lockFile(env)).mtimeMs;
    // Just within: a shipper that slept one look (HEARTBEAT_MS) and some is still alive.
    back(HEARTBEAT_MS + 5_000);
    expect(lockStatus(env).held).toBe(true);
    // Another process's beat is no beat: it does not own the lock.
    expect(new ShipperLock(env).beat()).toBe(false);
    expect(age()).toBeGreaterThan(HEARTBEAT_MS);
    expect(lock.beat()).toBe(true);
    expect(age()).toBeLessThan(5_000);
    back(STALE_MS + 1_000);
    expect(lockStatus(env)).toMatchObject({ held: false, stale: true });
    lock.release();
    expect(lock.beat()).toBe(false);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});

describe('the lock heartbeat when the shipper is busy', () => {
  afterEach(() => void vi.useRealTimers());

  it('a timer beats only after WATCHDOG_MS without a beat of the shipper; each beat() postpones it', () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'Date'] });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dtt-lock-'));
    const env = { XDG_CACHE_HOME: dir };
    const lock = new ShipperLock(env);
    expect(lock.acquire()).toBe(true);
    const old = new Date(Date.now() - 90_000);
    const setOld = () => fs.utimesSync(lockFile(env), old, old);
    const beaten = () => fs.statSync(lockFile(env)).mtimeMs > old.getTime() + 1_000;
    setOld();
    vi.advanceTimersByTime(HEARTBEAT_MS);
    expect(beaten()).toBe(false); // a waiting shipper's own look comes first
    vi.advanceTimersByTime(WATCHDOG_MS - HEARTBEAT_MS);
    expect(beaten()).toBe(true); // none came: the fallback beat
    // The shipper's own beat moves the fallback a whole WATCHDOG_MS later.
    vi.advanceTimersByTime(WATCHDOG_MS - 1_000);
    expect(lock.beat()).toBe(true);
    setOld();
    vi.advanceTimersByTime(2_000);
    expect(beaten()).toBe(false);
    vi.advanceTimersByTime(WATCHDOG_MS);
    expect(beaten()).toBe(true);
    lock.release();
    fs.rmSync(dir, { recursive: true, force: true });
  });
});

describe('retry timing', () => {
  it('exponential backoff with equal jitter, capped', () => {
    const o = { retryBaseMs: 1000, retryMaxMs: 8000 };
    expect(backoffMs(1, o, () => 0)).toBe(500);
    expect(backoffMs(1, o, () => 1)).toBe(1000);
    expect(backoffMs(3, o, () => 1)).toBe(4000);
    expect(backoffMs(10, o, () => 1)).toBe(8000);
    expect(backoffMs(10, o, () => 0)).toBe(4000);
  });

  it('every duration setting is validated and clamped below the timer limit', () => {
    const spec = { fallback: 60_000, min: 1_000, max: 86_400_000, allowZero: true };
    expect(durationMs(String(2 ** 31), spec)).toMatchObject({ ms: 86_400_000, problem: expect.stringContaining('above the limit') });
    expect(durationMs(2 ** 31, { fallback: 5 }).ms).toBe(MAX_TIMER_MS);
    expect(durationMs('1e12', spec)).toMatchObject({ ms: 60_000, problem: expect.any(String) });
    expect(durationMs('-5', spec).ms).toBe(60_000);
    expect(durationMs(Number.NaN, spec).ms).toBe(60_000);
    expect(durationMs('0', spec).ms).toBe(0);
    expect(durationMs('10', spec).ms).toBe(1_000);
    expect(durationMs(undefined, spec)).toEqual({ ms: 60_000 });
    const huge = String(2 ** 40);
    const o = shipperOptions({ DEVTOOL_TELEMETRY_RETRY_BASE_MS: huge, DEVTOOL_TELEMETRY_RETRY_MAX_MS: huge, DEVTOOL_TELEMETRY_SHIPPER_MAX_WAIT_MS: huge, DEVTOOL_TELEMETRY_SHIPPER_MAX_LIFE_MS: huge });
    for (const v of [o.retryBaseMs, o.retryMaxMs, o.maxWaitMs, o.maxLifeMs, backoffMs(40, o)]) expect(v).toBeLessThan(2 ** 31);
  });

  it('credentials in the endpoint URL become Basic auth; a configured Authorization wins', () => {
    const r = withUrlCredentials('http://us%3Aer:p%40ss@127.0.0.1:4318/v1/traces', { 'content-type': 'x' });
    expect(r.url).toBe('http://127.0.0.1:4318/v1/traces');
    expect(r.headers.authorization).toBe(`Basic ${Buffer.from('us:er:p@ss').toString('base64')}`);
    expect(withUrlCredentials('http://a:b@h/x', { Authorization: 'Bearer t' }).headers).toEqual({ Authorization: 'Bearer t' });
    expect(withUrlCredentials('http://h/x', {})).toEqual({ url: 'http://h/x', headers: {} });
  });

  it('Retry-After: seconds or HTTP date; garbage ignored', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('7', now)).toBe(7000);
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Wed, 31 Dec 2025 00:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
    expect(parseRetryAfter(['3', '9'], now)).toBe(3000);
  });
});

function batch(id: string, sessionId: string, runs: number, spans = 0): Batch {
  const ns = '1795515587578000000';
  return {
    v: 1,
    id,
    createdAt: 1,
    level: 'usage',
    resource: { 'service.name': 't', 'session.id': sessionId },
    spans: Array.from({ length: spans }, (_, i) => ({
      traceId: 'ab'.repeat(16),
      spanId: (i + 1).toString(16).padStart(16, '0'),
      parentSpanId: i ? '0000000000000001' : undefined,
      name: `s${i}`,
      kind: 3,
      startTimeUnixNano: ns,
      endTimeUnixNano: '1795515587579000000',
      attributes: { 'process.exit.code': 1, ratio: 0.5, flags: ['--a', '--b'] },
      events: [{ name: 'e', timeUnixNano: ns, attributes: { k: 'v' } }],
      links: [],
      status: { code: 2, message: 'TypeError' },
    })) as Batch['spans'],
    metrics: [
      { name: 'devtool.command.runs', unit: '{run}', description: 'd', type: 'sum', startTimeUnixNano: ns, timeUnixNano: ns, points: [{ attributes: { c: 'x' }, value: runs }] },
      { name: 'h', unit: 's', description: '', type: 'histogram', startTimeUnixNano: ns, timeUnixNano: ns, points: [{ attributes: {}, count: 2, sum: 3, min: 1, max: 2, bounds: [1.5], bucketCounts: [1, 1] }] },
    ],
  };
}

describe('accumulator', () => {
  it('folds each batch once, per stream without per-run resource keys', () => {
    const st = newMetricsState();
    expect(foldBatch(st, batch('a', 's1', 1), 'fa')).toBe(true);
    expect(foldBatch(st, batch('b', 's2', 2), 'fb')).toBe(true);
    expect(foldBatch(st, batch('a', 's1', 1), 'fa')).toBe(false); // already folded: no double count
    expect(foldBatch(st, batch('a', 's1', 0), 'fa2')).toBe(true); // same id, another write: counts
    const key = streamKey({ name: 'devtool.command.runs', unit: '{run}', type: 'sum' }, streamResource({ 'service.name': 't' }), { c: 'x' });
    expect(st.streams[key].value).toBe(3);
    const h = Object.values(st.streams).find((s) => s.name === 'h')!;
    expect(h).toMatchObject({ count: 6, sum: 9, min: 1, max: 2, bucketCounts: [3, 3] }); // a, b and the second 'a' write
    pruneFolded(st, new Set(['fb']));
    expect(st.folded).toEqual({ fb: 'b' });
  });

  it('expires streams no run touched for 30 days', () => {
    const st = newMetricsState();
    foldBatch(st, batch('a', 's1', 1), 'fa');
    const n = Object.keys(st.streams).length;
    expect(n).toBe(2);
    expireStreams(st, Date.now() + 29 * 86_400_000);
    expect(Object.keys(st.streams)).toHaveLength(2);
    expireStreams(st, Date.now() + 31 * 86_400_000);
    expect(Object.keys(st.streams)).toHaveLength(0);
  });

  it('encodes cumulative metrics that decode to the folded totals, one stream identity', () => {
    const st = newMetricsState();
    for (let i = 0; i < 5; i++) foldBatch(st, batch(`b${i}`, `s${i}`, 1), `f${i}`);
    const body = encodeMetrics(st, 'http/protobuf')!;
    const flat = flattenMetrics(decodeProtobuf('metrics', body), 0);
    const runs = flat.find((m) => m.name === 'devtool.command.runs')!;
    expect(runs.temporality).toBe('cumulative');
    expect(runs.isMonotonic).toBe(true);
    expect(runs.points.map((p) => Number(p.value))).toEqual([5]);
    // The stream starts with the first run folded into it.
    expect(runs.points[0].startTimeUnixNano).toBe('1795515587578000000');
    expect(runs.resource['service.name']).toBe('t');
    expect(runs.resource['service.instance.id']).toMatch(/^[0-9a-f]{32}$/);
    // stable for the same accumulator and resource, distinct for another resource
    const again = flattenMetrics(decodeProtobuf('metrics', encodeMetrics(st, 'http/protobuf')!), 0).find((m) => m.name === 'devtool.command.runs')!;
    expect(again.resource['service.instance.id']).toBe(runs.resource['service.instance.id']);
    const h = flat.find((m) => m.name === 'h')!;
    expect(h.points[0]).toMatchObject({ count: 10, sum: 15, bucketCounts: [5, 5] });
    const json = JSON.parse(Buffer.from(encodeMetrics(st, 'http/json')!).toString()) as { resourceMetrics: unknown[] };
    expect(json.resourceMetrics).toHaveLength(1);
    foldBatch(st, { ...batch('other', 'sx', 1), resource: { 'service.name': 't', 'service.version': '2' } }, 'fo');
    const both = flattenMetrics(decodeProtobuf('metrics', encodeMetrics(st, 'http/protobuf')!), 0).filter((m) => m.name === 'devtool.command.runs');
    expect(new Set(both.map((m) => m.resource['service.instance.id'])).size).toBe(2);
  });
});

describe('span encoding', () => {
  it('round-trips our records through the official serializer', () => {
    const b = batch('x', 's', 1, 2);
    const flat = flattenSpans(decodeProtobuf('traces', encodeSpans([b], 'http/protobuf')), 0);
    expect(flat).toHaveLength(2);
    expect(flat[1]).toMatchObject({
      traceId: 'ab'.repeat(16),
      spanId: '0000000000000002',
      parentSpanId: '0000000000000001',
      name: 's1',
      kind: 3,
      startTimeUnixNano: '1795515587578000000',
      endTimeUnixNano: '1795515587579000000',
      status: { code: 2, message: 'TypeError' },
    });
    expect(flat[1].attributes).toMatchObject({ ratio: 0.5, flags: ['--a', '--b'] });
    expect(Number(flat[1].attributes['process.exit.code'])).toBe(1);
    expect(flat[1].events[0]).toMatchObject({ name: 'e', timeUnixNano: '1795515587578000000', attributes: { k: 'v' } });
    expect(flat[1].resource).toEqual(b.resource);
    expect(nanosToHrTime('1795515587578000123')).toEqual([1795515587, 578000123]);
    expect(nanosToHrTime('42')).toEqual([0, 42]);
  });
});
