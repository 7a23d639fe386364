// The two stores the viewer reads, and nothing else: Jaeger's HTTP query API (/api/services,
// /api/traces) and Prometheus' HTTP API (/api/v1/query, /api/v1/query_range). No cache, no second
// store: every page shows what the backends hold at that moment.
//
// Errors are classified so the page can tell a person what to do: BackendDown (nothing answers at
// that address: start the stack), BackendError (it answered with an error: shown as is).

const TIMEOUT_MS = 8000;

export class BackendDown extends Error {
  constructor(backend, url, cause) {
    super(`${backend} is not answering at ${url} (${cause?.cause?.code ?? cause?.cause?.message ?? cause?.code ?? cause?.message ?? 'no answer'})`);
    this.backend = backend;
    this.url = url;
  }
}

export class BackendError extends Error {
  constructor(backend, status, message) {
    super(`${backend} answered HTTP ${status}: ${message}`);
    this.backend = backend;
    this.status = status;
  }
}

/** GET url as JSON; BackendDown when nothing answers, the parsed body (with its status) otherwise. */
async function getJson(backend, base, url) {
  let res;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(TIMEOUT_MS), headers: { accept: 'application/json' } });
  } catch (e) {
    throw new BackendDown(backend, base, e);
  }
  const text = await res.text();
  let body;
  try {
    body = JSON.parse(text);
  } catch {
    // something else listens there (or a proxy error page): say so instead of a JSON error
    throw new BackendError(backend, res.status, `not a JSON answer from ${base} (is this really ${backend}?)`);
  }
  return { status: res.status, body };
}

export function jaegerClient(baseUrl) {
  const base = baseUrl.replace(/\/+$/, '');
  return {
    baseUrl: base,
    async services() {
      const { status, body } = await getJson('Jaeger', base, `${base}/api/services`);
      if (status !== 200) throw new BackendError('Jaeger', status, errText(body));
      return body.data ?? [];
    },
    /** Traces with a span of `service` in the last `lookbackMs`; [] when the service has none (404). */
    async traces(service, { limit = 20, lookbackMs = 7 * 24 * 3600e3 } = {}) {
      const u = new URL(`${base}/api/traces`);
      const end = Date.now() * 1000;
      u.searchParams.set('service', service);
      u.searchParams.set('limit', String(limit));
      u.searchParams.set('start', String(Math.floor(end - lookbackMs * 1000)));
      u.searchParams.set('end', String(end));
      const { status, body } = await getJson('Jaeger', base, u);
      if (status === 404) return []; // "service not found": its spans expired from the store
      if (status !== 200) throw new BackendError('Jaeger', status, errText(body));
      return body.data ?? [];
    },
    /** One trace, or null when Jaeger does not hold it. */
    async trace(traceId) {
      const { status, body } = await getJson('Jaeger', base, `${base}/api/traces/${encodeURIComponent(traceId)}`);
      if (status === 404) return null;
      if (status !== 200) throw new BackendError('Jaeger', status, errText(body));
      return body.data?.[0] ?? null;
    },
    /**
     * Whether this Jaeger serves its web UI. A Jaeger built from Go modules has no UI assets and
     * serves a placeholder page; the official release binaries and images embed the UI.
     */
    async hasUi() {
      try {
        const res = await fetch(`${base}/`, { signal: AbortSignal.timeout(TIMEOUT_MS) });
        const html = await res.text();
        return res.ok && !/not the Jaeger UI you are looking for/i.test(html);
      } catch {
        return false;
      }
    },
  };
}

export function prometheusClient(baseUrl) {
  const base = baseUrl.replace(/\/+$/, '');
  const call = async (pathname, params) => {
    const u = new URL(`${base}${pathname}`);
    for (const [k, v] of Object.entries(params)) u.searchParams.set(k, String(v));
    const { status, body } = await getJson('Prometheus', base, u);
    if (body.status !== 'success') throw new BackendError('Prometheus', status, `${body.errorType ?? 'error'}: ${body.error ?? errText(body)}`);
    return body.data;
  };
  return {
    baseUrl: base,
    /** Instant query at `time` (seconds); the result vector (or scalar as one sample). */
    async query(expr, time) {
      const data = await call('/api/v1/query', { query: expr, time });
      return data.resultType === 'scalar' ? [{ metric: {}, value: data.result }] : data.result;
    },
    /** Values of `label` on series of `metric` (Grafana's label_values(metric, label)). */
    async labelValues(label, metric, { start, end }) {
      return (await call(`/api/v1/label/${encodeURIComponent(label)}/values`, { 'match[]': metric, start, end })).sort();
    },
    async queryRange(expr, { start, end, step }) {
      return (await call('/api/v1/query_range', { query: expr, start, end, step })).result;
    },
  };
}

function errText(body) {
  if (!body || typeof body !== 'object') return String(body);
  if (Array.isArray(body.errors) && body.errors.length) return body.errors.map((e) => e.msg ?? JSON.stringify(e)).join('; ');
  return body.error ?? JSON.stringify(body).slice(0, 200);
}
