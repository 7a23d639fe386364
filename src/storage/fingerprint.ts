/**
 * FNV-1a, 32 bit, as 8 hex digits: short stable names for files and folders (a destination's
 * folder, a tool's session file). Not a secret and not an identity, so no crypto load at start-up.
 */
type Env = NodeJS.ProcessEnv;

const OFFSET = 0x811c9dc5;

function feed(h: number, s: string): number {
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

const hex = (h: number): string => h.toString(16).padStart(8, '0');

export function fnv1a(s: string): string {
  return hex(feed(OFFSET, s));
}

/**
 * The named variables' names and values (those set, in the order given). Named look-ups only:
 * enumerating the environment costs time in proportion to its size (10,000 exported variables
 * added ~500 ms to every run); this costs the same for any environment.
 */
export function envFingerprint(env: Env, names: readonly string[]): string {
  let h = OFFSET;
  for (const k of names) {
    const v = env[k];
    if (v !== undefined) h = feed(h, `${k}=${v}\n`);
  }
  return hex(h);
}
