/**
 * At most one shipper per user: `shipper.lock` in the spool dir, created with O_EXCL, holding the
 * owner's pid, a random token and its start time. The owner touches its mtime about every
 * HEARTBEAT_MS. A lock is stale when its pid is dead, or when its heartbeat is older than STALE_MS
 * (a hung shipper, or a reused pid). A stale lock is broken by whoever notices, then taken with
 * O_EXCL again, so two contenders cannot both win; the owner re-checks its token before every
 * state write.
 */
import fs = require('node:fs');
import path = require('node:path');
import { trustDir } from '../storage/trusted-dir';
import { lockFile, spoolRoot } from './layout';

type Env = NodeJS.ProcessEnv;

// A live shipper touches its lock at least every WATCHDOG_MS (give or take event-loop lag); one
// untouched for STALE_MS is hung.
// The touch rides on the wake-ups the shipper has anyway: beat(), at each look at the spool, and
// the cadence never sleeps longer than HEARTBEAT_MS (cadence.ts nextSleepMs). A timer beats only
// when no look came for WATCHDOG_MS: during a long send, and in immediate mode. Waking an idle CPU
// is what costs: on the 2-core virtual machines we measure on, a timer firing after 10 s of
// idleness is charged 10-50 ms of CPU, even in a process doing nothing else, so an idle shipper is
// woken by nothing but its own work. A dead owner is noticed at once anyway (its pid), a hung one
// after STALE_MS. The mtime is wall-clock time: after a laptop's suspend, a live shipper's lock can
// look stale until its next beat; the next run then breaks it and starts a second shipper, and the
// first one stops at its next ownership check.
export const HEARTBEAT_MS = 60_000;
/** The fallback beat: later than any sleep of the cadence (HEARTBEAT_MS), so a waiting shipper's own looks come first. */
export const WATCHDOG_MS = HEARTBEAT_MS + 1_000;
export const STALE_MS = 100_000;

export interface LockInfo {
  pid: number;
  token: string;
  startedAt: number;
}

export interface LockStatus {
  held: boolean;
  /** Present when held (or when a stale lock was found). */
  info?: LockInfo;
  stale?: boolean;
}

export function pidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: it exists but belongs to someone else.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function parseLock(text: string): LockInfo | undefined {
  try {
    const j = JSON.parse(text) as Partial<LockInfo>;
    if (typeof j.pid === 'number' && typeof j.token === 'string' && typeof j.startedAt === 'number') {
      return { pid: j.pid, token: j.token, startedAt: j.startedAt };
    }
  } catch {
    /* torn or foreign */
  }
  return undefined;
}

/** Is a live shipper holding the lock? Cheap: one stat, one small read. Never throws. */
export function lockStatus(env: Env, now = Date.now()): LockStatus {
  const file = lockFile(env);
  try {
    const st = fs.statSync(file);
    const info = parseLock(fs.readFileSync(file, 'utf8'));
    // A lock being written this very moment is empty for a few microseconds: count it as held.
    if (!info) return now - st.mtimeMs < 2_000 ? { held: true } : { held: false, stale: true };
    const stale = !pidAlive(info.pid) || now - st.mtimeMs > STALE_MS;
    return { held: !stale, info, stale };
  } catch {
    return { held: false };
  }
}

export class ShipperLock {
  readonly token = `${process.pid}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
  private timer: NodeJS.Timeout | undefined;
  constructor(private readonly env: Env) {}

  /** Try to take the lock (breaking a stale one). True when we own it. */
  acquire(): boolean {
    const file = lockFile(this.env);
    // Bounded mkdir, and no shipper at all for a destination directory that is not ours.
    if (!trustDir(path.dirname(file), { create: true, root: spoolRoot(this.env) }).ok) return false;
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const fd = fs.openSync(file, 'wx', 0o600);
        try {
          fs.writeSync(fd, JSON.stringify({ pid: process.pid, token: this.token, startedAt: Date.now() }));
        } finally {
          fs.closeSync(fd);
        }
        this.startHeartbeat();
        return this.owned();
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') return false;
      }
      const st = lockStatus(this.env);
      if (st.held || !st.stale) return false;
      // Break it only if it is still the same stale lock we judged (another contender may have
      // replaced it in between).
      try {
        const again = parseLock(fs.readFileSync(file, 'utf8'));
        if (st.info && again && again.token !== st.info.token) return false;
        fs.unlinkSync(file);
      } catch {
        /* someone else broke it: race for it below */
      }
    }
    return false;
  }

  /** Do we still own the lock? (Checked before every state write.) */
  owned(): boolean {
    try {
      return parseLock(fs.readFileSync(lockFile(this.env), 'utf8'))?.token === this.token;
    } catch {
      return false;
    }
  }

  /**
   * Do we still own the lock? If so, mark it alive now and postpone the fallback beat. Called at
   * each of the shipper's own wake-ups (cadence.ts), so a waiting shipper needs no timer of its own.
   */
  beat(): boolean {
    if (!this.owned()) return false;
    this.touch();
    this.timer?.refresh();
    return true;
  }

  private touch(): void {
    try {
      const now = new Date();
      fs.utimesSync(lockFile(this.env), now, now);
    } catch {
      /* next beat */
    }
  }

  private startHeartbeat(): void {
    this.timer = setInterval(() => this.beat(), WATCHDOG_MS);
    this.timer.unref();
  }

  release(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    try {
      if (this.owned()) fs.unlinkSync(lockFile(this.env));
    } catch {
      /* already gone */
    }
  }
}
