// HTTP server request telemetry under the preload, end to end through the shipper to the receiver:
// Express and Fastify give route templates, plain node:http gives paths with ids replaced; never
// query strings, headers, bodies or client addresses. Loaded only when the app serves HTTP.
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { FlatSpan } from '../support/otlp-receiver';
import { runFixture, runPlain } from '../support/run-fixture';
import { histogramTotals, points, startE2E, e2ePerFile } from '../features/e2e';

const APP_DIR = path.join(__dirname, 'fixtures', 'http-app');
const SECRETS = ['sk-header-secret', 'cookie-secret', 'query-secret', 'alice@example.com', 'body-secret-hunter2', 'token=', '127.0.0.1', '88127731', '9f1c0b2e7d', '5550199173'];
const SERVER = 2; // OTLP SpanKind SERVER as decoded by the receiver

const CASES = [
  { app: 'express-app.js', users: '/users/:id', runs: '/projects/{id}/runs/:rid' },
  { app: 'fastify-app.js', users: '/users/:id', runs: '/projects/:pid/runs/:rid' },
  { app: 'node-app.js', users: '/users/{id}', runs: '/projects/{id}/runs/{id}' },
];

describe.each(CASES)('$app under the preload', ({ app, users, runs }) => {
  const e = e2ePerFile([]);
  let spans: FlatSpan[];
  let stdout = '';

  beforeAll(async () => {
    const r = await e.run(path.join(APP_DIR, app));
    stdout = r.stdout;
    expect(r.code, r.stderr).toBe(0);
    await e.receiver.waitFor(() => e.receiver.spans().some((s) => s.name === 'http-app') && e.receiver.metrics().some((m) => m.name === 'http.server.request.duration'), 15_000);
    spans = e.receiver.spans().filter((s) => s.kind === SERVER);
  });

  it('behaves exactly as without telemetry', async () => {
    const plain = await runPlain({ script: path.join(APP_DIR, app), env: e.env, cwd: e.sb.home });
    expect(plain.code).toBe(0);
    expect(stdout).toContain('codes 200,200,200,201,404,500');
    expect(stdout.replace('recorder loaded true', 'recorder loaded false')).toBe(plain.stdout);
  });

  it('records one SERVER span per request, named {method} {route} ({method} alone when unmatched), under the command span', () => {
    expect(spans.map((s) => s.name).sort()).toEqual(
      [`GET ${users}`, `GET ${users}`, `GET ${runs}`, 'POST /items', 'GET', 'GET /boom'].sort(),
    );
    const root = e.receiver.spans().find((s) => s.name === 'http-app')!;
    for (const s of spans) {
      expect(s.parentSpanId).toBe(root.spanId);
      expect(s.traceId).toBe(root.traceId);
    }
  });

  it('keeps method, route, status, scheme, protocol version; the path only when it has no id', () => {
    const byName = (n: string) => spans.filter((s) => s.name === n);
    const u = byName(`GET ${users}`)[0]!;
    // `/users/42`: a path with an id is omitted (url.path is the real path or nothing).
    expect(u.attributes).toEqual({
      'http.request.method': 'GET',
      'http.route': users,
      'http.response.status_code': 200,
      'url.scheme': 'http',
      'network.protocol.version': '1.1',
    });
    expect(byName(`GET ${runs}`)[0]!.attributes['url.path']).toBeUndefined();
    expect(byName('POST /items')[0]!.attributes['http.response.status_code']).toBe(201);
    expect(byName('POST /items')[0]!.attributes['url.path']).toBe('/items');
    // The unmatched request: no route, no path (it had an id), span named by the method alone.
    const missing = byName('GET')[0]!;
    expect(missing.attributes['http.response.status_code']).toBe(404);
    expect(missing.attributes['http.route']).toBeUndefined();
    expect(missing.attributes['url.path']).toBeUndefined();
    expect(missing.status.code).not.toBe(2);
    expect(missing.attributes['error.type']).toBeUndefined();
    const boom = byName('GET /boom')[0]!;
    expect(boom.attributes['http.response.status_code']).toBe(500);
    expect(boom.attributes['url.path']).toBe('/boom');
    expect(boom.attributes['error.type']).toBe('500');
    expect(boom.status.code).toBe(2); // ERROR on 5xx only
  });

  it('exports http.server.request.duration by method, route and status', () => {
    const m = e.receiver.metrics();
    const metric = m.find((x) => x.name === 'http.server.request.duration')!;
    expect(metric.unit).toBe('s');
    expect(histogramTotals(m, 'http.server.request.duration', { 'http.route': users, 'http.response.status_code': 200 }).count).toBe(2);
    expect(histogramTotals(m, 'http.server.request.duration').count).toBe(6);
    const all = points(m, 'http.server.request.duration');
    // url.scheme is required on the metric; the unmatched 404 has no http.route series of its own.
    for (const p of all) expect(p.attributes['url.scheme']).toBe('http');
    for (const p of all) expect(p.attributes['network.protocol.version']).toBe('1.1');
    const notFound = all.filter((p) => p.attributes['http.response.status_code'] === 404);
    expect(notFound.length).toBe(1);
    expect(notFound[0]!.attributes['http.route']).toBeUndefined();
    expect(all.find((p) => p.attributes['http.response.status_code'] === 500)!.attributes['error.type']).toBe('500');
    expect(all[0]!.bounds).toEqual([0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10]);
  });

  it('never sends query strings, headers, bodies, ids or addresses', () => {
    const text = e.receiver.rawBodiesText();
    for (const s of SECRETS) expect(text).not.toContain(s);
  });
});

describe('apps that do not serve HTTP', () => {
  it('never load the request recorder', async () => {
    const e = await startE2E([]);
    try {
      const r = await runFixture({ script: path.join(APP_DIR, 'no-server.js'), env: e.env, mode: 'require', cwd: e.sb.home });
      expect(r.stdout.trim()).toBe('recorder loaded false');
    } finally {
      await e.close();
    }
  });
});

describe('an ES module app under --import', () => {
  it('gets the same request spans, with paths templated', async () => {
    const e = await startE2E([]);
    try {
      const r = await e.run(path.join(APP_DIR, 'esm-app.mjs'), [], {}, { mode: 'import' });
      expect(r.stdout.trim()).toBe('codes 200,200,200,201,404,500');
      await e.receiver.waitFor(() => e.receiver.spans().filter((s) => s.kind === SERVER).length === 6, 15_000);
      const names = e.receiver.spans().filter((s) => s.kind === SERVER).map((s) => s.name).sort();
      expect(names).toEqual(['GET', 'GET /boom', 'GET /projects/{id}/runs/{id}', 'GET /users/{id}', 'GET /users/{id}', 'POST /items']);
      for (const s of SECRETS) expect(e.receiver.rawBodiesText()).not.toContain(s);
    } finally {
      await e.close();
    }
  });
});
