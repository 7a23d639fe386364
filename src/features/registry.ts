/**
 * The per-process registry of declared features, and recording one use. Kept on a global symbol
 * (like the recorder) so a tool that loads two copies of this package declares once.
 *
 * Bounds, so bad input never grows memory or a metric: declarations are capped (spec.ts); free
 * string values are tracked per property up to MAX_DISTINCT, later new values become `_OTHER`;
 * metrics are labelled only by the feature name, enum properties and booleans; span events are
 * capped per span by the recorder. Everything refused is counted in `devtool.feature.dropped`.
 */
import type { Attributes, AttrValue, SumPoint } from '../model/records';
import { Severity } from '../model/records';
import type { LiveSpan } from '../recorder/run';
import type { InstrumentSpec } from '../model/instruments';
import type { Recorder } from '../recorder/current';
import { registerAttributes, type DeclaredAttribute } from './catalog-bridge';
import {
  checkProperty,
  compileFeatures,
  DROP_REASONS,
  Refusal,
  indexLabels,
  labelDigit,
  type CompiledFeature,
  type CompiledProperty,
  type DropReason,
} from './spec';

/** Distinct values of one free string property kept per process; the rest fold into `_OTHER`. */
export const MAX_DISTINCT = 100;
export const OTHER = '_OTHER';

export const FEATURE_USES: InstrumentSpec = {
  name: 'devtool.feature.uses',
  unit: '{use}',
  description: 'Declared feature-usage events.',
  type: 'sum',
};

export const FEATURE_DROPPED: InstrumentSpec = {
  name: 'devtool.feature.dropped',
  unit: '{item}',
  description: 'Feature events or properties refused (undeclared, wrong type, invalid) or bucketed (cardinality).',
  type: 'sum',
};

/** Metric attribute sets for the dropped counter, allocated once. */
const DROP_ATTRS: Record<DropReason, Attributes> = Object.fromEntries(
  DROP_REASONS.map((r) => [r, { 'devtool.feature.drop.reason': r }]),
) as unknown as Record<DropReason, Attributes>;

interface Registry {
  features: Map<string, CompiledFeature>;
  /** Seen values of free string properties, by `feature\0prop`. */
  distinct: Map<string, Set<string>>;
  /** Declaration problems, for the debug printer and defineFeatures()'s return. */
  problems: string[];
  /** Whether the tool's package.json `devtoolTelemetry.features` was read. */
  packageLoaded: boolean;
}

const KEY = Symbol.for('devtool-telemetry.features');
type Global = { [KEY]?: Registry };

export function registry(): Registry {
  const g = globalThis as Global;
  return (g[KEY] ??= { features: new Map(), distinct: new Map(), problems: [], packageLoaded: false });
}

/** The catalog keys a compiled feature needs (the name key is in the core catalog). */
function catalogDecls(f: CompiledFeature): DeclaredAttribute[] {
  const out: DeclaredAttribute[] = [];
  for (const p of f.properties.values()) {
    out.push({ key: p.key, type: p.type, values: p.values ? [...p.values] : undefined, description: `Property ${p.name} of declared features.`, on: p.metricLabel ? 'metric' : 'event' });
  }
  return out;
}

/** Declare features; returns the problems found (bad entries are skipped, never thrown). */
export function declareFeatures(input: unknown): string[] {
  const reg = registry();
  const { features, problems } = compileFeatures(input, reg.features.size);
  for (const f of features) {
    // A property key is shared by every feature that declares it: conflicting types are refused.
    const refused = registerAttributes(catalogDecls(f));
    for (const msg of refused) {
      problems.push(`feature ${f.name}: ${msg}`);
      const m = /^attribute (\S+) already declared/.exec(msg);
      if (m) for (const [n, p] of f.properties) if (p.key === m[1]) f.properties.delete(n);
    }
    indexLabels(f);
    reg.features.set(f.name, f);
  }
  reg.problems.push(...problems);
  return problems;
}

/** Load `devtoolTelemetry.features` from the tool's package.json once, on first use. */
function ensurePackageFeatures(recorder: Recorder): void {
  const reg = registry();
  if (reg.packageLoaded) return;
  reg.packageLoaded = true;
  const declared = (recorder.tool.options as { features?: unknown }).features;
  if (declared !== undefined) declareFeatures(declared);
}

function dropped(recorder: Recorder, reason: DropReason, n = 1): void {
  recorder.run.metrics.add(FEATURE_DROPPED, n, DROP_ATTRS[reason]);
}

/** Bound a free string (or each item of a free string array) by distinct values seen. */
function bucket(recorder: Recorder, f: CompiledFeature, p: CompiledProperty, v: AttrValue): AttrValue {
  const reg = registry();
  const k = f.name + '\u0000' + p.name;
  let seen = reg.distinct.get(k);
  if (!seen) reg.distinct.set(k, (seen = new Set()));
  const one = (s: string): string => {
    if (seen!.has(s)) return s;
    if (seen!.size < MAX_DISTINCT) {
      seen!.add(s);
      return s;
    }
    dropped(recorder, 'over_cardinality');
    return OTHER;
  };
  if (typeof v === 'string') return one(v);
  const arr = (v as string[]).map(one);
  return arr.filter((s, i) => arr.indexOf(s) === i);
}

/** The sanitizer keeps this many events per span; building more would be wasted work. */
const EVENT_BUDGET = 32;

interface CachedPoint {
  generation: number;
  subcommand: string | undefined;
  point: SumPoint;
}
/** Live `devtool.feature.uses` points by feature and series key, valid for one flush period. */
const pointCache = new Map<CompiledFeature, Map<number, CachedPoint>>();

/**
 * Add one use to the feature's series. The series key is a mixed-radix number over the declared
 * label values (no string building, no sorting), and the aggregator's point is cached until the
 * next drain: this is what keeps one event within the 2 µs budget.
 */
function countUse(recorder: Recorder, f: CompiledFeature, key: number, labels: () => Attributes): void {
  const metrics = recorder.run.metrics;
  const sub = recorder.run.subcommand;
  if (f.weights.length === f.labels.length) {
    let byKey = pointCache.get(f);
    if (!byKey) pointCache.set(f, (byKey = new Map()));
    const c = byKey.get(key);
    if (c && c.generation === metrics.generation && c.subcommand === sub) {
      c.point.value += 1;
      return;
    }
    const point = metrics.sumPoint(FEATURE_USES, labels());
    point.value += 1;
    byKey.set(key, { generation: metrics.generation, subcommand: sub, point });
    return;
  }
  metrics.add(FEATURE_USES, 1, labels());
}

/**
 * Record one use of a declared feature: a span event `devtool.feature.used` on the active span (or the
 * command span) and `devtool.feature.uses` by name and enum properties. Never throws.
 */
export function recordFeature(recorder: Recorder, name: unknown, props: unknown, span: LiveSpan): void {
  ensurePackageFeatures(recorder);
  const f = typeof name === 'string' ? registry().features.get(name) : undefined;
  if (!f) {
    dropped(recorder, 'unknown_feature');
    return;
  }
  const eventAttrs: Attributes | undefined = span.events.length < EVENT_BUDGET ? { 'devtool.feature.name': f.name } : undefined;
  let key = 0;
  let labelled: Attributes | undefined;
  if (props !== undefined && props !== null) {
    if (typeof props !== 'object' || Array.isArray(props)) {
      dropped(recorder, 'wrong_type');
    } else {
      for (const pname in props as Record<string, unknown>) {
        if (!Object.prototype.hasOwnProperty.call(props, pname)) continue;
        const p = f.properties.get(pname);
        if (!p) {
          dropped(recorder, 'unknown_property');
          continue;
        }
        let v = checkProperty(p, (props as Record<string, unknown>)[pname]);
        if (v instanceof Refusal) {
          dropped(recorder, v.reason);
          continue;
        }
        if (!p.values && (p.type === 'string' || p.type === 'string[]')) v = bucket(recorder, f, p, v);
        if (eventAttrs) eventAttrs[p.key] = v;
        if (p.metricLabel) {
          (labelled ??= {})[p.key] = v;
          const i = f.labels.indexOf(p);
          if (i >= 0 && i < f.weights.length) key += f.weights[i]! * labelDigit(p, v);
        }
      }
    }
  }
  if (eventAttrs) span.addEvent(f.eventName, eventAttrs);
  // The same use as a log-based event (OpenTelemetry's direction for events), within the log budget.
  if (eventAttrs) recorder.run.log('devtool.feature.used', { ...eventAttrs }, Severity.INFO, span);
  countUse(recorder, f, key, () => ({ 'devtool.feature.name': f.name, 'devtool.command.name': recorder.run.commandName, ...labelled }));
}
