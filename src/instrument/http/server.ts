/**
 * HTTP server request telemetry, loaded on the first request the app serves (install.ts only
 * subscribes). Per request: a SERVER span `{method} {route}` under the command span and one
 * `http.server.request.duration` point. Recorded: method, route template, status code, scheme,
 * protocol version, and the path only when no segment of it looks like an id. Never: query
 * strings, headers, bodies, client or server addresses.
 *
 * An unmatched request (a 404 no framework route claimed) has no route: no `http.route`, and the
 * span is named `{method}` alone, as the HTTP conventions say, so a scanner's paths never become
 * span names or metric series.
 *
 * Driven by Node's diagnostics channels (`http.server.request.start` / `response.finish`), so no
 * function is patched and ESM apps are covered the same way; the route comes from the framework at
 * finish time (Express sets `req.route`/`req.baseUrl`; Fastify publishes its matched route on its
 * own channel, captured by install.ts).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { SpanKind } from '../../model/records';
import type { Attributes } from '../../model/records';
import type { Recorder } from '../../recorder/current';
import type { InstrumentSpec } from '../../model/instruments';
import { enterSpan } from '../../recorder/context';
import type { LiveSpan } from '../../recorder/run';
import { joinRoute, normalizeMethod, templatePath } from './route';

/** Set on the request by the Fastify channel subscriber: the matched route template. */
export const FASTIFY_ROUTE = Symbol.for('devtool-telemetry.fastify.route');

/** Distinct fallback (non-framework) routes per process; the rest are `_OTHER`. */
const MAX_FALLBACK_ROUTES = 100;
const OTHER_ROUTE = '_OTHER';

export const HTTP_SERVER_DURATION: InstrumentSpec = {
  name: 'http.server.request.duration',
  unit: 's',
  description: 'Duration of HTTP server requests.',
  type: 'histogram',
  // Stable HTTP metric conventions' explicit boundaries.
  bounds: [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10],
};

interface Pending {
  span: LiveSpan;
  method: string;
  /** The request target as received (Express rewrites req.url while routing). */
  url: string;
  startMs: number;
  scheme: 'http' | 'https';
  /** `1.1`, `2`, ... from req.httpVersion (network.protocol.version), if well-formed. */
  protocol?: string;
}

const PROTOCOLS: Record<string, string> = { '1.0': '1.0', '1.1': '1.1', '2.0': '2', '3.0': '3' };

const inflight = new WeakMap<IncomingMessage, Pending>();
const fallbackRoutes = new Set<string>();

type RoutedRequest = IncomingMessage & {
  [FASTIFY_ROUTE]?: unknown;
  route?: { path?: unknown };
  baseUrl?: unknown;
};

function frameworkRoute(req: RoutedRequest): string | undefined {
  const f = req[FASTIFY_ROUTE];
  if (typeof f === 'string' && f) return f;
  const r = req.route;
  if (r && typeof r.path === 'string') return joinRoute(typeof req.baseUrl === 'string' ? req.baseUrl : '', r.path);
  return undefined;
}

/** The request target's path without query or fragment, as received. */
function pathOf(url: string): string {
  const i = url.search(/[?#]/);
  return i < 0 ? url : url.slice(0, i);
}

function boundedFallback(path: string): string {
  if (fallbackRoutes.has(path)) return path;
  if (fallbackRoutes.size >= MAX_FALLBACK_ROUTES) return OTHER_ROUTE;
  fallbackRoutes.add(path);
  return path;
}

export function onRequestStart(recorder: Recorder, req: IncomingMessage): void {
  if (inflight.has(req)) return;
  const method = normalizeMethod(req.method);
  const span = recorder.run.startSpan(method, SpanKind.SERVER, {}, recorder.run.root);
  // The handler runs in this synchronous execution (the channel publishes just before the
  // server emits 'request'): step()/feature()/child processes inside it nest under the request.
  enterSpan(span);
  const encrypted = (req.socket as { encrypted?: boolean } | undefined)?.encrypted === true;
  const protocol = typeof req.httpVersion === 'string' ? PROTOCOLS[req.httpVersion] : undefined;
  inflight.set(req, { span, method, url: typeof req.url === 'string' ? req.url : '/', startMs: performance.now(), scheme: encrypted ? 'https' : 'http', protocol });
}

export function onResponseFinish(recorder: Recorder, req: IncomingMessage, res: ServerResponse): void {
  const p = inflight.get(req);
  if (!p) return;
  inflight.delete(req);
  const seconds = (performance.now() - p.startMs) / 1000;
  const rawPath = pathOf(p.url);
  const path = templatePath(p.url);
  const status = typeof res.statusCode === 'number' ? res.statusCode : 0;
  // No framework route and a 404: nothing matched, so there is no route (never the raw path).
  const route = frameworkRoute(req as RoutedRequest) ?? (status === 404 ? undefined : boundedFallback(path));
  const span = p.span;
  span.name = route === undefined ? p.method : `${p.method} ${route}`;
  const a = span.attributes;
  a['http.request.method'] = p.method;
  if (route !== undefined) a['http.route'] = route;
  a['http.response.status_code'] = status;
  // The real path only when templating changed nothing (no segment could identify anyone).
  if (path === rawPath) a['url.path'] = path;
  a['url.scheme'] = p.scheme;
  if (p.protocol) a['network.protocol.version'] = p.protocol;
  const metric: Attributes = {
    'http.request.method': p.method,
    'http.response.status_code': status,
    'url.scheme': p.scheme,
  };
  if (route !== undefined) metric['http.route'] = route;
  if (p.protocol) metric['network.protocol.version'] = p.protocol;
  // Server spans fail on 5xx only (4xx is the client's error); error.type is then the status code,
  // as the HTTP conventions say when there is no other error class.
  if (status >= 500) {
    span.fail(String(status));
    metric['error.type'] = String(status);
  }
  span.end();
  // Only this module records this instrument: its own key skips the generic attribute sort.
  recorder.run.metrics.record(HTTP_SERVER_DURATION, seconds, metric, `${p.method} ${status} ${p.scheme} ${p.protocol ?? ''} ${route ?? ''}`);
}
