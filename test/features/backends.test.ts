/**
 * Feature events, tool counters, HTTP request telemetry and session summaries all the way to the
 * viewing stack, nothing mocked: preloaded processes -> spool -> shipper -> our collector build
 * (otel-collector.yaml) -> Jaeger (traces) and Prometheus (metrics).
 */
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { sessionFile } from '../../src/session/store';
import { ageSession } from '../session/age';
import { sandboxPerFile } from '../support/hooks';
import { eventually, privateStackPerFile, tag, type JaegerSpan } from '../e2e/private-stack';
import { linkPackage, runFixture } from '../support/run-fixture';
import { waitForShipperIdle } from '../support/spool-helpers';
import { FEATURE_TOOL } from './e2e';

const SESSION_TOOL = path.join(__dirname, '..', 'session', 'fixtures', 'session-tool');
const HTTP_APP = path.join(__dirname, '..', 'http', 'fixtures', 'http-app');

beforeAll(() => {
  linkPackage(FEATURE_TOOL);
  linkPackage(SESSION_TOOL);
});
// the tool's own keys (defineAttributes / defineMetrics) are accepted by the collector's operator
const stack = privateStackPerFile({ acceptKeys: ['^(?:crewai|visivo)\\.[a-z0-9_.]+$'] });
const sb = sandboxPerFile();

const env = () => ({ ...sb.env, OTEL_EXPORTER_OTLP_ENDPOINT: stack.endpoints.otlpHttp });

async function run(script: string, args: string[] = []) {
  const r = await runFixture({ script, args, mode: 'require', env: env(), cwd: sb.home });
  expect(r.code, r.stderr).toBe(0);
  await waitForShipperIdle(env(), 20_000);
}

async function promSum(q: string): Promise<number> {
  const r = await stack.queryPrometheus(q);
  return r.reduce((n, x) => n + Number(x.value[1]), 0);
}

type SpanWithLogs = JaegerSpan & { logs?: Array<{ fields: Array<{ key: string; value: unknown }> }> };

describe('to Jaeger and Prometheus', { timeout: 240_000 }, () => {
  it('feature uses: a counter by feature in Prometheus, events in the trace of the run in Jaeger', async () => {
    await run(path.join(FEATURE_TOOL, 'cli.js'), ['features']);
    const ask = await eventually(
      () => promSum('sum(devtool_feature_uses_total{devtool_feature_name="ask"})'),
      (v) => v >= 10,
      90_000,
      'devtool_feature_uses_total for ask',
    );
    expect(ask).toBe(10);
    expect(await promSum('sum(devtool_feature_uses_total{devtool_feature_name="ask",devtool_feature_prop_source="ui"})')).toBe(3);
    expect(await promSum('sum(devtool_feature_dropped_total{devtool_feature_drop_reason="over_cardinality"})')).toBe(9900);

    const traces = await eventually(() => stack.queryJaegerTraces('feature-tool'), (t) => t.length >= 1, 60_000, 'feature-tool trace');
    const root = traces.flatMap((t) => t.spans).find((s) => s.operationName === 'feature-tool features') as SpanWithLogs;
    expect(root).toBeDefined();
    const events = (root.logs ?? []).map((l) => Object.fromEntries(l.fields.map((f) => [f.key, f.value])));
    const first = events.find((e) => e.event === 'devtool.feature.used' && e['devtool.feature.name'] === 'ask');
    expect(first).toMatchObject({ 'devtool.feature.name': 'ask', 'devtool.feature.prop.source': 'ui' });
    expect(JSON.stringify(traces)).not.toContain('alice@example.com');
  });

  it('tool-declared counters and command attributes', async () => {
    await run(path.join(FEATURE_TOOL, 'cli.js'), ['metrics']);
    const jobs = await eventually(() => promSum('sum(visivo_jobs_executed_total)'), (v) => v >= 7, 90_000, 'visivo_jobs_executed_total');
    expect(jobs).toBe(7);
    expect(await promSum('sum(visivo_objects_compiled_total{visivo_object_type="chart"})')).toBe(12);
    const traces = await eventually(
      () => stack.queryJaegerTraces('feature-tool'),
      (t) => t.some((x) => x.spans.some((s) => s.operationName === 'feature-tool run')),
      60_000,
      'feature-tool run trace',
    );
    const span = traces.flatMap((t) => t.spans).find((s) => s.operationName === 'feature-tool run')!;
    expect(tag(span, 'crewai.process')).toBe('sequential');
    expect(tag(span, 'visivo.jobs.executed')).toBe(7);
  });

  it('HTTP server requests: route-templated spans in Jaeger, the duration histogram in Prometheus', async () => {
    await run(path.join(HTTP_APP, 'express-app.js'));
    const traces = await eventually(
      () => stack.queryJaegerTraces('http-app'),
      (t) => t.some((x) => x.spans.some((s) => s.operationName === 'GET /users/:id')),
      60_000,
      'http-app request spans',
    );
    const spans = traces.flatMap((t) => t.spans);
    const users = spans.filter((s) => s.operationName === 'GET /users/:id');
    expect(users).toHaveLength(2);
    expect(tag(users[0]!, 'http.route')).toBe('/users/:id');
    // `/users/42` has an id: url.path is then omitted, never templated or raw.
    expect(tag(users[0]!, 'url.path')).toBeUndefined();
    expect(tag(users[0]!, 'url.scheme')).toBe('http');
    expect(tag(users[0]!, 'http.response.status_code')).toBe(200);
    const text = JSON.stringify(traces);
    for (const s of ['query-secret', 'sk-header-secret', 'body-secret', '88127731', '127.0.0.1']) expect(text).not.toContain(s);
    const count = await eventually(
      () => promSum('sum({__name__=~"http_server_request_duration(_seconds)?_count",http_route="/users/:id"})'),
      (v) => v >= 2,
      90_000,
      'http_server_request_duration count',
    );
    expect(count).toBe(2);
  });

  it('session summaries: per-session totals as histograms, without a session label', async () => {
    const cli = path.join(SESSION_TOOL, 'cli.js');
    for (let i = 0; i < 4; i++) await run(cli, ['work']);
    // the session goes idle: the next run summarizes it
    ageSession(sessionFile(env(), 'session-tool'), 31, 40);
    await run(cli, ['work']);
    const runs = await eventually(() => promSum('sum({__name__=~"devtool_session_runs(_.*)?_sum"})'), (v) => v >= 4, 90_000, 'devtool_session_runs sum');
    expect(runs).toBe(4);
    expect(await promSum('sum({__name__=~"devtool_session_runs(_.*)?_count"})')).toBe(1);
    expect(await promSum('sum({__name__=~"devtool_session_tokens(_.*)?_sum"})')).toBe(60);
    expect(await promSum('sum({__name__=~"devtool_session_steps(_.*)?_sum"})')).toBe(8);
    const labelled = await stack.queryPrometheus('{__name__=~"devtool_session_.*", session_id!=""}');
    expect(labelled).toEqual([]);
  });
});
