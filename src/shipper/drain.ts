/**
 * The shipper's work loop: drain the spool oldest first over OTLP/HTTP, then exit. This file is
 * the send path's entry (bundled as send.js, loaded by main.ts on the first shipment); the work is
 * in intake.ts (what may go out), send-batches.ts and send-metrics.ts (one request each), post.ts
 * (the POST and its answer), retry.ts (backoff and breaker) and ledger.ts (state and drop counts).
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
import type { ShipperLock } from '../spool/lock';
import { cleanStaleTemps, listBatches, removeBatch } from '../spool/reader';
import { routeKey } from '../spool/shipper-state';
import { settingsOf } from '../settings/settings';
import { wantsDelta } from '../settings/temporality-env';
import { pruneFolded } from './accumulator';
import { ConsentCheck } from './consent-check';
import { Intake, type Item, selectRequest } from './intake';
import { Ledger } from './ledger';
import type { ShipperOptions } from './options';
import { OtlpPost } from './post';
import { Retry } from './retry';
import { BatchSender } from './send-batches';
import { MetricsSender } from './send-metrics';
import { createTransport, type Transport } from './transport';

type Env = NodeJS.ProcessEnv;

export class Shipper {
  private readonly transport: Transport;
  private readonly ledger: Ledger;
  private readonly deadline: number;
  private readonly consent: ConsentCheck;
  private readonly intake: Intake;
  private readonly batches: BatchSender;
  private readonly metrics: MetricsSender;
  stopped = false;

  constructor(
    private readonly env: Env,
    private readonly lock: ShipperLock,
    private readonly opts: ShipperOptions,
  ) {
    const { otlp, temporality } = settingsOf(env);
    this.transport = createTransport(env);
    this.ledger = new Ledger(env, lock);
    this.deadline = Date.now() + opts.maxLifeMs;
    const retry = new Retry(this.ledger, opts, routeKey(env), this.deadline, () => this.stopped);
    this.consent = new ConsentCheck(env, process.cwd());
    this.ledger.state.conditions = [...otlp.problems, ...(temporality.problem ? [temporality.problem] : [])].slice(0, 10);
    this.ledger.saveState();
    this.intake = new Intake(env, this.consent, this.ledger);
    const http = new OtlpPost(env, this.transport, opts);
    this.batches = new BatchSender(env, otlp, this.intake, this.ledger, http, retry);
    this.metrics = new MetricsSender(otlp.metrics, wantsDelta(temporality.preference), this.consent, this.ledger, http, retry);
  }

  async close(): Promise<void> {
    await this.transport.close();
  }

  async settleDeletes(): Promise<void> {
    await this.batches.settleDeletes();
  }

  /** Drain the spool. Resolves 'empty' when nothing is left, 'stop' when it must exit now. */
  async drain(): Promise<'empty' | 'stop'> {
    const { deleting, spansSent } = this.batches;
    const accumulator = this.ledger.metrics;
    cleanStaleTemps(this.env);
    for (;;) {
      if (this.stopped || Date.now() > this.deadline || !this.lock.owned()) return 'stop';
      this.consent.refresh();
      let names = listBatches(this.env);
      if (deleting.size > 0) names = names.filter((n) => !deleting.has(n.file));
      if (names.length === 0) await this.settleDeletes();
      pruneFolded(accumulator, new Set([...names.map((n) => n.file), ...deleting.keys()]));
      if (names.length === 0) {
        if (!accumulator.dirty) {
          this.ledger.saveMetrics(); // persist the pruned folded ids
          return 'empty';
        }
        if ((await this.metrics.send()) === 'stop') return 'stop';
        continue;
      }
      const items = this.intake.load(selectRequest(names, this.opts));
      // Fold metrics before sending anything: once folded (and saved), a batch's metrics are safe.
      if (this.ledger.fold(items) && !this.ledger.saveMetrics()) return 'stop';
      const withSpans: Item[] = [];
      const withLogs: Item[] = [];
      for (const it of items) {
        const spans = it.batch.spans.length > 0 && !spansSent.has(it.name.file);
        if (spans) withSpans.push(it);
        else if (it.batch.logs?.length) withLogs.push(it);
        else removeBatch(this.env, it.name); // metrics-only: its data lives in the accumulator now
      }
      if (withSpans.length > 0) {
        const step = await this.batches.send('traces', withSpans);
        if (step === 'stop') return 'stop';
        if (step === 'retry') continue; // spans first: logs and metrics wait until the collector takes spans again
        // A batch with spans and logs: its logs go next, in this pass (send kept it for them).
        for (const it of withSpans) if (it.batch.logs?.length && spansSent.has(it.name.file)) withLogs.push(it);
      }
      if (withLogs.length > 0) {
        const step = await this.batches.send('logs', withLogs);
        if (step === 'stop') return 'stop';
        if (step === 'retry') continue;
      }
      if (accumulator.dirty && (await this.metrics.send()) === 'stop') return 'stop';
    }
  }
}
