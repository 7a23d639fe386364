/**
 * What a request's outcome means for the next one. A success closes the circuit breaker. A
 * retryable failure (network errors, 429/502/503/504, 3xx) waits in-process with exponential
 * backoff and equal jitter, or for Retry-After; past `maxAttempts`, a wait over `maxWaitMs` or the
 * shipper's life, it opens the breaker (`nextAttemptAt` in shipper-state.json, keyed by the route
 * fingerprint) and the shipper exits, so runs stop spawning doomed shippers until then. An unusable
 * endpoint or TLS file parks the breaker until the configuration changes; 401/403 pause it (a
 * person fixes them) without dropping anything.
 */
import type { Ledger } from './ledger';
import { backoffMs, type ShipperOptions } from './options';
import type { SendOutcome } from './post';

/** continue: go on; retry: a failure was waited out, start the round again; stop: exit now. */
export type Step = 'continue' | 'retry' | 'stop';

/** First pause after the collector refused our credentials (doubles per refusal, up to retryMaxMs). */
const AUTH_PAUSE_MS = 5 * 60_000;

export class Retry {
  private attempts = 0;

  constructor(
    private readonly ledger: Ledger,
    private readonly opts: ShipperOptions,
    /** routeKey(env): the breaker holds only runs with this configuration. */
    private readonly key: string,
    /** End of this shipper's life (ms since the epoch): no wait runs past it. */
    private readonly deadline: number,
    private readonly stopped: () => boolean,
  ) {}

  succeeded(): void {
    const state = this.ledger.state;
    this.attempts = 0;
    state.failures = 0;
    state.nextAttemptAt = 0;
    delete state.breakerKey;
    state.lastSuccessAt = Date.now();
    state.lastAttemptAt = state.lastSuccessAt;
    delete state.auth;
  }

  /**
   * 401/403: retrying will not help and dropping would lose the backlog over a typo in a header.
   * Keep every batch (the spool's bounds still apply), count, and pause: the breaker holds 5 min,
   * doubling per consecutive refusal up to the longest retry period (a fix on the collector's side
   * is picked up soon), and runs with other OTLP settings (new headers) are not held back by it.
   */
  authFailed(o: Extract<SendOutcome, { kind: 'auth' }>): Step {
    const now = this.attemptFailed(o.error);
    const state = this.ledger.state;
    const failures = (state.auth?.failures ?? 0) + 1;
    state.auth = { status: o.status, at: now, failures };
    this.openBreaker(now + Math.min(this.opts.retryMaxMs, AUTH_PAUSE_MS * 2 ** Math.min(failures - 1, 20)));
    return 'stop';
  }

  /** A retryable failure: wait in-process, or open the breaker and stop. */
  async failed(o: Extract<SendOutcome, { kind: 'retry' }>): Promise<Step> {
    this.attempts++;
    const now = this.attemptFailed(o.error);
    const delay = o.retryAfterMs ?? backoffMs(this.ledger.state.failures, this.opts);
    if (o.status === 0 && o.error.startsWith('no usable')) {
      // A configuration problem: waiting will not fix it. Park until the configuration changes.
      this.openBreaker(now + this.opts.retryMaxMs);
      return 'stop';
    }
    if (delay > this.opts.maxWaitMs || this.attempts >= this.opts.maxAttempts || now + delay > this.deadline) {
      this.openBreaker(now + delay);
      return 'stop';
    }
    this.ledger.saveState();
    await sleep(delay);
    return this.stopped() ? 'stop' : 'retry';
  }

  /** One more failed attempt in the state; returns its time. */
  private attemptFailed(error: string): number {
    const now = Date.now();
    this.ledger.state.failures++;
    this.ledger.state.lastAttemptAt = now;
    this.ledger.noteError(error, now);
    return now;
  }

  private openBreaker(until: number): void {
    this.ledger.state.nextAttemptAt = until;
    this.ledger.state.breakerKey = this.key;
    this.ledger.saveState();
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
