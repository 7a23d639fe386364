/**
 * The scrubber's pre-filters (src/privacy/prefilter.ts), which skip a rule's regex on values it cannot
 * match (compiling those alternations was most of a short run's sanitizing cost):
 *  - the vendor-key and AWS-id rules run only on values with a run of `tokenTailMin` characters of
 *    `tokenTail` (hasTailRun) that contain one of the rules' literal leads;
 *  - the `password=` and `Bearer x` rules only on values containing one of their keywords' leads;
 *  - IPv4 only on values with three dots.
 * A pre-filter may never skip a value its rule would match: checked here against the rules file
 * itself (a new rule that breaks the argument fails), by property over generated strings, and on
 * every shared secret vector.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import vectors from '../fixtures/secrets/shared-vectors.json';
import RULES from '../../src/privacy/secret-rules.json';
import { AUTH_KEYWORDS, AUTH_LEADS, KV_KEYWORDS, KV_LEADS, VENDOR_LEADS, compileScrub, scrubText } from '../../src/privacy/patterns';
import { hasLead, hasTailRun, hasThreeDots, literalLead } from '../../src/privacy/prefilter';

const ASCII = Array.from({ length: 128 }, (_, i) => String.fromCharCode(i));
const tailClass = new RegExp(`^${RULES.tokenTail}$`);
// The same expressions as patterns.ts builds (without its lookarounds: a superset of its matches).
const tail = (min: number) => `${RULES.tokenTail}{${min},4096}`;
const vendor = new RegExp(RULES.vendorPrefixes.map((v) => v.prefix + (v.head ? v.head + tail(0) : tail(RULES.tokenTailMin))).join('|'));
const aws = new RegExp(`(?:${RULES.awsKeyIds.prefixes.join('|')})${RULES.awsKeyIds.body}`);

/** `[class]{n}`: its class must lie inside tokenTail and n must reach tokenTailMin. */
function coveredRun(expr: string): boolean {
  const m = /^(\[[^\]]+\])\{(\d+)\}$/.exec(expr);
  if (!m) return false;
  const cls = new RegExp(`^${m[1]}$`);
  return Number(m[2]) >= RULES.tokenTailMin && ASCII.every((c) => !cls.test(c) || tailClass.test(c));
}

describe('hasTailRun pre-filter', () => {
  it('counts exactly the characters of tokenTail, and needs tokenTailMin of them in a row', () => {
    for (const c of ASCII) expect(hasTailRun(c.repeat(RULES.tokenTailMin)), JSON.stringify(c)).toBe(tailClass.test(c));
    expect(hasTailRun('a'.repeat(RULES.tokenTailMin - 1))).toBe(false);
    expect(hasTailRun(`${'a'.repeat(RULES.tokenTailMin - 1)} ${'b'.repeat(RULES.tokenTailMin - 1)}`)).toBe(false);
    expect(hasTailRun(`x ${'Ab3'.repeat(RULES.tokenTailMin)} y`)).toBe(true);
    expect(hasTailRun('é'.repeat(64))).toBe(false);
  });

  it('every rule in the rules file needs such a run (a head long enough, or the tail minimum)', () => {
    expect(RULES.tokenTailMin).toBeGreaterThanOrEqual(1);
    for (const v of RULES.vendorPrefixes) {
      if (v.head !== undefined) expect(coveredRun(v.head), `${v.name}: head ${v.head}`).toBe(true);
    }
    expect(coveredRun(RULES.awsKeyIds.body), `AWS body ${RULES.awsKeyIds.body}`).toBe(true);
  });

  it('no string without such a run matches either rule (property)', () => {
    const pieces = [...RULES.vendorPrefixes.map((v) => v.prefix.replace(/[()?:|\\[\]{}0-9]/g, '')), ...RULES.awsKeyIds.prefixes, 'a', 'Z', '9', '_', '-', '.', ' ', '/', '=', '+', ':', '@'];
    const gen = fc.array(fc.oneof(fc.constantFrom(...pieces), fc.string({ maxLength: 20 })), { maxLength: 40 }).map((a) => a.join(''));
    fc.assert(
      fc.property(gen, (s) => {
        if (!hasTailRun(s)) {
          expect(vendor.test(s)).toBe(false);
          expect(aws.test(s)).toBe(false);
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('every shared secret vector passes the pre-filter', () => {
    for (const sec of vectors.secrets) {
      if (vendor.test(sec) || aws.test(sec)) expect(hasTailRun(sec), sec).toBe(true);
    }
  });
});

describe('literal leads', () => {
  it('is the text every match of a fragment begins with', () => {
    expect(literalLead('sk-ant-(?:api|admin)[0-9]{2}-')).toBe('sk-ant-');
    expect(literalLead('gh[pousr]_')).toBe('gh');
    expect(literalLead('ya29[.]')).toBe('ya29');
    expect(literalLead('credentials?')).toBe('credential');
    expect(literalLead('ab*c')).toBe('a');
    expect(literalLead('ab{0,2}')).toBe('a');
    expect(literalLead('ab+c')).toBe('ab');
    expect(literalLead('(?:x|y)')).toBe('');
    expect(literalLead('\\bword')).toBe('');
  });

  it('is empty for a fragment that is itself an alternation (its matches need not begin alike)', () => {
    expect(literalLead('userpass|upw')).toBe('');
    expect(literalLead('a(?:b|c)')).toBe('a');
    expect(literalLead('[|]x')).toBe('');
    expect(literalLead('x[|]y|z')).toBe('');
  });

  it('every rule has leads, and every match of each fragment begins with its lead (property)', () => {
    const fragments: Array<[string, string]> = [
      ...RULES.vendorPrefixes.map((v): [string, string] => [v.prefix, '']),
      ...RULES.awsKeyIds.prefixes.map((p): [string, string] => [p, '']),
      ...KV_KEYWORDS.map((k): [string, string] => [k, 'i']),
      ...AUTH_KEYWORDS.map((k): [string, string] => [k, 'i']),
    ];
    expect(VENDOR_LEADS).toBeDefined();
    expect(KV_LEADS).toBeDefined();
    expect(AUTH_LEADS).toBeDefined();
    for (const [f, flags] of fragments) {
      const lead = literalLead(f);
      expect(lead.length, f).toBeGreaterThan(0);
      // Generated matches of the whole fragment (mixed case for the case-insensitive rules).
      const matches = fc.stringMatching(new RegExp(`^(?:${f})$`)).chain((m) =>
        flags === 'i' ? fc.array(fc.boolean(), { minLength: m.length, maxLength: m.length }).map((up) => [...m].map((c, i) => (up[i] ? c.toUpperCase() : c)).join('')) : fc.constant(m),
      );
      fc.assert(
        fc.property(matches, (m) => {
          expect(new RegExp(`^(?:${f})$`, flags).test(m), m).toBe(true);
          expect(flags === 'i' ? m.toLowerCase().startsWith(lead.toLowerCase()) : m.startsWith(lead), `${f}: ${m}`).toBe(true);
        }),
        { numRuns: 50 },
      );
    }
  });

  it('hasThreeDots passes every value with an IPv4 address in it, and the scrubber still finds them', () => {
    const c = compileScrub({});
    fc.assert(
      fc.property(fc.string({ maxLength: 10 }), fc.ipV4(), fc.string({ maxLength: 10 }), (a, ip, b) => {
        const s = `${a} ${ip} ${b}`;
        expect(hasThreeDots(s)).toBe(true);
        expect(scrubText(s, c, 4096)).not.toContain(ip);
      }),
      { numRuns: 500 },
    );
    expect(hasThreeDots('20.20.2')).toBe(false);
    expect(hasThreeDots('6.18.44-fc-v1147')).toBe(false);
  });

  const kv = new RegExp(`(?:${KV_KEYWORDS.join('|')})`, 'i');
  const auth = new RegExp(`\\b(?:${AUTH_KEYWORDS.join('|')})`, 'i');

  it('no string without a lead matches its rule (property)', () => {
    const pieces = [
      ...RULES.vendorPrefixes.map((v) => v.prefix.replace(/[()?:|\\[\]{}]/g, '')), ...RULES.awsKeyIds.prefixes,
      ...KV_KEYWORDS.map((k) => k.replace(/[()?:|\\[\]{}]/g, '')), ...AUTH_KEYWORDS, 'PASSWORD', 'Bearer', 'SeCrEt',
      '1.2.3.4', '10.0.0', '.', ' ', '=', ':', '_', '-', 'a', 'Z', '9', 'İ', 'ſ', 'K',
    ];
    const gen = fc.array(fc.oneof(fc.constantFrom(...pieces), fc.string({ maxLength: 20 })), { maxLength: 30 }).map((a) => a.join(''));
    fc.assert(
      fc.property(gen, (s) => {
        if (!hasLead(s, VENDOR_LEADS)) {
          expect(vendor.test(s)).toBe(false);
          expect(aws.test(s)).toBe(false);
        }
        if (!hasLead(s.toLowerCase(), KV_LEADS)) expect(kv.test(s)).toBe(false);
        if (!hasLead(s.toLowerCase(), AUTH_LEADS)) expect(auth.test(s)).toBe(false);
      }),
      { numRuns: 5000 },
    );
  });

  it('every shared secret vector the rules match passes the pre-filters', () => {
    for (const sec of vectors.secrets) {
      if (vendor.test(sec) || aws.test(sec)) expect(hasLead(sec, VENDOR_LEADS), sec).toBe(true);
      if (kv.test(sec)) expect(hasLead(sec.toLowerCase(), KV_LEADS), sec).toBe(true);
    }
  });
});
