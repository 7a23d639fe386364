/**
 * What identifies this user and machine (home dir, user name, host name, working dir): never
 * recorded, and handed to the sanitizer so it can scrub them wherever they appear in a value.
 * Shared by the recorder (before spooling) and the shipper (before sending).
 */
import { safe } from '../diagnostics/safe';
import fs = require('node:fs');
import os = require('node:os');
import path = require('node:path');
import type { LocalIdentity } from '../model/records';

export type { LocalIdentity };


export function localIdentity(env: NodeJS.ProcessEnv, opts: { cwd?: boolean } = {}): LocalIdentity {
  const home = env.HOME || safe(() => os.homedir());
  return {
    home,
    user: userName(env, home),
    host: safe(() => os.hostname()),
    cwd: opts.cwd ? safe(() => process.cwd()) : undefined,
  };
}

/**
 * The account name. The password database answers (getpwuid: NSS reads its config and the passwd
 * file, ~0.3 ms of every run's exit) unless the environment names this process's account twice over,
 * as a login sets it: USER or LOGNAME equal to the last segment of HOME, and HOME owned by our uid
 * (one stat; a preserved environment under `sudo` or a container's `--user` fails it). Any home
 * directory's owner is scrubbed from paths anyway (`/home/<anyone>` becomes `~`); this name is for
 * the other places it appears.
 */
export function userName(env: NodeJS.ProcessEnv, home: string | undefined): string | undefined {
  const claimed = [env.USER, env.LOGNAME].find((n) => n && home && path.basename(home) === n);
  if (claimed && home && ownedByUs(home)) return claimed;
  return safe(() => os.userInfo().username) || env.USER || env.LOGNAME || env.USERNAME;
}

function ownedByUs(dir: string): boolean {
  const uid = process.getuid?.();
  if (uid === undefined) return false;
  try {
    return fs.statSync(dir).uid === uid;
  } catch {
    return false;
  }
}
