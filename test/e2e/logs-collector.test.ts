/**
 * The Logs signal end to end, nothing mocked: a preloaded fixture -> spool -> detached shipper
 * (POST /v1/logs) -> our collector build with otel-collector.yaml (memory_limiter, filter/content,
 * devtool_redact) -> its logs backend (the file/logs exporter). At `full` the SDK keeps a scrubbed
 * exception message (shown by the same run under debug); the collector strips it again before storage.
 */
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error: plain ESM helper shared with `npm run stack` and the demo
import { collectorLogsFile, readCollectorLogs } from '../../scripts/stack-lib.mjs';
import { makeSandbox, runFixture, type Sandbox } from '../support/run-fixture';
import { eventually, startPrivateStack, type PrivateStack } from './private-stack';

interface StoredLog {
  eventName?: string;
  severityText?: string;
  traceId?: string;
  spanId?: string;
  attributes: Record<string, unknown>;
  resource: Record<string, unknown>;
}

let stack: PrivateStack;
let sb: Sandbox;

beforeAll(async () => {
  stack = await startPrivateStack();
  sb = makeSandbox();
}, 900_000);

afterAll(async () => {
  await stack?.stop();
  sb?.cleanup();
});

const env = (extra: Record<string, string> = {}) => ({ ...sb.env, OTEL_EXPORTER_OTLP_ENDPOINT: stack.endpoints.otlpHttp, ...extra });

describe('preload -> collector -> logs backend', { timeout: 240_000 }, () => {
  it('an exception event reaches the logs file with its class, in the trace of the run, its message stripped', async () => {
    const r = await runFixture({ script: 'fixture-tool/cli.js', args: ['throw'], mode: 'require', env: env({ DEVTOOL_TELEMETRY_LEVEL: 'full' }) });
    expect(r.code).toBe(1);
    // What the SDK itself sends at full (the same run under debug prints it instead): a scrubbed message.
    const debug = await runFixture({ script: 'fixture-tool/cli.js', args: ['throw'], mode: 'require', env: env({ DEVTOOL_TELEMETRY_LEVEL: 'full', DEVTOOL_TELEMETRY_DEBUG: '1' }) });
    const sent = /"exception\.message": ("(?:[^"\\]|\\.)*")/.exec(debug.stderr);
    expect(sent, debug.stderr).not.toBeNull();
    const message = JSON.parse(sent![1]!) as string;
    expect(message).toMatch(/^secret message /);
    for (const s of ['sk-FIXTURE-0123456789abcdef', 'alice@example.com', '/home/alice']) expect(message).not.toContain(s);

    const file = collectorLogsFile(stack.workDir) as string;
    const logs = await eventually(
      async () => readCollectorLogs(file) as StoredLog[],
      (l) => l.some((x) => x.eventName === 'exception'),
      60_000,
      `an exception event in ${path.basename(file)}`,
    );
    const ex = logs.find((l) => l.eventName === 'exception')!;
    expect(ex.severityText).toBe('ERROR');
    expect(ex.attributes['exception.type']).toBe('TypeError');
    expect(ex.attributes['exception.message']).toBeUndefined(); // an identifying key: dropped by devtool_redact
    expect(ex.resource['service.name']).toBe('fixture-tool');
    expect(ex.resource['host.name']).toBeUndefined();
    expect(ex.traceId).toMatch(/^[0-9a-f]{32}$/);

    // The same run's command span is in Jaeger, in the same trace as the event.
    const traces = await eventually(() => stack.queryJaegerTraces('fixture-tool'), (t) => t.some((x) => x.traceID === ex.traceId), 60_000, 'the run in Jaeger');
    expect(traces.find((t) => t.traceID === ex.traceId)!.spans.some((s) => s.operationName === 'fixture-tool throw')).toBe(true);

    const starts = logs.filter((l) => l.eventName === 'session.start');
    expect(starts.length).toBeGreaterThan(0);
    expect(starts[0]!.attributes['session.id']).toMatch(/^[0-9a-f-]{36}$/);

    const text = JSON.stringify(readCollectorLogs(file));
    for (const s of ['secret message', 'sk-FIXTURE', 'alice@example.com', '/home/alice']) expect(text).not.toContain(s);
  });
});
