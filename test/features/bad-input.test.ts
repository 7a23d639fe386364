// Bad input never crashes, hangs or grows: arbitrary names, properties and declarations through the
// real registry and a real Run (in-process; the e2e tests cover the wire). Property-based with
// fast-check, plus hand-picked hostile cases (throwing getters, proxies, cycles, huge values).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileFeatures } from '../../src/features/spec';
import { declareFeatures, recordFeature, MAX_DISTINCT } from '../../src/features/registry';
import { declareCommandMetrics, recordCount } from '../../src/features/command-metrics';
import type { Recorder } from '../../src/recorder/current';
import { extractContext } from '../../src/recorder/propagation';
import { Run } from '../../src/recorder/run';
import type { SumPoint } from '../../src/model/records';

function stubAgent(): Recorder {
  const run = new Run({ level: 'usage', toolName: 'stub', flags: [], resource: () => ({}) });
  return { run, env: {}, debug: false, level: 'usage', tool: { options: {}, problems: [] }, inherited: extractContext({}), childSession: () => ({ base: 'stub' }), flush() {}, finish() {} };
}

function sums(agent: Recorder, name: string): SumPoint[] {
  const m = agent.run.metrics.drain('0', '1').find((x) => x.name === name);
  return (m?.points ?? []) as SumPoint[];
}

declareFeatures({
  fz: { properties: { mode: { type: 'string', values: ['a', 'b'] }, n: { type: 'number' }, ok: { type: 'boolean' }, tag: { type: 'string' }, tags: { type: 'string[]' } } },
});

describe('feature(): arbitrary input', () => {
  it('never throws, never grows series beyond the bound, counts every call', () => {
    const agent = stubAgent();
    let calls = 0;
    fc.assert(
      fc.property(fc.oneof(fc.constant('fz'), fc.string(), fc.anything()), fc.oneof(fc.anything(), fc.dictionary(fc.constantFrom('mode', 'n', 'ok', 'tag', 'tags', 'x'), fc.anything())), (name, props) => {
        calls++;
        expect(() => recordFeature(agent, name, props, agent.run.root)).not.toThrow();
      }),
      { numRuns: 2000 },
    );
    const drained = agent.run.metrics.drain('0', '1');
    const pts = (n: string) => (drained.find((x) => x.name === n)?.points ?? []) as SumPoint[];
    const uses = pts('devtool.feature.uses');
    const unknown = pts('devtool.feature.dropped').find((p) => p.attributes['devtool.feature.drop.reason'] === 'unknown_feature')?.value ?? 0;
    // Every call is either one counted use or one counted unknown feature: nothing lost, nothing twice.
    expect(uses.reduce((n, p) => n + p.value, 0) + unknown).toBe(calls);
    expect(uses.length).toBeLessThanOrEqual(2 * 3 * 2); // name x mode(absent,a,b) x ok(absent,true,false) at most
    for (const p of uses) for (const k of Object.keys(p.attributes)) expect(['devtool.feature.name', 'devtool.command.name', 'devtool.feature.prop.mode', 'devtool.feature.prop.ok']).toContain(k);
    expect(agent.run.root.events.length).toBeLessThanOrEqual(32);
  });

  it('survives throwing getters, proxies and cycles', () => {
    const agent = stubAgent();
    const throwing = Object.defineProperty({}, 'mode', { enumerable: true, get() { throw new Error('boom'); } });
    const proxy = new Proxy({}, { ownKeys() { throw new Error('nope'); } });
    const cyclic: Record<string, unknown> = {};
    cyclic.tag = cyclic;
    for (const props of [throwing, proxy, cyclic, { tags: new Array(1e6).fill('a') }, { tag: 'x'.repeat(1e7) }]) {
      // The API wrapper (feature()) catches; the registry itself may throw only on hostile objects.
      try {
        recordFeature(agent, 'fz', props, agent.run.root);
      } catch (err) {
        expect((err as Error).message).toMatch(/boom|nope/);
      }
    }
  });

  it('buckets a free property past MAX_DISTINCT values into _OTHER and counts the excess', () => {
    const agent = stubAgent();
    for (let i = 0; i < 10_000; i++) recordFeature(agent, 'fz', { tag: `v${i}` }, agent.run.root);
    const dropped = sums(agent, 'devtool.feature.dropped').find((p) => p.attributes['devtool.feature.drop.reason'] === 'over_cardinality');
    // the registry is per process: earlier tests may have used some of the budget
    expect(dropped?.value).toBeGreaterThanOrEqual(10_000 - MAX_DISTINCT);
    const seen = new Set(agent.run.root.events.map((e) => e.attributes['devtool.feature.prop.tag']));
    expect(seen.size).toBeLessThanOrEqual(32);
  });
});

describe('declarations: arbitrary input', () => {
  it('compileFeatures never throws and keeps only valid declarations', () => {
    fc.assert(
      fc.property(fc.anything(), (x) => {
        const { features, problems } = compileFeatures(x);
        expect(Array.isArray(problems)).toBe(true);
        for (const f of features) expect(f.name).toMatch(/^[A-Za-z][A-Za-z0-9_.-]{0,63}$/);
      }),
      { numRuns: 1000 },
    );
  });

  it('refuses reserved namespaces, free-string labels and bad counts', () => {
    const problems = declareCommandMetrics({
      counters: { 'http.requests': {}, 'x.ok': { attributes: { 'x.free': { type: 'string' } } }, BAD: {} },
      attributes: { 'service.name': { type: 'string' }, 'x.mode': { type: 'string', values: ['a'] } },
    });
    expect(problems.join('\n')).toMatch(/reserved namespace/);
    expect(problems.join('\n')).toMatch(/metric labels must be enums/);
    expect(problems.join('\n')).toMatch(/BAD/);
    const agent = stubAgent();
    expect(recordCount(agent, 'http.requests', 1, {})).toBe(false);
    expect(recordCount(agent, 'x.ok', Number.NaN, {})).toBe(false);
    expect(recordCount(agent, 'x.ok', -5, {})).toBe(false);
    expect(recordCount(agent, 'x.ok', 2, { 'x.free': 'whatever' })).toBe(true);
    expect(sums(agent, 'x.ok')).toEqual([{ attributes: { 'devtool.command.name': 'stub' }, value: 2 }]);
  });
});
