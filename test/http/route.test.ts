// Route templating (pure) and the bound on fallback routes (a real scanner process).
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { isIdSegment, joinRoute, normalizeMethod, templatePath } from '../../src/instrument/http/route';
import { histogramTotals, points, startE2E } from '../features/e2e';

describe('templatePath', () => {
  it.each([
    ['/projects/8812/runs/9f1c0b2e', '/projects/{id}/runs/{id}'],
    ['/users/42?token=abc&x=1', '/users/{id}'],
    ['/a/b#frag', '/a/b'],
    ['/u/3fa85f64-5717-4562-b3fc-2c963f66afa6', '/u/{id}'],
    ['/customers/cus_NffrFeUfNV2Hib', '/customers/{id}'],
    ['/mail/alice%40example.com', '/mail/{id}'],
    ['/files/report.pdf', '/files/report.pdf'],
    ['/api/v2/health', '/api/v2/health'],
    ['/users/:id', '/users/:id'],
    ['/items/{itemId}', '/items/{itemId}'],
    ['http://example.com/x/123?q=1', '/x/{id}'],
    ['', '/'],
    ['*', '*'],
  ])('%s -> %s', (input, out) => {
    expect(templatePath(input)).toBe(out);
  });

  it('is bounded and never throws on hostile input', () => {
    const long = '/' + 'a/'.repeat(100_000) + '?' + 'x'.repeat(1e6);
    const t0 = performance.now();
    const out = templatePath(long);
    expect(performance.now() - t0).toBeLessThan(200);
    expect(out.length).toBeLessThanOrEqual(1024);
    expect(out.split('/').length).toBeLessThanOrEqual(19);
    expect(() => templatePath(undefined as unknown as string)).not.toThrow();
    expect(isIdSegment('a'.repeat(49))).toBe(true);
  });

  it('joins Express mount paths with route templates', () => {
    expect(joinRoute('/projects/8812', '/runs/:rid')).toBe('/projects/{id}/runs/:rid');
    expect(joinRoute('', '/users/:id')).toBe('/users/:id');
    expect(joinRoute('/api/', 'x')).toBe('/api/x');
  });

  it('folds unknown methods into _OTHER', () => {
    expect(normalizeMethod('GET')).toBe('GET');
    expect(normalizeMethod('BREW')).toBe('_OTHER');
    expect(normalizeMethod(undefined)).toBe('_OTHER');
  });
});

describe('fallback routes under a scanner', () => {
  it('stay bounded: at most 100 distinct, the rest is _OTHER', async () => {
    const e = await startE2E([]);
    try {
      const r = await e.run(path.join(__dirname, 'fixtures', 'http-app', 'scan-app.js'));
      expect(r.stdout.trim()).toBe('scanned 300');
      await e.receiver.waitFor(() => e.receiver.metrics().some((m) => m.name === 'http.server.request.duration'), 15_000);
      const pts = points(e.receiver.metrics(), 'http.server.request.duration');
      const routes = new Set(pts.map((p) => p.attributes['http.route']));
      expect(routes.size).toBe(101);
      expect(routes.has('_OTHER')).toBe(true);
      expect(histogramTotals(e.receiver.metrics(), 'http.server.request.duration', { 'http.route': '_OTHER' }).count).toBe(200);
      expect(histogramTotals(e.receiver.metrics(), 'http.server.request.duration').count).toBe(300);
    } finally {
      await e.close();
    }
  });
});
