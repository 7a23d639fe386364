/**
 * End to end, nothing mocked: real preloaded processes -> spool -> detached shipper -> our
 * collector build with otel-collector.yaml -> Jaeger (traces) and Prometheus (metrics).
 */
import { describe, expect, it } from 'vitest';
import { runFixture } from '../support/run-fixture';
import { sandboxPerFile } from '../support/hooks';
import { eventually, privateStackPerFile, tag } from './private-stack';

const stack = privateStackPerFile();
const sb = sandboxPerFile();

const env = (extra: Record<string, string> = {}) => ({ ...sb.env, OTEL_EXPORTER_OTLP_ENDPOINT: stack.endpoints.otlpHttp, ...extra });

async function promValue(q: string): Promise<number> {
  const r = await stack.queryPrometheus(q);
  return r.length ? Number(r[0]!.value[1]) : 0;
}

describe('preload -> collector -> Jaeger and Prometheus', { timeout: 240_000 }, () => {
  it('command spans arrive in Jaeger with their attributes, through protobuf and JSON', async () => {
    await runFixture({ script: 'fixture-tool/cli.js', args: ['fail-exit', '3'], mode: 'require', env: env() });
    await runFixture({ script: 'fixture-esm/cli.mjs', args: ['throw'], mode: 'import', env: env({ OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' }) });
    await runFixture({ script: 'fixture-tool/cli.js', args: ['llm'], mode: 'require', env: env() });

    const traces = await eventually(() => stack.queryJaegerTraces('fixture-tool'), (t) => t.length >= 2, 60_000, 'fixture-tool traces in Jaeger');
    const spans = traces.flatMap((t) => t.spans);
    const fail = spans.find((s) => s.operationName === 'fixture-tool fail-exit')!;
    expect(fail).toBeDefined();
    expect(tag(fail, 'process.exit.code')).toBe(3);
    expect(tag(fail, 'devtool.command.outcome')).toBe('failure');
    const llm = spans.find((s) => s.operationName === 'chat gpt-4o-mini' && tag(s, 'gen_ai.usage.input_tokens') === 12);
    expect(llm).toBeDefined();
    const trace = traces.find((t) => t.spans.includes(llm!))!;
    const proc = trace.processes[llm!.processID]!;
    expect(proc.serviceName).toBe('fixture-tool');
    const ptag = (k: string) => proc.tags.find((t) => t.key === k)?.value;
    expect(ptag('service.version')).toBe('1.2.3');
    expect(ptag('os.type')).toBe(process.platform);
    expect(ptag('process.runtime.name')).toBe('nodejs');
    expect(ptag('host.name')).toBeUndefined();

    const esm = await eventually(() => stack.queryJaegerTraces('fixture-esm'), (t) => t.length >= 1, 60_000, 'fixture-esm traces');
    const thrown = esm.flatMap((t) => t.spans).find((s) => s.operationName === 'fixture-esm throw')!;
    expect(tag(thrown, 'error.type')).toBe('TypeError');
    expect(JSON.stringify(esm)).not.toContain('secret message');
  });

  it('after N runs, including concurrent ones, Prometheus shows exactly N', async () => {
    const N = 24;
    const tool = { OTEL_SERVICE_NAME: 'count-tool' };
    // 8 sequential, then 16 at once (overlapping runs from separate processes)
    for (let i = 0; i < 8; i++) await runFixture({ script: 'fixture-tool/cli.js', args: [i % 2 ? 'ok' : 'fail-exit', '2'], mode: 'require', env: env(tool) });
    await Promise.all(
      Array.from({ length: N - 8 }, (_, i) =>
        runFixture({ script: 'fixture-esm/cli.mjs', args: ['ok'], mode: i % 2 ? 'import' : 'node-options-import', env: env(tool) }),
      ),
    );
    const q = 'sum(devtool_command_runs_total{service_name="count-tool"}) or sum(devtool_command_runs_total{job=~".*count-tool.*"})';
    const total = await eventually(() => promValue(q), (v) => v >= N, 90_000, `sum of runs = ${N}`);
    expect(total).toBe(N);
    // stays exact: no double counting when the shipper re-sends cumulative points later
    await runFixture({ script: 'fixture-tool/cli.js', args: ['ok'], mode: 'require', env: env() });
    await new Promise((r) => setTimeout(r, 3000));
    expect(await promValue(q)).toBe(N);
    const failures = await promValue('sum(devtool_command_runs_total{service_name="count-tool",devtool_command_outcome="failure"}) or sum(devtool_command_runs_total{job=~".*count-tool.*",devtool_command_outcome="failure"})');
    expect(failures).toBe(4);
  });

  it('LLM token usage reaches Prometheus by model and token type', async () => {
    const q = 'sum by (gen_ai_token_type) (gen_ai_client_token_usage_sum{gen_ai_request_model="gpt-4o-mini"})';
    const rows = await eventually(() => stack.queryPrometheus(q), (r) => r.length === 2, 60_000, 'token usage series');
    const byType = Object.fromEntries(rows.map((r) => [r.metric.gen_ai_token_type, Number(r.value[1])]));
    expect(byType.input).toBe(12);
    expect(byType.output).toBe(34);
  });
});
