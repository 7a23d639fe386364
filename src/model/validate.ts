/**
 * What a valid batch is: the shape checks every reader of a batch file applies (the shipper, `status`,
 * `preview`), before the sanitizer judges the content. A batch file is whatever is on disk, possibly
 * truncated, planted or written by a future version: the envelope is all or nothing (else quarantine);
 * inside it, a bad record is dropped and counted, a bad attribute loses its key, not the record.
 * Pure; imports only the model.
 */
import type { AttrValue, Attributes, Batch, BatchOrigin, HistogramPoint, LogRecordData, MetricRecord, SpanRecord, SumPoint } from './records';
import { isLevel } from './levels';

/** Lower-case hex of exactly `len` characters (trace and span ids); a loop beats a regex here. */
export function isHex(v: unknown, len: number): v is string {
  if (typeof v !== 'string' || v.length !== len) return false;
  for (let i = 0; i < len; i++) {
    const c = v.charCodeAt(i);
    if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102))) return false;
  }
  return true;
}

/** Unix nanoseconds as a decimal string (OTLP's fixed64 exceeds 2^53). */
export function isNanos(v: unknown): v is string {
  if (typeof v !== 'string' || v.length === 0 || v.length > 20) return false;
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

export function isAttrValue(v: unknown): v is AttrValue {
  const t = typeof v;
  if (t === 'string' || t === 'boolean') return true;
  if (t === 'number') return Number.isFinite(v as number);
  if (!Array.isArray(v) || v.length === 0) return Array.isArray(v);
  const t0 = typeof v[0];
  if (t0 !== 'string' && t0 !== 'number' && t0 !== 'boolean') return false;
  return v.every((x) => typeof x === t0 && (t0 !== 'number' || Number.isFinite(x)));
}

/** Keep only well-typed attributes (a bad value loses its key, not the record). */
export function cleanAttributes(a: unknown): Attributes {
  const out: Attributes = {};
  if (!a || typeof a !== 'object' || Array.isArray(a)) return out;
  for (const [k, v] of Object.entries(a as Record<string, unknown>)) {
    if (k && isAttrValue(v)) out[k] = v;
  }
  return out;
}

function cleanAttrs(a: unknown): boolean {
  if (!a || typeof a !== 'object' || Array.isArray(a)) return false;
  for (const k in a as Record<string, unknown>) {
    if (!k || !isAttrValue((a as Record<string, unknown>)[k])) return false;
  }
  return true;
}

/**
 * The common case, without copying: a span exactly as our recorder writes it. Anything unusual
 * (a missing array, a bad attribute, an unknown kind) goes through validSpan, which repairs or rejects.
 */
function spanAsIs(s: unknown): SpanRecord | undefined {
  if (!s || typeof s !== 'object') return undefined;
  const r = s as Record<string, unknown>;
  if (!isHex(r.traceId, 32) || /^0+$/.test(r.traceId)) return undefined;
  if (!isHex(r.spanId, 16) || /^0+$/.test(r.spanId)) return undefined;
  if (r.parentSpanId !== undefined && (!isHex(r.parentSpanId, 16))) return undefined;
  if (typeof r.name !== 'string' || typeof r.kind !== 'number' || !Number.isInteger(r.kind) || r.kind < 1 || r.kind > 5) return undefined;
  if (!isNanos(r.startTimeUnixNano)) return undefined;
  if (!isNanos(r.endTimeUnixNano)) return undefined;
  if (r.scope !== undefined && typeof r.scope !== 'string') return undefined;
  const st = r.status as Record<string, unknown> | undefined;
  if (!st || typeof st !== 'object' || (st.code !== 0 && st.code !== 1 && st.code !== 2)) return undefined;
  if (st.message !== undefined && typeof st.message !== 'string') return undefined;
  if (!cleanAttrs(r.attributes) || !Array.isArray(r.events) || !Array.isArray(r.links)) return undefined;
  for (const e of r.events as Array<Record<string, unknown>>) {
    if (!e || typeof e !== 'object' || typeof e.name !== 'string' || !isNanos(e.timeUnixNano) || !cleanAttrs(e.attributes)) return undefined;
  }
  for (const l of r.links as Array<Record<string, unknown>>) {
    if (!l || typeof l !== 'object' || !isHex(l.traceId, 32) || !isHex(l.spanId, 16) || !cleanAttrs(l.attributes)) {
      return undefined;
    }
  }
  return r as unknown as SpanRecord;
}

function validSpan(s: unknown): SpanRecord | undefined {
  if (!s || typeof s !== 'object') return undefined;
  const r = s as Record<string, unknown>;
  if (!isHex(r.traceId, 32) || /^0+$/.test(r.traceId)) return undefined;
  if (!isHex(r.spanId, 16) || /^0+$/.test(r.spanId)) return undefined;
  if (r.parentSpanId !== undefined && (!isHex(r.parentSpanId, 16))) return undefined;
  if (typeof r.name !== 'string') return undefined;
  if (!isNanos(r.startTimeUnixNano)) return undefined;
  if (!isNanos(r.endTimeUnixNano)) return undefined;
  const kind = typeof r.kind === 'number' && Number.isInteger(r.kind) && r.kind >= 1 && r.kind <= 5 ? r.kind : 1;
  const st = (r.status && typeof r.status === 'object' ? r.status : {}) as Record<string, unknown>;
  const code = st.code === 1 || st.code === 2 ? st.code : 0;
  const events = Array.isArray(r.events)
    ? r.events
        .filter((e): e is Record<string, unknown> => !!e && typeof e === 'object')
        .filter((e) => typeof e.name === 'string' && isNanos(e.timeUnixNano))
        .map((e) => ({ name: e.name as string, timeUnixNano: e.timeUnixNano as string, attributes: cleanAttributes(e.attributes) }))
    : [];
  const links = Array.isArray(r.links)
    ? r.links
        .filter((l): l is Record<string, unknown> => !!l && typeof l === 'object')
        .filter((l) => isHex(l.traceId, 32) && isHex(l.spanId, 16))
        .map((l) => ({ traceId: l.traceId as string, spanId: l.spanId as string, attributes: cleanAttributes(l.attributes) }))
    : [];
  return {
    traceId: r.traceId,
    spanId: r.spanId,
    ...(r.parentSpanId ? { parentSpanId: r.parentSpanId as string } : {}),
    name: r.name,
    kind,
    startTimeUnixNano: r.startTimeUnixNano,
    endTimeUnixNano: r.endTimeUnixNano,
    attributes: cleanAttributes(r.attributes),
    events,
    links,
    status: typeof st.message === 'string' ? { code, message: st.message } : { code },
    ...(typeof r.scope === 'string' ? { scope: r.scope } : {}),
  };
}

export function finite(n: unknown): n is number {
  return typeof n === 'number' && Number.isFinite(n);
}

function validPoint(type: 'sum' | 'histogram', p: unknown): SumPoint | HistogramPoint | undefined {
  if (!p || typeof p !== 'object') return undefined;
  const r = p as Record<string, unknown>;
  const attributes = cleanAttributes(r.attributes);
  if (type === 'sum') return finite(r.value) ? { attributes, value: r.value } : undefined;
  const bounds = r.bounds;
  const counts = r.bucketCounts;
  if (!Array.isArray(bounds) || !Array.isArray(counts) || counts.length !== bounds.length + 1) return undefined;
  if (!bounds.every(finite) || !counts.every((c) => Number.isInteger(c) && c >= 0)) return undefined;
  for (let i = 1; i < bounds.length; i++) if (!(bounds[i] > bounds[i - 1])) return undefined;
  if (!Number.isInteger(r.count) || !finite(r.sum) || !finite(r.min) || !finite(r.max)) return undefined;
  return {
    attributes,
    count: r.count as number,
    sum: r.sum,
    min: r.min,
    max: r.max,
    bounds: bounds as number[],
    bucketCounts: counts as number[],
  };
}

function validMetric(m: unknown): { metric?: MetricRecord; invalid: number } {
  if (!m || typeof m !== 'object') return { invalid: 1 };
  const r = m as Record<string, unknown>;
  if (typeof r.name !== 'string' || !r.name || (r.type !== 'sum' && r.type !== 'histogram') || !Array.isArray(r.points)) {
    return { invalid: Array.isArray(r.points) ? r.points.length : 1 };
  }
  const type = r.type;
  const points = [];
  let invalid = 0;
  for (const p of r.points) {
    const v = validPoint(type, p);
    if (v) points.push(v);
    else invalid++;
  }
  const metric: MetricRecord = {
    name: r.name,
    unit: typeof r.unit === 'string' ? r.unit : '',
    description: typeof r.description === 'string' ? r.description : '',
    type,
    startTimeUnixNano: isNanos(r.startTimeUnixNano) ? r.startTimeUnixNano : '0',
    timeUnixNano: isNanos(r.timeUnixNano) ? r.timeUnixNano : '0',
    points,
  };
  return { metric, invalid };
}

/**
 * Validate parsed JSON as a Batch. Returns undefined when the envelope itself is wrong (quarantine);
 * otherwise a clean copy plus how many records inside had to be dropped.
 */
export function validateBatch(x: unknown): { batch: Batch; invalidRecords: number } | undefined {
  if (!x || typeof x !== 'object' || Array.isArray(x)) return undefined;
  const r = x as Record<string, unknown>;
  if (r.v !== 1 || typeof r.id !== 'string' || !r.id) return undefined;
  if (!Array.isArray(r.spans) || !Array.isArray(r.metrics)) return undefined;
  const level = isLevel(r.level) ? r.level : 'minimal';
  let invalidRecords = 0;
  const spans: SpanRecord[] = [];
  for (const s of r.spans) {
    const v = spanAsIs(s) ?? validSpan(s);
    if (v) spans.push(v);
    else invalidRecords++;
  }
  const metrics: MetricRecord[] = [];
  for (const m of r.metrics) {
    const v = validMetric(m);
    invalidRecords += v.invalid;
    if (v.metric && v.metric.points.length) metrics.push(v.metric);
  }
  // Log-based events: the envelope only (plain objects with an event name); the sanitizer that every
  // batch passes next judges every field.
  const logs: LogRecordData[] = [];
  if (Array.isArray(r.logs)) {
    for (const l of r.logs) {
      if (l && typeof l === 'object' && !Array.isArray(l) && typeof (l as LogRecordData).eventName === 'string') logs.push({ ...(l as LogRecordData), attributes: cleanAttributes((l as LogRecordData).attributes) });
      else invalidRecords++;
    }
  } else if (r.logs !== undefined) invalidRecords++;
  return {
    batch: {
      v: 1,
      id: r.id,
      createdAt: finite(r.createdAt) ? r.createdAt : 0,
      level,
      resource: cleanAttributes(r.resource),
      spans,
      metrics,
      ...(logs.length ? { logs } : {}),
      // Tool-declared catalog extensions: passed on as data, re-validated by the sanitizer.
      ...(r.extensions && typeof r.extensions === 'object' && !Array.isArray(r.extensions) ? { extensions: r.extensions as Batch['extensions'] } : {}),
      ...validOrigin(r.origin),
    },
    invalidRecords,
  };
}

/** The recorder's identity for consent re-checks: short strings only, anything else ignored. */
function validOrigin(x: unknown): { origin?: BatchOrigin } {
  if (!x || typeof x !== 'object' || Array.isArray(x)) return {};
  const o = x as Record<string, unknown>;
  const str = (v: unknown, max: number) => (typeof v === 'string' && v.length > 0 && v.length <= max && !v.includes('\0') ? v : undefined);
  const origin: BatchOrigin = {};
  const tool = str(o.tool, 214);
  const cwd = str(o.cwd, 4096);
  const def = str(o.defaultLevel, 16);
  if (tool) origin.tool = tool;
  if (cwd) origin.cwd = cwd;
  if (o.prompt === true) origin.prompt = true;
  if (def) origin.defaultLevel = def;
  return { origin };
}
