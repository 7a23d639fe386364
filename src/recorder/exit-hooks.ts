/**
 * Every way a process ends, observed without changing it:
 * - normal end and process.exit(n) (also from async code, also when the app replaced
 *   process.exit): the 'exit' event, where only synchronous work runs — so the flush is sync;
 * - uncaught exceptions and unhandled rejections: 'uncaughtExceptionMonitor' (observes only; an
 *   'uncaughtException' listener would keep the process alive), then 'exit' with Node's own code;
 * - SIGINT/SIGTERM/SIGHUP: when the app has no handler of its own we record, remove ours and
 *   re-raise the signal, so the process still dies by it (shell status 130/143); when the app
 *   has one, it decides, and 'exit' follows if it exits.
 */
import type { ExitInfo } from './run';

const SIGNALS: Record<string, number> = { SIGINT: 2, SIGTERM: 15, SIGHUP: 1 };

export interface ExitObserver {
  onError(err: unknown): void;
  onExit(info: ExitInfo): void;
}

export function installExitHooks(observer: ExitObserver): void {
  let done = false;
  const finish = (info: ExitInfo): void => {
    if (done) return;
    done = true;
    try {
      observer.onExit(info);
    } catch {
      /* never disturb the app's exit */
    }
  };

  process.on('exit', (code) => finish({ code: typeof code === 'number' ? code : Number(process.exitCode ?? 0) || 0 }));
  process.on('uncaughtExceptionMonitor', (err) => {
    try {
      observer.onError(err);
    } catch {
      /* ignore */
    }
  });

  for (const [signal, num] of Object.entries(SIGNALS) as Array<[NodeJS.Signals, number]>) {
    const handler = (): void => {
      if (process.listenerCount(signal) > 1) return; // the app handles it
      process.removeListener(signal, handler);
      finish({ code: 128 + num, signal });
      process.kill(process.pid, signal);
    };
    process.on(signal, handler);
  }
}
