/**
 * One OTLP/HTTP POST and what its answer means: ok (with a `partialSuccess` rejected count),
 * permanent (drop), auth (keep and pause) or retry (wait or open the breaker, retry.ts). Headers,
 * compression and the signal's TLS files are applied here; redirects are never followed (the
 * transport does not), and the classification follows the OTLP/HTTP specification
 * (otlp-http-policy.ts). Every request, whatever its outcome, goes to the transparency log
 * (sent.log) with the sanitized records it carried.
 */
import zlib = require('node:zlib');
import type { OtlpSignal, OtlpSignalConfig } from '../settings/otlp';
import { loadTls, type TlsResult } from '../settings/tls-env';
import { appendSentLog, MAX_RECORDS, type SentLogEntry } from '../spool/sent-log';
import { parsePartialSuccess } from './encode';
import { isRetryableStatus, userAgent } from './otlp-http-policy';
import { parseRetryAfter, type ShipperOptions } from './options';
import type { HttpResult, Transport } from './transport';

type Env = NodeJS.ProcessEnv;

export type SendOutcome =
  | { kind: 'ok'; rejected: number }
  | { kind: 'permanent'; status: number; error: string }
  /** 401/403: a configuration problem a person fixes; the batches are kept. */
  | { kind: 'auth'; status: number; error: string }
  | { kind: 'retry'; status: number; error: string; retryAfterMs?: number };

/** A short, value-free description: error codes, never messages that could echo headers. */
export function describeError(e: unknown): string {
  const err = e as { code?: unknown; name?: unknown; cause?: { code?: unknown; name?: unknown } } | undefined;
  const code = err?.code ?? err?.cause?.code;
  if (typeof code === 'string') return code;
  const name = err?.cause?.name ?? err?.name;
  return typeof name === 'string' ? name : 'unknown';
}

function headers(cfg: OtlpSignalConfig): Record<string, string> {
  const h: Record<string, string> = {
    ...cfg.headers,
    'content-type': cfg.protocol === 'http/json' ? 'application/json' : 'application/x-protobuf',
    'user-agent': userAgent(),
  };
  if (cfg.compression === 'gzip') h['content-encoding'] = 'gzip';
  else delete h['content-encoding'];
  return h;
}

export class OtlpPost {
  /** TLS files per signal, read once per shipper run (loadTls never throws). */
  private readonly tlsCache = new Map<OtlpSignal, TlsResult>();
  /** Duration of the last request, ms (for the sent log). */
  private lastMs = 0;

  constructor(
    private readonly env: Env,
    private readonly transport: Transport,
    private readonly opts: ShipperOptions,
  ) {}

  private tlsFor(signal: OtlpSignal): TlsResult {
    let r = this.tlsCache.get(signal);
    if (!r) this.tlsCache.set(signal, (r = loadTls(this.env, signal)));
    return r;
  }

  async post(cfg: OtlpSignalConfig, body: Uint8Array): Promise<SendOutcome> {
    const t0 = Date.now();
    try {
      return await this.postOnce(cfg, body);
    } finally {
      this.lastMs = Date.now() - t0;
    }
  }

  private async postOnce(cfg: OtlpSignalConfig, body: Uint8Array): Promise<SendOutcome> {
    if (!cfg.url) return { kind: 'retry', status: 0, error: `no usable ${cfg.signal} endpoint (${cfg.urlSource})` };
    // OTEL_EXPORTER_OTLP_*CERTIFICATE / CLIENT_*: never send without the files asked for.
    const tls = cfg.url.startsWith('https:') ? this.tlsFor(cfg.signal) : {};
    if (tls.problem) return { kind: 'retry', status: 0, error: `no usable ${cfg.signal} TLS files (${tls.problem})` };
    const payload = cfg.compression === 'gzip' ? zlib.gzipSync(body) : body;
    let res: HttpResult;
    try {
      res = await this.transport.post(cfg.url, payload, headers(cfg), cfg.timeoutMs, tls.tls);
    } catch (e) {
      return { kind: 'retry', status: 0, error: `network error (${describeError(e)})` };
    }
    const s = res.status;
    if (s >= 200 && s < 300) {
      const ps = res.truncated ? { rejected: 0 } : parsePartialSuccess(cfg.signal, cfg.protocol, res.body);
      return { kind: 'ok', rejected: ps.rejected };
    }
    if (s >= 300 && s < 400) return { kind: 'retry', status: s, error: `HTTP ${s}: redirect not followed (check the endpoint)` };
    if (isRetryableStatus(s)) {
      const ra = s === 429 || s === 503 ? parseRetryAfter(res.headers['retry-after']) : undefined;
      return { kind: 'retry', status: s, error: `HTTP ${s}`, ...(ra !== undefined ? { retryAfterMs: Math.min(ra, this.opts.maxRetryAfterMs) } : {}) };
    }
    if (s === 401 || s === 403) {
      return { kind: 'auth', status: s, error: `HTTP ${s}: the collector refused our credentials (check OTEL_EXPORTER_OTLP_HEADERS)` };
    }
    return { kind: 'permanent', status: s, error: `HTTP ${s}: rejected` };
  }

  /** The last request in the transparency log: `records` are what it carried (empty when it did not go through). */
  logSent(cfg: OtlpSignalConfig, outcome: SendOutcome, batches: number, items: number, records: unknown[]): void {
    const entry: SentLogEntry = {
      time: Date.now(),
      signal: cfg.signal,
      endpoint: cfg.displayUrl,
      result: outcome.kind === 'ok' ? (outcome.rejected > 0 ? 'partial' : 'ok') : outcome.kind === 'permanent' ? 'rejected' : 'retry',
      status: outcome.kind === 'ok' ? 200 : outcome.status,
      ms: this.lastMs,
      ...(outcome.kind !== 'ok' ? { error: outcome.error } : {}),
      batches,
      items,
      ...(outcome.kind === 'ok' && outcome.rejected ? { rejected: outcome.rejected } : {}),
      ...(this.transport.proxied ? { via: 'proxy' as const } : {}),
      records: records.slice(0, MAX_RECORDS),
      more: Math.max(0, (outcome.kind === 'retry' || outcome.kind === 'auth' ? 0 : items) - Math.min(records.length, MAX_RECORDS)),
    };
    appendSentLog(this.env, entry);
  }
}
