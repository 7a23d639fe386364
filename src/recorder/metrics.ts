/**
 * In-process delta aggregation: one point per (instrument, attribute set) since the last flush.
 * Bounded: past MAX_SERIES distinct attribute sets per instrument, new sets fold into an overflow
 * point (`otel.metric.overflow`, as the SDK's cardinality limit does) instead of growing.
 */
import type { Attributes, HistogramPoint, MetricRecord, SumPoint } from '../model/records';
import type { InstrumentSpec } from '../model/instruments';

const MAX_SERIES = 200;
const OVERFLOW: Attributes = { 'otel.metric.overflow': true };

interface Series {
  spec: InstrumentSpec;
  points: Map<string, SumPoint | HistogramPoint>;
}

function keyOf(attrs: Attributes): string {
  const keys = Object.keys(attrs).sort();
  let k = '';
  for (const key of keys) k += key + '\u0000' + String(attrs[key]) + '\u0001';
  return k;
}

export class MetricAggregator {
  private series = new Map<string, Series>();
  /** Bumped by drain(): a point from sumPoint() stays valid while this is unchanged. */
  generation = 0;

  private point(spec: InstrumentSpec, attrs: Attributes, knownKey?: string): SumPoint | HistogramPoint {
    let s = this.series.get(spec.name);
    if (!s) {
      s = { spec, points: new Map() };
      this.series.set(spec.name, s);
    }
    // A caller that records one instrument alone may pass its own canonical key (skips the sort).
    let key = knownKey ?? keyOf(attrs);
    let p = s.points.get(key);
    if (!p) {
      if (s.points.size >= MAX_SERIES) {
        attrs = OVERFLOW;
        key = keyOf(attrs);
        p = s.points.get(key);
      }
      if (!p) {
        p =
          spec.type === 'sum'
            ? { attributes: { ...attrs }, value: 0 }
            : {
                attributes: { ...attrs },
                count: 0,
                sum: 0,
                min: Infinity,
                max: -Infinity,
                bounds: spec.bounds ?? [],
                bucketCounts: new Array((spec.bounds ?? []).length + 1).fill(0),
              };
        s.points.set(key, p);
      }
    }
    return p;
  }

  /**
   * The live sum point for (spec, attrs), for hot paths (feature events) that cache it and add to
   * `value` directly until the next drain, skipping the per-call attribute key. Same bounds as add().
   */
  sumPoint(spec: InstrumentSpec, attrs: Attributes): SumPoint {
    return this.point(spec, attrs) as SumPoint;
  }

  add(spec: InstrumentSpec, value: number, attrs: Attributes): void {
    if (!Number.isFinite(value)) return;
    const p = this.point(spec, attrs) as SumPoint;
    p.value += value;
  }

  /** `key`: optional canonical key of `attrs`, for an instrument only one caller records. */
  record(spec: InstrumentSpec, value: number, attrs: Attributes, key?: string): void {
    if (!Number.isFinite(value)) return;
    const p = this.point(spec, attrs, key) as HistogramPoint;
    p.count += 1;
    p.sum += value;
    if (value < p.min) p.min = value;
    if (value > p.max) p.max = value;
    let i = 0;
    while (i < p.bounds.length && value > p.bounds[i]!) i++;
    p.bucketCounts[i]! += 1;
  }

  get empty(): boolean {
    return this.series.size === 0;
  }

  /** Move everything recorded so far into delta records covering [startNs, endNs]; reset. */
  drain(startNs: string, endNs: string): MetricRecord[] {
    const out: MetricRecord[] = [];
    for (const { spec, points } of this.series.values()) {
      out.push({
        name: spec.name,
        unit: spec.unit,
        description: spec.description,
        type: spec.type,
        startTimeUnixNano: startNs,
        timeUnixNano: endNs,
        points: [...points.values()],
      });
    }
    this.series.clear();
    this.generation++;
    return out;
  }
}
