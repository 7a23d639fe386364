// Grafana cannot run here, so every panel query of collector-config/grafana/dashboards/devtool-telemetry.json
// is executed against a real Prometheus that scraped our collector after a workload shaped like our SDK's
// output (cumulative streams keyed by service.instance.id): each must return data.
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
    'devtool.install.id': `install-${hex(4)}`,
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

const services = [
  { name: `tool-a-${TAG}`, version: '1.0.0', os: ['linux', 'Ubuntu', '24.04'] as [string, string, string], instance: hex(8), start: nowNs() - 120_000_000_000n },
  { name: `tool-b-${TAG}`, version: '2.1.0', os: ['darwin', 'macOS', '15.1'] as [string, string, string], instance: hex(8), start: nowNs() - 120_000_000_000n },
];

beforeAll(async () => {
  await ensureStackBuilt();
  dir = tmpDir('dashboard');
  const ports = await stackLib.freeStackPorts();
  stack = await stackLib.startStack({ ...ports, workDir: dir, components: { jaeger: false }, scrapeInterval: '1s', collectorEnv: { DEVTOOL_COLLECTOR_BATCH_TIMEOUT: '100ms' } });
  // two rounds of cumulative values, scraped in between, so rate() panels have two samples
  for (const scale of [1, 2]) {
    for (const svc of services) {
      const r = await postOtlp(stack.endpoints.otlpHttp, 'metrics', workload(scale, svc));
      expect(r.status, r.text).toBe(200);
    }
    const since = Date.now() + 300; // after the batch timeout
    await stackLib.eventually(async () => (await stack.queryPrometheus(`sum(devtool_command_runs_total{job=~".*-${TAG}"})`))[0]?.value[1] === String(20 * scale), Boolean, {
      timeoutMs: 30_000,
      what: `runs = ${20 * scale} in Prometheus`,
    });
    await stack.waitForScrape(since);
  }
  await stack.waitForScrape(Date.now());
}, BUILD_TIMEOUT);

afterAll(async () => {
  await stack?.stop();
  removeDir(dir);
});

const substitute = (expr: string) => expr.replaceAll('$__rate_interval', '1m').replaceAll('$__range', '1h').replaceAll('$service', `.*-${TAG}`);

describe('Grafana dashboard queries against real Prometheus', () => {
  const targets = dash.panels.flatMap((p: any) => p.targets.map((t: any) => [`${p.title} [${t.refId}]`, t.expr]));

  it.each(targets)('%s returns data', async (_title: string, expr: string) => {
    const result = await stack.queryPrometheus(substitute(expr));
    expect(result.length, substitute(expr)).toBeGreaterThan(0);
    const values = result.map((r: any) => Number(r.value[1]));
    expect(values.some((v: number) => Number.isFinite(v)), JSON.stringify(result)).toBe(true);
  });

  it('the service variable lists the tools', async () => {
    const q = dash.templating.list[0].definition as string;
    expect(q).toBe('label_values(devtool_command_runs_total, job)');
    const res = await fetch(`${stack.endpoints.prometheus}/api/v1/label/job/values?match[]=devtool_command_runs_total`);
    const jobs = (await res.json()).data;
    for (const s of services) expect(jobs).toContain(s.name);
  });

  it('panels show the expected numbers', async () => {
    const q = async (title: string, i = 0) => stack.queryPrometheus(substitute(dash.panels.find((p: any) => p.title === title).targets[i].expr));
    const total = await q('Command runs (total)');
    expect(total[0].value[1]).toBe('40');
    const byCmd = Object.fromEntries((await q('Command runs by command and outcome')).map((r: any) => [`${r.metric.devtool_command_name}/${r.metric.devtool_command_outcome}`, r.value[1]]));
    expect(byCmd).toEqual({ 'build/success': '28', 'build/failure': '8', 'test/failure': '4' });
    const errors = Object.fromEntries((await q('Error rate by error.type')).map((r: any) => [r.metric.error_type, Number(r.value[1])]));
    expect(errors.ENOENT).toBeCloseTo(0.2);
    expect(errors.TimeoutError).toBeCloseTo(0.1);
    const tokens = Object.fromEntries((await q('LLM tokens by model and type')).map((r: any) => [`${r.metric.gen_ai_request_model}/${r.metric.gen_ai_token_type}`, r.value[1]]));
    expect(tokens).toEqual({ 'gpt-4o-mini/input': '12000', 'gpt-4o-mini/output': '2400', 'claude-sonnet-4/input': '12000' });
    const versions = Object.fromEntries((await q('Runs by tool version')).map((r: any) => [r.metric.service_version, r.value[1]]));
    expect(versions).toEqual({ '1.0.0': '20', '2.1.0': '20' });
    const oses = (await q('Runs by OS')).map((r: any) => `${r.metric.os_type} ${r.metric.os_name} ${r.metric.os_version}`).sort();
    expect(oses).toEqual(['darwin macOS 15.1', 'linux Ubuntu 24.04']);
    const p95 = Object.fromEntries((await q('LLM latency p50 / p95 by model', 1)).map((r: any) => [r.metric.gen_ai_request_model, Number(r.value[1])]));
    expect(p95['claude-sonnet-4']).toBeGreaterThan(2.56);
    expect(p95['claude-sonnet-4']).toBeLessThanOrEqual(5.12);
  });
});
