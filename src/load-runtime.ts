/**
 * Loads the runtime bundle (dist/cjs/runtime.js) for an enabled run, through a V8 code cache
 * kept in our cache dir, as v8-compile-cache did for Node before 22: compiling the ~200 KB bundle
 * and lazily compiling the functions a run uses costs several ms per process; with the cache V8
 * skips both. The module is registered in the require cache exactly as `require` would, so the
 * app's `require('devtool-telemetry')` gets the same instance. Any problem (no cache yet, a
 * rejected or unreadable cache, a read-only disk) falls back to a plain require; the cache is
 * (re)written at exit, after the run compiled what it uses.
 */
import fs = require('node:fs');
import path = require('node:path');
import { cacheDir } from './config/paths';

type Runtime = typeof import('./runtime');

interface ModuleLike {
  exports: unknown;
  filename: string;
  paths: string[];
  loaded: boolean;
  require(id: string): unknown;
}
interface ModuleClass {
  new (id: string, parent: unknown): ModuleLike;
  _cache: Record<string, ModuleLike | undefined>;
  _nodeModulePaths(dir: string): string[];
  wrap(source: string): string;
}

export interface Loaded {
  runtime: Runtime;
  /**
   * Call after the recorder installed its exit hooks: writes the code cache at exit, after the
   * run's own flush compiled what it uses. Undefined when the cache was used as it is.
   */
  saveCodeCacheAtExit?: () => void;
}

export function loadRuntime(env: NodeJS.ProcessEnv): Loaded {
  const filename = path.join(__dirname, 'runtime.js');
  const Module = module.constructor as unknown as ModuleClass;
  const cached = Module._cache[filename];
  if (cached) return { runtime: cached.exports as Runtime };
  try {
    // Only the built bundle is cached (under the test runner this file runs from src/).
    if (path.basename(__dirname) === 'cjs') return loadCached(Module, filename, env);
  } catch {
    delete Module._cache[filename];
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return { runtime: require('./runtime') as Runtime };
}

function loadCached(Module: ModuleClass, filename: string, env: NodeJS.ProcessEnv): Loaded {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const vm = require('node:vm') as typeof import('node:vm');
  const source = fs.readFileSync(filename, 'utf8');
  // A cheap key: V8 itself rejects a cache whose source or V8 version differ.
  const stat = fs.statSync(filename);
  const cacheFile = path.join(cacheDir(env), `v8-${process.version}-${process.arch}-${stat.size}-${Math.round(stat.mtimeMs)}.cache`);
  let cachedData: Buffer | undefined;
  try {
    cachedData = fs.readFileSync(cacheFile);
  } catch {
    /* first run of this version */
  }
  const script = new vm.Script(Module.wrap(source), { filename, cachedData });
  const fn = script.runInThisContext() as (e: unknown, r: unknown, m: unknown, f: string, d: string) => void;
  const mod = new Module(filename, module);
  mod.filename = filename;
  mod.paths = Module._nodeModulePaths(path.dirname(filename));
  Module._cache[filename] = mod;
  const req = Object.assign((id: string) => mod.require(id), { cache: Module._cache, main: require.main });
  fn.call(mod.exports, mod.exports, req, mod, filename, path.dirname(filename));
  mod.loaded = true;
  const runtime = mod.exports as Runtime;
  if (cachedData && !script.cachedDataRejected) return { runtime };
  return { runtime, saveCodeCacheAtExit: () => process.once('exit', () => writeCache(script, cacheFile)) };
}

function writeCache(script: import('node:vm').Script, file: string): void {
  try {
    const data = script.createCachedData();
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, data, { mode: 0o600 });
    fs.renameSync(tmp, file);
  } catch {
    /* read-only or full disk: the next run compiles as usual */
  }
}
