/**
 * OTLP body decoding and flattening for the test receiver. Both encodings end in one shape: the
 * OTLP/JSON object form (lowerCamelCase keys, hex ids, 64-bit numbers as decimal strings), so the
 * flatteners below serve protobuf and JSON alike and a test cannot pass for one and fail for the
 * other by accident.
 */
import * as path from 'node:path';
import * as protobuf from 'protobufjs';

export type Signal = 'traces' | 'metrics' | 'logs';

const REQUEST_TYPE: Record<Signal, string> = {
  traces: 'opentelemetry.proto.collector.v1.ExportTraceServiceRequest',
  metrics: 'opentelemetry.proto.collector.v1.ExportMetricsServiceRequest',
  logs: 'opentelemetry.proto.collector.v1.ExportLogsServiceRequest',
};

let root: protobuf.Root | undefined;
function protoRoot(): protobuf.Root {
  // Loaded once per process; imports resolve relative to collector.proto.
  root ??= protobuf.loadSync(path.join(__dirname, 'otlp', 'collector.proto'));
  return root;
}

/** Fields that carry span/trace ids: bytes on the protobuf wire, hex strings in OTLP/JSON. */
const ID_FIELDS = new Set(['traceId', 'spanId', 'parentSpanId']);

function base64IdsToHex(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(base64IdsToHex);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      out[k] = ID_FIELDS.has(k) && typeof v === 'string' ? Buffer.from(v, 'base64').toString('hex') : base64IdsToHex(v);
    }
    return out;
  }
  return value;
}

/** Decode a protobuf request body of `signal` into the OTLP/JSON object form. Throws on bad bytes. */
export function decodeProtobuf(signal: Signal, body: Uint8Array): Record<string, unknown> {
  const type = protoRoot().lookupType(REQUEST_TYPE[signal]);
  const msg = type.decode(body);
  const obj = type.toObject(msg, { longs: String, enums: Number, bytes: String, defaults: false, arrays: true });
  return base64IdsToHex(obj) as Record<string, unknown>;
}

/** Encode an OTLP/JSON-shaped object (hex ids) as protobuf; for tests that need wire bytes. */
export function encodeProtobuf(signal: Signal, obj: Record<string, unknown>): Uint8Array {
  const hexToB64 = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(hexToB64);
    if (v && typeof v === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) {
        out[k] = ID_FIELDS.has(k) && typeof x === 'string' ? Buffer.from(x, 'hex').toString('base64') : hexToB64(x);
      }
      return out;
    }
    return v;
  };
  const type = protoRoot().lookupType(REQUEST_TYPE[signal]);
  return type.encode(type.fromObject(hexToB64(obj) as Record<string, unknown>)).finish();
}

// ---------------------------------------------------------------------------------------------
// Flattening

export type Plain = string | number | boolean | null | Plain[] | { [k: string]: Plain };

export interface FlatScope {
  name: string;
  version?: string;
}

export interface FlatSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  /** (end - start) in milliseconds, as a float. */
  durationMs: number;
  attributes: Record<string, Plain>;
  resource: Record<string, Plain>;
  scope: FlatScope;
  status: { code: number; message?: string };
  events: Array<{ name: string; timeUnixNano: string; attributes: Record<string, Plain> }>;
  links: Array<{ traceId: string; spanId: string; attributes: Record<string, Plain> }>;
  /** Index into Receiver.requests of the request that carried it. */
  request: number;
}

export type Temporality = 'delta' | 'cumulative' | 'unspecified';

export interface FlatPoint {
  attributes: Record<string, Plain>;
  startTimeUnixNano?: string;
  timeUnixNano?: string;
  /** Sum and gauge points. */
  value?: number;
  /** Histogram points. */
  count?: number;
  sum?: number;
  min?: number;
  max?: number;
  bounds?: number[];
  bucketCounts?: number[];
}

export interface FlatMetric {
  name: string;
  unit: string;
  description: string;
  type: 'sum' | 'gauge' | 'histogram' | 'exponentialHistogram' | 'summary' | 'unknown';
  temporality: Temporality;
  isMonotonic?: boolean;
  points: FlatPoint[];
  resource: Record<string, Plain>;
  scope: FlatScope;
  request: number;
}

export interface FlatLog {
  timeUnixNano?: string;
  severityNumber?: number;
  severityText?: string;
  eventName?: string;
  body: Plain;
  attributes: Record<string, Plain>;
  traceId?: string;
  spanId?: string;
  resource: Record<string, Plain>;
  scope: FlatScope;
  request: number;
}

type Obj = Record<string, any>;

/** OTLP/JSON may carry 64-bit numbers as strings or numbers; tests want numbers. */
function num(v: unknown): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && v !== '') return Number(v);
  return undefined;
}

function nanos(v: unknown): string | undefined {
  return v === undefined || v === null ? undefined : String(v);
}

/** AnyValue -> plain JS value. Unknown or empty AnyValue -> null. */
export function anyValue(v: Obj | undefined): Plain {
  if (!v || typeof v !== 'object') return null;
  if ('stringValue' in v) return String(v.stringValue);
  if ('boolValue' in v) return Boolean(v.boolValue);
  if ('intValue' in v) return num(v.intValue) ?? 0;
  if ('doubleValue' in v) return num(v.doubleValue) ?? 0;
  if ('arrayValue' in v) return ((v.arrayValue?.values ?? []) as Obj[]).map(anyValue);
  if ('kvlistValue' in v) return attrs(v.kvlistValue?.values);
  if ('bytesValue' in v) return String(v.bytesValue);
  return null;
}

/** KeyValue[] -> { key: value }. */
export function attrs(list: unknown): Record<string, Plain> {
  const out: Record<string, Plain> = {};
  for (const kv of (Array.isArray(list) ? list : []) as Obj[]) out[String(kv.key)] = anyValue(kv.value);
  return out;
}

function scopeOf(s: Obj | undefined): FlatScope {
  return { name: String(s?.name ?? ''), ...(s?.version ? { version: String(s.version) } : {}) };
}

function durationMs(start?: string, end?: string): number {
  if (!start || !end) return 0;
  return Number(BigInt(end) - BigInt(start)) / 1e6;
}

export function flattenSpans(decoded: Obj, request: number): FlatSpan[] {
  const out: FlatSpan[] = [];
  for (const rs of (decoded.resourceSpans ?? []) as Obj[]) {
    const resource = attrs(rs.resource?.attributes);
    for (const ss of (rs.scopeSpans ?? []) as Obj[]) {
      const scope = scopeOf(ss.scope);
      for (const s of (ss.spans ?? []) as Obj[]) {
        const start = nanos(s.startTimeUnixNano) ?? '0';
        const end = nanos(s.endTimeUnixNano) ?? '0';
        out.push({
          traceId: String(s.traceId ?? ''),
          spanId: String(s.spanId ?? ''),
          ...(s.parentSpanId ? { parentSpanId: String(s.parentSpanId) } : {}),
          name: String(s.name ?? ''),
          kind: num(s.kind) ?? 0,
          startTimeUnixNano: start,
          endTimeUnixNano: end,
          durationMs: durationMs(start, end),
          attributes: attrs(s.attributes),
          resource,
          scope,
          status: {
            code: num(s.status?.code) ?? 0,
            ...(s.status?.message ? { message: String(s.status.message) } : {}),
          },
          events: ((s.events ?? []) as Obj[]).map((e) => ({
            name: String(e.name ?? ''),
            timeUnixNano: nanos(e.timeUnixNano) ?? '0',
            attributes: attrs(e.attributes),
          })),
          links: ((s.links ?? []) as Obj[]).map((l) => ({
            traceId: String(l.traceId ?? ''),
            spanId: String(l.spanId ?? ''),
            attributes: attrs(l.attributes),
          })),
          request,
        });
      }
    }
  }
  return out;
}

function temporalityOf(v: unknown): Temporality {
  const n = typeof v === 'string' ? v : num(v);
  if (n === 1 || n === 'AGGREGATION_TEMPORALITY_DELTA') return 'delta';
  if (n === 2 || n === 'AGGREGATION_TEMPORALITY_CUMULATIVE') return 'cumulative';
  return 'unspecified';
}

function basePoint(p: Obj): FlatPoint {
  const start = nanos(p.startTimeUnixNano);
  const time = nanos(p.timeUnixNano);
  return {
    attributes: attrs(p.attributes),
    ...(start !== undefined ? { startTimeUnixNano: start } : {}),
    ...(time !== undefined ? { timeUnixNano: time } : {}),
  };
}

function numberPoint(p: Obj): FlatPoint {
  return { ...basePoint(p), value: num(p.asDouble) ?? num(p.asInt) ?? 0 };
}

function histogramPoint(p: Obj): FlatPoint {
  const opt = (k: string) => (p[k] !== undefined && p[k] !== null ? { [k]: num(p[k]) } : {});
  return {
    ...basePoint(p),
    count: num(p.count) ?? 0,
    ...opt('sum'),
    ...opt('min'),
    ...opt('max'),
    bounds: ((p.explicitBounds ?? []) as unknown[]).map((b) => num(b) ?? 0),
    bucketCounts: ((p.bucketCounts ?? []) as unknown[]).map((b) => num(b) ?? 0),
  };
}

export function flattenMetrics(decoded: Obj, request: number): FlatMetric[] {
  const out: FlatMetric[] = [];
  for (const rm of (decoded.resourceMetrics ?? []) as Obj[]) {
    const resource = attrs(rm.resource?.attributes);
    for (const sm of (rm.scopeMetrics ?? []) as Obj[]) {
      const scope = scopeOf(sm.scope);
      for (const m of (sm.metrics ?? []) as Obj[]) {
        const base = {
          name: String(m.name ?? ''),
          unit: String(m.unit ?? ''),
          description: String(m.description ?? ''),
          resource,
          scope,
          request,
        };
        if (m.sum) {
          out.push({
            ...base,
            type: 'sum',
            temporality: temporalityOf(m.sum.aggregationTemporality),
            isMonotonic: Boolean(m.sum.isMonotonic),
            points: ((m.sum.dataPoints ?? []) as Obj[]).map(numberPoint),
          });
        } else if (m.gauge) {
          out.push({ ...base, type: 'gauge', temporality: 'unspecified', points: ((m.gauge.dataPoints ?? []) as Obj[]).map(numberPoint) });
        } else if (m.histogram) {
          out.push({
            ...base,
            type: 'histogram',
            temporality: temporalityOf(m.histogram.aggregationTemporality),
            points: ((m.histogram.dataPoints ?? []) as Obj[]).map(histogramPoint),
          });
        } else if (m.exponentialHistogram) {
          out.push({
            ...base,
            type: 'exponentialHistogram',
            temporality: temporalityOf(m.exponentialHistogram.aggregationTemporality),
            points: ((m.exponentialHistogram.dataPoints ?? []) as Obj[]).map((p) => ({
              ...basePoint(p),
              count: num(p.count) ?? 0,
              ...(p.sum !== undefined ? { sum: num(p.sum) } : {}),
            })),
          });
        } else if (m.summary) {
          out.push({
            ...base,
            type: 'summary',
            temporality: 'unspecified',
            points: ((m.summary.dataPoints ?? []) as Obj[]).map((p) => ({ ...basePoint(p), count: num(p.count) ?? 0, sum: num(p.sum) ?? 0 })),
          });
        } else {
          out.push({ ...base, type: 'unknown', temporality: 'unspecified', points: [] });
        }
      }
    }
  }
  return out;
}

export function flattenLogs(decoded: Obj, request: number): FlatLog[] {
  const out: FlatLog[] = [];
  for (const rl of (decoded.resourceLogs ?? []) as Obj[]) {
    const resource = attrs(rl.resource?.attributes);
    for (const sl of (rl.scopeLogs ?? []) as Obj[]) {
      const scope = scopeOf(sl.scope);
      for (const r of (sl.logRecords ?? []) as Obj[]) {
        out.push({
          ...(r.timeUnixNano !== undefined ? { timeUnixNano: String(r.timeUnixNano) } : {}),
          ...(r.severityNumber !== undefined ? { severityNumber: num(r.severityNumber) } : {}),
          ...(r.severityText ? { severityText: String(r.severityText) } : {}),
          ...(r.eventName ? { eventName: String(r.eventName) } : {}),
          body: anyValue(r.body),
          attributes: attrs(r.attributes),
          ...(r.traceId ? { traceId: String(r.traceId) } : {}),
          ...(r.spanId ? { spanId: String(r.spanId) } : {}),
          resource,
          scope,
          request,
        });
      }
    }
  }
  return out;
}
