/**
 * The delivery cadence of a batched shipper (DEVTOOL_TELEMETRY_SHIP=batched, the default outside
 * CI). A shipper costs a Node start plus the OTLP encoders and the HTTP stack (~250 ms of CPU);
 * started per run, that is most of what telemetry costs a machine. So a shipper:
 *
 * - starts cheap: it takes the lock and waits here before loading anything heavy;
 * - sends once the spool is worth a request: the oldest pending batch is `gatherDelayMs` old
 *   (60 s: each shipment costs ~12 ms of CPU, so a tool run every half minute pays for one per two
 *   runs, not one per run), or a full request (16 batches) is pending;
 * - lingers: with the spool empty it stays `lingerMs` (60 s) holding the lock, so the runs of that
 *   minute see a live shipper and start none; each new batch restarts the gathering.
 *
 * Nothing is given up: a run that finds no live shipper still starts one, which waits out the
 * delay and ships even if no other run ever comes. A batch waits at most gatherDelayMs after the
 * shipper first saw it (a clock that jumped back cannot hold it longer), and never past the
 * shipper's maximum life. Waiting is a watch on the spool directory (a run's batch wakes the
 * shipper at once) bounded by a timer; without a watch, a readdir every few seconds (idlePollMs).
 */
import { batchDir, type BatchName } from '../spool/layout';
import { listBatches } from '../spool/reader';
import { watchSpool } from './spool-watch';
import { HEARTBEAT_MS } from '../spool/lock';
import type { ShipperOptions } from './options';

type Env = NodeJS.ProcessEnv;

/**
 * How often a shipper with an empty spool looks at it: half the gather delay, so a batch is seen
 * before it is due and the delay is what it waits (each look costs a wake-up and a readdir, ~2 ms
 * of CPU: once a second that would cost more over a minute's linger than the shipper's own start).
 * With a non-empty spool it sleeps until the oldest batch is due (at most a heartbeat, nextSleepMs).
 */
export function idlePollMs(gatherDelayMs: number): number {
  return Math.min(5_000, Math.max(500, Math.floor(gatherDelayMs / 2)));
}

export type CadenceOptions = Pick<ShipperOptions, 'gatherDelayMs' | 'lingerMs' | 'maxBatchesPerRequest'>;

/** ms until `names` are worth a request: 0 = now, Infinity = nothing pending. Pure. */
export function msUntilWorthShipping(names: readonly BatchName[], opts: CadenceOptions, now: number, firstSeenAt: number): number {
  if (names.length === 0) return Infinity;
  if (names.length >= opts.maxBatchesPerRequest) return 0;
  let oldest = Infinity;
  for (const n of names) oldest = Math.min(oldest, n.createdAt);
  // firstSeenAt bounds the wait when a batch's time is in the future (clock set back).
  const due = Math.min(oldest, firstSeenAt) + opts.gatherDelayMs;
  return Math.max(0, due - now);
}

/**
 * How long the wait loop sleeps next: with batches pending, until the oldest is due (`dueInMs`; new
 * ones do not change that); with none (`dueInMs` Infinity), until the next look or the linger's end.
 * Never past the shipper's deadline, and never longer than HEARTBEAT_MS: each wake-up is also the
 * lock's heartbeat (alive() beats it). Pure.
 */
export function nextSleepMs(dueInMs: number, idleLeftMs: number, deadlineLeftMs: number, lookMs: number): number {
  const horizon = dueInMs === Infinity ? Math.min(idleLeftMs, lookMs) : dueInMs;
  return Math.max(1, Math.min(horizon, HEARTBEAT_MS, deadlineLeftMs));
}

export type WaitResult = 'ship' | 'idle' | 'stop';

/**
 * Wait until the spool is worth shipping ('ship'), or it stayed empty for lingerMs ('idle'), or
 * `alive()` turned false (lost lock, signal: 'stop'; asked at each wake-up, where the shipper also
 * beats its lock). At `deadline` (the shipper's maximum life) whatever is pending is shipped now.
 */
export async function waitForWork(env: Env, opts: CadenceOptions, deadline: number, alive: () => boolean, sleep?: (ms: number) => Promise<void>): Promise<WaitResult> {
  // A watch on the spool wakes us when a run writes a batch (spool-watch.ts); looks on a timer
  // remain only as the fallback and as a slow safety net.
  const waker = sleep ? undefined : watchSpool(batchDir(env));
  try {
    const idleUntil = Date.now() + opts.lingerMs;
    let firstSeenAt = Infinity;
    for (;;) {
      if (!alive()) return 'stop';
      const now = Date.now();
      const names = listBatches(env);
      if (names.length > 0 && firstSeenAt === Infinity) firstSeenAt = now;
      const wait = msUntilWorthShipping(names, opts, now, firstSeenAt);
      if (wait === 0) return 'ship';
      if (now >= deadline) return names.length > 0 ? 'ship' : 'idle';
      if (names.length === 0 && now >= idleUntil) return 'idle';
      const look = waker?.watching ? WATCHED_POLL_MS : idlePollMs(opts.gatherDelayMs);
      const ms = nextSleepMs(wait, idleUntil - now, deadline - now, look);
      // Batches pending: sleep until the oldest is due or the next look (new ones do not wake us).
      await (sleep ? sleep(ms) : waker!.sleep(ms, names.length === 0));
    }
  } finally {
    waker?.close();
  }
}

/**
 * With a watch in place, the timer's look is only a safety net (a missed event) and the lock's
 * heartbeat: once a minute, since every wake-up of an idle shipper costs the machine far more than
 * its readdir (see HEARTBEAT_MS in spool/lock.ts, which this must not exceed).
 */
export const WATCHED_POLL_MS = HEARTBEAT_MS;
