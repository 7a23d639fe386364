// The viewer's page: three views (runs, one trace, metric panels) over the server's small JSON API.
// Every value from the stores goes into the page through text nodes (h() below), never innerHTML,
// so a tool name with markup in it shows as text. Plain DOM, no build step; uPlot for time series.
'use strict';

const t0 = performance.now();
const main = document.getElementById('main');

/** createElement with attributes and children; strings become text nodes. */
function h(tag, attrs, ...children) {
  const el = document.createElementNS(tag === 'svg' || tag === 'path' || tag === 'circle' ? 'http://www.w3.org/2000/svg' : 'http://www.w3.org/1999/xhtml', tag);
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'style' && typeof v === 'object') Object.assign(el.style, v);
    else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, String(v));
  }
  for (const c of children.flat(Infinity)) if (c !== null && c !== undefined && c !== false) el.append(c instanceof Node ? c : String(c));
  return el;
}

class ApiError extends Error {
  constructor(status, error) {
    super(error?.message ?? `HTTP ${status}`);
    this.status = status;
    this.info = error ?? {};
  }
}

async function api(path) {
  const res = await fetch(path, { headers: { accept: 'application/json' } });
  const body = await res.json().catch(() => ({}));
  if (!res.ok) throw new ApiError(res.status, body.error);
  return body;
}

function banner(kind, title, ...lines) {
  return h('div', { class: `banner ${kind}`, role: kind === 'error' ? 'alert' : 'status' }, h('strong', null, title), ...lines.map((l) => h('div', null, l)));
}

function errorBanner(e) {
  const i = e.info ?? {};
  if (i.kind === 'down') return banner('error', `${i.backend} is not reachable`, i.message, i.hint);
  if (i.kind === 'not-found') return banner('error', 'Not found', e.message);
  if (i.kind === 'input') return banner('error', 'That request is not valid', e.message);
  return banner('error', 'Something went wrong', e.message);
}

// ---- formatting
const fmtInt = (n) => Math.round(n).toLocaleString('en-US');
function fmtDurUs(us) {
  if (us < 1000) return `${Math.round(us)} µs`;
  if (us < 1e6) return `${(us / 1000).toFixed(us < 1e4 ? 1 : 0)} ms`;
  if (us < 6e7) return `${(us / 1e6).toFixed(2)} s`;
  return `${Math.floor(us / 6e7)} min ${Math.round((us % 6e7) / 1e6)} s`;
}
function fmtValue(v, unit) {
  if (v === null || v === undefined || Number.isNaN(v)) return '–';
  if (!Number.isFinite(v)) return v > 0 ? '+Inf' : '-Inf';
  if (v === 0) return '0';
  if (unit === 'percentunit') return `${(v * 100).toFixed(1)}%`;
  if (unit === 'percent') return `${v.toFixed(1)}%`;
  if (unit === 's') return v < 1 ? `${(v * 1000).toFixed(v < 0.01 ? 2 : 0)} ms` : `${v.toFixed(2)} s`;
  if (Number.isInteger(v)) return fmtInt(v);
  const a = Math.abs(v);
  return a >= 100 ? fmtInt(v) : v.toPrecision(3);
}
function ago(us) {
  const s = Math.max(0, (Date.now() - us / 1000) / 1000);
  if (s < 60) return `${Math.round(s)} s ago`;
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  if (s < 86400) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86400)} d ago`;
}
const outcomeClass = (o) => (['success', 'ok'].includes(o) ? 'success' : ['failure', 'error', 'crash'].includes(o) ? 'failure' : 'other');
const PALETTE = ['#3056d3', '#c11574', '#0e7090', '#b54708', '#6941c6', '#12805c', '#d92d20', '#667085', '#e478fa', '#16b364'];

function toolSelect(tools, current, onPick) {
  return h(
    'label',
    null,
    'Tool ',
    h('select', { id: 'tool', style: { maxWidth: '320px' }, onchange: (ev) => onPick(ev.target.value) }, h('option', { value: '' }, 'All tools'), tools.map((t) => h('option', { value: t, selected: t === current }, t))),
  );
}
function go(path, params) {
  const q = new URLSearchParams(Object.entries(params).filter(([, v]) => v));
  location.assign(q.toString() ? `${path}?${q}` : path);
}

// ---- runs
async function runsPage() {
  const q = new URLSearchParams(location.search);
  const tool = q.get('tool') ?? '';
  document.title = 'Runs · devtool-telemetry viewer';
  const data = await api(`/api/runs${tool ? `?tool=${encodeURIComponent(tool)}` : ''}`);
  const out = [h('h1', null, 'Recent runs'), h('div', { class: 'toolbar' }, toolSelect(data.tools, tool, (t) => go('/', { tool: t })), h('span', { class: 'muted' }, `${data.runs.length} run(s), newest first, from Jaeger`))];
  if (!data.runs.length) {
    out.push(
      banner(
        'info',
        tool ? `No runs of ${tool} in Jaeger.` : 'No runs in Jaeger yet.',
        'Run a tool under the preload and send to the stack: OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4318 node --require devtool-telemetry/register your-tool.js',
        "Or run 'npm run demo' in the devtool-telemetry repository. Runs show here a few seconds after the tool exits.",
      ),
    );
    return out;
  }
  const rows = data.runs.map((r) =>
    h(
      'tr',
      { 'data-trace-id': r.traceId },
      h('td', { title: new Date(r.startTimeUs / 1000).toISOString() }, ago(r.startTimeUs)),
      h('td', { class: 'tool', title: r.tool }, r.tool, r.version ? h('span', { class: 'muted' }, ` ${r.version}`) : null),
      h('td', { class: 'command', title: r.command }, h('a', { href: `/trace/${r.traceId}` }, r.command)),
      h('td', { class: 'outcome' }, h('span', { class: `badge ${outcomeClass(r.outcome)}` }, r.outcome), r.errorType ? h('span', { class: 'muted' }, ` ${r.errorType}`) : null),
      h('td', { class: 'num exit' }, r.exitCode ?? '–'),
      h('td', { class: 'num duration' }, fmtDurUs(r.durationUs)),
      h('td', { class: 'num' }, r.spanCount),
      h('td', { class: 'num' }, r.llmCalls ? `${r.llmCalls} / ${fmtInt(r.tokens)}` : '–'),
    ),
  );
  out.push(
    h(
      'table',
      { class: 'runs' },
      h('thead', null, h('tr', null, h('th', null, 'Started'), h('th', null, 'Tool'), h('th', null, 'Command'), h('th', null, 'Outcome'), h('th', { class: 'num' }, 'Exit code'), h('th', { class: 'num' }, 'Duration'), h('th', { class: 'num' }, 'Spans'), h('th', { class: 'num' }, 'LLM calls / tokens'))),
      h('tbody', null, rows),
    ),
  );
  return out;
}

// ---- one trace as a waterfall
async function tracePage(id) {
  document.title = `Trace ${id} · devtool-telemetry viewer`;
  const [t, cfg] = await Promise.all([api(`/api/traces/${encodeURIComponent(id)}`), config]);
  const s = t.summary;
  document.title = `${s.command} · devtool-telemetry viewer`;
  const total = Math.max(t.durationUs, 1);
  const jaegerHref = cfg.jaegerHasUi ? `${cfg.jaegerUrl}/trace/${t.traceId}` : `${cfg.jaegerUrl}/api/traces/${t.traceId}`;
  const head = [
    h('h1', null, s.command),
    h(
      'div',
      { class: 'facts' },
      h('span', null, 'tool ', h('b', { id: 'tool-name' }, s.tool), s.version ? ` ${s.version}` : ''),
      h('span', null, h('span', { class: `badge ${outcomeClass(s.outcome)}` }, s.outcome), s.errorType ? ` ${s.errorType}` : ''),
      h('span', null, 'exit code ', h('b', null, s.exitCode ?? '–')),
      h('span', null, 'duration ', h('b', null, fmtDurUs(t.durationUs))),
      h('span', null, h('b', { id: 'span-count' }, t.spans.length), ' spans in ', h('b', null, s.processCount), ' process(es)'),
      s.llmCalls ? h('span', null, h('b', null, s.llmCalls), ' LLM call(s), ', h('b', null, fmtInt(s.tokens)), ' tokens') : null,
      h('span', { title: new Date(t.startTimeUs / 1000).toISOString() }, new Date(t.startTimeUs / 1000).toLocaleString()),
      h('a', { href: jaegerHref, class: 'ext' }, cfg.jaegerHasUi ? 'open in Jaeger' : 'Jaeger JSON'),
    ),
  ];
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) => h('span', { style: { left: `${f * 100}%` } }, fmtDurUs(total * f)));
  const rows = t.spans.map((sp) => {
    const left = (sp.offsetUs / total) * 100;
    const width = Math.max((sp.durationUs / total) * 100, 0.2);
    const attrs = h(
      'div',
      { class: 'wf-attrs', hidden: true },
      h('table', null, sp.attributes.map(([k, v]) => h('tr', null, h('td', null, k), h('td', null, v)))),
      sp.events.length ? h('div', { class: 'muted' }, `${sp.events.length} event(s): `, sp.events.map((e) => e.fields.find(([k]) => k === 'event')?.[1] ?? 'event').join(', ')) : null,
    );
    const row = h(
      'div',
      { class: `wf-row${sp.error ? ' error' : ''}`, 'data-span-id': sp.spanId, 'data-kind': sp.kind, 'data-depth': sp.depth, title: 'click for all attributes' },
      h(
        'div',
        { class: 'wf-label', style: { paddingLeft: `${10 + sp.depth * 16}px` } },
        h('span', { class: `kind ${sp.kind}` }, sp.kind === 'span' ? '' : sp.kind),
        h('span', { class: 'name' }, sp.name),
        sp.service !== s.tool ? h('span', { class: 'svc' }, sp.service) : null,
        sp.details.length ? h('div', { class: 'details' }, sp.details.map(([k, v]) => h('span', { 'data-fact': k }, `${k} ${v}`))) : null,
      ),
      h('div', { class: 'wf-bar' }, h('div', { class: `bar ${sp.kind}`, style: { left: `${left}%`, width: `${width}%` } }), h('span', { class: 'dur', style: left + width > 80 ? { right: `${100 - left + 0.5}%` } : { left: `calc(${left + width}% + 4px)` } }, fmtDurUs(sp.durationUs))),
      attrs,
    );
    row.addEventListener('click', (ev) => {
      if (!attrs.contains(ev.target)) attrs.hidden = !attrs.hidden;
    });
    return row;
  });
  // log-based events of this trace (exceptions, feature uses...), from the collector's logs file
  const names = new Map(t.spans.map((sp) => [sp.spanId, sp.name]));
  const logs = (t.logs ?? []).length
    ? [
        h('h2', null, 'Events (logs)'),
        h(
          'table',
          { class: 'logs' },
          h('tr', null, h('th', null, 'time'), h('th', null, 'severity'), h('th', null, 'event'), h('th', null, 'span'), h('th', null, 'attributes')),
          t.logs.map((l) =>
            h(
              'tr',
              { 'data-event': l.event },
              h('td', null, l.time ? new Date(Number(BigInt(l.time) / 1000000n)).toLocaleTimeString() : ''),
              h('td', null, l.severity),
              h('td', null, l.event),
              h('td', null, names.get(l.spanId) ?? l.spanId),
              h('td', null, l.attributes.map(([k, v]) => `${k}=${v}`).join('  ')),
            ),
          ),
        ),
      ]
    : [];
  return [...head, h('div', { class: 'waterfall' }, h('div', { class: 'wf-head' }, h('div', null, 'span'), h('div', { class: 'ticks' }, ticks)), rows), ...logs];
}

// ---- metric panels (the Grafana dashboard's queries)
const RANGES = ['15m', '1h', '6h', '24h', '7d'];

function loadUPlot() {
  if (window.uPlot) return Promise.resolve(window.uPlot);
  document.head.append(h('link', { rel: 'stylesheet', href: '/vendor/uPlot.min.css' }));
  return new Promise((resolve) => {
    const s = h('script', { src: '/vendor/uPlot.iife.min.js' });
    s.onload = () => resolve(window.uPlot);
    s.onerror = () => resolve(null); // the legends still show every value
    document.head.append(s);
  });
}

const valueEl = (v, unit) => h('span', { class: 'v', 'data-value': String(v) }, fmtValue(v, unit));

function legendList(series, unit, colors) {
  return h('ul', { class: 'legend' }, series.map((s, i) => h('li', { 'data-legend': s.legend }, h('span', { class: 'sw', style: { background: colors[i % colors.length] } }), h('span', null, s.legend), valueEl(s.value, unit))));
}

function pie(series, unit) {
  const total = series.reduce((a, s) => a + (Number.isFinite(s.value) && s.value > 0 ? s.value : 0), 0);
  const r = 50;
  const c = 2 * Math.PI * r;
  let acc = 0;
  const arcs = series.map((s, i) => {
    const part = total && s.value > 0 ? s.value / total : 0;
    const el = h('circle', { r, cx: 70, cy: 70, fill: 'none', stroke: PALETTE[i % PALETTE.length], 'stroke-width': 28, 'stroke-dasharray': `${part * c} ${c}`, 'stroke-dashoffset': -acc * c, transform: 'rotate(-90 70 70)' });
    acc += part;
    return el;
  });
  return h('div', { class: 'pie' }, h('svg', { width: 140, height: 140, viewBox: '0 0 140 140' }, arcs), legendList(series, unit, PALETTE));
}

function timeseries(target, unit, uPlot, width) {
  const series = target.series;
  const box = h('div', { class: 'chart' });
  if (uPlot && series.length) {
    const xs = [];
    for (let x = target.start; x <= target.end + 1e-6; x += target.step) xs.push(x);
    const ys = series.map((s) => {
      const m = new Map(s.points.map(([ts, v]) => [Math.round(ts), v]));
      return xs.map((x) => m.get(Math.round(x)) ?? null);
    });
    const opts = {
      width: Math.max(width, 200),
      height: 180,
      legend: { show: false },
      series: [{}, ...series.map((s, i) => ({ label: s.legend, stroke: PALETTE[i % PALETTE.length], width: 1.5, spanGaps: false, points: { show: true, size: 4 } }))],
      axes: [{ stroke: '#667085' }, { stroke: '#667085', size: 72, values: (u, vals) => vals.map((v) => fmtValue(v, unit)) }],
    };
    new uPlot(opts, [xs, ...ys], box);
  }
  return box;
}

function panelBody(p, uPlot, width) {
  const unit = p.unit;
  const parts = [];
  const all = p.targets.flatMap((t) => t.series);
  for (const t of p.targets) if (t.error) parts.push(h('div', { class: 'perr' }, `${t.refId}: ${t.error}`));
  if (!all.length) {
    if (!parts.length) parts.push(h('div', { class: 'nodata' }, 'No data'));
    return parts;
  }
  if (p.type === 'stat') parts.push(h('div', { class: 'stat' }, all.map((s) => h('div', { 'data-legend': s.legend }, valueEl(s.value, unit), h('div', { class: 'muted' }, s.legend)))));
  else if (p.type === 'bargauge') {
    const max = Math.max(...all.map((s) => (Number.isFinite(s.value) ? Math.abs(s.value) : 0)), 1e-12);
    const sorted = [...all].sort((a, b) => (b.value || 0) - (a.value || 0));
    parts.push(
      h(
        'div',
        { class: 'bars' },
        sorted.map((s, i) => h('div', { class: 'item', 'data-legend': s.legend }, h('span', { class: 'label', title: s.legend }, s.legend), h('div', { class: 'track' }, h('div', { class: 'fill', style: { width: `${Number.isFinite(s.value) ? (Math.abs(s.value) / max) * 100 : 0}%`, background: PALETTE[i % PALETTE.length] } })), valueEl(s.value, unit))),
      ),
    );
  } else if (p.type === 'piechart') parts.push(pie(all, unit));
  else if (p.type === 'table') {
    const keys = [...new Set(all.flatMap((s) => Object.keys(s.labels)))].filter((k) => k !== '__name__');
    parts.push(h('table', { class: 'tbl' }, h('tr', null, keys.map((k) => h('th', null, k.replace(/_/g, '_\u200b'))), h('th', null, 'value')), all.map((s) => h('tr', { 'data-legend': s.legend }, keys.map((k) => h('td', null, s.labels[k] ?? '')), h('td', null, valueEl(s.value, unit))))));
  } else {
    // time series: one chart per panel (all targets), legends with each series' last value
    const merged = { series: all, start: p.targets[0].start, end: p.targets[0].end, step: p.targets[0].step };
    parts.push(timeseries(merged, unit, uPlot, width), legendList(all, unit, PALETTE));
  }
  return parts;
}

async function metricsPage() {
  document.title = 'Metrics · devtool-telemetry viewer';
  const q = new URLSearchParams(location.search);
  const tool = q.get('tool') ?? '';
  const range = q.get('range') || '15m'; // recent runs read best over a short range
  const [data, uPlot] = await Promise.all([api(`/api/panels?range=${encodeURIComponent(range)}${tool ? `&tool=${encodeURIComponent(tool)}` : ''}`), loadUPlot()]);
  // sample values arrive as Prometheus's strings ("NaN", "+Inf" included): numbers from here on
  for (const p of data.panels) for (const t of p.targets) for (const s of t.series) {
    s.value = s.value === null || s.value === undefined ? null : Number(s.value);
    if (s.points) s.points = s.points.map(([ts, v]) => [ts, Number(v)]);
  }
  const out = [
    h('h1', null, data.title),
    h(
      'div',
      { class: 'toolbar' },
      toolSelect(data.tools, tool, (t) => go('/metrics', { tool: t, range })),
      h('label', null, 'Range ', h('select', { id: 'range', onchange: (ev) => go('/metrics', { tool, range: ev.target.value }) }, RANGES.map((r) => h('option', { value: r, selected: r === range }, `last ${r}`)))),
      h('span', { class: 'muted' }, `Queries from collector-config/grafana/dashboards/devtool-telemetry.json, evaluated by Prometheus at ${new Date(data.at * 1000).toLocaleTimeString()}`),
    ),
  ];
  if (data.panels.every((p) => p.targets.every((t) => !t.error && !t.series.length))) {
    out.push(banner('info', 'No devtool-telemetry metrics in Prometheus for this range yet.', "Metrics arrive a few seconds after a run (the collector's exporter is scraped every few seconds). Try 'npm run demo', or a longer range."));
  }
  const grid = h('div', { class: 'grid' });
  out.push(grid);
  // lay out first, so charts know their width
  const cards = data.panels.map((p) => {
    const card = h('section', { class: 'panel', 'data-panel-id': p.id, 'data-panel-type': p.type, style: { gridColumn: `span ${Math.min(Math.max(p.width, 4), 24)}` } }, h('h2', null, p.title));
    grid.append(card);
    return card;
  });
  main.replaceChildren(...out);
  data.panels.forEach((p, i) => {
    const card = cards[i];
    card.append(
      ...panelBody(p, uPlot, card.clientWidth - 28),
      h(
        'details',
        null,
        h('summary', null, 'PromQL'),
        p.targets.map((t) => h('code', { 'data-ref': t.refId, 'data-expr': t.expr, 'data-time': t.time ?? '', 'data-start': t.start ?? '', 'data-end': t.end ?? '', 'data-step': t.step ?? '' }, t.expr)),
      ),
    );
  });
  return null; // rendered in place
}

// ---- shell
const config = api('/api/config').catch(() => ({ jaegerUrl: '', prometheusUrl: '', jaegerHasUi: false }));

async function render() {
  const path = location.pathname;
  const view = path === '/metrics' ? 'metrics' : path.startsWith('/trace/') ? 'trace' : 'runs';
  document.querySelector(`[data-nav="${view === 'trace' ? 'runs' : view}"]`)?.classList.add('active');
  config.then((c) => {
    const j = document.getElementById('jaeger-link');
    const p = document.getElementById('prom-link');
    if (c.jaegerUrl) Object.assign(j, { href: c.jaegerHasUi ? c.jaegerUrl : `${c.jaegerUrl}/api/services`, hidden: false, title: c.jaegerHasUi ? 'Jaeger UI' : 'this Jaeger has no UI (built from Go modules): its JSON API' });
    if (c.prometheusUrl) Object.assign(p, { href: c.prometheusUrl, hidden: false });
    if (c.jaegerUrl) document.getElementById('footer').textContent = `Reading Jaeger at ${c.jaegerUrl} and Prometheus at ${c.prometheusUrl}; nothing is stored by the viewer.`;
  });
  let state = view;
  try {
    const nodes = view === 'metrics' ? await metricsPage() : view === 'trace' ? await tracePage(decodeURIComponent(path.slice('/trace/'.length))) : await runsPage();
    if (nodes) main.replaceChildren(...nodes);
  } catch (e) {
    state = 'error';
    main.replaceChildren(errorBanner(e), view === 'trace' ? h('p', null, h('a', { href: '/' }, '← recent runs')) : '');
  }
  document.body.dataset.readyMs = String(Math.round(performance.now() - t0));
  document.body.dataset.ready = state;
}

render();
