/**
 * How a waiting shipper sleeps: until its timer, or until the spool directory changes, whichever
 * comes first. A lingering shipper used to look at the spool every few seconds (a wake-up, a trust
 * check and a readdir each time, ~0.5 ms of CPU): over a minute's linger per burst, and over the
 * whole span of runs a few tens of seconds apart, those looks cost more than the shipments. With
 * an inotify/FSEvents watch (fs.watch) the kernel wakes it when a run renames a batch in, and an
 * idle shipper costs nothing.
 *
 * The watch only shortens sleeps; the timer still bounds every one, so nothing depends on it:
 * where fs.watch is unavailable (no inotify instances left, a network file system, a directory
 * that is not there yet) or the directory was replaced (`reset`), the shipper looks every
 * `fallbackPollMs`, as before.
 */
import fs = require('node:fs');

export interface SpoolWaker {
  /**
   * Resolves after `ms`, or earlier when the directory changed if `wakeOnChange` (an idle shipper
   * waiting for a first batch; one that waits for a batch to come of age sleeps through new ones).
   */
  sleep(ms: number, wakeOnChange?: boolean): Promise<void>;
  /** True while a watch is in place (sleeps may then be long: a change wakes us). */
  readonly watching: boolean;
  close(): void;
}

export function watchSpool(dir: string): SpoolWaker {
  let watcher: fs.FSWatcher | undefined;
  let ino: number | undefined;
  let wake: (() => void) | undefined;
  let changed = false;
  /** An event came: the watch is renewed before the next sleep (the directory may be a new one). */
  let renew = false;

  const stop = () => {
    try {
      watcher?.close();
    } catch {
      /* closed */
    }
    watcher = undefined;
    ino = undefined;
  };
  const ensure = () => {
    if (renew) {
      // After a change the directory may have been removed and made again (`reset`), even under
      // the same inode number: a watch on the removed one would never fire again. Watching anew
      // after each event costs one inotify_add_watch, and events are few (a batch or two a run).
      renew = false;
      stop();
    }
    let st: fs.Stats | undefined;
    try {
      st = fs.statSync(dir, { throwIfNoEntry: false });
    } catch {
      st = undefined;
    }
    if (watcher && st && st.ino === ino) return;
    stop(); // gone or replaced: a watch on the old directory would never fire
    if (!st?.isDirectory()) return;
    try {
      // persistent: false: the watch never keeps the process alive by itself (the timer does).
      const w = fs.watch(dir, { persistent: false }, () => {
        changed = true;
        renew = true;
        wake?.();
      });
      w.on('error', () => stop());
      watcher = w;
      ino = st.ino;
    } catch {
      watcher = undefined; // ENOSPC (inotify limits), EPERM, unsupported: the timer alone
    }
  };
  ensure();

  return {
    get watching() {
      return watcher !== undefined;
    },
    sleep(ms, wakeOnChange = true) {
      ensure();
      if (!wakeOnChange) {
        changed = false; // the caller looks again after this sleep in any case
        return new Promise((resolve) => setTimeout(resolve, ms));
      }
      if (changed) {
        // Something changed since the caller last looked: look again now.
        changed = false;
        return Promise.resolve();
      }
      return new Promise((resolve) => {
        const done = () => {
          clearTimeout(timer);
          wake = undefined;
          changed = false;
          resolve();
        };
        const timer = setTimeout(done, ms);
        wake = done;
      });
    },
    close() {
      wake = undefined;
      stop();
    },
  };
}
