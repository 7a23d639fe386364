// The viewer's HTTP server: one static page (public/), the charting library from node_modules, and a
// small JSON API over Jaeger and Prometheus (traces.mjs, panels.mjs). node:http only, no build step.
// The page renders every value as text (never as HTML), so names from the stores cannot inject markup.
//
//   import { startViewer } from './viewer/server.mjs';
//   const v = await startViewer({ port: 16680, jaegerUrl, prometheusUrl });  // v.url, v.close()
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BackendDown, BackendError, jaegerClient, prometheusClient } from './backends.mjs';
import { DASHBOARD_FILE, durationSec, evaluatePanels } from './panels.mjs';
import { recentRuns, traceTree } from './traces.mjs';
import { readCollectorLogs } from '../scripts/collector-logs.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '..');
export const DEFAULT_VIEWER_PORT = 16680;
export const VIEWER_PORT_ENV = 'DEVTOOL_VIEWER_PORT';

const TRACE_ID = /^[0-9a-f]{1,32}$/i;

// whitelisted files only: no path from the request ever reaches the file system
const STATIC = {
  '/static/app.js': [path.join(HERE, 'public/app.js'), 'text/javascript; charset=utf-8'],
  '/static/style.css': [path.join(HERE, 'public/style.css'), 'text/css; charset=utf-8'],
  '/vendor/uPlot.iife.min.js': [path.join(ROOT, 'node_modules/uplot/dist/uPlot.iife.min.js'), 'text/javascript; charset=utf-8'],
  '/vendor/uPlot.min.css': [path.join(ROOT, 'node_modules/uplot/dist/uPlot.min.css'), 'text/css; charset=utf-8'],
};
const PAGES = [/^\/$/, /^\/metrics$/, /^\/trace\/[^/]*$/];

class BadRequest extends Error {}

function send(res, status, body, type = 'application/json; charset=utf-8', extra = {}) {
  const buf = Buffer.isBuffer(body) ? body : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
  res.writeHead(status, { 'content-type': type, 'content-length': buf.length, 'cache-control': 'no-cache', 'x-content-type-options': 'nosniff', ...extra });
  res.end(buf);
}

/** A backend failure as the page shows it: what is wrong, and what to do. */
function errorBody(e, { jaegerUrl, prometheusUrl }) {
  if (e instanceof BackendDown) {
    const hint = `Start the stack with 'npm run stack' (or 'npm run demo'), or point the viewer at a running ${e.backend}.`;
    return [503, { error: { kind: 'down', backend: e.backend, url: e.backend === 'Jaeger' ? jaegerUrl : prometheusUrl, message: e.message, hint } }];
  }
  if (e instanceof BackendError) return [502, { error: { kind: 'backend', backend: e.backend, message: e.message } }];
  if (e instanceof BadRequest) return [400, { error: { kind: 'input', message: e.message } }];
  return [500, { error: { kind: 'internal', message: String(e?.message ?? e) } }];
}

/** The log records of one trace in the collector's logs file (newest 200), for the trace page. */
function traceLogs(logsFile, traceId) {
  if (!logsFile) return [];
  return readCollectorLogs(logsFile)
    .filter((l) => l.traceId === traceId)
    .slice(-200)
    .map((l) => ({ time: l.timeUnixNano, severity: l.severityText ?? '', event: l.eventName ?? '', spanId: l.spanId ?? '', attributes: Object.entries(l.attributes).map(([k, v]) => [k, String(v)]) }));
}

export function createViewerServer({ jaegerUrl, prometheusUrl, dashboardFile = DASHBOARD_FILE, logsFile }) {
  const jaeger = jaegerClient(jaegerUrl);
  const prom = prometheusClient(prometheusUrl);
  const page = fs.readFileSync(path.join(HERE, 'public/index.html'));
  let jaegerUi; // learnt once Jaeger answers: the official build has a UI, ours from Go modules does not

  const api = {
    async '/api/config'() {
      jaegerUi ??= (await jaeger.hasUi()) || undefined;
      return { jaegerUrl: jaeger.baseUrl, prometheusUrl: prom.baseUrl, jaegerHasUi: Boolean(jaegerUi) };
    },
    async '/api/runs'(q) {
      const tool = q.get('tool') || undefined;
      if (tool && tool.length > 256) throw new BadRequest('tool name too long');
      const { tools, runs } = await recentRuns(jaeger, { tool });
      return { tool: tool ?? null, tools, runs };
    },
    async '/api/panels'(q) {
      const tool = q.get('tool') || undefined;
      const range = q.get('range');
      const rangeSec = range ? durationSec(range) : undefined;
      if (range && !rangeSec) throw new BadRequest(`range ${JSON.stringify(range)} is not a duration like 15m, 1h, 6h, 7d`);
      return evaluatePanels(prom, { tool, rangeSec, file: dashboardFile });
    },
  };

  return http.createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://viewer');
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, { error: { kind: 'input', message: 'GET only' } });
    try {
      if (STATIC[url.pathname]) {
        const [file, type] = STATIC[url.pathname];
        let body;
        try {
          body = fs.readFileSync(file);
        } catch {
          return send(res, 404, `${path.relative(ROOT, file)} is missing (run npm install)`, 'text/plain; charset=utf-8');
        }
        return send(res, 200, body, type);
      }
      if (PAGES.some((re) => re.test(url.pathname))) return send(res, 200, page, 'text/html; charset=utf-8');
      const traceMatch = /^\/api\/traces\/([^/]*)$/.exec(url.pathname);
      if (traceMatch) {
        const id = decodeURIComponent(traceMatch[1]);
        if (!TRACE_ID.test(id)) throw new BadRequest('a trace id is 1 to 32 hexadecimal digits');
        const trace = await jaeger.trace(id.toLowerCase());
        if (!trace) return send(res, 404, { error: { kind: 'not-found', message: `Jaeger holds no trace ${id} (traces live in memory and go when Jaeger restarts)` } });
        return send(res, 200, { ...traceTree(trace), logs: traceLogs(logsFile, id.toLowerCase().padStart(32, '0')) });
      }
      if (api[url.pathname]) return send(res, 200, await api[url.pathname](url.searchParams));
      return send(res, 404, { error: { kind: 'not-found', message: `no page ${url.pathname}` } });
    } catch (e) {
      const [status, body] = errorBody(e, { jaegerUrl: jaeger.baseUrl, prometheusUrl: prom.baseUrl });
      return send(res, status, body);
    }
  });
}

/** Start the viewer on host:port (port 0 picks a free one); resolves to { url, port, close() }. */
export function startViewer({ port = DEFAULT_VIEWER_PORT, host = '127.0.0.1', ...opts }) {
  const server = createViewerServer(opts);
  return new Promise((resolve, reject) => {
    server.once('error', (e) => {
      if (e.code === 'EADDRINUSE') reject(Object.assign(new Error(`viewer: port ${port} on ${host} is already in use; choose another with ${VIEWER_PORT_ENV}`), { code: 'EPORTBUSY' }));
      else reject(e);
    });
    server.listen({ port, host, exclusive: true }, () => {
      const actual = server.address().port;
      resolve({ url: `http://${host}:${actual}`, port: actual, server, close: () => new Promise((r) => (server.close(() => r()), server.closeAllConnections())) });
    });
  });
}
