/**
 * Who the sanitizer scrubs (src/resource/local-identity.ts): the account name comes from the
 * environment only when it names this process's account twice over (USER or LOGNAME equal to HOME's
 * last segment, HOME owned by our uid); otherwise the password database decides, so a stray USER
 * never hides the real name.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { localIdentity, userName } from '../../src/resource/local-identity';
import { compileScrub, scrubText } from '../../src/privacy/patterns';

const real = os.userInfo().username;

describe('userName', () => {
  const homes = fs.mkdtempSync(path.join(os.tmpdir(), 'dt-ident-'));
  afterAll(() => fs.rmSync(homes, { recursive: true, force: true }));
  const ownHome = (name: string) => {
    const dir = path.join(homes, name);
    fs.mkdirSync(dir, { recursive: true });
    return dir;
  };

  it('takes USER or LOGNAME when HOME ends in it and is ours', () => {
    expect(userName({ USER: 'alice' }, ownHome('alice'))).toBe('alice');
    expect(userName({ LOGNAME: 'bob' }, ownHome('bob'))).toBe('bob');
    expect(userName({ USER: 'root', LOGNAME: 'carol' }, ownHome('carol'))).toBe('carol');
  });

  it('asks the password database when the environment does not agree with itself, or HOME is not ours', () => {
    expect(userName({ USER: 'alice' }, ownHome('mallory'))).toBe(real);
    expect(userName({ USER: 'alice' }, undefined)).toBe(real);
    expect(userName({}, ownHome('alice'))).toBe(real);
    expect(userName({ USER: 'nothere' }, path.join(homes, 'nothere'))).toBe(real); // no such directory
    if (process.getuid?.() === 0) {
      const foreign = ownHome('dave');
      fs.chownSync(foreign, 65534, 65534); // another account's home with our USER in it: sudo -E, --user
      expect(userName({ USER: 'dave' }, foreign)).toBe(real);
    }
  });

  it('the name found either way is scrubbed from values', () => {
    for (const env of [{ USER: 'zelda', HOME: ownHome('zelda') }, { USER: 'zelda', HOME: '/srv/x' }]) {
      const id = localIdentity(env);
      const c = compileScrub(id);
      const name = id.user!;
      if (['root', 'node', 'runner'].includes(name)) continue; // generic accounts name nobody
      expect(scrubText(`built by ${name} on a laptop`, c, 200)).not.toContain(name);
    }
  });
});
