// The standard OpenTelemetry SDK switches, each against real preloaded tool processes and the test
// OTLP receiver: OTEL_SDK_DISABLED exactly as the specification reads it, OTEL_TRACES_EXPORTER and
// OTEL_METRICS_EXPORTER with `otlp`, `console` and `none`, OTEL_TRACES_SAMPLER / _ARG (metrics stay
// exact whatever is sampled), OTEL_METRIC_EXPORT_INTERVAL for long-running apps.
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveConsent } from '../../src/consent/resolve';
import { parseExportersEnv } from '../../src/settings/exporters';
import { counterTotal, e2ePerFile } from '../features/e2e';
import { parseSamplerEnv, sampled } from '../../src/settings/sampler';
import { preloadArgs } from '../support/run-fixture';
import { batchFiles } from '../support/spool-helpers';

const TOOL = path.join(__dirname, '..', 'fixtures', 'fixture-tool', 'cli.js');

const e = e2ePerFile([]);

/** One run of the fixture tool with `extra` env; what reached the receiver from it alone. */
async function runWith(extra: Record<string, string>) {
  e.receiver.reset();
  const r = await e.run(TOOL, ['ok'], extra);
  expect(r.code, r.stderr).toBe(0);
  return { r, spans: e.receiver.spans(), metrics: e.receiver.metrics(), spooled: batchFiles({ ...e.env, ...extra }) };
}

describe('OTEL_SDK_DISABLED', () => {
  it.each(['true', 'TRUE', 'True'])('=%s disables: nothing recorded, spooled or sent', async (v) => {
    const { spans, metrics, spooled, r } = await runWith({ OTEL_SDK_DISABLED: v });
    expect(spans).toEqual([]);
    expect(metrics).toEqual([]);
    expect(spooled).toEqual([]);
    expect(e.receiver.requests).toEqual([]);
    expect(r.stderr).not.toContain('devtool-telemetry');
  });

  it.each(['false', '1', 'yes', 'on'])('=%s does not disable (only "true" is true in the specification)', async (v) => {
    const { spans } = await runWith({ OTEL_SDK_DISABLED: v });
    expect(spans.filter((s) => !s.parentSpanId)).toHaveLength(1);
  });

  it('a value other than true/false is reported to the person who asks (status --explain)', () => {
    const d = resolveConsent({ env: { ...e.env, OTEL_SDK_DISABLED: '1' }, cwd: e.sb.home, tool: { name: 'x', options: { defaultLevel: 'usage' }, problems: [] } });
    expect(d.level).not.toBe('off');
    const r = d.reports.find((x) => x.source === 'env:OTEL_SDK_DISABLED')!;
    expect(r.effect).toBe('none');
    expect(r.problem).toMatch(/only "true"/);
  });
});

describe('OTEL_TRACES_EXPORTER', () => {
  it('=none: no spans leave the process; metrics still do', async () => {
    const { spans, metrics, r } = await runWith({ OTEL_TRACES_EXPORTER: 'none' });
    expect(spans).toEqual([]);
    expect(metrics.some((m) => m.name === 'devtool.command.runs')).toBe(true);
    expect(r.stderr).not.toContain('[devtool-telemetry] console');
  });

  it('=console: spans printed to stderr (sanitized, like debug mode), not sent; metrics still sent', async () => {
    const { spans, metrics, r } = await runWith({ OTEL_TRACES_EXPORTER: 'console' });
    expect(spans).toEqual([]);
    expect(metrics.some((m) => m.name === 'devtool.command.runs')).toBe(true);
    const printed = JSON.parse(r.stderr.slice(r.stderr.indexOf('{'), r.stderr.lastIndexOf('}') + 1));
    expect(printed.spans.map((s: { name: string }) => s.name)).toContain('fixture-tool ok');
    expect(printed.metrics).toEqual([]);
  });

  it('=otlp (the default) and =otlp,console: spans sent', async () => {
    expect((await runWith({ OTEL_TRACES_EXPORTER: 'otlp' })).spans.length).toBeGreaterThan(0);
    const both = await runWith({ OTEL_TRACES_EXPORTER: 'otlp,console' });
    expect(both.spans.length).toBeGreaterThan(0);
    expect(both.r.stderr).toContain('[devtool-telemetry] console');
  });

  it('an unknown value is ignored (the default applies) and reported under debug', () => {
    const c = parseExportersEnv({ OTEL_TRACES_EXPORTER: 'zipkin' });
    expect(c.traces).toEqual({ otlp: true, console: false });
    expect(c.problems.join()).toMatch(/OTEL_TRACES_EXPORTER: "zipkin" is not supported/);
  });
});

describe('OTEL_METRICS_EXPORTER', () => {
  it('=none: no metrics leave the process; spans still do', async () => {
    const { spans, metrics } = await runWith({ OTEL_METRICS_EXPORTER: 'none' });
    expect(metrics).toEqual([]);
    expect(spans.filter((s) => !s.parentSpanId)).toHaveLength(1);
  });

  it('=console: metric points printed to stderr, not sent; spans still sent', async () => {
    const { spans, metrics, r } = await runWith({ OTEL_METRICS_EXPORTER: 'console' });
    expect(metrics).toEqual([]);
    expect(spans.length).toBeGreaterThan(0);
    const printed = JSON.parse(r.stderr.slice(r.stderr.indexOf('{'), r.stderr.lastIndexOf('}') + 1));
    expect(printed.metrics.map((m: { name: string }) => m.name)).toContain('devtool.command.runs');
    expect(printed.spans).toEqual([]);
  });

  it('both =none: nothing spooled, nothing sent', async () => {
    const { spooled } = await runWith({ OTEL_METRICS_EXPORTER: 'none', OTEL_TRACES_EXPORTER: 'none' });
    expect(spooled).toEqual([]);
    expect(e.receiver.requests).toEqual([]);
  });
});

describe('OTEL_METRIC_EXPORT_INTERVAL', () => {
  it('=1000: a long-running app delivers its records while it still runs', async () => {
    e.receiver.reset();
    const { args, env } = preloadArgs('require', { ...e.env, OTEL_METRIC_EXPORT_INTERVAL: '1000' });
    const child = spawn(process.execPath, [...args, path.join(__dirname, '..', 'fixtures', 'fixture-tool', 'long-run.js')], { cwd: e.sb.home, env, stdio: 'ignore' });
    try {
      await e.receiver.waitFor(() => e.receiver.metrics().some((m) => m.name === 'devtool.step.duration'), 20_000);
      expect(child.exitCode).toBeNull(); // still running: the periodic flush sent it
      expect(e.receiver.spans().some((s) => s.name === 'step warm-up')).toBe(true);
    } finally {
      child.kill('SIGKILL');
    }
  });
});

describe('OTEL_TRACES_SAMPLER', () => {
  /**
   * n runs; the root spans and the (cumulative) run count they added at the receiver. Only successful
   * runs count: the long-running app SIGKILLed above is recorded later, as `abnormal`, by a shipper
   * these runs start (its start record), which is not what this test measures.
   */
  async function runs(n: number, extra: Record<string, string>) {
    const ok = { 'devtool.command.outcome': 'success' };
    const count = () => ({
      roots: e.receiver.spans().filter((s) => !s.parentSpanId && s.attributes['devtool.command.outcome'] === 'success').length,
      total: counterTotal(e.receiver.metrics(), 'devtool.command.runs', ok),
    });
    const before = count();
    for (let i = 0; i < n; i++) {
      const r = await e.run(TOOL, ['ok'], extra);
      expect(r.code, r.stderr).toBe(0);
    }
    const after = count();
    return { roots: after.roots - before.roots, total: after.total - before.total };
  }

  it.each(['always_off', 'parentbased_always_off'])('=%s: no spans; the run counter stays exact', async (v) => {
    expect(await runs(3, { OTEL_TRACES_SAMPLER: v })).toEqual({ roots: 0, total: 3 });
  });

  it('=traceidratio with OTEL_TRACES_SAMPLER_ARG=0 samples nothing, =1 everything; metrics exact either way', async () => {
    expect(await runs(2, { OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '0' })).toEqual({ roots: 0, total: 2 });
    expect(await runs(2, { OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '1' })).toEqual({ roots: 2, total: 2 });
  });

  it('=always_on (and the default): every trace', async () => {
    expect(await runs(2, { OTEL_TRACES_SAMPLER: 'always_on' })).toEqual({ roots: 2, total: 2 });
  });

  it('the ratio decision is deterministic in the trace id randomness, and proportional', () => {
    expect(sampled('0123456789abcdef' + '00' + '00000000000000', 0.5)).toBe(false);
    expect(sampled('0123456789abcdef' + '00' + 'ffffffffffffff', 0.5)).toBe(true);
    expect(sampled('0123456789abcdef' + '00' + '80000000000000', 0.5)).toBe(true);
    expect(sampled('0123456789abcdef' + '00' + '7fffffffffffff', 0.5)).toBe(false);
    let kept = 0;
    for (let i = 0; i < 4096; i++) if (sampled((i * 2654435761 >>> 0).toString(16).padStart(8, '0').repeat(4), 0.25)) kept++;
    expect(kept / 4096).toBeGreaterThan(0.2);
    expect(kept / 4096).toBeLessThan(0.3);
  });

  it('OTEL_TRACES_SAMPLER_ARG out of range or an unknown sampler: reported, and everything is kept', () => {
    expect(parseSamplerEnv({ OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '1.5' })).toMatchObject({ ratio: 1, problems: [expect.stringMatching(/OTEL_TRACES_SAMPLER_ARG/)] });
    expect(parseSamplerEnv({ OTEL_TRACES_SAMPLER: 'jaeger_remote' })).toMatchObject({ ratio: 1, name: 'parentbased_always_on', problems: [expect.stringMatching(/not supported/)] });
    expect(parseSamplerEnv({ OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.1' }).ratio).toBe(0.1);
  });
});

describe('OTEL_TRACES_EXPORTER / OTEL_METRICS_EXPORTER for a run that dies without JS', () => {
  const LONG_RUN = path.join(__dirname, '..', 'fixtures', 'fixture-tool', 'long-run.js');

  /** A long-running app SIGKILLed once ready, then a run whose shipper finalizes its start record. */
  async function killedRun(service: string, extra: Record<string, string>) {
    const r = await e.run(LONG_RUN, [], { OTEL_SERVICE_NAME: service, ...extra }, { signalAfterMs: { signal: 'SIGKILL', whenStdoutIncludes: 'ready' } });
    expect(r.signal).toBe('SIGKILL');
    await e.run(TOOL, ['ok']);
  }
  const mineMetrics = (service: string) =>
    e.receiver.metrics().filter((m) => m.resource['service.name'] === service && m.name === 'devtool.command.runs');
  const mineSpans = (service: string) => e.receiver.spans().filter((s) => s.resource['service.name'] === service);

  it('=none for traces: the finalized run is counted, its span is not sent', async () => {
    await killedRun('killed-untraced', { OTEL_TRACES_EXPORTER: 'none' });
    await e.receiver.waitFor(() => counterTotal(mineMetrics('killed-untraced'), 'devtool.command.runs', { 'devtool.command.outcome': 'abnormal' }) === 1, 15_000);
    expect(mineSpans('killed-untraced')).toEqual([]);
  });

  it('=none for metrics: the finalized run sends its span (with pid and executable name), no metrics', async () => {
    await killedRun('killed-unmetered', { OTEL_METRICS_EXPORTER: 'none' });
    await e.receiver.waitFor(() => mineSpans('killed-unmetered').length === 1, 15_000);
    const root = mineSpans('killed-unmetered')[0]!;
    expect(root.attributes['devtool.command.outcome']).toBe('abnormal');
    expect(root.attributes['process.executable.name']).toBe(path.basename(process.execPath));
    expect(root.attributes['process.pid']).toBeGreaterThan(0);
    expect(e.receiver.metrics().filter((m) => m.resource['service.name'] === 'killed-unmetered')).toEqual([]);
  });
});
