/**
 * Problems of the standard switches that need more than parsing (TLS files exist and are PEM),
 * explained under DEVTOOL_TELEMETRY_DEBUG and OTEL_LOG_LEVEL. Loaded only to explain.
 */
import type { OtlpConfig } from './otlp';
import { parseLogLevel } from './log-level';
import { tlsProblems } from './tls-env';
import { parseTemporality } from './temporality-env';

export function extraProblems(env: NodeJS.ProcessEnv, otlp: OtlpConfig): string[] {
  const out: string[] = [];
  const lvl = parseLogLevel(env);
  if (lvl.problem) out.push(lvl.problem);
  const t = parseTemporality(env);
  if (t.problem) out.push(t.problem);
  out.push(...tlsProblems(env, { traces: otlp.traces.url, metrics: otlp.metrics.url, logs: otlp.logs.url }));
  return out;
}
