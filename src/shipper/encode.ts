/**
 * Our plain records -> OTLP request bodies, through @opentelemetry/otlp-transformer's serializers
 * (the same code the official exporters use, so what we send is what they would send). The
 * serializers read the SDK's ReadableSpan and ResourceMetrics shapes; we build just the fields they
 * read (checked against otlp-transformer 0.223.0's trace-serializer.js / metrics-serializer.js).
 * They group spans by resource and scope *object identity*, so one object per batch resource.
 */
import type { Attributes, Batch, SpanRecord } from '../model';
import type { OtlpProtocol } from '../config/otlp-env';
import type { MetricsState, Stream } from './accumulator';
import { nowNanos } from './accumulator';

type HrTime = [number, number];

// Enum values of @opentelemetry/sdk-metrics and @opentelemetry/api, inlined so this module does
// not load them itself (the serializers do).
const DATA_POINT_TYPE = { HISTOGRAM: 0, SUM: 3 } as const;
const TEMPORALITY_CUMULATIVE = 1;
const VALUE_TYPE = { INT: 0, DOUBLE: 1 } as const;

export const SCOPE_NAME = 'devtool-telemetry';

/** Decimal Unix nanoseconds -> HrTime, exactly (no float rounding past 2^53). */
export function nanosToHrTime(nanos: string): HrTime {
  if (nanos.length <= 9) return [0, Number(nanos)];
  return [Number(nanos.slice(0, -9)), Number(nanos.slice(-9))];
}

interface ResourceLike {
  attributes: Attributes;
  schemaUrl?: string;
}
interface ScopeLike {
  name: string;
  version?: string;
}

const SAMPLED = 1;

function toReadableSpan(s: SpanRecord, resource: ResourceLike, scope: ScopeLike): unknown {
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
export function batchesToReadableSpans(batches: Batch[], version?: string): unknown[] {
  const out: unknown[] = [];
  const scopes = new Map<string, ScopeLike>();
  for (const b of batches) {
    const resource: ResourceLike = { attributes: b.resource };
    for (const s of b.spans) {
      const name = s.scope || SCOPE_NAME;
      let scope = scopes.get(name);
      if (!scope) scopes.set(name, (scope = version && name === SCOPE_NAME ? { name, version } : { name }));
      out.push(toReadableSpan(s, resource, scope));
    }
  }
  return out;
}

type Serializer = { serializeRequest(arg: unknown): Uint8Array | undefined; deserializeResponse(b: Uint8Array): unknown };

// Loaded on first use, in the shipper only, and only the one needed: the package index loads every
// signal in both encodings (and @opentelemetry/sdk-metrics), ~15 MB and ~0.3 s more.
const PKG = '@opentelemetry/otlp-transformer';
const SERIALIZER_PATHS = {
  'http/protobuf': { trace: [`${PKG}/build/src/trace/protobuf`, 'ProtobufTraceSerializer'], metrics: [`${PKG}/build/src/metrics/protobuf`, 'ProtobufMetricsSerializer'] },
  'http/json': { trace: [`${PKG}/build/src/trace/json`, 'JsonTraceSerializer'], metrics: [`${PKG}/build/src/metrics/json`, 'JsonMetricsSerializer'] },
} as const;

function load(protocol: OtlpProtocol, signal: 'trace' | 'metrics'): Serializer {
  const [deep, name] = SERIALIZER_PATHS[protocol][signal];
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return (require(deep) as Record<string, Serializer>)[name];
  } catch {
    // A future layout: the public index has them all.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return (require(PKG) as Record<string, Serializer>)[name];
  }
}

function serializers(protocol: OtlpProtocol): { readonly trace: Serializer; readonly metrics: Serializer } {
  return {
    get trace() {
      return load(protocol, 'trace');
    },
    get metrics() {
      return load(protocol, 'metrics');
    },
  };
}

export function encodeSpans(batches: Batch[], protocol: OtlpProtocol, version?: string): Uint8Array {
  const body = serializers(protocol).trace.serializeRequest(batchesToReadableSpans(batches, version));
  if (!body) throw new Error('span serialization failed');
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
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { createHash } = require('node:crypto') as typeof import('node:crypto');
  return createHash('sha256').update(accumulatorId).update('\u0000').update(resourceKey).digest('hex').slice(0, 32);
}

/** Cumulative ResourceMetrics, one per distinct stream resource. */
export function streamsToResourceMetrics(state: MetricsState, version?: string): unknown[] {
  const byResource = new Map<string, { resource: ResourceLike; byMetric: Map<string, Stream[]> }>();
  for (const s of Object.values(state.streams)) {
    const rkey = JSON.stringify(Object.keys(s.resource).sort().map((k) => [k, s.resource[k]]));
    let r = byResource.get(rkey);
    if (!r) {
      r = { resource: { attributes: { ...s.resource, 'service.instance.id': instanceIdFor(state.instanceId, rkey) } }, byMetric: new Map() };
      byResource.set(rkey, r);
    }
    const mkey = `${s.name}\u0000${s.type}\u0000${s.unit}`;
    const list = r.byMetric.get(mkey) ?? [];
    list.push(s);
    r.byMetric.set(mkey, list);
  }
  const accStart = nanosToHrTime(state.startTimeUnixNano);
  const startOf = (s: Stream) => (s.startTimeUnixNano ? nanosToHrTime(s.startTimeUnixNano) : accStart);
  const end = nanosToHrTime(nowNanos());
  const out: unknown[] = [];
  for (const { resource, byMetric } of byResource.values()) {
    const metrics: unknown[] = [];
    for (const streams of byMetric.values()) {
      const first = streams[0];
      if (first.type === 'histogram') {
        metrics.push({
          descriptor: { name: first.name, description: first.description, unit: first.unit, valueType: VALUE_TYPE.DOUBLE },
          aggregationTemporality: TEMPORALITY_CUMULATIVE,
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
          aggregationTemporality: TEMPORALITY_CUMULATIVE,
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
export function encodeMetrics(state: MetricsState, protocol: OtlpProtocol, version?: string): Uint8Array | undefined {
  const rms = streamsToResourceMetrics(state, version);
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
export function parsePartialSuccess(signal: 'traces' | 'metrics', protocol: OtlpProtocol, body: Buffer): PartialSuccess {
  if (body.length === 0) return { rejected: 0 };
  try {
    const ser = signal === 'traces' ? serializers(protocol).trace : serializers(protocol).metrics;
    const r = ser.deserializeResponse(body) as { partialSuccess?: Record<string, unknown> } | undefined;
    const ps = r?.partialSuccess;
    if (!ps) return { rejected: 0 };
    const raw = signal === 'traces' ? ps.rejectedSpans : ps.rejectedDataPoints;
    const n = typeof raw === 'number' ? raw : typeof raw === 'string' ? Number(raw) : typeof raw === 'bigint' ? Number(raw) : 0;
    const message = typeof ps.errorMessage === 'string' ? ps.errorMessage.slice(0, 200) : undefined;
    return { rejected: Number.isFinite(n) && n > 0 ? n : 0, ...(message ? { message } : {}) };
  } catch {
    return { rejected: 0 };
  }
}
