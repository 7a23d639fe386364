/**
 * Shared helpers for spool and shipper tests: make sure the CommonJS build of our modules is
 * current (the tests run real `node` processes on dist/), run the writer fixture, and wait for the
 * detached shipper to finish.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { beforeAll, expect } from 'vitest';
import type { FlatMetric } from '../support/otlp-receiver';
import { sandboxPerFile } from '../support/hooks';
import { REPO_ROOT, runFixture, type Env, type RunResult, type Sandbox, isAlive, waitUntil } from '../support/run-fixture';
import { batchDir, lockFile } from '../../src/spool/layout';

/**
 * A private build of the whole tree for these tests: dist/ is shared with other engineers' builds
 * (which start with `rm -rf dist`), so a test run must not depend on it staying put.
 */
export const DIST = path.join(REPO_ROOT, 'node_modules', '.cache', 'devtool-telemetry-spool-tests', 'cjs');
export const WRITER = path.join(REPO_ROOT, 'test', 'shipper', 'fixtures', 'writer.js');

const SOURCES = ['src/spool', 'src/shipper', 'src/settings', 'src/storage', 'src/model'];

function newestMtime(p: string): number {
  const st = fs.statSync(p);
  if (!st.isDirectory()) return st.mtimeMs;
  let m = 0;
  for (const f of fs.readdirSync(p)) m = Math.max(m, newestMtime(path.join(p, f)));
  return m;
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Build DIST when our sources are newer than it (tsc emits even if others' files have type errors). */
export function ensureBuilt(): void {
  const lock = `${DIST}.lock`;
  fs.mkdirSync(path.dirname(DIST), { recursive: true });
  const deadline = Date.now() + 120_000;
  for (;;) {
    try {
      fs.mkdirSync(lock);
      break;
    } catch {
      // Another test worker is building; a lock older than 2 minutes is from a dead one.
      try {
        if (Date.now() - fs.statSync(lock).mtimeMs > 120_000) fs.rmSync(lock, { recursive: true, force: true });
      } catch {
        /* gone */
      }
      if (Date.now() > deadline) throw new Error('timed out waiting for the test build lock');
      sleepSync(200);
    }
  }
  try {
    buildIfStale();
  } finally {
    fs.rmSync(lock, { recursive: true, force: true });
  }
}

function buildIfStale(): void {
  const marker = path.join(DIST, 'shipper', 'main.js');
  const src = Math.max(...SOURCES.map((s) => newestMtime(path.join(REPO_ROOT, s))));
  let built = 0;
  try {
    built = fs.statSync(marker).mtimeMs;
  } catch {
    /* not built */
  }
  if (built >= src && fs.existsSync(path.join(DIST, 'spool', 'summary.js'))) return;
  try {
    execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', path.join(REPO_ROOT, 'tsconfig.json'), '--outDir', DIST, '--declaration', 'false'], {
      cwd: REPO_ROOT,
      stdio: 'ignore',
    });
  } catch {
    /* type errors elsewhere in the tree still emit JS */
  }
  if (!fs.existsSync(marker)) throw new Error(`build did not produce ${marker}`);
}

/** Fast retries so fault tests finish in seconds. */
export function fastRetries(env: Env): Env {
  return {
    ...env,
    DEVTOOL_TELEMETRY_RETRY_BASE_MS: '100',
    DEVTOOL_TELEMETRY_RETRY_MAX_MS: '400',
    DEVTOOL_TELEMETRY_SHIPPER_MAX_WAIT_MS: '5000',
  };
}

/** A shipper suite's set-up: the private build of our modules (ensureBuilt), one sandbox for the file. */
export function shipperSuiteSandbox(): Sandbox {
  beforeAll(() => ensureBuilt());
  return sandboxPerFile();
}

/**
 * The sandbox's environment with a cache directory of its own, so a spool, shipper lock and state of
 * its own (no test sees another test's shipper), with fast retries unless `fast` is false; then `extra`.
 */
export function ownSpoolEnv(sb: Sandbox, extra: Env = {}, { fast = true } = {}): Env {
  const env = { ...sb.env, XDG_CACHE_HOME: fs.mkdtempSync(path.join(sb.root, 'cache-')) };
  return { ...(fast ? fastRetries(env) : env), ...extra };
}

export interface WriterOutput {
  tag: string;
  id: string;
  traceId: string;
  written: { ok: boolean; reason?: string; evicted?: number };
  kick: string;
  writeMs: number;
  kickMs: number;
}

export async function runWriter(env: Env, tag: string, spans = 1, timeoutMs = 20_000): Promise<RunResult & { out: WriterOutput }> {
  const r = await runFixture({ script: WRITER, args: [tag, String(spans)], env: { ...env, DTT_TEST_DIST: DIST }, mode: 'none', timeoutMs, cwd: REPO_ROOT });
  if (r.code !== 0) throw new Error(`writer failed (${r.code}): ${r.stderr}`);
  return { ...r, out: JSON.parse(r.stdout.trim().split('\n').pop()!) as WriterOutput };
}

export function cacheRoot(env: Env): string {
  return path.join(env.XDG_CACHE_HOME, 'devtool-telemetry');
}

export function spoolFiles(env: Env): string[] {
  try {
    return fs.readdirSync(batchDir(env)).filter((f) => f.endsWith('.batch'));
  } catch {
    return [];
  }
}

export function lockPid(env: Env): number | undefined {
  try {
    return (JSON.parse(fs.readFileSync(lockFile(env), 'utf8')) as { pid: number }).pid;
  } catch {
    return undefined;
  }
}

/** Wait until no shipper holds the lock (it exited). */
export async function waitShipperGone(env: Env, timeoutMs = 20_000): Promise<void> {
  await waitUntil(
    () => {
      const pid = lockPid(env);
      return pid === undefined || !isAlive(pid);
    },
    timeoutMs,
    'shipper exit',
  );
}

export function readJsonFile<T>(file: string): T {
  return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
}

/** Start a shipper directly (as kick would) and resolve when it exits. */
export async function runShipperProcess(env: Env, timeoutMs = 30_000): Promise<RunResult> {
  return runFixture({ script: path.join(DIST, 'shipper', 'main.js'), env: { ...env, DEVTOOL_TELEMETRY_SHIPPER: '1' }, mode: 'none', timeoutMs, cwd: REPO_ROOT });
}

/** The latest cumulative value of each stream of `name`, summed over streams (what Prometheus sums). */
export function latestTotal(metrics: FlatMetric[], name: string, field: 'value' | 'count' = 'value'): number {
  const latest = new Map<string, { t: bigint; v: number }>();
  for (const m of metrics) {
    if (m.name !== name) continue;
    expect(m.temporality).toBe('cumulative');
    for (const p of m.points) {
      const key = JSON.stringify([m.resource, p.attributes]);
      const t = BigInt(p.timeUnixNano ?? '0');
      const prev = latest.get(key);
      if (!prev || t >= prev.t) latest.set(key, { t, v: Number(p[field] ?? 0) });
    }
  }
  let sum = 0;
  for (const { v } of latest.values()) sum += v;
  return sum;
}

