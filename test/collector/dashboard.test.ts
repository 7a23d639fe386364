// Grafana cannot run here, so every panel query of collector-config/grafana/dashboards/devtool-telemetry.json
// is executed against a real Prometheus that scraped our collector after a workload shaped like our SDK's
// output (cumulative streams keyed by service.instance.id): each must return data, and the totals must count
// every run in the range although the data spans a stream expiry (a series that stops, its successor with a
// new service.instance.id and start time, a series that goes stale and comes back).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { BUILD_TIMEOUT, ROOT, ensureStackBuilt, hex, histogramMetric, metricsBody, nowNs, postOtlp, removeDir, stackLib, sumMetric, tmpDir } from './helpers';

const dash = JSON.parse(fs.readFileSync(path.join(ROOT, 'collector-config/grafana/dashboards/devtool-telemetry.json'), 'utf8'));
const TAG = hex(3);
let stack: any;
let dir: string;

const TOKEN_BOUNDS = [1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864];
const LLM_BOUNDS = [0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92];
const CMD_BOUNDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

function counts(bounds: number[], at: number, n: number) {
  const c = new Array(bounds.length + 1).fill(0);
  c[bounds.findIndex((b) => at <= b)] = n;
  return c;
}

function workload(scale: number, svc: { name: string; version: string; os: [string, string, string]; instance: string; start: bigint }) {
  const resource = {
    'service.name': svc.name,
    'service.version': svc.version,
    'service.instance.id': svc.instance,
    'os.type': svc.os[0],
    'os.name': svc.os[1],
    'os.version': svc.os[2],
    'host.arch': 'amd64',
    'process.runtime.name': 'nodejs',
    'process.runtime.version': '20.19.43',
    'app.installation.id': `install-${hex(4)}`,
  };
  const model = (m: string, p: string, type: string) => ({ 'gen_ai.request.model': m, 'gen_ai.provider.name': p, 'gen_ai.operation.name': 'chat', ...(type ? { 'gen_ai.token.type': type } : {}) });
  return metricsBody(resource, [
    sumMetric(
      'devtool.command.runs',
      '{run}',
      [
        { value: 7 * scale, attributes: { 'devtool.command.name': 'build', 'devtool.command.outcome': 'success' } },
        { value: 2 * scale, attributes: { 'devtool.command.name': 'build', 'devtool.command.outcome': 'failure', 'error.type': 'ENOENT' } },
        { value: 1 * scale, attributes: { 'devtool.command.name': 'test', 'devtool.command.outcome': 'failure', 'error.type': 'TimeoutError' } },
      ],
      svc.start,
    ),
    histogramMetric(
      'devtool.command.duration',
      's',
      [
        { bounds: CMD_BOUNDS, counts: counts(CMD_BOUNDS, 0.4, 9 * scale), sum: 3.6 * scale, attributes: { 'devtool.command.name': 'build' } },
        { bounds: CMD_BOUNDS, counts: counts(CMD_BOUNDS, 2, 1 * scale), sum: 2 * scale, attributes: { 'devtool.command.name': 'test' } },
      ],
      svc.start,
    ),
    histogramMetric(
      'gen_ai.client.token.usage',
      '{token}',
      [
        { bounds: TOKEN_BOUNDS, counts: counts(TOKEN_BOUNDS, 1000, 3 * scale), sum: 3000 * scale, attributes: model('gpt-4o-mini', 'openai', 'input') },
        { bounds: TOKEN_BOUNDS, counts: counts(TOKEN_BOUNDS, 200, 3 * scale), sum: 600 * scale, attributes: model('gpt-4o-mini', 'openai', 'output') },
        { bounds: TOKEN_BOUNDS, counts: counts(TOKEN_BOUNDS, 3000, 1 * scale), sum: 3000 * scale, attributes: model('claude-sonnet-4', 'anthropic', 'input') },
      ],
      svc.start,
    ),
    histogramMetric(
      'gen_ai.client.operation.duration',
      's',
      [
        { bounds: LLM_BOUNDS, counts: counts(LLM_BOUNDS, 1.1, 3 * scale), sum: 3.3 * scale, attributes: model('gpt-4o-mini', 'openai', '') },
        { bounds: LLM_BOUNDS, counts: counts(LLM_BOUNDS, 4, 1 * scale), sum: 4 * scale, attributes: model('claude-sonnet-4', 'anthropic', '') },
      ],
      svc.start,
    ),
  ]);
}

type Svc = { name: string; version: string; os: [string, string, string]; instance: string; start: bigint };
const tool = (name: string, version: string, os: [string, string, string]): Svc => ({ name: `${name}-${TAG}`, version, os, instance: hex(8), start: nowNs() - 120_000_000_000n });
// A1: tool-a's stream that EXPIRES after two rounds; A2: its successor (new service.instance.id, new start
// time, new version: what the shipper makes after a 30-day stream expiry or a tool upgrade); B: tool-b, one
// stream that goes quiet long enough to go stale in Prometheus and comes back.
const A1 = tool('tool-a', '1.0.0', ['linux', 'Ubuntu', '24.04']);
const A2 = { ...tool('tool-a', '1.1.0', ['linux', 'Ubuntu', '24.04']), start: nowNs() };
const B = tool('tool-b', '2.1.0', ['darwin', 'macOS', '15.1']);
const RUNS_PER_SCALE = 10; // 7 build/success + 2 build/failure + 1 test/failure
const EXPIRATION = '8s'; // the collector's metric_expiration here (60m in the shipped config)
const instantRuns = `sum(devtool_command_runs_total{job=~".*-${TAG}"})`;
let midRoundTwo = 0; // ms: after round 1 was scraped, before round 2 was sent
let queryAt = 0; // s: evaluation time of every query below
let firstSend = 0; // s: before round 1
let afterExpiry = 0; // s: every stream expired, before round 3 was sent

async function send(round: [Svc, number][], expectInstant: number) {
  for (const [svc, scale] of round) {
    const r = await postOtlp(stack.endpoints.otlpHttp, 'metrics', workload(scale, svc));
    expect(r.status, r.text).toBe(200);
  }
  const since = Date.now();
  await stackLib.eventually(async () => (await stack.queryPrometheus(instantRuns))[0]?.value[1] === String(expectInstant), Boolean, {
    timeoutMs: 30_000,
    what: `runs = ${expectInstant} in Prometheus`,
  });
  await stack.waitForScrape(since);
}

beforeAll(async () => {
  await ensureStackBuilt();
  dir = tmpDir('dashboard');
  const ports = await stackLib.freeStackPorts();
  stack = await stackLib.startStack({
    ...ports,
    workDir: dir,
    components: { jaeger: false },
    scrapeInterval: '1s',
    collectorEnv: { DEVTOOL_COLLECTOR_BATCH_TIMEOUT: '100ms', DEVTOOL_COLLECTOR_PROM_EXPIRATION: EXPIRATION },
  });
  // two rounds of cumulative values, scraped in between
  firstSend = Date.now() / 1000;
  await send([[A1, 1], [B, 1]], 2 * RUNS_PER_SCALE);
  // the mid-way range below starts up to 1 s before midRoundTwo (whole seconds): round 1 is scraped before that
  await new Promise((r) => setTimeout(r, 1500));
  midRoundTwo = Date.now();
  await send([[A1, 2], [B, 2]], 4 * RUNS_PER_SCALE);
  // every stream goes quiet: the exporter expires them and their series go stale in Prometheus
  await stackLib.eventually(async () => (await stack.queryPrometheus(instantRuns)).length === 0, Boolean, { timeoutMs: 30_000, what: 'streams expired' });
  // a pause longer than Grafana's rate window below (4 s), as the real expiry (60 min) is longer than any
  afterExpiry = Date.now() / 1000;
  await new Promise((r) => setTimeout(r, 6000));
  // A1 is gone for good; its successor A2 starts from zero; B comes back with a higher cumulative value
  await send([[A2, 1], [B, 3]], 4 * RUNS_PER_SCALE);
  await stack.waitForScrape(Date.now());
  queryAt = Date.now() / 1000;
}, BUILD_TIMEOUT);

afterAll(async () => {
  await stack?.stop();
  removeDir(dir);
});

const substitute = (expr: string, range = '1h') =>
  expr.replaceAll('$__rate_interval', '2m').replaceAll('$__interval', '2m').replaceAll('$__range', range).replaceAll('$service', `.*-${TAG}`);
const panel = (title: string) => {
  const p = dash.panels.find((x: any) => x.title === title);
  expect(p, title).toBeDefined();
  return p;
};
const query = (title: string, i = 0, range = '1h') => stack.queryPrometheus(substitute(panel(title).targets[i].expr, range), { time: queryAt });
const byLabels = (rows: any[], ...labels: string[]) => Object.fromEntries(rows.map((r: any) => [labels.map((l) => r.metric[l]).join('/'), Number(r.value[1])]));

describe('Grafana dashboard queries against real Prometheus', () => {
  const targets = dash.panels.flatMap((p: any) => p.targets.map((t: any) => [`${p.title} [${t.refId}]`, t.expr]));

  it.each(targets as Array<[string, string]>)('%s returns data', async (_title, expr) => {
    const result = await stack.queryPrometheus(substitute(expr), { time: queryAt });
    expect(result.length, substitute(expr)).toBeGreaterThan(0);
    const values = result.map((r: any) => Number(r.value[1]));
    expect(values.some((v: number) => Number.isFinite(v)), JSON.stringify(result)).toBe(true);
  });

  it('the service variable lists the tools', async () => {
    const q = dash.templating.list[0].definition as string;
    expect(q).toBe('label_values(devtool_command_runs_total, job)');
    const res = await fetch(`${stack.endpoints.prometheus}/api/v1/label/job/values?match[]=devtool_command_runs_total`);
    const jobs = (await res.json()).data;
    for (const s of [A1, B]) expect(jobs).toContain(s.name);
  });

  it('the data spans a stream expiry: the instant sum of the exposed counters has dropped', async () => {
    // what the totals panels used to show: A1's 20 runs vanished when its series went stale
    expect((await stack.queryPrometheus(instantRuns, { time: queryAt }))[0].value[1]).toBe(String(4 * RUNS_PER_SCALE));
    const exposed = (await stack.queryPrometheus(`devtool_command_runs_total{job=~".*-${TAG}"}`, { time: queryAt })).map((r: any) => r.metric.instance);
    expect(new Set(exposed)).toEqual(new Set([A2.instance, B.instance]));
  });

  it('totals over the dashboard range count every run, across the expiry', async () => {
    // runs: A1 20 (expired), A2 10 (new stream), B 30 (stale in between) = 60
    expect(Number((await query('Command runs (total)'))[0].value[1])).toBe(6 * RUNS_PER_SCALE);
    expect(byLabels(await query('Command runs by command and outcome'), 'devtool_command_name', 'devtool_command_outcome')).toEqual({ 'build/success': 42, 'build/failure': 12, 'test/failure': 6 });
    const errors = byLabels(await query('Error rate by error.type'), 'error_type');
    expect(errors.ENOENT).toBeCloseTo(0.2);
    expect(errors.TimeoutError).toBeCloseTo(0.1);
    expect(byLabels(await query('LLM tokens by model and type'), 'gen_ai_request_model', 'gen_ai_token_type')).toEqual({ 'gpt-4o-mini/input': 18000, 'gpt-4o-mini/output': 3600, 'claude-sonnet-4/input': 18000 });
    // the expired stream keeps its version and OS: target_info is taken over the range too
    expect(byLabels(await query('Runs by tool version'), 'service_version')).toEqual({ '1.0.0': 20, '1.1.0': 10, '2.1.0': 30 });
    expect(byLabels(await query('Runs by OS'), 'os_type', 'os_name', 'os_version')).toEqual({ 'linux/Ubuntu/24.04': 30, 'darwin/macOS/15.1': 30 });
    expect(byLabels(await query('Streams by runtime, arch and distribution version'), 'service_version')).toEqual({ '1.0.0': 1, '1.1.0': 1, '2.1.0': 1 });
  });

  it('a range that starts mid-way counts only the runs after its start (the value before it is the baseline)', async () => {
    // range start between round 1 and round 2: A1 20-10, B 30-10, A2 10 (started in the range) = 40
    const range = `${Math.ceil(queryAt - midRoundTwo / 1000)}s`;
    expect(Number((await query('Command runs (total)', 0, range))[0].value[1])).toBe(4 * RUNS_PER_SCALE);
    expect(byLabels(await query('Runs by tool version', 0, range), 'service_version')).toEqual({ '1.0.0': 10, '1.1.0': 10, '2.1.0': 20 });
  });

  it('percentiles come from the buckets of the runs in each interval', async () => {
    const p95 = byLabels(await query('LLM latency p50 / p95 by model', 1), 'gen_ai_request_model');
    expect(p95['claude-sonnet-4']).toBeGreaterThan(2.56);
    expect(p95['claude-sonnet-4']).toBeLessThanOrEqual(5.12);
    for (const t of dash.panels.flatMap((p: any) => p.targets.map((x: any) => x.expr)).filter((e: string) => e.includes('histogram_quantile'))) {
      expect(t).toMatch(/last_over_time\([^)]*_bucket\{[^}]*\}\[\$__interval\]\)/);
    }
  });
});

// Sporadic CLI runs, as a time series: Grafana runs the time-series panels as range queries with
// $__interval = the step (and $__rate_interval = max(4 scrapes, step + 1 scrape)). Every run between
// the rounds above reached Prometheus as a jump of a stream that is new, or that comes back after
// going stale: rate() over $__rate_interval sees no increase there.
describe('time-series panels over sparse runs (range queries, as Grafana runs them)', () => {
  const STEP = 2; // s
  const grafana = (expr: string) =>
    expr.replaceAll('$__rate_interval', `${Math.max(4, STEP + 1)}s`).replaceAll('$__interval', `${STEP}s`).replaceAll('$service', `.*-${TAG}`);
  async function range(title: string, i = 0) {
    const end = Math.floor(queryAt);
    const start = end - STEP * Math.ceil((end - firstSend + 10) / STEP); // before the first sample
    const u = new URL('/api/v1/query_range', stack.endpoints.prometheus);
    u.search = new URLSearchParams({ query: grafana(panel(title).targets[i].expr), start: String(start), end: String(end), step: String(STEP) }).toString();
    const body = await (await fetch(u)).json();
    expect(body.status, JSON.stringify(body)).toBe('success');
    return body.data.result as Array<{ metric: Record<string, string>; values: [number, string][] }>;
  }

  it('runs per interval add up to every run of the range, including the first ones of a new or returning stream', async () => {
    const series = await range('Command runs per interval');
    // whatever the unit: the intervals where the runs after the expiry happened do not read 0
    expect(series.some((r) => r.values.some(([t, v]) => t >= afterExpiry && Number(v) > 0))).toBe(true);
    const total = series.flatMap((r) => r.values.map(([, v]) => Number(v))).reduce((a, b) => a + b, 0);
    expect(total).toBe(6 * RUNS_PER_SCALE);
    const byCmd = Object.fromEntries(series.map((r) => [`${r.metric.devtool_command_name}/${r.metric.devtool_command_outcome}`, r.values.reduce((a, [, v]) => a + Number(v), 0)]));
    expect(byCmd).toEqual({ 'build/success': 42, 'build/failure': 12, 'test/failure': 6 });
    // after the expiry: A2's first 10 runs and B's 10 new ones show where they happened
    const late = series.flatMap((r) => r.values.filter(([t]) => t >= afterExpiry).map(([, v]) => Number(v))).reduce((a, b) => a + b, 0);
    expect(late).toBe(2 * RUNS_PER_SCALE);
  });

  it('percentiles have a value for the intervals with runs, also right after a stream expiry; never NaN', async () => {
    for (const [title, label, want] of [
      ['Command duration p50 / p95', 'devtool_command_name', { test: [1, 2.5], build: [0.25, 0.5] }],
      ['LLM latency p50 / p95 by model', 'gen_ai_request_model', { 'claude-sonnet-4': [2.56, 5.12], 'gpt-4o-mini': [0.64, 1.28] }],
    ] as const) {
      const series = await range(title, 1);
      for (const r of series) for (const [, v] of r.values) expect(Number.isFinite(Number(v)), `${title}: ${v}`).toBe(true);
      for (const [name, [lo, hi]] of Object.entries(want)) {
        const late = series.find((r) => r.metric[label] === name)?.values.filter(([t]) => t >= afterExpiry) ?? [];
        expect(late.length, `${title} ${name} after the expiry`).toBeGreaterThan(0);
        for (const [, v] of late) {
          expect(Number(v)).toBeGreaterThan(lo);
          expect(Number(v)).toBeLessThanOrEqual(hi);
        }
      }
    }
  });
});
