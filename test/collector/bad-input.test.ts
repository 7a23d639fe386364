// Bad input against our collector config (otel-collector.yaml), loopback only: malformed OTLP, oversized
// and decompression-bomb payloads, and a flood bounded in count and time. Expect refusals (4xx) or
// back-pressure (429/503 from memory_limiter / a full queue), never a crash, and bounded memory.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gzipSync } from 'node:zlib';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { BUILD_TIMEOUT, type CollectorPorts, ensureStackBuilt, startCollectorOnFreePorts, postOtlp, rssBytes, span, stackLib, tmpDir, removeDir, tracesBody } from './helpers';

// a small budget on purpose, so the flood below really reaches memory_limiter's soft limit
const MEMORY_LIMIT_MIB = 48;
const MAX_BODY = 1024 * 1024;
let col: any;
let grpcPort: number;
let base: string;
let health: string;
let dir: string;

beforeAll(async () => {
  await ensureStackBuilt();
  dir = tmpDir('badinput');
  let ports: CollectorPorts;
  ({ col, ports } = await startCollectorOnFreePorts(dir, {
    env: {
      DEVTOOL_COLLECTOR_MEMORY_LIMIT_MIB: String(MEMORY_LIMIT_MIB),
      DEVTOOL_COLLECTOR_MEMORY_SPIKE_MIB: String(Math.floor(MEMORY_LIMIT_MIB / 4)),
      DEVTOOL_COLLECTOR_MAX_BODY_BYTES: String(MAX_BODY),
      GOMEMLIMIT: `${MEMORY_LIMIT_MIB}MiB`, // as recommended with memory_limiter: the GC works before the limiter refuses
      // nothing listens on the Jaeger port: exports fail and queue up, as when Jaeger is down
    },
  }));
  base = `http://127.0.0.1:${ports.collectorHttpPort}`;
  grpcPort = ports.collectorGrpcPort;
  health = `http://127.0.0.1:${ports.healthPort}/`;
}, BUILD_TIMEOUT);

afterAll(async () => {
  if (col) await stackLib.stopPid(col.pid);
  removeDir(dir);
});

async function healthy(): Promise<boolean> {
  try {
    return (await fetch(health, { signal: AbortSignal.timeout(2000) })).status === 200;
  } catch {
    return false;
  }
}

function validBody(spans = 1) {
  return tracesBody(
    { 'service.name': 'badinput', 'service.version': '1.0.0' },
    // the filler is under an accepted key, so it stays in memory (the collector drops unknown keys)
    Array.from({ length: spans }, (_, i) => span({ name: `op-${i % 7}`, attributes: { 'devtool.step.name': `s${i % 13}`, 'process.exit.code': 0, 'devtool.feature.note': 'x'.repeat(200) } })),
  );
}

describe('malformed and oversized OTLP', () => {
  it('rejects malformed JSON with 400', async () => {
    const r = await postOtlp(base, 'traces', null, { raw: '{"resourceSpans": [ {"resource": ' });
    expect(r.status).toBe(400);
    const r2 = await postOtlp(base, 'traces', null, { raw: '{"resourceSpans": "not an array"}' });
    expect(r2.status).toBe(400);
    expect(await healthy()).toBe(true);
  });

  it('rejects malformed protobuf with 400', async () => {
    const r = await postOtlp(base, 'metrics', null, { contentType: 'application/x-protobuf', raw: Buffer.from('\x0a\xff\xff\xff\xff\x0f garbage \x00\x01', 'latin1') });
    expect(r.status).toBe(400);
    expect(await healthy()).toBe(true);
  });

  it('rejects an unsupported content type with 415 and an unknown path with 404', async () => {
    const r = await postOtlp(base, 'logs', null, { contentType: 'text/plain', raw: 'hello' });
    expect(r.status).toBe(415);
    const r2 = await fetch(`${base}/v1/nothing`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } });
    expect(r2.status).toBe(404);
  });

  it('refuses a payload above max_request_body_size without buffering it', async () => {
    const big = JSON.stringify(validBody(1)).replace('"x', `"${'x'.repeat(2 * MAX_BODY)}`);
    const r = await postOtlp(base, 'traces', null, { raw: big });
    expect([400, 413]).toContain(r.status);
    expect(await healthy()).toBe(true);
  });

  it('refuses a gzip bomb (small on the wire, huge inflated)', async () => {
    const inflated = Buffer.alloc(64 * 1024 * 1024, 0x20); // 64 MiB of spaces -> ~64 KiB gzipped
    const bomb = gzipSync(inflated);
    expect(bomb.length).toBeLessThan(MAX_BODY);
    const res = await fetch(`${base}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
      body: bomb,
    });
    expect([400, 413]).toContain(res.status);
    expect(await healthy()).toBe(true);
    expect(rssBytes(col.pid)).toBeLessThan(400 * 1024 * 1024);
  });

  it('survives garbage and a half-open connection on the gRPC port', async () => {
    const garbage = [
      Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'),
      Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n' + '\xff'.repeat(64), 'latin1'), // preface + junk frames
      Buffer.alloc(1 << 16, 0xab),
    ];
    for (const g of garbage) {
      await new Promise<void>((resolve) => {
        const sock = net.connect(grpcPort, '127.0.0.1', () => sock.end(g));
        sock.on('error', () => resolve());
        sock.on('close', () => resolve());
        sock.setTimeout(3000, () => sock.destroy());
        sock.resume();
      });
    }
    expect(await healthy()).toBe(true);
    expect(col.exited()).toBeNull();
  });

  it('still accepts valid data afterwards', async () => {
    const r = await postOtlp(base, 'traces', validBody(3));
    expect(r.status, r.text).toBe(200);
  });
});

describe('bounded flood', () => {
  it('stays alive with bounded memory; excess is refused with 429/503, nothing else', async () => {
    const body = JSON.stringify(validBody(1500)); // ~0.6 MiB per request
    expect(body.length).toBeLessThan(MAX_BODY);
    const statuses = new Map<number, number>();
    let maxRss = 0;
    const deadline = Date.now() + 8000;
    const maxRequests = 600;
    let sent = 0;
    const sampler = setInterval(() => {
      try {
        maxRss = Math.max(maxRss, rssBytes(col.pid));
      } catch {
        /* the collector is between samples or gone: the exit check below says which */
      }
    }, 100);
    const worker = async () => {
      while (Date.now() < deadline && sent < maxRequests) {
        sent++;
        let status: number;
        try {
          status = (await postOtlp(base, 'traces', null, { raw: body })).status;
        } catch {
          status = -1; // connection error
        }
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
      }
    };
    await Promise.all(Array.from({ length: 8 }, worker));
    clearInterval(sampler);
    const summary = Object.fromEntries(statuses);
    console.log(`flood: ${sent} requests of ${(body.length / 1048576).toFixed(2)} MiB, statuses ${JSON.stringify(summary)}, max RSS ${(maxRss / 1048576).toFixed(0)} MiB (memory_limiter ${MEMORY_LIMIT_MIB} MiB)`);
    expect(Object.keys(summary).map(Number).filter((s) => ![200, 429, 503].includes(s))).toEqual([]);
    expect(statuses.get(200) ?? 0).toBeGreaterThan(0);
    // memory_limiter refused part of the flood (503 = "retry later") instead of growing
    expect((statuses.get(503) ?? 0) + (statuses.get(429) ?? 0)).toBeGreaterThan(0);
    // RSS = limiter budget for the heap + Go runtime + in-flight request bodies (8 x 0.84 MiB, decoded):
    // bounded, whatever the flood's size
    expect(maxRss).toBeLessThan(512 * 1024 * 1024);
    expect(col.exited()).toBeNull();
    await stackLib.eventually(healthy, Boolean, { timeoutMs: 15_000, what: 'collector healthy after the flood' });
    await stackLib.eventually(async () => (await postOtlp(base, 'traces', validBody(1))).status === 200, Boolean, { timeoutMs: 20_000, what: 'accepting again' });
    const log = fs.readFileSync(path.join(dir, 'collector.log'), 'utf8');
    expect(log).not.toMatch(/panic|fatal error/i);
    expect(log).toMatch(/Memory usage is above (soft|hard) limit/);
  }, 60_000);
});

