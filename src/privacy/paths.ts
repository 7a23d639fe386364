/**
 * File-system paths in free text are replaced whole by `{path}`: the directories above a file name
 * (`/home/alice/clients/acme-corp/merger-plan/src/index.ts`) say who works on what, whoever owns them,
 * so no segment of a path survives, not even after the home directory became `~`. The collector's
 * devtool_redact processor implements the same scanner in Go (paths.go); both are checked against
 * test/fixtures/secrets/shared-vectors.json.
 *
 * A token (a run of characters up to a blank, a quote, `<>|,;()[]`, a `=` before any `?`, or a `:` that
 * is neither a drive letter's nor a route parameter's) is a path when it is:
 * - absolute with at least two segments (`/a/b`, `\a\b`), or a drive (`C:\x`, `c:/x`) or UNC (`\\srv\x`)
 *   path, or under a home (`~/x`, `~alice/x`), or climbs out of its directory (`../x`);
 * - relative with three separators or more (`clients/acme-corp/merger-plan/x.ts`). Shorter relative
 *   names (`node_modules/.bin/tsc`, `./src/index.ts`, `meta-llama/Llama-3.1-70B`, `GNU/Linux`) stay: they
 *   are package, model and product names more often than private places.
 * A path goes on through a space when the next word has a separator too (`/Users/Ann Lee/Documents/x`).
 * Not paths: URLs (`scheme://...`, handled by the URL rules), route templates (`/users/:id`), and the
 * target of an HTTP method (`GET /api/v1/items`), which is a URL path with its own normalization.
 * Linear: one pass, no regex.
 */

export const PATH_PLACEHOLDER = '{path}';

const HTTP_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH', 'QUERY']);

function isBlank(c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13);
}

/** Characters that end a token (besides a non-drive `:`). */
function isStop(c: number): boolean {
  switch (c) {
    case 34: /* " */ case 39: /* ' */ case 96: /* ` */ case 60: /* < */ case 62: /* > */ case 124: /* | */
    case 44: /* , */ case 59: /* ; */ case 40: /* ( */ case 41: /* ) */ case 91: /* [ */ case 93: /* ] */ case 61: /* = */
      return true;
  }
  return isBlank(c);
}

function isLetter(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}

function isSep(c: number): boolean {
  return c === 47 /* / */ || c === 92 /* \ */;
}

/** Non-empty segments between separators. */
function segments(t: string): number {
  let n = 0;
  let inSeg = false;
  for (let i = 0; i < t.length; i++) {
    if (isSep(t.charCodeAt(i))) inSeg = false;
    else if (!inSeg) { inSeg = true; n++; }
  }
  return n;
}

/** `GET /x`: the token is the target of an HTTP method word written just before it. */
function afterHttpMethod(s: string, start: number): boolean {
  if (start < 2 || s.charCodeAt(start - 1) !== 32) return false;
  let k = start - 1;
  while (k > 0 && isLetter(s.charCodeAt(k - 1))) k--;
  if (k > 0 && !isBlank(s.charCodeAt(k - 1))) return false;
  return HTTP_METHODS.has(s.slice(k, start - 1));
}

/** Is the token s[start, end) a path? */
export function isPathToken(s: string, start: number, end: number): boolean {
  const t = s.slice(start, end);
  const n = t.length;
  if (n < 3) return false;
  let seps = 0;
  let letter = false;
  for (let i = 0; i < n; i++) {
    const c = t.charCodeAt(i);
    if (isSep(c)) seps++;
    else if (isLetter(c) || c >= 0x80) letter = true;
  }
  if (seps === 0 || !letter) return false;
  if (t.indexOf('/:') >= 0) return false; // route template: /users/:id
  const c0 = t.charCodeAt(0);
  const c1 = t.charCodeAt(1);
  if (c0 === 126 /* ~ */) {
    // ~/x, ~alice/x
    let i = 1;
    while (i < n && !isSep(t.charCodeAt(i))) i++;
    return i < n - 1;
  }
  if (isLetter(c0) && c1 === 58 /* : */ && isSep(t.charCodeAt(2))) return n > 3; // C:\x, c:/x
  if (c0 === 92 && c1 === 92) return true; // \\server\share
  if (c0 === 46 && c1 === 46 && isSep(t.charCodeAt(2))) return true; // ../x
  if (isSep(c0)) return segments(t) >= 2 && !(c0 === 47 && afterHttpMethod(s, start));
  return seps >= 3;
}

/**
 * End of the token that starts at `start`. In a URL (`urlToken`: after `//`) a `:` (a port, an IPv6
 * literal) does not end it; every other stop does, so what follows a `]` or `(` is a token of its own.
 */
function tokenEnd(s: string, start: number, urlToken = false): number {
  const n = s.length;
  let j = start;
  let query = false;
  let sep = false;
  while (j < n) {
    const d = s.charCodeAt(j);
    if (isSep(d)) sep = true;
    // a query string stays with its path (`/a/b?key=value` goes whole), so `=` no longer ends it;
    // only after a separator: `?=/home/x` is not a query of a path, and `=` still ends `?`
    if (d === 63 /* ? */ && sep) query = true;
    if (isStop(d) && !(query && d === 61)) break;
    if (d === 58 /* : */ && !urlToken) {
      // a drive letter's colon (`C:\`) and a route parameter (`/:id`) stay inside the token
      const driveColon = j === start + 1 && isLetter(s.charCodeAt(start)) && j + 1 < n && isSep(s.charCodeAt(j + 1));
      const routeParam = j > start && s.charCodeAt(j - 1) === 47;
      if (!driveColon && !routeParam) break;
    }
    j++;
  }
  return j;
}

/** Replace every path token of `s` by `{path}`; returns `s` itself when there is none. */
export function replacePaths(s: string): string {
  // Cheap exit: no separator, no path.
  if (s.indexOf('/') < 0 && s.indexOf('\\') < 0) return s;
  const n = s.length;
  let out = '';
  let last = 0;
  let i = 0;
  while (i < n) {
    const c = s.charCodeAt(i);
    if (isStop(c) || c === 58 /* : */) { i++; continue; }
    const start = i;
    let j = tokenEnd(s, i);
    // `//host/...` after `scheme:` is a URL (or a protocol-relative one): skip it to its end.
    if (s.charCodeAt(start) === 47 && s.charCodeAt(start + 1) === 47 && s.charCodeAt(start + 2) !== 47) {
      j = tokenEnd(s, start, true);
    } else if (isPathToken(s, start, j)) {
      // A name with a space (`C:\Users\Ann Lee\Documents\x`): a following word that has a separator
      // continues the same path.
      while (j + 1 < n && s.charCodeAt(j) === 32) {
        const k = tokenEnd(s, j + 1);
        let sep = false;
        for (let x = j + 1; x < k && !sep; x++) sep = isSep(s.charCodeAt(x));
        if (!sep) break;
        j = k;
      }
      out += s.slice(last, start) + PATH_PLACEHOLDER;
      last = j;
    }
    i = j;
  }
  return last === 0 ? s : out + s.slice(last);
}
