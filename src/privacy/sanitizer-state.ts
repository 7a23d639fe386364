/**
 * What one sanitizer keeps between records: its compiled scrubber, its level (the ceiling of every
 * batch it sees), the compiled attribute tables and the memos of verdicts. Created once per
 * sanitizer and passed explicitly to the attribute, span and metric judges, so each of them is a
 * plain function of (state, record) that a reader can follow without a surrounding closure.
 * Also the caps every judge applies, and the bounded list walk they share.
 */
import type { Level, LocalIdentity } from '../model/records';
import { isLevel } from '../model/levels';
import type { AttributeSpec } from './catalog';
import { type CompiledScrub, compileScrub } from './patterns';

/** Who runs the tool (their names are scrubbed) and the level they consented to. */
export interface SanitizeContext extends LocalIdentity {
  level: Level;
}

/** Caps on records (values are capped by their rules). */
export const LIMITS = Object.freeze({
  resourceAttributes: 128,
  attributes: 64,
  events: 32,
  links: 16,
  spans: 1024,
  metrics: 256,
  logs: 512,
  points: 512,
  histogramBuckets: 64,
  spanName: 128,
  text: 4096,
});

/** Memos stay small (cleared when full) and remember only short strings: the repeated ones. */
export const MEMO_MAX = 256;
export const MEMO_VALUE_MAX = 256;

export type Scalar = string | number | boolean;

/** One catalog key, ready to judge values: its spec and its rule's scalar check (memoized for strings). */
export interface CompiledAttribute {
  spec: AttributeSpec;
  scalar: (v: unknown) => Scalar | undefined;
}
export type AttributeTable = Map<string, CompiledAttribute>;

export interface SanitizerState {
  readonly scrub: CompiledScrub;
  /** The sanitizer's level: a batch's level is lowered to it, never raised. */
  readonly level: Level;
  /** String verdicts per catalog key (null: dropped); they outlive table rebuilds. */
  readonly valueMemos: Map<string, Map<string, Scalar | null>>;
  /** Compiled tables, slot level * 4 + target; emptied when the catalog gains extensions. */
  tables: Array<AttributeTable | undefined>;
  /** The catalogVersion() the tables were compiled for (-1: none yet). */
  tablesFor: number;
  /** Span names (and scopes) already judged. */
  readonly spanNames: Map<string, string>;
}

export function createSanitizerState(ctx: SanitizeContext): SanitizerState {
  return {
    scrub: compileScrub(ctx ?? { level: 'off' }),
    level: ctx && isLevel(ctx.level) ? ctx.level : 'off',
    valueMemos: new Map(),
    tables: [],
    tablesFor: -1,
    spanNames: new Map(),
  };
}

/**
 * Up to `max` items of an array, each judged at `level`; an item that cannot be judged (throws) is
 * dropped alone. The judge takes the state and level as arguments: no closure per record.
 */
export function list<T>(st: SanitizerState, level: Level, v: unknown, max: number, judge: (st: SanitizerState, level: Level, x: unknown) => T | undefined): T[] {
  const out: T[] = [];
  if (!Array.isArray(v)) return out;
  for (let i = 0; i < v.length && out.length < max; i++) {
    try {
      const r = judge(st, level, v[i]);
      if (r !== undefined) out.push(r);
    } catch {
      /* cannot judge: drop this record only */
    }
  }
  return out;
}
