/** Random trace/span ids and UUIDs from a pooled CSPRNG buffer (one syscall per 32 ids). */
import { randomFillSync, randomUUID } from 'node:crypto';

const pool = Buffer.alloc(256);
let offset = pool.length;

function randomHex(bytes: number): string {
  if (offset + bytes > pool.length) {
    randomFillSync(pool);
    offset = 0;
  }
  const hex = pool.toString('hex', offset, offset + bytes);
  offset += bytes;
  return hex;
}

export function newTraceId(): string {
  return randomHex(16);
}

export function newSpanId(): string {
  return randomHex(8);
}

export function newUuid(): string {
  return randomUUID();
}
