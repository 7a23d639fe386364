/**
 * `OTEL_TRACES_SAMPLER` / `OTEL_TRACES_SAMPLER_ARG` as the SDK environment specification names them:
 * `always_on`, `always_off`, `traceidratio`, and their `parentbased_*` forms (default
 * `parentbased_always_on`). A run is the root of its own trace (no remote parent reaches us), so a
 * parent-based sampler decides with its root sampler. The ratio decision is deterministic in the
 * trace id: its rightmost 56 bits (the randomness W3C trace ids carry) against the ratio, as in
 * OpenTelemetry's probability sampling. Applied to spans only, after session totals are counted:
 * metrics stay exact whatever traces are sampled. Pure; never throws.
 */
export interface SamplerConfig {
  /** Sampling probability in [0, 1]. */
  ratio: number;
  name: string;
  problems: string[];
}

const KNOWN = new Set(['always_on', 'always_off', 'traceidratio', 'parentbased_always_on', 'parentbased_always_off', 'parentbased_traceidratio']);

export function parseSamplerEnv(env: NodeJS.ProcessEnv): SamplerConfig {
  const problems: string[] = [];
  let name = (env.OTEL_TRACES_SAMPLER ?? '').trim().toLowerCase() || 'parentbased_always_on';
  if (!KNOWN.has(name)) {
    problems.push(`OTEL_TRACES_SAMPLER: "${name.slice(0, 32)}" is not supported (always_on, always_off, traceidratio, parentbased_*); using parentbased_always_on`);
    name = 'parentbased_always_on';
  }
  const root = name.replace(/^parentbased_/, '');
  if (root === 'always_on') return { ratio: 1, name, problems };
  if (root === 'always_off') return { ratio: 0, name, problems };
  const raw = (env.OTEL_TRACES_SAMPLER_ARG ?? '').trim();
  const n = Number(raw);
  if (raw === '') return { ratio: 1, name, problems };
  if (!Number.isFinite(n) || n < 0 || n > 1) {
    problems.push('OTEL_TRACES_SAMPLER_ARG is not a number in [0, 1]; using 1.0');
    return { ratio: 1, name, problems };
  }
  return { ratio: n, name, problems };
}

const TWO_56 = 2 ** 56;
const HEX14 = /^[0-9a-f]{14}$/i;

/** Is the trace with this id (32 hex digits) sampled at `ratio`? 56 bits: BigInt, not a double. */
export function sampled(traceId: string, ratio: number): boolean {
  if (ratio >= 1) return true;
  if (ratio <= 0) return false;
  const hex = typeof traceId === 'string' ? traceId.slice(-14) : '';
  if (!HEX14.test(hex)) return true; // not a trace id we made: keep rather than guess
  return BigInt('0x' + hex) >= BigInt(Math.ceil((1 - ratio) * TWO_56));
}
