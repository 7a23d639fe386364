/**
 * The route of a request, low-cardinality by construction: the framework's template when there is
 * one (Express `req.baseUrl + req.route.path`, Fastify `routeOptions.url`), else the path with ids
 * replaced by `{id}` (`/projects/8812/runs/9f1c0b2e` -> `/projects/{id}/runs/{id}`), as Visivo
 * reports endpoints. Query strings and fragments never survive. Pure and linear.
 */

const MAX_SEGMENTS = 16;
const MAX_SEGMENT_LENGTH = 48;
const MAX_PATH = 1024;

const NUMERIC = /^\d+$/;
const UUID = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;
/** Hex with at least one digit, 8+ chars (hashes, object ids). */
const HEX_ID = /^(?=[a-f]*\d)[0-9a-f]{8,}$/i;
/** Harmless path words: letters, digits, `-`, `_`, `.`, `~`. */
const WORD = /^[A-Za-z0-9._~-]+$/;
/** Route parameters already templated (`:id`, `{id}`, `*`) pass as they are. */
const TEMPLATE = /^(?::[A-Za-z_][A-Za-z0-9_]{0,47}\??|\{[A-Za-z_][A-Za-z0-9_.-]{0,47}\}|\*{1,2})$/;

/** Is this path segment an id (or something that must not be kept, like an e-mail)? */
export function isIdSegment(seg: string): boolean {
  if (seg.length > MAX_SEGMENT_LENGTH || !WORD.test(seg)) return true;
  if (NUMERIC.test(seg) || UUID.test(seg) || HEX_ID.test(seg)) return true;
  const hasDigit = /\d/.test(seg);
  // Long tokens mixing letters and digits: `cus_NffrFeUfNV2Hib`, base62 ids, slugs with numbers.
  if (hasDigit && seg.length >= 12) return true;
  // Mostly digits (`v2` stays, `12ab34` does not).
  if (hasDigit && seg.replace(/\D/g, '').length * 2 > seg.length && seg.length > 3) return true;
  return false;
}

/** Strip query/fragment and replace id-like segments with `{id}`. Never throws. */
export function templatePath(raw: string): string {
  let p = typeof raw === 'string' ? raw : '/';
  const q = p.search(/[?#]/);
  if (q >= 0) p = p.slice(0, q);
  if (p.length > MAX_PATH) p = p.slice(0, MAX_PATH);
  if (p === '' || p === '*') return p || '/';
  // Absolute-form request targets (`GET http://host/x`): keep the path only, never the host.
  if (!p.startsWith('/')) {
    const i = p.indexOf('://');
    if (i < 0) return '/{id}';
    const j = p.indexOf('/', i + 3);
    p = j < 0 ? '/' : p.slice(j);
  }
  const parts = p.split('/');
  const out: string[] = [];
  for (let i = 0; i < parts.length; i++) {
    if (out.length > MAX_SEGMENTS) {
      out.push('{id}');
      break;
    }
    const seg = parts[i]!;
    if (seg === '' || TEMPLATE.test(seg)) out.push(seg);
    else if (seg.indexOf('%') >= 0) out.push('{id}'); // encoded bytes: names, spaces, e-mails
    else out.push(isIdSegment(seg) ? '{id}' : seg);
  }
  return out.join('/');
}

/** Known methods keep their name; anything else is `_OTHER` (HTTP semantic conventions). */
const KNOWN_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH', 'QUERY']);

export function normalizeMethod(m: unknown): string {
  return typeof m === 'string' && KNOWN_METHODS.has(m) ? m : '_OTHER';
}

/** Joins an Express mount path (actual values: templated) with the route's own template. */
export function joinRoute(base: string, route: string): string {
  const b = base ? templatePath(base) : '';
  const joined = (b.endsWith('/') ? b.slice(0, -1) : b) + (route.startsWith('/') ? route : '/' + route);
  return joined.length > MAX_PATH ? joined.slice(0, MAX_PATH) : joined || '/';
}
