/**
 * Fault injection with real processes on loopback: slow, failing, rejecting, hostile collectors,
 * a broken spool, a shipper killed mid-send, a proxy in the way.
 */
import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cleanupAfterEach, receiversPerTest } from '../support/hooks';
import { REPO_ROOT, type Env, isAlive } from '../support/run-fixture';
import { cacheRoot, DIST, ownSpoolEnv, shipperSuiteSandbox, latestTotal, lockPid, readJsonFile, runShipperProcess, runWriter, spoolFiles, waitShipperGone } from './helpers';
import { startProxy } from './proxy';
import { batchDir, shipperStateFile } from '../../src/spool/layout';

const sb = shipperSuiteSandbox();
const defer = cleanupAfterEach();
const receiver = receiversPerTest(defer);

const freshEnv = (extra: Env = {}): Env => ownSpoolEnv(sb, extra);

/** Write batches as a tool would, without starting a shipper (the test starts it). */
async function spoolRuns(env: Env, n: number, spans = 1): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) ids.push((await runWriter({ ...env, DEVTOOL_TELEMETRY_SHIPPER: '1' }, `r${i}`, spans)).out.traceId);
  return ids;
}

/** The shipper's state file (src/spool/state.ts), as the tests read it. */
interface ShipperStateView {
  dropped: Record<string, number>;
  nextAttemptAt: number;
  lastError: string;
  conditions: string[];
}

function shipperState(env: Env): ShipperStateView & Record<string, unknown> {
  return readJsonFile(shipperStateFile(env));
}

/** A hand-written HTTP server for behaviours the receiver does not script. */
async function rawServer(
  handler: (req: http.IncomingMessage, res: http.ServerResponse) => Promise<void>,
): Promise<{ url: string; server: http.Server; closed: () => number }> {
  let closed = 0;
  const sockets = new Set<Socket>();
  // A handler that throws is a broken test, not a collector behaviour: it fails the test's clean-up.
  const failures: unknown[] = [];
  const server = http.createServer((req, res) => {
    handler(req, res).catch((err: unknown) => {
      failures.push(err);
      res.destroy();
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => {
      closed++;
      sockets.delete(s);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  defer(
    () =>
      new Promise<void>((r, reject) => {
        for (const s of sockets) s.destroy();
        server.close(() => (failures.length > 0 ? reject(failures[0] as Error) : r()));
      }),
  );
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server, closed: () => closed };
}

describe('a slow or failing collector never delays the tool', () => {
  it('collector answering only after 30 s: the kicking process exits at once', async () => {
    const rx = await receiver({ respond: () => ({ delayMs: 30_000 }) });
    const env = freshEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: rx.url, OTEL_EXPORTER_OTLP_TIMEOUT: '60000' });
    const w = await runWriter(env, 'slow');
    expect(w.code).toBe(0);
    expect(w.out.kick).toBe('spawned');
    expect(w.stdioHeldOpen).toBe(false);
    // Waiting for the collector would take 30 s (or the 60 s export timeout set above); node's own
    // start-up on a loaded test machine can take seconds, so the bound sits well between the two.
    expect(w.ms).toBeLessThan(15_000);
    expect(w.out.kickMs).toBeLessThan(1_000);
    await rx.waitFor(() => rx.requests.length >= 1, 15_000);
    // The shipper is alive and waiting on the collector while the tool is long gone.
    const pid = lockPid(env)!;
    expect(isAlive(pid)).toBe(true);
    process.kill(pid, 'SIGTERM');
    await waitShipperGone(env);
    expect(spoolFiles(env)).toHaveLength(1); // not acknowledged: kept
  }, 60_000);

  it('503, then 429 with Retry-After: retried with backoff, then at the time the collector asked', async () => {
    let traces = 0;
    const rx = await receiver({
      respond: (req) => {
        if (req.signal !== 'traces') return undefined;
        traces++;
        return traces === 1 ? { status: 503 } : traces === 2 ? { status: 429, headers: { 'retry-after': '2' } } : undefined;
      },
    });
    const env = freshEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: rx.url });
    const [traceId] = await spoolRuns(env, 1);
    const r = await runShipperProcess(env);
    expect(r.code).toBe(0);
    const t = rx.requests.filter((q) => q.signal === 'traces').map((q) => q.time);
    expect(t).toHaveLength(3);
    // Backoff after the 503: base 100 ms with equal jitter -> 50..100 ms (+ scheduling).
    expect(t[1] - t[0]).toBeGreaterThanOrEqual(45);
    expect(t[1] - t[0]).toBeLessThan(1_500);
    // Retry-After: 2 -> not before 2 s.
    expect(t[2] - t[1]).toBeGreaterThanOrEqual(1_950);
    expect(t[2] - t[1]).toBeLessThan(4_000);
    // The same batch each time (the receiver decodes refused requests too).
    expect(rx.spans().map((s) => s.traceId)).toEqual([traceId, traceId, traceId]);
    expect(spoolFiles(env)).toEqual([]);
    expect(shipperState(env).failures).toBe(0);
  }, 60_000);

  it('Retry-After longer than the shipper may wait: breaker opens for exactly that long, runs stop spawning', async () => {
    const rx = await receiver({ respond: () => ({ status: 503, headers: { 'retry-after': '3600' } }) });
    const env = freshEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: rx.url });
    await spoolRuns(env, 1);
    const before = Date.now();
    await runShipperProcess(env);
    const st = shipperState(env) as { nextAttemptAt: number };
    expect(st.nextAttemptAt).toBeGreaterThanOrEqual(before + 3_600_000 - 1_000);
    expect(st.nextAttemptAt).toBeLessThanOrEqual(Date.now() + 3_600_000 + 1_000);
    const w = await runWriter(env, 'after');
    expect(w.out.kick).toBe('breaker-open');
    // A different endpoint configuration is not held back by this breaker, and receives only its
    // own runs: batches recorded for the first endpoint wait for it (never sent elsewhere).
    const rx2 = await receiver();
    const env2 = { ...env, OTEL_EXPORTER_OTLP_ENDPOINT: rx2.url };
    const w2 = await runWriter(env2, 'fixed');
    expect(w2.out.kick).toBe('spawned');
    await rx2.waitFor(() => new Set(rx2.spans().map((s) => s.traceId)).size === 1, 20_000);
    await waitShipperGone(env2);
    expect(new Set(rx2.spans().map((s) => s.traceId)).size).toBe(1);
    expect(spoolFiles(env)).toHaveLength(2);
    expect(spoolFiles(env2)).toEqual([]);
  }, 60_000);
});

describe('rejections', () => {
  it('400: the batch is dropped and counted, never retried', async () => {
    const rx = await receiver({ respond: (req) => (req.signal === 'traces' ? { status: 400, body: 'bad data' } : undefined) });
    const env = freshEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: rx.url });
    await spoolRuns(env, 1, 2);
    await runShipperProcess(env);
    expect(rx.requests.filter((r) => r.signal === 'traces')).toHaveLength(1);
    expect(spoolFiles(env)).toEqual([]);
    expect(shipperState(env).dropped).toEqual({ rejected: 2 });
    const dropped = rx.metrics().filter((m) => m.name === 'devtool.spool.dropped');
    expect(dropped.length).toBeGreaterThan(0);
    expect(dropped.at(-1)!.points).toEqual([expect.objectContaining({ attributes: { 'devtool.spool.drop.reason': 'rejected' }, value: 2 })]);
    // The run's own metrics were still delivered.
    expect(latestTotal(rx.metrics(), 'devtool.command.runs')).toBe(1);
  }, 60_000);

  it('one rejected batch does not take the others with it', async () => {
    let bad = '';
    const rx = await receiver({
      respond: (req) => (req.signal === 'traces' && bad && req.body.includes(Buffer.from(bad, 'hex')) ? { status: 400 } : undefined),
    });
    const env = freshEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: rx.url });
    const ids = await spoolRuns(env, 3);
    bad = ids[1]!;
    await runShipperProcess(env);
    const ok = rx.requests.filter((r) => r.signal === 'traces' && !r.body.includes(Buffer.from(bad, 'hex')));
    expect(new Set(ok.flatMap((r) => rx.spans().filter((s) => s.request === rx.requests.indexOf(r)).map((s) => s.traceId)))).toEqual(new Set([ids[0], ids[2]]));
    expect(spoolFiles(env)).toEqual([]);
    expect(shipperState(env).dropped).toEqual({ rejected: 1 });
  }, 60_000);

  it('partial success: rejected spans are counted', async () => {
    const rx = await receiver({
      respond: (req) =>
        req.signal === 'traces' ? { headers: { 'content-type': 'application/json' }, body: JSON.stringify({ partialSuccess: { rejectedSpans: '2', errorMessage: 'nope' } }) } : undefined,
    });
    const env = freshEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: rx.url, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' });
    await spoolRuns(env, 1, 3);
    await runShipperProcess(env);
    expect(spoolFiles(env)).toEqual([]);
    expect(shipperState(env).dropped).toEqual({ rejected: 2 });
    expect(shipperState(env).sentSpans).toBe(1);
  }, 60_000);
});

describe('consent is checked again when sending', () => {
  it('`devtool-telemetry disable` after runs were spooled: nothing leaves the machine, the spool is emptied', async () => {
    const rx = await receiver();
    // A config dir of its own: the opt-out must not leak into the other tests of this file.
    const env = freshEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: rx.url, XDG_CONFIG_HOME: fs.mkdtempSync(path.join(sb.root, 'config-')) });
    await spoolRuns(env, 2);
    // The user opts out with the CLI (writes the user config) before any shipper ran.
    execFileSync(process.execPath, [path.join(REPO_ROOT, 'bin', 'devtool-telemetry.js'), 'disable'], { env, stdio: 'ignore' });
    await runShipperProcess(env);
    expect(rx.connections).toBe(0);
    expect(spoolFiles(env)).toEqual([]);
  }, 60_000);
});

describe('a damaged spool', () => {
  it('garbage and truncated files are quarantined and counted; the rest is delivered', async () => {
    const rx = await receiver();
    const env = freshEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: rx.url });
    const ids = await spoolRuns(env, 3);
    const dir = batchDir(env);
    const files = spoolFiles(env).sort();
    const text = fs.readFileSync(path.join(dir, files[0]), 'utf8');
    const now = Date.now() - 10_000;
    fs.writeFileSync(path.join(dir, `${now}-1-garbage-1-20.batch`), Buffer.from([0, 159, 146, 150, 255, 1, 2]));
    fs.writeFileSync(path.join(dir, `${now + 1}-1-truncated-2-40.batch`), text.slice(0, 40));
    fs.writeFileSync(path.join(dir, `.${now}-1-writing-1-20.batch.tmp`), text.slice(0, 10)); // a write in progress: left alone
    await runShipperProcess(env);
    expect(new Set(rx.spans().map((s) => s.traceId))).toEqual(new Set(ids));
    expect(rx.spans()).toHaveLength(3);
    expect(fs.readdirSync(path.join(cacheRoot(env), 'quarantine')).sort()).toEqual([`${now}-1-garbage-1-20.batch`, `${now + 1}-1-truncated-2-40.batch`]);
    expect(fs.readdirSync(dir)).toEqual([`.${now}-1-writing-1-20.batch.tmp`]);
    expect(shipperState(env).dropped).toEqual({ corrupt: 3 });
  }, 60_000);
});

describe('a shipper killed mid-send', () => {
  it('SIGKILL while a request is in flight: the next shipper sends the rest; metric totals stay exact', async () => {
    let hang = true;
    const rx = await receiver({ respond: () => (hang ? { hang: true } : undefined) });
    const env = freshEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: rx.url, OTEL_EXPORTER_OTLP_TIMEOUT: '60000' });
    const ids = await spoolRuns(env, 5);
    const child = spawn(process.execPath, [path.join(DIST, 'shipper', 'main.js')], { env: { ...env, DEVTOOL_TELEMETRY_SHIPPER: '1' }, stdio: 'ignore' });
    defer(() => {
      if (child.exitCode === null) child.kill('SIGKILL');
    });
    await rx.waitFor(() => rx.requests.some((r) => r.signal === 'traces'), 15_000);
    const inFlight = new Set(rx.spans().map((s) => s.traceId));
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    expect(spoolFiles(env)).toHaveLength(5); // nothing acknowledged, nothing deleted
    hang = false;
    // The next run finds a dead owner's lock, starts a shipper, which breaks the lock and delivers.
    const w = await runWriter(env, 'next');
    expect(w.out.kick).toBe('spawned');
    await rx.waitFor(() => new Set(rx.spans().map((s) => s.traceId)).size === 6, 20_000);
    await waitShipperGone(env);
    expect(spoolFiles(env)).toEqual([]);
    const counts = new Map<string, number>();
    for (const s of rx.spans()) counts.set(s.traceId, (counts.get(s.traceId) ?? 0) + 1);
    for (const id of [...ids, w.out.traceId]) expect(counts.get(id)).toBeGreaterThanOrEqual(1);
    // Duplicates only for what was in flight when the shipper died.
    for (const [id, n] of counts) if (n > 1) expect(inFlight.has(id)).toBe(true);
    await rx.waitFor(() => latestTotal(rx.metrics(), 'devtool.command.runs') === 6, 10_000);
    expect(latestTotal(rx.metrics(), 'devtool.command.runs')).toBe(6);
  }, 60_000);
});

describe('a hostile collector', () => {
  async function bodyOf(req: http.IncomingMessage): Promise<void> {
    for await (const _ of req) void _;
  }

  it('a huge, never-ending 200 response: delivered, bounded in time, connection dropped', async () => {
    let written = 0;
    const srv = await rawServer(async (req, res) => {
      await bodyOf(req);
      res.writeHead(200, { 'content-type': 'application/x-protobuf' });
      const chunk = Buffer.alloc(1024 * 1024, 7);
      const pump = () => {
        while (!res.destroyed && written < 2 * 1024 * 1024 * 1024) {
          written += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
      };
      pump();
    });
    const env = freshEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: srv.url, OTEL_EXPORTER_OTLP_TIMEOUT: '2000' });
    await spoolRuns(env, 2);
    // Run the shipper ourselves to watch its peak memory while the collector floods it.
    const t0 = Date.now();
    const child = spawn(process.execPath, [path.join(DIST, 'shipper', 'main.js')], { env: { ...env, DEVTOOL_TELEMETRY_SHIPPER: '1' }, stdio: 'ignore' });
    let peakKb = 0;
    const poll = setInterval(() => {
      try {
        const m = /VmHWM:\s+(\d+)/.exec(fs.readFileSync(`/proc/${child.pid}/status`, 'utf8'));
        if (m) peakKb = Math.max(peakKb, Number(m[1]));
      } catch {
        /* exited, or not Linux */
      }
    }, 10);
    const code = await new Promise<number | null>((r) => child.once('exit', r));
    clearInterval(poll);
    expect(code).toBe(0);
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(spoolFiles(env)).toEqual([]); // a 2xx status is the acknowledgement
    expect(written).toBeLessThan(512 * 1024 * 1024); // we stopped reading long before the end
    if (process.platform === 'linux') {
      expect(peakKb).toBeGreaterThan(0);
      expect(peakKb / 1024).toBeLessThan(150); // ~55 MB normally; buffering the flood would be GBs
    }
  }, 60_000);

  it('a trickling response and a malformed body: bounded by the timeout, never a crash', async () => {
    const srv = await rawServer(async (req, res) => {
      await bodyOf(req);
      if (req.url === '/v1/metrics') return void res.writeHead(200).end(Buffer.from([0xff, 0xff, 0xff, 0x0a, 0x99]));
      res.writeHead(200);
      const t = setInterval(() => (res.destroyed ? clearInterval(t) : res.write('x')), 50);
    });
    const env = freshEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: srv.url, OTEL_EXPORTER_OTLP_TIMEOUT: '1000' });
    await spoolRuns(env, 1);
    const r = await runShipperProcess(env, 20_000);
    expect(r.code).toBe(0);
    expect(r.ms).toBeLessThan(8_000);
    expect(spoolFiles(env)).toEqual([]);
  }, 60_000);

  it('a collector that never answers: the shipper gives up in bounded time and keeps the batch', async () => {
    const rx = await receiver({ respond: () => ({ hang: true }) });
    const env = freshEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: rx.url, OTEL_EXPORTER_OTLP_TIMEOUT: '300', DEVTOOL_TELEMETRY_SHIPPER_MAX_ATTEMPTS: '3' });
    await spoolRuns(env, 1);
    const r = await runShipperProcess(env, 20_000);
    expect(r.ms).toBeLessThan(8_000);
    expect(rx.requests.filter((q) => q.signal === 'traces')).toHaveLength(3);
    expect(spoolFiles(env)).toHaveLength(1);
    const st = shipperState(env) as { lastError: string; nextAttemptAt: number };
    expect(st.lastError).toMatch(/ETIMEDOUT/);
    expect(st.nextAttemptAt).toBeGreaterThan(Date.now() - 1_000);
  }, 60_000);

  it('redirects are not followed; the batch is kept and the condition recorded', async () => {
    const other = await receiver();
    const srv = await rawServer(async (req, res) => {
      await bodyOf(req);
      res.writeHead(307, { location: `${other.url}${req.url}` }).end();
    });
    const env = freshEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: srv.url, DEVTOOL_TELEMETRY_SHIPPER_MAX_ATTEMPTS: '2' });
    await spoolRuns(env, 1);
    await runShipperProcess(env, 20_000);
    expect(other.connections).toBe(0);
    expect(spoolFiles(env)).toHaveLength(1);
    expect((shipperState(env) as { lastError: string }).lastError).toMatch(/redirect not followed/);
  }, 60_000);

  it('an invalid endpoint: batches kept, condition shown, no crash', async () => {
    const env = freshEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: 'ftp://nope' });
    await spoolRuns(env, 1);
    const r = await runShipperProcess(env, 20_000);
    expect(r.code).toBe(0);
    expect(spoolFiles(env)).toHaveLength(1);
    const st = shipperState(env) as { conditions: string[]; nextAttemptAt: number };
    expect(st.conditions.join('\n')).toMatch(/OTEL_EXPORTER_OTLP_ENDPOINT is not a valid/);
    expect(st.conditions.join('\n')).not.toMatch(/ftp:\/\/nope/);
    expect((await runWriter(env, 'again')).out.kick).toBe('breaker-open');
  }, 60_000);
});

describe('proxies', () => {
  it('HTTP_PROXY: traffic goes through the proxy', async () => {
    const rx = await receiver();
    const proxy = await startProxy();
    defer(() => proxy.close());
    const env = freshEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: rx.url, HTTP_PROXY: proxy.url });
    const ids = await spoolRuns(env, 2);
    await runShipperProcess(env);
    expect(new Set(rx.spans().map((s) => s.traceId))).toEqual(new Set(ids));
    expect(proxy.forwarded.length + proxy.tunnels.length).toBeGreaterThan(0);
    expect([...proxy.forwarded, ...proxy.tunnels].every((t) => t.endsWith(`:${rx.port}`))).toBe(true);
    const log = fs.readFileSync(path.join(cacheRoot(env), 'sent.log'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { via?: string });
    expect(log.every((e) => e.via === 'proxy')).toBe(true);
  }, 60_000);

  it('NO_PROXY exempts the collector host', async () => {
    const rx = await receiver();
    const proxy = await startProxy();
    defer(() => proxy.close());
    const env = freshEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: rx.url, HTTP_PROXY: proxy.url, NO_PROXY: '127.0.0.1' });
    const ids = await spoolRuns(env, 1);
    await runShipperProcess(env);
    expect(rx.spans().map((s) => s.traceId)).toEqual(ids);
    expect(proxy.forwarded.length + proxy.tunnels.length).toBe(0);
  }, 60_000);
});
