// Two-tier topology for real: one agent (collector-config/agent.yaml, loadbalancing exporter with trace-ID
// routing) and two gateways (collector-config/gateway.yaml) on loopback. The gateways write what they receive
// to file exporters: every span must arrive exactly once, each trace whole on one gateway.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import {
  BUILD_TIMEOUT,
  PLANTED,
  ROOT,
  ensureStackBuilt,
  findNeedles,
  hex,
  metricsBody,
  nowNs,
  postOtlp,
  readJsonLines,
  span,
  stackLib,
  sumMetric,
  tmpDir,
  removeDir,
  tracesBody,
  writeFileExporterOverlay,
} from './helpers';

const N_TRACES = 300;
const SPANS_PER_TRACE = 4;
const SERVICE = `topology-${hex(4)}`;

const procs: any[] = [];
let agentHttp: string;
const gwDirs: string[] = [];
let base: string;

async function collectorPorts() {
  const [collectorGrpcPort, collectorHttpPort, healthPort, promExporterPort, collectorTelemetryPort] = await stackLib.findFreePorts(5);
  return { collectorGrpcPort, collectorHttpPort, healthPort, promExporterPort, collectorTelemetryPort };
}

beforeAll(async () => {
  await ensureStackBuilt();
  base = tmpDir('topology');
  const gwGrpc: number[] = [];
  for (const name of ['gateway1', 'gateway2']) {
    const dir = path.join(base, name);
    gwDirs.push(dir);
    const ports = await collectorPorts();
    gwGrpc.push(ports.collectorGrpcPort);
    const overlay = writeFileExporterOverlay(tmpMk(dir), { traces: [], metrics: [], logs: [] });
    procs.push(
      await stackLib.startCollector({
        name,
        ports,
        workDir: dir,
        config: path.join(ROOT, 'collector-config/gateway.yaml'),
        extraConfigs: [overlay],
        env: { DEVTOOL_COLLECTOR_BATCH_TIMEOUT: '200ms' },
      }),
    );
  }
  const ports = await collectorPorts();
  agentHttp = `http://127.0.0.1:${ports.collectorHttpPort}`;
  procs.push(
    await stackLib.startCollector({
      name: 'agent',
      ports,
      workDir: path.join(base, 'agent'),
      config: path.join(ROOT, 'collector-config/agent.yaml'),
      env: {
        DEVTOOL_COLLECTOR_BATCH_TIMEOUT: '200ms',
        DEVTOOL_GATEWAY_ENDPOINTS: `[${gwGrpc.map((p) => `127.0.0.1:${p}`).join(', ')}]`,
      },
    }),
  );
}, BUILD_TIMEOUT);

function tmpMk(dir: string) {
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

afterAll(async () => {
  for (const p of procs.reverse()) await stackLib.stopPid(p.pid);
  removeDir(base);
});

function spansOf(file: string): { traceId: string; spanId: string; service: string; resource: any }[] {
  return readJsonLines(file).flatMap((batch) =>
    batch.resourceSpans.flatMap((rs: any) =>
      rs.scopeSpans.flatMap((ss: any) =>
        ss.spans.map((s: any) => ({
          traceId: s.traceId,
          spanId: s.spanId,
          service: rs.resource.attributes.find((a: any) => a.key === 'service.name')?.value.stringValue,
          resource: rs.resource,
        })),
      ),
    ),
  );
}

describe('agent -> 2 gateways (loadbalancing, traceID routing)', () => {
  it(`${N_TRACES} traces x ${SPANS_PER_TRACE} spans: each span exactly once, each trace whole on one gateway`, async () => {
    const all: any[] = [];
    for (let t = 0; t < N_TRACES; t++) {
      const traceId = hex(16);
      const rootId = hex(8);
      for (let s = 0; s < SPANS_PER_TRACE; s++) {
        all.push(span({ traceId, spanId: s === 0 ? rootId : hex(8), parentSpanId: s === 0 ? undefined : rootId, name: s === 0 ? 'build' : `step-${s}` }));
      }
    }
    // shuffle, so the spans of one trace arrive in different requests, mixed with other traces
    for (let i = all.length - 1; i > 0; i--) {
      const j = Math.floor(Math.random() * (i + 1));
      [all[i], all[j]] = [all[j], all[i]];
    }
    const resource = { 'service.name': SERVICE, 'service.version': '1.0.0', 'devtool.note': PLANTED.pattern.email, 'host.name': 'LEAKHOSTNAME' };
    for (let i = 0; i < all.length; i += 60) {
      const r = await postOtlp(agentHttp, 'traces', tracesBody(resource, all.slice(i, i + 60)));
      expect(r.status, r.text).toBe(200);
    }

    const files = gwDirs.map((d) => path.join(d, 'out-traces.jsonl'));
    const received = await stackLib.eventually(
      () => files.map((f) => spansOf(f).filter((s) => s.service === SERVICE)),
      (per: any[][]) => per.reduce((n, p) => n + p.length, 0) >= all.length,
      { timeoutMs: 45_000, what: 'all spans at the gateways' },
    );
    await new Promise((r) => setTimeout(r, 1500)); // duplicates would arrive late: look again
    const per = files.map((f) => spansOf(f).filter((s) => s.service === SERVICE));
    expect(per.map((p) => p.length)).toEqual(received.map((p: any[]) => p.length));

    // every span exactly once
    const counts = new Map<string, number>();
    for (const p of per) for (const s of p) counts.set(s.spanId, (counts.get(s.spanId) ?? 0) + 1);
    expect(counts.size).toBe(all.length);
    expect([...counts.values()].filter((c) => c !== 1)).toEqual([]);
    expect(new Set(counts.keys())).toEqual(new Set(all.map((s) => s.spanId)));

    // each trace whole on exactly one gateway
    const traceHome = new Map<string, Set<number>>();
    per.forEach((p, gw) => p.forEach((s) => traceHome.set(s.traceId, (traceHome.get(s.traceId) ?? new Set()).add(gw))));
    expect(traceHome.size).toBe(N_TRACES);
    expect([...traceHome.entries()].filter(([, gws]) => gws.size !== 1)).toEqual([]);
    for (const p of per) {
      const byTrace = new Map<string, number>();
      for (const s of p) byTrace.set(s.traceId, (byTrace.get(s.traceId) ?? 0) + 1);
      expect([...byTrace.values()].filter((n) => n !== SPANS_PER_TRACE)).toEqual([]);
    }

    // both gateways share the load
    const tracesPerGw = per.map((p) => new Set(p.map((s) => s.traceId)).size);
    for (const n of tracesPerGw) expect(n).toBeGreaterThan(N_TRACES * 0.2);

    // the agent scrubbed at the edge
    expect(findNeedles(JSON.stringify(per.map((p) => p.slice(0, 5).map((s) => s.resource))), ['alice.leak', 'LEAKHOSTNAME'])).toEqual([]);
  }, 120_000);

  it('metrics are routed too: each stream lands on one gateway', async () => {
    const start = nowNs() - 10_000_000_000n;
    const streams = 20;
    for (let i = 0; i < streams; i++) {
      const r = await postOtlp(
        agentHttp,
        'metrics',
        // service.instance.id is an id key: the collector keeps uuids and hex ids there, nothing else
        metricsBody({ 'service.name': SERVICE, 'service.instance.id': randomUUID() }, [
          sumMetric('devtool.command.runs', '{run}', [{ value: i + 1, attributes: { 'devtool.command.name': 'build' } }], start),
        ]),
      );
      expect(r.status, r.text).toBe(200);
    }
    const files = gwDirs.map((d) => path.join(d, 'out-metrics.jsonl'));
    const instancesOf = (f: string) =>
      readJsonLines(f).flatMap((b) =>
        b.resourceMetrics
          .filter((rm: any) => rm.resource.attributes.some((a: any) => a.key === 'service.name' && a.value.stringValue === SERVICE))
          .map((rm: any) => rm.resource.attributes.find((a: any) => a.key === 'service.instance.id').value.stringValue),
      );
    const per = await stackLib.eventually(
      () => files.map(instancesOf),
      (p: string[][]) => new Set(p.flat()).size === streams,
      { timeoutMs: 30_000, what: 'all metric streams at the gateways' },
    );
    const [a, b] = per.map((p: string[]) => new Set(p));
    expect([...a].filter((x) => b.has(x))).toEqual([]);
  }, 60_000);
});
