// Issue 13, items 16-18, end to end against our real collector build with the shipped otel-collector.yaml:
// OTLP/protobuf sent straight to it (no SDK in front, as a third-party sender would), with secrets, paths
// and unknown keys planted in every string field of all three signals. What leaves the collector (its file
// exporters) must hold none of them, and keep what is legitimate where it is legitimate (hex ids in trace
// states, our uuids under id keys, URL paths under URL keys, catalog keys).
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeProtobuf } from '../support/otlp-decode';
import { BUILD_TIMEOUT, attrs, type CollectorPorts, ensureStackBuilt, startCollectorOnFreePorts, hex, nowNs, postOtlp, readJsonLines, readText, removeDir, stackLib, tmpDir, writeFileExporterOverlay } from './helpers';

const GHP = 'ghp_LEAK0123456789abcdefghijABCDEFGHIJ';
const AKIA = 'AKIALEAK0123456789AB';
const NOPREFIX = 'Zx9Qm2Lp7Rt4Vb8Nc3Kd6Hf1Jg5Ws0Ea'; // a secret no prefix rule knows
const HOMEPATH = '/home/alicefake/clients/acme-corp/merger-plan/src/index.ts';
const WINPATH = 'C:\\Users\\AliceFake\\clients\\acme-corp\\plan.docx';
/** plain words under keys nobody registered: only the registry can stop them */
const FREE = 'LEAKFREETEXT Contoso merger plan';
const NEEDLES = ['ghp_LEAK', 'AKIALEAK', 'Zx9Qm2Lp7Rt4', 'alicefake', 'AliceFake', 'acme-corp', 'merger-plan', 'LEAKFREETEXT', 'Contoso'];
const everything = `${GHP} ${AKIA} ${NOPREFIX} ${HOMEPATH} ${WINPATH}`;

const SERVICE = `thirdparty-${hex(4)}`;
const INSTALL_ID = randomUUID();
const traceId = hex(16);
const spanId = hex(8);
const linkedSpan = hex(8);
const unknown = (where: string) => ({ [`acme.${where}.note`]: FREE, [`vendor.${where}.token`]: NOPREFIX });

const resource = {
  attributes: attrs({
    'service.name': SERVICE,
    'os.type': 'linux',
    'os.description': `Linux ${NOPREFIX} ${HOMEPATH}`,
    'app.installation.id': INSTALL_ID,
    'session.id': FREE, // an id key holds our random ids, nothing else
    ...unknown('resource'),
  }),
};
const scope = { name: `scope ${GHP}`, version: AKIA, attributes: attrs(unknown('scope')) };
const schemaUrl = `https://opentelemetry.io/schemas/${GHP}`;

function traces() {
  const t = nowNs();
  return {
    resourceSpans: [{
      resource,
      schemaUrl,
      scopeSpans: [{
        scope,
        schemaUrl,
        spans: [{
          traceId,
          spanId,
          traceState: `rojo=00f067aa0ba902b7,vendor=${GHP},aws=${AKIA}`,
          name: `compile ${HOMEPATH}`,
          kind: 1,
          startTimeUnixNano: String(t - 1_000_000n),
          endTimeUnixNano: String(t),
          attributes: attrs({
            'devtool.command.name': 'deploy',
            'url.path': '/v1/chat/completions',
            'http.route': '/users/:id',
            'error.type': 'ENOENT',
            ...unknown('span'),
          }),
          events: [{ name: `retry ${AKIA} ${WINPATH}`, timeUnixNano: String(t), attributes: attrs({ 'exception.type': 'Error', ...unknown('event') }) }],
          links: [{ traceId: hex(16), spanId: linkedSpan, traceState: `congo=${GHP}`, attributes: attrs(unknown('link')) }],
          status: { code: 2, message: everything },
        }],
      }],
    }],
  };
}

function metrics() {
  const t = nowNs();
  return {
    resourceMetrics: [{
      resource,
      schemaUrl,
      scopeMetrics: [{
        scope,
        metrics: [{
          name: `devtool.leak.${GHP}`,
          description: `counts ${everything}`,
          unit: `{${AKIA}}`,
          sum: {
            aggregationTemporality: 2,
            isMonotonic: true,
            dataPoints: [{
              asInt: '3',
              startTimeUnixNano: String(t - 60_000_000_000n),
              timeUnixNano: String(t),
              attributes: attrs({ 'devtool.command.name': `deploy ${NOPREFIX}`, 'devtool.command.outcome': 'success', ...unknown('point') }),
              exemplars: [{ timeUnixNano: String(t), asInt: '1', traceId, spanId, filteredAttributes: attrs({ 'error.type': AKIA, ...unknown('exemplar') }) }],
            }],
          },
        }],
      }],
    }],
  };
}

function logs() {
  const t = nowNs();
  return {
    resourceLogs: [{
      resource,
      schemaUrl,
      scopeLogs: [{
        scope,
        logRecords: [{
          timeUnixNano: String(t),
          observedTimeUnixNano: String(t),
          severityNumber: 9,
          severityText: `INFO ${AKIA}`,
          eventName: `app.event.${GHP}`,
          body: { stringValue: `opened ${everything}` },
          attributes: attrs({ 'error.type': 'ENOENT', ...unknown('log') }),
          traceId,
          spanId,
        }],
      }],
    }],
  };
}

let col: any;
let dir: string;
let out: { traces: string; metrics: string; logs: string };

beforeAll(async () => {
  await ensureStackBuilt();
  dir = tmpDir('thirdparty');
  let ports: CollectorPorts;
  ({ col, ports } = await startCollectorOnFreePorts(dir, {
    // what leaves the collector, exactly: file exporters only (the shipped processors are unchanged)
    extraConfigs: [writeFileExporterOverlay(dir, { traces: [], metrics: [], logs: [] })],
    env: { DEVTOOL_COLLECTOR_BATCH_TIMEOUT: '100ms' },
  }));
  const base = `http://127.0.0.1:${ports.collectorHttpPort}`;
  for (const [signal, body] of [['traces', traces()], ['metrics', metrics()], ['logs', logs()]] as const) {
    const raw = Buffer.from(encodeProtobuf(signal, body));
    const r = await postOtlp(base, signal, null, { contentType: 'application/x-protobuf', raw });
    expect(r.status, `${signal}: ${r.text}`).toBe(200);
  }
  const files = { traces: 'out-traces.jsonl', metrics: 'out-metrics.jsonl', logs: 'out-logs.jsonl' };
  await stackLib.eventually(() => Object.values(files).every((f) => readText(path.join(dir, f)).includes(SERVICE)), Boolean, { timeoutMs: 30_000, what: 'file exporter output' });
  out = { traces: readText(path.join(dir, files.traces)), metrics: readText(path.join(dir, files.metrics)), logs: readText(path.join(dir, files.logs)) };
}, BUILD_TIMEOUT);

afterAll(async () => {
  if (col) await stackLib.stopPid(col.pid);
  removeDir(dir);
});

const found = (text: string) => NEEDLES.filter((n) => text.includes(n));
const first = (file: string, pick: (batch: any) => any) => pick(readJsonLines(path.join(dir, file))[0]);

describe('a third-party sender, straight to the collector (protobuf)', () => {
  it('the requests really carried every planted value (the test would see a leak)', () => {
    const sent = JSON.stringify([traces(), metrics(), logs()]);
    expect(found(sent)).toEqual(NEEDLES);
  });

  it.each(['traces', 'metrics', 'logs'] as const)('%s: nothing planted survives, in any field', (signal) => {
    expect(found(out[signal])).toEqual([]);
    expect(out[signal]).not.toMatch(/acme\.[a-z]+\.note|vendor\.[a-z]+\.token/); // unknown keys are gone
  });

  it('traces keep what is legitimate where it is legitimate', () => {
    const rs = first('out-traces.jsonl', (b) => b.resourceSpans[0]);
    const res = Object.fromEntries(rs.resource.attributes.map((a: any) => [a.key, a.value.stringValue]));
    expect(res).toEqual({ 'service.name': SERVICE, 'os.type': 'linux', 'os.description': 'Linux **** {path}', 'app.installation.id': INSTALL_ID });
    const ss = rs.scopeSpans[0];
    expect(ss.scope.name).toBe('scope ****');
    expect(ss.scope.version).toBe('****');
    expect(ss.scope.attributes ?? []).toEqual([]);
    const sp = ss.spans[0];
    expect(sp.name).toBe('compile {path}');
    expect(sp.traceId).toBe(traceId);
    expect(sp.spanId).toBe(spanId);
    expect(sp.traceState).toBe('rojo=00f067aa0ba902b7,vendor=****,aws=****'); // a span id is legitimate in a trace state
    const sa = Object.fromEntries(sp.attributes.map((a: any) => [a.key, a.value.stringValue]));
    expect(sa).toEqual({ 'devtool.command.name': 'deploy', 'url.path': '/v1/chat/completions', 'http.route': '/users/:id', 'error.type': 'ENOENT' });
    expect(sp.events[0].name).toBe('retry **** {path}');
    expect(sp.events[0].attributes.map((a: any) => a.key)).toEqual(['exception.type']);
    expect(sp.links[0].spanId).toBe(linkedSpan);
    expect(sp.links[0].traceState).toBe('congo=****');
    expect(sp.links[0].attributes ?? []).toEqual([]);
  });

  it('metrics keep their values and accepted keys, masked', () => {
    const m = first('out-metrics.jsonl', (b) => b.resourceMetrics[0].scopeMetrics[0].metrics[0]);
    expect(m.name).toBe('devtool.leak.****');
    expect(m.description).toBe('counts **** **** **** {path}'); // two paths in a row read as one (a path may contain a space)
    expect(m.unit).toBe('{****}');
    const dp = m.sum.dataPoints[0];
    expect(dp.asInt).toBe('3');
    expect(Object.fromEntries(dp.attributes.map((a: any) => [a.key, a.value.stringValue]))).toEqual({ 'devtool.command.name': 'deploy ****', 'devtool.command.outcome': 'success' });
    expect(dp.exemplars[0].spanId).toBe(spanId);
    expect(dp.exemplars[0].filteredAttributes).toEqual([{ key: 'error.type', value: { stringValue: '****' } }]);
  });

  it('logs keep the record, its accepted keys and trace context, masked', () => {
    const lr = first('out-logs.jsonl', (b) => b.resourceLogs[0].scopeLogs[0].logRecords[0]);
    expect(lr.severityText).toBe('INFO ****');
    expect(lr.eventName).toBe('app.event.****');
    expect(lr.body.stringValue).toBe('opened **** **** **** {path}');
    expect(lr.attributes).toEqual([{ key: 'error.type', value: { stringValue: 'ENOENT' } }]);
    expect(lr.traceId).toBe(traceId);
  });
});
