/**
 * Our own diagnostic output under OTEL_LOG_LEVEL (settings/log-level.ts), on stderr, at flush time:
 * `warn` the configuration problems (the lines DEVTOOL_TELEMETRY_DEBUG explains, once per process),
 * `info` also the consent decision, `debug` and above also one line per spooled batch, `error` a
 * batch that could not be spooled. Unlike DEVTOOL_TELEMETRY_DEBUG, records are still spooled and sent.
 * Loaded only when OTEL_LOG_LEVEL is set.
 */
import type { Batch } from '../model/records';
import { logs, parseLogLevel, type LogLevel } from '../settings/log-level';

let level: LogLevel | undefined;
let announced = false;

function say(kind: string, line: string): void {
  process.stderr.write(`[devtool-telemetry] ${kind}: ${line}\n`);
}

export function logLevel(env: NodeJS.ProcessEnv): LogLevel {
  return (level ??= parseLogLevel(env).level);
}

/** Once per process: the decision (info) and every problem (warn). */
export function announce(env: NodeJS.ProcessEnv, notes: string[]): void {
  const lvl = logLevel(env);
  if (announced || lvl === 'none') return;
  announced = true;
  for (const n of notes) {
    const info = n.startsWith('telemetry level ');
    if (info ? logs(lvl, 'info') : logs(lvl, 'warn')) say(info ? 'info' : 'warn', n);
  }
}

/** After each spool write: a summary line (debug), or why nothing was written (error). */
export function spooled(env: NodeJS.ProcessEnv, batch: Batch, result: { ok: boolean; reason?: string }): void {
  const lvl = logLevel(env);
  if (!result.ok) {
    if (logs(lvl, 'error')) say('error', `records not spooled: ${result.reason ?? 'unknown reason'}; the tool runs on`);
    return;
  }
  if (!logs(lvl, 'debug')) return;
  const points = batch.metrics.reduce((n, m) => n + m.points.length, 0);
  say('debug', `spooled batch ${batch.id} (level ${batch.level}): ${batch.spans.length} spans, ${points} metric points, ${batch.logs?.length ?? 0} log records`);
}
