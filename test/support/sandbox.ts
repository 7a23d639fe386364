/**
 * Sandboxes for fixture runs: a temp HOME / XDG dirs / cwd, a policy path that does not exist, and
 * an environment without any inherited variable that could change a run's result (opt-outs,
 * OTEL_*, NODE_OPTIONS, CI and agent markers, proxies). Re-exported by run-fixture.ts.
 */
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import { destinationDir, destinationKeys, lockFile } from '../../src/spool/layout';

const REPO_ROOT = path.resolve(__dirname, '..', '..');

/** Recorder markers (research notes, "AI coding agent"); dropped so the host agent does not leak in. */
const AGENT_VARS = [
  'AI_AGENT',
  'CURSOR_TRACE_ID',
  'CURSOR_AGENT',
  'GEMINI_CLI',
  'CODEX_SANDBOX',
  'CODEX_CI',
  'CODEX_THREAD_ID',
  'ANTIGRAVITY_AGENT',
  'AUGMENT_AGENT',
  'OPENCODE_CLIENT',
  'CLAUDECODE',
  'CLAUDE_CODE',
  'REPL_ID',
  'COPILOT_MODEL',
  'COPILOT_ALLOW_ALL',
];

/** Variables whose presence alone changes behaviour, plus those replaced by the sandbox. */
const DROP_EXACT = new Set([
  'DO_NOT_TRACK',
  'NODE_OPTIONS',
  'NODE_DEBUG',
  'NODE_V8_COVERAGE',
  'NODE_ENV',
  'CI',
  'CONTINUOUS_INTEGRATION',
  'BUILD_ID',
  'BUILD_NUMBER',
  'RUN_ID',
  'CI_NAME',
  'TEST',
  'HOME',
  'USERPROFILE',
  'APPDATA',
  'LOCALAPPDATA',
  'XDG_CONFIG_HOME',
  'XDG_CACHE_HOME',
  'XDG_DATA_HOME',
  'XDG_STATE_HOME',
  // Trace context of whatever runs the tests (a CI, an editor): would put fixtures in its trace.
  'TRACEPARENT',
  'TRACESTATE',
  'BAGGAGE',
  ...AGENT_VARS,
]);

const DROP_PATTERNS = [
  /TELEMETRY/i, // DEVTOOL_TELEMETRY_*, <TOOL>_TELEMETRY_DISABLED, NEXT_TELEMETRY_DISABLED, ...
  /^OTEL_/i,
  /^VITEST/i,
  /^(HTTPS?|ALL|NO)_PROXY$/i, // a proxy would intercept loopback exports to the test receiver
  /^CLAUDE_CODE/i,
  /^CURSOR_/i,
  /^CODEX_/i,
  /^GITHUB_/, // GITHUB_ACTIONS and friends
  /^GITLAB_/,
  /^CI_/,
  /^RUNNER_/,
  /^BUILDKITE/,
  /^CIRCLE/,
  /^TRAVIS/,
  /^JENKINS/,
  /^TEAMCITY/,
  /^TF_BUILD$/,
  /^BITBUCKET_/,
  /^DRONE/,
  /^APPVEYOR/,
  /^CODEBUILD_/,
  /^NETLIFY/,
  /^VERCEL/,
  /^NOW_BUILDER$/,
];

/** Every env var ci-info consults, so whatever vendor the host CI is, the child does not see it. */
function ciInfoVars(): Set<string> {
  const out = new Set<string>();
  try {
    const vendors = createRequire(path.join(REPO_ROOT, 'package.json'))('ci-info/vendors.json') as Array<{ env: unknown; pr?: unknown }>;
    const collect = (spec: unknown): void => {
      if (typeof spec === 'string') out.add(spec);
      else if (Array.isArray(spec)) spec.forEach(collect);
      else if (spec && typeof spec === 'object') {
        const o = spec as Record<string, unknown>;
        if (typeof o.env === 'string') out.add(o.env);
        if (o.any) collect(o.any);
        if (o.env && typeof o.env === 'object') collect(o.env);
      }
    };
    for (const v of vendors) {
      collect(v.env);
      collect(v.pr);
    }
  } catch {
    /* ci-info layout changed: the patterns above still cover the common vendors */
  }
  return out;
}

export type Env = Record<string, string>;

/** The inherited environment minus everything that could change a run's result. */
export function cleanEnv(base: NodeJS.ProcessEnv = process.env): Env {
  const ci = ciInfoVars();
  const out: Env = {};
  for (const [k, v] of Object.entries(base)) {
    if (v === undefined) continue;
    if (DROP_EXACT.has(k) || ci.has(k) || DROP_PATTERNS.some((re) => re.test(k))) continue;
    out[k] = v;
  }
  return out;
}

export interface Sandbox {
  /** The temp dir holding everything below; removed by cleanup(). */
  root: string;
  home: string;
  configHome: string;
  cacheHome: string;
  /**
   * Default working directory of runs with this sandbox's env: outside the repository, so no
   * project-level opt-out file above the repo's test dir can decide a run.
   */
  cwd: string;
  /** Where DEVTOOL_TELEMETRY_POLICY_FILE points (does not exist unless a test writes it). */
  policyFile: string;
  /** A complete environment for child processes. Copy it before changing it per test. */
  env: Env;
  cleanup(): void;
}

export interface SandboxOptions {
  /**
   * Keep npm working as on the host (user .npmrc and cache by path, never read here): for tests
   * that run `npm pack` / `npm install` inside the sandbox.
   */
  npm?: boolean;
}

/**
 * SIGKILL the shipper holding this env's lock, if one is alive (no process outlives its test); with
 * `all`, the shippers of every destination under this env's cache dir.
 */
export function killShipper(env: Env, all = false): number | undefined {
  const locks = all ? destinationKeys(env).map((k) => path.join(destinationDir(env, k), 'shipper.lock')) : [lockFile(env)];
  let killed: number | undefined;
  for (const file of locks) {
    try {
      const { pid } = JSON.parse(fs.readFileSync(file, 'utf8')) as { pid?: unknown };
      if (typeof pid === 'number' && pid > 0 && pid !== process.pid && isAlive(pid)) {
        process.kill(pid, 'SIGKILL');
        killed = pid;
      }
    } catch {
      /* no lock, unreadable lock, or already gone */
    }
  }
  return killed;
}

/** Remove a directory a detached process may still be writing to; never throws. */
function removeDir(dir: string): boolean {
  try {
    fs.rmSync(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 50 });
    return true;
  } catch {
    return false;
  }
}

const sandboxes = new Set<string>();
/** sandbox HOME -> its cwd, so runFixture finds the right default from a copied env. */
const cwdByHome = new Map<string, string>();

/** The default cwd of runs whose env has this HOME (a copy of a sandbox env), if any. */
export function sandboxCwd(home: string | undefined): string | undefined {
  return home ? cwdByHome.get(home) : undefined;
}
process.once('exit', () => {
  for (const dir of sandboxes) removeDir(dir);
});

export function makeSandbox(opts: SandboxOptions = {}): Sandbox {
  const root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'dtt-sandbox-')));
  sandboxes.add(root);
  const home = path.join(root, 'home');
  const configHome = path.join(home, '.config');
  const cacheHome = path.join(home, '.cache');
  const cwd = path.join(root, 'work');
  for (const d of [home, configHome, cacheHome, cwd]) fs.mkdirSync(d, { recursive: true });
  cwdByHome.set(home, cwd);
  const policyFile = path.join(root, 'etc', 'devtool-telemetry', 'policy.json');
  const env: Env = {
    ...cleanEnv(),
    HOME: home,
    USERPROFILE: home,
    XDG_CONFIG_HOME: configHome,
    XDG_CACHE_HOME: cacheHome,
    DEVTOOL_TELEMETRY_POLICY_FILE: policyFile,
    // Tests wait for delivery: ship each batch at once and exit when empty (the pre-cadence
    // behaviour). The batched cadence has its own tests, which set DEVTOOL_TELEMETRY_SHIP=batched.
    DEVTOOL_TELEMETRY_SHIP: 'immediate',
  };
  if (process.platform === 'win32') {
    env.APPDATA = path.join(home, 'AppData', 'Roaming');
    env.LOCALAPPDATA = path.join(home, 'AppData', 'Local');
  }
  if (opts.npm) {
    const realHome = os.homedir();
    env.npm_config_userconfig = process.env.npm_config_userconfig || path.join(realHome, '.npmrc');
    env.npm_config_cache = process.env.npm_config_cache || path.join(realHome, '.npm');
    env.npm_config_update_notifier = 'false';
    env.npm_config_fund = 'false';
    env.npm_config_audit = 'false';
  }
  return {
    root,
    home,
    cwd,
    configHome,
    cacheHome,
    policyFile,
    env,
    cleanup() {
      // A shipper still running for this sandbox would keep writing into it (and outlive the test).
      killShipper(env, true);
      cwdByHome.delete(home);
      // If a straggler still writes, the exit hook tries again; cleanup never fails a test.
      if (removeDir(root)) sandboxes.delete(root);
    },
  };
}

/** Is a process alive? (For asserting that a detached shipper exits.) */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
