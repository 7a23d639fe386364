/**
 * The start record's heartbeat: how a run that dies without running JS (SIGKILL, a native crash)
 * still gets an end time near its real one. The finalizer ends such a run at the record's mtime
 * (the last time the run was known alive, shipper/abandoned-runs.ts), so the record is touched:
 *
 *  - at 1, 2, 4, 8, 16, 32 s after start (doubling): a run that dies at T seconds (T >= 1) was last
 *    seen after T/2, so the recorded duration is at least half the real one; a run under 1 s is
 *    never touched (the hot path pays one unref'd timer, no I/O) and ends at most 1 s late;
 *  - then by the periodic flush (every flush interval, 60 s by default, recorder.ts), or, when that is
 *    off, every 60 s here: a long run's end is off by at most that interval.
 *
 * A touch is one utimes call. The timer is unref'd (never keeps the app alive) and stops when the
 * run ends. A CPU-bound app that never yields runs no timer, so its last beat may be older: the
 * recorded end is a lower bound, never later than the real end (docs/PROCESS-TREES.md).
 */

const FIRST_MS = 1_000;
/** Beats stop doubling here when no periodic flush takes over. */
const CAP_MS = 60_000;

export interface Heartbeat {
  stop(): void;
}

/**
 * Touch at 1, 2, 4, ... s after start, while the next beat comes before the periodic flush's first
 * touch (`flushEveryMs`; 0 = no periodic flush: beat on every CAP_MS).
 */
export function startHeartbeat(touch: () => void, flushEveryMs: number): Heartbeat {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let at = FIRST_MS; // ms after start of the next beat
  const schedule = (delay: number): void => {
    timer = setTimeout(beat, delay);
    timer.unref?.();
  };
  function beat(): void {
    touch();
    const next = at < CAP_MS ? Math.min(at * 2, CAP_MS) : at + CAP_MS;
    // the periodic flush touches from its first period on: no beat needed at or after it
    if (flushEveryMs > 0 && next >= flushEveryMs) {
      timer = undefined;
      return;
    }
    const delay = next - at;
    at = next;
    schedule(delay);
  }
  if (flushEveryMs === 0 || FIRST_MS < flushEveryMs) schedule(FIRST_MS);
  return {
    stop() {
      if (timer) clearTimeout(timer);
      timer = undefined;
    },
  };
}
