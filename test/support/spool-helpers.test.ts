// Spool helpers against hand-made spool files: a batch and a lock held by a live process.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { batchDir, lockFile } from '../../src/spool/layout';
import { makeSandbox } from './run-fixture';
import { batchFiles, killShipper, liveShipperPid, readBatches, waitForShipperIdle } from './spool-helpers';

const sb = makeSandbox();
afterAll(() => sb.cleanup());

it('sees batches and a live shipper, and waits until both are gone', async () => {
  expect(batchFiles(sb.env)).toEqual([]);
  await waitForShipperIdle(sb.env, 100);

  fs.mkdirSync(batchDir(sb.env), { recursive: true });
  const name = `${Date.now()}-${process.pid}-abc-1-20.batch`;
  fs.writeFileSync(path.join(batchDir(sb.env), name), JSON.stringify({ v: 1, id: 'abc', spans: [], metrics: [] }));
  fs.writeFileSync(path.join(batchDir(sb.env), '.x.batch.tmp'), 'partial');
  fs.writeFileSync(path.join(batchDir(sb.env), `${Date.now() + 1}-1-bad-1-1.batch`), '{broken');
  expect(batchFiles(sb.env)).toHaveLength(2);
  const read = readBatches(sb.env);
  expect(read[0]).toMatchObject({ file: name, batch: { id: 'abc' } });
  expect(read[1]!.error).toBeTruthy();

  const sleeper = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 20000)'], { stdio: 'ignore' });
  try {
    fs.writeFileSync(lockFile(sb.env), JSON.stringify({ pid: sleeper.pid, token: 't', startedAt: Date.now() }));
    expect(liveShipperPid(sb.env)).toBe(sleeper.pid);
    fs.rmSync(batchDir(sb.env), { recursive: true });
    await expect(waitForShipperIdle(sb.env, 150)).rejects.toThrow(/0 batch\(es\) left, shipper pid \d+/);
    const exited = new Promise((r) => sleeper.once('exit', r));
    killShipper(sb.env);
    await exited;
    expect(liveShipperPid(sb.env)).toBeUndefined();
    await waitForShipperIdle(sb.env, 1000);
  } finally {
    sleeper.kill('SIGKILL');
  }
});
