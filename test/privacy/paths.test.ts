/**
 * File-system paths in free text are replaced whole by `{path}` (issue 13, item 16): no segment of a path
 * survives, whatever form the path takes (absolute, `~`, Windows drive, UNC, `../`, relative with three
 * separators or more), in text and in span names. URL paths after an HTTP method keep their shape.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { replacePaths } from '../../src/privacy/paths';
import { createSanitizer } from '../../src/privacy/sanitize';
import { CTX } from './helpers';

const s = createSanitizer(CTX);

const chars = (alphabet: string, min: number, max: number) =>
  fc.array(fc.constantFrom(...alphabet.split('')), { minLength: min, maxLength: max }).map((a) => a.join(''));
/** A directory or file name: a marker letter, then name characters (dots, dashes, underscores too). */
const segment = fc.tuple(fc.constantFrom('q', 'Q', 'z'), chars('abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.', 3, 14)).map(([a, b]) => a + b);
const segs = (min: number, max: number) => fc.array(segment, { minLength: min, maxLength: max });

/** Every form of path the scanner promises to replace, with the segments that must not survive. */
const pathArb: fc.Arbitrary<{ path: string; segments: string[] }> = fc.oneof(
  segs(2, 8).map((p) => ({ path: '/' + p.join('/'), segments: p })),
  segs(1, 8).map((p) => ({ path: '~/' + p.join('/'), segments: p })),
  fc.tuple(segment, segs(1, 6)).map(([u, p]) => ({ path: `~${u}/${p.join('/')}`, segments: [u, ...p] })),
  fc.tuple(fc.constantFrom('C', 'c', 'D', 'z'), fc.constantFrom('\\', '/'), segs(1, 6)).map(([d, sep, p]) => ({ path: `${d}:${sep}${p.join(sep)}`, segments: p })),
  segs(2, 6).map((p) => ({ path: '\\\\' + p.join('\\'), segments: p })),
  fc.tuple(fc.constantFrom('../', '..\\', '../../'), segs(1, 6)).map(([up, p]) => ({ path: up + p.join('/'), segments: p })),
  fc.tuple(fc.constantFrom('/', '\\'), segs(4, 8)).map(([sep, p]) => ({ path: p.join(sep), segments: p })),
  segs(3, 8).map((p) => ({ path: './' + p.join('/'), segments: p })),
);

const SEPARATORS = [' ', '\n', '\t', ', ', '; ', '"', "'", '(', ')', '<', '>', '[', ']', '|', '=', ' --out='];
const METHOD_AT_END = /(?:GET|HEAD|POST|PUT|DELETE|CONNECT|OPTIONS|TRACE|PATCH|QUERY)$/;
const around = fc.tuple(
  fc.string({ maxLength: 30 }).filter((p) => !METHOD_AT_END.test(p)),
  fc.constantFrom(...SEPARATORS),
  fc.constantFrom(...SEPARATORS, ':12:5 ', '?line=3 '),
  fc.string({ maxLength: 30 }),
);

describe('paths are replaced whole', () => {
  it('no segment of a generated path survives, in text or span names (property)', () => {
    fc.assert(
      fc.property(pathArb, around, ({ path, segments }, [pre, sep1, sep2, post]) => {
        const text = pre + sep1 + path + sep2 + post;
        for (const out of [s.text(text), s.spanName(text), replacePaths(text)]) {
          for (const seg of segments) if (!(pre + post).includes(seg)) expect(out, `${JSON.stringify(text)} -> ${JSON.stringify(out)}`).not.toContain(seg);
        }
      }),
      { numRuns: 600 },
    );
  });

  it('a path right after `?=` is still a path (a `?` starts a query only after a separator; found by the property)', () => {
    expect(replacePaths('?=/qaaa/qaaa ')).toBe('?={path} ');
    expect(replacePaths('/a/b?key=value tail')).toBe('{path} tail');
  });

  it('the reported case: a home path in a third-party span name', () => {
    expect(s.spanName('compile /home/alice/clients/acme-corp/merger-plan/src/index.ts')).toBe('compile {path}');
    // the home of the context, a home that is not (another user's), and after `~` already stood for it
    expect(s.spanName(`compile ${CTX.home}/clients/acme-corp/src/index.ts`)).toBe('compile {path}');
    expect(s.text('compile ~/clients/acme-corp/merger-plan/src/index.ts')).toBe('compile {path}');
    expect(s.attributes('span', { 'devtool.command.name': 'deploy /srv/acme-corp/plan' })).toEqual({}); // a name must pass unchanged
  });

  it('is idempotent and leaves URL paths, routes and short relative names alone', () => {
    for (const v of ['GET /api/v1/items/{id}', 'POST /users/:id/keys', 'request handler - /users/:id', 'https://{host}/a/b/c', 'node_modules/.bin/tsc', './src/index.ts', 'GNU/Linux']) {
      expect(s.text(v)).toBe(v);
    }
    fc.assert(
      fc.property(pathArb, fc.string({ maxLength: 20 }), ({ path }, pre) => {
        const once = s.text(`${pre} ${path}`);
        expect(s.text(once)).toBe(once);
      }),
      { numRuns: 200 },
    );
  });
});
