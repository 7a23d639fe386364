// The "done when" of issue 15: one run of every record kind (command, failing command, exception,
// steps, LLM calls, HTTP server requests, features, and the log-based events they produce) under the
// preload, through the shipper to the OTLP test receiver, and everything received checked against the
// official registry (../shared/semconv, read by official-registry.ts) plus ours (model/): no unknown
// name, no deprecated name, no missing required attribute, metric units as registered.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import type { FlatLog, FlatMetric, FlatSpan } from '../support/otlp-receiver';
import { FEATURE_TOOL, e2ePerFile } from '../features/e2e';
import { loadOfficialRegistry, movedNotDeprecated, ROOT } from './official-registry';

const TOOL_DIR = path.join(__dirname, '..', 'fixtures', 'fixture-tool');
const HTTP_APP = path.join(__dirname, '..', 'http', 'fixtures', 'http-app');
const official = loadOfficialRegistry();
const model = (rel: string) => parse(fs.readFileSync(path.join(ROOT, 'model', rel), 'utf8'));
type Req = { ref: string; requirement_level: unknown };
const ourAttrs = new Set<string>(model('devtool/registry.yaml').attributes.map((a: { key: string }) => a.key));
const ourMetrics = new Map<string, { unit: string }>(model('devtool/metrics.yaml').metrics.map((m: { name: string; unit: string }) => [m.name, m]));
const required = (attrs: Req[]) => attrs.filter((a) => a.requirement_level === 'required').map((a) => a.ref);
const ourEvents = new Map<string, string[]>(model('devtool/events.yaml').events.map((e: { name: string; attributes: Req[] }) => [e.name, required(e.attributes)]));
const ourSpans = new Map<string, string[]>(model('devtool/spans.yaml').spans.map((s: { type: string; attributes: Req[] }) => [s.type, required(s.attributes)]));

/**
 * Keys a tool declares for its own features (feature-tool's package.json: devtool.feature.prop.*):
 * the tool's conventions, published by the tool, not by us or OpenTelemetry.
 */
const TOOL_DECLARED = /^devtool\.feature\.prop\./;
/**
 * The one deliberate deviation (issue 15, item 3): an HTTP server span's url.path is the real path
 * only when no segment could identify anyone; otherwise it is omitted, although the conventions
 * require it. Asserted below to be the only missing required attribute.
 */
const DELIBERATE: Record<string, string[]> = { 'span.http.server': ['url.path'] };

const e = e2ePerFile([FEATURE_TOOL, TOOL_DIR, HTTP_APP]);
let spans: FlatSpan[] = [];
let metrics: FlatMetric[] = [];
let logs: FlatLog[] = [];

beforeAll(async () => {
  const tool = path.join(TOOL_DIR, 'cli.js');
  const runs: Array<[string, string[]]> = [
    [tool, ['ok']], // command
    [tool, ['exitcode', '2']], // failing command
    [tool, ['throw']], // exception (span error.type + exception event)
    [tool, ['step']], // steps, failed steps, user input
    [tool, ['llm']], // LLM calls through the API
    [path.join(FEATURE_TOOL, 'cli.js'), ['features']], // feature events and counters
    [path.join(HTTP_APP, 'express-app.js'), []], // HTTP server requests
  ];
  for (const [script, args] of runs) await e.run(script, args);
  await e.receiver.waitFor(
    () => e.receiver.spans().some((s) => s.kind === 2) && e.receiver.logs().some((l) => l.eventName === 'devtool.feature.used') && e.receiver.metrics().some((m) => m.name === 'http.server.request.duration'),
    20_000,
  );
  spans = e.receiver.spans();
  metrics = e.receiver.metrics();
  logs = e.receiver.logs();
}, 120_000);

function attributeFindings(where: string, attrs: Record<string, unknown>): string[] {
  const out: string[] = [];
  for (const key of Object.keys(attrs)) {
    if (TOOL_DECLARED.test(key)) continue;
    const r = official.attributes.get(key);
    if (!r && !ourAttrs.has(key)) out.push(`${where}: unknown attribute ${key}`);
    else if (r?.deprecated && !movedNotDeprecated(r.deprecated)) out.push(`${where}: deprecated attribute ${key} (${JSON.stringify(r.deprecated)})`);
  }
  return out;
}

function missing(where: string, attrs: Record<string, unknown>, need: string[], allowed: string[] = []): string[] {
  return need.filter((k) => !(k in attrs) && !allowed.includes(k)).map((k) => `${where}: missing required ${k}`);
}

/** Required attributes of an event by name: ours, or the official event's (moved GenAI events count). */
function eventFindings(where: string, name: string, attrs: Record<string, unknown>): string[] {
  const mine = ourEvents.get(name);
  if (mine) return missing(where, attrs, mine);
  const ev = official.events.get(name);
  if (!ev) return [`${where}: unknown event ${name}`];
  if (ev.deprecated && !movedNotDeprecated(ev.deprecated)) return [`${where}: deprecated event ${name}`];
  return missing(where, attrs, ev.required);
}

/** Which registry span definition a received span is an instance of. */
function spanType(s: FlatSpan): string | undefined {
  if (s.parentSpanId === undefined || 'devtool.command.name' in s.attributes) return 'devtool.command';
  if ('devtool.step.name' in s.attributes) return 'devtool.step';
  if (s.kind === 2 && 'http.request.method' in s.attributes) return 'span.http.server';
  if (s.kind === 3 && s.attributes['gen_ai.operation.name'] === 'chat') return 'span.gen_ai.inference.client';
  return undefined;
}

describe(`everything one run of each record kind sends, against ${official.version} plus model/`, () => {
  it('covered every record kind', () => {
    const types = new Set(spans.map(spanType));
    for (const t of ['devtool.command', 'devtool.step', 'span.http.server', 'span.gen_ai.inference.client']) expect(types, t).toContain(t);
    expect(spans.some((s) => s.attributes['process.exit.code'] === 2)).toBe(true);
    const events = new Set(logs.map((l) => l.eventName));
    for (const n of ['exception', 'session.start', 'devtool.feature.used']) expect(events, n).toContain(n);
    for (const m of ['devtool.command.runs', 'devtool.step.duration', 'gen_ai.client.token.usage', 'http.server.request.duration', 'devtool.feature.uses', 'process.cpu.time']) {
      expect(metrics.map((x) => x.name), m).toContain(m);
    }
  });

  it('no unknown or deprecated attribute on any resource, span, span event, link, metric point or log record', () => {
    const findings: string[] = [];
    for (const s of spans) {
      findings.push(...attributeFindings(`resource of ${s.name}`, s.resource));
      findings.push(...attributeFindings(`span ${s.name}`, s.attributes));
      for (const ev of s.events) findings.push(...attributeFindings(`span event ${ev.name}`, ev.attributes));
      for (const l of s.links) findings.push(...attributeFindings(`link of ${s.name}`, l.attributes));
    }
    for (const m of metrics) for (const p of m.points) findings.push(...attributeFindings(`metric ${m.name}`, p.attributes));
    for (const l of logs) {
      findings.push(...attributeFindings(`resource of log ${l.eventName}`, l.resource));
      findings.push(...attributeFindings(`log ${l.eventName}`, l.attributes));
    }
    expect([...new Set(findings)]).toEqual([]);
  });

  it('every metric is registered, with its unit, and every point has the required attributes', () => {
    const findings: string[] = [];
    for (const m of metrics) {
      const off = official.metrics.get(m.name);
      const ours = ourMetrics.get(m.name);
      if (!off && !ours) findings.push(`unknown metric ${m.name}`);
      else if (off?.deprecated && !movedNotDeprecated(off.deprecated)) findings.push(`deprecated metric ${m.name}`);
      else if ((off ?? ours)!.unit !== m.unit) findings.push(`${m.name}: unit ${m.unit}, registered ${(off ?? ours)!.unit}`);
      const need = official.metricSignals.get(m.name)?.required ?? [];
      for (const p of m.points) findings.push(...missing(`metric ${m.name}`, p.attributes, need));
    }
    expect([...new Set(findings)]).toEqual([]);
  });

  it('every event (span events and log records) is registered and has its required attributes', () => {
    const findings: string[] = [];
    for (const s of spans) for (const ev of s.events) findings.push(...eventFindings(`span event on ${s.name}`, ev.name, ev.attributes));
    for (const l of logs) {
      if (!l.eventName) findings.push('a log record without an EventName');
      else findings.push(...eventFindings(`log ${l.eventName}`, l.eventName, l.attributes));
      if ('event.name' in l.attributes) findings.push(`log ${l.eventName}: the deprecated event.name attribute`);
    }
    expect([...new Set(findings)]).toEqual([]);
  });

  it('every span has the required attributes of its definition (ours, CLI, HTTP, GenAI); one documented deviation', () => {
    const findings: string[] = [];
    const deviations = new Set<string>();
    for (const s of spans) {
      const type = spanType(s);
      if (!type) {
        findings.push(`span ${s.name}: no registry definition`);
        continue;
      }
      const need = ourSpans.get(type) ?? official.spans.get(type)?.required;
      if (!need) throw new Error(`no definition ${type}`);
      if (type === 'devtool.command') need.push(...official.spans.get('span.cli.internal')!.required);
      findings.push(...missing(`${type} ${s.name}`, s.attributes, need, DELIBERATE[type]));
      for (const k of DELIBERATE[type] ?? []) if (!(k in s.attributes)) deviations.add(`${type}: ${k}`);
    }
    expect([...new Set(findings)]).toEqual([]);
    // The deviation is real (requests with ids in their path) and the only one.
    expect([...deviations]).toEqual(['span.http.server: url.path']);
  });
});
