/**
 * Telemetry levels and their order, in one place: consent resolves to one, the catalog gives each
 * key the lowest it may be sent at, the recorder asks whether its level allows a record, and the
 * spool reader, sanitizer and shipper never let a batch rise above the level it was recorded at.
 * Pure data and comparisons; imports nothing.
 */

/** Lowest first. `off` means: nothing loaded, written or sent. */
export const LEVELS = ['off', 'minimal', 'usage', 'full'] as const;
export type Level = (typeof LEVELS)[number];

/** The levels something can be recorded at: every level but `off`. */
export const RECORDING_LEVELS = ['minimal', 'usage', 'full'] as const;
export type RecordingLevel = (typeof RECORDING_LEVELS)[number];

export function isLevel(v: unknown): v is Level {
  return typeof v === 'string' && (LEVELS as readonly string[]).includes(v);
}

export function isRecordingLevel(v: unknown): v is RecordingLevel {
  return typeof v === 'string' && (RECORDING_LEVELS as readonly string[]).includes(v);
}

/** Position in LEVELS (off = 0 ... full = 3); anything else counts as off. */
export function levelRank(level: Level): number {
  return Math.max(0, LEVELS.indexOf(level));
}

/** Does a run at `level` record what needs `needed`? */
export function levelAllows(level: Level, needed: Level): boolean {
  return levelRank(level) >= levelRank(needed);
}

/** The lower of two levels (never raise what was decided or recorded). */
export function minLevel(a: Level, b: Level): Level {
  return levelRank(a) <= levelRank(b) ? a : b;
}
