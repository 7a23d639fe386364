/**
 * Declarations a tool author makes up front: feature names with typed properties, and per-command
 * counters and attributes. Parsing is strict and total: a bad declaration is skipped with a
 * problem line (shown under debug), never thrown, so a typo in package.json cannot break the tool.
 * Pure: no I/O, nothing of ours but the record model.
 */
import type { AttrValue } from '../model/records';

/** A declared property: an enum of strings, a bounded identifier string, a number or a boolean. */
export type PropertySpec =
  | { type: 'string'; values?: readonly string[] }
  | { type: 'number' }
  | { type: 'boolean' }
  | { type: 'string[]'; values?: readonly string[] };

export interface FeatureSpec {
  /** Shown by `schema` and in TELEMETRY.md. */
  description?: string;
  properties?: Record<string, PropertySpec>;
}

export type FeatureSpecs = Record<string, FeatureSpec>;

/** A compiled property: how to check a value, and whether it may label a metric (bounded). */
export interface CompiledProperty {
  name: string;
  /** Attribute key on the span event / span: `devtool.feature.prop.<name>` or the declared key. */
  key: string;
  type: PropertySpec['type'];
  /** Enum values, when declared. */
  values?: ReadonlySet<string>;
  /** The same values in declaration order (metric series keys). */
  valueList?: readonly string[];
  /** Enum strings and booleans label metrics; numbers and free strings never do. */
  metricLabel: boolean;
}

export interface CompiledFeature {
  name: string;
  description: string;
  /** `devtool.feature.used` (the registered event name; the feature is in devtool.feature.name). */
  eventName: string;
  properties: Map<string, CompiledProperty>;
  /** Metric-label properties in declaration order, with their position in a series key. */
  labels: CompiledProperty[];
  /** Mixed-radix weights per label (enum: values + 1, boolean: 3; 0 means absent). */
  weights: number[];
}

/** Fill labels/weights; a feature whose key space exceeds 2^31 uses the generic metric path. */
export function indexLabels(f: CompiledFeature): void {
  f.labels = [...f.properties.values()].filter((p) => p.metricLabel);
  f.weights = [];
  let w = 1;
  for (const p of f.labels) {
    f.weights.push(w);
    w *= p.type === 'boolean' ? 3 : (p.values?.size ?? 0) + 1;
    if (w > 2 ** 31) {
      f.weights = [];
      return;
    }
  }
}

/** Position of an allowed label value (1-based; 0 = absent) in its property's key digit. */
export function labelDigit(p: CompiledProperty, v: unknown): number {
  if (p.type === 'boolean') return v === true ? 2 : 1;
  if (!p.valueList) return 0;
  return p.valueList.indexOf(v as string) + 1;
}

/** Feature and property names: identifiers, so they are safe as metric labels and attribute keys. */
export const NAME_RE = /^[A-Za-z][A-Za-z0-9_.-]{0,63}$/;
/** Property names become part of an attribute key: lower snake-ish only. */
export const PROP_RE = /^[a-z][a-z0-9_]{0,47}$/;
/** Enum values: words (the catalog's `word` rule). */
export const VALUE_RE = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$/;
/** Free (undeclared-values) strings: bounded identifiers, never text. */
export const FREE_STRING_MAX = 64;

export const MAX_FEATURES = 256;
export const MAX_PROPERTIES = 16;
export const MAX_ENUM_VALUES = 64;
export const MAX_ARRAY_ITEMS = 32;

export const FEATURE_PROP_PREFIX = 'devtool.feature.prop.';

function isRecord(v: unknown): v is Record<string, unknown> {
  return !!v && typeof v === 'object' && !Array.isArray(v);
}

/** Parse one property spec, or return a reason it is not acceptable. */
export function compileProperty(name: string, raw: unknown, key: string): CompiledProperty | string {
  if (!PROP_RE.test(name)) return `property name ${JSON.stringify(name.slice(0, 40))} must match ${PROP_RE.source}`;
  if (!isRecord(raw)) return `property ${name}: spec must be an object`;
  const type = raw.type;
  if (type !== 'string' && type !== 'number' && type !== 'boolean' && type !== 'string[]') {
    return `property ${name}: type must be string, number, boolean or string[]`;
  }
  const out: CompiledProperty = { name, key, type, metricLabel: type === 'boolean' };
  if (raw.values !== undefined) {
    if (type !== 'string' && type !== 'string[]') return `property ${name}: values only apply to strings`;
    const vals = raw.values;
    if (!Array.isArray(vals) || vals.length === 0 || vals.length > MAX_ENUM_VALUES) {
      return `property ${name}: values must list 1-${MAX_ENUM_VALUES} strings`;
    }
    if (!vals.every((v) => typeof v === 'string' && VALUE_RE.test(v))) {
      return `property ${name}: each value must match ${VALUE_RE.source}`;
    }
    out.values = new Set(vals as string[]);
    out.valueList = [...out.values];
    out.metricLabel = type === 'string';
  }
  return out;
}

/** Compile feature declarations; bad entries become problems, good ones are kept. */
export function compileFeatures(input: unknown, already = 0): { features: CompiledFeature[]; problems: string[] } {
  const features: CompiledFeature[] = [];
  const problems: string[] = [];
  if (!isRecord(input)) {
    if (input !== undefined) problems.push('features: declaration must be an object of feature specs');
    return { features, problems };
  }
  for (const [name, raw] of Object.entries(input)) {
    if (already + features.length >= MAX_FEATURES) {
      problems.push(`features: more than ${MAX_FEATURES} declared; the rest ignored`);
      break;
    }
    if (!NAME_RE.test(name)) {
      problems.push(`feature name ${JSON.stringify(name.slice(0, 40))} must match ${NAME_RE.source}`);
      continue;
    }
    const spec = raw === true || raw === null ? {} : raw; // `"ask": {}` and `"ask": true` both declare a bare feature
    if (!isRecord(spec)) {
      problems.push(`feature ${name}: spec must be an object`);
      continue;
    }
    const props = new Map<string, CompiledProperty>();
    if (spec.properties !== undefined) {
      if (!isRecord(spec.properties)) {
        problems.push(`feature ${name}: properties must be an object`);
        continue;
      }
      for (const [pname, praw] of Object.entries(spec.properties)) {
        if (props.size >= MAX_PROPERTIES) {
          problems.push(`feature ${name}: more than ${MAX_PROPERTIES} properties; the rest ignored`);
          break;
        }
        const c = compileProperty(pname, praw, FEATURE_PROP_PREFIX + pname);
        if (typeof c === 'string') problems.push(`feature ${name}: ${c}`);
        else props.set(pname, c);
      }
    }
    const description = typeof spec.description === 'string' ? spec.description.slice(0, 200) : '';
    const f: CompiledFeature = { name, description, eventName: 'devtool.feature.used', properties: props, labels: [], weights: [] };
    indexLabels(f);
    features.push(f);
  }
  return { features, problems };
}

/** Why a value was refused; the label of the `devtool.feature.dropped` counter. */
export type DropReason =
  | 'unknown_feature'
  | 'unknown_property'
  | 'wrong_type'
  | 'invalid_value'
  | 'over_cardinality';

export const DROP_REASONS: readonly DropReason[] = [
  'unknown_feature',
  'unknown_property',
  'wrong_type',
  'invalid_value',
  'over_cardinality',
];

/** A refused value; preallocated per reason so checking allocates nothing. */
export class Refusal {
  constructor(readonly reason: DropReason) {}
}
const REFUSE: Record<DropReason, Refusal> = Object.fromEntries(DROP_REASONS.map((r) => [r, new Refusal(r)])) as Record<DropReason, Refusal>;

/**
 * Check one value against its property. Returns the value to record, or a Refusal.
 * Free strings pass here only when they are bounded identifiers; cardinality is the caller's job.
 */
export function checkProperty(p: CompiledProperty, v: unknown): AttrValue | Refusal {
  switch (p.type) {
    case 'number':
      if (typeof v !== 'number') return REFUSE.wrong_type;
      return Number.isFinite(v) ? v : REFUSE.invalid_value;
    case 'boolean':
      return typeof v === 'boolean' ? v : REFUSE.wrong_type;
    case 'string':
      if (typeof v !== 'string') return REFUSE.wrong_type;
      if (p.values) return p.values.has(v) ? v : REFUSE.invalid_value;
      return v.length <= FREE_STRING_MAX && VALUE_RE.test(v) ? v : REFUSE.invalid_value;
    case 'string[]': {
      if (!Array.isArray(v)) return REFUSE.wrong_type;
      if (v.length > MAX_ARRAY_ITEMS) return REFUSE.invalid_value;
      const out: string[] = [];
      for (const e of v) {
        if (typeof e !== 'string') return REFUSE.wrong_type;
        if (p.values ? !p.values.has(e) : !(e.length <= FREE_STRING_MAX && VALUE_RE.test(e))) return REFUSE.invalid_value;
        if (!out.includes(e)) out.push(e);
      }
      return out;
    }
  }
}
