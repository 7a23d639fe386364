/**
 * The shipper's HTTP client: one POST, bounded in time and size, no redirects. Built on undici
 * (loaded only in the shipper): its EnvHttpProxyAgent gives HTTPS_PROXY / HTTP_PROXY / NO_PROXY the
 * way curl reads them, and NODE_EXTRA_CA_CERTS works because undici uses node:tls.
 *
 * A hostile or broken collector cannot hold us: the whole exchange has one deadline (connect,
 * headers and body), the response body is read to at most MAX_RESPONSE_BYTES and then dropped, and
 * redirects are returned as they are (undici's request() follows none), never followed.
 */
import type { Dispatcher } from 'undici';
import { proxyEnv } from '../config/otlp-env';

type Env = NodeJS.ProcessEnv;

/** An OTLP response is a few bytes of partial-success; anything beyond this is not read. */
export const MAX_RESPONSE_BYTES = 64 * 1024;

export interface HttpResult {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** At most MAX_RESPONSE_BYTES. */
  body: Buffer;
  truncated: boolean;
}

export interface Transport {
  post(url: string, body: Uint8Array, headers: Record<string, string>, timeoutMs: number): Promise<HttpResult>;
  close(): Promise<void>;
  /** Whether requests go through a proxy (for the sent log). */
  readonly proxied: boolean;
}

export function createTransport(env: Env, connectTimeoutMs = 5_000): Transport {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const undici = require('undici') as typeof import('undici');
  const proxies = proxyEnv(env);
  const proxied = !!(proxies.httpProxy || proxies.httpsProxy);
  const common = { connectTimeout: connectTimeoutMs, keepAliveTimeout: 10_000, maxResponseSize: -1 };
  const dispatcher: Dispatcher = proxied
    ? new undici.EnvHttpProxyAgent({ ...common, httpProxy: proxies.httpProxy, httpsProxy: proxies.httpsProxy, noProxy: proxies.noProxy ?? '' })
    : new undici.Agent(common);

  async function post(url: string, body: Uint8Array, headers: Record<string, string>, timeoutMs: number): Promise<HttpResult> {
    const ac = new AbortController();
    const timer = setTimeout(() => ac.abort(Object.assign(new Error('export timed out'), { code: 'ETIMEDOUT' })), timeoutMs);
    timer.unref();
    try {
      const res = await undici.request(url, {
        method: 'POST',
        body,
        headers,
        dispatcher,
        signal: ac.signal,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
      });
      const chunks: Buffer[] = [];
      let size = 0;
      let truncated = false;
      try {
        for await (const chunk of res.body) {
          const b = chunk as Buffer;
          if (size + b.length > MAX_RESPONSE_BYTES) {
            chunks.push(b.subarray(0, MAX_RESPONSE_BYTES - size));
            size = MAX_RESPONSE_BYTES;
            truncated = true;
            break;
          }
          chunks.push(b);
          size += b.length;
        }
      } catch {
        // Body cut short or timed out after the status arrived: the status still stands.
        truncated = true;
      } finally {
        if (truncated) res.body.destroy();
      }
      return { status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks, size), truncated };
    } finally {
      clearTimeout(timer);
    }
  }

  return {
    post,
    proxied,
    close: async () => {
      try {
        await dispatcher.destroy();
      } catch {
        /* closing anyway */
      }
    },
  };
}
