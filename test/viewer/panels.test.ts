/**
 * How the viewer turns the Grafana dashboard into queries (viewer/panels.mjs): read from the dashboard
 * file itself, with Grafana's variables substituted as Grafana does. The browser test
 * (viewer-in-browser.test.ts) checks the results against a real Prometheus; these check the substitution rules.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: plain ESM
import { DASHBOARD_FILE, durationSec, legendOf, readDashboard, scrapeIntervalSec, substitute } from '../../viewer/panels.mjs';
import { resolveJaegerBin } from '../../scripts/stack-lib.mjs';

describe('dashboard -> PromQL', () => {
  it('reads every panel target of the dashboard file, in layout order', () => {
    const raw = JSON.parse(fs.readFileSync(DASHBOARD_FILE, 'utf8'));
    const dash = readDashboard();
    const exprs = dash.panels.flatMap((p: any) => p.targets.map((t: any) => t.expr)).sort();
    expect(exprs).toEqual(raw.panels.flatMap((p: any) => p.targets.map((t: any) => t.expr)).sort());
    expect(dash.toolVariable).toEqual({ metric: 'devtool_command_runs_total', label: 'job' });
    const ys = dash.panels.map((p: any) => raw.panels.find((r: any) => r.id === p.id).gridPos.y);
    expect([...ys].sort((a, b) => a - b)).toEqual(ys);
  });

  it('follows edits of the dashboard file (nothing is copied)', () => {
    const raw = JSON.parse(fs.readFileSync(DASHBOARD_FILE, 'utf8'));
    raw.panels[0].targets[0].expr = 'count(up{job=~"$service"})';
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'dtt-dash-')), 'd.json');
    fs.writeFileSync(file, JSON.stringify(raw));
    expect(readDashboard(file).panels.find((p: any) => p.id === raw.panels[0].id).targets[0].expr).toBe('count(up{job=~"$service"})');
    fs.rmSync(path.dirname(file), { recursive: true, force: true });
  });

  it('substitutes $service (regex-escaped), $__range, $__rate_interval and ${...} forms', () => {
    const scrape = scrapeIntervalSec();
    expect(scrape).toBe(5); // the provisioned datasource's timeInterval
    expect(substitute('x{job=~"$service"}', { rangeSec: 3600, scrapeSec: 5 })).toBe('x{job=~".*"}');
    expect(substitute('x{job=~"$service"}', { tool: 'my.tool+1', rangeSec: 3600, scrapeSec: 5 })).toBe('x{job=~"my\\\\.tool\\\\+1"}');
    expect(substitute('x{job=~"${service}"}', { tool: 'a"b', rangeSec: 3600, scrapeSec: 5 })).toBe('x{job=~"a\\"b"}');
    expect(substitute('increase(x[$__range])', { rangeSec: 21600, scrapeSec: 5 })).toBe('increase(x[6h])');
    // Grafana: max(4 x scrape interval, step + scrape interval); step = range / 300 at least the scrape interval
    expect(substitute('rate(x[$__rate_interval])', { rangeSec: 900, scrapeSec: 5 })).toBe('rate(x[20s])');
    expect(substitute('rate(x[$__rate_interval])', { rangeSec: 86400, scrapeSec: 5 })).toBe('rate(x[293s])');
    expect(substitute('x[$unknown]', { rangeSec: 60, scrapeSec: 5 })).toBe('x[$unknown]');
  });

  it('durations and legends', () => {
    expect(durationSec('now-6h')).toBe(21600);
    expect(durationSec('15m')).toBe(900);
    expect(durationSec('forever')).toBeNull();
    expect(legendOf('{{devtool_command_name}} {{devtool_command_outcome}}', { devtool_command_name: 'tool build', devtool_command_outcome: 'failure' })).toBe('tool build failure');
    expect(legendOf('', { job: 'a', le: '1' })).toBe('{job="a", le="1"}');
  });
});

describe('which Jaeger the stack runs', () => {
  it('JAEGER_BIN first, then a jaeger on PATH, then our build', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dtt-jaeger-path-'));
    try {
      expect(resolveJaegerBin({ PATH: dir })).toMatchObject({ source: 'build' });
      fs.writeFileSync(path.join(dir, 'jaeger'), '#!/bin/sh\n', { mode: 0o755 });
      expect(resolveJaegerBin({ PATH: `/nonexistent${path.delimiter}${dir}` })).toEqual({ bin: path.join(dir, 'jaeger'), source: 'PATH' });
      expect(resolveJaegerBin({ PATH: dir, JAEGER_BIN: '/opt/jaeger/jaeger' })).toEqual({ bin: '/opt/jaeger/jaeger', source: 'JAEGER_BIN' });
      fs.chmodSync(path.join(dir, 'jaeger'), 0o644); // not executable: not used
      expect(resolveJaegerBin({ PATH: dir })).toMatchObject({ source: 'build' });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
