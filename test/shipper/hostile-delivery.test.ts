/**
 * Delivery against collectors that refuse, stall or lie, with real shipper processes on loopback
 * (issue 13, items 9-13): 401/403 keep the backlog, SIGKILLs during a slow collector duplicate at
 * most one request each, credentials in the endpoint URL survive a proxy, a hostile partialSuccess
 * is clamped, and huge duration settings never become a 1 ms loop.
 */
import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cleanupAfterEach, receiversPerTest } from '../support/hooks';
import { REPO_ROOT, runFixture, waitUntil, type Env } from '../support/run-fixture';
import type { ReceivedRequest } from '../support/otlp-receiver';
import { DIST, ownSpoolEnv, shipperSuiteSandbox, readJsonFile, runShipperProcess, runWriter, spoolFiles, waitShipperGone } from './helpers';
import { startProxy } from './proxy';
import { shipperStateFile } from '../../src/spool/layout';

const sb = shipperSuiteSandbox();
const defer = cleanupAfterEach();
const receiver = receiversPerTest(defer);

const CLI = path.join(REPO_ROOT, 'bin', 'devtool-telemetry.js');

/** A spool and a config of its own; fast retries unless the test sets its own. */
const freshEnv = (extra: Env = {}): Env => ownSpoolEnv(sb, { XDG_CONFIG_HOME: fs.mkdtempSync(path.join(sb.root, 'config-')), ...extra });

async function spoolRuns(env: Env, n: number, spans = 1): Promise<string[]> {
  const r = await runWriter({ ...env, DEVTOOL_TELEMETRY_SHIPPER: '1', DTT_BATCHES: String(n) }, 'r', spans);
  return (r.out as unknown as { traceIds: string[] }).traceIds;
}

interface State {
  dropped: Record<string, number>;
  sentSpans: number;
  nextAttemptAt: number;
  auth?: { status: number; failures: number };
}
function state(env: Env): State {
  return readJsonFile<State>(shipperStateFile(env));
}

const basic = (user: string, pass: string): string => `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;

describe('auth errors keep the backlog', () => {
  for (const status of [401, 403]) {
    it(`${status}: batches kept, delivery paused and counted, said in status; once the collector accepts us, everything is delivered`, async () => {
      let refuse = true;
      const accepted: ReceivedRequest[] = [];
      const rx = await receiver({
        respond: (req) => {
          if (refuse) return { status };
          accepted.push(req);
          return undefined;
        },
      });
      // The pause is 5 min (doubling) in real use; capped here by the longest retry period.
      const env = freshEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: rx.url, DEVTOOL_TELEMETRY_RETRY_MAX_MS: '6000' });
      const ids = await spoolRuns(env, 3);
      expect((await runShipperProcess(env)).code).toBe(0);
      expect(rx.requests.filter((r) => r.signal === 'traces')).toHaveLength(1); // not retried in a loop
      expect(spoolFiles(env)).toHaveLength(3); // nothing deleted
      const st = state(env);
      expect(st.auth).toMatchObject({ status, failures: 1 });
      expect(st.dropped).toEqual({});
      expect(st.nextAttemptAt).toBeGreaterThan(Date.now()); // paused
      const text = execFileSync(process.execPath, [CLI, 'status'], { env, encoding: 'utf8' });
      expect(text).toContain(`refused our credentials (HTTP ${status}`);
      expect(text).toContain('3 batch(es) kept');
      // Paused: a run with the same settings does not start another doomed shipper.
      const same = await runWriter(env, 'same');
      expect(same.out.kick).toBe('breaker-open');
      expect(rx.requests.filter((r) => r.signal === 'traces')).toHaveLength(1);
      // The operator fixes the collector side; after the pause the next run delivers everything kept.
      refuse = false;
      await waitUntil(() => state(env).nextAttemptAt <= Date.now(), 10_000, 'pause over');
      const w = await runWriter(env, 'after');
      expect(w.out.kick).toBe('spawned');
      await waitUntil(() => spoolFiles(env).length === 0, 20_000, 'backlog delivered');
      await waitShipperGone(env);
      const delivered = new Set(rx.spans().filter((s) => accepted.includes(rx.requests[s.request]!)).map((s) => s.traceId));
      expect(delivered).toEqual(new Set([...ids, same.out.traceId, w.out.traceId]));
      expect(state(env).auth).toBeUndefined();
    }, 60_000);
  }
});

describe('duplicates do not multiply', () => {
  it('16 SIGKILLs of the shipper during a slow collector: each crash duplicates at most one request', async () => {
    let slow = true;
    const rx = await receiver({ respond: (req) => (slow && req.signal === 'traces' ? { delayMs: 3_000 } : undefined) });
    const env = freshEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: rx.url });
    const ids = await spoolRuns(env, 51);
    const main = path.join(DIST, 'shipper', 'main.js');
    const crashes = 16;
    for (let i = 0; i < crashes; i++) {
      const before = rx.requests.filter((r) => r.signal === 'traces').length;
      const child = spawn(process.execPath, [main], { env: { ...env, DEVTOOL_TELEMETRY_SHIPPER: '1' }, stdio: 'ignore' });
      // Killed while its request sits at the collector, which accepts it anyway.
      await rx.waitFor(() => rx.requests.filter((r) => r.signal === 'traces').length > before, 15_000);
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
    }
    slow = false;
    expect((await runShipperProcess(env)).code).toBe(0);
    expect(spoolFiles(env)).toEqual([]);
    const counts = new Map<string, number>();
    for (const s of rx.spans()) counts.set(s.traceId, (counts.get(s.traceId) ?? 0) + 1);
    expect(new Set(counts.keys())).toEqual(new Set(ids)); // every run delivered
    const duplicates = rx.spans().length - ids.length;
    const perCrash = duplicates / crashes;
    console.log(`duplicates: ${duplicates} spans over ${crashes} crashes (${perCrash.toFixed(1)} per crash; backlog ${ids.length})`);
    // One request is at most 16 batches (one span each here); before the fix, all 51 every time.
    expect(perCrash).toBeLessThanOrEqual(16);
    for (const r of rx.requests.filter((x) => x.signal === 'traces')) expect(rx.spans().filter((s) => s.request === rx.requests.indexOf(r)).length).toBeLessThanOrEqual(16);
  }, 120_000);
});

describe('credentials in the endpoint URL', () => {
  for (const via of ['direct', 'proxy'] as const) {
    it(`http://user:pass@host reaches the collector as Basic auth (${via})`, async () => {
      const rx = await receiver({ respond: (req) => (req.headers.authorization === basic('user', 'p@ss:w') ? undefined : { status: 401 }) });
      const proxy = via === 'proxy' ? await startProxy() : undefined;
      if (proxy) defer(() => proxy.close());
      const endpoint = rx.url.replace('http://', 'http://user:p%40ss%3Aw@');
      const env = freshEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, ...(proxy ? { HTTP_PROXY: proxy.url } : {}) });
      const ids = await spoolRuns(env, 2);
      expect((await runShipperProcess(env)).code).toBe(0);
      expect(new Set(rx.spans().map((s) => s.traceId))).toEqual(new Set(ids));
      expect(rx.requests.length).toBeGreaterThan(0);
      for (const r of rx.requests) expect(r.headers.authorization).toBe(basic('user', 'p@ss:w'));
      if (proxy) expect(proxy.forwarded.length + proxy.tunnels.length).toBeGreaterThan(0);
      // The transparency log never shows the password.
      expect(fs.readFileSync(path.join(env.XDG_CACHE_HOME!, 'devtool-telemetry', 'sent.log'), 'utf8')).not.toContain('p%40ss');
    }, 60_000);
  }
});

describe('a hostile partialSuccess', () => {
  it('rejected_spans 9,999,999,999,999 is clamped to what was sent', async () => {
    const rx = await receiver({
      respond: (req) =>
        req.signal === 'traces' ? { headers: { 'content-type': 'application/json' }, body: JSON.stringify({ partialSuccess: { rejectedSpans: '9999999999999' } }) } : undefined,
    });
    const env = freshEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: rx.url, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' });
    await spoolRuns(env, 1, 3);
    expect((await runShipperProcess(env)).code).toBe(0);
    const st = state(env);
    expect(st.dropped).toEqual({ rejected: 3 });
    expect(st.sentSpans).toBe(0);
    const log = fs.readFileSync(path.join(env.XDG_CACHE_HOME!, 'devtool-telemetry', 'sent.log'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { signal: string; rejected?: number });
    expect(log.find((e) => e.signal === 'traces')?.rejected).toBe(3);
  }, 60_000);
});

describe('duration settings at or above 2^31 ms', () => {
  it('DEVTOOL_TELEMETRY_FLUSH_INTERVAL=2^31: no 1 ms flush loop in the tool (no TimeoutOverflowWarning)', async () => {
    const rx = await receiver();
    const env = freshEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: rx.url, DEVTOOL_TELEMETRY_FLUSH_INTERVAL: String(2 ** 31) });
    const r = await runFixture({ script: 'fixture-tool/cli.js', args: ['wait'], env, mode: 'require', signalAfterMs: { signal: 'SIGTERM', afterMs: 1_500 } });
    expect(r.stderr).not.toContain('TimeoutOverflowWarning');
    // SIGTERM with no handler ends the process without running JS (plain node's behaviour): the run
    // is still recorded, from its start record, by the next shipper, once.
    expect((await runShipperProcess(env)).code).toBe(0);
    await rx.waitFor(() => rx.spans().some((s) => !s.parentSpanId), 20_000);
    await waitShipperGone(env);
    expect(rx.spans().filter((s) => !s.parentSpanId)).toHaveLength(1);
  }, 60_000);

  it('retry settings of 2^32 ms: the shipper waits (clamped), it does not hammer the collector', async () => {
    const rx = await receiver({ respond: () => ({ status: 503 }) });
    const huge = String(2 ** 32);
    const env = freshEnv({
      OTEL_EXPORTER_OTLP_ENDPOINT: rx.url,
      DEVTOOL_TELEMETRY_RETRY_BASE_MS: huge,
      DEVTOOL_TELEMETRY_RETRY_MAX_MS: huge,
      DEVTOOL_TELEMETRY_SHIPPER_MAX_WAIT_MS: huge,
      DEVTOOL_TELEMETRY_SHIPPER_MAX_LIFE_MS: huge,
    });
    await spoolRuns(env, 1);
    let stderr = '';
    const child = spawn(process.execPath, [path.join(DIST, 'shipper', 'main.js')], { env: { ...env, DEVTOOL_TELEMETRY_SHIPPER: '1' }, stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    defer(() => {
      if (child.exitCode === null) child.kill('SIGKILL');
    });
    await rx.waitFor(() => rx.requests.length > 0, 15_000);
    await new Promise((r) => setTimeout(r, 2_000));
    expect(rx.requests).toHaveLength(1); // then it waits (or parks the breaker), never a busy loop
    expect(stderr).not.toContain('TimeoutOverflowWarning');
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    expect(spoolFiles(env)).toHaveLength(1); // kept
  }, 60_000);
});
