/**
 * What the shipper writes down between requests: its state for `status` and the breaker
 * (shipper-state.json) and the cumulative metric accumulator (metrics-state.json), with the drop
 * counts both carry. One owner for both files, so the intake, the senders and the drain loop
 * count drops and save the same way.
 *
 * Written only while this shipper holds the lock: a shipper that lost it (a stale heartbeat taken
 * over) must not overwrite the state of the one that replaced it.
 */
import type { Batch, BatchOrigin } from '../model/records';
import type { ShipperLock } from '../spool/lock';
import { DROP_REASON_ATTR, DROPPED_METRIC } from '../spool/spool';
import { readShipperState, type ShipperState, writeShipperState } from '../spool/shipper-state';
import { expireStreams, foldBatch, foldMetric, loadMetricsState, type MetricsState, saveMetricsState } from './accumulator';
import type { Item } from './intake';

type Env = NodeJS.ProcessEnv;

/** Resource used for drops that belong to no readable batch (corrupt files). */
const SHIPPER_RESOURCE = { 'service.name': 'devtool-telemetry' };
/** Our own counters belong to no tool: only opt-outs that cover every tool stop them. */
const SHIPPER_ORIGIN: BatchOrigin = {};

export class Ledger {
  readonly metrics: MetricsState;
  readonly state: ShipperState;

  constructor(
    private readonly env: Env,
    private readonly lock: ShipperLock,
  ) {
    this.metrics = loadMetricsState(env);
    expireStreams(this.metrics);
    this.state = readShipperState(env);
  }

  saveState(): void {
    if (this.lock.owned()) writeShipperState(this.env, this.state);
  }

  /** False when the accumulator could not be saved (then nothing may be sent on its account). */
  saveMetrics(): boolean {
    if (!this.lock.owned()) return false;
    try {
      saveMetricsState(this.env, this.metrics);
      return true;
    } catch {
      this.noteError('cannot write metrics state (disk full or read-only?)');
      this.saveState();
      return false;
    }
  }

  /** The last error, for `status` (value-free texts only). */
  noteError(message: string, at = Date.now()): void {
    this.state.lastError = message;
    this.state.lastErrorAt = at;
  }

  /**
   * Records of a tool the user has opted out of since they were recorded: counted locally (shown
   * by `status`), never as a metric: sending anything about an opted-out tool would defeat the opt-out.
   */
  countOptedOut(n: number): void {
    if (n <= 0) return;
    this.state.dropped['opted-out'] = (this.state.dropped['opted-out'] ?? 0) + n;
  }

  countDropped(reason: string, n: number, resource: Batch['resource'] = SHIPPER_RESOURCE, origin: BatchOrigin = SHIPPER_ORIGIN): void {
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

  /**
   * Fold the batches' metrics into the accumulator (each batch once, by file name), adding the
   * drops their writers reported to the local totals. True when anything was folded (then the
   * accumulator must be saved before anything is sent).
   */
  fold(items: Item[]): boolean {
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
    return folded;
  }
}
