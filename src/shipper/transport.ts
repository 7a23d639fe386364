/**
 * The shipper's HTTP client: one POST, bounded in time and size, no redirects. Direct connections
 * use node:http(s); with a proxy configured, undici's EnvHttpProxyAgent gives HTTPS_PROXY /
 * HTTP_PROXY / NO_PROXY the way curl reads them. NODE_EXTRA_CA_CERTS works in both (node:tls).
 *
 * A hostile or broken collector cannot hold us: the whole exchange has one deadline (connect,
 * headers and body), the response body is read to at most MAX_RESPONSE_BYTES and then dropped, and
 * redirects are returned as they are, never followed (neither client follows them).
 */
import type { Dispatcher } from 'undici';
import { proxyEnv } from '../settings/otlp';
import type { TlsMaterial } from '../settings/tls-env';

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
  /** `tls`: the OTEL_EXPORTER_OTLP_*CERTIFICATE / CLIENT_* files of the signal (https only). */
  post(url: string, body: Uint8Array, headers: Record<string, string>, timeoutMs: number, tls?: TlsMaterial): Promise<HttpResult>;
  close(): Promise<void>;
  /** Whether requests go through a proxy (for the sent log). */
  readonly proxied: boolean;
}

/** Proxies apply when any proxy variable is set; then undici decides per URL (NO_PROXY included). */
export function createTransport(env: Env, connectTimeoutMs = 5_000): Transport {
  const proxies = proxyEnv(env);
  if (proxies.httpProxy || proxies.httpsProxy) return createUndiciTransport(env, connectTimeoutMs);
  return createNodeTransport(connectTimeoutMs);
}

/**
 * Credentials in the endpoint URL (`http://user:pass@host`) become an `Authorization: Basic`
 * header, the same on both paths: node:http does this by itself, but a request through a proxy
 * would otherwise lose them (the proxy client sends the URL without its userinfo). An
 * Authorization header the user configured (OTEL_EXPORTER_OTLP_HEADERS) wins.
 */
export function withUrlCredentials(url: string, headers: Record<string, string>): { url: string; headers: Record<string, string> } {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return { url, headers };
  }
  if (!u.username && !u.password) return { url, headers };
  const dec = (s: string) => {
    try {
      return decodeURIComponent(s);
    } catch {
      return s;
    }
  };
  const user = dec(u.username);
  const pass = dec(u.password);
  u.username = '';
  u.password = '';
  const has = Object.keys(headers).some((k) => k.toLowerCase() === 'authorization');
  return { url: u.toString(), headers: has ? headers : { ...headers, authorization: `Basic ${Buffer.from(`${user}:${pass}`, 'utf8').toString('base64')}` } };
}

function timeoutError(what: string, code: string): Error {
  return Object.assign(new Error(what), { code });
}

/**
 * Direct connections: node:http / node:https with keep-alive. Half the memory and load time of
 * undici, which the common case (no proxy) does not need.
 */
function createNodeTransport(connectTimeoutMs: number): Transport {
  const pools = nodePools();
  return {
    post: (rawUrl, body, rawHeaders, timeoutMs, tls) => nodePost(pools, withUrlCredentials(rawUrl, rawHeaders), body, { timeoutMs, connectTimeoutMs, tls }),
    proxied: false,
    close: async () => pools.destroy(),
  };
}

interface NodePools {
  module(secure: boolean): typeof import('node:http') | typeof import('node:https');
  agentFor(secure: boolean, tls?: TlsMaterial): import('node:http').Agent;
  destroy(): void;
}

/**
 * Keep-alive pools: one per scheme, and one per distinct set of TLS files (per-signal variables may
 * differ). `https` (and TLS with it, ~3 ms of CPU) loads only when a collector is reached over it.
 */
function nodePools(): NodePools {
  const http = require('node:http') as typeof import('node:http');
  const plain = new http.Agent({ keepAlive: true, maxSockets: 2 });
  let https: typeof import('node:https') | undefined;
  let secure: import('node:https').Agent | undefined;
  const tlsAgents = new Map<string, import('node:https').Agent>();
  const httpsModule = () => (https ??= require('node:https') as typeof import('node:https'));
  return {
    module: (isSecure) => (isSecure ? httpsModule() : http),
    agentFor(isSecure, tls) {
      if (!isSecure) return plain;
      if (!tls) return (secure ??= new (httpsModule().Agent)({ keepAlive: true, maxSockets: 2 }));
      let a = tlsAgents.get(tls.id);
      if (!a) tlsAgents.set(tls.id, (a = new (httpsModule().Agent)({ keepAlive: true, maxSockets: 2, ca: tls.ca, key: tls.key, cert: tls.cert })));
      return a;
    },
    destroy() {
      plain.destroy();
      secure?.destroy();
      for (const a of tlsAgents.values()) a.destroy();
    },
  };
}

/** One POST, bounded in time (the connect, the whole exchange) and in the size of what is read back. */
function nodePost(
  pools: NodePools,
  target: { url: string; headers: Record<string, string> },
  body: Uint8Array,
  limits: { timeoutMs: number; connectTimeoutMs: number; tls?: TlsMaterial },
): Promise<HttpResult> {
  return new Promise<HttpResult>((resolve, reject) => {
    const u = new URL(target.url);
    const secure = u.protocol === 'https:';
    const req = pools.module(secure).request(u, {
      method: 'POST',
      agent: pools.agentFor(secure, limits.tls),
      headers: { ...target.headers, 'content-length': String(body.byteLength) },
    });
    let settled = false;
    /** Set once the status line arrived: later errors only cut the body short. */
    let afterResponse: (() => void) | undefined;
    const deadline = setTimeout(() => req.destroy(timeoutError('export timed out', 'ETIMEDOUT')), limits.timeoutMs);
    deadline.unref();
    const settle = (r: HttpResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      resolve(r);
    };
    const fail = (e: Error) => {
      if (afterResponse) return afterResponse();
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      reject(e);
    };
    req.on('socket', (sock) => {
      if (!sock.connecting) return;
      const t = setTimeout(() => req.destroy(timeoutError('connect timed out', 'ECONNECT_TIMEOUT')), limits.connectTimeoutMs);
      t.unref();
      sock.once('connect', () => clearTimeout(t));
      sock.once('close', () => clearTimeout(t));
    });
    req.on('error', fail);
    req.on('response', (res) => {
      afterResponse = readResponse(res, () => settled, settle);
    });
    req.end(body);
  });
}

/**
 * Read a response up to MAX_RESPONSE_BYTES (then stop reading: the status is what counts). Returns
 * what to do when the exchange is cut short after the status arrived (deadline, reset): the status
 * still stands, the body is marked truncated.
 */
function readResponse(res: import('node:http').IncomingMessage, settled: () => boolean, settle: (r: HttpResult) => void): () => void {
  const chunks: Buffer[] = [];
  let size = 0;
  let truncated = false;
  const done = () => {
    if (!settled()) settle({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks, size), truncated });
  };
  res.on('data', (c: Buffer) => {
    if (settled()) return;
    if (size + c.length > MAX_RESPONSE_BYTES) {
      chunks.push(c.subarray(0, MAX_RESPONSE_BYTES - size));
      size = MAX_RESPONSE_BYTES;
      truncated = true;
      done();
      res.destroy();
      return;
    }
    chunks.push(c);
    size += c.length;
  });
  res.on('end', done);
  const cutShort = () => {
    truncated = true;
    done();
  };
  res.on('error', cutShort);
  res.on('close', () => {
    if (!res.complete) truncated = true;
    done();
  });
  return cutShort;
}

/** Through HTTP(S)_PROXY with NO_PROXY, as curl reads them: undici's EnvHttpProxyAgent. */
function createUndiciTransport(env: Env, connectTimeoutMs: number): Transport {
  const undici = require('undici') as typeof import('undici');
  const proxies = proxyEnv(env);
  const common = { connectTimeout: connectTimeoutMs, keepAliveTimeout: 10_000, maxResponseSize: -1 };
  const make = (tls?: TlsMaterial): Dispatcher => {
    // The files verify (and authenticate us to) the collector, directly or through a CONNECT tunnel.
    const files = tls ? { ca: tls.ca, key: tls.key, cert: tls.cert } : undefined;
    return new undici.EnvHttpProxyAgent({
      ...common, httpProxy: proxies.httpProxy, httpsProxy: proxies.httpsProxy, noProxy: proxies.noProxy ?? '',
      ...(files ? { connect: files, requestTls: files } : {}),
    });
  };
  const dispatcher = make();
  const tlsDispatchers = new Map<string, Dispatcher>();
  const dispatcherFor = (tls?: TlsMaterial): Dispatcher => {
    if (!tls) return dispatcher;
    let d = tlsDispatchers.get(tls.id);
    if (!d) tlsDispatchers.set(tls.id, (d = make(tls)));
    return d;
  };

  async function post(rawUrl: string, body: Uint8Array, rawHeaders: Record<string, string>, timeoutMs: number, tls?: TlsMaterial): Promise<HttpResult> {
    const { url, headers } = withUrlCredentials(rawUrl, rawHeaders);
    const ac = new AbortController();
    const timer = setTimeout(() => ac.abort(timeoutError('export timed out', 'ETIMEDOUT')), timeoutMs);
    timer.unref();
    try {
      const res = await undici.request(url, {
        method: 'POST',
        body,
        headers,
        dispatcher: url.startsWith('https:') ? dispatcherFor(tls) : dispatcher,
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
    proxied: true,
    close: async () => {
      for (const d of [dispatcher, ...tlsDispatchers.values()]) {
        try {
          await d.destroy();
        } catch {
          /* closing anyway */
        }
      }
    },
  };
}
