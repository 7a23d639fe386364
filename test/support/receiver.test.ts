// The test receiver itself: it must decode what the real OpenTelemetry JS serializers produce, in
// both encodings, identically; otherwise every test built on it proves nothing.
import * as http from 'node:http';
import * as net from 'node:net';
import * as zlib from 'node:zlib';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ROOT_CONTEXT, SpanStatusCode, trace, type Attributes } from '@opentelemetry/api';
import {
  JsonMetricsSerializer,
  JsonTraceSerializer,
  ProtobufMetricsSerializer,
  ProtobufTraceSerializer,
} from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { AggregationTemporality, MeterProvider, MetricReader, type ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { freePort, startReceiver, type FlatSpan, type Receiver } from './otlp-receiver';

const RESOURCE = { 'service.name': 'receiver-test', 'service.version': '9.8.7', 'host.arch': 'amd64' };

function makeSpans(): ReadableSpan[] {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes(RESOURCE),
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
  const tracer = provider.getTracer('receiver-test-scope', '0.0.1');
  // No context manager is registered here, so the parent is passed explicitly.
  const parent = tracer.startSpan('parent op');
  const attrs: Attributes = { s: 'text value', i: 42, d: 1.5, b: true, arr: ['x', 'y'] };
  parent.setAttributes(attrs);
  parent.addEvent('checkpoint', { step: 2 });
  const child = tracer.startSpan('child op', {}, trace.setSpan(ROOT_CONTEXT, parent));
  child.setStatus({ code: SpanStatusCode.ERROR, message: 'child failed' });
  child.end();
  parent.end();
  return exporter.getFinishedSpans();
}

class ManualReader extends MetricReader {
  constructor() {
    super({ aggregationTemporalitySelector: () => AggregationTemporality.DELTA });
  }
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

async function makeMetrics(): Promise<ResourceMetrics> {
  const reader = new ManualReader();
  const provider = new MeterProvider({ resource: resourceFromAttributes(RESOURCE), readers: [reader] });
  const meter = provider.getMeter('receiver-test-scope');
  const runs = meter.createCounter('devtool.command.runs', { unit: '{run}' });
  runs.add(1, { outcome: 'success' });
  runs.add(2, { outcome: 'failure' });
  const dur = meter.createHistogram('devtool.command.duration', { unit: 's', advice: { explicitBucketBoundaries: [0.1, 1, 10] } });
  dur.record(0.05);
  dur.record(2);
  const { resourceMetrics, errors } = await reader.collect();
  expect(errors).toEqual([]);
  return resourceMetrics;
}

interface Posted {
  status: number;
  contentType: string | undefined;
  headers: http.IncomingHttpHeaders;
  text: string;
}

/** One POST over a fresh connection (node:http, no pooling), rejecting after `timeoutMs`. */
function post(r: Receiver, path: string, body: Uint8Array | string, headers: Record<string, string>, timeoutMs = 5000): Promise<Posted> {
  return new Promise((resolve, reject) => {
    const req = http.request(r.url + path, { method: 'POST', headers, agent: false, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, contentType: res.headers['content-type'], headers: res.headers, text: Buffer.concat(chunks).toString() }),
      );
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('client timeout')));
    req.on('error', reject);
    req.end(body);
  });
}

/** Drop the request index so decodes of different requests can be compared. */
const strip = (spans: FlatSpan[]) => spans.map(({ request: _r, ...rest }) => rest);

describe('OTLP test receiver', () => {
  let r: Receiver;
  beforeAll(async () => {
    r = await startReceiver();
  });
  afterAll(async () => {
    await r.close();
  });
  beforeEach(() => r.reset());

  it('decodes protobuf traces from the OTel JS serializer', async () => {
    const spans = makeSpans();
    const bytes = ProtobufTraceSerializer.serializeRequest(spans)!;
    const res = await post(r, '/v1/traces', bytes, { 'content-type': 'application/x-protobuf' });
    expect(res.status).toBe(200);
    expect(res.contentType).toBe('application/x-protobuf');

    const flat = r.spans();
    expect(flat.map((s) => s.name).sort()).toEqual(['child op', 'parent op']);
    const parent = flat.find((s) => s.name === 'parent op')!;
    const child = flat.find((s) => s.name === 'child op')!;
    const src = spans.find((s) => s.name === 'parent op')!;
    expect(parent.traceId).toBe(src.spanContext().traceId);
    expect(parent.spanId).toBe(src.spanContext().spanId);
    expect(parent.parentSpanId).toBeUndefined();
    expect(child.parentSpanId).toBe(parent.spanId);
    expect(child.traceId).toBe(parent.traceId);
    expect(parent.attributes).toEqual({ s: 'text value', i: 42, d: 1.5, b: true, arr: ['x', 'y'] });
    expect(parent.resource).toMatchObject(RESOURCE);
    expect(parent.scope).toEqual({ name: 'receiver-test-scope', version: '0.0.1' });
    expect(parent.events).toEqual([expect.objectContaining({ name: 'checkpoint', attributes: { step: 2 } })]);
    expect(child.status).toEqual({ code: 2, message: 'child failed' });
    expect(parent.kind).toBe(1);
    expect(BigInt(parent.endTimeUnixNano)).toBeGreaterThanOrEqual(BigInt(parent.startTimeUnixNano));
    expect(parent.durationMs).toBeGreaterThanOrEqual(0);
  });

  it('decodes JSON traces to exactly the same flat spans as protobuf', async () => {
    const spans = makeSpans();
    await post(r, '/v1/traces', ProtobufTraceSerializer.serializeRequest(spans)!, { 'content-type': 'application/x-protobuf' });
    const res = await post(r, '/v1/traces', JsonTraceSerializer.serializeRequest(spans)!, { 'content-type': 'application/json' });
    expect(res.status).toBe(200);
    expect(res.contentType).toBe('application/json');
    const fromProto = r.spans().filter((s) => s.request === 0);
    const fromJson = r.spans().filter((s) => s.request === 1);
    expect(fromProto).toHaveLength(2);
    expect(strip(fromJson)).toEqual(strip(fromProto));
    expect(r.requests.map((q) => q.encoding)).toEqual(['protobuf', 'json']);
  });

  it('undoes gzip Content-Encoding and keeps both raw and inflated bytes', async () => {
    const bytes = ProtobufTraceSerializer.serializeRequest(makeSpans())!;
    const gz = zlib.gzipSync(bytes);
    const res = await post(r, '/v1/traces', gz, { 'content-type': 'application/x-protobuf', 'content-encoding': 'gzip' });
    expect(res.status).toBe(200);
    expect(r.requests[0]!.raw.equals(gz)).toBe(true);
    expect(r.requests[0]!.body.equals(Buffer.from(bytes))).toBe(true);
    expect(r.spans()).toHaveLength(2);
    // The leak-search text includes the inflated body even though the wire bytes were compressed.
    expect(r.rawBodiesText()).toContain('text value');
  });

  it('decodes delta sums and histograms in both encodings', async () => {
    const rm = await makeMetrics();
    await post(r, '/v1/metrics', ProtobufMetricsSerializer.serializeRequest(rm)!, { 'content-type': 'application/x-protobuf' });
    await post(r, '/v1/metrics', JsonMetricsSerializer.serializeRequest(rm)!, { 'content-type': 'application/json' });
    const all = r.metrics();
    for (const req of [0, 1]) {
      const ms = all.filter((m) => m.request === req);
      const runs = ms.find((m) => m.name === 'devtool.command.runs')!;
      expect(runs).toMatchObject({ unit: '{run}', type: 'sum', temporality: 'delta', isMonotonic: true });
      expect(runs.resource).toMatchObject(RESOURCE);
      const byOutcome = Object.fromEntries(runs.points.map((p) => [p.attributes.outcome, p.value]));
      expect(byOutcome).toEqual({ success: 1, failure: 2 });
      const dur = ms.find((m) => m.name === 'devtool.command.duration')!;
      expect(dur).toMatchObject({ unit: 's', type: 'histogram', temporality: 'delta' });
      expect(dur.points).toHaveLength(1);
      expect(dur.points[0]).toMatchObject({ count: 2, sum: 2.05, min: 0.05, max: 2, bounds: [0.1, 1, 10], bucketCounts: [1, 0, 1, 0] });
    }
  });

  it('decodes hand-written OTLP/JSON (string int64s, hex ids, logs)', async () => {
    const traceId = '0123456789abcdef0123456789abcdef';
    const body = {
      resourceSpans: [
        {
          resource: { attributes: [{ key: 'service.name', value: { stringValue: 'raw' } }] },
          scopeSpans: [
            {
              scope: { name: 'raw-scope' },
              spans: [
                {
                  traceId,
                  spanId: '0011223344556677',
                  name: 'raw span',
                  kind: 1,
                  startTimeUnixNano: '1700000000000000000',
                  endTimeUnixNano: '1700000000250000000',
                  attributes: [
                    { key: 'process.exit.code', value: { intValue: '3' } },
                    { key: 'nested', value: { kvlistValue: { values: [{ key: 'k', value: { boolValue: false } }] } } },
                  ],
                  status: { code: 2 },
                },
              ],
            },
          ],
        },
      ],
    };
    await post(r, '/v1/traces', JSON.stringify(body), { 'content-type': 'application/json' });
    const logs = {
      resourceLogs: [
        { scopeLogs: [{ scope: { name: 'l' }, logRecords: [{ severityNumber: 9, body: { stringValue: 'hello log' }, attributes: [] }] }] },
      ],
    };
    await post(r, '/v1/logs', JSON.stringify(logs), { 'content-type': 'application/json' });
    const [s] = r.spans();
    expect(s).toMatchObject({
      traceId,
      spanId: '0011223344556677',
      name: 'raw span',
      durationMs: 250,
      attributes: { 'process.exit.code': 3, nested: { k: false } },
      resource: { 'service.name': 'raw' },
      status: { code: 2 },
    });
    expect(r.logs()).toEqual([expect.objectContaining({ severityNumber: 9, body: 'hello log', scope: { name: 'l' } })]);
  });

  it('counts TCP connections even when nothing is sent', async () => {
    expect(r.connections).toBe(0);
    await new Promise<void>((resolve, reject) => {
      const sock = net.connect(r.port, '127.0.0.1', () => sock.end());
      sock.on('close', () => resolve());
      sock.on('error', reject);
    });
    await r.waitFor(() => r.connections === 1, 2000);
    expect(r.requests).toHaveLength(0);
  });

  it('records undecodable bodies and answers 400; unknown paths 404', async () => {
    const bad = await post(r, '/v1/traces', Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f]), { 'content-type': 'application/x-protobuf' });
    expect(bad.status).toBe(400);
    expect(r.requests[0]!.error).toMatch(/undecodable protobuf/);
    const badJson = await post(r, '/v1/metrics', '{not json', { 'content-type': 'application/json' });
    expect(badJson.status).toBe(400);
    const other = await post(r, '/v2/whatever', 'x', { 'content-type': 'text/plain' });
    expect(other.status).toBe(404);
    expect(r.requests).toHaveLength(3);
    expect(r.spans()).toEqual([]);
  });

  it('waitFor times out with a summary of what arrived', async () => {
    await expect(r.waitFor(() => r.spans().length > 0, 100)).rejects.toThrow(/timed out after 100 ms; .*0 request/);
  });
});

describe('freePort', () => {
  it('returns a loopback port that refuses connections', async () => {
    const port = await freePort();
    const err = await new Promise<NodeJS.ErrnoException>((resolve) => {
      const sock = net.connect(port, '127.0.0.1', () => resolve(Object.assign(new Error('connected'), { code: 'CONNECTED' })));
      sock.on('error', resolve);
    });
    expect(err.code).toBe('ECONNREFUSED');
  });
});

describe('scripted responses', () => {
  it('answers per request: Retry-After, delay, then the default', async () => {
    const r = await startReceiver({
      respond: (_req, n) => (n === 1 ? { status: 503, headers: { 'retry-after': '2' } } : n === 2 ? { delayMs: 150 } : undefined),
    });
    try {
      const bytes = ProtobufTraceSerializer.serializeRequest(makeSpans())!;
      const h = { 'content-type': 'application/x-protobuf' };
      const first = await post(r, '/v1/traces', bytes, h);
      expect(first.status).toBe(503);
      expect(first.headers['retry-after']).toBe('2');
      const t0 = Date.now();
      const second = await post(r, '/v1/traces', bytes, h);
      expect(second.status).toBe(200);
      expect(Date.now() - t0).toBeGreaterThanOrEqual(140);
      expect((await post(r, '/v1/traces', bytes, h)).status).toBe(200);
      // All three were recorded, the 503 one included: the shipper's retry sends the same data again.
      expect(r.spans()).toHaveLength(6);
    } finally {
      await r.close();
    }
  });

  it('can hang a request, and close() still returns promptly', async () => {
    const r = await startReceiver({ respond: () => ({ hang: true }) });
    const bytes = ProtobufTraceSerializer.serializeRequest(makeSpans())!;
    await expect(post(r, '/v1/traces', bytes, { 'content-type': 'application/x-protobuf' }, 300)).rejects.toThrow(/client timeout/);
    expect(r.requests).toHaveLength(1);
    const t0 = Date.now();
    await r.close();
    expect(Date.now() - t0).toBeLessThan(1000);
  });
});
