/**
 * Public API for feature-usage events and tool-declared per-command metrics. Every function is a
 * cheap no-op while telemetry is off (declarations are only remembered, nothing else loads) and
 * none throws into the tool. Declarations made before the recorder exists apply once it does.
 */
import type { AttrValue } from '../model/records';
import { activeSpan } from '../recorder/context';
import { currentRecorder, type Recorder } from '../recorder/current';
import type { CommandMetricsSpec } from './command-metrics';
import type { FeatureSpecs } from './spec';

export type { FeatureSpec, FeatureSpecs, PropertySpec } from './spec';
export type { CommandMetricsSpec, CounterSpec } from './command-metrics';

type Pending = Array<['features' | 'metrics', unknown]>;
const MAX_PENDING = 64;
const PENDING = Symbol.for('devtool-telemetry.features.pending');
type Global = { [PENDING]?: Pending };

function pending(): Pending {
  return ((globalThis as Global)[PENDING] ??= []);
}

// Loaded on first use (never while telemetry is off), then held: require() per call would cost µs.
let registryMod: typeof import('./registry') | undefined;
let metricsMod: typeof import('./command-metrics') | undefined;
const reg = () => (registryMod ??= require('./registry') as typeof import('./registry'));
const met = () => (metricsMod ??= require('./command-metrics') as typeof import('./command-metrics'));

function report(recorder: Recorder, problems: string[]): void {
  if (!recorder.debug || problems.length === 0) return;
  process.stderr.write(problems.map((p) => `[devtool-telemetry] debug: declaration skipped: ${p}\n`).join(''));
}

function apply(recorder: Recorder, kind: 'features' | 'metrics', input: unknown): string[] {
  let problems: string[];
  if (kind === 'features') {
    problems = reg().declareFeatures(input);
  } else {
    problems = met().declareCommandMetrics(input);
  }
  report(recorder, problems);
  return problems;
}

/** The recorder when it records at `usage` or above, with earlier declarations applied. */
function usageAgent(): Recorder | undefined {
  const recorder = currentRecorder();
  if (!recorder || !recorder.run.allows('usage')) return undefined;
  const queue = pending();
  while (queue.length) {
    const [kind, input] = queue.shift()!;
    try {
      apply(recorder, kind, input);
    } catch {
      /* a declaration never breaks the tool */
    }
  }
  return recorder;
}

function declare(kind: 'features' | 'metrics', input: unknown): { problems: string[] } {
  try {
    const recorder = usageAgent();
    if (!recorder) {
      // Kept for a later start(); bounded, so a tool declaring in a loop cannot grow memory.
      const queue = pending();
      if (queue.length < MAX_PENDING) queue.push([kind, input]);
      return { problems: [] };
    }
    return { problems: apply(recorder, kind, input) };
  } catch {
    return { problems: ['declaration failed'] };
  }
}

/**
 * Declare the features a tool reports, with their properties' types and allowed values:
 * `defineFeatures({ ask: { properties: { source: { type: 'string', values: ['ui', 'api'] } } } })`.
 * Also read from package.json `"devtoolTelemetry": { "features": { ... } }`. Returns what was
 * refused (empty while telemetry is off: declarations are checked when recording starts).
 */
export function defineFeatures(specs: FeatureSpecs): { problems: string[] } {
  return declare('features', specs);
}

/**
 * One use of a declared feature: a span event `devtool.feature.used` on the current span and a count in
 * `devtool.feature.uses`. Undeclared names and properties, wrong types and non-identifier strings
 * are dropped and counted in `devtool.feature.dropped`; never sent raw.
 */
export function feature(name: string, properties?: Record<string, AttrValue>): void {
  try {
    const recorder = usageAgent();
    if (!recorder) return;
    const active = activeSpan();
    const span = active && !active.ended ? active : recorder.run.root;
    reg().recordFeature(recorder, name, properties, span);
  } catch {
    /* never throw into the tool */
  }
}

/**
 * Declare per-command counters (`visivo.jobs.executed`, labelled by enum attributes) and typed
 * command-span attributes (`crewai.process`: one of sequential/hierarchical), set with
 * `command(name, attributes)`.
 */
export function defineCommandMetrics(spec: CommandMetricsSpec): { problems: string[] } {
  return declare('metrics', spec);
}

/** Add `n` (default 1) to a declared counter of this command, with declared labels. */
export function count(name: string, n?: number, attributes?: Record<string, string | boolean>): void {
  try {
    const recorder = usageAgent();
    if (!recorder) return;
    met().recordCount(recorder, name, n, attributes);
  } catch {
    /* never throw into the tool */
  }
}
