/**
 * A waiting shipper sleeps on a watch of the spool directory (src/shipper/spool-watch.ts): a batch
 * renamed in wakes it at once; the timer bounds every sleep whatever the watch does; a directory
 * that is missing or replaced is handled by the timer (and watched again once it is there).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { watchSpool, type SpoolWaker } from '../../src/shipper/spool-watch';

const dirs: string[] = [];
const wakers: SpoolWaker[] = [];
afterEach(() => {
  for (const w of wakers.splice(0)) w.close();
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});
function tmp(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'dtt-watch-'));
  dirs.push(d);
  return d;
}
function track(w: SpoolWaker): SpoolWaker {
  wakers.push(w);
  return w;
}
const timed = async (p: Promise<void>) => {
  const t0 = Date.now();
  await p;
  return Date.now() - t0;
};

describe('watchSpool', () => {
  it('a batch renamed into the directory ends a long sleep at once', async () => {
    const dir = tmp();
    const w = track(watchSpool(dir));
    expect(w.watching).toBe(true);
    const slept = timed(w.sleep(20_000));
    setTimeout(() => {
      fs.writeFileSync(path.join(dir, 'x.tmp'), '{}');
      fs.renameSync(path.join(dir, 'x.tmp'), path.join(dir, '1-1-a_1-1-1.batch'));
    }, 100);
    expect(await slept).toBeLessThan(5_000);
  });

  it('without wakeOnChange it sleeps its time through changes (a pending batch waits until due)', async () => {
    const dir = tmp();
    const w = track(watchSpool(dir));
    const slept = timed(w.sleep(600, false));
    setTimeout(() => fs.writeFileSync(path.join(dir, 'y.batch'), '{}'), 50);
    expect(await slept).toBeGreaterThanOrEqual(550);
  });

  it('a change between two sleeps makes the next one return at once (nothing is missed)', async () => {
    const dir = tmp();
    const w = track(watchSpool(dir));
    fs.writeFileSync(path.join(dir, 'z.batch'), '{}');
    await new Promise((r) => setTimeout(r, 200)); // the event arrives while nobody sleeps
    expect(await timed(w.sleep(20_000))).toBeLessThan(5_000);
  });

  it('a missing directory: the timer alone, then a watch once the directory exists', async () => {
    const root = tmp();
    const dir = path.join(root, 'spool');
    const w = track(watchSpool(dir));
    expect(w.watching).toBe(false);
    const t = await timed(w.sleep(300));
    expect(t).toBeGreaterThanOrEqual(250);
    fs.mkdirSync(dir);
    const slept = timed(w.sleep(20_000));
    expect(w.watching).toBe(true);
    setTimeout(() => fs.writeFileSync(path.join(dir, 'a.batch'), '{}'), 100);
    expect(await slept).toBeLessThan(5_000);
  });

  it('a replaced directory is watched anew (a watch on the old one would never fire)', async () => {
    const root = tmp();
    const dir = path.join(root, 'spool');
    fs.mkdirSync(dir);
    const w = track(watchSpool(dir));
    await timed(w.sleep(50));
    fs.rmSync(dir, { recursive: true });
    fs.mkdirSync(dir);
    await timed(w.sleep(50)); // may return early on the removal's events; re-watches the new directory
    await timed(w.sleep(50));
    const slept = timed(w.sleep(20_000));
    setTimeout(() => fs.writeFileSync(path.join(dir, 'b.batch'), '{}'), 100);
    expect(await slept).toBeLessThan(5_000);
  });
});
