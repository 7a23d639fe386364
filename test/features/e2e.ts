/**
 * Shared end-to-end plumbing for the feature, HTTP and session tests: a sandbox, the OTLP test
 * receiver as the export endpoint, runs of our own fixtures under the preload, and helpers that
 * read what reached the receiver (after the detached shipper went idle).
 */
import * as path from 'node:path';
import { startReceiver, type FlatMetric, type FlatSpan, type Receiver } from '../support/otlp-receiver';
import { linkPackage, makeSandbox, runFixture, type Env, type RunResult, type Sandbox } from '../support/run-fixture';
import { waitForShipperIdle } from '../support/spool-helpers';
import { perFile } from '../support/hooks';

export const FEATURE_TOOL = path.join(__dirname, 'fixtures', 'feature-tool');

export interface E2E {
  receiver: Receiver;
  sb: Sandbox;
  env: Env;
  run(script: string, args?: string[], extraEnv?: Env, opts?: { timeoutMs?: number; signalAfterMs?: { signal: NodeJS.Signals; whenStdoutIncludes: string }; mode?: 'require' | 'import' }): Promise<RunResult>;
  close(): Promise<void>;
}

/** startE2E(fixtureDirs) for the whole test file (or describe), closed after its last test. */
export function e2ePerFile(fixtureDirs: string[] = [FEATURE_TOOL]): E2E {
  return perFile('e2ePerFile()', () => startE2E(fixtureDirs), (e) => e.close());
}

export async function startE2E(fixtureDirs: string[] = [FEATURE_TOOL]): Promise<E2E> {
  for (const d of fixtureDirs) linkPackage(d);
  const receiver = await startReceiver();
  const sb = makeSandbox();
  const env: Env = { ...sb.env, OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url };
  return {
    receiver,
    sb,
    env,
    async run(script, args = [], extraEnv = {}, opts = {}) {
      const e = { ...env, ...extraEnv };
      const r = await runFixture({ script, args, env: e, mode: opts.mode ?? 'require', cwd: sb.home, timeoutMs: opts.timeoutMs, signalAfterMs: opts.signalAfterMs });
      await waitForShipperIdle(e, 20_000);
      return r;
    },
    async close() {
      await receiver.close();
      sb.cleanup();
    },
  };
}

/** Points of every received copy of metric `name` whose attributes include `match`. */
export function points(metrics: FlatMetric[], name: string, match: Record<string, unknown> = {}) {
  const out = [];
  for (const m of metrics) {
    if (m.name !== name) continue;
    for (const p of m.points) {
      if (Object.entries(match).every(([k, v]) => (p.attributes as Record<string, unknown>)[k] === v)) out.push({ ...p, temporality: m.temporality });
    }
  }
  return out;
}

/**
 * Total of a counter over everything received: delta points add up; for cumulative streams the
 * last point per attribute set and stream start counts.
 */
export function counterTotal(metrics: FlatMetric[], name: string, match: Record<string, unknown> = {}): number {
  const cumulative = new Map<string, number>();
  let delta = 0;
  for (const p of points(metrics, name, match)) {
    const v = Number(p.value ?? 0);
    if (p.temporality === 'cumulative') cumulative.set(JSON.stringify([p.attributes, p.startTimeUnixNano, (p as { resource?: unknown }).resource]), v);
    else delta += v;
  }
  let total = delta;
  for (const v of cumulative.values()) total += v;
  return total;
}

/**
 * Count and sum of a histogram over everything received: delta points add up; a cumulative stream
 * (the shipper re-sends a stream's running total) counts once, with its latest point.
 */
export function histogramTotals(metrics: FlatMetric[], name: string, match: Record<string, unknown> = {}): { count: number; sum: number } {
  const latest = new Map<string, { count: number; sum: number; t: bigint }>();
  let count = 0;
  let sum = 0;
  for (const m of metrics) {
    if (m.name !== name) continue;
    for (const p of m.points) {
      if (!Object.entries(match).every(([k, v]) => (p.attributes as Record<string, unknown>)[k] === v)) continue;
      const c = Number(p.count ?? 0);
      const s = Number(p.sum ?? 0);
      if (m.temporality !== 'cumulative') {
        count += c;
        sum += s;
        continue;
      }
      const key = JSON.stringify([p.attributes, p.startTimeUnixNano, m.resource]);
      const t = BigInt(p.timeUnixNano ?? '0');
      const prev = latest.get(key);
      if (!prev || t >= prev.t) latest.set(key, { count: c, sum: s, t });
    }
  }
  for (const v of latest.values()) {
    count += v.count;
    sum += v.sum;
  }
  return { count, sum };
}

export function spansNamed(spans: FlatSpan[], re: RegExp): FlatSpan[] {
  return spans.filter((s) => re.test(s.name));
}
