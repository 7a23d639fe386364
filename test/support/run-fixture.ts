/**
 * Run fixture apps as real node processes, with or without our preload, in a sandboxed
 * environment: a temp HOME / XDG dirs, and none of the inherited variables that could change the
 * outcome (opt-outs, OTEL_*, NODE_OPTIONS, CI and agent markers, proxies). Tests then compare a
 * preloaded run against a plain one and read what reached the receiver or the spool.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { cacheDir } from '../../src/storage/paths';
import { makeSandbox, sandboxCwd, type Env, type Sandbox } from './sandbox';

export { cleanEnv, isAlive, killShipper, makeSandbox, sandboxCwd } from './sandbox';
export type { Env, Sandbox, SandboxOptions } from './sandbox';

/** The repository root (this file lives in <root>/test/support). */
export const REPO_ROOT = path.resolve(__dirname, '..', '..');
export const FIXTURES_DIR = path.join(REPO_ROOT, 'test', 'fixtures');
/** The fixtures that `require('devtool-telemetry')` get a node_modules link to the repo. */
export const LINKED_FIXTURES = ['fixture-tool', 'fixture-esm'];

/**
 * Strings the fixtures plant in error messages, prompts and completions (see their cli files).
 * None may ever appear in what is sent, spooled or printed by telemetry: search for each.
 */
export const FIXTURE_SECRETS = [
  'secret message',
  'sk-FIXTURE-0123456789abcdef',
  'alice@example.com',
  '/home/alice',
  'PROMPT-SECRET',
  'COMPLETION-SECRET',
] as const;

export type PreloadMode = 'require' | 'import' | 'node-options' | 'node-options-import' | 'none';

let defaultSandbox: Sandbox | undefined;
function defaultEnv(): Env {
  defaultSandbox ??= makeSandbox();
  return defaultSandbox.env;
}

// ---------------------------------------------------------------------------------------------
// Fixtures and the preload

/** Absolute path of the built preload for `--require` (CJS) or `--import` (ESM). */
export function registerPath(mode: 'require' | 'import'): string {
  return path.join(REPO_ROOT, 'dist', mode === 'require' ? 'cjs/register.js' : 'esm/register.mjs');
}

/**
 * Make `require('devtool-telemetry')` / `import ... from 'devtool-telemetry'` resolve to this
 * repository inside `dir` (a node_modules symlink, as `npm link` would). Idempotent, race-safe.
 */
export function linkPackage(dir: string): void {
  const nm = path.join(dir, 'node_modules');
  const link = path.join(nm, 'devtool-telemetry');
  try {
    if (fs.realpathSync(link) === fs.realpathSync(REPO_ROOT)) return;
    fs.rmSync(link, { recursive: true, force: true });
  } catch {
    /* missing: create it */
  }
  fs.mkdirSync(nm, { recursive: true });
  try {
    fs.symlinkSync(REPO_ROOT, link, process.platform === 'win32' ? 'junction' : 'dir');
  } catch (err) {
    // Another worker won the race; fine as long as it points at us.
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
}

let linked = false;
function ensureFixtureLinks(): void {
  if (linked) return;
  for (const name of LINKED_FIXTURES) {
    if (fs.existsSync(path.join(FIXTURES_DIR, name))) linkPackage(path.join(FIXTURES_DIR, name));
  }
  linked = true;
}

/**
 * Copy a fixture directory (e.g. `fixture-tool`) to `dest` (created), linking the package in.
 * For bad-input tests that edit or delete the fixture's package.json.
 */
export function copyFixture(name: string, dest: string): string {
  fs.mkdirSync(dest, { recursive: true });
  fs.cpSync(path.join(FIXTURES_DIR, name), dest, {
    recursive: true,
    filter: (src) => path.basename(src) !== 'node_modules',
  });
  linkPackage(dest);
  return dest;
}

/** `fixture-tool/cli.js` -> absolute path under test/fixtures; absolute paths pass through. */
export function fixturePath(script: string): string {
  return path.isAbsolute(script) ? script : path.join(FIXTURES_DIR, script);
}

// ---------------------------------------------------------------------------------------------
// Running

export type SignalPlan =
  | { signal: NodeJS.Signals; afterMs: number }
  | { signal: NodeJS.Signals; whenStdoutIncludes: string };

export interface RunOptions {
  /** Script path, absolute or relative to test/fixtures (`fixture-tool/cli.js`). */
  script: string;
  args?: string[];
  /** The complete child environment (usually `sandbox.env` plus test variables). */
  env?: Env;
  mode: PreloadMode;
  /** Default: the sandbox's `cwd` (found through env.HOME), else the script's directory. */
  cwd?: string;
  /** Kill the child (SIGKILL) and reject after this long. Default 20 s. */
  timeoutMs?: number;
  /** Send a signal after a delay, or once stdout contains a marker (e.g. `ready`). */
  signalAfterMs?: SignalPlan;
  /** Written to stdin, which is then closed. */
  input?: string;
  /** Extra node flags placed before the preload flag (e.g. `--no-warnings`). */
  nodeArgs?: string[];
}

export interface RunResult {
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  /** Wall time from spawn to process exit, ms. */
  ms: number;
  pid: number;
  /**
   * True when stdout/stderr stayed open > 2 s after the process exited: some descendant (e.g. a
   * shipper spawned without stdio: 'ignore') inherited them, which would hang `tool | cat`.
   */
  stdioHeldOpen: boolean;
}

const STDIO_GRACE_MS = 2000;

/** Node argv and env for a mode; exported for tests that spawn differently (e.g. execFile, npx). */
export function preloadArgs(mode: PreloadMode, env: Env): { args: string[]; env: Env } {
  const quote = (p: string) => `"${p.replace(/(["\\])/g, '\\$1')}"`;
  switch (mode) {
    case 'require':
      return { args: ['--require', registerPath('require')], env };
    case 'import':
      return { args: ['--import', pathToFileURL(registerPath('import')).href], env };
    case 'node-options':
      return { args: [], env: { ...env, NODE_OPTIONS: `--require ${quote(registerPath('require'))}` } };
    case 'node-options-import':
      return { args: [], env: { ...env, NODE_OPTIONS: `--import ${quote(pathToFileURL(registerPath('import')).href)}` } };
    case 'none':
      return { args: [], env };
  }
}

export function runFixture(opts: RunOptions): Promise<RunResult> {
  if (opts.mode !== 'none') {
    const reg = registerPath(opts.mode === 'import' || opts.mode === 'node-options-import' ? 'import' : 'require');
    if (!fs.existsSync(reg)) return Promise.reject(new Error(`${reg} is missing: run \`npm run build\` first`));
  }
  ensureFixtureLinks();
  const script = fixturePath(opts.script);
  const { args: preload, env } = preloadArgs(opts.mode, opts.env ?? defaultEnv());
  const argv = [...(opts.nodeArgs ?? []), ...preload, script, ...(opts.args ?? [])];
  const timeoutMs = opts.timeoutMs ?? 20_000;

  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, argv, {
      cwd: opts.cwd ?? sandboxCwd(env.HOME) ?? path.dirname(script),
      env,
      stdio: ['pipe', 'pipe', 'pipe'],
      windowsHide: true,
    });
    let stdout = '';
    let stderr = '';
    let exited: { code: number | null; signal: string | null; ms: number } | undefined;
    let settled = false;
    const timers: NodeJS.Timeout[] = [];
    const finish = (err: Error | undefined, held = false) => {
      if (settled) return;
      settled = true;
      timers.forEach(clearTimeout);
      if (err) return reject(err);
      const e = exited!;
      resolve({ code: e.code, signal: e.signal, stdout, stderr, ms: e.ms, pid: child.pid ?? -1, stdioHeldOpen: held });
    };

    let signalSent = false;
    const sendSignal = (sig: NodeJS.Signals) => {
      if (signalSent || exited) return;
      signalSent = true;
      child.kill(sig);
    };
    const plan = opts.signalAfterMs;
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', (d: string) => {
      stdout += d;
      if (plan && 'whenStdoutIncludes' in plan && stdout.includes(plan.whenStdoutIncludes)) sendSignal(plan.signal);
    });
    child.stderr.on('data', (d: string) => (stderr += d));
    if (plan && 'afterMs' in plan) timers.push(setTimeout(() => sendSignal(plan.signal), plan.afterMs));

    timers.push(
      setTimeout(() => {
        child.kill('SIGKILL');
        finish(
          new Error(
            `fixture timed out after ${timeoutMs} ms and was killed: node ${argv.join(' ')}\n` +
              `--- stdout ---\n${stdout}\n--- stderr ---\n${stderr}`,
          ),
        );
      }, timeoutMs),
    );

    child.on('error', (err) => finish(new Error(`could not spawn node: ${err.message}`)));
    child.on('exit', (code, signal) => {
      exited = { code, signal, ms: performance.now() - t0 };
      timers.push(setTimeout(() => finish(undefined, true), STDIO_GRACE_MS));
    });
    child.on('close', () => {
      if (exited) finish(undefined);
    });

    child.stdin.on('error', () => {
      /* the child may exit before reading stdin */
    });
    child.stdin.end(opts.input ?? '');
  });
}

/** The same fixture without any preload: the baseline a preloaded run must match. */
export function runPlain(opts: Omit<RunOptions, 'mode'>): Promise<RunResult> {
  return runFixture({ ...opts, mode: 'none' });
}

// ---------------------------------------------------------------------------------------------
// Files

/** Resolve when `file` exists (and, if given, `pred(content)` holds); reject after `timeoutMs`. */
export async function waitForFile(file: string, timeoutMs = 10_000, pred?: (content: string) => boolean): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const content = fs.readFileSync(file, 'utf8');
      if (!pred || pred(content)) return content;
    } catch {
      /* not there yet */
    }
    if (Date.now() > deadline) throw new Error(`waitForFile: ${file} not ready after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Poll until `pred()` holds; reject with `what` after `timeoutMs`. */
export async function waitUntil(pred: () => boolean, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`waitUntil: ${what} not met after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Every file under our cache dir (the spool and its state) for `env`, relative paths, sorted. */
export function listSpool(env: Env): string[] {
  const base = cacheDir(env);
  const out: string[] = [];
  const walk = (dir: string) => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const full = path.join(dir, e.name);
      if (e.isDirectory()) walk(full);
      else out.push(path.relative(base, full));
    }
  };
  walk(base);
  return out.sort();
}
