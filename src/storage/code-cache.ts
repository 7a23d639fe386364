/**
 * Loads one of our bundles through a V8 code cache kept in our cache dir, as v8-compile-cache did for
 * Node before 22: compiling a bundle and lazily compiling the functions a process uses costs several
 * ms (the runtime bundle, in every enabled run) to ~20 ms (the shipper's send path, in every
 * shipper); with the cache V8 skips both. The module is registered in the require cache exactly as
 * `require` would, so a later `require` of the same file gets the same instance. Any problem (no
 * cache yet, a rejected or unreadable cache, a read-only disk) falls back to compiling as usual; the
 * cache is (re)written late, once the process compiled what it uses (a run: at exit; the shipper:
 * before it releases its lock).
 *
 * A code cache is code: V8 accepts a cache compiled from other source of the same length. So one is
 * read only from a cache dir that is ours (trusted-dir.ts), only from a regular file of ours opened
 * without following a link, and only when its header names the SHA-256 the build recorded for the
 * bundle (no hashing at start-up) and the bundle file's size, mtime and inode as they are now. Written exclusively (O_EXCL|O_NOFOLLOW) and renamed into
 * place. Caches are pruned when a new one is written, once a month old (see pruneStale: a cache still
 * in use is written again by its next process).
 */
import fs = require('node:fs');
import path = require('node:path');
import type { Script } from 'node:vm';
import { cacheDir } from './paths';
import { explainUntrusted, readOwnFile, removeOlderThan, trustDir, writeExclusive } from './trusted-dir';

const MAX_CACHE = 16 << 20;

/**
 * `DTVC2 <sha256 of the bundle> <size> <mtime> <inode>\n`, then V8's data. The checksum is the one
 * the build recorded; the file's identity ties the cache to the file as it is now, so a bundle edited
 * in place (a patched digit keeps its length, which is all V8 checks) never runs from an old cache.
 */
function cacheHeader(sha: string, st: fs.Stats): Buffer {
  return Buffer.from(`DTVC2 ${sha} ${st.size} ${Math.trunc(st.mtimeMs)} ${st.ino}\n`, 'latin1');
}

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

export interface CachedLoad {
  exports: unknown;
  /**
   * Writes the cache now: call it late (at exit, or once the process's work is done), so it
   * captures what that work compiled. Undefined when the cache was used as it is, or cannot be kept.
   */
  save?: () => void;
}

/** The module at `filename` (a bundle whose SHA-256 is `sha`), from the require cache, the code cache, or compiled. */
export function loadWithCodeCache(filename: string, sha: string, env: NodeJS.ProcessEnv): CachedLoad {
  const Module = module.constructor as unknown as ModuleClass;
  const cached = Module._cache[filename];
  if (cached) return { exports: cached.exports };
  try {
    return loadCached(Module, filename, env, sha);
  } catch {
    delete Module._cache[filename];
  }
  return { exports: require(filename) as unknown };
}

function loadCached(Module: ModuleClass, filename: string, env: NodeJS.ProcessEnv, sha: string): CachedLoad {
  const vm = require('node:vm') as typeof import('node:vm');
  // Read by path ('utf8' is Node's one-call fast path), between two looks at the file's identity:
  // a file changed meanwhile gets no cache.
  const st = fs.statSync(filename);
  const source = fs.readFileSync(filename, 'utf8');
  const again = fs.statSync(filename);
  const same = again.ino === st.ino && again.size === st.size && again.mtimeMs === st.mtimeMs;
  const dir = cacheDir(env);
  // Per Node version and bundle: V8 rejects another V8's cache, the header check another bundle's.
  const cacheFile = path.join(dir, `v8-${process.version}-${process.arch}-${sha.slice(0, 16)}.cache`);
  const header = cacheHeader(sha, st);
  let cachedData: Buffer | undefined;
  const trust = trustDir(dir);
  const untrusted = !trust.ok && !trust.missing;
  if (untrusted) explainUntrusted(env, 'code cache', trust);
  else if (trust.ok && same) {
    try {
      const buf = readOwnFile(cacheFile, MAX_CACHE);
      if (buf.length > header.length && buf.subarray(0, header.length).equals(header)) cachedData = buf.subarray(header.length);
    } catch {
      /* first run of this version, or not a file of ours: compile as usual */
    }
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
  if (cachedData && !script.cachedDataRejected) return { exports: mod.exports };
  // Not into a directory we found untrusted (it stays as it is; nothing of ours goes in there), and
  // not for a file that changed while it was read.
  if (untrusted || !same) return { exports: mod.exports };
  return { exports: mod.exports, save: () => writeCacheFile(script, cacheFile, header) };
}

function writeCacheFile(script: Script, file: string, header: Buffer): void {
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    if (!trustDir(path.dirname(file), { create: true }).ok) return;
    writeExclusive(tmp, header, script.createCachedData());
  } catch {
    return; // read-only or full disk, or something planted at our temp name: left alone
  }
  try {
    fs.renameSync(tmp, file);
  } catch {
    try {
      fs.unlinkSync(tmp); // ours: created exclusively above
    } catch {
      /* gone */
    }
    return;
  }
  pruneStale(path.dirname(file), path.basename(file), Date.now());
}

const CACHE_NAME = /^v8-.+\.cache(?:\.\d+\.tmp)?$/;
const STALE_CACHE_MS = 30 * 24 * 3600 * 1000;
const STALE_TMP_MS = 3600 * 1000;

/**
 * Every upgrade of this package (and every other copy of it that another tool installs) writes a
 * ~300 KB cache of each of its bundles. A cache in use is read, never rewritten, so its age says
 * nothing; one older than a month is removed here, on the rare run that writes a cache, and a copy
 * still in use rewrites its own on its next run (once a month at most). Temp files of an interrupted
 * write go after an hour. Only files in our cache dir named as we name them.
 */
export function pruneStale(dir: string, keep: string, now: number): void {
  const maxAge = (name: string): number | undefined => {
    if (name === keep || !CACHE_NAME.test(name)) return undefined;
    return name.endsWith('.tmp') ? STALE_TMP_MS : STALE_CACHE_MS;
  };
  removeOlderThan(dir, maxAge, now);
}
