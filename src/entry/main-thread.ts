/**
 * Is this the main thread? Asked by the preload on every enabled start (a preload given in
 * execArgv or NODE_OPTIONS also runs in each Worker, which must record nothing). The public answer,
 * `require('node:worker_threads').isMainThread`, loads the worker machinery (internal/worker, its
 * message ports and perf hooks: ~1.5 ms, the largest builtin load of our start). Node itself marks
 * a thread that does not own the process: there `process.chdir` is its `unavailableInWorker` stub
 * (flagged `disabled`, Node 20, 22 and 24 alike). So: a stub means a worker; the real, native-backed
 * chdir means the main thread; anything else (another preload replaced chdir first) asks
 * worker_threads as before. Never wrong in the unsafe direction: only Node's own chdir says "main".
 */
type Chdir = ((dir: string) => void) & { disabled?: unknown };

export function isMainThread(): boolean {
  const chdir = process.chdir as Chdir | undefined;
  if (typeof chdir === 'function') {
    if (chdir.disabled === true || chdir.name === 'unavailableInWorker') return false;
    // Node's own chdir (`wrappedChdir` in lib/internal/bootstrap/switches/does_own_process_state.js,
    // set only where the thread owns the process) calls the native binding; its source says so.
    if (!('disabled' in chdir) && Function.prototype.toString.call(chdir).indexOf('rawMethods.chdir(') >= 0) return true;
  }
  return (require('node:worker_threads') as typeof import('node:worker_threads')).isMainThread;
}
