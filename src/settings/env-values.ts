/**
 * Strict parsing of the environment values consent depends on. Users have been burnt by tools that
 * read `DISABLE_TELEMETRY=0` as "disabled" (any non-empty value counted) and by tools that ignored a
 * typo silently. Here a value is either clearly set, clearly unset, or reported and resolved to the
 * safer choice by the caller. Pure: no I/O, nothing of ours but the model.
 */
import { isLevel, type Level } from '../model/levels';

export type BoolParse =
  /** Variable absent or empty. */
  | { kind: 'unset'; raw: undefined | '' }
  | { kind: 'true'; raw: string }
  | { kind: 'false'; raw: string }
  /** Present but neither list: the caller reports it and takes the safer choice. */
  | { kind: 'invalid'; raw: string };

const TRUE = new Set(['1', 'true', 'yes', 'on']);
const FALSE = new Set(['0', 'false', 'no', 'off']);

/** `1/true/yes/on` -> true, `0/false/no/off` -> false (case-insensitive, trimmed), empty -> unset. */
export function parseBool(raw: string | undefined): BoolParse {
  if (raw === undefined) return { kind: 'unset', raw: undefined };
  const v = raw.trim().toLowerCase();
  if (v === '') return { kind: 'unset', raw: '' };
  if (TRUE.has(v)) return { kind: 'true', raw };
  if (FALSE.has(v)) return { kind: 'false', raw };
  return { kind: 'invalid', raw };
}

/**
 * A boolean exactly as the OpenTelemetry SDK environment specification reads it (OTEL_SDK_DISABLED):
 * only `true` (case-insensitive) is true; `false`, empty and unset are false; anything else is
 * false too, and worth a warning. Implementations MUST NOT accept more true values (`1`, `yes`).
 */
export function parseOtelBool(raw: string | undefined): BoolParse {
  if (raw === undefined) return { kind: 'unset', raw: undefined };
  const v = raw.trim().toLowerCase();
  if (v === '') return { kind: 'unset', raw: '' };
  if (v === 'true') return { kind: 'true', raw };
  if (v === 'false') return { kind: 'false', raw };
  return { kind: 'invalid', raw };
}

export type LevelParse =
  | { kind: 'unset' }
  | { kind: 'level'; level: Level }
  | { kind: 'invalid'; raw: string };

/** A level name (`off`, `minimal`, `usage`, `full`), case-insensitive, trimmed; empty -> unset. */
export function parseLevel(raw: unknown): LevelParse {
  if (raw === undefined || raw === null) return { kind: 'unset' };
  if (typeof raw !== 'string') return { kind: 'invalid', raw: safeRaw(raw) };
  const v = raw.trim().toLowerCase();
  if (v === '') return { kind: 'unset' };
  if (isLevel(v)) return { kind: 'level', level: v };
  return { kind: 'invalid', raw };
}

/**
 * `DEVTOOL_TELEMETRY_DEBUG`: print records to stderr, send and spool nothing. An unparsable value
 * counts as on: debug is the mode that sends nothing, so it is the safer reading.
 */
export function isDebug(env: NodeJS.ProcessEnv): boolean {
  const p = parseBool(env.DEVTOOL_TELEMETRY_DEBUG);
  return p.kind === 'true' || p.kind === 'invalid';
}

/** A raw value shortened for reports: enough to recognise a typo, never a wall of text. */
export function safeRaw(raw: unknown, max = 80): string {
  let s: string;
  try {
    s = typeof raw === 'string' ? raw : JSON.stringify(raw) ?? String(raw);
  } catch {
    s = String(raw);
  }
  return s.length > max ? `${s.slice(0, max)}…` : s;
}
