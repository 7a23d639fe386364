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
 *
 * This file is the entry and the batch assembly; the judges live beside it, by concern:
 * sanitizer-state.ts (what one sanitizer keeps, the caps), attribute-table.ts (attributes),
 * span-records.ts (spans, log-based events), metric-records.ts (metrics and their points).
 */
import type { Attributes, Batch, Level } from '../model/records';
import { type AttributeTarget, exportExtensions, importExtensions } from './catalog';
import { isLevel, minLevel } from '../model/levels';
import { sanitizeAttributes, TARGETS } from './attribute-table';
import { sanitizeMetric } from './metric-records';
import { scrubText } from './patterns';
import { createSanitizerState, LIMITS, list, type SanitizeContext, type SanitizerState } from './sanitizer-state';
import { sanitizeLogRecord, sanitizeSpan, spanName } from './span-records';

export { LIMITS, type SanitizeContext };

export interface Sanitizer {
  batch(b: Batch): Batch;
  attributes(target: AttributeTarget, a: Attributes): Attributes;
  spanName(s: string): string;
  text(s: string): string;
}

const BATCH_ID = /^[A-Za-z0-9_-]{1,64}$/;

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

function sanitizeBatchWith(st: SanitizerState, b: Batch): Batch {
  const raw = (b && typeof b === 'object' ? b : {}) as Partial<Batch>;
  let level: Level;
  try {
    const declared: Level = isLevel(raw.level) ? raw.level : 'minimal';
    level = minLevel(st.level, declared); // never raise a batch's level
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
    out.resource = sanitizeAttributes(st, level, 'resource', raw.resource);
    out.spans = list(st, level, raw.spans, LIMITS.spans, sanitizeSpan);
    out.metrics = list(st, level, raw.metrics, LIMITS.metrics, sanitizeMetric);
    const logs = list(st, level, raw.logs, LIMITS.logs, sanitizeLogRecord);
    if (logs.length) out.logs = logs;
  } catch {
    return emptyBatch(raw, level);
  }
  return out;
}

export function createSanitizer(ctx: SanitizeContext): Sanitizer {
  const st = createSanitizerState(ctx);
  return {
    batch: (b) => {
      try {
        return sanitizeBatchWith(st, b);
      } catch {
        return emptyBatch({}, 'off');
      }
    },
    attributes: (target, a) => {
      try {
        return TARGETS.includes(target) ? sanitizeAttributes(st, st.level, target, a) : {};
      } catch {
        return {};
      }
    },
    spanName: (s) => {
      try {
        return spanName(st, s);
      } catch {
        return 'unknown';
      }
    },
    text: (s) => {
      try {
        return typeof s === 'string' ? scrubText(s, st.scrub, LIMITS.text) : '';
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
