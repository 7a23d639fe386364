/**
 * The vendor-key and AWS-id rules run only on values with a run of `tokenTailMin` characters of
 * `tokenTail` (hasTailRun in src/privacy/patterns.ts): compiling their ~50-way alternation was most
 * of a short run's sanitizing cost. The pre-filter may never skip a value either rule would match:
 * checked here against the rules file itself (a new rule that breaks the argument fails), by
 * property over generated strings, and on every shared secret vector.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import vectors from '../fixtures/secrets/shared-vectors.json';
import RULES from '../../src/privacy/secret-rules.json';
import { hasTailRun } from '../../src/privacy/patterns';

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
