/**
 * Where our files live. Pure functions of the environment so tests (and users) can relocate
 * everything with XDG_CONFIG_HOME / XDG_CACHE_HOME / HOME, and so the CLI and the preload agree.
 */
import os = require('node:os');
import path = require('node:path');

type Env = NodeJS.ProcessEnv;

const DIR_NAME = 'devtool-telemetry';

/** The project-level opt-out file a team commits to its repository (found by walking up from cwd). */
export const PROJECT_FILE = '.devtool-telemetry.json';

function home(env: Env): string {
  // os.homedir() honours HOME on POSIX; env first so a test's HOME wins even where it does not.
  return env.HOME || env.USERPROFILE || os.homedir();
}

function base(env: Env, xdgVar: 'XDG_CONFIG_HOME' | 'XDG_CACHE_HOME', fallback: string[]): string {
  const xdg = env[xdgVar];
  // XDG spec: relative paths are invalid and must be ignored.
  if (xdg && path.isAbsolute(xdg)) return xdg;
  if (process.platform === 'win32' && env.LOCALAPPDATA) return env.LOCALAPPDATA;
  return path.join(home(env), ...fallback);
}

/** User config dir: `$XDG_CONFIG_HOME/devtool-telemetry` or `~/.config/devtool-telemetry`. */
export function configDir(env: Env = process.env): string {
  return path.join(base(env, 'XDG_CONFIG_HOME', ['.config']), DIR_NAME);
}

/** Spool and state dir: `$XDG_CACHE_HOME/devtool-telemetry` or `~/.cache/devtool-telemetry`. */
export function cacheDir(env: Env = process.env): string {
  return path.join(base(env, 'XDG_CACHE_HOME', ['.cache']), DIR_NAME);
}

/** The user config file (consent per tool and for all tools, install id, notices shown). */
export function userConfigFile(env: Env = process.env): string {
  return path.join(configDir(env), 'config.json');
}

/** The machine policy file: always read, wherever the environment points. */
export function machinePolicyFile(): string {
  if (process.platform === 'win32') {
    return path.join(process.env.ProgramData || 'C:\\ProgramData', DIR_NAME, 'policy.json');
  }
  return path.join('/etc', DIR_NAME, 'policy.json');
}

/**
 * The administrator policy files: lock telemetry off (or cap the level) for the whole machine. The
 * machine file always applies; `DEVTOOL_TELEMETRY_POLICY_FILE` can only add a further policy (a
 * repository's `.envrc` must not be able to move the machine policy out of the way).
 */
export function policyFiles(env: Env = process.env): string[] {
  const machine = machinePolicyFile();
  const extra = env.DEVTOOL_TELEMETRY_POLICY_FILE;
  return extra && path.resolve(extra) !== machine ? [machine, extra] : [machine];
}

export function homeDir(env: Env = process.env): string {
  return home(env);
}

/** The working directory, or `/` when it was deleted under us (process.cwd() throws then). */
export function workingDir(): string {
  try {
    return process.cwd();
  } catch {
    return '/';
  }
}
