// The Grafana dashboard's panels, evaluated against Prometheus. The queries are read from the
// dashboard JSON on every request (never copied here), with Grafana's variables substituted the way
// Grafana does, so the viewer and the dashboard cannot disagree.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BackendDown } from './backends.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const DASHBOARD_FILE = path.join(ROOT, 'collector-config/grafana/dashboards/devtool-telemetry.json');
const DATASOURCE_FILE = path.join(ROOT, 'collector-config/grafana/provisioning/datasources/prometheus.yaml');

/** Panels that run an instant query in the dashboard are shown as one value per series. */
const INSTANT_TYPES = new Set(['stat', 'bargauge', 'piechart', 'table', 'gauge']);

/** The dashboard's panels and their targets, in layout order. */
export function readDashboard(file = DASHBOARD_FILE) {
  const dash = JSON.parse(fs.readFileSync(file, 'utf8'));
  const panels = (dash.panels ?? [])
    .filter((p) => Array.isArray(p.targets) && p.targets.length)
    .sort((a, b) => (a.gridPos?.y ?? 0) - (b.gridPos?.y ?? 0) || (a.gridPos?.x ?? 0) - (b.gridPos?.x ?? 0))
    .map((p) => ({
      id: p.id,
      title: p.title ?? '',
      description: p.description ?? '',
      type: p.type,
      unit: p.fieldConfig?.defaults?.unit ?? 'none',
      // Grafana's per-panel "min interval": $__interval and the step never go below it
      minStepSec: durationSec(p.interval ?? '') ?? 0,
      width: p.gridPos?.w ?? 12,
      targets: p.targets
        .filter((t) => typeof t.expr === 'string' && !t.hide)
        .map((t) => ({ refId: t.refId, expr: t.expr, legendFormat: t.legendFormat ?? '', instant: t.instant ?? INSTANT_TYPES.has(p.type) })),
    }));
  // the tool picker: the dashboard's `service` variable, `label_values(metric, label)`
  const v = (dash.templating?.list ?? []).find((x) => x.name === 'service');
  const m = /label_values\(\s*([^,\s]+)\s*,\s*(\w+)\s*\)/.exec(v?.definition ?? v?.query?.query ?? '');
  const toolVariable = m ? { metric: m[1], label: m[2] } : null;
  return { title: dash.title ?? 'dashboard', time: dash.time ?? { from: 'now-6h' }, panels, toolVariable };
}

/** Scrape interval Grafana's datasource assumes (its `timeInterval`), the base of $__rate_interval. */
export function scrapeIntervalSec(file = DATASOURCE_FILE) {
  try {
    const m = /timeInterval:\s*(\d+)s/.exec(fs.readFileSync(file, 'utf8'));
    if (m) return Number(m[1]);
  } catch {
    /* no Grafana datasource file: Grafana's default below */
  }
  return 15; // Grafana's default
}

const UNITS = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 };
/** '6h' / 'now-6h' -> seconds; null when it is not a plain duration. */
export function durationSec(text) {
  const m = /^(?:now-)?(\d+)([smhdw])$/.exec(String(text).trim());
  return m ? Number(m[1]) * UNITS[m[2]] : null;
}
const promDuration = (sec) => (sec % 3600 === 0 ? `${sec / 3600}h` : sec % 60 === 0 ? `${sec / 60}m` : `${sec}s`);

/** A regex-escaped value inside a PromQL double-quoted string (Grafana's escaping of =~ values). */
const regexValue = (v) => v.replace(/[\\^$.*+?()[\]{}|]/g, '\\\\$&').replace(/"/g, '\\"');

/** Grafana's time step for a range (about 300 points, never below the scrape interval). */
export function stepFor(rangeSec, scrapeSec) {
  return Math.max(scrapeSec, Math.ceil(rangeSec / 300));
}

/** Substitute the dashboard's variables: $service, $__range, $__rate_interval, $__interval (and ${...} forms). */
export function substitute(expr, { tool, rangeSec, scrapeSec, minStepSec = 0 }) {
  const step = Math.max(stepFor(rangeSec, scrapeSec), minStepSec);
  const vars = {
    service: tool ? regexValue(tool) : '.*',
    __range: promDuration(rangeSec),
    __range_s: String(rangeSec),
    __rate_interval: promDuration(Math.max(4 * scrapeSec, step + scrapeSec)),
    __interval: promDuration(step),
    __interval_ms: String(step * 1000),
  };
  return expr.replace(/\$\{(\w+)\}|\$(\w+)/g, (all, a, b) => vars[a ?? b] ?? all);
}

/** A series' name from Grafana's legendFormat ({{label}}), or its label set when there is none. */
export function legendOf(format, metric) {
  if (format && format !== '__auto') return format.replace(/\{\{\s*(\w+)\s*\}\}/g, (_, k) => metric[k] ?? '');
  const labels = Object.entries(metric).filter(([k]) => k !== '__name__');
  return labels.length ? `{${labels.map(([k, v]) => `${k}="${v}"`).join(', ')}}` : metric.__name__ ?? 'value';
}

/**
 * Evaluate every panel at time `at` (seconds). Instant targets give one value per series; range
 * targets give points over [at - rangeSec, at]. Each target keeps its substituted expression and
 * time parameters so a person (or a test) can run the very same query against Prometheus.
 * A failing query fails its panel only.
 */
export async function evaluatePanels(prom, { tool, rangeSec, at = Date.now() / 1000, file, scrapeSec = scrapeIntervalSec() } = {}) {
  const dash = readDashboard(file);
  rangeSec ??= durationSec(dash.time.from) ?? 3600;
  const step = stepFor(rangeSec, scrapeSec);
  const panels = await Promise.all(
    dash.panels.map(async (p) => {
      const targets = await Promise.all(
        p.targets.map(async (t) => {
          const expr = substitute(t.expr, { tool, rangeSec, scrapeSec, minStepSec: p.minStepSec });
          const base = { refId: t.refId, expr, instant: t.instant };
          try {
            if (t.instant) {
              const result = await prom.query(expr, at);
              return { ...base, time: at, series: result.map((r) => ({ legend: legendOf(t.legendFormat, r.metric), labels: r.metric, value: r.value[1] })) };
            }
            const range = { start: at - rangeSec, end: at, step: Math.max(step, p.minStepSec) };
            const result = await prom.queryRange(expr, range);
            return {
              ...base,
              ...range,
              series: result.map((r) => ({
                legend: legendOf(t.legendFormat, r.metric),
                labels: r.metric,
                // sample values stay Prometheus's strings: JSON cannot carry NaN or ±Inf (a quantile of no
                // runs is NaN), and the page must show what Prometheus says; the page parses them
                points: r.values,
                value: r.values.length ? r.values[r.values.length - 1][1] : null,
              })),
            };
          } catch (e) {
            if (e instanceof BackendDown) throw e; // the whole page says so
            return { ...base, error: e.message, series: [] };
          }
        }),
      );
      return { id: p.id, title: p.title, description: p.description, type: p.type, unit: p.unit, width: p.width, targets };
    }),
  );
  let tools = [];
  if (dash.toolVariable) tools = await prom.labelValues(dash.toolVariable.label, dash.toolVariable.metric, { start: at - rangeSec, end: at });
  return { title: dash.title, at, rangeSec, step, tool: tool ?? null, tools, panels };
}
