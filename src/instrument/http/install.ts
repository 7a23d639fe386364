/**
 * `installHttpInstrumentation(recorder)`: one line in startRecorder. It only subscribes to Node's HTTP
 * server diagnostics channels (no patching, no `node:http` load, a few µs), so a CLI that never
 * serves HTTP pays nothing more; the request recorder (server.ts) loads on the first request.
 * Fastify's own channel gives the matched route template; Express leaves it on the request.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Recorder } from '../../recorder/current';

const INSTALLED = Symbol.for('devtool-telemetry.http.installed');

interface ServerMessage {
  request?: IncomingMessage;
  response?: ServerResponse;
}

interface FastifyMessage {
  request?: { raw?: object };
  route?: { url?: unknown };
}

export function installHttpInstrumentation(recorder: Recorder): void {
  try {
    const g = globalThis as { [INSTALLED]?: boolean };
    if (g[INSTALLED] || !recorder.run.allows('usage')) return;
    g[INSTALLED] = true;
    const dc = require('node:diagnostics_channel') as typeof import('node:diagnostics_channel');
    let server: typeof import('./server') | undefined;
    const load = () => (server ??= require('./server') as typeof import('./server'));

    dc.subscribe('http.server.request.start', (msg) => {
      try {
        const m = msg as ServerMessage;
        if (m.request && !recorder.run.root.ended) load().onRequestStart(recorder, m.request);
      } catch {
        /* never break the app's request handling */
      }
    });
    dc.subscribe('http.server.response.finish', (msg) => {
      try {
        const m = msg as ServerMessage;
        if (server && m.request && m.response) server.onResponseFinish(recorder, m.request, m.response);
      } catch {
        /* idem */
      }
    });
    dc.subscribe('tracing:fastify.request.handler:start', (msg) => {
      try {
        const m = msg as FastifyMessage;
        const raw = m.request?.raw;
        if (raw && typeof m.route?.url === 'string') (raw as Record<symbol, unknown>)[Symbol.for('devtool-telemetry.fastify.route')] = m.route.url;
      } catch {
        /* idem */
      }
    });
  } catch {
    /* no diagnostics_channel (very old runtimes): no HTTP telemetry */
  }
}
