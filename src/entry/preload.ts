/**
 * `node --require devtool-telemetry/register app.js` (or `--import`, or NODE_OPTIONS): records this
 * process as one command run. Built into dist/cjs/register.js with gate.ts and code-cache.ts only,
 * so a run with telemetry off loads this one small file; the runtime bundle loads only when on.
 */
import { debugLine, gate } from './gate';
import { mark } from '../diagnostics/profile';

function preload(env: NodeJS.ProcessEnv): void {
  try {
    const g = gate(process.argv[1], undefined, env);
    if (!g.record) return;
    // The recorder lives in the runtime bundle (one bundle with the public API, so the preload and
    // the app's `require('devtool-telemetry')` share one instance of every module); loaded only now.
    const { loadRuntime } = require('./code-cache') as typeof import('./code-cache');
    const { runtime, saveCodeCacheAtExit } = loadRuntime(env);
    mark('runtime load');
    if (runtime.startRecording(g.decision, g.tool, env)) saveCodeCacheAtExit?.();
  } catch (err) {
    debugLine(env, `not started: ${(err as Error)?.name ?? 'error'}`);
  }
}

preload(process.env);
