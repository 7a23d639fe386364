/**
 * Automatic capture of LLM requests made through the `openai` and `@anthropic-ai/sdk` clients, and
 * of MCP tool calls (`@modelcontextprotocol/sdk` Client),
 * installed by the recorder at start (level `usage` and above). Nothing is patched, and no client
 * code of ours loads, until the app itself loads one of those packages.
 *
 * Decision: we do not use `@opentelemetry/instrumentation-openai` (nor require-/import-in-the-
 * middle). It needs `@opentelemetry/instrumentation` + `@opentelemetry/api` at start (~30 ms for the
 * API alone on this machine, against a +20 ms budget for the whole preload) and an OTel
 * TracerProvider/LoggerProvider our lean recorder does not have; it emits prompt and completion
 * content as log events (a second path around our level model); and it covers `openai` only.
 * Our hooks are a few lines each:
 *   - CommonJS: a one-shot trap on the require-cache slot where the app's `require('openai')` will
 *     land (see installRequireHook: nothing of ours is ever on the app's stack), patching the
 *     client's prototypes right after it loads;
 *   - ESM: a load hook (esm-loader.ts) that hands the client's ESM namespace to the same patcher.
 *     Each Node version gets what it does best, and both are skipped when no client is installed
 *     where the app can reach it (reach.ts: node_modules directories from the entry up, pnpm's store;
 *     whether the app declares it or gets it through a framework does not matter; a few stats at
 *     start, no JSON parsed):
 *       - 22.15+ / 23.5+ (`module.registerHooks`): synchronous hooks in this thread, one function
 *         call per module load.
 *       - 20.6+ / 22.0-22.14 (`module.register` only): a hooks thread that every module load is
 *         routed through (+40-60 ms measured, more for apps importing many modules), so only for
 *         ES-module entries with a reachable client; every other app pays nothing for it.
 *     CommonJS entries keep the require hook alone on every version (require(esm), on by default
 *     from 22.12, loads a client's CJS build through require: the same hook sees it).
 */
import fs = require('node:fs');
import path = require('node:path');
import type { Recorder } from '../recorder/current';
import type { LoadResult } from './esm-loader';
import { TRAPS, clientInstalled, parentAt, wrapperParents } from './reach';

/** Must match CALLBACK in esm-loader.ts. */
export const ESM_CALLBACK = Symbol.for('devtool-telemetry.esm-client-loaded');

interface ModuleInternals {
  _resolveFilename(request: string, parent: unknown, isMain: boolean): string;
  _cache?: Record<string, { exports?: unknown } | undefined>;
  register?: (specifier: string, parentURL?: string) => void;
  registerHooks?: (hooks: { load: (url: string, context: unknown, nextLoad: SyncNextLoad) => LoadResult }) => unknown;
}
type SyncNextLoad = (url: string, context?: unknown) => LoadResult;

export function installInstrumentations(recorder: Recorder): void {
  if (!recorder.run.allows('usage')) return; // LLM requests are `usage` records
  // The CommonJS Module class, without loading the public `node:module` API (~0.3 ms at start).
  const Module = module.constructor as unknown as ModuleInternals;
  try {
    patchAlreadyLoaded(Module);
  } catch {
    /* leave loaded clients alone */
  }
  const entry = process.argv[1];
  let reachable = false;
  try {
    reachable = !!entry && clientInstalled(path.dirname(path.resolve(entry)));
  } catch {
    /* unreadable tree: treat as no client */
  }
  if (!reachable) return; // the common case for tools that use no LLM: nothing installed, nothing paid
  try {
    installRequireHook(Module);
  } catch {
    /* never break the app's require */
  }
  try {
    if (esmEntry(recorder)) installEsmHook(require('node:module') as ModuleInternals);
  } catch {
    /* ESM apps then run uninstrumented */
  }
}

function loaded(name: string, version: string | undefined, exports: unknown, via: 'require' | 'import'): void {
  (require('./packages') as typeof import('./packages')).onClientLoaded(name, version, exports, via);
}

/**
 * Patch a client right after its CommonJS entry finished loading, without putting any function of
 * ours on the stack while app or client code runs: wrapping `Module._load` (as require-in-the-middle
 * does) adds a frame to every stack trace of an app that crashes during start-up, which changes what
 * it prints. Instead we resolve where the app's `require('openai')` would land (from the entry
 * script's directory, once, at start) and put a one-shot accessor on that require-cache slot; when
 * Node stores the new Module there, we watch its `loaded` flag and patch the exports when Node sets
 * it to true. Both accessors turn back into plain data properties as soon as they fire.
 */
function installRequireHook(Module: ModuleInternals): void {
  const cache = Module._cache;
  const M = Module as unknown as Parameters<typeof parentAt>[0];
  const entry = process.argv[1];
  if (!cache || !entry || typeof M._nodeModulePaths !== 'function') return;
  const main = parentAt(M, path.resolve(entry));
  // The entry's own `require('openai')`, then the copies frameworks would load (reach.ts).
  const trapped = new Set<string>();
  for (const parent of [main, ...wrapperParents(M, main)]) {
    for (const { name, request } of TRAPS) {
      let file: string;
      try {
        file = Module._resolveFilename(request, parent, false);
      } catch {
        continue; // not installed where that module would find it: nothing to watch
      }
      if (trapped.has(file) || Object.prototype.hasOwnProperty.call(cache, file)) continue; // loaded already: patchAlreadyLoaded
      trapped.add(file);
      trapCacheSlot(cache as Record<string, unknown>, file, (mod) => watchLoaded(mod, name, file));
    }
  }
}

function trapCacheSlot(cache: Record<string, unknown>, file: string, onStore: (mod: Record<string, unknown>) => void): void {
  Object.defineProperty(cache, file, {
    configurable: true,
    enumerable: false,
    get: () => undefined,
    set(mod: unknown) {
      Object.defineProperty(cache, file, { value: mod, writable: true, enumerable: true, configurable: true });
      if (mod && typeof mod === 'object') {
        try {
          onStore(mod as Record<string, unknown>);
        } catch {
          /* leave the client alone */
        }
      }
    },
  });
}

function watchLoaded(mod: Record<string, unknown>, name: string, file: string): void {
  let value = mod.loaded;
  Object.defineProperty(mod, 'loaded', {
    configurable: true,
    enumerable: true,
    get: () => value,
    set(v: unknown) {
      value = v;
      Object.defineProperty(mod, 'loaded', { value: v, writable: true, enumerable: true, configurable: true });
      if (v !== true || !mod.exports) return;
      try {
        const { versionFromFile } = require('./packages') as typeof import('./packages');
        loaded(name, versionFromFile(name, file), mod.exports, 'require');
      } catch {
        /* leave the client alone */
      }
    },
  });
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
        : file.endsWith(['', '@google', 'genai', 'dist', 'node', 'index.cjs'].join(path.sep))
          ? '@google/genai'
          : file.endsWith(['', '@modelcontextprotocol', 'sdk', 'dist', 'cjs', 'client', 'index.js'].join(path.sep))
          ? '@modelcontextprotocol/sdk'
          : undefined;
    const exports = name ? cache[file]?.exports : undefined;
    if (!name || !exports) continue;
    const { versionFromFile } = require('./packages') as typeof import('./packages');
    loaded(name, versionFromFile(name, file), exports, 'require');
  }
}

/** Is the entry script an ES module? (.mjs, or .js under `"type": "module"`.) */
function esmEntry(recorder: Recorder): boolean {
  const entry = process.argv[1] ?? '';
  if (entry.endsWith('.mjs')) return true;
  if (entry.endsWith('.cjs')) return false;
  return readPackage(recorder.tool.root)?.type === 'module';
}

interface PackageJson {
  type?: unknown;
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

function installEsmHook(Module: ModuleInternals): void {
  const g = globalThis as { [ESM_CALLBACK]?: unknown };
  if (g[ESM_CALLBACK]) return;
  const hand = (name: string, version: string | null, ns: unknown) => loaded(name, version ?? undefined, ns, 'import');
  if (typeof Module.registerHooks === 'function') {
    // Node 22.15+: synchronous hooks in this thread, no hooks thread and no per-module messaging.
    // (Exercised by test/llm/capture.test.ts under Node 22 and 24: scripts/test-node-versions.mjs.)
    const { instrumentSource } = require('./esm-loader') as typeof import('./esm-loader');
    g[ESM_CALLBACK] = hand;
    Module.registerHooks({ load: (url, context, nextLoad) => instrumentSource(url, nextLoad(url, context)) });
    return;
  }
  if (typeof Module.register !== 'function') return; // Node < 20.6
  g[ESM_CALLBACK] = hand;
  const { pathToFileURL } = require('node:url') as typeof import('node:url');
  const { distFile } = require('../storage/package-root') as typeof import('../storage/package-root');
  Module.register(pathToFileURL(distFile('instrument', 'esm-loader.js')).href);
}
