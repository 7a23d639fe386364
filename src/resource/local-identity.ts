/**
 * What identifies this user and machine (home dir, user name, host name, working dir): never
 * recorded, and handed to the sanitizer so it can scrub them wherever they appear in a value.
 * Shared by the recorder (before spooling) and the shipper (before sending).
 */
import os = require('node:os');
import type { LocalIdentity } from '../model/records';

export type { LocalIdentity };

function safe<T>(fn: () => T): T | undefined {
  try {
    return fn();
  } catch {
    return undefined;
  }
}

export function localIdentity(env: NodeJS.ProcessEnv, opts: { cwd?: boolean } = {}): LocalIdentity {
  return {
    home: env.HOME || safe(() => os.homedir()),
    user: safe(() => os.userInfo().username) || env.USER || env.LOGNAME || env.USERNAME,
    host: safe(() => os.hostname()),
    cwd: opts.cwd ? safe(() => process.cwd()) : undefined,
  };
}
