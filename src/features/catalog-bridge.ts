/**
 * Tool-declared keys must reach the privacy catalog, or the sanitizer drops them as unknown (as it
 * should: only declared keys leave the process). This bridge turns our declarations into catalog
 * extension specs under the catalog's own value rules: enums stay enums, free strings become
 * bounded identifiers (`word`), never free text. The catalog validates them again.
 *
 * The catalog is loaded lazily, at declaration time, never on the preload's start path.
 */
import type { PropertySpec } from './spec';

export interface DeclaredAttribute {
  key: string;
  type: PropertySpec['type'];
  values?: readonly string[];
  description: string;
  /** Where the key may appear (informational, for `schema`). */
  on: 'span' | 'event' | 'metric';
}

/** What the catalog extension API returns, loosely: rejected specs with a reason, if any. */
type DefineAttributes = (specs: unknown[]) => unknown;

const registered = new Map<string, string>();

function catalogType(t: PropertySpec['type']): 'string' | 'double' | 'boolean' | 'string[]' {
  return t === 'number' ? 'double' : t;
}

/** The catalog value rule for one of our property specs (see src/privacy/rules.ts). */
export function catalogRule(d: DeclaredAttribute): Record<string, unknown> {
  if (d.type === 'number') return { kind: 'double', min: -Number.MAX_VALUE, max: Number.MAX_VALUE };
  if (d.type === 'boolean') return { kind: 'boolean' };
  if (d.values) return { kind: 'enum', values: [...d.values] };
  return { kind: 'word', maxLength: 64 };
}

/**
 * Register keys with the catalog. Idempotent per key and spec; returns problems (a catalog refusal,
 * or a key the catalog already owns with another meaning). Never throws.
 */
export function registerAttributes(decls: DeclaredAttribute[]): string[] {
  const problems: string[] = [];
  const fresh: DeclaredAttribute[] = [];
  for (const d of decls) {
    const sig = JSON.stringify([d.type, d.values ?? null]);
    const prev = registered.get(d.key);
    if (prev === sig) continue;
    if (prev !== undefined) {
      problems.push(`attribute ${d.key} already declared with another type or values; the new declaration is ignored`);
      continue;
    }
    registered.set(d.key, sig);
    fresh.push(d);
  }
  if (fresh.length === 0) return problems;
  let define: DefineAttributes | undefined;
  try {
    define = (require('../privacy/catalog') as { defineAttributes?: DefineAttributes }).defineAttributes;
  } catch {
    define = undefined;
  }
  if (typeof define !== 'function') return problems;
  try {
    const res = define(
      fresh.map((d) => ({
        key: d.key,
        type: catalogType(d.type),
        rule: catalogRule(d),
        level: 'usage',
        // Declared keys are checked by their rule wherever they appear; one target set keeps
        // a key usable as a span attribute, an event attribute and a metric label alike.
        on: ['span', 'event', 'metric'],
        description: d.description || `Declared by the tool (${d.on}).`,
        example: d.type === 'number' ? 1 : d.type === 'boolean' ? true : d.type === 'string[]' ? [d.values?.[0] ?? 'example'] : d.values?.[0] ?? 'example',
      })),
    );
    problems.push(...refusals(res));
  } catch (err) {
    problems.push(`catalog refused declarations: ${(err as Error)?.name ?? 'error'}`);
  }
  return problems;
}

export interface DeclaredMetric {
  name: string;
  unit: string;
  description: string;
  attributes: string[];
}

/** Register a tool's counters with the catalog's metric list (else the sanitizer drops them). */
export function registerMetrics(metrics: DeclaredMetric[]): string[] {
  if (metrics.length === 0) return [];
  try {
    const define = (require('../privacy/catalog') as { defineMetrics?: DefineAttributes }).defineMetrics;
    if (typeof define !== 'function') return [];
    return refusals(define(metrics.map((m) => ({ ...m, instrument: 'counter', level: 'usage' }))));
  } catch (err) {
    return [`catalog refused metrics: ${(err as Error)?.name ?? 'error'}`];
  }
}

/** Accepts the shapes a catalog may answer with: string[], {problems|errors|rejected: [...]}. */
function refusals(res: unknown): string[] {
  const list = Array.isArray(res)
    ? res
    : res && typeof res === 'object'
      ? ((res as Record<string, unknown>).problems ?? (res as Record<string, unknown>).errors ?? (res as Record<string, unknown>).rejected)
      : undefined;
  if (!Array.isArray(list)) return [];
  return list.map((x) => {
    if (typeof x === 'string') return x.slice(0, 200);
    const r = x as { key?: unknown; reason?: unknown };
    return typeof r?.key === 'string' ? `catalog refused ${r.key}: ${String(r.reason)}`.slice(0, 200) : JSON.stringify(x).slice(0, 200);
  });
}
