/**
 * The in-process record model. Deliberately close to OTLP (so the debug printer, `preview` and the
 * shipper convert it without surprises) but plain JSON, so a run's records can be spooled in one
 * `writeFileSync` and read back by another process. Nothing here imports OpenTelemetry: the
 * recorder must stay lean (see ../README.md, "Start-up budget").
 */

/** Attribute values we ever emit. Arrays are homogeneous. */
export type AttrValue = string | number | boolean | string[] | number[] | boolean[];
export type Attributes = Record<string, AttrValue>;

import type { Level } from './levels';

export type { Level } from './levels';

/** OTLP SpanKind numbers. */
export const SpanKind = { INTERNAL: 1, SERVER: 2, CLIENT: 3, PRODUCER: 4, CONSUMER: 5 } as const;
/** OTLP status codes. */
export const StatusCode = { UNSET: 0, OK: 1, ERROR: 2 } as const;

export interface SpanEventRecord {
  name: string;
  /** Unix time in nanoseconds as a decimal string (exceeds 2^53). */
  timeUnixNano: string;
  attributes: Attributes;
}

export interface SpanLinkRecord {
  traceId: string;
  spanId: string;
  attributes: Attributes;
}

export interface SpanRecord {
  /** 32 lowercase hex chars. */
  traceId: string;
  /** 16 lowercase hex chars. */
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  attributes: Attributes;
  events: SpanEventRecord[];
  links: SpanLinkRecord[];
  status: { code: number; message?: string };
  /** Instrumentation scope name; ours is `devtool-telemetry`. */
  scope?: string;
}

/** A delta sum point (counters) over [startTimeUnixNano, timeUnixNano]. */
export interface SumPoint {
  attributes: Attributes;
  value: number;
}

/** A delta explicit-bucket histogram point. `bucketCounts.length === bounds.length + 1`. */
export interface HistogramPoint {
  attributes: Attributes;
  count: number;
  sum: number;
  min: number;
  max: number;
  bounds: number[];
  bucketCounts: number[];
}

/** What names a metric stream: the same for an instrument, a spooled record and a shipper's stream. */
export interface MetricIdentity {
  name: string;
  unit: string;
  description: string;
  type: 'sum' | 'histogram';
}

export interface MetricRecord extends MetricIdentity {
  /** Always delta in the spool: one run's contribution. The shipper makes streams cumulative. */
  startTimeUnixNano: string;
  timeUnixNano: string;
  points: Array<SumPoint | HistogramPoint>;
}

/** What identifies this user and machine (home, user, host, working dir): found locally, only ever
 * used to scrub those values out of records (resource/local-identity.ts, privacy/patterns.ts). */
export interface LocalIdentity {
  home?: string;
  user?: string;
  host?: string;
  cwd?: string;
}

/** OTLP SeverityNumber values we use (INFO, WARN, ERROR). */
export const Severity = { INFO: 9, WARN: 13, ERROR: 17 } as const;

/**
 * A log-based event (OTLP LogRecord with EventName): exceptions, feature uses, session start/end and,
 * at `full`, GenAI content. No body: everything is in catalog attributes, so the one sanitizer judges
 * every field by the same rules as span attributes. Event names come from src/privacy/events.ts.
 */
export interface LogRecordData {
  eventName: string;
  /** Unix time in nanoseconds as a decimal string. */
  timeUnixNano: string;
  severityNumber: number;
  severityText?: string;
  attributes: Attributes;
  /** The span the event happened in, when there is one. */
  traceId?: string;
  spanId?: string;
}

/**
 * One spool batch: everything one process recorded between two flushes (normally: one whole run).
 * Already sanitized when it is written; the shipper sanitizes again before sending (cheap, idempotent).
 */
export interface Batch {
  v: 1;
  /** Random id, used for exactly-once accounting of metrics in the shipper. */
  id: string;
  /** Unix ms when the batch was sealed. */
  createdAt: number;
  /** Telemetry level in force when recorded; the shipper never raises it. */
  level: Level;
  resource: Attributes;
  spans: SpanRecord[];
  metrics: MetricRecord[];
  /** Log-based events; optional (spool files of older versions have none). */
  logs?: LogRecordData[];
  /**
   * Catalog extensions the tool declared (feature properties, its own counters), so the shipper's
   * sanitizer judges the batch by the same catalog. Optional; validated again wherever it is read.
   */
  extensions?: { attributes: unknown[]; metrics: unknown[] };
  /** Who recorded it, for the shipper's consent re-check. Local only: never encoded or sent. */
  origin?: BatchOrigin;
}

/**
 * The identity consent was decided for when the batch was recorded: the tool (package name, never
 * the display name OTEL_SERVICE_NAME sets), the working directory whose project files applied, and
 * the tool's own consent options. The shipper re-resolves consent from exactly these.
 */
export interface BatchOrigin {
  tool?: string;
  cwd?: string;
  prompt?: boolean;
  defaultLevel?: string;
}
