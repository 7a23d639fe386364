// OTEL_LOGS_EXPORTER, as the SDK environment specification reads it (otlp, console, none; a list),
// against real preloaded tool processes and the test OTLP receiver: log-based events follow it,
// spans and metrics do not.
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseExportersEnv } from '../../src/settings/exporters';
import { e2ePerFile } from '../features/e2e';
import { batchFiles } from '../support/spool-helpers';

const TOOL = path.join(__dirname, '..', 'fixtures', 'fixture-tool', 'cli.js');

const e = e2ePerFile([]);

/** One run that throws (an `exception` event) with `extra` env; what reached the receiver from it. */
async function runWith(extra: Record<string, string>) {
  e.receiver.reset();
  const r = await e.run(TOOL, ['throw'], extra);
  expect(r.code, r.stderr).toBe(1);
  await e.receiver.waitFor(() => e.receiver.metrics().some((m) => m.name === 'devtool.command.runs'), 15_000);
  return { r, logs: e.receiver.logs(), spans: e.receiver.spans(), logRequests: e.receiver.requests.filter((q) => q.path === '/v1/logs') };
}

describe('OTEL_LOGS_EXPORTER', () => {
  it('unset (otlp): the exception event is sent to /v1/logs', async () => {
    const { logs, spans } = await runWith({});
    expect(logs.some((l) => l.eventName === 'exception')).toBe(true);
    expect(spans.length).toBeGreaterThan(0);
  });

  it('=none: no log record leaves the process; spans and metrics still do', async () => {
    const { logRequests, spans } = await runWith({ OTEL_LOGS_EXPORTER: 'none' });
    expect(logRequests).toEqual([]);
    expect(spans.some((s) => s.name === 'fixture-tool throw')).toBe(true);
    expect(batchFiles(e.env)).toEqual([]);
  });

  it('=console: log records printed to stderr (sanitized, like debug mode), not sent; spans still sent', async () => {
    const { r, logRequests, spans } = await runWith({ OTEL_LOGS_EXPORTER: 'console' });
    expect(logRequests).toEqual([]);
    expect(spans.length).toBeGreaterThan(0);
    const printed = r.stderr.slice(r.stderr.indexOf('[devtool-telemetry] console: '));
    expect(printed).toContain('"eventName": "exception"');
    expect(printed).toContain('"exception.type": "TypeError"');
    // Only the logs: spans and metrics keep their own (default) exporter.
    const json = JSON.parse(printed.slice('[devtool-telemetry] console: '.length, printed.indexOf('\n}\n') + 2)) as { spans: unknown[]; metrics: unknown[]; logs: unknown[] };
    expect(json.spans).toEqual([]);
    expect(json.metrics).toEqual([]);
    expect(json.logs.length).toBeGreaterThan(0);
    expect(printed.slice(0, printed.indexOf('\n}\n'))).not.toContain('sk-FIXTURE');
  });

  it('=otlp,console: sent and printed', async () => {
    const { r, logs } = await runWith({ OTEL_LOGS_EXPORTER: 'otlp,console' });
    expect(logs.some((l) => l.eventName === 'exception')).toBe(true);
    expect(r.stderr).toContain('"eventName": "exception"');
  });

  it('an unknown value is ignored (the default applies) and reported under debug', () => {
    const cfg = parseExportersEnv({ OTEL_LOGS_EXPORTER: 'zipkin' });
    expect(cfg.logs).toEqual({ otlp: true, console: false });
    expect(cfg.problems.join('\n')).toMatch(/OTEL_LOGS_EXPORTER: "zipkin" is not supported/);
    expect(parseExportersEnv({ OTEL_LOGS_EXPORTER: ' None ' }).logs).toEqual({ otlp: false, console: false });
  });
});
