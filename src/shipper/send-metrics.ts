/**
 * Metrics: one export of the cumulative accumulator (accumulator.ts), not of batch files (their
 * metrics were folded in before anything was sent). Cumulative points make a resend harmless, so a
 * permanent rejection loses only this export: the next one carries the totals. With
 * OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE=delta|lowmemory the export is the delta view
 * since the last acknowledgement (temporality.ts), and only an acknowledged export moves that
 * baseline. Streams fed by a tool the user has opted out of since are dropped first, never sent.
 */
import type { OtlpSignalConfig } from '../settings/otlp';
import { nowNanos } from './accumulator';
import type { ConsentCheck } from './consent-check';
import { encodeMetrics } from './encode';
import type { Ledger } from './ledger';
import { describeError, type OtlpPost } from './post';
import type { Retry, Step } from './retry';
import { ackDelta, deltaStreams } from './temporality';

export class MetricsSender {
  constructor(
    private readonly cfg: OtlpSignalConfig,
    /** OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE asks for delta counters and histograms. */
    private readonly delta: boolean,
    private readonly consent: ConsentCheck,
    private readonly ledger: Ledger,
    private readonly http: OtlpPost,
    private readonly retry: Retry,
  ) {}

  /** Streams fed by a tool the user has opted out of since: dropped (counted locally), never sent. */
  private dropOptedOutStreams(): void {
    const metrics = this.ledger.metrics;
    this.consent.refresh();
    let n = 0;
    for (const [k, st] of Object.entries(metrics.streams)) {
      if (this.consent.lowest(st.origins, st.resource['service.name']) !== 'off') continue;
      delete metrics.streams[k];
      n++;
    }
    if (n === 0) return;
    this.ledger.countOptedOut(n);
    this.ledger.saveMetrics();
    this.ledger.saveState();
  }

  /** Nothing to send after all: the accumulator is clean until the next fold. */
  private nothingToSend(): Step {
    this.ledger.metrics.dirty = false;
    this.ledger.saveMetrics();
    return 'continue';
  }

  async send(): Promise<Step> {
    const metrics = this.ledger.metrics;
    this.dropOptedOutStreams();
    if (Object.keys(metrics.streams).length === 0) return this.nothingToSend();
    const cfg = this.cfg;
    // OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE=delta|lowmemory: what changed since the last ack.
    const end = nowNanos();
    const view = this.delta ? { streams: deltaStreams(metrics, end), end } : undefined;
    if (view && view.streams.length === 0) return this.nothingToSend();
    let body: Uint8Array | undefined;
    try {
      body = encodeMetrics(metrics, cfg.protocol, undefined, view);
    } catch (e) {
      // Not retryable (the same state would fail again); the totals stay in the accumulator and
      // go out with the next export that encodes. Shown by `status`.
      this.ledger.noteError(`metrics encoding failed (${describeError(e)})`);
      this.ledger.saveState();
    }
    if (!body) return this.nothingToSend();
    const streams = view?.streams ?? Object.values(metrics.streams);
    const outcome = await this.http.post(cfg, body);
    this.http.logSent(
      cfg,
      outcome,
      0,
      streams.length,
      outcome.kind === 'retry' || outcome.kind === 'auth' ? [] : streams.map((s) => ({ name: s.name, attributes: s.attributes, value: s.value ?? { count: s.count, sum: s.sum } })),
    );
    if (outcome.kind === 'retry') return this.retry.failed(outcome);
    if (outcome.kind === 'auth') return this.retry.authFailed(outcome);
    // Cumulative points: a permanent rejection loses only this export, the next one carries the totals.
    // Delta points: only an acknowledged export moves the baseline, so a refused one is carried too.
    if (view && outcome.kind === 'ok') ackDelta(metrics, end);
    metrics.dirty = false;
    if (!this.ledger.saveMetrics()) return 'stop';
    if (outcome.kind === 'ok') this.retry.succeeded();
    else this.ledger.noteError(`metrics: ${outcome.error}`);
    this.ledger.saveState();
    return 'continue';
  }
}
