import * as fs from 'node:fs';
// Feature-usage events and tool-declared per-command metrics, end to end: a real tool process
// under the preload, the detached shipper, the OTLP test receiver. Counts must be exact; every
// undeclared name, property, wrong type, huge value and runaway cardinality must be dropped or
// bucketed, counted, and absent from the bytes on the wire.
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { FlatSpan } from '../support/otlp-receiver';
import { runPlain } from '../support/run-fixture';
import { counterTotal, FEATURE_TOOL, points, startE2E, e2ePerFile } from './e2e';

const CLI = path.join(FEATURE_TOOL, 'cli.js');

describe('feature-usage events', () => {
  const e = e2ePerFile();
  let stdout = '';
  let root: FlatSpan;

  beforeAll(async () => {
    const r = await e.run(CLI, ['features']);
    stdout = r.stdout;
    expect(r.code).toBe(0);
    expect(r.stdioHeldOpen).toBe(false);
    await e.receiver.waitFor(() => e.receiver.spans().length > 0 && e.receiver.metrics().some((m) => m.name === 'devtool.feature.uses'), 15_000);
    root = e.receiver.spans().find((s) => s.name === 'feature-tool features')!;
  });

  it('does not change what the tool prints or returns', async () => {
    const plain = await runPlain({ script: CLI, args: ['features'], env: e.env, cwd: e.sb.home });
    expect(plain.code).toBe(0);
    // Without telemetry, declarations are only remembered: no problems are reported.
    expect(plain.stdout.replace('declare problems: 0', 'declare problems: 1')).toBe(stdout);
  });

  it('counts each declared feature exactly, by name and enum/boolean properties', () => {
    const m = e.receiver.metrics();
    expect(counterTotal(m, 'devtool.feature.uses', { 'devtool.feature.name': 'ask' })).toBe(10);
    expect(counterTotal(m, 'devtool.feature.uses', { 'devtool.feature.name': 'preview_sql' })).toBe(3);
    expect(counterTotal(m, 'devtool.feature.uses', { 'devtool.feature.name': 'model_upload' })).toBe(10_002);
    expect(counterTotal(m, 'devtool.feature.uses', { 'devtool.feature.name': 'ask', 'devtool.feature.prop.source': 'ui' })).toBe(3);
    expect(counterTotal(m, 'devtool.feature.uses', { 'devtool.feature.name': 'ask', 'devtool.feature.prop.source': 'api' })).toBe(1);
    expect(counterTotal(m, 'devtool.feature.uses', { 'devtool.feature.name': 'ask', 'devtool.feature.prop.cached': true })).toBe(1);
    expect(counterTotal(m, 'devtool.feature.uses', { 'devtool.feature.name': 'model_upload', 'devtool.feature.prop.format': 'onnx' })).toBe(1);
    for (const p of points(m, 'devtool.feature.uses')) {
      expect(p.attributes['devtool.command.name']).toBe('feature-tool features');
      // Numbers and free strings never label a metric (unbounded).
      expect(Object.keys(p.attributes).sort()).not.toContain('devtool.feature.prop.rows');
      expect(Object.keys(p.attributes).sort()).not.toContain('devtool.feature.prop.dataset');
    }
    // Bounded: a handful of series however many distinct values were sent.
    expect(points(m, 'devtool.feature.uses').length).toBeLessThanOrEqual(8);
  });

  it('counts what it dropped or bucketed, by reason', () => {
    const m = e.receiver.metrics();
    const dropped = (reason: string) => counterTotal(m, 'devtool.feature.dropped', { 'devtool.feature.drop.reason': reason });
    expect(dropped('unknown_feature')).toBe(2);
    expect(dropped('unknown_property')).toBe(1);
    expect(dropped('wrong_type')).toBe(3);
    expect(dropped('invalid_value')).toBe(3);
    expect(dropped('over_cardinality')).toBe(10_000 - 100);
  });

  it('records span events on the command span with declared, typed properties only', () => {
    expect(root).toBeDefined();
    const events = root.events;
    expect(events.length).toBeGreaterThan(0);
    // The sanitizer caps events per span; the metric above carries the exact count.
    expect(events.length).toBeLessThanOrEqual(32);
    const first = events[0]!;
    expect(first.name).toBe('devtool.feature.used');
    expect(first.attributes).toEqual({
      'devtool.feature.name': 'ask',
      'devtool.feature.prop.source': 'ui',
      'devtool.feature.prop.rows': 10,
      'devtool.feature.prop.cached': true,
    });
    for (const ev of events) {
      expect(ev.name).toBe('devtool.feature.used');
      expect(ev.attributes['devtool.feature.name']).toMatch(/^(ask|preview_sql|model_upload)$/);
      for (const k of Object.keys(ev.attributes)) expect(k).toMatch(/^devtool\.feature\.(name|prop\.(source|rows|cached|format|dataset))$/);
    }
  });

  it('puts an event made inside a step on that step span', () => {
    const stepSpan = e.receiver.spans().find((s) => s.name === 'step preview')!;
    expect(stepSpan).toBeDefined();
    expect(stepSpan.parentSpanId).toBe(root.spanId);
    expect(stepSpan.events.map((ev) => [ev.name, ev.attributes['devtool.feature.name']])).toEqual([['devtool.feature.used', 'preview_sql']]);
  });

  it('never sends undeclared names, property names or refused values', () => {
    const text = e.receiver.rawBodiesText();
    for (const s of ['alice@example.com', 'secret-feature', 'password', 'carrier-pigeon', 'nested', 'not-an-object', 'xxxxxxxxxxxxxxxx', 'bad name', 'prompt']) {
      expect(text).not.toContain(s);
    }
  });
});

describe('tool-declared per-command metrics and attributes', () => {
  const e = e2ePerFile();
  beforeAll(async () => {
    const r = await e.run(CLI, ['metrics']);
    expect(r.code).toBe(0);
    await e.receiver.waitFor(() => e.receiver.metrics().some((m) => m.name === 'visivo.jobs.executed'), 15_000);
  });

  it('exports declared counters labelled by command and declared enums', () => {
    const m = e.receiver.metrics();
    expect(counterTotal(m, 'visivo.jobs.executed', { 'devtool.command.name': 'feature-tool run' })).toBe(7);
    expect(counterTotal(m, 'visivo.jobs.executed', { 'visivo.job.status': 'failed' })).toBe(2);
    expect(counterTotal(m, 'visivo.objects.compiled', { 'visivo.object.type': 'chart' })).toBe(12);
    expect(counterTotal(m, 'visivo.objects.compiled', { 'visivo.object.type': 'table' })).toBe(3);
    expect(counterTotal(m, 'visivo.objects.compiled')).toBe(15); // the -1 was refused
    expect(m.find((x) => x.name === 'visivo.jobs.executed')!.unit).toBe('{job}');
    // Refused declarations never appear.
    expect(m.some((x) => x.name === 'undeclared.counter' || x.name === 'visivo.bad.label')).toBe(false);
    expect(counterTotal(m, 'devtool.command.runs')).toBe(1);
  });

  it('puts declared attributes and per-run totals on the command span, nothing undeclared', () => {
    const root = e.receiver.spans().find((s) => s.name === 'feature-tool run')!;
    expect(root).toBeDefined();
    expect(root.attributes['crewai.process']).toBe('sequential');
    expect(root.attributes['crewai.agents']).toBe(3);
    expect(root.attributes['crewai.tool.names']).toEqual(['search', 'scrape']);
    expect(root.attributes['visivo.jobs.executed']).toBe(7);
    expect(root.attributes['visivo.objects.compiled']).toBe(15);
    expect(root.attributes).not.toHaveProperty('crewai.secret');
    expect(e.receiver.rawBodiesText()).not.toContain('sk-live-abc');
    expect(e.receiver.rawBodiesText()).not.toContain('visivo.other');
  });
});

describe('with telemetry off', () => {
  it('feature() and count() are no-ops: nothing written or sent', async () => {
    const e = await startE2E();
    try {
      // (The API is one bundle with the recorder, so importing it loads that file; what must not
      // happen while off is any recording, writing or sending.)
      const off = await e.run(CLI, ['features-loaded'], { DO_NOT_TRACK: '1' });
      expect(off.code).toBe(0);
      expect(off.stdout).toContain('declare problems: 0');
      expect(fs.existsSync(path.join(e.sb.cacheHome, 'devtool-telemetry'))).toBe(false);
      expect(fs.existsSync(path.join(e.sb.configHome, 'devtool-telemetry'))).toBe(false);
      expect(e.receiver.connections).toBe(0);
      const on = await e.run(CLI, ['features-loaded']);
      expect(on.code).toBe(0);
      await e.receiver.waitFor(() => e.receiver.spans().length > 0, 15_000);
      // Only the enabled run reached the receiver.
      expect(e.receiver.spans().map((s) => s.name).sort()).toEqual(['feature-tool run', 'step preview']); // metrics() names the command 'run'
    } finally {
      await e.close();
    }
  });
});
