/**
 * The environment, parsed once per process into typed settings, as OpenTelemetry JS's sdk-node
 * does at start: modules ask `settingsOf(env)` instead of reading and parsing variables where they
 * are used. Each group is parsed on first use and kept (a disabled run never loads this module; an
 * enabled one parses only what it uses), per environment object: `process.env` is parsed once
 * for the whole process, and a test's own env object gets settings of its own. Values the app sets
 * in `process.env` after start do not change them, as with the SDK.
 *
 * What the consent resolver reads (opt-out variables, levels) stays in consent/: deciding is its
 * whole job, with a report per source. Pure; never throws.
 */
import { parseExportersEnv, type ExportersConfig } from './exporters';
import { parseOtlpEnv, type OtlpConfig } from './otlp';
import { parseSamplerEnv, type SamplerConfig } from './sampler';
import { parseLogLevel, type LogLevelConfig } from './log-level';
import { parseTemporality } from './temporality-env';

type Env = NodeJS.ProcessEnv;

export interface Settings {
  readonly env: Env;
  /** OTEL_SERVICE_NAME, trimmed; undefined when unset or blank. */
  readonly serviceName: string | undefined;
  /** OTEL_EXPORTER_OTLP_* (settings/otlp.ts). */
  readonly otlp: OtlpConfig;
  /** OTEL_{TRACES,METRICS,LOGS}_EXPORTER (settings/exporters.ts). */
  readonly exporters: ExportersConfig;
  /** OTEL_TRACES_SAMPLER[_ARG] (settings/sampler.ts). */
  readonly sampler: SamplerConfig;
  /** OTEL_LOG_LEVEL: our own diagnostics on stderr (settings/log-level.ts). */
  readonly logLevel: LogLevelConfig;
  /** OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE (settings/temporality-env.ts). */
  readonly temporality: ReturnType<typeof parseTemporality>;
  /** True when none of the exporter/sampler switches is set: nothing to parse, all signals spooled. */
  readonly defaultSwitches: boolean;
}

const parsed = new WeakMap<Env, Settings>();

export function settingsOf(env: Env): Settings {
  let s = parsed.get(env);
  if (!s) parsed.set(env, (s = parse(env)));
  return s;
}

function parse(env: Env): Settings {
  let otlp: OtlpConfig | undefined;
  let exporters: ExportersConfig | undefined;
  let sampler: SamplerConfig | undefined;
  let logLevel: LogLevelConfig | undefined;
  let temporality: Settings['temporality'] | undefined;
  const serviceName = (env.OTEL_SERVICE_NAME ?? '').trim() || undefined;
  return {
    env,
    serviceName,
    defaultSwitches: !env.OTEL_TRACES_EXPORTER && !env.OTEL_METRICS_EXPORTER && !env.OTEL_TRACES_SAMPLER,
    get otlp() {
      return (otlp ??= parseOtlpEnv(env));
    },
    get exporters() {
      return (exporters ??= parseExportersEnv(env));
    },
    get sampler() {
      return (sampler ??= parseSamplerEnv(env));
    },
    get logLevel() {
      return (logLevel ??= parseLogLevel(env));
    },
    get temporality() {
      return (temporality ??= parseTemporality(env));
    },
  };
}
