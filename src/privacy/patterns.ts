/**
 * Free-text scrubbing: the part of the sanitizer that finds secrets and personal data inside a
 * string and replaces them with placeholders (`{email}`, `{ip}`, `{secret}`, `{id}`, `{number}`,
 * `{user}`, `{host}`, `~`). Pure: no I/O, no imports beyond our URL helpers.
 *
 * Linear time by construction: the input is capped before any matching; every regex is either a
 * literal alternation followed by one bounded class run, or a sequence of classes that cannot
 * overlap (so V8 never backtracks more than a small constant per start position); the entropy,
 * digit-run, private-key and user/host checks are hand-written scanners. Cheap `indexOf` guards
 * skip whole passes for the common short values.
 */
import type { LocalIdentity } from '../model/records';
import { replacePaths } from './paths';
import { hasLead, hasTailRun, hasThreeDots, leadsOf } from './prefilter';
import * as RULES from './secret-rules.json';
import { normalizeUrlPath } from './url';

/** What the sanitizer knows about the machine it runs on (all optional). */
export type ScrubContext = LocalIdentity;

// ---------------------------------------------------------------------------------------------
// Patterns (module-level, compiled once). Each is commented with why it cannot backtrack.

/** URL with scheme: literal `://` anchors it; the tail is one class run, bounded. */
const URL_RE = /([A-Za-z][A-Za-z0-9+.-]{0,15}):\/\/([^\s<>"'`{}|\\^]{0,2048})/g;
/** JWT: three base64url runs separated by literal dots (dot is not in the class). */
const JWT_RE = /eyJ[A-Za-z0-9_-]{4,4096}\.[A-Za-z0-9_-]{2,8192}(?:\.[A-Za-z0-9_-]{0,4096})?/g;
/** `Authorization: Bearer xxx`, `Basic xxx`, `token xxx`: keyword, blanks, one class run. */
export const AUTH_KEYWORDS = ['bearer', 'basic', 'digest', 'negotiate', 'token', 'bot', 'apikey'];
const AUTH_RE = new RegExp(`\\b(${AUTH_KEYWORDS.join('|')})([ \\t]{1,8})([A-Za-z0-9._~+/=-]{8,4096})`, 'gi');
/** A value that is only such a keyword (`Authorization: Bearer {token}` after AUTH_RE) is not a secret. */
const AUTH_WORD_RE = new RegExp(`^(?:${AUTH_KEYWORDS.join('|')})$`, 'i');
/** `password=...`, `client_secret: "..."`: keyword, bounded suffix, separator, one value run. */
export const KV_KEYWORDS = [
  'pass(?:word|wd|phrase)?', 'pwd', 'secret', 'token', 'api[_-]?key', 'access[_-]?key', 'account[_-]?key',
  'auth(?:orization)?', 'credentials?', 'private[_-]?key', 'session[_-]?(?:id|key)', 'cookie', 'signature', 'sig',
];
const KV_SECRET_RE = new RegExp(
  `(${KV_KEYWORDS.join('|')})([A-Za-z0-9_-]{0,32})((?:\\\\?["'])?[ \\t]{0,8}[:=][ \\t]{0,8})(\\\\?"[^"\\\\\\n]{0,1024}\\\\?"|'[^'\\n]{0,1024}'|[^\\s,;&"'{}\\\\]{1,1024})`,
  'gi',
);
/** E-mail: local part bounded to 64, labels separated by literal dots, alphabetic TLD. */
const EMAIL_RE =
  /(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63}){0,8}\.[A-Za-z]{2,63}(?![A-Za-z0-9-])/g;
/**
 * Vendor API keys and AWS key ids come from ONE data file shared with the collector
 * (secret-rules.json, rendered into its devtool_redact rules): literal prefix alternation, then one
 * bounded class run (a `head` is a fixed-length run, so the two runs never compete).
 */
const tail = (min: number) => `${RULES.tokenTail}{${min},4096}`;
const VENDOR_RE = new RegExp(
  '(?<![A-Za-z0-9])(?:' +
    RULES.vendorPrefixes.map((v) => v.prefix + (v.head ? v.head + tail(0) : tail(RULES.tokenTailMin))).join('|') +
    ')',
  'g',
);
/** AWS access key ids: literal prefix and exactly 16 upper-case alphanumerics. */
const AWS_ID_RE = new RegExp(`(?<![A-Za-z0-9])(?:${RULES.awsKeyIds.prefixes.join('|')})${RULES.awsKeyIds.body}(?![A-Za-z0-9])`, 'g');
/** Pre-filters (prefilter.ts): a value without a rule's leads never runs that rule's regex. */
export const VENDOR_LEADS = leadsOf([...RULES.vendorPrefixes.map((v) => v.prefix), ...RULES.awsKeyIds.prefixes]);
export const KV_LEADS = leadsOf(KV_KEYWORDS, true);
export const AUTH_LEADS = leadsOf(AUTH_KEYWORDS, true);

/** IPv4: four bounded octets separated by literal dots. */
const IPV4_RE =
  /(?<![0-9.])(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?:\.(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}(?![0-9]|\.[0-9]|-microsoft)/g;
/** IPv6 candidates: hex groups each introduced by a literal colon; validated in code. */
const IPV6_RE = /(?<![0-9A-Za-z.])(?:[0-9A-Fa-f]{1,4})?(?::{1,2}[0-9A-Fa-f]{1,4}){1,7}(?:::)?(?:%[A-Za-z0-9]{1,16})?(?![0-9A-Za-z])/g;
/** A query string or fragment after a path-like token: drop it whole. */
const QUERY_RE = /(?<=[A-Za-z0-9/_.~%-])\?[A-Za-z0-9_.%[\]-]{1,64}=[^\s"'<>`]{0,4096}/g;
/** Home directories of any user, any OS, even when the context does not know the user. */
const HOME_RE = /(?:\/home|\/Users|\/var\/home|(?:[A-Za-z]:)?\\+Users)([/\\]+)[^/\\\s"'<>:;,]{1,64}|(?<![A-Za-z0-9_.-])\/root(?=[/\\\s"']|$)/g;

/** Placeholder words we emit; a token inside braces is one of ours and is left alone. */
export const PLACEHOLDERS = ['path', 'id', 'secret', 'email', 'ip', 'number', 'user', 'host', 'token', 'private-key', 'cwd'];

// ---------------------------------------------------------------------------------------------

/** Replace lone surrogates with U+FFFD (String#toWellFormed where present, Node ≥ 20). */
export function wellFormed(s: string): string {
  const f = (s as { toWellFormed?: () => string }).toWellFormed;
  if (typeof f === 'function') return f.call(s);
  return s.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD');
}

function isTokenChar(c: number): boolean {
  return (
    (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) ||
    c === 43 /* + */ || c === 47 /* / */ || c === 95 /* _ */ || c === 45 /* - */ || c === 46 /* . */ || c === 126 /* ~ */
  );
}

/**
 * Cut `s` to at most `max` UTF-16 units. If the cut falls inside a token, the partial token is
 * dropped too: half a secret is still a secret, and a shorter one no longer matches its pattern.
 */
export function capLength(s: string, max: number): string {
  if (s.length <= max) return s;
  let end = max;
  // Never split a surrogate pair.
  const last = s.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end--;
  if (isTokenChar(s.charCodeAt(end)) || s.charCodeAt(end) === 125 /* } */) {
    while (end > 0 && (isTokenChar(s.charCodeAt(end - 1)) || s.charCodeAt(end - 1) === 123 /* { */)) end--;
  }
  return s.slice(0, end).trimEnd();
}

/** `-----BEGIN ... PRIVATE KEY----- ... -----END ...-----` (or to the end when unterminated). */
function scrubKeyBlocks(s: string): string {
  let out = '';
  let from = 0;
  for (;;) {
    const begin = s.indexOf('-----BEGIN', from);
    if (begin < 0) break;
    const endMarker = s.indexOf('-----END', begin + 10);
    let stop: number;
    if (endMarker < 0) stop = s.length;
    else {
      const close = s.indexOf('-----', endMarker + 8);
      stop = close < 0 ? s.length : close + 5;
    }
    out += s.slice(from, begin) + '{private-key}';
    from = stop;
  }
  return from === 0 ? s : out + s.slice(from);
}

function validIpv6(m: string): boolean {
  const core = m.replace(/%.*$/, '');
  const dbl = core.indexOf('::');
  if (dbl !== core.lastIndexOf('::')) return false;
  const groups = core.split(':').filter((g) => g !== '').length;
  if (dbl >= 0) return groups <= 7 && (groups >= 1 || core === '::');
  return groups === 8;
}

/**
 * Digit runs long enough to be phone, card, account or national id numbers: nine or more digits,
 * possibly grouped by single spaces, dashes, dots or parentheses. Dates (`2024-07-18`, 8 digits),
 * versions and model names stay below the threshold.
 */
const MIN_DIGITS = 9;
const COMPACT_DATE = /^(?:19|20)\d\d(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])(?!\d)/;
function isCompactDate(s: string, at: number): boolean {
  return COMPACT_DATE.test(s.slice(at, at + 9));
}
function scrubDigitRuns(s: string): string {
  let out = '';
  let last = 0;
  let i = 0;
  const n = s.length;
  while (i < n) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) { i++; continue; }
    const start = i;
    let digits = 0;
    let end = i;
    let group = 0;
    while (i < n) {
      const d = s.charCodeAt(i);
      if (d >= 48 && d <= 57) { digits++; group++; i++; end = i; continue; }
      // A dot joins only long groups (`415.555.0199`), never version parts (`4.18.0-553.22.1`).
      if (d === 46) {
        let k = i + 1;
        while (k < n && k - i <= 3 && s.charCodeAt(k) >= 48 && s.charCodeAt(k) <= 57) k++;
        if (group >= 3 && k - i - 1 >= 3) { i++; group = 0; continue; }
        break;
      }
      // one separator followed by a digit continues the run
      if ((d === 32 || d === 45 || d === 40 || d === 41) && i + 1 < n) {
        let j = i + 1;
        if (d === 41 && s.charCodeAt(j) === 32) j++; // "(555) 123"
        else if (d === 32 && s.charCodeAt(j) === 40) j++; // "+1 (555)"
        const e = s.charCodeAt(j);
        // A compact date (`claude-opus-4-1-20250805`) is not part of a number.
        if (e >= 48 && e <= 57 && !isCompactDate(s, j)) { i = j; group = 0; continue; }
      }
      break;
    }
    if (digits >= MIN_DIGITS) {
      let from = start;
      if (from > 0 && s.charCodeAt(from - 1) === 40 /* ( */) from--;
      if (from > 0 && s.charCodeAt(from - 1) === 43 /* + */) from--;
      out += s.slice(last, from) + '{number}';
      last = end;
    }
    if (i === start) i++;
  }
  return last === 0 ? s : out + s.slice(last);
}

const HEX_RE = /^[0-9a-fA-F]+$/;
/** Thresholds of the high-entropy rule (shared with the collector: secret-rules.json). */
const E = RULES.entropy;
const HEX_MIN = RULES.hexId.minLength;
const UUID_RE = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

/** 0 lower, 1 upper, 2 digit, -1 separator. */
function cls(c: number): number {
  if (c >= 97 && c <= 122) return 0;
  if (c >= 65 && c <= 90) return 1;
  if (c >= 48 && c <= 57) return 2;
  return -1;
}

/**
 * Is this token random-looking (a key, a password hash, a session token)? Random base62/base64
 * switches between lower, upper and digit on ~60% of adjacent pairs; words, camelCase names,
 * model names and versions switch rarely. Separators reset the count, so `claude-3-5-sonnet` or
 * `ERR_INVALID_ARG_TYPE` score zero.
 */
export function looksRandom(t: string): boolean {
  const n = t.length;
  if (n < E.minLength) return false;
  let core = 0;
  let switches = 0;
  let prev = -1;
  let digits = 0;
  let longestRun = 0;
  let run = 0;
  for (let i = 0; i < n; i++) {
    const c = t.charCodeAt(i);
    const k = cls(c);
    // `+` and `/` are base64's own letters: they do not end a run (a 40-character AWS secret split by
    // them into runs of 11 is one random run); other separators do.
    if (k < 0) { prev = -1; if (c !== 43 && c !== 47) run = 0; continue; }
    core++;
    run++;
    if (run > longestRun) longestRun = run;
    if (k === 2) digits++;
    if (prev >= 0 && prev !== k) switches++;
    prev = k;
  }
  if (core < E.minLength || longestRun < E.minRun) return false;
  const letters = core - digits;
  // Random base62/base64 almost always mixes in digits (P(no digit in 32 chars) < 0.4%).
  if (digits >= 1 && letters >= E.minLetters) return switches / core >= E.mixedSwitchRatio;
  // No digits: only a very high case-switch rate (camelCase words stay well below it) ...
  if (digits === 0 && core >= E.noDigitMinCore) return switches / core >= E.noDigitSwitchRatio;
  // ... or one long run of a single kind (a 32+ letter "word" is a key, not a word).
  return longestRun >= E.singleKindRun && switches === 0;
}

/** scrubText option: keep random-looking tokens, uuids and hex ids (opaque ids: rules.ts `opaqueId`). */
export interface ScrubOptions {
  keepRandom?: boolean;
}
export const KEEP_RANDOM: ScrubOptions = Object.freeze({ keepRandom: true });

/** Judge one token: the placeholder to put instead, or undefined when it is harmless. */
function judgeToken(t: string, c: CompiledScrub, keepRandom = false): string | undefined {
  const n = t.length;
  if (!keepRandom && n === 36 && UUID_RE.test(t)) return '{id}';
  if (!keepRandom && n >= HEX_MIN && HEX_RE.test(t) && /[0-9]/.test(t) && /[a-fA-F]/.test(t)) return '{id}';
  if (c.names.length > 0) {
    const low = t.toLowerCase();
    for (const [name, ph] of c.names) {
      const at = low.indexOf(name);
      if (at < 0) continue;
      // Long names match anywhere; short ones only as a whole segment (`bob` in `bob-laptop`).
      if (name.length >= 4) return ph;
      const before = at === 0 ? -1 : cls(low.charCodeAt(at - 1));
      const after = at + name.length >= n ? -1 : cls(low.charCodeAt(at + name.length));
      if (before < 0 && after < 0) return ph;
    }
  }
  if (!keepRandom && looksRandom(t)) return '{secret}';
  return undefined;
}

/** Run judgeToken over every token of `s`, rebuilding the string only when something changed. */
function scrubTokens(s: string, c: CompiledScrub, keepRandom = false): string {
  let out = '';
  let last = 0;
  const n = s.length;
  let i = 0;
  while (i < n) {
    if (!isTokenChar(s.charCodeAt(i))) { i++; continue; }
    const start = i;
    while (i < n && isTokenChar(s.charCodeAt(i))) i++;
    // Our own placeholders (`{id}`) are left alone: keeps the scrubber idempotent.
    if (start > 0 && s.charCodeAt(start - 1) === 123 && s.charCodeAt(i) === 125) continue;
    if (i - start < 2) continue;
    const tok = s.slice(start, i);
    let ph = judgeToken(tok, c, keepRandom);
    // Paths: judge each segment, so `/runs/<uuid>` keeps its shape and a key inside a path
    // (`/api/keys/Ab3d...`) is not diluted by the words around it. A base64 secret that merely
    // contains `/` is caught as a whole above, unless it starts like a path.
    if (tok.indexOf('/') >= 0 && (ph === undefined || /^[/.~]/.test(tok))) {
      const segs = tok.split('/');
      let changed = false;
      for (let k = 0; k < segs.length; k++) {
        const seg = segs[k]!;
        const sp = seg.length >= 2 ? judgeToken(seg, c, keepRandom) : undefined;
        if (sp !== undefined) { segs[k] = sp; changed = true; }
      }
      ph = changed ? segs.join('/') : undefined;
    }
    if (ph !== undefined) {
      out += s.slice(last, start) + ph;
      last = i;
    }
  }
  return last === 0 ? s : out + s.slice(last);
}

// ---------------------------------------------------------------------------------------------

export interface CompiledScrub {
  /** Lower-cased user and host names with their placeholders, longest first. */
  names: Array<[string, string]>;
  /** Literal prefixes (home dir, cwd) replaced before anything else. */
  literals: Array<[string, string]>;
}

/** Account names that identify nobody; treating them as personal would mangle ordinary words. */
const GENERIC_USERS = new Set([
  'root', 'node', 'user', 'admin', 'runner', 'ubuntu', 'vscode', 'codespace', 'app', 'circleci', 'jenkins',
  'docker', 'ec2-user', 'gitpod', 'nobody', 'default', 'local', 'localhost', 'localdomain', 'build', 'ci',
]);

export function compileScrub(ctx: ScrubContext): CompiledScrub {
  const names: Array<[string, string]> = [];
  const addName = (v: string | undefined, ph: string) => {
    if (typeof v !== 'string') return;
    const low = v.trim().toLowerCase();
    if (low.length < 2 || low.length > 253 || GENERIC_USERS.has(low) || PLACEHOLDERS.includes(low)) return;
    // Only token characters can ever match a token; names with others are matched as literals.
    if (![...low].every((ch) => isTokenChar(ch.charCodeAt(0)))) return;
    if (!names.some(([n]) => n === low)) names.push([low, ph]);
  };
  addName(ctx.user, '{user}');
  // The home directory names its owner (`/home/alice`, `/Users/alice`, `C:\\Users\\alice`), even
  // when the account the process runs as is another (containers, sudo, CI).
  if (typeof ctx.home === 'string') {
    const parts = ctx.home.split(/[/\\]+/).filter((p) => p !== '');
    const parent = parts[parts.length - 2]?.toLowerCase();
    if (parent === 'home' || parent === 'users') addName(parts[parts.length - 1], '{user}');
  }
  addName(ctx.host, '{host}');
  if (typeof ctx.host === 'string' && ctx.host.indexOf('.') > 0) addName(ctx.host.slice(0, ctx.host.indexOf('.')), '{host}');
  names.sort((a, b) => b[0].length - a[0].length);
  const literals: Array<[string, string]> = [];
  const addLit = (v: string | undefined, ph: string) => {
    if (typeof v !== 'string' || v.length < 2 || v === '/' || /^[A-Za-z]:\\?$/.test(v)) return;
    const trimmed = v.replace(/[/\\]+$/, '');
    if (trimmed.length >= 2 && !literals.some(([l]) => l === trimmed)) literals.push([trimmed, ph]);
  };
  // cwd first when it is below home (longer literal wins), then home.
  addLit(ctx.cwd, '{cwd}');
  addLit(ctx.home, '~');
  literals.sort((a, b) => b[0].length - a[0].length);
  return { names, literals };
}

function replaceAllLiteral(s: string, lit: string, ph: string): string {
  return s.indexOf(lit) < 0 ? s : s.split(lit).join(ph);
}

function scrubUrl(c: CompiledScrub) {
  return (_m: string, scheme: string, rest: string): string => {
    let end = rest.length;
    for (let i = 0; i < rest.length; i++) {
      const ch = rest.charCodeAt(i);
      if (ch === 47 || ch === 63 || ch === 35) { end = i; break; }
    }
    let authority = rest.slice(0, end);
    const at = authority.lastIndexOf('@');
    if (at >= 0) authority = authority.slice(at + 1); // credentials never leave
    const portAt = authority.lastIndexOf(':');
    const port = portAt > 0 && /^:\d{1,5}$/.test(authority.slice(portAt)) && !authority.endsWith(']') ? authority.slice(portAt) : '';
    const hostPart = port ? authority.slice(0, portAt) : authority;
    const host = hostPart === 'localhost' || hostPart === '' ? hostPart : '{host}';
    let path = rest.slice(end);
    const q = path.search(/[?#]/);
    if (q >= 0) path = path.slice(0, q); // query strings and fragments never leave
    return `${scheme.toLowerCase()}://${host}${port}${path ? normalizeUrlPath(path, (seg) => judgeSegment(seg, c)) : ''}`;
  };
}

/** Path segment judge for URLs: anything id-like or sensitive becomes `{id}`. */
export function judgeSegment(seg: string, c: CompiledScrub): boolean {
  return scrubText(seg, c, 256) !== seg || seg.indexOf('@') >= 0;
}

/**
 * Scrub a free-text string. `max` caps the input before matching and the output after it.
 * Idempotent: its own output passes through unchanged.
 */
export function scrubText(input: string, c: CompiledScrub, max: number, opts?: ScrubOptions): string {
  let s = capLength(wellFormed(input), max);
  if (s.length === 0) return s;
  // A replacement can expose a new match to an earlier pass (`0000 0000 0000 0000c0:0:...` only
  // reads as an IPv6 address once the card number is gone): repeat until nothing changes. Clean
  // values take one pass; the loop is bounded.
  for (let round = 0; round < 4; round++) {
    const next = scrubOnce(s, c, max, opts?.keepRandom === true);
    if (next === s) return s;
    s = next;
  }
  return s;
}

function scrubOnce(input: string, c: CompiledScrub, max: number, keepRandom: boolean): string {
  // Paths first, whole: once the home directory became `~` the rest of the path would read as words.
  let s = replacePaths(input);
  for (const [lit, ph] of c.literals) s = replaceAllLiteral(s, lit, ph);
  if (s.indexOf('-----BEGIN') >= 0) s = scrubKeyBlocks(s);
  if (s.indexOf('://') >= 0) s = s.replace(URL_RE, scrubUrl(c) as (m: string, ...a: string[]) => string);
  if (s.indexOf('eyJ') >= 0) s = s.replace(JWT_RE, '{token}');
  // The `i` rules' leads are ASCII: lower-casing maps every letter the flag would match onto them.
  const hasBlank = s.indexOf(' ') >= 0 || s.indexOf('\t') >= 0;
  if (hasBlank && hasLead(s.toLowerCase(), AUTH_LEADS)) s = s.replace(AUTH_RE, (m, kw: string, sp: string, tok: string) =>
    /[0-9=+/]/.test(tok) || looksRandom(tok) ? `${kw}${sp}{token}` : m,
  );
  if ((s.indexOf('=') >= 0 || s.indexOf(':') >= 0) && hasLead(s.toLowerCase(), KV_LEADS)) s = s.replace(KV_SECRET_RE, (m, kw: string, suffix: string, sep: string, val: string) => {
    const bare = val.replace(/^\\?["']|\\?["']$/g, '');
    if (bare.length < 6 || /^\d+$/.test(bare) || /^\{[a-z-]+\}$/.test(bare)) return m;
    if (AUTH_WORD_RE.test(bare)) return m;
    return `${kw}${suffix}${sep}{secret}`;
  });
  if (s.indexOf('@') >= 0) s = s.replace(EMAIL_RE, '{email}');
  if (hasTailRun(s) && hasLead(s, VENDOR_LEADS)) {
    s = s.replace(VENDOR_RE, '{secret}');
    s = s.replace(AWS_ID_RE, '{secret}');
  }
  if (s.indexOf('?') >= 0) s = s.replace(QUERY_RE, '');
  if (s.indexOf('home') >= 0 || s.indexOf('Users') >= 0 || s.indexOf('/root') >= 0) s = s.replace(HOME_RE, '~');
  if (hasThreeDots(s)) s = s.replace(IPV4_RE, '{ip}');
  if (s.indexOf(':') >= 0) s = s.replace(IPV6_RE, (m) => (validIpv6(m) ? '{ip}' : m));
  s = scrubTokens(s, c, keepRandom); // before digit runs, so a uuid becomes one `{id}`
  const d = scrubDigitRuns(s);
  if (d !== s) s = scrubTokens(d, c, keepRandom); // removing digits can expose a token: judge again
  return capLength(s, max);
}
