/**
 * The one sanitizer every record passes before it is printed, spooled or sent, whatever produced
 * it: our recorder, third-party OpenTelemetry instrumentations, OTEL_RESOURCE_ATTRIBUTES. Driven by
 * the catalog: keys it does not list (at the batch's level) are dropped; values must pass their
 * rule; free text is scrubbed; every value, array and record is capped.
 *
 * Contract: pure (no I/O), never throws (a value it cannot judge is dropped), idempotent (the
 * shipper sanitizes again what the recorder already sanitized), never raises a batch's level.
 * Fast: tables are precompiled per context and level, and string verdicts are memoized per key,
 * because the same values (`os.version`, the command name) come back on every record.
 */
import type {
  Attributes, AttrValue, Batch, HistogramPoint, Level, LocalIdentity, LogRecordData, MetricRecord, SpanEventRecord, SpanLinkRecord, SpanRecord, SumPoint,
} from '../model/records';
import {
  type AttributeSpec, type AttributeTarget, type CatalogLevel, allAttributes, catalogVersion, exportExtensions, findMetric,
  importExtensions,
} from './catalog';
import { isLevel, levelAllows, minLevel } from '../model/levels';
import { finite, isHex, isNanos } from '../model/validate';
import { findEvent } from './events';
import { type CompiledScrub, compileScrub, judgeSegment, scrubText } from './patterns';
import { checkScalar, checkValue } from './rules';
import { normalizeUrlPath } from './url';

export interface SanitizeContext extends LocalIdentity {
  level: Level;
}

export interface Sanitizer {
  batch(b: Batch): Batch;
  attributes(target: AttributeTarget, a: Attributes): Attributes;
  spanName(s: string): string;
  text(s: string): string;
}

/** Caps on records (values are capped by their rules). */
export const LIMITS = Object.freeze({
  resourceAttributes: 128,
  attributes: 64,
  events: 32,
  links: 16,
  spans: 1024,
  metrics: 256,
  logs: 512,
  points: 512,
  histogramBuckets: 64,
  spanName: 128,
  text: 4096,
});

const TARGETS: readonly AttributeTarget[] = ['resource', 'span', 'event', 'metric'];
const MEMO_MAX = 256;
const MEMO_VALUE_MAX = 256;

type Scalar = string | number | boolean;
interface Compiled {
  spec: AttributeSpec;
  /** The rule's scalar check, memoized for strings. */
  scalar: (v: unknown) => Scalar | undefined;
}
type Table = Map<string, Compiled>;

const SEVERITY_TEXTS = new Set(['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL']);
const HTTP_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH', 'QUERY']);
const BATCH_ID = /^[A-Za-z0-9_-]{1,64}$/;
/** `TypeError: x` -> `TypeError`; errno and Node codes. Anything else in a status message is dropped. */
const ERROR_CLASS_PREFIX = /^([A-Za-z_$][A-Za-z0-9_$]{0,63}(?:Error|Exception|Failure|Fault)|E[A-Z0-9]{2,31}|ERR_[A-Z0-9_]{1,60})(?![A-Za-z0-9_$])/;

function emptyBatch(b: { id?: unknown; createdAt?: unknown }, level: Level): Batch {
  return {
    v: 1,
    id: typeof b.id === 'string' && BATCH_ID.test(b.id) ? b.id : 'invalid',
    createdAt: typeof b.createdAt === 'number' && Number.isFinite(b.createdAt) ? b.createdAt : 0,
    level,
    resource: {},
    spans: [],
    metrics: [],
  };
}

export function createSanitizer(ctx: SanitizeContext): Sanitizer {
  const scrub: CompiledScrub = compileScrub(ctx ?? { level: 'off' });
  const ctxLevel: Level = ctx && isLevel(ctx.level) ? ctx.level : 'off';
  const memos = new Map<string, Map<string, Scalar | null>>();
  let builtFor = -1;

  function memoized(spec: AttributeSpec, memo: Map<string, Scalar | null>): (v: unknown) => Scalar | undefined {
    const rule = spec.rule;
    return (v) => {
      if (typeof v !== 'string' || v.length > MEMO_VALUE_MAX) return checkScalar(rule, v, scrub);
      const hit = memo.get(v);
      if (hit !== undefined) return hit === null ? undefined : hit;
      const r = checkScalar(rule, v, scrub);
      if (memo.size >= MEMO_MAX) memo.clear();
      memo.set(v, r === undefined ? null : r);
      return r;
    };
  }

  const TARGET_INDEX: Record<AttributeTarget, number> = { resource: 0, span: 1, event: 2, metric: 3 };
  const LEVEL_INDEX: Record<Level, number> = { off: 0, minimal: 1, usage: 2, full: 3 };
  /** tables[level * 4 + target]; rebuilt when the catalog gains extensions. */
  let tableSlots: Array<Table | undefined> = [];

  function table(level: Level, target: AttributeTarget): Table {
    if (builtFor !== catalogVersion()) {
      tableSlots = [];
      builtFor = catalogVersion();
    }
    const slot = (LEVEL_INDEX[level] ?? 0) * 4 + TARGET_INDEX[target];
    let t = tableSlots[slot];
    if (t) return t;
    t = new Map();
    if (level !== 'off') {
      for (const spec of allAttributes()) {
        if (!spec.on.includes(target) || !levelAllows(level, spec.level as CatalogLevel)) continue;
        let memo = memos.get(spec.key);
        if (!memo) memos.set(spec.key, (memo = new Map()));
        t.set(spec.key, { spec, scalar: memoized(spec, memo) });
      }
    }
    tableSlots[slot] = t;
    return t;
  }

  function judge(c: Compiled, v: unknown): AttrValue | undefined {
    // Numbers and booleans are cheap to check; strings (alone or in arrays) go through the memo.
    return checkValue(c.spec.type, c.spec.rule, v, scrub, c.scalar);
  }

  function attrs(level: Level, target: AttributeTarget, a: unknown): Attributes {
    const out: Attributes = {};
    if (!a || typeof a !== 'object' || Array.isArray(a)) return out;
    const t = table(level, target);
    if (t.size === 0) return out;
    const max = target === 'resource' ? LIMITS.resourceAttributes : LIMITS.attributes;
    let n = 0;
    let keys: string[];
    try {
      keys = Object.keys(a);
    } catch {
      return out;
    }
    for (const key of keys) {
      const c = t.get(key);
      if (!c) continue;
      try {
        const v = judge(c, (a as Record<string, unknown>)[key]);
        if (v === undefined) continue;
        out[c.spec.key] = v;
      } catch {
        continue; // a throwing getter, a proxy: cannot judge, drop
      }
      if (++n >= max) break;
    }
    return out;
  }

  const nameMemo = new Map<string, string>();
  function spanName(s: unknown): string {
    if (typeof s !== 'string') return 'unknown';
    const hit = nameMemo.get(s);
    if (hit !== undefined) return hit;
    let out = s.length > LIMITS.spanName * 4 ? s.slice(0, LIMITS.spanName * 4) : s;
    // `GET /users/123` -> `GET /users/{id}`: the target of an HTTP method is a URL path; it keeps its
    // shape and its ids become placeholders. Any other path is a file path, replaced whole by scrubText.
    if (out.indexOf('/') >= 0) {
      const words = out.split(' ');
      for (let i = 1; i < words.length; i++) {
        if (words[i]!.startsWith('/') && HTTP_METHODS.has(words[i - 1]!)) words[i] = normalizeUrlPath(words[i]!, (seg) => judgeSegment(seg, scrub));
      }
      out = words.join(' ');
    }
    out = scrubText(out, scrub, LIMITS.spanName).trim();
    if (out.length === 0) out = 'unknown';
    if (s.length <= MEMO_VALUE_MAX) {
      if (nameMemo.size >= MEMO_MAX) nameMemo.clear();
      nameMemo.set(s, out);
    }
    return out;
  }

  function statusOf(st: unknown): SpanRecord['status'] {
    if (!st || typeof st !== 'object') return { code: 0 };
    const { code, message } = st as { code?: unknown; message?: unknown };
    const c = code === 0 || code === 1 || code === 2 ? code : 0;
    if (typeof message !== 'string' || message.length === 0) return { code: c };
    // Messages are free text written by anyone: keep only an error class at their start.
    const m = ERROR_CLASS_PREFIX.exec(message.slice(0, 128));
    if (m && scrubText(m[1]!, scrub, 128) === m[1]) return { code: c, message: m[1]! };
    return { code: c };
  }

  function event(level: Level, e: unknown): SpanEventRecord | undefined {
    if (!e || typeof e !== 'object') return undefined;
    const x = e as Partial<SpanEventRecord>;
    if (!isNanos(x.timeUnixNano)) return undefined;
    return { name: spanName(x.name), timeUnixNano: x.timeUnixNano, attributes: attrs(level, 'event', x.attributes) };
  }

  function link(level: Level, l: unknown): SpanLinkRecord | undefined {
    if (!l || typeof l !== 'object') return undefined;
    const x = l as Partial<SpanLinkRecord>;
    if (!isHex(x.traceId, 32) || !isHex(x.spanId, 16)) {
      return undefined;
    }
    return { traceId: x.traceId, spanId: x.spanId, attributes: attrs(level, 'span', x.attributes) };
  }

  function list<T>(v: unknown, max: number, f: (x: unknown) => T | undefined): T[] {
    const out: T[] = [];
    if (!Array.isArray(v)) return out;
    for (let i = 0; i < v.length && out.length < max; i++) {
      try {
        const r = f(v[i]);
        if (r !== undefined) out.push(r);
      } catch {
        /* cannot judge: drop this record only */
      }
    }
    return out;
  }

  function span(level: Level, sp: unknown): SpanRecord | undefined {
    if (!sp || typeof sp !== 'object') return undefined;
    const x = sp as Partial<SpanRecord>;
    if (!isHex(x.traceId, 32)) return undefined;
    if (!isHex(x.spanId, 16)) return undefined;
    if (!isNanos(x.startTimeUnixNano)) return undefined;
    if (!isNanos(x.endTimeUnixNano)) return undefined;
    const out: SpanRecord = {
      traceId: x.traceId,
      spanId: x.spanId,
      name: spanName(x.name),
      kind: typeof x.kind === 'number' && Number.isInteger(x.kind) && x.kind >= 0 && x.kind <= 5 ? x.kind : 1,
      startTimeUnixNano: x.startTimeUnixNano,
      endTimeUnixNano: x.endTimeUnixNano,
      attributes: attrs(level, 'span', x.attributes),
      events: list(x.events, LIMITS.events, (e) => event(level, e)),
      links: list(x.links, LIMITS.links, (l) => link(level, l)),
      status: statusOf(x.status),
    };
    if (isHex(x.parentSpanId, 16)) out.parentSpanId = x.parentSpanId;
    if (typeof x.scope === 'string') {
      const sc = spanName(x.scope);
      if (sc !== 'unknown') out.scope = sc;
    }
    return out;
  }

  /**
   * A log-based event: only events of src/privacy/events.ts allowed at the level; attributes judged
   * as span-event attributes; no body (we never set one, and a body is free text nobody judged).
   */
  function logRecord(level: Level, r: unknown): LogRecordData | undefined {
    if (!r || typeof r !== 'object') return undefined;
    const x = r as Partial<LogRecordData>;
    const spec = findEvent(x.eventName);
    if (!spec || !levelAllows(level, spec.level)) return undefined;
    if (!isNanos(x.timeUnixNano)) return undefined;
    const sev = x.severityNumber;
    const out: LogRecordData = {
      eventName: spec.name,
      timeUnixNano: x.timeUnixNano,
      severityNumber: typeof sev === 'number' && Number.isInteger(sev) && sev >= 1 && sev <= 24 ? sev : 0,
      attributes: attrs(level, 'event', x.attributes),
    };
    if (typeof x.severityText === 'string' && SEVERITY_TEXTS.has(x.severityText)) out.severityText = x.severityText;
    if (isHex(x.traceId, 32) && isHex(x.spanId, 16)) {
      out.traceId = x.traceId;
      out.spanId = x.spanId;
    }
    return out;
  }

  function point(level: Level, type: 'sum' | 'histogram', p: unknown): SumPoint | HistogramPoint | undefined {
    if (!p || typeof p !== 'object') return undefined;
    const x = p as Partial<HistogramPoint & SumPoint>;
    const attributes = attrs(level, 'metric', x.attributes);
    if (type === 'sum') return finite(x.value) ? { attributes, value: x.value } : undefined;
    const { count, sum, min, max, bounds, bucketCounts } = x;
    if (!finite(count) || !Number.isInteger(count) || count < 0 || !finite(sum) || !finite(min) || !finite(max)) return undefined;
    if (!Array.isArray(bounds) || !Array.isArray(bucketCounts) || bounds.length > LIMITS.histogramBuckets) return undefined;
    if (bucketCounts.length !== bounds.length + 1) return undefined;
    for (let i = 0; i < bounds.length; i++) {
      if (!finite(bounds[i]) || (i > 0 && (bounds[i] as number) <= (bounds[i - 1] as number))) return undefined;
    }
    if (!bucketCounts.every((c) => finite(c) && Number.isInteger(c) && c >= 0)) return undefined;
    return { attributes, count, sum, min, max, bounds: [...bounds], bucketCounts: [...bucketCounts] };
  }

  function metric(level: Level, m: unknown): MetricRecord | undefined {
    if (!m || typeof m !== 'object') return undefined;
    const x = m as Partial<MetricRecord>;
    const spec = typeof x.name === 'string' ? findMetric(x.name) : undefined;
    if (!spec || !levelAllows(level, spec.level)) return undefined;
    const type = x.type === 'sum' || x.type === 'histogram' ? x.type : undefined;
    if (!type || (type === 'sum') !== (spec.instrument === 'counter')) return undefined;
    if (!isNanos(x.startTimeUnixNano)) return undefined;
    if (!isNanos(x.timeUnixNano)) return undefined;
    const points = list(x.points, LIMITS.points, (p) => point(level, type, p));
    if (points.length === 0) return undefined;
    return {
      name: spec.name,
      unit: spec.unit, // ours: a producer's unit string is free text too
      description: spec.description, // ours, never the producer's free text
      type,
      startTimeUnixNano: x.startTimeUnixNano,
      timeUnixNano: x.timeUnixNano,
      points,
    };
  }

  function batch(b: Batch): Batch {
    const raw = (b && typeof b === 'object' ? b : {}) as Partial<Batch>;
    let level: Level;
    try {
      const declared: Level = isLevel(raw.level) ? raw.level : 'minimal';
      level = minLevel(ctxLevel, declared); // never raise a batch's level
    } catch {
      level = 'off';
    }
    const out = emptyBatch(raw, level);
    if (level === 'off') return out;
    try {
      // Tool-declared keys and counters travel with the batch (validated again here), so the
      // shipper's sanitizer knows them too.
      if (raw.extensions) importExtensions(raw.extensions);
      const ext = exportExtensions();
      if (ext.attributes.length || ext.metrics.length) out.extensions = ext;
      out.resource = attrs(level, 'resource', raw.resource);
      out.spans = list(raw.spans, LIMITS.spans, (s) => span(level, s));
      out.metrics = list(raw.metrics, LIMITS.metrics, (m) => metric(level, m));
      const logs = list(raw.logs, LIMITS.logs, (r) => logRecord(level, r));
      if (logs.length) out.logs = logs;
    } catch {
      return emptyBatch(raw, level);
    }
    return out;
  }

  return {
    batch: (b) => {
      try {
        return batch(b);
      } catch {
        return emptyBatch({}, 'off');
      }
    },
    attributes: (target, a) => {
      try {
        return TARGETS.includes(target) ? attrs(ctxLevel, target, a) : {};
      } catch {
        return {};
      }
    },
    spanName: (s) => {
      try {
        return spanName(s);
      } catch {
        return 'unknown';
      }
    },
    text: (s) => {
      try {
        return typeof s === 'string' ? scrubText(s, scrub, LIMITS.text) : '';
      } catch {
        return '';
      }
    },
  };
}

/** One-shot convenience (compiles a sanitizer per call: prefer createSanitizer for many batches). */
export function sanitizeBatch(batch: Batch, ctx: SanitizeContext): Batch {
  return createSanitizer(ctx).batch(batch);
}
