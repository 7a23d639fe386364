// OTEL_LOG_LEVEL: our own diagnostic output on stderr (the SDK environment specification's levels),
// against real preloaded tool processes: silent unless asked (a tool's users never see us), problems
// at warn, the consent decision at info, one line per spooled batch at debug, and records still sent
// at every level (unlike DEVTOOL_TELEMETRY_DEBUG).
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { LOG_LEVELS, logs, parseLogLevel } from '../../src/settings/log-level';
import { e2ePerFile } from '../features/e2e';

const TOOL = path.join(__dirname, '..', 'fixtures', 'fixture-tool', 'cli.js');
const OURS = /^\[devtool-telemetry\] (\w+): (.*)$/gm;

const e = e2ePerFile([]);
beforeAll(async () => {
  await e.run(TOOL, ['ok']); // the notice and the session start happen on this first run
});

/** Our stderr lines of one run (kind, text), and whether its spans still reached the receiver. */
async function runWith(extra: Record<string, string>) {
  e.receiver.reset();
  const r = await e.run(TOOL, ['ok'], extra);
  expect(r.code).toBe(0);
  await e.receiver.waitFor(() => e.receiver.spans().length > 0, 15_000);
  const lines = [...r.stderr.matchAll(OURS)].map((m) => [m[1]!, m[2]!] as const);
  return { lines, stderr: r.stderr, sent: e.receiver.spans().length };
}

describe('OTEL_LOG_LEVEL', () => {
  it('unset: silent, even with a configuration problem', async () => {
    const { stderr, sent } = await runWith({ OTEL_TRACES_EXPORTER: 'zipkin,otlp' });
    expect(stderr).toBe('ok: stderr line\n');
    expect(sent).toBeGreaterThan(0);
  });

  it('=none: silent', async () => {
    const { stderr } = await runWith({ OTEL_LOG_LEVEL: 'none', OTEL_TRACES_EXPORTER: 'zipkin,otlp' });
    expect(stderr).toBe('ok: stderr line\n');
  });

  it('=warn (and =error below it): the problem, naming the variable; records still sent', async () => {
    const warn = await runWith({ OTEL_LOG_LEVEL: 'warn', OTEL_TRACES_EXPORTER: 'zipkin,otlp' });
    expect(warn.lines).toContainEqual(['warn', 'OTEL_TRACES_EXPORTER: "zipkin" is not supported (otlp, console, none); ignored']);
    expect(warn.lines.map(([k]) => k)).not.toContain('info');
    expect(warn.sent).toBeGreaterThan(0);
    const error = await runWith({ OTEL_LOG_LEVEL: 'error', OTEL_TRACES_EXPORTER: 'zipkin,otlp' });
    expect(error.lines).toEqual([]);
  });

  it('=info: also the consent decision; =debug: also each spooled batch; never a record itself', async () => {
    const info = await runWith({ OTEL_LOG_LEVEL: 'INFO' });
    expect(info.lines).toEqual([['info', expect.stringMatching(/^telemetry level usage \(decided by /)]]);
    const debug = await runWith({ OTEL_LOG_LEVEL: 'debug' });
    expect(debug.lines.map(([k]) => k)).toEqual(['info', 'debug']);
    expect(debug.lines[1]![1]).toMatch(/^spooled batch [\w-]+ \(level usage\): 1 spans, \d+ metric points, 0 log records$/);
    expect(debug.sent).toBeGreaterThan(0);
    expect(debug.stderr).not.toContain('"traceId"');
  });

  it('=error: a batch that cannot be spooled says why; the tool runs on', async () => {
    // A spool limit smaller than any batch: the write is refused.
    e.receiver.reset();
    const r = await e.run(TOOL, ['ok'], { OTEL_LOG_LEVEL: 'error', DEVTOOL_TELEMETRY_SPOOL_MAX_BYTES: '16' });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('ok: stdout line\n');
    const lines = [...r.stderr.matchAll(OURS)].map((m) => [m[1]!, m[2]!]);
    expect(lines).toEqual([['error', expect.stringMatching(/^records not spooled: /)]]);
    expect(e.receiver.requests).toEqual([]);
  });

  it('an unknown value: silent, and explained under DEVTOOL_TELEMETRY_DEBUG', async () => {
    expect(parseLogLevel({ OTEL_LOG_LEVEL: 'loud' })).toEqual({ level: 'none', problem: expect.stringMatching(/^OTEL_LOG_LEVEL: "loud" is not one of none, error, warn/) });
    e.receiver.reset();
    const r = await e.run(TOOL, ['ok'], { OTEL_LOG_LEVEL: 'loud', DEVTOOL_TELEMETRY_DEBUG: '1' });
    expect(r.stderr).toMatch(/debug: OTEL_LOG_LEVEL: "loud" is not one of/);
  });

  it('levels nest as the specification orders them', () => {
    expect(LOG_LEVELS).toEqual(['none', 'error', 'warn', 'info', 'debug', 'verbose', 'all']);
    expect(logs('all', 'error') && logs('verbose', 'debug') && logs('warn', 'error')).toBe(true);
    expect(logs('warn', 'info') || logs('none', 'error') || logs('error', 'warn')).toBe(false);
  });
});
