/**
 * Defense in depth: every batch passes the sanitizer again in the shipper, at the level it was
 * recorded at (never higher), so a spool file written by an older version, or edited on disk,
 * cannot carry more than the catalog allows. Idempotent on already-clean batches.
 * A sanitizer that throws on a batch makes that batch unsendable (fail closed).
 */
import type { Batch, Level } from '../model/records';
import { createSanitizer, type Sanitizer } from '../privacy/sanitize';
import { localIdentity } from '../resource/local-identity';

const cache = new Map<Level, Sanitizer>();

/**
 * The batch as it may leave the machine, or undefined when it must not (sanitizer missing or
 * failing on it).
 */
export function resanitize(batch: Batch, env: NodeJS.ProcessEnv): Batch | undefined {
  try {
    let s = cache.get(batch.level);
    if (!s) {
      s = createSanitizer({ level: batch.level, ...localIdentity(env) });
      cache.set(batch.level, s);
    }
    const out = s.batch(batch);
    // The sanitizer must not change the identity we account metrics by, nor who recorded it.
    return { ...out, id: batch.id, createdAt: batch.createdAt, ...(batch.origin ? { origin: batch.origin } : {}) };
  } catch {
    return undefined;
  }
}
