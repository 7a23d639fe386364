/**
 * A real OTLP/HTTP receiver for tests: a loopback HTTP server that accepts POST /v1/traces,
 * /v1/metrics and /v1/logs in `application/x-protobuf` or `application/json`, optionally gzipped,
 * and records every request and every TCP connection (even one that never sends a byte, which is
 * how "nothing was sent" is proven). Responses can be scripted per request (status, headers such
 * as Retry-After, delay, or a hang) to exercise the shipper's retry and timeout paths.
 */
import * as http from 'node:http';
import * as net from 'node:net';
import type { AddressInfo, Socket } from 'node:net';
import * as zlib from 'node:zlib';
import {
  decodeProtobuf,
  flattenLogs,
  flattenMetrics,
  flattenSpans,
  type FlatLog,
  type FlatMetric,
  type FlatSpan,
  type Signal,
} from './otlp-decode';

export type { FlatLog, FlatMetric, FlatPoint, FlatSpan, Plain, Temporality } from './otlp-decode';

export interface ReceivedRequest {
  method: string;
  /** Request path without the query string, e.g. `/v1/traces`. */
  path: string;
  /** `traces` | `metrics` | `logs` for the OTLP paths, undefined otherwise. */
  signal?: Signal;
  headers: http.IncomingHttpHeaders;
  /** `protobuf`, `json`, or `other` (from Content-Type). */
  encoding: 'protobuf' | 'json' | 'other';
  /** Bytes as they came off the wire (possibly gzipped). */
  raw: Buffer;
  /** Bytes after Content-Encoding was undone. */
  body: Buffer;
  /** The body in OTLP/JSON object form (hex ids, 64-bit numbers as strings); undefined if undecodable. */
  decoded?: Record<string, unknown>;
  /** Why decoding failed, if it did (the request is still recorded and answered 400). */
  error?: string;
  /** Unix ms when the body was complete. */
  time: number;
}

export interface ScriptedResponse {
  status?: number;
  headers?: Record<string, string>;
  body?: Buffer | string;
  delayMs?: number;
  /** Never answer (the socket stays open until the client gives up or close() runs). */
  hang?: boolean;
}

export interface ReceiverOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  host?: '127.0.0.1';
  /**
   * Script the answer to a request. `n` is the 1-based count of requests received so far
   * (this one included). Return undefined for the default: 200 with an empty export response.
   */
  respond?: (req: ReceivedRequest, n: number) => ScriptedResponse | undefined;
}

export interface Receiver {
  /** `http://127.0.0.1:PORT`, for OTEL_EXPORTER_OTLP_ENDPOINT. */
  url: string;
  port: number;
  requests: ReceivedRequest[];
  /** TCP connections accepted so far. */
  readonly connections: number;
  spans(): FlatSpan[];
  metrics(): FlatMetric[];
  logs(): FlatLog[];
  /** Resolve when `pred()` is true; reject with a summary of what arrived after `timeoutMs`. */
  waitFor(pred: () => boolean, timeoutMs?: number): Promise<void>;
  /** Every body as text (raw latin1, decompressed latin1 and utf8, decoded JSON): for leak searches. */
  rawBodiesText(): string;
  /** Forget recorded requests and connections (the server keeps running). */
  reset(): void;
  close(): Promise<void>;
}

const SIGNAL_BY_PATH: Record<string, Signal> = {
  '/v1/traces': 'traces',
  '/v1/metrics': 'metrics',
  '/v1/logs': 'logs',
};

const MAX_BODY = 64 * 1024 * 1024;

function encodingOf(contentType: string | undefined): ReceivedRequest['encoding'] {
  const ct = (contentType ?? '').toLowerCase();
  if (ct.includes('protobuf')) return 'protobuf';
  if (ct.includes('json')) return 'json';
  return 'other';
}

function inflate(raw: Buffer, contentEncoding: string | undefined): Buffer {
  const ce = (contentEncoding ?? '').toLowerCase().trim();
  if (ce === 'gzip' || ce === 'x-gzip') return zlib.gunzipSync(raw);
  if (ce === 'deflate') return zlib.inflateSync(raw);
  if (ce === 'br') return zlib.brotliDecompressSync(raw);
  return raw;
}

function decode(rec: ReceivedRequest): void {
  if (!rec.signal) return;
  try {
    rec.body = inflate(rec.raw, rec.headers['content-encoding'] as string | undefined);
    if (rec.encoding === 'protobuf') rec.decoded = decodeProtobuf(rec.signal, rec.body);
    else if (rec.encoding === 'json') rec.decoded = JSON.parse(rec.body.toString('utf8')) as Record<string, unknown>;
    else rec.error = `unsupported content-type ${String(rec.headers['content-type'])}`;
  } catch (err) {
    rec.error = `undecodable ${rec.encoding} body: ${(err as Error).message}`;
  }
}

/** A loopback port with nothing listening on it (for "collector unreachable" tests). */
export async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const { port } = srv.address() as AddressInfo;
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}

export async function startReceiver(opts: ReceiverOptions = {}): Promise<Receiver> {
  const requests: ReceivedRequest[] = [];
  let connections = 0;
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= MAX_BODY) chunks.push(c);
    });
    req.on('error', () => res.destroy());
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const raw = Buffer.concat(chunks);
      const rec: ReceivedRequest = {
        method: req.method ?? '',
        path: url.pathname,
        signal: SIGNAL_BY_PATH[url.pathname],
        headers: req.headers,
        encoding: encodingOf(req.headers['content-type']),
        raw,
        body: raw,
        time: Date.now(),
      };
      decode(rec);
      requests.push(rec);
      answer(rec, requests.length, res);
    });
  });

  function answer(rec: ReceivedRequest, n: number, res: http.ServerResponse): void {
    let scripted: ScriptedResponse | undefined;
    try {
      scripted = opts.respond?.(rec, n);
    } catch (err) {
      scripted = { status: 500, body: `respond() threw: ${(err as Error).message}` };
    }
    if (scripted?.hang) return;
    const send = () => {
      if (res.destroyed) return;
      let status = 200;
      let headers: Record<string, string> = {};
      let body: Buffer | string = '';
      if (!rec.signal || rec.method !== 'POST') {
        status = 404;
        body = 'not an OTLP path';
      } else if (rec.error) {
        status = 400;
        body = rec.error;
      } else if (rec.encoding === 'json') {
        headers['content-type'] = 'application/json';
        body = '{}';
      } else {
        // An empty Export*ServiceResponse is zero bytes in protobuf.
        headers['content-type'] = 'application/x-protobuf';
      }
      if (scripted) {
        status = scripted.status ?? status;
        headers = { ...headers, ...(scripted.headers ?? {}) };
        body = scripted.body ?? body;
      }
      res.writeHead(status, headers);
      res.end(body);
    };
    const delay = scripted?.delayMs ?? 0;
    if (delay > 0) {
      const t = setTimeout(() => {
        timers.delete(t);
        send();
      }, delay);
      timers.add(t);
    } else send();
  }

  server.on('connection', (socket: Socket) => {
    connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  const host = opts.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;

  const receiver: Receiver = {
    url: `http://${host}:${port}`,
    port,
    requests,
    get connections() {
      return connections;
    },
    spans: () => requests.flatMap((r, i) => (r.signal === 'traces' && r.decoded ? flattenSpans(r.decoded, i) : [])),
    metrics: () => requests.flatMap((r, i) => (r.signal === 'metrics' && r.decoded ? flattenMetrics(r.decoded, i) : [])),
    logs: () => requests.flatMap((r, i) => (r.signal === 'logs' && r.decoded ? flattenLogs(r.decoded, i) : [])),
    async waitFor(pred, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        if (pred()) return;
        if (Date.now() > deadline) {
          const seen = requests.map((r) => `${r.method} ${r.path} ${r.encoding}${r.error ? ` (${r.error})` : ''}`);
          throw new Error(
            `receiver.waitFor timed out after ${timeoutMs} ms; ${connections} connection(s), ` +
              `${requests.length} request(s): ${seen.join('; ') || 'none'}`,
          );
        }
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    rawBodiesText() {
      return requests
        .map((r) =>
          [
            r.raw.toString('latin1'),
            r.body.toString('latin1'),
            r.body.toString('utf8'),
            r.decoded ? JSON.stringify(r.decoded) : '',
          ].join('\n'),
        )
        .join('\n');
    },
    reset() {
      requests.length = 0;
      connections = 0;
    },
    close() {
      for (const t of timers) clearTimeout(t);
      timers.clear();
      return new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Hung and keep-alive sockets would hold close() open forever.
        for (const s of sockets) s.destroy();
        server.closeAllConnections?.();
      });
    },
  };
  return receiver;
}
