/**
 * The shipper's work loop: drain the spool oldest first over OTLP/HTTP, then exit.
 *
 * Delivery guarantees (see README.md next to this file):
 * - Spans: at-least-once. A batch file is deleted only after the collector acknowledged it (2xx).
 *   A duplicate happens only for a request in flight when the shipper is killed (sent, not yet
 *   deleted): the next shipper sends it again.
 * - Metrics: exactly-once in the totals. Deltas are folded into cumulative streams once per batch id
 *   (recorded atomically with the accumulator) before anything is sent; what is sent is cumulative,
 *   so a resend is harmless.
 * - Permanent rejections (every 4xx/5xx except 401/403 and the 429/502/503/504 OTLP/HTTP lists as
 *   retryable) drop the batch and count it; nothing is retried forever. 401/403 keep every batch and pause delivery (a
 *   person fixes them).
 * - Requests are bounded (options.ts) and acknowledged files are deleted before the next request
 *   leaves, so a crash duplicates at most one request.
 * - Consent is re-checked before every request (consent-check.ts). Retryable failures (429/502/503/504
 *   and network errors) back off exponentially with jitter, honour Retry-After, and
 *   past a limit open the circuit breaker (in shipper-state.json) and exit, so runs stop spawning
 *   doomed shippers until the next attempt time.
 */
import zlib = require('node:zlib');
import type { Batch, BatchOrigin } from '../model/records';
import type { OtlpConfig, OtlpSignal, OtlpSignalConfig } from '../settings/otlp';
import { settingsOf } from '../settings/settings';
import { loadTls, type TlsResult } from '../settings/tls-env';
import { parseTemporality, wantsDelta } from '../settings/temporality-env';
import { ackDelta, deltaStreams } from './temporality';
import type { BatchName } from '../spool/layout';
import { isRetryableStatus, userAgent } from './otlp-http-policy';
import { listBatches, quarantineBatch, readBatch, removeBatch, removeBatchAsync, cleanStaleTemps } from '../spool/reader';
import { appendSentLog, MAX_RECORDS, type SentLogEntry } from '../spool/sent-log';
import { DROP_REASON_ATTR, DROPPED_METRIC } from '../spool/spool';
import { routeKey, readShipperState, type ShipperState, writeShipperState } from '../spool/shipper-state';
import { expireStreams, foldBatch, foldMetric, loadMetricsState, type MetricsState, nowNanos, pruneFolded, saveMetricsState } from './accumulator';
import { encodeLogs, encodeMetrics, encodeSpans, parsePartialSuccess } from './encode';
import type { ShipperLock } from '../spool/lock';
import { backoffMs, parseRetryAfter, type ShipperOptions } from './options';
import { ConsentCheck } from './consent-check';
import { resanitize } from './resanitize';
import { createTransport, type HttpResult, type Transport } from './transport';

type Env = NodeJS.ProcessEnv;

interface Item {
  name: BatchName;
  batch: Batch;
}

type SendOutcome =
  | { kind: 'ok'; rejected: number }
  | { kind: 'permanent'; status: number; error: string }
  /** 401/403: a configuration problem a person fixes; the batches are kept. */
  | { kind: 'auth'; status: number; error: string }
  | { kind: 'retry'; status: number; error: string; retryAfterMs?: number };

/** continue: go on; retry: a failure was waited out, start the round again; stop: exit now. */
type Step = 'continue' | 'retry' | 'stop';

/** A short, value-free description: error codes, never messages that could echo headers. */
function describeError(e: unknown): string {
  const err = e as { code?: unknown; name?: unknown; cause?: { code?: unknown; name?: unknown } } | undefined;
  const code = err?.code ?? err?.cause?.code;
  if (typeof code === 'string') return code;
  const name = err?.cause?.name ?? err?.name;
  return typeof name === 'string' ? name : 'unknown';
}

/** Resource used for drops that belong to no readable batch (corrupt files). */
const SHIPPER_RESOURCE = { 'service.name': 'devtool-telemetry' };
/** First pause after the collector refused our credentials (doubles per refusal, up to retryMaxMs). */
const AUTH_PAUSE_MS = 5 * 60_000;
/** Our own counters belong to no tool: only opt-outs that cover every tool stop them. */
const SHIPPER_ORIGIN: BatchOrigin = {};

/** Spans plus metric points: what an opted-out batch held, for the local drop count. */
function recordCount(b: Batch): number {
  let n = b.spans.length + (b.logs?.length ?? 0);
  for (const m of b.metrics) n += m.points.length;
  return n;
}

export class Shipper {
  private readonly otlp: OtlpConfig;
  private readonly transport: Transport;
  private readonly metrics: MetricsState;
  private state: ShipperState;
  private attempts = 0;
  /** Acknowledged batches being deleted in the background: never listed again, never resent. */
  private readonly deleting = new Map<string, Promise<void>>();
  /**
   * Batches holding spans and logs whose spans the collector took while their logs are not sent
   * yet: kept on disk for the logs, never sent as spans again by this shipper. (A new shipper
   * would resend their spans: at most one request's worth of duplicates, as for any request in flight.)
   */
  private readonly spansSent = new Set<string>();
  private readonly deadline: number;
  private readonly key: string;
  private readonly consent: ConsentCheck;
  /** OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE asks for delta counters and histograms. */
  private readonly delta: boolean;
  stopped = false;

  constructor(
    private readonly env: Env,
    private readonly lock: ShipperLock,
    private readonly opts: ShipperOptions,
  ) {
    this.otlp = settingsOf(env).otlp;
    this.transport = createTransport(env);
    this.metrics = loadMetricsState(env);
    expireStreams(this.metrics);
    this.state = readShipperState(env);
    this.deadline = Date.now() + opts.maxLifeMs;
    this.key = routeKey(env);
    this.consent = new ConsentCheck(env, process.cwd());
    const temporality = parseTemporality(env);
    this.delta = wantsDelta(temporality.preference);
    this.state.conditions = [...this.otlp.problems, ...(temporality.problem ? [temporality.problem] : [])].slice(0, 10);
    this.saveState();
  }

  async close(): Promise<void> {
    await this.transport.close();
  }

  private saveState(): void {
    if (this.lock.owned()) writeShipperState(this.env, this.state);
  }

  private saveMetrics(): boolean {
    if (!this.lock.owned()) return false;
    try {
      saveMetricsState(this.env, this.metrics);
      return true;
    } catch {
      this.state.lastError = 'cannot write metrics state (disk full or read-only?)';
      this.state.lastErrorAt = Date.now();
      this.saveState();
      return false;
    }
  }

  /**
   * Records of a tool the user has opted out of since they were recorded: counted locally (shown
   * by `status`), never as a metric: sending anything about an opted-out tool would defeat the opt-out.
   */
  private countOptedOut(n: number): void {
    if (n <= 0) return;
    this.state.dropped['opted-out'] = (this.state.dropped['opted-out'] ?? 0) + n;
  }

  private countDropped(reason: string, n: number, resource: Batch['resource'] = SHIPPER_RESOURCE, origin: BatchOrigin = SHIPPER_ORIGIN): void {
    if (n <= 0) return;
    this.state.dropped[reason] = (this.state.dropped[reason] ?? 0) + n;
    // Also as the devtool.spool.dropped metric, so dashboards see it.
    const t = `${BigInt(Date.now()) * 1_000_000n}`;
    foldMetric(this.metrics, resource, {
      name: DROPPED_METRIC,
      unit: '{record}',
      description: 'Telemetry records dropped before delivery.',
      type: 'sum',
      startTimeUnixNano: t,
      timeUnixNano: t,
      points: [{ attributes: { [DROP_REASON_ATTR]: reason }, value: n }],
    }, origin);
  }

  /** Drain the spool. Resolves 'empty' when nothing is left, 'stop' when it must exit now. */
  async drain(): Promise<'empty' | 'stop'> {
    cleanStaleTemps(this.env);
    for (;;) {
      if (this.stopped || Date.now() > this.deadline || !this.lock.owned()) return 'stop';
      this.consent.refresh();
      let names = listBatches(this.env);
      if (this.deleting.size > 0) names = names.filter((n) => !this.deleting.has(n.file));
      if (names.length === 0) await this.settleDeletes();
      pruneFolded(this.metrics, new Set([...names.map((n) => n.file), ...this.deleting.keys()]));
      if (names.length === 0) {
        if (!this.metrics.dirty) {
          this.saveMetrics(); // persist the pruned folded ids
          return 'empty';
        }
        if ((await this.sendMetrics()) === 'stop') return 'stop';
        continue;
      }
      const items = this.load(this.select(names));
      // Fold metrics before sending anything: once folded (and saved), a batch's metrics are safe.
      let folded = false;
      for (const it of items) {
        if (foldBatch(this.metrics, it.batch, it.name.file)) {
          folded = true;
          for (const m of it.batch.metrics) {
            if (m.name !== DROPPED_METRIC) continue;
            for (const p of m.points) {
              const reason = String(p.attributes[DROP_REASON_ATTR] ?? 'unknown');
              this.state.dropped[reason] = (this.state.dropped[reason] ?? 0) + ((p as { value: number }).value || 0);
            }
          }
        }
      }
      if (folded && !this.saveMetrics()) return 'stop';
      const withSpans: Item[] = [];
      const withLogs: Item[] = [];
      for (const it of items) {
        const spans = it.batch.spans.length > 0 && !this.spansSent.has(it.name.file);
        if (spans) withSpans.push(it);
        else if (it.batch.logs?.length) withLogs.push(it);
        else removeBatch(this.env, it.name); // metrics-only: its data lives in the accumulator now
      }
      if (withSpans.length > 0) {
        const step = await this.sendItems('traces', withSpans);
        if (step === 'stop') return 'stop';
        if (step === 'retry') continue; // spans first: logs and metrics wait until the collector takes spans again
        // A batch with spans and logs: its logs go next, in this pass (sendItems kept it for them).
        for (const it of withSpans) if (it.batch.logs?.length && this.spansSent.has(it.name.file)) withLogs.push(it);
      }
      if (withLogs.length > 0) {
        const step = await this.sendItems('logs', withLogs);
        if (step === 'stop') return 'stop';
        if (step === 'retry') continue;
      }
      if (this.metrics.dirty && (await this.sendMetrics()) === 'stop') return 'stop';
    }
  }

  /** Delete acknowledged batches in the background (unlink is the slowest step of a drain). */
  private removeInBackground(items: Item[]): void {
    for (const it of items) {
      const file = it.name.file;
      this.deleting.set(
        file,
        removeBatchAsync(this.env, it.name).then(() => {
          this.deleting.delete(file);
        }),
      );
    }
  }

  async settleDeletes(): Promise<void> {
    while (this.deleting.size > 0) await Promise.all([...this.deleting.values()]);
  }

  /** The oldest batches that fit in one request. */
  private select(names: BatchName[]): BatchName[] {
    const out: BatchName[] = [];
    let records = 0;
    let bytes = 0;
    for (const n of names) {
      if (out.length > 0 && (out.length >= this.opts.maxBatchesPerRequest || records + n.records > this.opts.maxSpansPerRequest || bytes + n.bytes > this.opts.maxBytesPerRequest)) break;
      out.push(n);
      records += n.records;
      bytes += n.bytes;
    }
    return out;
  }

  /**
   * Read, validate and re-sanitize; quarantine what cannot be sent. Synchronous reads: measured
   * faster than fs.promises here (small files, page cache), and the shipper has nothing else to do.
   */
  private load(names: BatchName[]): Item[] {
    const items: Item[] = [];
    for (const name of names) {
      const r = readBatch(this.env, name);
      if (r.kind === 'gone') continue;
      if (r.kind === 'corrupt') {
        quarantineBatch(this.env, name);
        this.countDropped('corrupt', Math.max(1, name.records));
        continue;
      }
      // Never send what was recorded with telemetry off, or what the user has opted out of since.
      const level = r.batch.level === 'off' ? 'off' : this.consent.allowed(r.batch.level, r.batch.origin, r.batch.resource['service.name']);
      if (level === 'off') {
        removeBatch(this.env, name);
        if (r.batch.level !== 'off') this.countOptedOut(recordCount(r.batch));
        continue;
      }
      const clean = resanitize(level === r.batch.level ? r.batch : { ...r.batch, level }, this.env);
      if (!clean) {
        quarantineBatch(this.env, name);
        this.countDropped('corrupt', Math.max(1, name.records), r.batch.resource);
        continue;
      }
      if (r.invalidRecords > 0) this.countDropped('corrupt', r.invalidRecords, clean.resource);
      items.push({ name, batch: clean });
    }
    return items;
  }

  private headers(cfg: OtlpSignalConfig): Record<string, string> {
    const h: Record<string, string> = {
      ...cfg.headers,
      'content-type': cfg.protocol === 'http/json' ? 'application/json' : 'application/x-protobuf',
      'user-agent': userAgent(),
    };
    if (cfg.compression === 'gzip') h['content-encoding'] = 'gzip';
    else delete h['content-encoding'];
    return h;
  }

  /** TLS files per signal, read once per shipper run (loadTls never throws). */
  private readonly tlsCache = new Map<OtlpSignal, TlsResult>();
  private tlsFor(signal: OtlpSignal): TlsResult {
    let r = this.tlsCache.get(signal);
    if (!r) this.tlsCache.set(signal, (r = loadTls(this.env, signal)));
    return r;
  }

  /** Duration of the last request, ms (for the sent log). */
  private lastMs = 0;

  private async post(cfg: OtlpSignalConfig, body: Uint8Array): Promise<{ outcome: SendOutcome; res?: HttpResult }> {
    const t0 = Date.now();
    try {
      return await this.postOnce(cfg, body);
    } finally {
      this.lastMs = Date.now() - t0;
    }
  }

  private async postOnce(cfg: OtlpSignalConfig, body: Uint8Array): Promise<{ outcome: SendOutcome; res?: HttpResult }> {
    if (!cfg.url) return { outcome: { kind: 'retry', status: 0, error: `no usable ${cfg.signal} endpoint (${cfg.urlSource})` } };
    // OTEL_EXPORTER_OTLP_*CERTIFICATE / CLIENT_*: never send without the files asked for.
    const tls = cfg.url.startsWith('https:') ? this.tlsFor(cfg.signal) : {};
    if (tls.problem) return { outcome: { kind: 'retry', status: 0, error: `no usable ${cfg.signal} TLS files (${tls.problem})` } };
    const payload = cfg.compression === 'gzip' ? zlib.gzipSync(body) : body;
    let res: HttpResult;
    try {
      res = await this.transport.post(cfg.url, payload, this.headers(cfg), cfg.timeoutMs, tls.tls);
    } catch (e) {
      return { outcome: { kind: 'retry', status: 0, error: `network error (${describeError(e)})` } };
    }
    const s = res.status;
    if (s >= 200 && s < 300) {
      const ps = res.truncated ? { rejected: 0 } : parsePartialSuccess(cfg.signal, cfg.protocol, res.body);
      return { outcome: { kind: 'ok', rejected: ps.rejected }, res };
    }
    if (s >= 300 && s < 400) return { outcome: { kind: 'retry', status: s, error: `HTTP ${s}: redirect not followed (check the endpoint)` }, res };
    if (isRetryableStatus(s)) {
      const ra = s === 429 || s === 503 ? parseRetryAfter(res.headers['retry-after']) : undefined;
      return { outcome: { kind: 'retry', status: s, error: `HTTP ${s}`, ...(ra !== undefined ? { retryAfterMs: Math.min(ra, this.opts.maxRetryAfterMs) } : {}) }, res };
    }
    if (s === 401 || s === 403) {
      return { outcome: { kind: 'auth', status: s, error: `HTTP ${s}: the collector refused our credentials (check OTEL_EXPORTER_OTLP_HEADERS)` }, res };
    }
    return { outcome: { kind: 'permanent', status: s, error: `HTTP ${s}: rejected` }, res };
  }

  private log(cfg: OtlpSignalConfig, outcome: SendOutcome, batches: number, items: number, records: unknown[]): void {
    const entry: SentLogEntry = {
      time: Date.now(),
      signal: cfg.signal,
      endpoint: cfg.displayUrl,
      result: outcome.kind === 'ok' ? (outcome.rejected > 0 ? 'partial' : 'ok') : outcome.kind === 'permanent' ? 'rejected' : 'retry',
      status: outcome.kind === 'ok' ? 200 : outcome.status,
      ms: this.lastMs,
      ...(outcome.kind !== 'ok' ? { error: outcome.error } : {}),
      batches,
      items,
      ...(outcome.kind === 'ok' && outcome.rejected ? { rejected: outcome.rejected } : {}),
      ...(this.transport.proxied ? { via: 'proxy' as const } : {}),
      records: records.slice(0, MAX_RECORDS),
      more: Math.max(0, (outcome.kind === 'retry' || outcome.kind === 'auth' ? 0 : items) - Math.min(records.length, MAX_RECORDS)),
    };
    appendSentLog(this.env, entry);
  }

  private succeeded(): void {
    this.attempts = 0;
    this.state.failures = 0;
    this.state.nextAttemptAt = 0;
    delete this.state.breakerKey;
    this.state.lastSuccessAt = Date.now();
    this.state.lastAttemptAt = this.state.lastSuccessAt;
    delete this.state.auth;
  }

  /**
   * 401/403: retrying will not help and dropping would lose the backlog over a typo in a header.
   * Keep every batch (the spool's bounds still apply), count, and pause: the breaker holds 5 min,
   * doubling per consecutive refusal up to the longest retry period (a fix on the collector's side
   * is picked up soon), and runs with other OTLP settings (new headers) are not held back by it.
   */
  private authFailed(o: Extract<SendOutcome, { kind: 'auth' }>): Step {
    const now = Date.now();
    this.state.failures++;
    this.state.lastAttemptAt = now;
    this.state.lastError = o.error;
    this.state.lastErrorAt = now;
    const failures = (this.state.auth?.failures ?? 0) + 1;
    this.state.auth = { status: o.status, at: now, failures };
    this.openBreaker(now + Math.min(this.opts.retryMaxMs, AUTH_PAUSE_MS * 2 ** Math.min(failures - 1, 20)));
    return 'stop';
  }

  /** A retryable failure: wait in-process, or open the breaker and stop. */
  private async failed(o: Extract<SendOutcome, { kind: 'retry' }>): Promise<Step> {
    const now = Date.now();
    this.attempts++;
    this.state.failures++;
    this.state.lastAttemptAt = now;
    this.state.lastError = o.error;
    this.state.lastErrorAt = now;
    const delay = o.retryAfterMs ?? backoffMs(this.state.failures, this.opts);
    if (o.status === 0 && o.error.startsWith('no usable')) {
      // A configuration problem: waiting will not fix it. Park until the configuration changes.
      this.openBreaker(now + this.opts.retryMaxMs);
      return 'stop';
    }
    if (delay > this.opts.maxWaitMs || this.attempts >= this.opts.maxAttempts || now + delay > this.deadline) {
      this.openBreaker(now + delay);
      return 'stop';
    }
    this.saveState();
    await this.sleep(delay);
    return this.stopped ? 'stop' : 'retry';
  }

  private openBreaker(until: number): void {
    this.state.nextAttemptAt = until;
    this.state.breakerKey = this.key;
    this.saveState();
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, ms));
  }

  /**
   * Consent again, right before a request (files may have changed while we waited for the
   * collector): drop what is now off, lower what is now lower. Cheap when nothing changed.
   */
  private recheck(items: Item[]): Item[] {
    this.consent.refresh();
    const out: Item[] = [];
    let dropped = false;
    for (const it of items) {
      const b = it.batch;
      const level = this.consent.allowed(b.level, b.origin, b.resource['service.name']);
      if (level === b.level) {
        out.push(it);
        continue;
      }
      if (level === 'off') {
        removeBatch(this.env, it.name);
        this.countOptedOut(recordCount(b));
        dropped = true;
        continue;
      }
      const clean = resanitize({ ...b, level }, this.env);
      if (clean) out.push({ name: it.name, batch: clean });
      else {
        quarantineBatch(this.env, it.name);
        this.countDropped('corrupt', Math.max(1, it.name.records), b.resource, b.origin);
      }
    }
    if (dropped) this.saveState();
    return out;
  }

  /** Records of `signal` in a batch (spans or log records). */
  private static count(signal: 'traces' | 'logs', b: Batch): number {
    return signal === 'traces' ? b.spans.length : (b.logs?.length ?? 0);
  }

  /** An acknowledged (or permanently refused) batch: gone, unless its logs are still to be sent. */
  private done(signal: 'traces' | 'logs', items: Item[]): void {
    const gone: Item[] = [];
    for (const it of items) {
      if (signal === 'traces' && it.batch.logs?.length) this.spansSent.add(it.name.file);
      else {
        this.spansSent.delete(it.name.file);
        gone.push(it);
      }
    }
    this.removeInBackground(gone);
  }

  /** One request of spans (traces) or log records (logs) for these batches, with the OTLP retry rules. */
  private async sendItems(signal: 'traces' | 'logs', all: Item[]): Promise<Step> {
    // The previous request's batches are gone before the next request leaves: a crash now can
    // duplicate only what is in flight, one request's worth.
    await this.settleDeletes();
    let items = this.recheck(all);
    if (signal === 'logs') {
      // A lowered level may have taken every log record of a batch: nothing left to send for it.
      const empty = items.filter((i) => !i.batch.logs?.length);
      if (empty.length) this.done('logs', empty);
      items = items.filter((i) => i.batch.logs?.length);
    }
    if (items.length === 0) return 'continue';
    const cfg = this.otlp[signal];
    const batches = items.map((i) => i.batch);
    let body: Uint8Array;
    try {
      body = signal === 'traces' ? encodeSpans(batches, cfg.protocol) : encodeLogs(batches, cfg.protocol);
    } catch {
      // Should not happen after validation; never let one batch block the rest.
      if (items.length > 1) return this.oneByOne(signal, items);
      this.spansSent.delete(items[0].name.file);
      quarantineBatch(this.env, items[0].name);
      this.countDropped('corrupt', Shipper.count(signal, items[0].batch), items[0].batch.resource, items[0].batch.origin);
      return 'continue';
    }
    const sent = batches.reduce((n, b) => n + Shipper.count(signal, b), 0);
    const { outcome } = await this.post(cfg, body);
    // A hostile or broken partialSuccess cannot reject more than we sent.
    if (outcome.kind === 'ok') outcome.rejected = Math.min(outcome.rejected, sent);
    const shown: unknown[] = [];
    if (outcome.kind !== 'retry' && outcome.kind !== 'auth') {
      for (const b of batches) {
        for (const r of signal === 'traces' ? b.spans : (b.logs ?? [])) {
          if (shown.length >= MAX_RECORDS) break;
          shown.push(signal === 'traces' ? { resource: b.resource, span: r } : { resource: b.resource, log: r });
        }
        if (shown.length >= MAX_RECORDS) break;
      }
    }
    this.log(cfg, outcome, batches.length, sent, shown);
    if (outcome.kind === 'ok') {
      this.done(signal, items);
      if (outcome.rejected > 0) this.countDropped('rejected', outcome.rejected, batches[0].resource, batches[0].origin);
      this.succeeded();
      if (signal === 'traces') {
        this.state.sentSpans += sent - outcome.rejected;
        this.state.sentBatches += items.length;
      }
      if (outcome.rejected > 0) this.saveMetrics();
      this.saveState();
      return 'continue';
    }
    if (outcome.kind === 'permanent') {
      // One bad batch must not take the others with it: retry them one at a time.
      if (items.length > 1) return this.oneByOne(signal, items);
      if (signal === 'traces' && items[0].batch.logs?.length) this.spansSent.add(items[0].name.file);
      else {
        this.spansSent.delete(items[0].name.file);
        removeBatch(this.env, items[0].name);
      }
      this.countDropped('rejected', sent, batches[0].resource, batches[0].origin);
      this.state.lastError = signal === 'logs' ? `logs: ${outcome.error}` : outcome.error;
      this.state.lastErrorAt = Date.now();
      this.saveMetrics();
      this.saveState();
      return 'continue';
    }
    if (outcome.kind === 'auth') return this.authFailed(outcome);
    return this.failed(outcome);
  }

  private async oneByOne(signal: 'traces' | 'logs', items: Item[]): Promise<Step> {
    for (const it of items) {
      const step = await this.sendItems(signal, [it]);
      if (step !== 'continue') return step;
    }
    return 'continue';
  }

  /** Streams fed by a tool the user has opted out of since: dropped (counted locally), never sent. */
  private dropOptedOutStreams(): void {
    this.consent.refresh();
    let n = 0;
    for (const [k, st] of Object.entries(this.metrics.streams)) {
      if (this.consent.lowest(st.origins, st.resource['service.name']) !== 'off') continue;
      delete this.metrics.streams[k];
      n++;
    }
    if (n === 0) return;
    this.countOptedOut(n);
    this.saveMetrics();
    this.saveState();
  }

  private async sendMetrics(): Promise<Step> {
    this.dropOptedOutStreams();
    if (Object.keys(this.metrics.streams).length === 0) {
      this.metrics.dirty = false;
      this.saveMetrics();
      return 'continue';
    }
    const cfg = this.otlp.metrics;
    // OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE=delta|lowmemory: what changed since the last ack.
    const end = nowNanos();
    const view = this.delta ? { streams: deltaStreams(this.metrics, end), end } : undefined;
    if (view && view.streams.length === 0) {
      this.metrics.dirty = false;
      this.saveMetrics();
      return 'continue';
    }
    let body: Uint8Array | undefined;
    try {
      body = encodeMetrics(this.metrics, cfg.protocol, undefined, view);
    } catch (e) {
      // Not retryable (the same state would fail again); the totals stay in the accumulator and
      // go out with the next export that encodes. Shown by `status`.
      this.state.lastError = `metrics encoding failed (${describeError(e)})`;
      this.state.lastErrorAt = Date.now();
      this.saveState();
      body = undefined;
    }
    if (!body) {
      this.metrics.dirty = false;
      this.saveMetrics();
      return 'continue';
    }
    const streams = view?.streams ?? Object.values(this.metrics.streams);
    const { outcome } = await this.post(cfg, body);
    this.log(
      cfg,
      outcome,
      0,
      streams.length,
      outcome.kind === 'retry' || outcome.kind === 'auth' ? [] : streams.map((s) => ({ name: s.name, attributes: s.attributes, value: s.value ?? { count: s.count, sum: s.sum } })),
    );
    if (outcome.kind === 'retry') return this.failed(outcome);
    if (outcome.kind === 'auth') return this.authFailed(outcome);
    // Cumulative points: a permanent rejection loses only this export, the next one carries the totals.
    // Delta points: only an acknowledged export moves the baseline, so a refused one is carried too.
    if (view && outcome.kind === 'ok') ackDelta(this.metrics, end);
    this.metrics.dirty = false;
    if (!this.saveMetrics()) return 'stop';
    if (outcome.kind === 'ok') this.succeeded();
    else {
      this.state.lastError = `metrics: ${outcome.error}`;
      this.state.lastErrorAt = Date.now();
    }
    this.saveState();
    return 'continue';
  }
}
