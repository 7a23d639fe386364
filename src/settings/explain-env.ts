/**
 * Problems of the standard switches that need more than parsing (TLS files exist and are PEM),
 * explained under DEVTOOL_TELEMETRY_DEBUG and OTEL_LOG_LEVEL. Loaded only to explain.
 */
import type { Settings } from './settings';
import { tlsProblems } from './tls-env';

export function extraProblems(settings: Settings): string[] {
  const out: string[] = [];
  const { env, otlp, logLevel, temporality } = settings;
  if (logLevel.problem) out.push(logLevel.problem);
  if (temporality.problem) out.push(temporality.problem);
  out.push(...tlsProblems(env, { traces: otlp.traces.url, metrics: otlp.metrics.url, logs: otlp.logs.url }));
  return out;
}
