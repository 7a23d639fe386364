/**
 * `OTEL_LOG_LEVEL` for our own diagnostic output (never the app's): none, error, warn, info, debug,
 * verbose, all, as the SDK environment specification names them. The specification's default is
 * `info`; ours is silence, because a tool's users must never see our messages unless they ask
 * (DEVTOOL_TELEMETRY_DEBUG and the `status` command remain the ways to look). Pure; never throws.
 */
export const LOG_LEVELS = ['none', 'error', 'warn', 'info', 'debug', 'verbose', 'all'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface LogLevelConfig {
  level: LogLevel;
  problem?: string;
}

export function parseLogLevel(env: NodeJS.ProcessEnv): LogLevelConfig {
  const raw = env.OTEL_LOG_LEVEL;
  if (raw === undefined || raw.trim() === '') return { level: 'none' };
  const v = raw.trim().toLowerCase();
  if ((LOG_LEVELS as readonly string[]).includes(v)) return { level: v as LogLevel };
  return { level: 'none', problem: `OTEL_LOG_LEVEL: "${v.slice(0, 32)}" is not one of ${LOG_LEVELS.join(', ')}; ignored (silent)` };
}

/** Does `level` include messages of `kind`? */
export function logs(level: LogLevel, kind: Exclude<LogLevel, 'none' | 'all'>): boolean {
  return LOG_LEVELS.indexOf(level) >= LOG_LEVELS.indexOf(kind);
}
