/**
 * Telemetry never throws into the tool, and a report never fails for one unreadable part: the
 * value, or `fallback` (undefined unless given) when computing it threw.
 */
export function safe<T>(fn: () => T): T | undefined;
export function safe<T>(fn: () => T, fallback: T): T;
export function safe<T>(fn: () => T, fallback?: T): T | undefined {
  try {
    return fn();
  } catch {
    return fallback;
  }
}
