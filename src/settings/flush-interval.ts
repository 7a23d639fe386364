/**
 * How often a long-running process flushes what it recorded (the periodic flush; short CLI runs
 * flush once, at exit): DEVTOOL_TELEMETRY_FLUSH_INTERVAL, then the standard OTEL_METRIC_EXPORT_INTERVAL,
 * then the tool's package.json option.
 */
import { durationMs } from './durations';
import type { ToolIdentity } from '../resource/tool';

const DEFAULT_FLUSH_MS = 60_000;
const MAX_FLUSH_MS = 24 * 3600_000;

/** OTEL_METRIC_EXPORT_INTERVAL (ms, > 0 per the SDK spec); anything else is ignored. */
function otelExportInterval(env: NodeJS.ProcessEnv): string | undefined {
  const v = env.OTEL_METRIC_EXPORT_INTERVAL?.trim();
  return v && /^\d+$/.test(v) && Number(v) > 0 ? v : undefined;
}

/**
 * Ours first, then the standard variable, then the tool's package.json option. 0 turns the periodic
 * flush off; otherwise 1 s to 24 h (a timer of 2^31 ms or more would fire every 1 ms).
 */
export function flushInterval(env: NodeJS.ProcessEnv, tool: ToolIdentity, notes: string[]): number {
  const ours = env.DEVTOOL_TELEMETRY_FLUSH_INTERVAL;
  const otel = otelExportInterval(env);
  const [raw, what] =
    ours !== undefined && ours !== ''
      ? [ours, 'DEVTOOL_TELEMETRY_FLUSH_INTERVAL']
      : otel !== undefined
        ? [otel, 'OTEL_METRIC_EXPORT_INTERVAL']
        : [tool.options.flushIntervalMs, 'flushIntervalMs'];
  const d = durationMs(raw, { fallback: DEFAULT_FLUSH_MS, min: 1_000, max: MAX_FLUSH_MS, allowZero: true }, what);
  if (d.problem) notes.push(d.problem);
  return d.ms;
}
