/**
 * The planted-secrets corpus through the sanitizer, in every position a record can carry a string:
 * free text, span and event names, status messages, resource attributes (as OTEL_RESOURCE_ATTRIBUTES
 * would set them), span/metric attributes of every rule kind, URL paths, and GenAI content at `full`.
 * The end-to-end variant with real processes is corpus-e2e.test.ts.
 */
import { describe, expect, it } from 'vitest';
import corpus from '../fixtures/secrets/corpus.json';
import type { Batch } from '../../src/model/records';
import { CATALOG } from '../../src/privacy/catalog';
import { createSanitizer, type SanitizeContext } from '../../src/privacy/sanitize';
import { batch, span } from './helpers';

interface Entry { kind: string; value: string; secret: string; context?: { user: string; host: string } }
const entries = (corpus as { entries: Entry[] }).entries;

const KINDS = [
  'email', 'ipv4', 'ipv6', 'url-credentials', 'url-query', 'bearer', 'basic', 'jwt', 'private-key', 'openai', 'anthropic', 'github',
  'gitlab', 'aws-access-key-id', 'aws-secret-key', 'google-api-key', 'slack', 'stripe', 'huggingface', 'npm', 'high-entropy', 'phone',
  'card', 'home-path', 'user-name', 'host-name', 'key-value-secret',
];

function ctxFor(e: Entry): SanitizeContext {
  return { level: 'full', home: '/home/tester', user: 'tester', host: 'tester-box', cwd: '/srv/app', ...(e.context ?? {}) };
}

/** One batch carrying the value everywhere a string can go. */
function planted(v: string): Batch {
  const stringKeys = CATALOG.filter((s) => s.type === 'string').map((s) => s.key);
  const all = Object.fromEntries(stringKeys.map((k) => [k, v]));
  return batch('full', {
    resource: { ...Object.fromEntries(CATALOG.filter((s) => s.on.includes('resource') && s.type === 'string').map((s) => [s.key, v])), 'custom.attr': v },
    spans: [
      span(
        { ...all, 'devtool.command.flags': [v, `--${v}`, `--flag=${v}`], 'gen_ai.response.finish_reasons': [v], 'url.path': `/api/${v}/x?token=${v}`, [v]: v },
        {
          name: `fixture-tool ${v}`,
          status: { code: 2, message: `Error: ${v}` },
          scope: v,
          events: [{ name: v, timeUnixNano: '1', attributes: { ...all, 'exception.message': v, 'exception.stacktrace': `at ${v}` } }],
          links: [{ traceId: 'a'.repeat(32), spanId: 'b'.repeat(16), attributes: all }],
        },
      ),
      span({ 'url.path': v, 'http.route': v }, { name: `GET ${v}` }),
    ],
    metrics: [
      { name: 'devtool.command.runs', unit: v, description: v, type: 'sum', startTimeUnixNano: '1', timeUnixNano: '2', points: [{ attributes: all, value: 1 }] },
      { name: v, unit: '1', description: v, type: 'sum', startTimeUnixNano: '1', timeUnixNano: '2', points: [{ attributes: all, value: 1 }] },
    ],
  });
}

describe('planted-secrets corpus', () => {
  it('holds at least 200 fake values covering every kind', () => {
    expect(entries.length).toBeGreaterThanOrEqual(200);
    const kinds = new Set(entries.map((e) => e.kind));
    for (const k of KINDS) expect(kinds.has(k), k).toBe(true);
    for (const e of entries) expect(e.value, e.kind).toContain(e.secret);
  });

  it.each(entries.map((e, i) => [i, e.kind, e] as const))('#%i %s never survives, in any position', (_i, _kind, e) => {
    const s = createSanitizer(ctxFor(e));
    const needle = e.secret.toLowerCase();
    for (const v of [e.value, `prefix ${e.value} suffix`, `"${e.value}"`, `(${e.value})`, `${e.value}\n${e.value}`]) {
      const out = JSON.stringify(s.batch(planted(v))).toLowerCase();
      expect(out.includes(needle), `${JSON.stringify(v)} leaked`).toBe(false);
      // JSON escaping (\n, \") must not hide a multi-line secret from the check
      expect(out.includes(JSON.stringify(e.secret).slice(1, -1).toLowerCase())).toBe(false);
      expect(s.text(v).toLowerCase().includes(needle)).toBe(false);
    }
  });

  it('and a clean batch still carries what it should', () => {
    const s = createSanitizer({ level: 'usage' });
    const out = s.batch(planted('fixture-tool'));
    expect(out.resource['service.name']).toBe('fixture-tool');
    expect(out.spans[0]!.name).toBe('fixture-tool fixture-tool');
  });
});
