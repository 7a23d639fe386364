/**
 * Spans and log records: one request per call, for batch files, at least once. A batch file is
 * deleted only once the collector acknowledged it (2xx) or refused it for good; the deletes of one
 * request finish before the next request leaves, so a crash duplicates at most the request in
 * flight. A batch with spans and logs sends its spans first and is kept for its logs, and this
 * shipper never sends those spans again. A request the collector refuses for good is split into
 * one request per batch, so one bad batch does not take the others with it; a `partialSuccess`
 * rejected count is clamped to what was sent and counted as `rejected`.
 */
import type { Batch } from '../model/records';
import type { OtlpConfig } from '../settings/otlp';
import { quarantineBatch, removeBatch, removeBatchAsync } from '../spool/reader';
import { MAX_RECORDS } from '../spool/sent-log';
import { encodeLogs, encodeSpans, encoderProblem } from './encode';
import type { Intake, Item } from './intake';
import type { Ledger } from './ledger';
import type { OtlpPost } from './post';
import type { Retry, Step } from './retry';

type Env = NodeJS.ProcessEnv;
type Signal = 'traces' | 'logs';

/** Records of `signal` in a batch (spans or log records). */
function count(signal: Signal, b: Batch): number {
  return signal === 'traces' ? b.spans.length : (b.logs?.length ?? 0);
}

export class BatchSender {
  /** Acknowledged batches being deleted in the background: never listed again, never resent. */
  readonly deleting = new Map<string, Promise<void>>();
  /**
   * Batches holding spans and logs whose spans the collector took while their logs are not sent
   * yet: kept on disk for the logs, never sent as spans again by this shipper. (A new shipper
   * would resend their spans: at most one request's worth of duplicates, as for any request in flight.)
   */
  readonly spansSent = new Set<string>();

  constructor(
    private readonly env: Env,
    private readonly otlp: OtlpConfig,
    private readonly intake: Intake,
    private readonly ledger: Ledger,
    private readonly http: OtlpPost,
    private readonly retry: Retry,
  ) {}

  async settleDeletes(): Promise<void> {
    while (this.deleting.size > 0) await Promise.all([...this.deleting.values()]);
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

  /** An acknowledged (or permanently refused) batch: gone, unless its logs are still to be sent. */
  private done(signal: Signal, items: Item[]): void {
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
  async send(signal: Signal, all: Item[]): Promise<Step> {
    // The previous request's batches are gone before the next request leaves: a crash now can
    // duplicate only what is in flight, one request's worth.
    await this.settleDeletes();
    let items = this.intake.recheck(all);
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
      // A broken install (the encoders do not load) is no batch's fault: keep them all, say why, stop.
      const broken = encoderProblem(cfg.protocol);
      if (broken) {
        this.ledger.noteError(broken);
        this.ledger.saveState();
        return 'stop';
      }
      // Should not happen after validation; never let one batch block the rest.
      if (items.length > 1) return this.oneByOne(signal, items);
      this.spansSent.delete(items[0].name.file);
      quarantineBatch(this.env, items[0].name);
      this.ledger.countDropped('corrupt', count(signal, items[0].batch), items[0].batch.resource, items[0].batch.origin);
      return 'continue';
    }
    const sent = batches.reduce((n, b) => n + count(signal, b), 0);
    const outcome = await this.http.post(cfg, body);
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
    this.http.logSent(cfg, outcome, batches.length, sent, shown);
    if (outcome.kind === 'ok') {
      this.done(signal, items);
      if (outcome.rejected > 0) this.ledger.countDropped('rejected', outcome.rejected, batches[0].resource, batches[0].origin);
      this.retry.succeeded();
      if (signal === 'traces') {
        this.ledger.state.sentSpans += sent - outcome.rejected;
        this.ledger.state.sentBatches += items.length;
      }
      if (outcome.rejected > 0) this.ledger.saveMetrics();
      this.ledger.saveState();
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
      this.ledger.countDropped('rejected', sent, batches[0].resource, batches[0].origin);
      this.ledger.noteError(signal === 'logs' ? `logs: ${outcome.error}` : outcome.error);
      this.ledger.saveMetrics();
      this.ledger.saveState();
      return 'continue';
    }
    if (outcome.kind === 'auth') return this.retry.authFailed(outcome);
    return this.retry.failed(outcome);
  }

  private async oneByOne(signal: Signal, items: Item[]): Promise<Step> {
    for (const it of items) {
      const step = await this.send(signal, [it]);
      if (step !== 'continue') return step;
    }
    return 'continue';
  }
}
