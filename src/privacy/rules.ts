/**
 * Value rules: what a catalog key's value may look like. A rule is plain, serializable data (it is
 * printed by `devtool-telemetry schema` and rendered into TELEMETRY.md); `checkValue` turns a raw
 * value into an allowed one or `undefined` (dropped). Anything a rule cannot judge is dropped,
 * never passed: wrong types, NaN, objects, strings that fail their shape.
 *
 * Rules are built only with the constructors below, and `validateRule` re-checks every rule an
 * extension brings, so a tool author cannot smuggle in a raw free-text rule below `full`.
 */
import type { AttrValue } from '../model/records';
import { type CompiledScrub, scrubText, wellFormed } from './patterns';
import { normalizeUrlPath, isIdSegment } from './url';

export type ValueRule =
  | { kind: 'enum'; values: readonly string[]; fallback?: string }
  | { kind: 'int'; min: number; max: number }
  | { kind: 'double'; min: number; max: number }
  | { kind: 'boolean' }
  /** An identifier: letters, digits and `_ . - :`; must pass the scrubber unchanged. */
  | { kind: 'word'; maxLength: number; lowercase?: boolean }
  /** A name: package, model, command or feature name (adds `@ / +` and single spaces). */
  | { kind: 'name'; maxLength: number }
  /** Flag names only (`--verbose`, `-v`); a value after `=` is cut off. */
  | { kind: 'flag' }
  | { kind: 'version' }
  /** A random id (uuid, or 32 hex digits). */
  | { kind: 'id' }
  /** An error class name or errno code; messages are never accepted. */
  | { kind: 'errorType' }
  /** A URL path or route template; ids become `{id}`, query strings are dropped. */
  | { kind: 'urlPath' }
  /** Bounded plain text, scrubbed. Extensions may use it at `full` only. */
  | { kind: 'text'; maxLength: number }
  /** Prompt, completion, tool-call content: `full` only, still scrubbed. */
  | { kind: 'content'; maxLength: number };

export type RuleKind = ValueRule['kind'];

export const rule = {
  enum: (values: readonly string[], fallback?: string): ValueRule =>
    Object.freeze({ kind: 'enum', values: Object.freeze([...values]), ...(fallback ? { fallback } : {}) }),
  int: (min = 0, max = Number.MAX_SAFE_INTEGER): ValueRule => Object.freeze({ kind: 'int', min, max }),
  double: (min = 0, max = Number.MAX_VALUE): ValueRule => Object.freeze({ kind: 'double', min, max }),
  boolean: (): ValueRule => Object.freeze({ kind: 'boolean' }),
  word: (maxLength = 64, lowercase = false): ValueRule =>
    Object.freeze(lowercase ? { kind: 'word', maxLength, lowercase } : { kind: 'word', maxLength }),
  name: (maxLength = 128): ValueRule => Object.freeze({ kind: 'name', maxLength }),
  flag: (): ValueRule => Object.freeze({ kind: 'flag' }),
  version: (): ValueRule => Object.freeze({ kind: 'version' }),
  id: (): ValueRule => Object.freeze({ kind: 'id' }),
  errorType: (): ValueRule => Object.freeze({ kind: 'errorType' }),
  urlPath: (): ValueRule => Object.freeze({ kind: 'urlPath' }),
  text: (maxLength = 256): ValueRule => Object.freeze({ kind: 'text', maxLength }),
  content: (maxLength = 32768): ValueRule => Object.freeze({ kind: 'content', maxLength }),
};

/** Free-text kinds: allowed to extensions at `full` only. */
export const FREE_TEXT_KINDS: readonly RuleKind[] = ['text', 'content'];

const MAX_ENUM_VALUES = 256;
const WORD_LIMIT = 256;
const TEXT_LIMIT = 4096;
const CONTENT_LIMIT = 65536;

const WORD_RE = /^[A-Za-z0-9][A-Za-z0-9_.:-]*$/;
const NAME_RE = /^[A-Za-z0-9@_.][A-Za-z0-9@_.:/+-]*(?: [A-Za-z0-9@_.{][A-Za-z0-9@_.:/+{}-]*){0,3}$/;
const FLAG_RE = /^--?[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
/** semver-like, at most 3 numeric parts (a 4th would make room for an IPv4 address). */
const VERSION_RE = /^v?\d{1,9}(?:\.\d{1,9}){0,2}(?:[-+~][0-9A-Za-z.+~_-]{1,64})?$|^\d{1,9}(?:\.\d{1,9}){3}-[A-Za-z][0-9A-Za-z.+~_-]{0,63}$/;
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const HEX128_RE = /^[0-9a-f]{32}$/;
/** Class names (`TypeError`, `openai.APIError`, `AbortError`) and errno/Node codes (`ENOENT`, `ERR_X`). */
/** An exit code or HTTP status code (`2`, `503`): what error.type holds when there is no class. */
const CODE_RE = /^-?[0-9]{1,10}$/;
const ERROR_TYPE_RE = /^[A-Za-z_$][A-Za-z0-9_$]{0,63}(?:\.[A-Za-z_$][A-Za-z0-9_$]{0,63}){0,3}$/;

/** Check a rule an extension brings; returns a reason when it is not acceptable. */
export function validateRule(r: unknown): string | undefined {
  if (!r || typeof r !== 'object') return 'rule must be an object';
  const x = r as Record<string, unknown>;
  const num = (v: unknown) => typeof v === 'number' && Number.isFinite(v);
  switch (x.kind) {
    case 'enum':
      if (!Array.isArray(x.values) || x.values.length === 0 || x.values.length > MAX_ENUM_VALUES) return 'enum needs 1-256 values';
      if (!x.values.every((v) => typeof v === 'string' && v.length <= 64 && WORD_RE.test(v))) return 'enum values must be words';
      if (x.fallback !== undefined && (typeof x.fallback !== 'string' || !WORD_RE.test(x.fallback))) return 'bad enum fallback';
      return undefined;
    case 'int':
    case 'double':
      return num(x.min) && num(x.max) && (x.min as number) <= (x.max as number) ? undefined : 'bad numeric range';
    case 'word':
    case 'name':
      return num(x.maxLength) && (x.maxLength as number) >= 1 && (x.maxLength as number) <= WORD_LIMIT ? undefined : 'bad maxLength';
    case 'text':
      return num(x.maxLength) && (x.maxLength as number) >= 1 && (x.maxLength as number) <= TEXT_LIMIT ? undefined : 'bad maxLength';
    case 'content':
      return num(x.maxLength) && (x.maxLength as number) >= 1 && (x.maxLength as number) <= CONTENT_LIMIT ? undefined : 'bad maxLength';
    case 'boolean':
    case 'flag':
    case 'version':
    case 'id':
    case 'errorType':
    case 'urlPath':
      return undefined;
    default:
      return 'unknown rule kind';
  }
}

/** A word/name must come through the scrubber unchanged; otherwise the whole value is dropped. */
function clean(s: string, c: CompiledScrub, max: number): string | undefined {
  if (s.length === 0 || s.length > max) return undefined;
  return scrubText(s, c, max) === s ? s : undefined;
}

/** Scalar check for one (non-array) value. */
export function checkScalar(r: ValueRule, v: unknown, c: CompiledScrub): string | number | boolean | undefined {
  switch (r.kind) {
    case 'int':
      return typeof v === 'number' && Number.isSafeInteger(v) && v >= r.min && v <= r.max ? v : undefined;
    case 'double':
      return typeof v === 'number' && Number.isFinite(v) && v >= r.min && v <= r.max ? v : undefined;
    case 'boolean':
      return typeof v === 'boolean' ? v : undefined;
  }
  if (typeof v !== 'string') return undefined;
  switch (r.kind) {
    case 'enum':
      return r.values.includes(v) ? v : r.fallback;
    case 'word': {
      if (v.length > r.maxLength || !WORD_RE.test(v)) return undefined;
      if (r.lowercase && v !== v.toLowerCase()) return undefined;
      return clean(v, c, r.maxLength);
    }
    case 'name':
      return v.length <= r.maxLength && NAME_RE.test(v) ? clean(v, c, r.maxLength) : undefined;
    case 'flag': {
      const eq = v.indexOf('=');
      let f = eq >= 0 ? v.slice(0, eq) : v;
      // A single-dash flag is its letter: `-p8080`, `-uadmin` carry their value attached.
      if (!f.startsWith('--')) f = f.slice(0, 2);
      return FLAG_RE.test(f) ? clean(f, c, 66) : undefined;
    }
    case 'version':
      return v.length <= 80 && VERSION_RE.test(v) ? clean(v, c, 80) : undefined;
    case 'id': {
      const low = v.toLowerCase();
      // What we generate: uuids, and 128-bit hex (the shipper's instance id). Longer or shorter
      // hex strings (git shas, sha256 digests) are hashes of something, not our ids.
      return UUID_RE.test(low) || HEX128_RE.test(low) ? low : undefined;
    }
    case 'errorType':
      return v.length <= 128 && (ERROR_TYPE_RE.test(v) || CODE_RE.test(v)) ? clean(v, c, 128) : undefined;
    case 'urlPath': {
      const s = wellFormed(v);
      if (s.length === 0) return undefined;
      const out =
        s.length > 2048
          ? normalizeUrlPath(s.slice(0, 2048), () => true)
          : normalizeUrlPath(s, (seg) => isIdSegment(seg) || scrubText(seg, c, 64) !== seg || seg.indexOf('@') >= 0);
      // Nothing left (`#frag`, `?q=1`): drop it now, as a second pass would (keeps this idempotent).
      return out.length === 0 ? undefined : out;
    }
    case 'text':
    case 'content': {
      const s = scrubText(v, c, r.maxLength);
      return s.length > 0 ? s : undefined;
    }
  }
  return undefined;
}

const MAX_ARRAY = 64;

/** Check a value against its declared type and rule: the allowed value, or undefined. */
export function checkValue(
  type: 'string' | 'int' | 'double' | 'boolean' | 'string[]' | 'int[]',
  r: ValueRule,
  v: unknown,
  c: CompiledScrub,
  /** Element judge (the sanitizer passes a memoized one); defaults to checkScalar. */
  scalar: (e: unknown) => string | number | boolean | undefined = (e) => checkScalar(r, e, c),
): AttrValue | undefined {
  if (type === 'string[]' || type === 'int[]') {
    if (!Array.isArray(v)) return undefined;
    const out: Array<string | number> = [];
    const n = Math.min(v.length, MAX_ARRAY);
    for (let i = 0; i < n; i++) {
      const e = v[i];
      if (type === 'string[]' ? typeof e !== 'string' : typeof e !== 'number') continue;
      const x = scalar(e);
      if (x !== undefined && !out.includes(x as string & number)) out.push(x as string | number);
    }
    if (out.length === 0 && v.length > 0) return undefined;
    return out as string[] | number[];
  }
  const x = scalar(v);
  if (x === undefined) return undefined;
  if (type === 'string' ? typeof x !== 'string' : type === 'boolean' ? typeof x !== 'boolean' : typeof x !== 'number') {
    return undefined;
  }
  return x;
}

/** One-line, human description of a rule (TELEMETRY.md, `schema`). */
export function describeRule(r: ValueRule): string {
  switch (r.kind) {
    case 'enum':
      return `one of: ${r.values.join(', ')}`;
    case 'int':
      return r.max >= Number.MAX_SAFE_INTEGER ? `integer ≥ ${r.min}` : `integer ${r.min}..${r.max}`;
    case 'double':
      return r.max >= Number.MAX_VALUE ? `number ≥ ${r.min}` : `number ${r.min}..${r.max}`;
    case 'boolean':
      return 'true or false';
    case 'word':
      return `identifier${r.lowercase ? ' (lower case)' : ''}, at most ${r.maxLength} characters`;
    case 'name':
      return `name (package, command, model or feature), at most ${r.maxLength} characters`;
    case 'flag':
      return 'flag name only, never its value';
    case 'version':
      return 'version string';
    case 'id':
      return 'random anonymous id (uuid or 32 hex digits)';
    case 'errorType':
      return 'error class name or error code, never the message';
    case 'urlPath':
      return 'path with ids replaced by {id}, no query string';
    case 'text':
      return `scrubbed text, at most ${r.maxLength} characters`;
    case 'content':
      return `content (only with the "full" level), scrubbed, at most ${r.maxLength} characters`;
  }
}
