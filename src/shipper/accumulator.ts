/**
 * Delta -> cumulative, done here because the shipper is the one per-user process that sees every
 * run. Each spool batch carries DELTA points for one short run; runs overlap in time, so a
 * collector-side conversion (deltatocumulative, the Prometheus exporter's accumulation) would see
 * overlapping, non-contiguous intervals and drop or reset them. Instead we keep one cumulative stream
 * per (metric, point attributes, resource minus per-run ids) in metrics-state.json, with a stable
 * random `service.instance.id` and a start time fixed when the accumulator was created, fold each
 * batch into it exactly once (the batch id is recorded in the same atomic state write), and export
 * CUMULATIVE points: resending one is harmless, so a crash between send and ack loses nothing and
 * double-counts nothing. After 100 runs, sum(devtool_command_runs_total) is exactly 100.
 */
import type { Attributes, Batch, BatchOrigin, HistogramPoint, MetricIdentity, MetricRecord, SumPoint } from '../model/records';
import { metricsStateFile } from '../spool/layout';
import { readJson, writeJsonAtomic } from '../spool/shipper-state';

type Env = NodeJS.ProcessEnv;

/** Resource keys that differ per run (or per install) and would make every run its own series. */
export const PER_RUN_RESOURCE_KEYS = ['session.id', 'app.installation.id', 'service.instance.id', 'process.pid'];
/** A runaway cardinality must not grow the state without bound. */
export const MAX_STREAMS = 5_000;
/** Streams no run has touched for this long stop being exported (an old tool version, say). */
export const STREAM_TTL_MS = 30 * 24 * 3600 * 1000;
/** Distinct recorders (tool, working directory) remembered per stream for consent re-checks. */
export const MAX_ORIGINS = 16;

export interface Stream extends MetricIdentity {
  resource: Attributes;
  attributes: Attributes;
  /** Start of this cumulative stream (Unix ns): the accumulator's, or the stream's creation if later. */
  startTimeUnixNano?: string;
  /** Unix ms of the last fold into it. */
  updatedAt?: number;
  /**
   * Who recorded the runs folded in (Batch.origin; newest last, at most MAX_ORIGINS): consent is
   * re-checked for each before an export, and a stream any of them has opted out of is dropped.
   */
  origins?: BatchOrigin[];
  /** sum */
  value?: number;
  monotonic?: boolean;
  /** histogram */
  count?: number;
  sum?: number;
  min?: number;
  max?: number;
  bounds?: number[];
  bucketCounts?: number[];
}

export interface MetricsState {
  v: 1;
  /** Stream identity: becomes service.instance.id on every exported resource. */
  instanceId: string;
  /** Start of every cumulative stream (Unix ns, decimal string). */
  startTimeUnixNano: string;
  streams: Record<string, Stream>;
  /**
   * Spool file name -> batch id, for batches already folded (pruned once the file is gone). Keyed
   * by file name, which is unique per write, so even two batches that share an id both count.
   */
  folded: Record<string, string>;
  /** Streams changed since the last acknowledged metrics export. */
  dirty: boolean;
  /** Deltas refused because MAX_STREAMS was reached. */
  overflow: number;
}

function randomHex(bytes: number): string {
  return (require('node:crypto') as typeof import('node:crypto')).randomBytes(bytes).toString('hex');
}

export function nowNanos(): string {
  return `${BigInt(Date.now()) * 1_000_000n}`;
}

export function newMetricsState(): MetricsState {
  return { v: 1, instanceId: randomHex(16), startTimeUnixNano: nowNanos(), streams: {}, folded: {}, dirty: false, overflow: 0 };
}

export function loadMetricsState(env: Env): MetricsState {
  const raw = readJson(metricsStateFile(env)) as Partial<MetricsState> | undefined;
  if (
    !raw ||
    raw.v !== 1 ||
    typeof raw.instanceId !== 'string' ||
    typeof raw.startTimeUnixNano !== 'string' ||
    !raw.streams ||
    typeof raw.streams !== 'object' ||
    !raw.folded ||
    typeof raw.folded !== 'object'
  ) {
    // Unreadable state: start a new accumulator. Its new instance id makes a new series, so the
    // totals downstream stay right (the old series simply stops growing).
    return newMetricsState();
  }
  return {
    v: 1,
    instanceId: raw.instanceId,
    startTimeUnixNano: raw.startTimeUnixNano,
    streams: raw.streams as Record<string, Stream>,
    folded: raw.folded as Record<string, string>,
    dirty: raw.dirty === true,
    overflow: typeof raw.overflow === 'number' ? raw.overflow : 0,
  };
}

export function saveMetricsState(env: Env, state: MetricsState): void {
  writeJsonAtomic(metricsStateFile(env), state);
}

function sorted(a: Attributes): Array<[string, unknown]> {
  return Object.keys(a)
    .sort()
    .map((k) => [k, a[k]]);
}

export function streamResource(resource: Attributes): Attributes {
  const out: Attributes = {};
  for (const k of Object.keys(resource)) if (!PER_RUN_RESOURCE_KEYS.includes(k)) out[k] = resource[k];
  return out;
}

export function streamKey(m: Pick<MetricRecord, 'name' | 'unit' | 'type'>, resource: Attributes, attrs: Attributes, bounds?: number[]): string {
  return JSON.stringify([m.name, m.unit, m.type, bounds ?? null, sorted(resource), sorted(attrs)]);
}

/** Add one delta metric record to the accumulator. */
export function foldMetric(state: MetricsState, resource: Attributes, m: MetricRecord, origin?: BatchOrigin): void {
  const res = streamResource(resource);
  for (const p of m.points) {
    const hist = m.type === 'histogram' ? (p as HistogramPoint) : undefined;
    const key = streamKey(m, res, p.attributes, hist?.bounds);
    let s = state.streams[key];
    if (!s) {
      if (Object.keys(state.streams).length >= MAX_STREAMS) {
        state.overflow += 1;
        continue;
      }
      s = state.streams[key] = {
        name: m.name,
        unit: m.unit,
        description: m.description,
        type: m.type,
        resource: res,
        attributes: p.attributes,
        // A stream starts with the first run folded into it (that run's start), so one that
        // appears, or reappears after expiry, never claims to have been 0 since long before.
        startTimeUnixNano: /^[1-9]\d{0,19}$/.test(m.startTimeUnixNano) && m.startTimeUnixNano.length >= 10 ? m.startTimeUnixNano : nowNanos(),
        ...(hist
          ? { count: 0, sum: 0, min: hist.min, max: hist.max, bounds: hist.bounds, bucketCounts: hist.bounds.map(() => 0).concat(0) }
          : { value: 0, monotonic: true }),
      };
    }
    if (hist) {
      s.count = (s.count ?? 0) + hist.count;
      s.sum = (s.sum ?? 0) + hist.sum;
      if (hist.count > 0) {
        s.min = Math.min(s.min ?? hist.min, hist.min);
        s.max = Math.max(s.max ?? hist.max, hist.max);
      }
      const bc = s.bucketCounts ?? [];
      for (let i = 0; i < hist.bucketCounts.length; i++) bc[i] = (bc[i] ?? 0) + hist.bucketCounts[i];
      s.bucketCounts = bc;
    } else {
      const v = (p as SumPoint).value;
      s.value = (s.value ?? 0) + v;
      if (v < 0) s.monotonic = false;
    }
    s.updatedAt = Date.now();
    if (origin) addOrigin(s, origin);
    state.dirty = true;
  }
}

function addOrigin(s: Stream, origin: BatchOrigin): void {
  const key = JSON.stringify(origin);
  const list = Array.isArray(s.origins) ? s.origins.filter((o) => JSON.stringify(o) !== key) : [];
  list.push(origin);
  s.origins = list.slice(-MAX_ORIGINS);
}

/**
 * Fold a batch's metrics in, once. Returns false (and changes nothing) when this batch file was
 * folded already: a previous shipper folded it and died before deleting the file.
 */
export function foldBatch(state: MetricsState, batch: Batch, file: string): boolean {
  if (Object.prototype.hasOwnProperty.call(state.folded, file)) return false;
  for (const m of batch.metrics) foldMetric(state, batch.resource, m, batch.origin);
  state.folded[file] = batch.id;
  return true;
}

/** Drop streams untouched for STREAM_TTL_MS (their series simply end downstream). */
export function expireStreams(state: MetricsState, now = Date.now()): void {
  for (const [k, s] of Object.entries(state.streams)) {
    if (typeof s.updatedAt === 'number' && now - s.updatedAt > STREAM_TTL_MS) delete state.streams[k];
  }
}

/** Forget folded batches whose spool file no longer exists (delivered or dropped). */
export function pruneFolded(state: MetricsState, existingFiles: Set<string>): void {
  for (const file of Object.keys(state.folded)) if (!existingFiles.has(file)) delete state.folded[file];
}
