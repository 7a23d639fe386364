/**
 * URL and API paths keep their shape, ids become placeholders: `/projects/8812/runs/9f1c...` ->
 * `/projects/{id}/runs/{id}` (as Visivo reports endpoints). Route templates (`/users/:id`,
 * `/users/{userId}`, `*`) pass unchanged. Query strings and fragments are always dropped.
 * Pure and linear: one split, one check per segment.
 */

const MAX_SEGMENTS = 32;
const MAX_SEGMENT_LENGTH = 64;

const NUMERIC = /^\d+$/;
const UUID = /^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$/;
const HEX_WITH_DIGIT = /^(?=[a-fA-F]*[0-9])[0-9a-fA-F]{8,}$/;
/** Route parameters and our own placeholders. */
const TEMPLATE = /^(?::[A-Za-z_][A-Za-z0-9_]{0,63}\??|\{[A-Za-z_][A-Za-z0-9_.-]{0,63}\}|\*{1,2})$/;
/** A word-like segment: letters, then optionally `-`/`_`/`.` separated letters or short numbers. */
const HOME_PARENTS = new Set(['home', 'users']);
const PLAIN_SEGMENT = /^[A-Za-z0-9._~-]+$/;

/** True when a path segment is an id: numbers, uuids, hex, long tokens that mix letters and digits. */
export function isIdSegment(seg: string): boolean {
  if (NUMERIC.test(seg)) return true;
  if (seg.length >= 32 && UUID.test(seg)) return true;
  if (HEX_WITH_DIGIT.test(seg)) return true;
  if (seg.length > MAX_SEGMENT_LENGTH) return true;
  // Long mixed tokens: `a1b2c3d4e5f6g7`, `cus_NffrFeUfNV2Hib`, base64 ids.
  if (seg.length >= 12 && /[0-9]/.test(seg) && /[A-Za-z]/.test(seg) && !/[-_.]/.test(seg)) return true;
  if (seg.length >= 16 && /[0-9]/.test(seg) && /[A-Za-z]/.test(seg)) return true;
  return false;
}

function decodeSegment(seg: string): string {
  if (seg.indexOf('%') < 0) return seg;
  try {
    return decodeURIComponent(seg);
  } catch {
    return seg;
  }
}

/**
 * Normalize a URL path. `sensitive(seg)` is the caller's scrubber (e-mail, secrets, user and host
 * names); a segment it flags, or an id-like one, becomes `{id}`. Everything after `?` or `#` is
 * dropped. Never throws.
 */
export function normalizeUrlPath(path: string, sensitive: (seg: string) => boolean): string {
  let p = path;
  const q = p.search(/[?#]/);
  if (q >= 0) p = p.slice(0, q);
  const parts = p.split('/');
  const out: string[] = [];
  for (let i = 0; i < parts.length; i++) {
    if (out.length >= MAX_SEGMENTS) {
      out.push('{id}');
      break;
    }
    const seg = parts[i]!;
    // The directory after /home, /Users, C:\Users is a user name.
    if (i > 0 && HOME_PARENTS.has(parts[i - 1]!.toLowerCase()) && seg !== '' && !TEMPLATE.test(seg)) {
      out.push('{id}');
      continue;
    }
    if (seg === '' || seg === '.' || seg === '..' || TEMPLATE.test(seg)) {
      out.push(seg);
      continue;
    }
    const decoded = decodeSegment(seg);
    if (!PLAIN_SEGMENT.test(seg) && decoded === seg && seg.indexOf('@') < 0) {
      // Odd characters (spaces, quotes, braces): only keep the segment when it is harmless text.
      out.push(isIdSegment(seg) || sensitive(seg) ? '{id}' : seg);
      continue;
    }
    out.push(isIdSegment(decoded) || sensitive(decoded) || decoded !== seg ? '{id}' : seg);
  }
  return out.join('/');
}
