/**
 * Defense in depth: every batch passes the sanitizer again in the shipper, at the level it was
 * recorded at (never higher), so a spool file written by an older version, or edited on disk,
 * cannot carry more than the catalog allows. Idempotent on already-clean batches.
 *
 * The sanitizer (src/privacy/sanitize.ts) is loaded by path at run time. While that module is not
 * built the batch passes through as the recorder wrote it (the recorder sanitized it already); a
 * sanitizer that throws on a batch makes that batch unsendable (fail closed).
 */
import os = require('node:os');
import type { Batch, Level } from '../model';

interface SanitizerLike {
  batch(b: Batch): Batch;
}
type CreateSanitizer = (opts: { level: Level; home?: string; user?: string; host?: string; cwd?: string }) => SanitizerLike;

const cache = new Map<Level, SanitizerLike>();
let factory: CreateSanitizer | null | undefined;

function safe<T>(fn: () => T): T | undefined {
  try {
    return fn();
  } catch {
    return undefined;
  }
}

function loadFactory(): CreateSanitizer | null {
  if (factory !== undefined) return factory;
  try {
    const modPath = '../privacy/sanitize';
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const m = require(modPath) as { createSanitizer?: CreateSanitizer };
    factory = typeof m.createSanitizer === 'function' ? m.createSanitizer : null;
  } catch {
    factory = null;
  }
  return factory;
}

/** True when the sanitizer module is available. */
export function sanitizerAvailable(): boolean {
  return loadFactory() !== null;
}

/**
 * The batch as it may leave the machine, or undefined when it must not (sanitizer missing or
 * failing on it).
 */
export function resanitize(batch: Batch, env: NodeJS.ProcessEnv): Batch | undefined {
  const create = loadFactory();
  if (!create) return batch;
  try {
    let s = cache.get(batch.level);
    if (!s) {
      s = create({
        level: batch.level,
        home: env.HOME || safe(() => os.homedir()),
        user: safe(() => os.userInfo().username) || env.USER || env.LOGNAME || env.USERNAME,
        host: safe(() => os.hostname()),
        cwd: undefined,
      });
      cache.set(batch.level, s);
    }
    const out = s.batch(batch);
    // The sanitizer must not change the identity we account metrics by.
    return { ...out, id: batch.id, createdAt: batch.createdAt };
  } catch {
    return undefined;
  }
}
