/**
 * The batched delivery cadence (src/shipper/cadence.ts), through real processes: a run starts one
 * shipper, which waits out the gather delay, ships, lingers taking the next runs' batches (they
 * start no shipper of their own), and exits once idle, having delivered everything even though no
 * run came after the last one. Immediate mode and the CI default are checked on the options.
 */
import { describe, expect, it } from 'vitest';
import { receiversPerTest } from '../support/hooks';
import { isAlive, type Env } from '../support/run-fixture';
import type { Receiver } from '../support/otlp-receiver';
import { lockPid, ownSpoolEnv, shipperSuiteSandbox, runWriter, spoolFiles, waitShipperGone } from './helpers';
import { idlePollMs, msUntilWorthShipping, nextSleepMs, waitForWork, WATCHED_POLL_MS } from '../../src/shipper/cadence';
import { HEARTBEAT_MS } from '../../src/spool/lock';
import { writeBatch } from '../../src/spool/spool';
import type { Batch } from '../../src/model/records';
import { shipMode, shipperOptions } from '../../src/shipper/options';
import type { BatchName } from '../../src/spool/layout';

const sb = shipperSuiteSandbox();
const receiver = receiversPerTest();

// the shipper's own retry timing: cadence is what these tests measure
const freshEnv = (extra: Env): Env => ownSpoolEnv(sb, extra, { fast: false });

const traceIdsOf = (rx: Receiver) => new Set(rx.spans().map((s) => s.traceId));

describe('batched cadence (real processes)', () => {
  it('one shipper gathers, ships after the delay, lingers for later runs, and exits after delivering all', async () => {
    const rx = await receiver();
    const DELAY = 1_500;
    const env = freshEnv({
      OTEL_EXPORTER_OTLP_ENDPOINT: rx.url,
      DEVTOOL_TELEMETRY_SHIP: 'batched',
      DEVTOOL_TELEMETRY_SHIP_DELAY_MS: String(DELAY),
      DEVTOOL_TELEMETRY_SHIPPER_LINGER_MS: '4000',
    });
    const before = Date.now(); // the batch is stamped after this
    const first = await runWriter(env, 'first');
    expect(first.out.kick).toBe('spawned');
    await rx.waitFor(() => traceIdsOf(rx).has(first.out.traceId), 20_000);
    // Not before the batch was DELAY old.
    const firstTrace = rx.requests.find((r) => r.signal === 'traces')!;
    expect(firstTrace.time).toBeGreaterThanOrEqual(before + DELAY);
    const pid = lockPid(env);
    expect(pid).toBeDefined();
    expect(isAlive(pid!)).toBe(true); // lingering with an empty spool

    // Later runs find the lingering shipper and start none; it ships their batches.
    const later: Array<Awaited<ReturnType<typeof runWriter>>> = [];
    for (const tag of ['second', 'third']) later.push(await runWriter(env, tag));
    expect(later.map((r) => r.out.kick)).toEqual(['running', 'running']);
    await rx.waitFor(() => later.every((r) => traceIdsOf(rx).has(r.out.traceId)), 20_000);
    expect(lockPid(env)).toBe(pid);

    // No run comes after the last one: the shipper still leaves once idle, spool empty.
    await waitShipperGone(env, 30_000);
    expect(spoolFiles(env)).toEqual([]);
    const ids = rx.spans().map((s) => s.traceId);
    expect(ids.filter((t) => t === first.out.traceId)).toHaveLength(1);
  }, 60_000);

  it('a full request is shipped without waiting for the delay', async () => {
    const rx = await receiver();
    const env = freshEnv({
      OTEL_EXPORTER_OTLP_ENDPOINT: rx.url,
      DEVTOOL_TELEMETRY_SHIP: 'batched',
      DEVTOOL_TELEMETRY_SHIP_DELAY_MS: '600000', // 10 min: only the count can trigger a request
      DEVTOOL_TELEMETRY_SHIPPER_LINGER_MS: '0',
      DEVTOOL_TELEMETRY_SHIPPER_REQUEST_BATCHES: '3',
      DTT_BATCHES: '3',
    });
    const w = await runWriter(env, 'full');
    await rx.waitFor(() => rx.spans().length >= 3, 20_000);
    await waitShipperGone(env, 20_000);
    expect(spoolFiles(env)).toEqual([]);
    expect(w.out.written.ok).toBe(true);
  }, 40_000);
});

describe('cadence options', () => {
  const name = (createdAt: number): BatchName => ({ file: `${createdAt}.batch`, createdAt, pid: 1, id: 'a', records: 1, bytes: 10 });
  const opts = { gatherDelayMs: 10_000, lingerMs: 60_000, maxBatchesPerRequest: 16 };

  it('worth shipping: by the oldest batch age, by count, never later than delay after first seen', () => {
    expect(msUntilWorthShipping([], opts, 50_000, Infinity)).toBe(Infinity);
    expect(msUntilWorthShipping([name(45_000), name(49_000)], opts, 50_000, 50_000)).toBe(5_000);
    expect(msUntilWorthShipping([name(30_000)], opts, 50_000, 50_000)).toBe(0);
    expect(msUntilWorthShipping(Array.from({ length: 16 }, () => name(49_999)), opts, 50_000, 50_000)).toBe(0);
    // A batch stamped in the future (clock set back) waits at most the delay from when it was seen.
    expect(msUntilWorthShipping([name(9_000_000)], opts, 50_000, 45_000)).toBe(5_000);
  });

  it('an idle shipper looks often enough to see a batch before it is due, and not more', () => {
    expect(idlePollMs(10_000)).toBe(5_000);
    expect(idlePollMs(4_000)).toBe(2_000);
    expect(idlePollMs(0)).toBe(500);
    expect(idlePollMs(600_000)).toBe(5_000);
  });

  it('a waiting shipper never sleeps past a heartbeat (each wake-up beats its lock), and never longer than it must', () => {
    for (const look of [WATCHED_POLL_MS, 5_000]) {
      // A batch due in 10 minutes (the longest gather delay): woken each heartbeat, watched or not.
      expect(nextSleepMs(600_000, 600_000, 900_000, look)).toBe(HEARTBEAT_MS);
      // One due sooner: slept until due in one sleep, even when looks are more frequent (no watch).
      expect(nextSleepMs(50_000, 600_000, 900_000, look)).toBe(50_000);
      // Idle: until the next look or the linger's end.
      expect(nextSleepMs(Infinity, 600_000, 900_000, look)).toBe(look);
      expect(nextSleepMs(Infinity, 3_000, 900_000, look)).toBe(3_000);
      // Never past the deadline; never a busy loop.
      expect(nextSleepMs(30_000, 60_000, 2_000, look)).toBe(2_000);
      expect(nextSleepMs(0, 0, 0, look)).toBe(1);
    }
    expect(WATCHED_POLL_MS).toBeLessThanOrEqual(HEARTBEAT_MS);
  });

  it('the wait loop asks alive() (where the shipper beats its lock) at every wake-up', async () => {
    const env = freshEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9' });
    const opts = { gatherDelayMs: 600_000, lingerMs: 600_000, maxBatchesPerRequest: 16 };
    const loop = async () => {
      const sleeps: number[] = [];
      let asked = 0;
      const result = await waitForWork(env, opts, Date.now() + 900_000, () => ++asked <= 3, async (ms) => void sleeps.push(ms));
      return { result, sleeps, asked };
    };
    // Idle (no watch with an injected sleep): a look every idlePollMs, each one asking.
    expect(await loop()).toEqual({ result: 'stop', sleeps: [5_000, 5_000, 5_000], asked: 4 });
    // A batch due in 10 minutes: woken, and asking, every heartbeat; not once, at the end.
    const batch: Batch = { v: 1, id: 'cadence-test-batch', createdAt: Date.now(), level: 'usage', resource: {}, spans: [], metrics: [] };
    expect(writeBatch(batch, env).ok).toBe(true);
    expect(await loop()).toEqual({ result: 'stop', sleeps: [HEARTBEAT_MS, HEARTBEAT_MS, HEARTBEAT_MS], asked: 4 });
  });

  it('mode: batched by default, immediate under CI or when asked; immediate neither gathers nor lingers', () => {
    expect(shipMode({})).toBe('batched');
    expect(shipMode({ CI: 'true' })).toBe('immediate');
    expect(shipMode({ CI: 'true', DEVTOOL_TELEMETRY_SHIP: 'batched' })).toBe('batched');
    expect(shipMode({ DEVTOOL_TELEMETRY_SHIP: ' Immediate ' })).toBe('immediate');
    expect(shipMode({ DEVTOOL_TELEMETRY_SHIP: 'nonsense' })).toBe('batched');
    const imm = shipperOptions({ DEVTOOL_TELEMETRY_SHIP: 'immediate', DEVTOOL_TELEMETRY_SHIP_DELAY_MS: '5000' });
    expect([imm.gatherDelayMs, imm.lingerMs]).toEqual([0, 0]);
    const b = shipperOptions({});
    expect([b.gatherDelayMs, b.lingerMs]).toEqual([60_000, 60_000]);
    // Bounded whatever the variables say.
    const big = shipperOptions({ DEVTOOL_TELEMETRY_SHIP_DELAY_MS: '99999999999', DEVTOOL_TELEMETRY_SHIPPER_LINGER_MS: '99999999999' });
    expect(big.gatherDelayMs).toBeLessThanOrEqual(600_000);
    expect(big.lingerMs).toBeLessThanOrEqual(600_000);
  });
});
