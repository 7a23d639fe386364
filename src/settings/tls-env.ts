/**
 * TLS files of the OTLP exporter environment: OTEL_EXPORTER_OTLP_CERTIFICATE (the CA bundle that
 * verifies the collector), OTEL_EXPORTER_OTLP_CLIENT_KEY and OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE
 * (mutual TLS), each overridden per signal by OTEL_EXPORTER_OTLP_{TRACES,METRICS,LOGS}_*. Used for
 * https endpoints only, as the specification says. Read by the shipper (never in the tool's process,
 * except to explain a problem under DEVTOOL_TELEMETRY_DEBUG / OTEL_LOG_LEVEL).
 *
 * A file that is missing, unreadable, too large or not what it should be is a configuration
 * problem: the signal is not sent (never silently without the files asked for) and its backlog stays
 * in the spool until the configuration is fixed. Never throws.
 */
import type { OtlpSignal } from './otlp';

type Env = NodeJS.ProcessEnv;

const SIGNAL_VAR: Record<OtlpSignal, string> = { traces: 'TRACES', metrics: 'METRICS', logs: 'LOGS' };
const MAX_FILE = 1024 * 1024;

export interface TlsMaterial {
  /** Identity of this combination of files (one connection pool per distinct set). */
  id: string;
  ca?: Buffer;
  key?: Buffer;
  cert?: Buffer;
}

export interface TlsResult {
  /** Undefined when no TLS variable applies to the signal. */
  tls?: TlsMaterial;
  /** Set when the files asked for cannot be used: names the variable, never a file's content. */
  problem?: string;
}

function pick(env: Env, signal: OtlpSignal, suffix: string): { path?: string; name: string } {
  const per = `OTEL_EXPORTER_OTLP_${SIGNAL_VAR[signal]}_${suffix}`;
  const v = env[per]?.trim();
  if (v) return { path: v, name: per };
  const generic = `OTEL_EXPORTER_OTLP_${suffix}`;
  return { path: env[generic]?.trim() || undefined, name: generic };
}

/** Which variables and paths apply to `signal` (pure). */
export function tlsPaths(env: Env, signal: OtlpSignal) {
  return { ca: pick(env, signal, 'CERTIFICATE'), key: pick(env, signal, 'CLIENT_KEY'), cert: pick(env, signal, 'CLIENT_CERTIFICATE') };
}

function readPem(p: { path?: string; name: string }, kind: 'certificate' | 'key'): { data?: Buffer; problem?: string } {
  if (!p.path) return {};
  const fs = require('node:fs') as typeof import('node:fs');
  const crypto = require('node:crypto') as typeof import('node:crypto');
  let data: Buffer;
  try {
    const st = fs.statSync(p.path);
    if (!st.isFile()) return { problem: `${p.name}: not a regular file` };
    if (st.size > MAX_FILE) return { problem: `${p.name}: file larger than 1 MiB` };
    data = fs.readFileSync(p.path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException)?.code;
    return { problem: `${p.name}: cannot read the file (${typeof code === 'string' ? code : 'error'})` };
  }
  try {
    if (kind === 'key') crypto.createPrivateKey(data);
    else new crypto.X509Certificate(data);
  } catch {
    return { problem: `${p.name}: not a PEM ${kind === 'key' ? 'private key' : 'certificate'}` };
  }
  return { data };
}

/** Read and check the TLS files that apply to `signal`. */
export function loadTls(env: Env, signal: OtlpSignal): TlsResult {
  try {
    const paths = tlsPaths(env, signal);
    if (!paths.ca.path && !paths.key.path && !paths.cert.path) return {};
    if (!!paths.key.path !== !!paths.cert.path) {
      const [set, unset] = paths.key.path ? [paths.key.name, paths.cert.name] : [paths.cert.name, paths.key.name];
      return { problem: `${set} is set without ${unset} (mutual TLS needs both)` };
    }
    const ca = readPem(paths.ca, 'certificate');
    const key = readPem(paths.key, 'key');
    const cert = readPem(paths.cert, 'certificate');
    const problem = ca.problem ?? key.problem ?? cert.problem;
    if (problem) return { problem };
    return {
      tls: {
        id: JSON.stringify([paths.ca.path ?? '', paths.key.path ?? '', paths.cert.path ?? '']),
        ...(ca.data ? { ca: ca.data } : {}),
        ...(key.data ? { key: key.data } : {}),
        ...(cert.data ? { cert: cert.data } : {}),
      },
    };
  } catch {
    return { problem: 'OTEL_EXPORTER_OTLP_CERTIFICATE: the TLS files could not be checked' };
  }
}

/** The problems of every signal whose endpoint is https (for debug and OTEL_LOG_LEVEL), deduplicated. */
export function tlsProblems(env: Env, urls: Record<OtlpSignal, string | undefined>): string[] {
  const out = new Set<string>();
  for (const signal of ['traces', 'metrics', 'logs'] as const) {
    if (!urls[signal]?.startsWith('https:')) continue;
    const r = loadTls(env, signal);
    if (r.problem) out.add(`${r.problem}; ${signal} are kept in the spool`);
  }
  return [...out];
}
