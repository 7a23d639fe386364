/**
 * OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE, as the OTLP exporter specification reads it:
 * `cumulative` (the default), `delta` (counters and histograms delta, up-down counters cumulative),
 * `lowmemory` (synchronous counters and histograms delta, the rest cumulative). Every instrument we
 * export is a synchronous counter or a histogram, so `delta` and `lowmemory` export the same;
 * a sum that went down (not monotonic: an up-down counter) stays cumulative under both. Pure.
 */
export type TemporalityPreference = 'cumulative' | 'delta' | 'lowmemory';

export function parseTemporality(env: NodeJS.ProcessEnv): { preference: TemporalityPreference; problem?: string } {
  const raw = env.OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE;
  if (raw === undefined || raw.trim() === '') return { preference: 'cumulative' };
  const v = raw.trim().toLowerCase();
  if (v === 'cumulative' || v === 'delta' || v === 'lowmemory') return { preference: v };
  return { preference: 'cumulative', problem: `OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE: "${v.slice(0, 32)}" is not cumulative, delta or lowmemory; cumulative is used` };
}

/** Counters and histograms are exported as deltas under this preference. */
export function wantsDelta(p: TemporalityPreference): boolean {
  return p === 'delta' || p === 'lowmemory';
}
