/** The error class only: `TypeError`, or an errno code such as `ENOENT`; never the message. */
export function errorType(err: unknown): string {
  if (err && typeof err === 'object') {
    const e = err as { name?: unknown; code?: unknown; constructor?: { name?: unknown } };
    const code = typeof e.code === 'string' && /^E[A-Z0-9_]{1,30}$/.test(e.code) ? e.code : undefined;
    const ctor = e.constructor?.name;
    const name = typeof ctor === 'string' && ctor !== 'Object' ? ctor : undefined;
    const cls = name ?? (typeof e.name === 'string' ? e.name : undefined);
    if (cls === 'Error' && code) return code;
    return cls || '_OTHER';
  }
  return '_OTHER';
}
