/**
 * The standard OTLP exporter environment, parsed once and purely (no I/O), so the shipper and the
 * CLI's `status` read the same answer. Follows the OpenTelemetry "OTLP Exporter Configuration" spec:
 * a per-signal endpoint is used as is, the generic one gets `/v1/<signal>` appended; per-signal
 * headers, protocol, compression and timeout override the generic ones.
 *
 * Never throws. A bad value becomes a `problems` entry (naming the variable, never its value:
 * headers and endpoints carry credentials) and the safe default; an endpoint that cannot be used
 * leaves `url` undefined, which the shipper treats as "keep the batches, report the condition".
 */

type Env = NodeJS.ProcessEnv;

export type OtlpSignal = 'traces' | 'metrics' | 'logs';
export type OtlpProtocol = 'http/protobuf' | 'http/json';

export interface OtlpSignalConfig {
  signal: OtlpSignal;
  /** Full URL to POST to, or undefined when the configured endpoint is unusable. */
  url?: string;
  /** The URL without credentials, query or fragment: safe for `status` and the sent log. */
  displayUrl: string;
  /** Which variable decided the URL (for `status --explain`). */
  urlSource: string;
  headers: Record<string, string>;
  protocol: OtlpProtocol;
  compression: 'gzip' | 'none';
  timeoutMs: number;
}

export interface OtlpConfig {
  traces: OtlpSignalConfig;
  metrics: OtlpSignalConfig;
  logs: OtlpSignalConfig;
  /** Human-readable conditions (variable names, never values). */
  problems: string[];
}

export const DEFAULT_OTLP_ENDPOINT = 'http://localhost:4318';
export const DEFAULT_OTLP_TIMEOUT_MS = 10_000;

const SIGNAL_PATH: Record<OtlpSignal, string> = { traces: 'v1/traces', metrics: 'v1/metrics', logs: 'v1/logs' };
const SIGNAL_VAR: Record<OtlpSignal, string> = { traces: 'TRACES', metrics: 'METRICS', logs: 'LOGS' };

function nonEmpty(v: string | undefined): string | undefined {
  const t = v?.trim();
  return t ? t : undefined;
}

/** A URL safe to show: scheme, host, port and path only. */
export function redactUrl(raw: string): string {
  try {
    const u = new URL(raw);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return '(invalid URL)';
  }
}

function parseHttpUrl(raw: string): URL | undefined {
  try {
    const u = new URL(raw);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') return undefined;
    if (!u.hostname) return undefined;
    return u;
  } catch {
    return undefined;
  }
}

function resolveUrl(env: Env, signal: OtlpSignal, problems: string[]): Pick<OtlpSignalConfig, 'url' | 'displayUrl' | 'urlSource'> {
  const perVar = `OTEL_EXPORTER_OTLP_${SIGNAL_VAR[signal]}_ENDPOINT`;
  const per = nonEmpty(env[perVar]);
  if (per !== undefined) {
    const u = parseHttpUrl(per);
    if (!u) {
      problems.push(`${perVar} is not a valid http(s) URL; ${signal} are kept in the spool`);
      return { url: undefined, displayUrl: '(invalid)', urlSource: perVar };
    }
    return { url: u.href, displayUrl: redactUrl(u.href), urlSource: perVar };
  }
  const generic = nonEmpty(env.OTEL_EXPORTER_OTLP_ENDPOINT);
  const base = generic ?? DEFAULT_OTLP_ENDPOINT;
  const source = generic !== undefined ? 'OTEL_EXPORTER_OTLP_ENDPOINT' : 'default';
  const u = parseHttpUrl(base);
  if (!u) {
    problems.push(`OTEL_EXPORTER_OTLP_ENDPOINT is not a valid http(s) URL; ${signal} are kept in the spool`);
    return { url: undefined, displayUrl: '(invalid)', urlSource: source };
  }
  // Spec: append the signal path to the generic endpoint, keeping any base path it has.
  if (!u.pathname.endsWith('/')) u.pathname += '/';
  u.pathname += SIGNAL_PATH[signal];
  return { url: u.href, displayUrl: redactUrl(u.href), urlSource: source };
}

/** `k1=v1,k2=v2` with percent-encoded values (W3C baggage-like, as the spec says). */
export function parseHeaders(raw: string | undefined, varName: string, problems: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  if (!raw) return out;
  for (const part of raw.split(',')) {
    if (!part.trim()) continue;
    const eq = part.indexOf('=');
    const key = eq > 0 ? part.slice(0, eq).trim() : '';
    if (!key || !/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(key)) {
      problems.push(`${varName} has an entry that is not key=value; it is ignored`);
      continue;
    }
    let value = part.slice(eq + 1).trim();
    try {
      value = decodeURIComponent(value);
    } catch {
      problems.push(`${varName}: the value of "${key}" is not valid percent-encoding; used as is`);
    }
    if (/[\r\n\0]/.test(value)) {
      problems.push(`${varName}: the value of "${key}" contains control characters; it is ignored`);
      continue;
    }
    out[key.toLowerCase()] = value;
  }
  return out;
}

function pick(env: Env, signal: OtlpSignal, suffix: string): { value?: string; name: string } {
  const perName = `OTEL_EXPORTER_OTLP_${SIGNAL_VAR[signal]}_${suffix}`;
  const per = nonEmpty(env[perName]);
  if (per !== undefined) return { value: per, name: perName };
  const name = `OTEL_EXPORTER_OTLP_${suffix}`;
  return { value: nonEmpty(env[name]), name };
}

function signalConfig(env: Env, signal: OtlpSignal, problems: string[]): OtlpSignalConfig {
  const where = resolveUrl(env, signal, problems);

  // Generic headers first, per-signal ones override key by key.
  const headers = {
    ...parseHeaders(nonEmpty(env.OTEL_EXPORTER_OTLP_HEADERS), 'OTEL_EXPORTER_OTLP_HEADERS', problems),
    ...parseHeaders(
      nonEmpty(env[`OTEL_EXPORTER_OTLP_${SIGNAL_VAR[signal]}_HEADERS`]),
      `OTEL_EXPORTER_OTLP_${SIGNAL_VAR[signal]}_HEADERS`,
      problems,
    ),
  };

  let protocol: OtlpProtocol = 'http/protobuf';
  const p = pick(env, signal, 'PROTOCOL');
  if (p.value !== undefined) {
    const v = p.value.toLowerCase();
    if (v === 'http/protobuf' || v === 'http/json') protocol = v;
    else problems.push(`${p.name}: only http/protobuf and http/json are supported; using http/protobuf`);
  }

  let compression: 'gzip' | 'none' = 'none';
  const c = pick(env, signal, 'COMPRESSION');
  if (c.value !== undefined) {
    const v = c.value.toLowerCase();
    if (v === 'gzip' || v === 'none') compression = v;
    else problems.push(`${c.name}: only gzip and none are supported; sending uncompressed`);
  }

  let timeoutMs = DEFAULT_OTLP_TIMEOUT_MS;
  const t = pick(env, signal, 'TIMEOUT');
  if (t.value !== undefined) {
    const n = Number(t.value);
    if (/^\d+(\.\d+)?$/.test(t.value) && Number.isFinite(n) && n > 0) timeoutMs = Math.min(Math.round(n), 600_000);
    else problems.push(`${t.name} is not a positive number of milliseconds; using ${DEFAULT_OTLP_TIMEOUT_MS}`);
  }

  return { signal, ...where, headers, protocol, compression, timeoutMs };
}

/** Parse the OTLP exporter environment. Pure; never throws. */
export function parseOtlpEnv(env: Env): OtlpConfig {
  const problems: string[] = [];
  const traces = signalConfig(env, 'traces', problems);
  const metrics = signalConfig(env, 'metrics', problems);
  const logs = signalConfig(env, 'logs', problems);
  // The same generic-variable problem would be reported once per signal.
  return { traces, metrics, logs, problems: [...new Set(problems)] };
}

/** Proxy variables as curl and undici read them (lower case wins, as there). */
export interface ProxyEnv {
  httpProxy?: string;
  httpsProxy?: string;
  noProxy?: string;
}

export function proxyEnv(env: Env): ProxyEnv {
  return {
    httpProxy: nonEmpty(env.http_proxy) ?? nonEmpty(env.HTTP_PROXY),
    httpsProxy: nonEmpty(env.https_proxy) ?? nonEmpty(env.HTTPS_PROXY),
    noProxy: nonEmpty(env.no_proxy) ?? nonEmpty(env.NO_PROXY),
  };
}
