/**
 * Starting the shipper from the tool's process, right after writeBatch. Cheap and silent:
 * a couple of small synchronous reads, and at most one detached spawn with stdio ignored and the
 * child unref'd, so the tool exits at once whatever the network does.
 *
 * No spawn when: a live shipper holds the lock (it re-lists the spool before it releases the lock,
 * so it will see the batch just written); the circuit breaker is open (collector known down:
 * don't start a doomed process on every run); or another run spawned one less than KICK_FRESH_MS
 * ago that has not taken the lock yet (100 parallel runs start one shipper, not 100).
 */
import fs = require('node:fs');
import path = require('node:path');
import { cacheDir } from '../storage/paths';
import { breakerOpenUntil } from './shipper-state';
import { lockStatus } from './lock';
import { kickMarkerFile } from './layout';
import { isShipperProcess, SHIPPER_ENV } from '../settings/process-role';

type Env = NodeJS.ProcessEnv;

const KICK_FRESH_MS = 3_000;

export { kickMarkerFile };


const PRELOAD_FLAGS = new Set(['--require', '-r', '--import', '--loader', '--experimental-loader']);
/**
 * The package root, wherever this code runs from: dist/cjs/spool/kick.js, the bundled
 * dist/cjs/runtime.js (esbuild keeps __dirname = dist/cjs), or src/spool under a test runner.
 */
const DIST_MARK = `${path.sep}dist${path.sep}`;
const PACKAGE_ROOT = __dirname.includes(DIST_MARK)
  ? __dirname.slice(0, __dirname.lastIndexOf(DIST_MARK))
  : path.resolve(__dirname, '..', '..');

function isOurs(spec: string): boolean {
  const s = spec.replace(/^["']|["']$/g, '');
  if (/(^|[\\/])devtool-telemetry([\\/]|$)/.test(s)) return true;
  if (s.startsWith('file:')) return s.includes('devtool-telemetry') || s.includes(PACKAGE_ROOT.replace(/\\/g, '/'));
  // A path into our build (as the tests and `npm link` setups use).
  return path.isAbsolute(s) || s.startsWith('.') ? path.resolve(s).startsWith(path.join(PACKAGE_ROOT, 'dist') + path.sep) : false;
}

function tokenize(s: string): string[] {
  const out: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"|'([^']*)'|(\S+)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(s))) out.push(m[0]);
  return out;
}

/** NODE_OPTIONS without any preload of ours (`--require devtool-telemetry/register`, `--import=...`). */
export function stripOurPreload(nodeOptions: string | undefined): string | undefined {
  if (!nodeOptions) return nodeOptions;
  const tokens = tokenize(nodeOptions);
  const kept: string[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    const eq = t.indexOf('=');
    if (t.startsWith('-') && eq > 0 && PRELOAD_FLAGS.has(t.slice(0, eq))) {
      if (isOurs(t.slice(eq + 1))) continue;
    } else if (PRELOAD_FLAGS.has(t) && i + 1 < tokens.length) {
      if (isOurs(tokens[i + 1])) {
        i++;
        continue;
      }
    }
    kept.push(t);
  }
  return kept.join(' ');
}

/** The shipper's environment: the caller's (OTLP, proxy, CA, XDG variables), minus our preload. */
export function shipperEnv(env: Env): Env {
  const out: Env = { ...env, [SHIPPER_ENV]: '1' };
  const opts = stripOurPreload(env.NODE_OPTIONS);
  if (opts) out.NODE_OPTIONS = opts;
  else delete out.NODE_OPTIONS;
  return out;
}

/** dist/cjs/shipper/main.js, from the bundle (…/cjs) or the unbundled module (…/spool). */
export function shipperScript(): string {
  return path.basename(__dirname) === 'cjs' ? path.join(__dirname, 'shipper', 'main.js') : path.join(__dirname, '..', 'shipper', 'main.js');
}

/** True when a kick from another run is already starting a shipper. Creates the marker otherwise. */
function claimKick(env: Env, now: number): boolean {
  const marker = kickMarkerFile(env);
  for (let i = 0; i < 2; i++) {
    try {
      fs.closeSync(fs.openSync(marker, 'wx', 0o600));
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') return true; // can't mark: spawn anyway
    }
    try {
      if (now - fs.statSync(marker).mtimeMs < KICK_FRESH_MS) return false;
      fs.unlinkSync(marker);
    } catch {
      /* raced: try again */
    }
  }
  return false;
}

export type KickOutcome = 'spawned' | 'running' | 'breaker-open' | 'pending' | 'failed';

/** Start a detached shipper if one is needed. Never throws, never waits. */
export function kickShipper(env: Env): KickOutcome {
  try {
    if (isShipperProcess(env)) return 'running';
    const now = Date.now();
    if (lockStatus(env, now).held) return 'running';
    if (breakerOpenUntil(env) > now) return 'breaker-open';
    if (!claimKick(env, now)) return 'pending';
    // Loaded only here: the tool pays for child_process only when a shipper is really started.
    const { spawn } = require('node:child_process') as typeof import('node:child_process');
    const child = spawn(process.execPath, [shipperScript()], {
      detached: true,
      stdio: 'ignore',
      windowsHide: true,
      env: shipperEnv(env),
      cwd: cacheDir(env),
    });
    child.on('error', () => {
      /* e.g. EAGAIN: the next run kicks again */
    });
    child.unref();
    return 'spawned';
  } catch {
    return 'failed';
  }
}
