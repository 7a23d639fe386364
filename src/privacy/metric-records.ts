/**
 * Metric records: only metrics of the catalog allowed at the level, of the catalog's instrument
 * type (a counter's points are sums, a histogram's histograms), with our name, unit and description (a
 * producer's are free text). A point must hold finite numbers, a histogram a well-formed set of
 * buckets (rising bounds, one count more than bounds); a metric left with no point is dropped.
 */
import type { HistogramPoint, Level, MetricRecord, SumPoint } from '../model/records';
import { levelAllows } from '../model/levels';
import { finite, isNanos } from '../model/validate';
import { sanitizeAttributes } from './attribute-table';
import { findMetric } from './catalog';
import { LIMITS, list, type SanitizerState } from './sanitizer-state';

function point(st: SanitizerState, level: Level, type: 'sum' | 'histogram', p: unknown): SumPoint | HistogramPoint | undefined {
  if (!p || typeof p !== 'object') return undefined;
  const x = p as Partial<HistogramPoint & SumPoint>;
  const attributes = sanitizeAttributes(st, level, 'metric', x.attributes);
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

export function sanitizeMetric(st: SanitizerState, level: Level, m: unknown): MetricRecord | undefined {
  if (!m || typeof m !== 'object') return undefined;
  const x = m as Partial<MetricRecord>;
  const spec = typeof x.name === 'string' ? findMetric(x.name) : undefined;
  if (!spec || !levelAllows(level, spec.level)) return undefined;
  const type = x.type === 'sum' || x.type === 'histogram' ? x.type : undefined;
  if (!type || (type === 'sum') !== (spec.instrument === 'counter')) return undefined;
  if (!isNanos(x.startTimeUnixNano)) return undefined;
  if (!isNanos(x.timeUnixNano)) return undefined;
  // The judge needs the metric's type: one closure per metric (a few per batch).
  const points = list(st, level, x.points, LIMITS.points, (_st, _level, p) => point(st, level, type, p));
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
