/**
 * Two tools of one user, configured for different collectors, run at once: each collector gets
 * its own tool's records and nothing of the other's (a shipper started by one tool must never send
 * another tool's data to its endpoint), and both deliver in full.
 */
import { describe, expect, it } from 'vitest';
import { receiverPerFile, sandboxPerFile } from '../support/hooks';
import type { Receiver } from '../support/otlp-receiver';
import { runFixture } from '../support/run-fixture';

const sb = sandboxPerFile();
const a = receiverPerFile();
const b = receiverPerFile();

describe('records go to the destination they were recorded for', () => {
  it('interleaved runs of two tools with two endpoints never cross', async () => {
    const runs: Array<Promise<unknown>> = [];
    for (let i = 0; i < 6; i++) {
      runs.push(runFixture({ script: 'fixture-tool/cli.js', args: ['ok'], mode: 'require', env: { ...sb.env, OTEL_EXPORTER_OTLP_ENDPOINT: a.url } }));
      runs.push(runFixture({ script: 'fixture-esm/cli.mjs', args: ['ok'], mode: 'import', env: { ...sb.env, OTEL_EXPORTER_OTLP_ENDPOINT: b.url } }));
    }
    await Promise.all(runs);
    const roots = (r: Receiver) => r.spans().filter((s) => !s.parentSpanId);
    await a.waitFor(() => roots(a).length === 6, 20_000);
    await b.waitFor(() => roots(b).length === 6, 20_000);
    expect(new Set(roots(a).map((s) => s.resource['service.name']))).toEqual(new Set(['fixture-tool']));
    expect(new Set(roots(b).map((s) => s.resource['service.name']))).toEqual(new Set(['fixture-esm']));
    expect(a.metrics().every((m) => m.resource['service.name'] === 'fixture-tool')).toBe(true);
    expect(b.metrics().every((m) => m.resource['service.name'] === 'fixture-esm')).toBe(true);
  });
});
