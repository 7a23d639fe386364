// OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE against real preloaded runs, the detached
// shipper and the OTLP test receiver: cumulative by default; `delta` and `lowmemory` export each
// counter and histogram as what changed since the last acknowledged export, over contiguous
// intervals, so the deltas add up to exactly the runs made, even across a refused export.
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseTemporality } from '../../src/settings/temporality-env';
import { readShipperState } from '../../src/spool/shipper-state';
import { startReceiver, type FlatMetric, type Receiver, type ReceiverOptions } from '../support/otlp-receiver';
import { makeSandbox, runFixture, type Env, type Sandbox } from '../support/run-fixture';
import { waitForShipperIdle } from '../support/spool-helpers';

const TOOL = path.join(__dirname, '..', 'fixtures', 'fixture-tool', 'cli.js');
let receiver: Receiver | undefined;
let sb: Sandbox | undefined;

afterEach(async () => {
  await receiver?.close();
  sb?.cleanup();
  receiver = undefined;
  sb = undefined;
});

async function runs(n: number, extra: Env, respond?: ReceiverOptions['respond']): Promise<{ env: Env; metrics: FlatMetric[] }> {
  receiver = await startReceiver({ respond });
  sb = makeSandbox();
  const env: Env = { ...sb.env, OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, DEVTOOL_TELEMETRY_RETRY_BASE_MS: '100', DEVTOOL_TELEMETRY_RETRY_MAX_MS: '400', ...extra };
  for (let i = 0; i < n; i++) {
    const r = await runFixture({ script: TOOL, args: ['ok'], mode: 'require', env });
    expect(r.code).toBe(0);
    await waitForShipperIdle(env, 20_000); // one export per run: the intervals are separate
  }
  return { env, metrics: receiver.metrics() };
}

const runsOf = (metrics: FlatMetric[]) => metrics.filter((m) => m.name === 'devtool.command.runs');
const durationsOf = (metrics: FlatMetric[]) => metrics.filter((m) => m.name === 'devtool.command.duration');

describe('OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE', () => {
  it('unset (cumulative): every export carries the running total', async () => {
    const { metrics } = await runs(3, {});
    const pts = runsOf(metrics).flatMap((m) => m.points.map((p) => ({ ...p, t: m.temporality })));
    expect(pts.every((p) => p.t === 'cumulative')).toBe(true);
    expect(pts.map((p) => p.value)).toEqual([1, 2, 3]);
    expect(new Set(pts.map((p) => p.startTimeUnixNano)).size).toBe(1); // one stream, one start
  });

  it.each(['delta', 'lowmemory', 'DELTA'])('=%s: counters and histograms as deltas over contiguous intervals, adding up exactly', async (v) => {
    const { metrics } = await runs(3, { OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE: v });
    const counter = runsOf(metrics);
    expect(counter.length).toBe(3);
    expect(counter.every((m) => m.temporality === 'delta')).toBe(true);
    const pts = counter.flatMap((m) => m.points);
    expect(pts.map((p) => p.value)).toEqual([1, 1, 1]);
    // Each interval starts where the previous acknowledged one ended.
    for (let i = 1; i < pts.length; i++) expect(pts[i]!.startTimeUnixNano).toBe(pts[i - 1]!.timeUnixNano);
    const hist = durationsOf(metrics);
    expect(hist.every((m) => m.temporality === 'delta')).toBe(true);
    const hp = hist.flatMap((m) => m.points);
    expect(hp.map((p) => p.count)).toEqual([1, 1, 1]);
    for (const p of hp) {
      expect(p.bucketCounts!.reduce((a, b) => a + b, 0)).toBe(1);
      expect(p.min).toBeUndefined(); // an interval's extremes are not kept: omitted, as OTLP allows
    }
    expect(hp.reduce((a, p) => a + p.sum!, 0)).toBeGreaterThan(0);
  });

  it('=delta: a refused export is carried by the next one (nothing lost, nothing doubled)', async () => {
    // The first metrics request gets a 400 (permanent): its delta must not be acknowledged.
    let metricsRequests = 0;
    const { metrics } = await runs(2, { OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE: 'delta' }, (req) => (req.signal === 'metrics' && ++metricsRequests === 1 ? { status: 400 } : undefined));
    const counter = runsOf(metrics);
    expect(counter.length).toBe(2); // the refused one and the next
    const accepted = counter.slice(1).flatMap((m) => m.points);
    expect(accepted.map((p) => p.value)).toEqual([2]); // both runs in the accepted delta
    expect(accepted[0]!.startTimeUnixNano).toBe(counter[0]!.points[0]!.startTimeUnixNano);
  });

  it('an unknown value: cumulative, and the shipper reports the condition', async () => {
    expect(parseTemporality({ OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE: 'sometimes' })).toEqual({ preference: 'cumulative', problem: expect.stringMatching(/^OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE: "sometimes" is not/) });
    const { env, metrics } = await runs(1, { OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE: 'sometimes' });
    expect(runsOf(metrics).every((m) => m.temporality === 'cumulative')).toBe(true);
    expect(readShipperState(env).conditions?.join('\n')).toMatch(/OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE/);
  });
});
