/**
 * A TracerProvider for the OpenTelemetry API, so third-party instrumentations (and a tool's own
 * OTel-API code) record into this run and through the one sanitizer:
 *
 *   registerInstrumentations({ tracerProvider: tracerProvider(), instrumentations: [...] });
 *
 * We do not register it globally: an app that later starts its own SDK must still succeed with
 * `trace.setGlobalTracerProvider`, so opting in is explicit. No runtime import of
 * @opentelemetry/api: it is structurally compatible, parent spans are read from the context with
 * the API's well-known key, and the active context (if the app registered a context manager)
 * through the API's global registry.
 */
import { SpanKind, StatusCode } from '../model/records';
import type { AttrValue } from '../model/records';
import { activeSpan, runWithSpan } from '../recorder/context';
import { errorType } from '../recorder/error-type';
import { currentRecorder } from '../recorder/current';
import { logException } from '../recorder/events';
import type { LiveSpan } from '../recorder/run';

/** The API's context key for the active span (`createContextKey` is `Symbol.for(description)`). */
const SPAN_KEY = Symbol.for('OpenTelemetry Context Key SPAN');
const API_GLOBAL = Symbol.for('opentelemetry.js.api.1');

type TimeInput = number | Date | [number, number] | undefined;
interface Ctx {
  getValue(key: symbol): unknown;
  setValue(key: symbol, value: unknown): Ctx;
}
interface SpanOptions {
  kind?: number;
  attributes?: Record<string, unknown>;
  links?: Array<{ context: { traceId: string; spanId: string }; attributes?: Record<string, unknown> }>;
  startTime?: TimeInput;
  root?: boolean;
}
interface SpanContext {
  traceId: string;
  spanId: string;
  traceFlags: number;
}

function toNs(t: TimeInput): bigint | undefined {
  if (t === undefined) return undefined;
  if (Array.isArray(t)) return BigInt(t[0]) * 1_000_000_000n + BigInt(t[1]);
  const ms = t instanceof Date ? t.getTime() : t;
  if (!Number.isFinite(ms)) return undefined;
  // The API's numeric TimeInput is epoch ms, or performance.now() ms (small values).
  const epochMs = ms < 1e12 ? (globalThis.performance?.timeOrigin ?? 0) + ms : ms;
  return BigInt(Math.round(epochMs * 1000)) * 1000n;
}

function attr(v: unknown): AttrValue | undefined {
  if (typeof v === 'string' || typeof v === 'boolean') return v;
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v as string[];
  if (Array.isArray(v) && v.every((x) => typeof x === 'number')) return v as number[];
  return undefined;
}

function activeContext(): Ctx | undefined {
  const g = (globalThis as Record<symbol, { context?: { active(): Ctx } } | undefined>)[API_GLOBAL];
  try {
    return g?.context?.active();
  } catch {
    return undefined;
  }
}

/** A span of ours seen through the OTel API. */
class BridgeSpan {
  constructor(readonly live: LiveSpan) {}

  spanContext(): SpanContext {
    return { traceId: currentRecorder()?.run.traceId ?? '0'.repeat(32), spanId: this.live.spanId, traceFlags: 1 };
  }
  setAttribute(key: string, value: unknown): this {
    const v = attr(value);
    if (v !== undefined && !this.live.ended) this.live.attributes[key] = v;
    return this;
  }
  setAttributes(attrs: Record<string, unknown>): this {
    for (const [k, v] of Object.entries(attrs ?? {})) this.setAttribute(k, v);
    return this;
  }
  addEvent(name: string, attrsOrTime?: Record<string, unknown> | TimeInput): this {
    const attrs: Record<string, AttrValue> = {};
    if (attrsOrTime && typeof attrsOrTime === 'object' && !Array.isArray(attrsOrTime) && !(attrsOrTime instanceof Date)) {
      for (const [k, v] of Object.entries(attrsOrTime)) {
        const a = attr(v);
        if (a !== undefined) attrs[k] = a;
      }
    }
    this.live.addEvent(String(name), attrs);
    return this;
  }
  addLink(link: { context: { traceId: string; spanId: string } }): this {
    this.live.addLink(link?.context?.traceId, link?.context?.spanId);
    return this;
  }
  addLinks(links: Array<{ context: { traceId: string; spanId: string } }>): this {
    for (const l of links ?? []) this.addLink(l);
    return this;
  }
  setStatus(status: { code: number; message?: string }): this {
    // API codes: 0 unset, 1 ok, 2 error (same numbers as OTLP). Messages are never kept.
    if (status?.code === StatusCode.ERROR) this.live.status = { code: StatusCode.ERROR };
    else if (status?.code === StatusCode.OK) this.live.status = { code: StatusCode.OK };
    return this;
  }
  updateName(name: string): this {
    if (typeof name === 'string') this.live.name = name;
    return this;
  }
  end(endTime?: TimeInput): void {
    this.live.end(toNs(endTime));
  }
  isRecording(): boolean {
    return !this.live.ended;
  }
  recordException(exception: unknown): void {
    this.live.attributes['error.type'] = typeof exception === 'string' ? '_OTHER' : errorType(exception);
    const recorder = currentRecorder();
    if (recorder) logException(recorder.run, exception, this.live);
  }
}

/** What the tracer returns when telemetry is off: records nothing, costs nothing. */
const NON_RECORDING = {
  spanContext: (): SpanContext => ({ traceId: '0'.repeat(32), spanId: '0'.repeat(16), traceFlags: 0 }),
  setAttribute() { return this; },
  setAttributes() { return this; },
  addEvent() { return this; },
  addLink() { return this; },
  addLinks() { return this; },
  setStatus() { return this; },
  updateName() { return this; },
  end() {},
  isRecording: () => false,
  recordException() {},
};

class Tracer {
  startSpan(name: string, options: SpanOptions = {}, ctx?: Ctx): BridgeSpan | typeof NON_RECORDING {
    const recorder = currentRecorder();
    if (!recorder || !recorder.run.allows('usage')) return NON_RECORDING;
    const context = ctx ?? activeContext();
    const parentValue = options.root ? undefined : context?.getValue?.(SPAN_KEY);
    const parent = parentValue instanceof BridgeSpan ? parentValue.live : activeSpan();
    const kind = typeof options.kind === 'number' && options.kind >= 0 && options.kind <= 4 ? options.kind + 1 : SpanKind.INTERNAL;
    const live = recorder.run.startSpan(String(name), kind, {}, parent, toNs(options.startTime));
    const span = new BridgeSpan(live);
    if (options.attributes) span.setAttributes(options.attributes);
    for (const l of options.links ?? []) span.addLink(l);
    return span;
  }

  startActiveSpan(name: string, ...rest: unknown[]): unknown {
    const fn = rest.pop() as (span: unknown) => unknown;
    const [options, ctx] = rest as [SpanOptions | undefined, Ctx | undefined];
    const span = this.startSpan(name, options, ctx);
    if (!(span instanceof BridgeSpan)) return fn(span);
    const api = (globalThis as Record<symbol, { context?: { active(): Ctx; with(c: Ctx, f: () => unknown): unknown } } | undefined>)[API_GLOBAL];
    const base = ctx ?? activeContext();
    const run = () => runWithSpan(span.live, () => fn(span));
    if (api?.context && base) return api.context.with(base.setValue(SPAN_KEY, span), run);
    return run();
  }
}

const tracer = new Tracer();

/** An OpenTelemetry API TracerProvider recording into this run (no-op when telemetry is off). */
export function tracerProvider(): { getTracer(name?: string, version?: string): Tracer } {
  return { getTracer: () => tracer };
}
