/**
 * Span-shaped records: spans with their names, status, events and links, and log-based events
 * (a name, a time, event attributes and trace context, like a span event). Ids and times must be
 * well formed or the record is dropped; names are free text, scrubbed; a status message keeps only
 * the error class at its start; attributes go through the attribute table.
 */
import type { LogRecordData, Level, SpanEventRecord, SpanLinkRecord, SpanRecord } from '../model/records';
import { levelAllows } from '../model/levels';
import { isHex, isNanos } from '../model/validate';
import { sanitizeAttributes } from './attribute-table';
import { findEvent } from './events';
import { judgeSegment, scrubText } from './patterns';
import { LIMITS, list, MEMO_MAX, MEMO_VALUE_MAX, type SanitizerState } from './sanitizer-state';
import { normalizeUrlPath } from './url';

const SEVERITY_TEXTS = new Set(['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL']);
const HTTP_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH', 'QUERY']);
/** `TypeError: x` -> `TypeError`; errno and Node codes. Anything else in a status message is dropped. */
const ERROR_CLASS_PREFIX = /^([A-Za-z_$][A-Za-z0-9_$]{0,63}(?:Error|Exception|Failure|Fault)|E[A-Z0-9]{2,31}|ERR_[A-Z0-9_]{1,60})(?![A-Za-z0-9_$])/;

/** A span, event or scope name, scrubbed and capped; `unknown` when nothing is left. Memoized. */
export function spanName(st: SanitizerState, s: unknown): string {
  if (typeof s !== 'string') return 'unknown';
  const hit = st.spanNames.get(s);
  if (hit !== undefined) return hit;
  let out = s.length > LIMITS.spanName * 4 ? s.slice(0, LIMITS.spanName * 4) : s;
  // `GET /users/123` -> `GET /users/{id}`: the target of an HTTP method is a URL path; it keeps its
  // shape and its ids become placeholders. Any other path is a file path, replaced whole by scrubText.
  if (out.indexOf('/') >= 0) {
    const words = out.split(' ');
    for (let i = 1; i < words.length; i++) {
      if (words[i]!.startsWith('/') && HTTP_METHODS.has(words[i - 1]!)) words[i] = normalizeUrlPath(words[i]!, (seg) => judgeSegment(seg, st.scrub));
    }
    out = words.join(' ');
  }
  out = scrubText(out, st.scrub, LIMITS.spanName).trim();
  if (out.length === 0) out = 'unknown';
  if (s.length <= MEMO_VALUE_MAX) {
    if (st.spanNames.size >= MEMO_MAX) st.spanNames.clear();
    st.spanNames.set(s, out);
  }
  return out;
}

function statusOf(st: SanitizerState, status: unknown): SpanRecord['status'] {
  if (!status || typeof status !== 'object') return { code: 0 };
  const { code, message } = status as { code?: unknown; message?: unknown };
  const c = code === 0 || code === 1 || code === 2 ? code : 0;
  if (typeof message !== 'string' || message.length === 0) return { code: c };
  // Messages are free text written by anyone: keep only an error class at their start.
  const m = ERROR_CLASS_PREFIX.exec(message.slice(0, 128));
  if (m && scrubText(m[1]!, st.scrub, 128) === m[1]) return { code: c, message: m[1]! };
  return { code: c };
}

function event(st: SanitizerState, level: Level, e: unknown): SpanEventRecord | undefined {
  if (!e || typeof e !== 'object') return undefined;
  const x = e as Partial<SpanEventRecord>;
  if (!isNanos(x.timeUnixNano)) return undefined;
  return { name: spanName(st, x.name), timeUnixNano: x.timeUnixNano, attributes: sanitizeAttributes(st, level, 'event', x.attributes) };
}

function link(st: SanitizerState, level: Level, l: unknown): SpanLinkRecord | undefined {
  if (!l || typeof l !== 'object') return undefined;
  const x = l as Partial<SpanLinkRecord>;
  if (!isHex(x.traceId, 32) || !isHex(x.spanId, 16)) {
    return undefined;
  }
  return { traceId: x.traceId, spanId: x.spanId, attributes: sanitizeAttributes(st, level, 'span', x.attributes) };
}

export function sanitizeSpan(st: SanitizerState, level: Level, sp: unknown): SpanRecord | undefined {
  if (!sp || typeof sp !== 'object') return undefined;
  const x = sp as Partial<SpanRecord>;
  if (!isHex(x.traceId, 32)) return undefined;
  if (!isHex(x.spanId, 16)) return undefined;
  if (!isNanos(x.startTimeUnixNano)) return undefined;
  if (!isNanos(x.endTimeUnixNano)) return undefined;
  const out: SpanRecord = {
    traceId: x.traceId,
    spanId: x.spanId,
    name: spanName(st, x.name),
    kind: typeof x.kind === 'number' && Number.isInteger(x.kind) && x.kind >= 0 && x.kind <= 5 ? x.kind : 1,
    startTimeUnixNano: x.startTimeUnixNano,
    endTimeUnixNano: x.endTimeUnixNano,
    attributes: sanitizeAttributes(st, level, 'span', x.attributes),
    events: list(st, level, x.events, LIMITS.events, event),
    links: list(st, level, x.links, LIMITS.links, link),
    status: statusOf(st, x.status),
  };
  if (isHex(x.parentSpanId, 16)) out.parentSpanId = x.parentSpanId;
  if (typeof x.scope === 'string') {
    const sc = spanName(st, x.scope);
    if (sc !== 'unknown') out.scope = sc;
  }
  return out;
}

/**
 * A log-based event: only events of src/privacy/events.ts allowed at the level; attributes judged
 * as span-event attributes; no body (we never set one, and a body is free text nobody judged).
 */
export function sanitizeLogRecord(st: SanitizerState, level: Level, r: unknown): LogRecordData | undefined {
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
    attributes: sanitizeAttributes(st, level, 'event', x.attributes),
  };
  if (typeof x.severityText === 'string' && SEVERITY_TEXTS.has(x.severityText)) out.severityText = x.severityText;
  if (isHex(x.traceId, 32) && isHex(x.spanId, 16)) {
    out.traceId = x.traceId;
    out.spanId = x.spanId;
  }
  return out;
}
