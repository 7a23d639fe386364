/**
 * What identifies this user and machine (home dir, user name, host name, working dir): never
 * recorded, and handed to the sanitizer so it can scrub them wherever they appear in a value.
 * Shared by the recorder (before spooling) and the shipper (before sending).
 */
import { safe } from '../diagnostics/safe';
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
 * file, ~0.3 ms of every run's exit) unless the environment names the account twice over, as a login
 * sets it: USER or LOGNAME equal to the last segment of HOME. Any home directory's owner is scrubbed
 * from paths anyway (`/home/<anyone>` becomes `~`); this name is for the other places it appears.
 */
export function userName(env: NodeJS.ProcessEnv, home: string | undefined): string | undefined {
  const claimed = env.USER || env.LOGNAME;
  if (claimed && home && path.basename(home) === claimed) return claimed;
  return safe(() => os.userInfo().username) || claimed || env.USERNAME;
}
