// A throwaway HOME / XDG / policy / project layout for consent tests, and a clean env over it
// (never process.env: the machine running the tests may itself be CI or carry DO_NOT_TRACK).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export interface Sandbox {
  root: string;
  home: string;
  configHome: string;
  cacheHome: string;
  policy: string;
  /** A project with a nested working directory: <root>/repo/pkg/src. */
  repo: string;
  cwd: string;
  env: NodeJS.ProcessEnv;
  userConfigFile: string;
  writePolicy(data: unknown): void;
  writeProject(dir: string, data: unknown): void;
  writeUserConfig(data: unknown): void;
  cleanup(): void;
}

export function makeSandbox(extraEnv: NodeJS.ProcessEnv = {}): Sandbox {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'dtt-consent-'));
  const home = path.join(root, 'home');
  const configHome = path.join(root, 'config');
  const cacheHome = path.join(root, 'cache');
  const policy = path.join(root, 'etc', 'policy.json');
  const repo = path.join(root, 'repo');
  const cwd = path.join(repo, 'pkg', 'src');
  fs.mkdirSync(home, { recursive: true });
  fs.mkdirSync(cwd, { recursive: true });
  const userConfigFile = path.join(configHome, 'devtool-telemetry', 'config.json');
  const write = (file: string, data: unknown) => {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, typeof data === 'string' ? data : JSON.stringify(data));
  };
  return {
    root, home, configHome, cacheHome, policy, repo, cwd, userConfigFile,
    env: {
      PATH: process.env.PATH,
      HOME: home,
      XDG_CONFIG_HOME: configHome,
      XDG_CACHE_HOME: cacheHome,
      DEVTOOL_TELEMETRY_POLICY_FILE: policy,
      ...extraEnv,
    },
    writePolicy: (data) => write(policy, data),
    writeProject: (dir, data) => write(path.join(dir, '.devtool-telemetry.json'), data),
    writeUserConfig: (data) => write(userConfigFile, data),
    cleanup: () => fs.rmSync(root, { recursive: true, force: true }),
  };
}

/**
 * Point the sandbox's config home at a directory the process cannot write. Unprivileged: a 0500
 * directory. As root (containers), permissions do not bind, so use a path under sysfs, where mkdir
 * fails with EPERM even for root.
 */
export function makeConfigReadOnly(sb: Sandbox): { configHome: string; restore(): void } {
  if (typeof process.getuid === 'function' && process.getuid() === 0) {
    const configHome = '/sys/devtool-telemetry-readonly-test';
    sb.env.XDG_CONFIG_HOME = configHome;
    return { configHome, restore: () => { sb.env.XDG_CONFIG_HOME = sb.configHome; } };
  }
  fs.mkdirSync(sb.configHome, { recursive: true });
  fs.chmodSync(sb.configHome, 0o500);
  return { configHome: sb.configHome, restore: () => fs.chmodSync(sb.configHome, 0o700) };
}
