/**
 * The official semantic-convention registry (open-telemetry/semantic-conventions `model/`, YAML),
 * read from `../shared/semconv/` beside the repository (CI's clean clone has it there, read-only;
 * a git worktree under `wt/` finds it one level further up). Missing: the tests fail, loudly.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse } from 'yaml';

export const ROOT = path.resolve(__dirname, '..', '..');

export function semconvDir(): string {
  const candidates = [path.join(ROOT, '..', 'shared', 'semconv'), path.join(ROOT, '..', '..', 'shared', 'semconv')];
  const found = candidates.find((d) => fs.existsSync(path.join(d, 'model', 'manifest.yaml')));
  if (!found) {
    throw new Error(`the official semantic-convention registry is missing: expected ${candidates[0]}/model/manifest.yaml (../shared beside the repository)`);
  }
  return found;
}

export interface Deprecation {
  reason?: string;
  note?: string;
  renamed_to?: string;
}

export interface RegistryAttribute {
  id: string;
  /** `string`, `int`, `double`, `boolean`, `string[]`..., or `enum:<value type>` for members. */
  type: string;
  members?: string[];
  stability?: string;
  deprecated?: Deprecation;
  file: string;
}

export interface RegistryMetric {
  name: string;
  instrument: string;
  unit: string;
  stability?: string;
  deprecated?: Deprecation;
  file: string;
}

/** A signal group (span, event, metric) with its attributes resolved through `extends`. */
export interface RegistrySignal {
  id: string;
  type: 'span' | 'event' | 'metric';
  /** Event name or metric name; spans have none. */
  name?: string;
  required: string[];
  deprecated?: Deprecation;
  file: string;
}

export interface OfficialRegistry {
  version: string;
  attributes: Map<string, RegistryAttribute>;
  metrics: Map<string, RegistryMetric>;
  /** Events by name. */
  events: Map<string, RegistrySignal>;
  /** Metric groups by metric name (required point attributes). */
  metricSignals: Map<string, RegistrySignal>;
  /** Span groups by id (`span.http.server`...). */
  spans: Map<string, RegistrySignal>;
}

interface RawGroup {
  id: string;
  type?: string;
  name?: string;
  metric_name?: string;
  extends?: string;
  deprecated?: Deprecation;
  attributes?: Array<{ ref?: string; id?: string; requirement_level?: unknown }>;
  file: string;
}

/** Attribute requirement levels of a group, its `extends` chain first (a group's own ref overrides). */
function resolveLevels(g: RawGroup, byId: Map<string, RawGroup>, depth = 0): Map<string, unknown> {
  const base = g.extends && depth < 16 && byId.has(g.extends) ? resolveLevels(byId.get(g.extends)!, byId, depth + 1) : new Map<string, unknown>();
  for (const a of g.attributes ?? []) {
    const key = a.ref ?? a.id;
    if (typeof key === 'string') base.set(key, a.requirement_level ?? base.get(key) ?? 'recommended');
  }
  return base;
}

function signalOf(g: RawGroup, byId: Map<string, RawGroup>): RegistrySignal {
  const required = [...resolveLevels(g, byId)].filter(([, lvl]) => lvl === 'required').map(([k]) => k);
  return {
    id: g.id, type: g.type as RegistrySignal['type'], name: g.type === 'metric' ? g.metric_name : g.name,
    required, deprecated: g.deprecated, file: g.file,
  };
}

function yamlFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...yamlFiles(p));
    else if (e.name.endsWith('.yaml') && e.name !== 'manifest.yaml') out.push(p);
  }
  return out;
}

function typeOf(t: unknown): { type: string; members?: string[] } {
  if (typeof t === 'string') return { type: t };
  const members = (t as { members?: Array<{ value: unknown }> } | undefined)?.members;
  if (Array.isArray(members)) {
    const values = members.map((m) => m.value);
    return { type: `enum:${values.every((v) => typeof v === 'number') ? 'int' : 'string'}`, members: values.map(String) };
  }
  return { type: 'unknown' };
}

let cached: OfficialRegistry | undefined;

export function loadOfficialRegistry(): OfficialRegistry {
  if (cached) return cached;
  const dir = semconvDir();
  const model = path.join(dir, 'model');
  const manifest = parse(fs.readFileSync(path.join(model, 'manifest.yaml'), 'utf8')) as { schema_url: string };
  const attributes = new Map<string, RegistryAttribute>();
  const metrics = new Map<string, RegistryMetric>();
  const groups = new Map<string, RawGroup>();
  for (const file of yamlFiles(model)) {
    const doc = parse(fs.readFileSync(file, 'utf8')) as {
      groups?: Array<Record<string, unknown>>;
      attributes?: Array<Record<string, unknown>>;
      metrics?: Array<Record<string, unknown>>;
    } | null;
    const rel = path.relative(model, file);
    // `file_format: definition/2`: top-level `attributes` (by `key`) and `metrics` (by `name`).
    for (const a of doc?.attributes ?? []) {
      if (typeof a.key !== 'string') continue;
      attributes.set(a.key, {
        id: a.key, ...typeOf(a.type), stability: a.stability as string | undefined,
        deprecated: a.deprecated as Deprecation | undefined, file: rel,
      });
    }
    for (const m of doc?.metrics ?? []) {
      if (typeof m.name !== 'string') continue;
      metrics.set(m.name, {
        name: m.name, instrument: String(m.instrument), unit: String(m.unit),
        stability: m.stability as string | undefined, deprecated: m.deprecated as Deprecation | undefined, file: rel,
      });
    }
    // Version 1: `groups`.
    for (const g of doc?.groups ?? []) {
      if (typeof g.id === 'string') groups.set(g.id, { ...(g as unknown as RawGroup), file: rel });
      if (g.type === 'metric' && typeof g.metric_name === 'string') {
        metrics.set(g.metric_name, {
          name: g.metric_name, instrument: String(g.instrument), unit: String(g.unit),
          stability: g.stability as string | undefined, deprecated: g.deprecated as Deprecation | undefined, file: rel,
        });
      }
      // Definitions (not `ref`s) live in attribute groups, mostly `registry.*`.
      for (const a of (g.attributes ?? []) as Array<Record<string, unknown>>) {
        if (typeof a.id !== 'string') continue;
        attributes.set(a.id, {
          id: a.id, ...typeOf(a.type), stability: a.stability as string | undefined,
          deprecated: a.deprecated as Deprecation | undefined, file: rel,
        });
      }
    }
  }
  const events = new Map<string, RegistrySignal>();
  const metricSignals = new Map<string, RegistrySignal>();
  const spans = new Map<string, RegistrySignal>();
  for (const g of groups.values()) {
    if (g.type === 'event' && typeof g.name === 'string') events.set(g.name, signalOf(g, groups));
    else if (g.type === 'metric' && typeof g.metric_name === 'string') metricSignals.set(g.metric_name, signalOf(g, groups));
    else if (g.type === 'span') spans.set(g.id, signalOf(g, groups));
  }
  cached = { version: manifest.schema_url.split('/').pop()!, attributes, metrics, events, metricSignals, spans };
  return cached;
}

/**
 * GenAI names are marked deprecated in the core registry only because they moved to their own
 * repository (v1.42.0); their names are unchanged and still the ones to emit.
 */
export function movedNotDeprecated(d: Deprecation | undefined): boolean {
  return !!d && d.reason === 'uncategorized' && /Moved to the \[OpenTelemetry GenAI semantic conventions repository\]/.test(d.note ?? '');
}
