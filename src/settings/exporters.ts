/**
 * `OTEL_TRACES_EXPORTER` / `OTEL_METRICS_EXPORTER` / `OTEL_LOGS_EXPORTER` as the SDK environment specification reads them:
 * a comma-separated list of `otlp` (the default), `console` and `none`. `none` alone means the
 * signal is not exported at all; `console` prints the (sanitized) records to stderr as debug mode
 * does, instead of spooling them; `otlp` spools them for the shipper. An unknown value is reported
 * under debug and ignored; nothing valid left means the default. Pure; never throws.
 */
export type ExporterKind = 'otlp' | 'console' | 'none';

export interface SignalExporters {
  otlp: boolean;
  console: boolean;
}

export interface ExportersConfig {
  traces: SignalExporters;
  metrics: SignalExporters;
  logs: SignalExporters;
  problems: string[];
}

const DEFAULT: SignalExporters = { otlp: true, console: false };

function parseOne(raw: string | undefined, name: string, problems: string[]): SignalExporters {
  const items = (raw ?? '').split(',').map((s) => s.trim().toLowerCase()).filter(Boolean);
  if (items.length === 0) return DEFAULT;
  const out: SignalExporters = { otlp: false, console: false };
  let valid = 0;
  for (const it of items) {
    if (it === 'otlp' || it === 'console') {
      out[it] = true;
      valid++;
    } else if (it === 'none') valid++;
    else problems.push(`${name}: "${it.slice(0, 32)}" is not supported (otlp, console, none); ignored`);
  }
  // Spec: `none` means no exporter; combined with others it is meaningless, the others win.
  return valid === 0 ? DEFAULT : out;
}

export function parseExportersEnv(env: NodeJS.ProcessEnv): ExportersConfig {
  const problems: string[] = [];
  return {
    traces: parseOne(env.OTEL_TRACES_EXPORTER, 'OTEL_TRACES_EXPORTER', problems),
    metrics: parseOne(env.OTEL_METRICS_EXPORTER, 'OTEL_METRICS_EXPORTER', problems),
    logs: parseOne(env.OTEL_LOGS_EXPORTER, 'OTEL_LOGS_EXPORTER', problems),
    problems,
  };
}
