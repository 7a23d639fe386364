/**
 * Third-party OpenTelemetry instrumentation and the OTel API record into the run through
 * tracerProvider(), and everything they set passes the one sanitizer.
 */
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { linkPackage, REPO_ROOT } from '../support/run-fixture';
import { harnessPerFile, runAndCollect } from './helpers';

const dir = path.join(REPO_ROOT, 'test/fixtures/third-party');
beforeAll(() => linkPackage(dir));
const h = harnessPerFile();

describe('tracerProvider() for the OpenTelemetry API', () => {
  it('records instrumentation-http and API spans under the run, sanitized', async () => {
    const { run, spans, root } = await runAndCollect(h, { script: path.join(dir, 'app.js'), args: [], mode: 'require' });
    expect(run.code).toBe(0);
    expect(run.stdout).toBe('third-party done\n');
    await h.receiver.waitFor(() => h.receiver.spans().filter((s) => s.traceId === root.traceId).length >= 4, 10_000);
    const all = h.receiver.spans().filter((s) => s.traceId === root.traceId);
    const server = all.find((s) => s.kind === 2);
    const client = all.find((s) => s.kind === 3);
    expect(server, JSON.stringify(all.map((s) => s.name))).toBeDefined();
    expect(client).toBeDefined();
    expect(server!.attributes['http.request.method'] ?? server!.attributes['http.method']).toBeDefined();
    const custom = all.find((s) => s.attributes['devtool.step.name'] === 'custom')!;
    expect(custom).toBeDefined();
    expect(custom.parentSpanId).toBe(root.spanId);
    expect(custom.attributes['http.route']).toBe('/users/:id');
    expect(custom.attributes['error.type']).toBe('TypeError');
    expect(custom.attributes).not.toHaveProperty('user.email');
    expect(custom.status.code).toBe(2);
    const text = h.receiver.rawBodiesText();
    for (const secret of ['hunter2-PASSWORD', 'QUERY-SECRET', 'HEADER-SECRET', 'alice@example.com', 'STATUS-SECRET', 'EXCEPTION-SECRET', '4711', 'deadbeefcafe1234']) {
      expect(text, secret).not.toContain(secret);
    }
    expect(spans.length).toBeGreaterThan(0);
  });
});
