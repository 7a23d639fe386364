/**
 * One process = one run: the command-run span (the trace root), the spans finished under it
 * and the metric deltas since the last flush. Plain objects only; no OpenTelemetry SDK here.
 */
import * as path from 'node:path';
import { SpanKind, StatusCode } from '../model/records';
import { levelAllows } from '../model/levels';
import type { Attributes, Batch, Level, LogRecordData, SpanEventRecord, SpanLinkRecord, SpanRecord } from '../model/records';
import { nowNs, processStartNs } from './clock';
import { newSpanId, newTraceId, newUuid } from './ids';
import { INSTRUMENTS } from '../model/instruments';
import { MetricAggregator } from './metrics';

/** `node` (`node.exe` on Windows): the base name of the executable, as process.executable.name asks. */
export const EXECUTABLE_NAME = path.basename(process.execPath || 'node');

/** Finished spans kept between flushes; past it, spans are counted as dropped, never grown. */
const MAX_PENDING_SPANS = 5000;
const MAX_EVENTS_PER_SPAN = 128;
/** Log-based events kept between flushes; past it, they are counted as dropped. */
const MAX_PENDING_LOGS = 1000;

export type Outcome = 'success' | 'failure' | 'interrupted' | 'abnormal';

export interface ExitInfo {
  code: number;
  signal?: NodeJS.Signals;
}

export class LiveSpan {
  readonly spanId = newSpanId();
  readonly startNs: bigint;
  readonly events: SpanEventRecord[] = [];
  readonly links: SpanLinkRecord[] = [];
  status: { code: number; message?: string } = { code: StatusCode.UNSET };
  ended = false;

  constructor(
    private readonly run: Run,
    public name: string,
    readonly kind: number,
    readonly attributes: Attributes,
    readonly parentSpanId: string | undefined,
    startNs?: bigint,
  ) {
    this.startNs = startNs ?? nowNs();
  }

  setAttributes(attrs: Attributes): this {
    Object.assign(this.attributes, attrs);
    return this;
  }

  addEvent(name: string, attributes: Attributes = {}): this {
    if (this.events.length < MAX_EVENTS_PER_SPAN) {
      this.events.push({ name, timeUnixNano: nowNs().toString(), attributes });
    }
    return this;
  }

  addLink(traceId: unknown, spanId: unknown): this {
    if (typeof traceId === 'string' && typeof spanId === 'string' && this.links.length < MAX_EVENTS_PER_SPAN) {
      this.links.push({ traceId, spanId, attributes: {} });
    }
    return this;
  }

  /** Records the error class only (never the message). */
  fail(errorType: string): this {
    this.attributes['error.type'] = errorType;
    this.status = { code: StatusCode.ERROR };
    return this;
  }

  end(endNs: bigint = nowNs()): SpanRecord | undefined {
    if (this.ended) return undefined;
    this.ended = true;
    const record: SpanRecord = {
      traceId: this.run.traceId,
      spanId: this.spanId,
      parentSpanId: this.parentSpanId,
      name: this.name,
      kind: this.kind,
      startTimeUnixNano: this.startNs.toString(),
      endTimeUnixNano: (endNs < this.startNs ? this.startNs : endNs).toString(),
      attributes: this.attributes,
      events: this.events,
      links: this.links,
      status: this.status,
      scope: 'devtool-telemetry',
    };
    this.run.collect(record);
    return record;
  }
}

export interface RunInit {
  level: Level;
  /** A valid TRACEPARENT found at start: the command span joins that trace as its child. */
  parent?: { traceId: string; spanId: string; sampled: boolean };
  /** A parent that detached us: a new trace, linked to the span that started it. */
  link?: { traceId: string; spanId: string };
  toolName: string;
  subcommand?: string;
  flags: string[];
  resource: () => Attributes;
}

export class Run {
  readonly traceId: string;
  /**
   * False when the inherited TRACEPARENT says "not sampled": spans are then not exported (the
   * SDK's default ParentBased sampler does the same), metrics and session totals still are, and
   * children inherit the unsampled flag, so the whole tree decides once.
   */
  readonly sampled: boolean;
  readonly sessionId = newUuid();
  readonly metrics = new MetricAggregator();
  readonly root: LiveSpan;
  private pending: SpanRecord[] = [];
  private pendingLogs: LogRecordData[] = [];
  private droppedSpans = 0;
  private lastFlushNs: bigint;
  private resourceCache?: Attributes;
  errorType?: string;
  subcommand?: string;
  /** Called when the run ends, before the command span does (spans still open end with it). */
  readonly onFinish: Array<() => void> = [];

  constructor(private readonly init: RunInit) {
    const start = processStartNs();
    this.lastFlushNs = start;
    this.subcommand = init.subcommand;
    this.traceId = init.parent?.traceId ?? newTraceId();
    this.sampled = init.parent?.sampled ?? true;
    this.root = new LiveSpan(this, init.toolName, SpanKind.INTERNAL, {}, init.parent?.spanId, start);
    if (init.link) this.root.addLink(init.link.traceId, init.link.spanId);
    if (init.flags.length) this.root.attributes['devtool.command.flags'] = init.flags;
  }

  get level(): Level {
    return this.init.level;
  }

  /** Does the run's level include records of level `needed`? */
  allows(needed: Level): boolean {
    return levelAllows(this.init.level, needed);
  }

  get commandName(): string {
    return this.subcommand ? `${this.init.toolName} ${this.subcommand}` : this.init.toolName;
  }

  startSpan(name: string, kind: number, attributes: Attributes, parent?: LiveSpan, startNs?: bigint): LiveSpan {
    return new LiveSpan(this, name, kind, attributes, (parent ?? this.root).spanId, startNs);
  }

  collect(record: SpanRecord): void {
    if (this.pending.length >= MAX_PENDING_SPANS) this.droppedSpans++;
    else this.pending.push(record);
  }

  /**
   * A log-based event (src/privacy/events.ts names them), in the span it happened in (the command
   * span when none is given). Plain data, judged by the sanitizer at flush like every record.
   */
  log(eventName: string, attributes: Attributes, severityNumber: number, span?: LiveSpan): void {
    if (this.pendingLogs.length >= MAX_PENDING_LOGS) {
      this.droppedSpans++;
      return;
    }
    const sev = severityNumber >= 17 ? 'ERROR' : severityNumber >= 13 ? 'WARN' : 'INFO';
    this.pendingLogs.push({
      eventName,
      timeUnixNano: nowNs().toString(),
      severityNumber,
      severityText: sev,
      attributes,
      traceId: this.traceId,
      spanId: (span ?? this.root).spanId,
    });
  }

  /** Ends the command-run span with the process outcome and records the run metrics. */
  finish(exit: ExitInfo): void {
    const root = this.root;
    if (root.ended) return;
    for (const fn of this.onFinish.splice(0)) {
      try {
        fn();
      } catch {
        /* never disturb the exit */
      }
    }
    const end = nowNs();
    const outcome: Outcome = exit.signal ? 'interrupted' : exit.code === 0 && !this.errorType ? 'success' : 'failure';
    const name = this.commandName;
    root.name = name;
    root.attributes['devtool.command.name'] = name;
    root.attributes['devtool.command.outcome'] = outcome;
    root.attributes['process.exit.code'] = exit.code;
    // CLI conventions (model/cli/spans.yaml): executable name and pid are required; error.type is
    // required whenever the exit code is not 0, and is the exit code itself when no error class is
    // known. The span name stays `{tool} {subcommand}` (the conventions allow a documented
    // low-cardinality name; the executable is `node` for every tool).
    root.attributes['process.executable.name'] = EXECUTABLE_NAME;
    root.attributes['process.pid'] = process.pid;
    if (exit.signal) root.attributes['devtool.process.signal'] = exit.signal;
    const errorType = this.errorType ?? (exit.code !== 0 ? String(exit.code) : undefined);
    if (errorType) root.fail(errorType);
    const attrs: Attributes = { 'devtool.command.name': name, 'devtool.command.outcome': outcome };
    if (errorType) attrs['error.type'] = errorType;
    try {
      const cpu = process.cpuUsage();
      const usage = process.resourceUsage();
      root.attributes['devtool.process.cpu.user'] = cpu.user / 1e6;
      root.attributes['devtool.process.cpu.system'] = cpu.system / 1e6;
      root.attributes['devtool.process.memory.peak'] = usage.maxRSS * 1024;
      root.attributes['devtool.process.memory.heap'] = process.memoryUsage().heapUsed;
      // The same CPU seconds under the process metric convention (a counter by cpu.mode).
      this.metrics.add(INSTRUMENTS.processCpuTime, cpu.user / 1e6, { 'cpu.mode': 'user', 'devtool.command.name': name });
      this.metrics.add(INSTRUMENTS.processCpuTime, cpu.system / 1e6, { 'cpu.mode': 'system', 'devtool.command.name': name });
    } catch {
      /* resource figures are best effort */
    }
    this.metrics.add(INSTRUMENTS.commandRuns, 1, attrs);
    this.metrics.record(INSTRUMENTS.commandDuration, Number(end - root.startNs) / 1e9, attrs);
    root.end(end);
  }

  resource(): Attributes {
    if (!this.resourceCache) this.resourceCache = this.init.resource();
    return this.resourceCache;
  }

  /** True when there is something to flush. */
  get dirty(): boolean {
    return this.pending.length > 0 || this.pendingLogs.length > 0 || !this.metrics.empty;
  }

  /** Drains what was recorded since the last flush into one (unsanitized) batch. */
  takeBatch(): Batch {
    const end = nowNs();
    const metrics = this.metrics.drain(this.lastFlushNs.toString(), end.toString());
    if (this.droppedSpans > 0) {
      metrics.push({
        name: 'devtool.spool.dropped',
        unit: '{record}',
        description: 'Records dropped before they could be spooled.',
        type: 'sum',
        startTimeUnixNano: this.lastFlushNs.toString(),
        timeUnixNano: end.toString(),
        points: [{ attributes: { 'devtool.spool.drop.reason': 'full' }, value: this.droppedSpans }],
      });
      this.droppedSpans = 0;
    }
    this.lastFlushNs = end;
    const spans = this.pending;
    this.pending = [];
    const logs = this.pendingLogs;
    this.pendingLogs = [];
    return {
      v: 1,
      id: newUuid(),
      createdAt: Date.now(),
      level: this.init.level,
      resource: this.resource(),
      spans,
      metrics,
      ...(logs.length ? { logs } : {}),
    };
  }
}
