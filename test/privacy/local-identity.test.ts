/**
 * Who the sanitizer scrubs (src/resource/local-identity.ts): the account name comes from the
 * environment only when it names the account twice over (USER or LOGNAME equal to HOME's last
 * segment); otherwise the password database decides, so a stray USER never hides the real name.
 */
import * as os from 'node:os';
import { describe, expect, it } from 'vitest';
import { localIdentity, userName } from '../../src/resource/local-identity';
import { compileScrub, scrubText } from '../../src/privacy/patterns';

const real = os.userInfo().username;

describe('userName', () => {
  it('takes USER or LOGNAME when HOME ends in it', () => {
    expect(userName({ USER: 'alice' }, '/home/alice')).toBe('alice');
    expect(userName({ LOGNAME: 'bob' }, '/Users/bob')).toBe('bob');
  });

  it('asks the password database when the environment does not agree with itself', () => {
    expect(userName({ USER: 'alice' }, '/home/mallory')).toBe(real);
    expect(userName({ USER: 'alice' }, undefined)).toBe(real);
    expect(userName({}, '/home/alice')).toBe(real);
  });

  it('the name found either way is scrubbed from values', () => {
    for (const env of [{ USER: 'zelda', HOME: '/home/zelda' }, { USER: 'zelda', HOME: '/srv/x' }]) {
      const id = localIdentity(env);
      const c = compileScrub(id);
      const name = id.user!;
      if (['root', 'node', 'runner'].includes(name)) continue; // generic accounts name nobody
      expect(scrubText(`built by ${name} on a laptop`, c, 200)).not.toContain(name);
    }
  });
});
