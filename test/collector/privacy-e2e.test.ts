// End to end, real processes on loopback: OTLP/JSON built by hand (bypassing our SDK) with planted secrets
// in every position -> our collector (otel-collector.yaml + file exporters) -> Jaeger and Prometheus.
// Nothing planted may survive in Jaeger's API, Prometheus (queries, series, federate, target_info), the
// collector's Prometheus exporter, the file exporters' output or the collector's log; what dashboards need
// must survive. The collector runs with an operator's overlay that widens the registry of accepted keys to
// `devtool.note.*`, `app.api_key` and `log.kept` (allowed_keys.extra*): values under accepted keys still pass
// every value rule. (privacy-third-party.test.ts runs the shipped config alone, where they are dropped.)
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import {
  BUILD_TIMEOUT,
  PLANTED,
  ALL_NEEDLES,
  attrs,
  ensureStackBuilt,
  findNeedles,
  hex,
  histogramMetric,
  logsBody,
  metricsBody,
  nowNs,
  postOtlp,
  readJsonLines,
  readText,
  span,
  stackLib,
  sumMetric,
  tmpDir,
  removeDir,
  tracesBody,
  writeFileExporterOverlay,
} from './helpers';

const SERVICE = `leaktest-${hex(4)}`;
const INSTANCE = randomUUID(); // service.instance.id is an id key: a uuid or 128-bit hex, as the SDK sends
const INSTALL_ID = randomUUID(); // an id key holds our random ids only (anything else is dropped)
const SESSION_ID = randomUUID();
const PATTERN_ENTRIES = Object.entries(PLANTED.pattern);

// `note.<kind>` attributes carry each pattern secret as a value under an innocent key
const notes = Object.fromEntries(PATTERN_ENTRIES.map(([k, v]) => [`devtool.note.${k}`, v]));
const credential = { [PLANTED.credentialKey.key]: PLANTED.credentialKey.value };

const resource = {
  'service.name': SERVICE,
  'service.version': '9.8.7',
  'service.instance.id': INSTANCE,
  'os.type': 'linux',
  'os.version': '6.8.0-45-generic',
  'os.name': 'Ubuntu',
  'host.arch': 'amd64',
  'process.runtime.name': 'nodejs',
  'process.runtime.version': '20.19.43',
  'telemetry.sdk.name': 'opentelemetry',
  'devtool.ci.vendor': 'none',
  'app.installation.id': INSTALL_ID,
  'session.id': SESSION_ID,
  ...PLANTED.keyed,
  ...notes,
  ...credential,
};

let stack: any;
let dir: string;
const traceId = hex(16);
const rootSpanId = hex(8);
const PROVIDER_CALL_ID = 'toolu_01A09q90qw90lq917835lq9';
const TOOL_CALL_IDS = [PROVIDER_CALL_ID, 'call_Yk5ZV1bO3d9kXjQ2rNw8TmHa', PLANTED.pattern.githubToken, PLANTED.pattern.ipv4, 'jeiE6FOF0ONxX828DQz0Dprb'];
const toolSpanIds = TOOL_CALL_IDS.map(() => hex(8));

beforeAll(async () => {
  await ensureStackBuilt();
  dir = tmpDir('privacy');
  const ports = await stackLib.freeStackPorts();
  const widen = path.join(dir, 'overlay-allowed-keys.yaml');
  fs.writeFileSync(
    widen,
    `processors:\n  devtool_redact:\n    allowed_keys:\n      extra: [app.api_key, log.kept]\n      extra_patterns: ['^devtool\\.note\\.[A-Za-z0-9]+$$']\n`,
  );
  stack = await stackLib.startStack({
    ...ports,
    workDir: dir,
    collectorExtraConfigs: [writeFileExporterOverlay(dir), widen],
    collectorEnv: { DEVTOOL_COLLECTOR_BATCH_TIMEOUT: '200ms' },
    scrapeInterval: '1s',
  });

  const spans = [
    span({
      traceId,
      spanId: rootSpanId,
      name: 'build',
      attributes: {
        'devtool.command.name': 'build',
        'devtool.command.outcome': 'failure',
        'process.exit.code': 3,
        'error.type': 'ENOENT',
        'url.full': PLANTED.pattern.urlQuery,
        ...PLANTED.keyed,
        ...notes,
        ...credential,
      },
      status: { code: 2, message: PLANTED.statusMessage },
      events: [
        {
          name: 'exception',
          attributes: {
            'exception.type': 'Error',
            'exception.message': PLANTED.keyed['exception.message'] as string,
            'exception.stacktrace': PLANTED.keyed['exception.stacktrace'] as string,
            ...notes,
          },
        },
        { name: 'gen_ai.content.prompt', attributes: { 'gen_ai.prompt': 'LEAKPROMPT event content' } },
      ],
    }),
    // tool calls: a provider's tool-call id is an opaque id and survives whole; a secret, address or
    // bare random token in that key is dropped (the key registry's `opaqueId` kind)
    ...TOOL_CALL_IDS.map((id, i) =>
      span({
        traceId,
        spanId: toolSpanIds[i],
        parentSpanId: rootSpanId,
        name: 'execute_tool add',
        attributes: { 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': 'add', 'gen_ai.tool.call.id': id },
      }),
    ),
    // each pattern secret inside a span name and a status message
    ...PATTERN_ENTRIES.map(([kind, secret]) =>
      span({
        traceId,
        parentSpanId: rootSpanId,
        name: `step ${secret} done`,
        attributes: { 'devtool.step.name': kind, 'devtool.step.outcome': 'failure' },
        status: { code: 2, message: `failed: ${secret}` },
      }),
    ),
  ];
  const t = await postOtlp(stack.endpoints.otlpHttp, 'traces', tracesBody(resource, spans));
  expect(t.status, t.text).toBe(200);

  const start = nowNs() - 60_000_000_000n;
  const pointAttrs = { 'devtool.command.name': 'build', 'devtool.command.outcome': 'success', ...PLANTED.keyed, ...notes, ...credential };
  const m = await postOtlp(
    stack.endpoints.otlpHttp,
    'metrics',
    metricsBody(resource, [
      sumMetric('devtool.command.runs', '{run}', [{ value: 5, attributes: pointAttrs }], start),
      histogramMetric('devtool.command.duration', 's', [{ bounds: [0.1, 1, 10], counts: [1, 3, 1, 0], sum: 4.5, attributes: pointAttrs }], start),
    ]),
  );
  expect(m.status, m.text).toBe(200);

  const l = await postOtlp(
    stack.endpoints.otlpHttp,
    'logs',
    logsBody(resource, [
      { body: `user ${Object.values(PLANTED.pattern).join(' and ')} did something`, attributes: { ...PLANTED.keyed, ...notes, 'log.kept': 'KEPTLOG' } },
      { body: 'LEAKPROMPTLOG what is the password', eventName: 'gen_ai.user.message', attributes: {} },
    ]),
  );
  expect(l.status, l.text).toBe(200);
}, BUILD_TIMEOUT);

afterAll(async () => {
  await stack?.stop();
  removeDir(dir);
});

describe('traces in Jaeger', () => {
  let traces: any[];
  beforeAll(async () => {
    traces = await stackLib.eventually(
      () => stack.queryJaegerTraces(SERVICE),
      (ts: any[]) => ts.length === 1 && ts[0].spans.length === 1 + TOOL_CALL_IDS.length + PATTERN_ENTRIES.length,
      { timeoutMs: 30_000, what: `trace of ${SERVICE} in Jaeger` },
    );
  }, 60_000);

  it('contains none of the planted secrets or identifying values', () => {
    const text = JSON.stringify(traces);
    expect(findNeedles(text)).toEqual([]);
    expect(text).not.toContain('LEAKPROMPT');
  });

  it('keeps what the dashboards and the catalog need', () => {
    const [trace] = traces;
    const root = trace.spans.find((s: any) => s.spanID === rootSpanId);
    expect(root.operationName).toBe('build');
    const tags = Object.fromEntries(root.tags.map((t: any) => [t.key, t.value]));
    expect(tags['process.exit.code']).toBe(3);
    expect(tags['error.type']).toBe('ENOENT');
    expect(tags['devtool.command.outcome']).toBe('failure');
    expect(tags['devtool.command.name']).toBe('build');
    expect(tags['otel.status_code']).toBe('ERROR');
    expect(tags['url.path']).toBe('/v1/items/{id}');
    expect(tags['url.full']).toBeUndefined();
    expect(tags[PLANTED.credentialKey.key]).toBe('****');
    // accepted (widened) keys keep their key; their values are masked, a path replaced whole
    for (const k of Object.keys(notes)) expect(tags[k]).toMatch(k === 'devtool.note.homePath' ? /^\{path\}$/ : /\*\*\*\*/);
    const proc = trace.processes[root.processID];
    expect(proc.serviceName).toBe(SERVICE);
    const ptags = Object.fromEntries(proc.tags.map((t: any) => [t.key, t.value]));
    expect(ptags['service.version']).toBe('9.8.7');
    expect(ptags['os.type']).toBe('linux');
    expect(ptags['os.version']).toBe('6.8.0-45-generic');
    expect(ptags['process.runtime.version']).toBe('20.19.43');
    expect(ptags['app.installation.id']).toBe(INSTALL_ID); // anonymous id: recorded by contract (traces only)
    for (const k of Object.keys(PLANTED.keyed)) expect(ptags[k]).toBeUndefined();
    // the exception event stays (its type), its message and stack go; the prompt event is dropped
    expect(root.logs.map((l: any) => l.fields.find((f: any) => f.key === 'event')?.value)).toEqual(['exception']);
    const ev = Object.fromEntries(root.logs[0].fields.map((f: any) => [f.key, f.value]));
    expect(ev['exception.type']).toBe('Error');
    expect(ev['exception.message']).toBeUndefined();
    // provider tool-call ids kept whole; a key, an address or a bare random token in their place dropped
    const callId = (id: string) => trace.spans.find((s: any) => s.spanID === id).tags.find((t: any) => t.key === 'gen_ai.tool.call.id')?.value;
    expect(toolSpanIds.map(callId)).toEqual([PROVIDER_CALL_ID, 'call_Yk5ZV1bO3d9kXjQ2rNw8TmHa', undefined, undefined, undefined]);
    expect(JSON.stringify(traces)).not.toContain('jeiE6FOF0ONxX828DQz0Dprb');
    // span names keep their shape, the secret inside is masked
    const names = trace.spans.filter((s: any) => s.spanID !== rootSpanId && !toolSpanIds.includes(s.spanID)).map((s: any) => s.operationName);
    for (const n of names) expect(n).toMatch(/^step .*(?:\*\*\*\*|\{path\}).* done$/);
  });
});

describe('metrics in Prometheus', () => {
  beforeAll(async () => {
    await stackLib.eventually(
      () => stack.queryPrometheus(`sum(devtool_command_runs_total{job="${SERVICE}"})`),
      (r: any[]) => r.length === 1 && r[0].value[1] === '5',
      { timeoutMs: 30_000, what: 'devtool_command_runs_total in Prometheus' },
    );
  }, 60_000);

  it('keeps metric values and the low-cardinality labels', async () => {
    const runs = await stack.queryPrometheus(`devtool_command_runs_total{job="${SERVICE}"}`);
    expect(runs).toHaveLength(1);
    expect(runs[0].metric).toMatchObject({ job: SERVICE, instance: INSTANCE, devtool_command_name: 'build', devtool_command_outcome: 'success' });
    expect(runs[0].value[1]).toBe('5');
    const count = await stack.queryPrometheus(`sum(devtool_command_duration_seconds_count{job="${SERVICE}"})`);
    expect(count[0].value[1]).toBe('5');
    const p95 = await stack.queryPrometheus(`histogram_quantile(0.95, sum by (le) (devtool_command_duration_seconds_bucket{job="${SERVICE}"}))`);
    expect(Number(p95[0].value[1])).toBeGreaterThan(1);
  });

  it('target_info shows os, runtime and version but no identity', async () => {
    const ti = await stack.queryPrometheus(`target_info{job="${SERVICE}"}`);
    expect(ti).toHaveLength(1);
    expect(ti[0].metric).toMatchObject({ os_type: 'linux', service_version: '9.8.7', process_runtime_version: '20.19.43', host_arch: 'amd64' });
    const labels = Object.keys(ti[0].metric);
    expect(labels).not.toContain('app_installation_id');
    expect(labels).not.toContain('session_id');
    expect(labels.filter((l) => l.startsWith('host_') && l !== 'host_arch')).toEqual([]);
  });

  it('no planted value in any series, label value, federate output or the exporter', async () => {
    const p = stack.endpoints.prometheus;
    const federate = await (await fetch(`${p}/federate?match[]=${encodeURIComponent('{__name__=~".+"}')}`)).text();
    expect(federate).toContain(`devtool_command_runs_total{`);
    const series = await (await fetch(`${p}/api/v1/series?match[]=${encodeURIComponent(`{job="${SERVICE}"}`)}`)).text();
    const labelNames: string[] = (await (await fetch(`${p}/api/v1/labels`)).json()).data;
    const labelValues = await Promise.all(labelNames.map(async (n) => (await fetch(`${p}/api/v1/label/${n}/values`)).text()));
    const exporter = await (await fetch(stack.endpoints.promExporter)).text();
    for (const [what, text] of Object.entries({ federate, series, labelNames: labelNames.join(' '), labelValues: labelValues.join(' '), exporter })) {
      expect({ what, found: findNeedles(text, [...ALL_NEEDLES, INSTALL_ID, SESSION_ID]) }).toEqual({ what, found: [] });
    }
  });
});

describe("the collector's own outputs", () => {
  it('file exporters received all three signals, with nothing planted in them', async () => {
    const files = ['out-traces.jsonl', 'out-metrics.jsonl', 'out-logs.jsonl'].map((f) => path.join(dir, f));
    await stackLib.eventually(() => files.every((f) => readText(f).includes(SERVICE)), Boolean, { timeoutMs: 20_000, what: 'file exporter output' });
    const [tr, me, lo] = files.map(readText);
    expect(findNeedles(tr)).toEqual([]);
    expect(findNeedles(me, [...ALL_NEEDLES, INSTALL_ID, SESSION_ID])).toEqual([]);
    expect(findNeedles(lo, [...ALL_NEEDLES, 'LEAKPROMPTLOG'])).toEqual([]);
    // the ordinary log record is kept, masked; the GenAI content event is dropped
    const logRecords = readJsonLines(files[2]).flatMap((b) => b.resourceLogs.flatMap((r: any) => r.scopeLogs.flatMap((s: any) => s.logRecords)));
    expect(logRecords).toHaveLength(1);
    expect(logRecords[0].body.stringValue).toMatch(/^user \*\*\*\*.* did something$/);
    expect(JSON.stringify(logRecords[0].attributes)).toContain('KEPTLOG');
  });

  it("the collector's log mentions none of it", () => {
    expect(findNeedles(readText(path.join(dir, 'collector.log')))).toEqual([]);
  });

  it('the planted values really were sent (the test would catch a leak)', () => {
    // sanity: the request bodies contain every needle, so their absence above is meaningful
    const sent = JSON.stringify([resource, notes, PLANTED]);
    expect(findNeedles(sent)).toEqual(ALL_NEEDLES);
    expect(attrs(resource).length).toBeGreaterThan(20);
  });
});
