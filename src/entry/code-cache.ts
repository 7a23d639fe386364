/**
 * Loads the runtime bundle (dist/cjs/runtime.js) for an enabled run through a V8 code cache
 * (storage/code-cache.ts): compiling the ~300 KB bundle and the functions a run uses costs several
 * ms per process. The module lands in the require cache, so the app's `require('devtool-telemetry')`
 * gets the same instance.
 */
import path = require('node:path');
import { loadWithCodeCache } from '../storage/code-cache';
import { mark, printProfile } from '../diagnostics/profile';

/** Set by the build (scripts/build.mjs) in the preload bundle only; absent elsewhere (no cache). */
declare const __RUNTIME_SHA256__: string | undefined;
const BUNDLE_SHA256 = typeof __RUNTIME_SHA256__ === 'string' ? __RUNTIME_SHA256__ : undefined;

type Runtime = typeof import('./runtime');

export interface Loaded {
  runtime: Runtime;
  /**
   * Call after the recorder installed its exit hooks: writes the code cache at exit, after the
   * run's own flush compiled what it uses. Undefined when the cache was used as it is.
   */
  saveCodeCacheAtExit?: () => void;
}

export function loadRuntime(env: NodeJS.ProcessEnv): Loaded {
  // Only the built bundle is cached (under the test runner this file runs from src/), and only by
  // the preload bundle, which knows the bundle's checksum.
  if (!BUNDLE_SHA256 || path.basename(__dirname) !== 'cjs') return { runtime: require('./runtime') as Runtime };
  const { exports, save } = loadWithCodeCache(path.join(__dirname, 'runtime.js'), BUNDLE_SHA256, env);
  return {
    runtime: exports as Runtime,
    // Registered after the recorder's exit hooks, so it runs after them and captures what they compiled.
    saveCodeCacheAtExit: save && (() => process.once('exit', () => {
      save();
      mark('exit: code cache write');
      printProfile();
    })),
  };
}
