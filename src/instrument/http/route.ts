/**
 * The route of a request, low-cardinality by construction: the framework's template when there is
 * one (Express `req.baseUrl + req.route.path`, Fastify `routeOptions.url`), else the path with ids
 * replaced by `{id}` (`/projects/8812/runs/9f1c0b2e` -> `/projects/{id}/runs/{id}`), as Visivo
 * reports endpoints. Query strings and fragments never survive. Pure and linear.
 */

const MAX_SEGMENTS = 16;
const MAX_SEGMENT_LENGTH = 48;
const MAX_PATH = 1024;

const UUID = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;
/** Hex with at least one digit, 8+ chars (hashes, object ids). */
const HEX_ID = /^(?=[a-f]*\d)[0-9a-f]{8,}$/i;
/** Route parameters already templated (`:id`, `{id}`, `*`) pass as they are. */
const TEMPLATE = /^(?::[A-Za-z_][A-Za-z0-9_]{0,47}\??|\{[A-Za-z_][A-Za-z0-9_.-]{0,47}\}|\*{1,2})$/;

/** Is this path segment an id (or something that must not be kept, like an e-mail)? */
export function isIdSegment(seg: string): boolean {
  const n = seg.length;
  if (n > MAX_SEGMENT_LENGTH) return true;
  // One pass over the characters: most segments are plain words without digits (fast path).
  let digits = 0;
  for (let i = 0; i < n; i++) {
    const c = seg.charCodeAt(i);
    if (c >= 48 && c <= 57) digits++;
    else if (!((c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 45 || c === 95 || c === 46 || c === 126)) return true; // not [A-Za-z0-9._~-]
  }
  if (digits === 0) return false;
  if (digits === n || UUID.test(seg) || HEX_ID.test(seg)) return true;
  // Long tokens mixing letters and digits: `cus_NffrFeUfNV2Hib`, base62 ids, slugs with numbers.
  if (n >= 12) return true;
  // Mostly digits (`v2` stays, `12ab34` does not).
  return digits * 2 > n && n > 3;
}

/** Strip query/fragment and replace id-like segments with `{id}`. Never throws. */
export function templatePath(raw: string): string {
  let p = typeof raw === 'string' ? raw : '/';
  let q = p.indexOf('?');
  const h = p.indexOf('#');
  if (h >= 0 && (q < 0 || h < q)) q = h;
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
    const c = seg.charCodeAt(0);
    if (seg === '' || ((c === 58 || c === 123 || c === 42) && TEMPLATE.test(seg))) out.push(seg); // `:id`, `{id}`, `*`
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
