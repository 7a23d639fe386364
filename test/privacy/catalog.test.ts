import { afterEach, describe, expect, it } from 'vitest';
import {
  CATALOG, METRICS, catalogAsJson, defineAttributes, defineMetrics, findAttribute, resetExtensionsForTests, rule, type AttributeSpec,
} from '../../src/privacy/catalog';
import { createSanitizer } from '../../src/privacy/sanitize';
import { CTX } from './helpers';

afterEach(() => resetExtensionsForTests());

// The keys the recorder, resource detector and instrumentations emit (issue 5): each must be in the catalog.
const EXPECTED: Array<[string, string, string]> = [
  ['service.name', 'string', 'minimal'], ['service.version', 'string', 'minimal'], ['service.instance.id', 'string', 'minimal'],
  ['os.type', 'string', 'minimal'], ['os.version', 'string', 'usage'], ['os.name', 'string', 'usage'], ['os.description', 'string', 'usage'],
  ['host.arch', 'string', 'minimal'], ['process.runtime.name', 'string', 'minimal'], ['process.runtime.version', 'string', 'minimal'],
  ['process.runtime.description', 'string', 'usage'], ['telemetry.sdk.name', 'string', 'minimal'], ['telemetry.sdk.language', 'string', 'minimal'],
  ['telemetry.sdk.version', 'string', 'minimal'], ['telemetry.distro.name', 'string', 'minimal'], ['telemetry.distro.version', 'string', 'minimal'],
  ['devtool.ci', 'boolean', 'usage'], ['devtool.ci.vendor', 'string', 'usage'], ['devtool.container', 'boolean', 'usage'],
  ['devtool.agent', 'string', 'usage'], ['app.installation.id', 'string', 'usage'], ['session.id', 'string', 'usage'],
  ['devtool.host.cpu.count', 'int', 'usage'], ['devtool.host.memory.total.bucket', 'string', 'usage'],
  ['devtool.command.name', 'string', 'minimal'], ['devtool.command.outcome', 'string', 'minimal'], ['devtool.command.flags', 'string[]', 'usage'],
  ['process.exit.code', 'int', 'minimal'], ['error.type', 'string', 'minimal'], ['devtool.process.signal', 'string', 'minimal'],
  ['devtool.process.cpu.user', 'double', 'usage'], ['devtool.process.cpu.system', 'double', 'usage'],
  ['devtool.process.memory.peak', 'int', 'usage'], ['devtool.process.memory.heap', 'int', 'usage'],
  ['devtool.step.name', 'string', 'usage'], ['devtool.step.outcome', 'string', 'usage'],
  ['gen_ai.operation.name', 'string', 'usage'], ['gen_ai.provider.name', 'string', 'usage'], ['gen_ai.request.model', 'string', 'usage'],
  ['gen_ai.response.model', 'string', 'usage'], ['gen_ai.usage.input_tokens', 'int', 'usage'], ['gen_ai.usage.output_tokens', 'int', 'usage'],
  ['gen_ai.response.finish_reasons', 'string[]', 'usage'], ['gen_ai.request.max_tokens', 'int', 'usage'],
  ['gen_ai.request.temperature', 'double', 'usage'], ['gen_ai.request.stream', 'boolean', 'usage'],
  ['gen_ai.input.messages', 'string', 'full'], ['gen_ai.output.messages', 'string', 'full'], ['gen_ai.system_instructions', 'string', 'full'],
  ['gen_ai.tool.call.arguments', 'string', 'full'], ['gen_ai.tool.call.result', 'string', 'full'],
  ['gen_ai.prompt', 'string', 'full'], ['gen_ai.completion', 'string', 'full'],
  ['devtool.user_input.kind', 'string', 'usage'], ['http.request.method', 'string', 'usage'], ['http.route', 'string', 'usage'],
  ['http.response.status_code', 'int', 'usage'], ['url.path', 'string', 'usage'], ['url.scheme', 'string', 'usage'],
  ['network.protocol.version', 'string', 'usage'], ['devtool.feature.name', 'string', 'usage'], ['gen_ai.token.type', 'string', 'usage'],
  ['devtool.spool.drop.reason', 'string', 'minimal'],
];
const METRIC_KEYS = [
  'devtool.command.name', 'devtool.command.outcome', 'error.type', 'devtool.step.name', 'devtool.step.outcome', 'devtool.user_input.kind',
  'gen_ai.token.type', 'gen_ai.operation.name', 'gen_ai.provider.name', 'gen_ai.request.model', 'gen_ai.response.model',
  'devtool.feature.name', 'devtool.spool.drop.reason', 'http.request.method', 'http.route', 'http.response.status_code',
];

describe('catalog', () => {
  it.each(EXPECTED)('%s is a %s key from level %s', (key, type, level) => {
    const spec = findAttribute(key);
    expect(spec, key).toBeDefined();
    expect(spec!.type).toBe(type);
    expect(spec!.level).toBe(level);
  });

  it('lists each metric point key as allowed on metrics', () => {
    for (const k of METRIC_KEYS) expect(findAttribute(k)?.on, k).toContain('metric');
  });

  it('has unique keys, descriptions and examples', () => {
    expect(new Set(CATALOG.map((s) => s.key)).size).toBe(CATALOG.length);
    for (const s of CATALOG) {
      expect(s.description.length, s.key).toBeGreaterThan(5);
      expect(s.example, s.key).not.toBeUndefined();
    }
  });

  it('every example passes its own rule unchanged, at its level and on each target', () => {
    const s = createSanitizer({ ...CTX, level: 'full' });
    for (const spec of CATALOG) {
      for (const target of spec.on) {
        const out = s.attributes(target, { [spec.key]: spec.example as never });
        expect(out[spec.key], `${spec.key} on ${target}`).toEqual(spec.example);
      }
    }
  });

  it('drops every key below its level', () => {
    for (const level of ['minimal', 'usage'] as const) {
      const s = createSanitizer({ ...CTX, level });
      for (const spec of CATALOG) {
        const out = s.attributes(spec.on[0]!, { [spec.key]: spec.example as never });
        const allowed = level === 'usage' ? spec.level !== 'full' : spec.level === 'minimal';
        expect(spec.key in out, `${spec.key} at ${level}`).toBe(allowed);
      }
    }
  });

  it('declares the GenAI metric buckets of the semantic conventions', () => {
    const tok = METRICS.find((m) => m.name === 'gen_ai.client.token.usage')!;
    expect(tok.unit).toBe('{token}');
    expect(tok.buckets).toEqual([1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864]);
    const dur = METRICS.find((m) => m.name === 'gen_ai.client.operation.duration')!;
    expect(dur.buckets).toEqual([0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92]);
    for (const m of METRICS) for (const k of m.attributes) expect(findAttribute(k)?.on, `${m.name}: ${k}`).toContain('metric');
    for (const name of ['devtool.command.runs', 'devtool.command.duration', 'devtool.step.duration', 'devtool.user_input.count', 'devtool.spool.dropped', 'devtool.feature.uses']) {
      expect(METRICS.some((m) => m.name === name), name).toBe(true);
    }
  });

  it('catalogAsJson is plain JSON with every key and a rule description', () => {
    const j = catalogAsJson();
    const round = JSON.parse(JSON.stringify(j));
    expect(round.attributes.length).toBe(CATALOG.length);
    expect(round.attributes.find((a: { key: string }) => a.key === 'devtool.agent').ruleText).toMatch(/claude/);
    expect(round.metrics.length).toBe(METRICS.length);
    expect(round.never.length).toBeGreaterThan(3);
  });
});

describe('catalog extensions', () => {
  const base: AttributeSpec = {
    key: 'acme.framework', type: 'string', level: 'usage', on: ['span', 'event', 'metric'], rule: rule.enum(['react', 'vue', 'svelte']),
    description: 'Framework of the project.', example: 'react',
  };

  it('adds a valid key, which the sanitizer then lets through', () => {
    const s = createSanitizer(CTX);
    expect(s.attributes('span', { 'acme.framework': 'react' })).toEqual({});
    const r = defineAttributes([base, { ...base, key: 'devtool.feature.cache_hit', type: 'boolean', rule: rule.boolean(), example: true }]);
    expect(r.rejected).toEqual([]);
    expect(r.added).toEqual(['acme.framework', 'devtool.feature.cache_hit']);
    expect(s.attributes('span', { 'acme.framework': 'react', 'devtool.feature.cache_hit': true })).toEqual({ 'acme.framework': 'react', 'devtool.feature.cache_hit': true });
    expect(s.attributes('span', { 'acme.framework': 'angular' })).toEqual({});
    expect(catalogAsJson().attributes.find((a) => a.key === 'acme.framework')?.extension).toBe(true);
  });

  it('never allows free text below full, built-in keys, reserved namespaces or mismatched rules', () => {
    const cases: Array<[Partial<AttributeSpec>, RegExp]> = [
      [{ rule: rule.text(100) }, /full/],
      [{ rule: rule.content(1000), level: 'minimal' }, /full/],
      [{ key: 'error.type' }, /built-in/],
      [{ key: 'gen_ai.custom' }, /reserved/],
      [{ key: 'devtool.command.extra' }, /reserved/],
      [{ key: 'Bad Key' }, /key/],
      [{ type: 'int' }, /fit/],
      [{ rule: { kind: 'regex', pattern: '.*' } as never }, /unknown/],
      [{ rule: rule.enum(['has space']) }, /words/],
      [{ level: 'off' as never }, /level/],
      [{ on: ['log' as never] }, /targets/],
      [{ description: '' }, /description/],
    ];
    for (const [patch, reason] of cases) {
      const r = defineAttributes([{ ...base, ...patch } as AttributeSpec]);
      expect(r.added, JSON.stringify(patch)).toEqual([]);
      expect(r.rejected[0]?.reason, JSON.stringify(patch)).toMatch(reason);
    }
    // free text at full is fine
    expect(defineAttributes([{ ...base, key: 'acme.note', rule: rule.text(100), level: 'full', example: 'x' }]).added).toEqual(['acme.note']);
  });

  it('never throws on garbage', () => {
    expect(() => defineAttributes(null as never)).not.toThrow();
    expect(defineAttributes([null, 1, 'x', {}] as never).rejected.length).toBe(4);
    const evil = { get key(): string { throw new Error('boom'); } };
    expect(defineAttributes([evil as never]).rejected[0]?.reason).toBe('unreadable spec');
  });

  it('scrubs extension word values like built-in ones', () => {
    defineAttributes([{ ...base, key: 'acme.plugin', rule: rule.word(64), example: 'eslint' }]);
    const s = createSanitizer(CTX);
    expect(s.attributes('span', { 'acme.plugin': 'eslint' })).toEqual({ 'acme.plugin': 'eslint' });
    expect(s.attributes('span', { 'acme.plugin': 'ghp_' + 'a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8' })).toEqual({});
    expect(s.attributes('span', { 'acme.plugin': 'qfakeuser' })).toEqual({});
  });
});

describe('metric extensions', () => {
  const m = { name: 'acme.cache.hits', unit: '{hit}', instrument: 'counter' as const, level: 'usage' as const, description: 'Cache hits.', attributes: ['devtool.command.name'] };

  it('adds a counter the sanitizer then keeps, with its points judged by the catalog', () => {
    const s = createSanitizer(CTX);
    const rec = { name: 'acme.cache.hits', unit: 'x', description: 'by qfakeuser', type: 'sum' as const, startTimeUnixNano: '1', timeUnixNano: '2', points: [{ attributes: { 'devtool.command.name': 'fixture-tool build', junk: 'x' }, value: 3 }] };
    const b = { v: 1 as const, id: 'b', createdAt: 0, level: 'usage' as const, resource: {}, spans: [], metrics: [rec] };
    expect(s.batch(b).metrics).toEqual([]);
    expect(defineMetrics([m]).added).toEqual(['acme.cache.hits']);
    expect(s.batch(b).metrics).toEqual([{ ...rec, unit: '{hit}', description: 'Cache hits.', points: [{ attributes: { 'devtool.command.name': 'fixture-tool build' }, value: 3 }] }]);
  });

  it('rejects reserved names, unknown point keys, bad buckets and garbage without throwing', () => {
    expect(defineMetrics([{ ...m, name: 'devtool.command.runs' }]).rejected[0]?.reason).toMatch(/already|reserved/);
    expect(defineMetrics([{ ...m, name: 'gen_ai.x' }]).rejected[0]?.reason).toMatch(/reserved/);
    expect(defineMetrics([{ ...m, name: 'acme.a', attributes: ['user.email'] }]).rejected[0]?.reason).toMatch(/attributes/);
    expect(defineMetrics([{ ...m, name: 'acme.b', instrument: 'histogram', buckets: [2, 1] }]).rejected[0]?.reason).toMatch(/buckets/);
    const evil = { get name(): string { throw new Error('x'); } };
    expect(() => defineMetrics([evil as never, null as never])).not.toThrow();
    expect(defineMetrics(null as never)).toEqual({ added: [], rejected: [] });
  });
});
