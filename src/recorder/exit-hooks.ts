/**
 * Every way a process ends, observed without changing it:
 * - normal end and process.exit(n) (also from async code, also when the app replaced
 *   process.exit): the 'exit' event, where only synchronous work runs — so the flush is sync;
 * - uncaught exceptions and unhandled rejections: 'uncaughtExceptionMonitor' (observes only; an
 *   'uncaughtException' listener would keep the process alive), then 'exit' with Node's own code;
 * - signals: we install NO signal listener. Any JS listener changes the signal's disposition:
 *   the signal then waits for the event loop (a CPU-bound tool ignores Ctrl-C), and libraries
 *   like signal-exit stand aside when they are not the only listeners (nobody ends the process).
 *   So a signal without an app handler kills the process exactly as under plain node, running no
 *   JS: the start record (spool/start-record.ts) left behind is finalized later as an abnormal end.
 *   When the app (or signal-exit) handles the signal and then re-raises it with
 *   process.kill(process.pid, sig) with no listener left, we see that call: the process is about
 *   to die by that signal, so the run is recorded as interrupted by it, then the call goes on.
 */
import type { ExitInfo } from './run';

/** Signals whose default action ends the process (Node ignores SIGPIPE/SIGXFSZ by default). */
const FATAL = new Set<string>([
  'SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGABRT', 'SIGKILL', 'SIGUSR2', 'SIGALRM', 'SIGBUS',
  'SIGFPE', 'SIGILL', 'SIGSEGV', 'SIGTRAP', 'SIGXCPU',
]);

/** Minimal signal numbers for the shell's 128+n status (the ones a CLI meets). */
const NUMBERS: Record<string, number> = {
  SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGILL: 4, SIGTRAP: 5, SIGABRT: 6, SIGBUS: 7, SIGFPE: 8, SIGKILL: 9,
  SIGUSR2: 12, SIGSEGV: 11, SIGALRM: 14, SIGTERM: 15, SIGXCPU: 24,
};

export interface ExitObserver {
  onError(err: unknown): void;
  onExit(info: ExitInfo): void;
}

/** The signal name a process.kill(pid, sig) call means, or undefined if it is not a fatal one. */
export function fatalSignalName(sig: unknown): NodeJS.Signals | undefined {
  let name: string | undefined;
  if (sig === undefined) name = 'SIGTERM';
  else if (typeof sig === 'string') name = sig;
  else if (typeof sig === 'number') name = Object.keys(NUMBERS).find((k) => NUMBERS[k] === sig);
  return name && FATAL.has(name) ? (name as NodeJS.Signals) : undefined;
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

  // A self-kill with a fatal signal nobody listens to ends the process inside the kill() call
  // (POSIX delivers a self-sent unblocked signal before kill returns): record first, then forward.
  // Same function, same arguments, same result and errors; only the observation is added.
  const original = process.kill;
  const observed = function kill(this: unknown, pid: number, signal?: string | number): true {
    try {
      const name = !done && pid === process.pid ? fatalSignalName(signal) : undefined;
      if (name && (name === 'SIGKILL' || process.listenerCount(name) === 0)) {
        finish({ code: 128 + (NUMBERS[name] ?? 0), signal: name });
      }
    } catch {
      /* observing must never change the call */
    }
    return original.apply(process, [pid, signal] as Parameters<typeof process.kill>);
  };
  process.kill = observed as typeof process.kill;
}
