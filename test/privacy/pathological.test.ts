/** Bad input never crashes, hangs or slows the sanitizer beyond a bound. */
import { describe, expect, it } from 'vitest';
import type { Batch } from '../../src/model/records';
import { createSanitizer, LIMITS } from '../../src/privacy/sanitize';
import { batch, CTX, span } from './helpers';

const s = createSanitizer(CTX);

function timed<T>(f: () => T): [T, number] {
  const t0 = performance.now();
  const r = f();
  return [r, performance.now() - t0];
}

describe('pathological input', () => {
  it('a 10 MB string in every position finishes fast and is capped', () => {
    const big = 'a1B2 '.repeat(2 * 1024 * 1024);
    const [out, ms] = timed(() =>
      s.batch(batch('full', {
        resource: { 'service.name': big, 'os.description': big },
        spans: [span({ 'gen_ai.input.messages': big, 'devtool.command.name': big, 'url.path': big }, { name: big, status: { code: 2, message: big } })],
      })),
    );
    expect(ms).toBeLessThan(2000);
    expect(out.spans[0]!.name.length).toBeLessThanOrEqual(LIMITS.spanName);
    expect(String(out.spans[0]!.attributes['gen_ai.input.messages']).length).toBeLessThanOrEqual(32768);
    expect(out.resource['service.name']).toBeUndefined();
    expect(JSON.stringify(out).length).toBeLessThan(100_000);
  });

  // Inputs built to make a backtracking regex explode: long runs of the characters each pattern
  // loops over, with the one character that makes the match fail at the end.
  const BAIT: Array<[string, string]> = [
    ['email local part', 'a.'.repeat(20000) + '@'], ['email domain', 'a@' + 'b.'.repeat(20000) + '1'],
    ['ipv6', '1:'.repeat(20000) + 'x'], ['ipv6 double', '1::'.repeat(10000)], ['ipv4', '1.'.repeat(20000)],
    ['url', 'http://'.repeat(6000)], ['url tail', 'a://' + 'b'.repeat(40000) + '\u0000'], ['jwt', 'eyJ' + 'a'.repeat(20000) + '.'],
    ['jwt dots', 'eyJa.'.repeat(8000)], ['auth', 'bearer '.repeat(6000)], ['kv', 'password='.repeat(5000)], ['kv suffix', 'token' + 'a'.repeat(40000) + ':'],
    ['vendor', 'sk-'.repeat(14000)], ['vendor body', 'sk-proj-' + '-'.repeat(40000)], ['query', 'a?b='.repeat(10000)],
    ['home', '/home/'.repeat(7000)], ['digits', '1 '.repeat(20000)], ['digits paren', '(1) '.repeat(10000)], ['digit dots', '123.'.repeat(10000)],
    ['private key', '-----BEGIN '.repeat(4000)], ['tokens', 'aB3/'.repeat(10000)], ['mixed', 'aZ9'.repeat(14000)],
    ['path', '/a'.repeat(20000)], ['percent', '%'.repeat(40000)], ['braces', '{'.repeat(40000)],
  ];
  it.each(BAIT)('backtracking bait: %s', (_label, bait) => {
    // content (32 KiB cap) is the longest input any pattern ever sees
    const [, ms] = timed(() => {
      s.attributes('span', { 'gen_ai.input.messages': bait, 'url.path': bait, 'devtool.command.name': bait });
      s.text(bait);
      s.spanName(bait);
    });
    expect(ms).toBeLessThan(500);
  });

  it('deeply nested arrays and objects are dropped, not walked', () => {
    let deep: unknown = 'x';
    for (let i = 0; i < 100000; i++) deep = [deep];
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    const [out, ms] = timed(() => s.attributes('span', { 'devtool.command.flags': deep as never, 'gen_ai.response.finish_reasons': [circular] as never, 'error.type': circular as never }));
    expect(out).toEqual({});
    expect(ms).toBeLessThan(100);
    const huge = new Array(1_000_000).fill('--x');
    expect((s.attributes('span', { 'devtool.command.flags': huge })['devtool.command.flags'] as string[]).length).toBe(1);
  });

  it('lone surrogates become U+FFFD and output is well-formed', () => {
    const out = s.text('broken \uD800 pair \uDC00 end \uD83D\uDE00');
    expect(out).toBe('broken \uFFFD pair \uFFFD end \uD83D\uDE00');
    expect(s.attributes('resource', { 'os.name': 'Linux \uDFFF' })['os.name']).toBe('Linux \uFFFD');
    // a cap never splits a surrogate pair
    const emoji = s.attributes('resource', { 'os.name': 'a'.repeat(63) + '\uD83D\uDE00' })['os.name'] as string;
    expect(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])/.test(emoji)).toBe(false);
  });

  it('non-string types in every slot never throw', () => {
    const weird: unknown[] = [null, undefined, NaN, Infinity, -0, 10n, Symbol('x'), () => 1, new Date(), /re/, new Map(), [1, 'a', null], { toString() { throw new Error('x'); } }];
    for (const w of weird) {
      expect(() => s.text(w as never)).not.toThrow();
      expect(() => s.spanName(w as never)).not.toThrow();
      const attrs = Object.fromEntries(['devtool.command.name', 'process.exit.code', 'devtool.ci', 'devtool.command.flags', 'gen_ai.request.temperature', 'url.path'].map((k) => [k, w]));
      expect(() => s.attributes('span', attrs as never)).not.toThrow();
      const b = { v: 1, id: w, createdAt: w, level: w, resource: w, spans: [w, { ...span({}), name: w, kind: w, status: w, events: w, links: w, scope: w }], metrics: [w] };
      expect(() => s.batch(b as unknown as Batch)).not.toThrow();
    }
    expect(s.attributes('span', { 'process.exit.code': 10n as never, 'devtool.process.cpu.user': Infinity, 'devtool.ci': 'true' as never })).toEqual({});
  });
});
