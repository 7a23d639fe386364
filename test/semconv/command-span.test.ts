// The command span and run metrics as the CLI and process conventions describe them, end to end:
// a real tool process under the preload, through the shipper to the OTLP receiver.
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { FlatSpan } from '../support/otlp-receiver';
import { counterTotal, points, e2ePerFile } from '../features/e2e';

const TOOL = path.join(__dirname, '..', 'fixtures', 'fixture-tool', 'cli.js');

describe('a run that exits 2 without an exception', () => {
  const e = e2ePerFile([]);
  let root: FlatSpan;
  let pid: number | undefined;

  beforeAll(async () => {
    const r = await e.run(TOOL, ['exitcode', '2']);
    expect(r.code, r.stderr).toBe(2);
    pid = r.pid;
    await e.receiver.waitFor(() => e.receiver.spans().some((s) => !s.parentSpanId) && e.receiver.metrics().some((m) => m.name === 'process.cpu.time'), 15_000);
    root = e.receiver.spans().find((s) => !s.parentSpanId)!;
  });

  it('has the required CLI attributes and error.type = the exit code', () => {
    expect(root.name).toBe('fixture-tool exitcode');
    expect(root.attributes['process.exit.code']).toBe(2);
    expect(root.attributes['error.type']).toBe('2');
    expect(root.status.code).toBe(2); // ERROR
    expect(root.attributes['process.executable.name']).toBe(path.basename(process.execPath));
    expect(root.attributes['process.pid']).toBeGreaterThan(0);
    if (pid !== undefined) expect(root.attributes['process.pid']).toBe(pid);
  });

  it('counts the failed run with error.type on devtool.command.runs', () => {
    expect(counterTotal(e.receiver.metrics(), 'devtool.command.runs', { 'error.type': '2', 'devtool.command.outcome': 'failure' })).toBe(1);
  });

  it('reports CPU seconds as process.cpu.time by cpu.mode (a counter in seconds)', () => {
    const m = e.receiver.metrics().find((x) => x.name === 'process.cpu.time')!;
    expect(m.unit).toBe('s');
    const user = points(e.receiver.metrics(), 'process.cpu.time', { 'cpu.mode': 'user', 'devtool.command.name': 'fixture-tool exitcode' });
    const system = points(e.receiver.metrics(), 'process.cpu.time', { 'cpu.mode': 'system' });
    expect(user.length).toBeGreaterThan(0);
    expect(system.length).toBeGreaterThan(0);
    expect(user[0]!.value as number).toBeGreaterThan(0);
    // The same figure as the span's own attribute (seconds, not microseconds).
    expect(user[0]!.value as number).toBeCloseTo(root.attributes['devtool.process.cpu.user'] as number, 6);
  });

  it('carries session.id and app.installation.id on the resource, never the old devtool.* names', () => {
    expect(typeof root.resource['session.id']).toBe('string');
    expect(root.resource['devtool.session.id']).toBeUndefined();
    expect(root.resource['devtool.install.id']).toBeUndefined();
    expect(e.receiver.rawBodiesText()).not.toContain('devtool.session.id');
  });
});
