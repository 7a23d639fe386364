/**
 * Automatic capture of LLM requests made through the `openai` and `@anthropic-ai/sdk` clients,
 * installed by the agent at start (level `usage` and above). Nothing is patched, and no client
 * code of ours loads, until the app itself loads one of those packages.
 *
 * Decision: we do not use `@opentelemetry/instrumentation-openai` (nor require-/import-in-the-
 * middle). It needs `@opentelemetry/instrumentation` + `@opentelemetry/api` at start (~30 ms for the
 * API alone on this machine, against a +20 ms budget for the whole preload) and an OTel
 * TracerProvider/LoggerProvider our lean recorder does not have; it emits prompt and completion
 * content as log events (a second path around our level model); and it covers `openai` only.
 * Our hooks are a few lines each:
 *   - CommonJS: a `Module._load` wrapper that costs two string compares per `require` (measured in
 *     bench/llm-overhead.mjs) and patches the client's prototypes right after it loads;
 *   - ESM: a load hook (esm-loader.ts) that hands the client's ESM namespace to the same patcher.
 *     On Node 20 it needs `module.register()`, which starts a hooks thread and routes every module
 *     load through it (+40-60 ms measured, more for apps importing many modules), so it is
 *     installed only when the entry is an ES module AND the tool's package.json declares `openai`
 *     or `@anthropic-ai/sdk`; every other app pays nothing for it. Where Node has synchronous
 *     in-thread hooks (`module.registerHooks`, 22.15+) those are used instead.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Agent } from '../recorder/global';
import type { LoadResult } from './esm-loader';

const HOOKED = Symbol.for('devtool-telemetry.require-hook');
/** Must match CALLBACK in esm-loader.ts. */
export const ESM_CALLBACK = Symbol.for('devtool-telemetry.esm-client-loaded');

type LoadFn = (this: unknown, request: string, parent: unknown, isMain: boolean) => unknown;
interface ModuleInternals {
  _load: LoadFn & { [HOOKED]?: true };
  _resolveFilename(request: string, parent: unknown, isMain: boolean): string;
  _cache?: Record<string, { exports?: unknown } | undefined>;
  register?: (specifier: string, parentURL?: string) => void;
  registerHooks?: (hooks: { load: (url: string, context: unknown, nextLoad: SyncNextLoad) => LoadResult }) => unknown;
}
type SyncNextLoad = (url: string, context?: unknown) => LoadResult;

export function installInstrumentations(agent: Agent): void {
  if (!agent.run.allows('usage')) return; // LLM requests are `usage` records
  try {
    // The CommonJS Module class, without loading the public `node:module` API (~0.3 ms at start).
    const Module = module.constructor as unknown as ModuleInternals;
    installRequireHook(Module);
    patchAlreadyLoaded(Module);
  } catch {
    /* never break the app's require */
  }
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    if (esmEntry(agent) && declaresClient(agent.tool.root)) installEsmHook(require('node:module') as ModuleInternals);
  } catch {
    /* ESM apps then run uninstrumented */
  }
}

function loaded(name: string, version: string | undefined, exports: unknown, via: 'require' | 'import'): void {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  (require('./packages') as typeof import('./packages')).onClientLoaded(name, version, exports, via);
}

function installRequireHook(Module: ModuleInternals): void {
  const original = Module._load;
  if (typeof original !== 'function' || original[HOOKED]) return;
  const seen = new WeakSet<object>();
  const hooked = function (this: unknown, request: string, parent: unknown, isMain: boolean): unknown {
    // eslint-disable-next-line prefer-rest-params
    const exports = original.apply(this, arguments as unknown as [string, unknown, boolean]);
    if ((request === 'openai' || request === '@anthropic-ai/sdk') && exports && !seen.has(exports as object)) {
      seen.add(exports as object);
      try {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const { versionFromFile } = require('./packages') as typeof import('./packages');
        loaded(request, versionFromFile(request, Module._resolveFilename(request, parent, isMain)), exports, 'require');
      } catch {
        /* leave the client alone */
      }
    }
    return exports;
  } as ModuleInternals['_load'];
  hooked[HOOKED] = true;
  Module._load = hooked;
}

/**
 * `start()` called after the app already required a client: patch the copies in the require
 * cache. Under the preload the cache is nearly empty here, so this costs a few key checks.
 */
function patchAlreadyLoaded(Module: ModuleInternals): void {
  const cache = Module._cache;
  if (!cache) return;
  for (const file of Object.keys(cache)) {
    const name = file.endsWith(`${path.sep}openai${path.sep}index.js`)
      ? 'openai'
      : file.endsWith(`${path.sep}@anthropic-ai${path.sep}sdk${path.sep}index.js`)
        ? '@anthropic-ai/sdk'
        : undefined;
    const exports = name ? cache[file]?.exports : undefined;
    if (!name || !exports) continue;
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { versionFromFile } = require('./packages') as typeof import('./packages');
    loaded(name, versionFromFile(name, file), exports, 'require');
  }
}

/** Is the entry script an ES module? (.mjs, or .js under `"type": "module"`.) */
function esmEntry(agent: Agent): boolean {
  const entry = process.argv[1] ?? '';
  if (entry.endsWith('.mjs')) return true;
  if (entry.endsWith('.cjs')) return false;
  return readPackage(agent.tool.root)?.type === 'module';
}

interface PackageJson {
  type?: unknown;
  dependencies?: Record<string, unknown>;
  devDependencies?: Record<string, unknown>;
  optionalDependencies?: Record<string, unknown>;
  peerDependencies?: Record<string, unknown>;
}

function readPackage(root: string | undefined): PackageJson | undefined {
  if (!root) return undefined;
  try {
    const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as unknown;
    return pkg && typeof pkg === 'object' ? (pkg as PackageJson) : undefined;
  } catch {
    return undefined;
  }
}

function declaresClient(root: string | undefined): boolean {
  const pkg = readPackage(root);
  if (!pkg) return false;
  for (const deps of [pkg.dependencies, pkg.devDependencies, pkg.optionalDependencies, pkg.peerDependencies]) {
    if (deps && typeof deps === 'object' && ('openai' in deps || '@anthropic-ai/sdk' in deps)) return true;
  }
  return false;
}

function installEsmHook(Module: ModuleInternals): void {
  const g = globalThis as { [ESM_CALLBACK]?: unknown };
  if (g[ESM_CALLBACK]) return;
  const hand = (name: string, version: string | null, ns: unknown) => loaded(name, version ?? undefined, ns, 'import');
  if (typeof Module.registerHooks === 'function') {
    // Node 22.15+: synchronous hooks in this thread, no hooks thread and no per-module messaging.
    // (Not exercised by the test suite, which runs on Node 20: there the branch below is taken.)
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { instrumentSource } = require('./esm-loader') as typeof import('./esm-loader');
    g[ESM_CALLBACK] = hand;
    Module.registerHooks({ load: (url, context, nextLoad) => instrumentSource(url, nextLoad(url, context)) });
    return;
  }
  if (typeof Module.register !== 'function') return; // Node < 20.6
  g[ESM_CALLBACK] = hand;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { pathToFileURL } = require('node:url') as typeof import('node:url');
  Module.register(pathToFileURL(path.join(__dirname, 'esm-loader.js')).href);
}
