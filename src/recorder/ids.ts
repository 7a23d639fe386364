/**
 * Trace ids, span ids and per-run UUIDs from Math.random, as OpenTelemetry JS's own
 * RandomIdGenerator does: they need to be unique, not secret, and loading node:crypto costs
 * ~1.5-4 ms of start-up (it pulls in streams and ciphers), a fifth of our whole budget.
 * The one identifier that must be unguessable, the persistent anonymous install id, still
 * comes from crypto.randomUUID (consent/user-config.ts), created once per user.
 */

const HEX = '0123456789abcdef';

function randomHex(chars: number): string {
  let out = '';
  for (let i = 0; i < chars; i++) out += HEX[(Math.random() * 16) | 0];
  return out;
}

/** 32 hex chars, never all zero (an invalid trace id). */
export function newTraceId(): string {
  const id = randomHex(32);
  return id === '0'.repeat(32) ? newTraceId() : id;
}

/** 16 hex chars, never all zero (an invalid span id). */
export function newSpanId(): string {
  const id = randomHex(16);
  return id === '0'.repeat(16) ? newSpanId() : id;
}

/** A version-4 UUID (per-run session and batch ids). */
export function newUuid(): string {
  const h = randomHex(32);
  const variant = HEX[8 + ((Math.random() * 4) | 0)];
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}
