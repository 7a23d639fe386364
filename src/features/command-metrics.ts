/**
 * Per-command metrics a tool declares (Visivo: jobs executed by `run`, objects by type for
 * `compile`; CrewAI: agents, tasks, execution mode, tool names). Two kinds of declaration:
 *  - counters: a monotonic sum metric named as declared, labelled by `devtool.command.name` and the
 *    counter's declared enum/boolean attributes; its per-run total is also set on the command span;
 *  - attributes: typed keys the tool sets on the command span through `command(name, attrs)`.
 * Every key is registered with the privacy catalog (enum, number, boolean or bounded identifier),
 * so the sanitizer enforces the same value rules as for our own keys. Bad declarations or calls
 * are skipped (shown under debug), never thrown.
 */
import type { Attributes, AttrValue } from '../model/records';
import type { InstrumentSpec } from '../model/instruments';
import type { Recorder } from '../recorder/current';
import { registerAttributes, registerMetrics, type DeclaredAttribute, type DeclaredMetric } from './catalog-bridge';
import { checkProperty, compileProperty, Refusal, type CompiledProperty, type PropertySpec } from './spec';

export interface CounterSpec {
  description?: string;
  /** UCUM-style unit, e.g. `{job}`; default `1`. */
  unit?: string;
  /** Metric labels: enums and booleans only (bounded); other types are refused. */
  attributes?: Record<string, PropertySpec>;
}

export interface CommandMetricsSpec {
  counters?: Record<string, CounterSpec>;
  /** Attributes for the command span, set with `command(name, attributes)`. */
  attributes?: Record<string, PropertySpec>;
}

interface CompiledCounter {
  spec: InstrumentSpec;
  attrs: Map<string, CompiledProperty>;
}

/** Tool keys and metric names: dotted lower-case words with a namespace, e.g. `visivo.jobs.executed`. */
const KEY_RE = /^[a-z][a-z0-9_]{0,31}(?:\.[a-z0-9_]{1,32}){1,5}$/;
const UNIT_RE = /^[A-Za-z0-9{}/_.%-]{1,16}$/;
/** Namespaces that belong to us or to the semantic conventions: a tool may not declare into them. */
const RESERVED = /^(?:devtool|gen_ai|http|url|otel|process|service|telemetry|os|host|error|exception|server|client|network|user|session|code|db|rpc|messaging|cloud|container|k8s|faas|deployment|feature_flag)\./;
const MAX_COUNTERS = 64;
const MAX_ATTRS = 64;

const KEY = Symbol.for('devtool-telemetry.command-metrics');
interface State {
  counters: Map<string, CompiledCounter>;
  attributes: Map<string, CompiledProperty>;
  problems: string[];
}
type Global = { [KEY]?: State };

function state(): State {
  const g = globalThis as Global;
  return (g[KEY] ??= { counters: new Map(), attributes: new Map(), problems: [] });
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return !!v && typeof v === 'object' && !Array.isArray(v);
}

function keyProblem(key: string, what: string): string | undefined {
  if (!KEY_RE.test(key)) return `${what} ${JSON.stringify(key.slice(0, 40))} must be dotted lower-case words with a namespace (e.g. mytool.jobs.executed)`;
  if (RESERVED.test(key)) return `${what} ${key} uses a reserved namespace`;
  return undefined;
}

/** Declare counters and command attributes; returns problems (bad entries are skipped). */
export function declareCommandMetrics(input: unknown): string[] {
  const st = state();
  const problems: string[] = [];
  if (!isRecord(input)) return ['defineCommandMetrics: declaration must be an object'];
  const decls: DeclaredAttribute[] = [];
  const metrics: DeclaredMetric[] = [];

  if (input.attributes !== undefined) {
    if (!isRecord(input.attributes)) problems.push('attributes must be an object');
    else
      for (const [key, raw] of Object.entries(input.attributes)) {
        const bad = keyProblem(key, 'attribute');
        if (bad) problems.push(bad);
        else if (st.attributes.size >= MAX_ATTRS) problems.push(`more than ${MAX_ATTRS} attributes; ${key} ignored`);
        else {
          const c = compileProperty('p', raw, key);
          if (typeof c === 'string') problems.push(`attribute ${key}: ${c.replace(/^property p: /, '')}`);
          else {
            st.attributes.set(key, c);
            decls.push({ key, type: c.type, values: c.values && [...c.values], description: 'Declared by the tool for its command span.', on: 'span' });
          }
        }
      }
  }

  if (input.counters !== undefined) {
    if (!isRecord(input.counters)) problems.push('counters must be an object');
    else
      for (const [name, raw] of Object.entries(input.counters)) {
        const bad = keyProblem(name, 'counter');
        if (bad) {
          problems.push(bad);
          continue;
        }
        if (st.counters.size >= MAX_COUNTERS) {
          problems.push(`more than ${MAX_COUNTERS} counters; ${name} ignored`);
          continue;
        }
        const spec = raw === true || raw === null ? {} : raw;
        if (!isRecord(spec)) {
          problems.push(`counter ${name}: spec must be an object`);
          continue;
        }
        const unit = typeof spec.unit === 'string' && UNIT_RE.test(spec.unit) ? spec.unit : '1';
        const description = typeof spec.description === 'string' ? spec.description.slice(0, 200) : `Declared by the tool.`;
        const attrs = new Map<string, CompiledProperty>();
        let ok = true;
        if (spec.attributes !== undefined) {
          if (!isRecord(spec.attributes)) {
            problems.push(`counter ${name}: attributes must be an object`);
            ok = false;
          } else
            for (const [key, praw] of Object.entries(spec.attributes)) {
              const badKey = keyProblem(key, `counter ${name} attribute`);
              const c = badKey ?? compileProperty('p', praw, key);
              if (typeof c === 'string') problems.push(c.replace(/property p: /, `counter ${name} attribute ${key}: `));
              else if (!c.metricLabel) problems.push(`counter ${name} attribute ${key}: metric labels must be enums (values) or booleans`);
              else if (attrs.size < 8) {
                attrs.set(key, c);
                decls.push({ key, type: c.type, values: c.values && [...c.values], description: `Label of ${name}.`, on: 'metric' });
              }
            }
        }
        if (!ok) continue;
        st.counters.set(name, { spec: { name, unit, description, type: 'sum' }, attrs });
        metrics.push({ name, unit, description, attributes: ['devtool.command.name', ...attrs.keys()] });
        // The per-run total on the command span.
        decls.push({ key: name, type: 'number', description: `${description} (total in this run)`, on: 'span' });
      }
  }
  // Attributes first: a metric's labels must be catalog keys when the metric is registered.
  problems.push(...registerAttributes(decls));
  problems.push(...registerMetrics(metrics));
  st.problems.push(...problems);
  return problems;
}

/** Drop undeclared or ill-typed command attributes (the API's own check, before the sanitizer). */
export function checkCommandAttributes(attrs: Record<string, unknown>): Attributes {
  const out: Attributes = {};
  const declared = state().attributes;
  for (const key of Object.keys(attrs)) {
    const p = declared.get(key);
    if (!p) continue;
    const v = checkProperty(p, attrs[key]);
    if (!(v instanceof Refusal)) out[key] = v as AttrValue;
  }
  return out;
}

/** Add `n` to a declared counter (and to its total on the command span). Never throws. */
export function recordCount(recorder: Recorder, name: unknown, n: unknown, attrs: unknown): boolean {
  const c = typeof name === 'string' ? state().counters.get(name) : undefined;
  if (!c) return false;
  const value = n === undefined ? 1 : n;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > 1e12) return false;
  const labels: Attributes = { 'devtool.command.name': recorder.run.commandName };
  if (isRecord(attrs)) {
    for (const key of Object.keys(attrs)) {
      const p = c.attrs.get(key);
      if (!p) continue; // undeclared label: dropped, the count still counts
      const v = checkProperty(p, attrs[key]);
      if (!(v instanceof Refusal)) labels[key] = v as AttrValue;
    }
  }
  recorder.run.metrics.add(c.spec, value, labels);
  const root = recorder.run.root.attributes;
  root[name as string] = ((root[name as string] as number | undefined) ?? 0) + value;
  return true;
}
