/**
 * Attributes: the catalog compiled into one table per level and target (resource, span, event,
 * metric), and the judging of each value by its key's rule. Keys a table does not list are dropped;
 * a value that fails its rule, or cannot be read (a throwing getter, a proxy), is dropped alone.
 * Fast because every record asks the same questions: a table is compiled on first use and kept
 * until the catalog gains extensions, and string verdicts are memoized per key (`os.version`, the
 * command name come back on every record).
 */
import type { Attributes, AttrValue, Level } from '../model/records';
import { levelAllows } from '../model/levels';
import { type AttributeSpec, type AttributeTarget, type CatalogLevel, allAttributes, catalogVersion } from './catalog';
import type { CompiledScrub } from './patterns';
import { checkScalar, checkValue } from './rules';
import {
  type AttributeTable, type CompiledAttribute, LIMITS, MEMO_MAX, MEMO_VALUE_MAX, type SanitizerState, type Scalar,
} from './sanitizer-state';

export const TARGETS: readonly AttributeTarget[] = ['resource', 'span', 'event', 'metric'];
const TARGET_INDEX: Record<AttributeTarget, number> = { resource: 0, span: 1, event: 2, metric: 3 };
const LEVEL_INDEX: Record<Level, number> = { off: 0, minimal: 1, usage: 2, full: 3 };

/** The rule's scalar check, answered from `memo` for short strings. */
function memoized(spec: AttributeSpec, memo: Map<string, Scalar | null>, scrub: CompiledScrub): (v: unknown) => Scalar | undefined {
  const rule = spec.rule;
  return (v) => {
    if (typeof v !== 'string' || v.length > MEMO_VALUE_MAX) return checkScalar(rule, v, scrub);
    const hit = memo.get(v);
    if (hit !== undefined) return hit === null ? undefined : hit;
    const r = checkScalar(rule, v, scrub);
    if (memo.size >= MEMO_MAX) memo.clear();
    memo.set(v, r === undefined ? null : r);
    return r;
  };
}

/** The keys allowed on `target` at `level`, compiled on first use (none at `off`). */
function table(st: SanitizerState, level: Level, target: AttributeTarget): AttributeTable {
  if (st.tablesFor !== catalogVersion()) {
    st.tables = [];
    st.tablesFor = catalogVersion();
  }
  const slot = (LEVEL_INDEX[level] ?? 0) * 4 + TARGET_INDEX[target];
  let t = st.tables[slot];
  if (t) return t;
  t = new Map();
  if (level !== 'off') {
    for (const spec of allAttributes()) {
      if (!spec.on.includes(target) || !levelAllows(level, spec.level as CatalogLevel)) continue;
      let memo = st.valueMemos.get(spec.key);
      if (!memo) st.valueMemos.set(spec.key, (memo = new Map()));
      t.set(spec.key, { spec, scalar: memoized(spec, memo, st.scrub) });
    }
  }
  st.tables[slot] = t;
  return t;
}

function judge(st: SanitizerState, c: CompiledAttribute, v: unknown): AttrValue | undefined {
  // Numbers and booleans are cheap to check; strings (alone or in arrays) go through the memo.
  return checkValue(c.spec.type, c.spec.rule, v, st.scrub, c.scalar);
}

/** The attributes of `a` that the catalog allows on `target` at `level`, judged and capped. */
export function sanitizeAttributes(st: SanitizerState, level: Level, target: AttributeTarget, a: unknown): Attributes {
  const out: Attributes = {};
  if (!a || typeof a !== 'object' || Array.isArray(a)) return out;
  const t = table(st, level, target);
  if (t.size === 0) return out;
  const max = target === 'resource' ? LIMITS.resourceAttributes : LIMITS.attributes;
  let n = 0;
  let keys: string[];
  try {
    keys = Object.keys(a);
  } catch {
    return out;
  }
  for (const key of keys) {
    const c = t.get(key);
    if (!c) continue;
    try {
      const v = judge(st, c, (a as Record<string, unknown>)[key]);
      if (v === undefined) continue;
      out[c.spec.key] = v;
    } catch {
      continue; // a throwing getter, a proxy: cannot judge, drop
    }
    if (++n >= max) break;
  }
  return out;
}
