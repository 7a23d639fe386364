/** Property-based tests (fast-check): secrets never survive, the sanitizer is idempotent, conformant values pass. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CATALOG } from '../../src/privacy/catalog';
import { createSanitizer } from '../../src/privacy/sanitize';
import { batch, CTX, span } from './helpers';

const s = createSanitizer(CTX);
const RUNS = { numRuns: 400 };

const chars = (alphabet: string, min: number, max: number) =>
  fc.array(fc.constantFrom(...alphabet.split('')), { minLength: min, maxLength: max }).map((a) => a.join(''));
const A62 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const HEX = '0123456789abcdef';
/** Random key bodies as vendors make them: base62 with at least two digits and four letters. */
const body = (min: number, max: number, alphabet = A62) =>
  fc.noBias(chars(alphabet, min, max)).filter((b) => (b.match(/[0-9]/g)?.length ?? 0) >= 2 && (b.match(/[A-Za-z]/g)?.length ?? 0) >= 4);
const octet = fc.integer({ min: 0, max: 255 });
const word = chars('abcdefghijklmnopqrstuvwxyz', 2, 10);

/** Generators for every kind of secret the sanitizer promises to remove; `secret` must not survive. */
const secretArb: fc.Arbitrary<{ kind: string; value: string; secret: string }> = fc.oneof(
  ...[
    ['openai', 'sk-proj-', 40, 120], ['openai', 'sk-', 48, 48], ['anthropic', 'sk-ant-api03-', 80, 95], ['github', 'ghp_', 36, 36],
    ['github', 'github_pat_', 60, 82], ['gitlab', 'glpat-', 20, 20], ['slack', 'xoxb-', 40, 60], ['stripe', 'sk_live_', 24, 99],
    ['stripe', 'rk_live_', 24, 60], ['huggingface', 'hf_', 34, 34], ['npm', 'npm_', 36, 36], ['google', 'AIza', 35, 35], ['groq', 'gsk_', 52, 52],
  ].map(([kind, prefix, min, max]) => body(min as number, max as number).map((b) => ({ kind: kind as string, value: prefix + b, secret: prefix + b }))),
  chars('ABCDEFGHIJKLMNOPQRSTUVWXYZ234567', 16, 16).map((b) => ({ kind: 'aws-id', value: 'AKIA' + b, secret: 'AKIA' + b })),
  body(40, 40, A62 + '+/').map((b) => ({ kind: 'aws-secret', value: b, secret: b })),
  body(24, 64).map((b) => ({ kind: 'entropy', value: b, secret: b })),
  fc.tuple(word, word, fc.constantFrom('example.com', 'corp.example.org', 'mail.test.io')).map(([a, b, d]) => ({ kind: 'email', value: `${a}.${b}@${d}`, secret: `${a}.${b}@${d}` })),
  fc.tuple(octet, octet, octet, octet).map((o) => ({ kind: 'ipv4', value: o.join('.'), secret: o.join('.') })),
  fc.array(chars(HEX, 1, 4), { minLength: 8, maxLength: 8 }).map((g) => ({ kind: 'ipv6', value: g.join(':'), secret: g.join(':') })),
  fc.tuple(word, body(8, 20), word).map(([u, p, h]) => ({ kind: 'url-credentials', value: `https://${u}:${p}@${h}.example.com/x`, secret: p })),
  fc.tuple(word, body(12, 30)).map(([k, v]) => ({ kind: 'url-query', value: `https://example.com/a?${k}=${v}`, secret: v })),
  body(20, 60).map((t) => ({ kind: 'bearer', value: `Bearer ${t}`, secret: t })),
  fc.tuple(chars('0123456789', 4, 4), chars('0123456789', 4, 4), chars('0123456789', 4, 4), chars('0123456789', 4, 4), fc.constantFrom(' ', '-', '')).map(
    ([a, b, c, d, sep]) => ({ kind: 'card', value: [a, b, c, d].join(sep), secret: [a, b, c, d].join(sep) }),
  ),
  fc.tuple(chars('0123456789', 3, 3), chars('0123456789', 3, 3), chars('0123456789', 4, 4)).map(([a, b, c]) => ({ kind: 'phone', value: `+1 (${a}) ${b}-${c}`, secret: `${a}) ${b}-${c}` })),
  fc.tuple(body(10, 30, A62 + '-_'), body(10, 60, A62 + '-_'), body(20, 43, A62 + '-_')).map(([h, p, g]) => ({ kind: 'jwt', value: `eyJ${h}.eyJ${p}.${g}`, secret: `eyJ${h}.eyJ${p}.${g}` })),
  chars(A62 + '+/', 64, 64).map((b) => ({ kind: 'private-key', value: `-----BEGIN PRIVATE KEY-----\n${b}\n-----END PRIVATE KEY-----`, secret: b })),
  word.map((u) => ({ kind: 'home', value: `/home/${u}x/src/app.ts`, secret: `/home/${u}x` })),
  fc.constant({ kind: 'user', value: 'qfakeuser', secret: 'qfakeuser' }),
  fc.constant({ kind: 'host', value: 'qfake-laptop', secret: 'qfake-laptop' }),
);

/** Text around a secret: arbitrary strings, joined by a separator (secrets are written inside messages). */
const SEPARATORS = [' ', '\n', '\t', ', ', '; ', ': ', '"', "'", '(', ')', '<', '>', '[', ']', '|', '='];
const around = fc.tuple(fc.string({ maxLength: 40 }), fc.constantFrom(...SEPARATORS), fc.constantFrom(...SEPARATORS), fc.string({ maxLength: 40 }));

describe('properties', () => {
  it('a generated secret embedded anywhere in arbitrary text never survives', () => {
    fc.assert(
      fc.property(secretArb, around, (sec, [pre, sep1, sep2, post]) => {
        const text = pre + sep1 + sec.value + sep2 + post;
        const out = s.text(text);
        const name = s.spanName(text);
        const content = s.attributes('span', { 'gen_ai.input.messages': text })['gen_ai.input.messages'] ?? '';
        for (const o of [out, name, String(content)]) {
          if (o.toLowerCase().includes(sec.secret.toLowerCase())) throw new Error(`${sec.kind} survived: ${JSON.stringify(text)} -> ${JSON.stringify(o)}`);
        }
      }),
      RUNS,
    );
  });

  it('text scrubbing is idempotent on arbitrary and secret-laden strings', () => {
    const mixed = fc.array(fc.oneof(fc.string({ maxLength: 20 }), fc.string({ unit: 'binary', maxLength: 10 }), secretArb.map((x) => x.value), fc.constantFrom(...SEPARATORS)), { maxLength: 8 }).map((a) => a.join(''));
    fc.assert(
      fc.property(mixed, (t) => {
        const once = s.text(t);
        expect(s.text(once)).toBe(once);
        const n = s.spanName(t);
        expect(s.spanName(n)).toBe(n);
      }),
      RUNS,
    );
  });

  it('batch sanitizing is idempotent', () => {
    const strings = fc.oneof(fc.string({ maxLength: 30 }), secretArb.map((x) => `x ${x.value} y`));
    const keys = fc.constantFrom(...CATALOG.map((c) => c.key), 'junk.key', 'process.command_args');
    const attrs = fc.dictionary(keys, fc.oneof(strings, fc.integer(), fc.double(), fc.boolean(), fc.array(strings, { maxLength: 3 })), { maxKeys: 12 });
    fc.assert(
      fc.property(attrs, attrs, strings, fc.constantFrom('minimal', 'usage', 'full') as fc.Arbitrary<'minimal' | 'usage' | 'full'>, (ra, sa, name, level) => {
        const b = batch(level, { resource: ra as never, spans: [span(sa as never, { name, status: { code: 2, message: name } })] });
        const once = s.batch(b);
        expect(s.batch(once)).toEqual(once);
      }),
      // The example: a route that normalizes to nothing (found by a random run) must be dropped at once.
      { numRuns: 200, examples: [[{}, { 'http.route': '#' }, 'x AAAAAAAAAAAAAAAAAAAAAAAAAAA0AA0AAAAAAAAA y', 'usage']] },
    );
  });

  it('catalog-conformant values pass unchanged', () => {
    const semver = fc.tuple(fc.nat(99), fc.nat(99), fc.nat(999), fc.option(fc.constantFrom('-beta.1', '-rc.2', '-18-amd64', '+build.5'), { nil: undefined }))
      .map(([a, b, c, pre]) => `${a}.${b}.${c}${pre ?? ''}`);
    const npmName = fc.tuple(fc.option(word, { nil: undefined }), word, fc.option(word, { nil: undefined }))
      .map(([scope, a, b]) => `${scope ? `@${scope}/` : ''}${a}${b ? `-${b}` : ''}`);
    const model = fc.constantFrom('gpt-4o-mini-2024-07-18', 'gpt-4.1', 'o3-mini', 'claude-3-5-sonnet-20241022', 'claude-sonnet-4-5', 'gemini-1.5-pro-002', 'meta-llama/Llama-3.1-70B-Instruct-Turbo', 'mistral-large-latest', 'text-embedding-3-small');
    const errorType = fc.constantFrom('TypeError', 'ENOENT', 'EACCES', 'ERR_INVALID_ARG_TYPE', 'AbortError', 'openai.APIConnectionError', 'RateLimitError', 'ECONNREFUSED', '_OTHER');
    fc.assert(
      fc.property(semver, npmName, model, errorType, fc.uuid(), fc.integer({ min: 0, max: 255 }), (ver, name, m, et, id, code) => {
        const sp = { 'devtool.command.name': `${name} build`, 'gen_ai.request.model': m, 'gen_ai.response.model': m, 'error.type': et, 'process.exit.code': code, 'devtool.command.outcome': 'failure', 'devtool.step.name': name };
        expect(s.attributes('span', sp)).toEqual(sp);
        const rs = { 'service.name': name, 'service.version': ver, 'app.installation.id': id.toLowerCase(), 'os.version': ver };
        expect(s.attributes('resource', rs)).toEqual(rs);
        expect(s.spanName(`${name} build`)).toBe(`${name} build`);
        expect(s.spanName(`chat ${m}`)).toBe(`chat ${m}`);
      }),
      RUNS,
    );
  });
});
