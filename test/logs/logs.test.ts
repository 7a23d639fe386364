// The Logs signal end to end: real tool processes under the preload, the detached shipper, the
// OTLP test receiver (POST /v1/logs). Log-based events carry their EventName, sit in the trace of
// the run, pass the one sanitizer (the class of an exception, never its message below `full`) and
// follow the standard switches like the other signals.
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { FlatLog, FlatSpan } from '../support/otlp-receiver';
import { FEATURE_TOOL, e2ePerFile } from '../features/e2e';
import { COMPLETION, fakeLlmPerFile, llmSpans, PROMPT, runApp } from '../llm/harness';

const TOOL_DIR = path.join(__dirname, '..', 'fixtures', 'fixture-tool');
const TOOL = path.join(TOOL_DIR, 'cli.js');
const FEATURES = path.join(FEATURE_TOOL, 'cli.js');
/** What fixture-tool plants in its error messages. */
const SECRETS = ['sk-FIXTURE-0123456789abcdef', 'alice@example.com', '/home/alice', 'secret message'];

const byName = (logs: FlatLog[], name: string) => logs.filter((l) => l.eventName === name);

describe('log-based events (usage level)', () => {
  const e = e2ePerFile([FEATURE_TOOL, TOOL_DIR]);
  let root: FlatSpan;

  beforeAll(async () => {
    const r = await e.run(TOOL, ['throw']);
    expect(r.code).toBe(1);
    await e.receiver.waitFor(() => e.receiver.spans().some((s) => !s.parentSpanId) && byName(e.receiver.logs(), 'exception').length > 0, 15_000);
    root = e.receiver.spans().find((s) => !s.parentSpanId)!;
  });

  it('an uncaught exception is an `exception` event with its class only, in the trace of the run', () => {
    const [ex] = byName(e.receiver.logs(), 'exception');
    expect(ex!.attributes).toEqual({ 'exception.type': 'TypeError' });
    expect(ex!.severityNumber).toBe(17);
    expect(ex!.severityText).toBe('ERROR');
    expect(ex!.traceId).toBe(root.traceId);
    expect(ex!.spanId).toBe(root.spanId);
    expect(ex!.body ?? null).toBeNull(); // no body: everything is in judged attributes
    expect(ex!.resource['service.name']).toBe('fixture-tool');
    expect(ex!.scope.name).toBe('devtool-telemetry');
    expect(root.attributes['error.type']).toBe('TypeError');
  });

  it('went out as OTLP logs on /v1/logs, with no message, stack or planted secret anywhere', () => {
    expect(e.receiver.requests.some((r) => r.path === '/v1/logs' && r.encoding === 'protobuf')).toBe(true);
    const text = e.receiver.rawBodiesText();
    for (const s of SECRETS) expect(text).not.toContain(s);
    expect(text).not.toContain('exception.message');
    expect(text).not.toContain('exception.stacktrace');
  });

  it('the first run of a session emits session.start with the resource session.id', () => {
    const starts = byName(e.receiver.logs(), 'session.start');
    expect(starts).toHaveLength(1);
    expect(starts[0]!.attributes['session.id']).toBe(root.resource['session.id']);
    expect(starts[0]!.attributes['session.previous_id']).toBeUndefined();
  });

  it('a failed step with an exception logs it on the step span; feature uses are events too', async () => {
    e.receiver.reset();
    const r = await e.run(TOOL, ['step']);
    expect(r.code).toBe(0);
    await e.receiver.waitFor(() => byName(e.receiver.logs(), 'exception').length >= 2, 15_000);
    const steps = e.receiver.spans().filter((s) => s.name === 'step run-tests' || s.name === 'step lint');
    const ex = byName(e.receiver.logs(), 'exception');
    expect(ex.map((l) => l.attributes['exception.type']).sort()).toEqual(['RangeError', 'SyntaxError']);
    expect(ex.map((l) => l.spanId).sort()).toEqual(steps.map((s) => s.spanId).sort());
    // The same session: no second session.start.
    expect(byName(e.receiver.logs(), 'session.start')).toHaveLength(0);

    e.receiver.reset();
    expect((await e.run(FEATURES, ['features'])).code).toBe(0);
    await e.receiver.waitFor(() => byName(e.receiver.logs(), 'devtool.feature.used').length > 0, 15_000);
    const uses = byName(e.receiver.logs(), 'devtool.feature.used');
    expect(uses[0]!.attributes).toEqual({
      'devtool.feature.name': 'ask',
      'devtool.feature.prop.source': 'ui',
      'devtool.feature.prop.rows': 10,
      'devtool.feature.prop.cached': true,
    });
    for (const u of uses) for (const k of Object.keys(u.attributes)) expect(k).toMatch(/^devtool\.feature\.(name|prop\.(source|rows|cached|format|dataset))$/);
  });
});

describe('log-based events at other levels and in CI', () => {
  const e = e2ePerFile([TOOL_DIR]);

  it('at full, the exception message is kept but scrubbed of secrets, paths and e-mail addresses', async () => {
    await e.run(TOOL, ['throw'], { DEVTOOL_TELEMETRY_LEVEL: 'full' });
    await e.receiver.waitFor(() => byName(e.receiver.logs(), 'exception').length > 0, 15_000);
    const [ex] = byName(e.receiver.logs(), 'exception');
    expect(ex!.attributes['exception.type']).toBe('TypeError');
    expect(String(ex!.attributes['exception.message'])).toMatch(/^secret message /);
    const text = e.receiver.rawBodiesText();
    for (const s of SECRETS.slice(0, 3)) expect(text).not.toContain(s);
  });

  it('at minimal, exceptions only (no session or feature events)', async () => {
    e.receiver.reset();
    await e.run(TOOL, ['throw'], { DEVTOOL_TELEMETRY_LEVEL: 'minimal' });
    await e.receiver.waitFor(() => byName(e.receiver.logs(), 'exception').length > 0, 15_000);
    expect(e.receiver.logs().map((l) => l.eventName)).toEqual(['exception']);
    expect(e.receiver.logs()[0]!.attributes).toEqual({ 'exception.type': 'TypeError' });
  });

  it('a per-process session (CI) starts and ends with its run', async () => {
    e.receiver.reset();
    await e.run(TOOL, ['ok'], { CI: 'true' });
    await e.receiver.waitFor(() => byName(e.receiver.logs(), 'session.end').length > 0, 15_000);
    const root = e.receiver.spans().find((s) => !s.parentSpanId)!;
    const [start] = byName(e.receiver.logs(), 'session.start');
    const [end] = byName(e.receiver.logs(), 'session.end');
    expect(start!.attributes).toEqual({ 'session.id': root.resource['session.id'] });
    expect(end!.attributes).toEqual({ 'session.id': root.resource['session.id'] });
    expect(BigInt(end!.timeUnixNano!)).toBeGreaterThanOrEqual(BigInt(start!.timeUnixNano!));
  });
});

describe('GenAI content events (full level only)', () => {
  const llm = fakeLlmPerFile();

  it('at full, one gen_ai.client.inference.operation.details event per call, on its span, content scrubbed', async () => {
    const key = 'sk-proj-Ab3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3zA5';
    const { receiver: r } = await runApp(llm, { entry: 'cjs', scenario: 'messages', model: 'claude-test', level: 'full', env: { PROMPT_EXTRA: `key ${key}` } });
    const [span] = llmSpans(r);
    const details = byName(r.logs(), 'gen_ai.client.inference.operation.details');
    expect(details).toHaveLength(1);
    const a = details[0]!.attributes;
    expect(details[0]!.spanId).toBe(span!.spanId);
    expect(a['gen_ai.operation.name']).toBe(span!.attributes['gen_ai.operation.name']);
    expect(a['gen_ai.provider.name']).toBe(span!.attributes['gen_ai.provider.name']);
    expect(String(a['gen_ai.input.messages'])).toContain(PROMPT);
    expect(String(a['gen_ai.output.messages'])).toContain(COMPLETION);
    expect(r.rawBodiesText()).not.toContain(key);
  });

  it('at usage, no content event and no content anywhere', async () => {
    const { receiver: r } = await runApp(llm, { entry: 'cjs', scenario: 'messages', model: 'claude-test', level: 'usage' });
    expect(llmSpans(r).length).toBeGreaterThan(0);
    expect(byName(r.logs(), 'gen_ai.client.inference.operation.details')).toHaveLength(0);
    expect(r.rawBodiesText()).not.toContain(PROMPT);
  });
});
