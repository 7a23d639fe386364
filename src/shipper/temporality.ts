/**
 * Delta export over the cumulative accumulator (accumulator.ts), for
 * OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE=delta|lowmemory. The accumulator keeps the
 * exact running totals either way; each stream also remembers what the collector last acknowledged
 * (`acked`: totals and time). A delta export carries `current - acked` over [acked time, now], and
 * streams that did not change are not exported. Only an acknowledged export moves `acked`, so a
 * failed or refused export loses nothing (the next one carries it). Honest about the limits: a
 * shipper that dies after the collector took an export but before saving the state sends that
 * interval again (at least once, where cumulative export is exactly once); a delta histogram has no
 * min/max (the interval's extremes are not kept), which OTLP allows.
 */
import type { MetricsState, Stream } from './accumulator';

export interface Acked {
  /** Unix ns (decimal) of the end of the last acknowledged interval. */
  at: string;
  value?: number;
  count?: number;
  sum?: number;
  bucketCounts?: number[];
}

export interface DeltaStream extends Stream {
  delta: true;
}

/** Up-down counters (a sum that went down) stay cumulative, as the specification says. */
export function exportsDelta(s: Stream): boolean {
  return s.type === 'histogram' || s.monotonic !== false;
}

/** The streams to export as deltas at `now` (ns): change since the acknowledged totals, zero changes left out. */
export function deltaStreams(state: MetricsState, now: string): Stream[] {
  const out: Stream[] = [];
  for (const s of Object.values(state.streams)) {
    if (!exportsDelta(s)) {
      out.push(s);
      continue;
    }
    const a = (s as Stream & { acked?: Acked }).acked;
    const start = a?.at ?? s.startTimeUnixNano ?? state.startTimeUnixNano;
    if (BigInt(start) >= BigInt(now)) continue;
    if (s.type === 'histogram') {
      const count = (s.count ?? 0) - (a?.count ?? 0);
      if (count <= 0) continue;
      const prev = a?.bucketCounts ?? [];
      out.push({
        ...s, startTimeUnixNano: start, count, sum: (s.sum ?? 0) - (a?.sum ?? 0), min: undefined, max: undefined,
        bucketCounts: (s.bucketCounts ?? []).map((c, i) => c - (prev[i] ?? 0)), delta: true,
      } as DeltaStream);
    } else {
      const value = (s.value ?? 0) - (a?.value ?? 0);
      if (value === 0) continue;
      out.push({ ...s, startTimeUnixNano: start, value, delta: true } as DeltaStream);
    }
  }
  return out;
}

/** After the collector acknowledged an export ending at `now`: those totals are delivered. */
export function ackDelta(state: MetricsState, now: string): void {
  for (const s of Object.values(state.streams)) {
    if (!exportsDelta(s)) continue;
    const acked: Acked = s.type === 'histogram'
      ? { at: now, count: s.count ?? 0, sum: s.sum ?? 0, bucketCounts: [...(s.bucketCounts ?? [])] }
      : { at: now, value: s.value ?? 0 };
    (s as Stream & { acked?: Acked }).acked = acked;
  }
}
