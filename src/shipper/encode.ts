/**
 * Our plain records -> OTLP request bodies, through @opentelemetry/otlp-transformer's serializers
 * (the same code the official exporters use, so what we send is what they would send). Only the
 * package's public entry is used, and the records are built as the public types its serializers
 * take (the SDK's ReadableSpan and ResourceMetrics), so moving to a new OpenTelemetry JS major is a
 * version bump that the compiler checks (CI runs the shipper tests against OTel JS 3.x too).
 * The serializers group spans by resource and scope *object identity*: one object per batch resource.
 */
import type {
  JsonLogsSerializer, JsonMetricsSerializer, JsonTraceSerializer, ProtobufLogsSerializer, ProtobufMetricsSerializer, ProtobufTraceSerializer,
} from '@opentelemetry/otlp-transformer';
import type { Attributes, Batch, SpanRecord } from '../model/records';
import type { OtlpProtocol } from '../settings/otlp';
import type { MetricsState, Stream } from './accumulator';
import { nowNanos } from './accumulator';

// The SDK types, named exactly as the serializers' public signatures name them (ReadableSpan from
// sdk-trace, ResourceMetrics from sdk-metrics): no dependency on those packages of our own, and
// always the version the installed otlp-transformer was built against.
type TraceSerializer = typeof ProtobufTraceSerializer;
type MetricsSerializer = typeof ProtobufMetricsSerializer;
type LogsSerializer = typeof ProtobufLogsSerializer;
export type ReadableLogRecord = Parameters<LogsSerializer['serializeRequest']>[0][number];
export type ReadableSpan = Parameters<TraceSerializer['serializeRequest']>[0][number];
export type ResourceMetrics = Parameters<MetricsSerializer['serializeRequest']>[0];
type Resource = ReadableSpan['resource'];
type Scope = ReadableSpan['instrumentationScope'];
type MetricData = ResourceMetrics['scopeMetrics'][number]['metrics'][number];
type HistogramMetricData = Extract<MetricData, { dataPoints: Array<{ value: { buckets: unknown } }> }>;
type SumMetricData = Extract<MetricData, { isMonotonic: boolean }>;
type HrTime = ReadableSpan['startTime'];

// Enum values of @opentelemetry/sdk-metrics and @opentelemetry/api (stable OTLP numbers), inlined so
// this module loads neither package itself (the serializers do).
const DATA_POINT_TYPE = { HISTOGRAM: 0 as HistogramMetricData['dataPointType'], SUM: 3 as SumMetricData['dataPointType'] };
const TEMPORALITY_CUMULATIVE = 1 as MetricData['aggregationTemporality'];
const TEMPORALITY_DELTA = 0 as MetricData['aggregationTemporality'];
const VALUE_TYPE = { INT: 0 as MetricData['descriptor']['valueType'], DOUBLE: 1 as MetricData['descriptor']['valueType'] };

export const SCOPE_NAME = 'devtool-telemetry';

/** Decimal Unix nanoseconds -> HrTime, exactly (no float rounding past 2^53). */
export function nanosToHrTime(nanos: string): HrTime {
  if (nanos.length <= 9) return [0, Number(nanos)];
  return [Number(nanos.slice(0, -9)), Number(nanos.slice(-9))];
}

/** A Resource with known attributes (nothing async, nothing to detect). */
function resourceOf(attributes: Attributes): Resource {
  const resource: Resource = {
    attributes,
    merge: (other) => (other ? resourceOf({ ...attributes, ...(other.attributes as Attributes) }) : resource),
    getRawAttributes: () => Object.entries(attributes),
  };
  return resource;
}

const SAMPLED = 1;

function toReadableSpan(s: SpanRecord, resource: Resource, scope: Scope): ReadableSpan {
  const start = nanosToHrTime(s.startTimeUnixNano);
  const end = nanosToHrTime(s.endTimeUnixNano);
  return {
    name: s.name,
    // The API's SpanKind starts at INTERNAL = 0; OTLP (our record) at 1.
    kind: s.kind - 1,
    spanContext: () => ({ traceId: s.traceId, spanId: s.spanId, traceFlags: SAMPLED }),
    parentSpanContext: s.parentSpanId ? { traceId: s.traceId, spanId: s.parentSpanId, traceFlags: SAMPLED, isRemote: false } : undefined,
    startTime: start,
    endTime: end,
    status: s.status.message ? { code: s.status.code, message: s.status.message } : { code: s.status.code },
    attributes: s.attributes,
    links: s.links.map((l) => ({ context: { traceId: l.traceId, spanId: l.spanId, traceFlags: SAMPLED }, attributes: l.attributes })),
    events: s.events.map((e) => ({ name: e.name, time: nanosToHrTime(e.timeUnixNano), attributes: e.attributes })),
    duration: [end[0] - start[0], end[1] - start[1]],
    ended: true,
    resource,
    instrumentationScope: scope,
    droppedAttributesCount: 0,
    droppedEventsCount: 0,
    droppedLinksCount: 0,
  };
}

/** All spans of the given batches as ReadableSpan-likes (one resource object per batch). */
export function batchesToReadableSpans(batches: Batch[], version?: string): ReadableSpan[] {
  const out: ReadableSpan[] = [];
  const scopes = new Map<string, Scope>();
  for (const b of batches) {
    const resource = resourceOf(b.resource);
    for (const s of b.spans) {
      const name = s.scope || SCOPE_NAME;
      let scope = scopes.get(name);
      if (!scope) scopes.set(name, (scope = version && name === SCOPE_NAME ? { name, version } : { name }));
      out.push(toReadableSpan(s, resource, scope));
    }
  }
  return out;
}

interface Serializers {
  readonly trace: TraceSerializer | typeof JsonTraceSerializer;
  readonly metrics: MetricsSerializer | typeof JsonMetricsSerializer;
  readonly logs: LogsSerializer | typeof JsonLogsSerializer;
}

// Loaded on first use, in the shipper only (never in the tool's process): the public entry, which
// loads the serializers of every signal and encoding (measured: +15 ms CPU and +1 MB per shipper run
// against the two internal paths used before; the price of an upgrade that is a version bump).
function serializers(protocol: OtlpProtocol): Serializers {
  const t = require('@opentelemetry/otlp-transformer') as typeof import('@opentelemetry/otlp-transformer');
  return protocol === 'http/json'
    ? { trace: t.JsonTraceSerializer, metrics: t.JsonMetricsSerializer, logs: t.JsonLogsSerializer }
    : { trace: t.ProtobufTraceSerializer, metrics: t.ProtobufMetricsSerializer, logs: t.ProtobufLogsSerializer };
}

/**
 * Why the encoders cannot load (a broken install: the OTLP serializer package missing or unreadable),
 * or undefined when they can. Then no batch is at fault: it must be kept, never quarantined.
 */
export function encoderProblem(protocol: OtlpProtocol): string | undefined {
  try {
    serializers(protocol);
    return undefined;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException)?.code;
    return `the OTLP encoders cannot load (${typeof code === 'string' ? code : 'error'}): reinstall devtool-telemetry; batches are kept`;
  }
}

export function encodeSpans(batches: Batch[], protocol: OtlpProtocol, version?: string): Uint8Array {
  const body = serializers(protocol).trace.serializeRequest(batchesToReadableSpans(batches, version));
  if (!body) throw new Error('span serialization failed');
  return body;
}

/** All log records of the given batches as ReadableLogRecord-likes (one resource object per batch). */
export function batchesToLogRecords(batches: Batch[], version?: string): ReadableLogRecord[] {
  const out: ReadableLogRecord[] = [];
  const scope = version ? { name: SCOPE_NAME, version } : { name: SCOPE_NAME };
  for (const b of batches) {
    if (!b.logs?.length) continue;
    const resource = resourceOf(b.resource);
    for (const r of b.logs) {
      const time = nanosToHrTime(r.timeUnixNano);
      out.push({
        hrTime: time,
        hrTimeObserved: time,
        ...(r.traceId && r.spanId ? { spanContext: { traceId: r.traceId, spanId: r.spanId, traceFlags: SAMPLED } } : {}),
        ...(r.severityText ? { severityText: r.severityText } : {}),
        severityNumber: r.severityNumber as ReadableLogRecord['severityNumber'],
        eventName: r.eventName,
        resource,
        instrumentationScope: scope,
        attributes: r.attributes,
        droppedAttributesCount: 0,
      });
    }
  }
  return out;
}

export function encodeLogs(batches: Batch[], protocol: OtlpProtocol, version?: string): Uint8Array {
  const body = serializers(protocol).logs.serializeRequest(batchesToLogRecords(batches, version));
  if (!body) throw new Error('log serialization failed');
  return body;
}

function isInt(n: number): boolean {
  return Number.isSafeInteger(n);
}

/**
 * One stream identity per distinct resource: two tool versions (or two tools) of one user must not
 * share `service.instance.id`, or Prometheus (job + instance) would see two cumulative series with
 * the same labels and keep only the last. Stable across shipper runs: derived from the persisted
 * accumulator id and the resource.
 */
export function instanceIdFor(accumulatorId: string, resourceKey: string): string {
  const { createHash } = require('node:crypto') as typeof import('node:crypto');
  return createHash('sha256').update(accumulatorId).update('\u0000').update(resourceKey).digest('hex').slice(0, 32);
}

/**
 * What to export instead of every stream's running total: the delta view of temporality.ts (its
 * streams are marked `delta`) ending at `end` (Unix ns).
 */
export interface ExportView {
  streams: Stream[];
  end: string;
}

/** ResourceMetrics, one per distinct stream resource: cumulative, or the delta view's points. */
export function streamsToResourceMetrics(state: MetricsState, version?: string, view?: ExportView): ResourceMetrics[] {
  const byResource = new Map<string, { resource: Resource; byMetric: Map<string, Stream[]> }>();
  for (const s of view?.streams ?? Object.values(state.streams)) {
    const rkey = JSON.stringify(Object.keys(s.resource).sort().map((k) => [k, s.resource[k]]));
    let r = byResource.get(rkey);
    if (!r) {
      r = { resource: resourceOf({ ...s.resource, 'service.instance.id': instanceIdFor(state.instanceId, rkey) }), byMetric: new Map() };
      byResource.set(rkey, r);
    }
    const mkey = `${s.name}\u0000${s.type}\u0000${s.unit}`;
    const list = r.byMetric.get(mkey) ?? [];
    list.push(s);
    r.byMetric.set(mkey, list);
  }
  const accStart = nanosToHrTime(state.startTimeUnixNano);
  const startOf = (s: Stream) => (s.startTimeUnixNano ? nanosToHrTime(s.startTimeUnixNano) : accStart);
  const end = nanosToHrTime(view?.end ?? nowNanos());
  const out: ResourceMetrics[] = [];
  // One temporality per metric: delta only when every stream of it is a delta (an up-down stream keeps it cumulative).
  const temporalityOf = (streams: Stream[]) => (streams.every((x) => (x as { delta?: boolean }).delta === true) ? TEMPORALITY_DELTA : TEMPORALITY_CUMULATIVE);
  for (const { resource, byMetric } of byResource.values()) {
    const metrics: MetricData[] = [];
    for (const streams of byMetric.values()) {
      const first = streams[0];
      if (first.type === 'histogram') {
        metrics.push({
          descriptor: { name: first.name, description: first.description, unit: first.unit, valueType: VALUE_TYPE.DOUBLE },
          aggregationTemporality: temporalityOf(streams),
          dataPointType: DATA_POINT_TYPE.HISTOGRAM,
          dataPoints: streams.map((s) => ({
            startTime: startOf(s),
            endTime: end,
            attributes: s.attributes,
            value: {
              buckets: { boundaries: s.bounds ?? [], counts: s.bucketCounts ?? [0] },
              count: s.count ?? 0,
              sum: s.sum ?? 0,
              min: s.count ? s.min : undefined,
              max: s.count ? s.max : undefined,
            },
          })),
        });
      } else {
        const allInt = streams.every((s) => isInt(s.value ?? 0));
        metrics.push({
          descriptor: { name: first.name, description: first.description, unit: first.unit, valueType: allInt ? VALUE_TYPE.INT : VALUE_TYPE.DOUBLE },
          aggregationTemporality: temporalityOf(streams),
          dataPointType: DATA_POINT_TYPE.SUM,
          isMonotonic: streams.every((s) => s.monotonic !== false),
          dataPoints: streams.map((s) => ({ startTime: startOf(s), endTime: end, attributes: s.attributes, value: s.value ?? 0 })),
        });
      }
    }
    out.push({ resource, scopeMetrics: [{ scope: version ? { name: SCOPE_NAME, version } : { name: SCOPE_NAME }, metrics }] });
  }
  return out;
}

/**
 * One request body for all resources. The serializer takes one ResourceMetrics; a protobuf message
 * with a repeated field may be concatenated (the parser appends), and JSON is merged explicitly.
 */
export function encodeMetrics(state: MetricsState, protocol: OtlpProtocol, version?: string, view?: ExportView): Uint8Array | undefined {
  const rms = streamsToResourceMetrics(state, version, view);
  if (rms.length === 0) return undefined;
  const ser = serializers(protocol).metrics;
  const parts = rms.map((rm) => {
    const b = ser.serializeRequest(rm);
    if (!b) throw new Error('metric serialization failed');
    return b;
  });
  if (protocol === 'http/protobuf') return Buffer.concat(parts);
  const merged = { resourceMetrics: parts.flatMap((p) => (JSON.parse(Buffer.from(p).toString('utf8')) as { resourceMetrics: unknown[] }).resourceMetrics) };
  return Buffer.from(JSON.stringify(merged));
}

export interface PartialSuccess {
  rejected: number;
  message?: string;
}

/** Parse an Export*ServiceResponse's partial_success; tolerant of anything. */
export function parsePartialSuccess(signal: 'traces' | 'metrics' | 'logs', protocol: OtlpProtocol, body: Buffer): PartialSuccess {
  if (body.length === 0) return { rejected: 0 };
  try {
    const all = serializers(protocol);
    const ser = signal === 'traces' ? all.trace : signal === 'logs' ? all.logs : all.metrics;
    const r = ser.deserializeResponse(body) as { partialSuccess?: Record<string, unknown> } | undefined;
    const ps = r?.partialSuccess;
    if (!ps) return { rejected: 0 };
    const raw = signal === 'traces' ? ps.rejectedSpans : signal === 'logs' ? ps.rejectedLogRecords : ps.rejectedDataPoints;
    const n = typeof raw === 'number' ? raw : typeof raw === 'string' ? Number(raw) : typeof raw === 'bigint' ? Number(raw) : 0;
    const message = typeof ps.errorMessage === 'string' ? ps.errorMessage.slice(0, 200) : undefined;
    return { rejected: Number.isFinite(n) && n > 0 ? n : 0, ...(message ? { message } : {}) };
  } catch {
    return { rejected: 0 };
  }
}
