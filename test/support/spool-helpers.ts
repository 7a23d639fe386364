/**
 * Reading a sandbox's spool from tests, through the same layout module the writer, shipper and CLI
 * use (so a layout change cannot leave the tests looking in the wrong place), and waiting for the
 * detached shipper so no test leaves one running into the next.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Batch } from '../../src/model/records';
import { BATCH_SUFFIX, batchDir, lockFile } from '../../src/spool/layout';
import { isAlive, type Env } from './run-fixture';

export { killShipper } from './run-fixture';

/** Sealed batch file names in the spool (oldest first). */
export function batchFiles(env: Env): string[] {
  try {
    return fs
      .readdirSync(batchDir(env))
      .filter((f) => f.endsWith(BATCH_SUFFIX) && !f.startsWith('.'))
      .sort();
  } catch {
    return [];
  }
}

/** The sealed batches, parsed (unparsable files are returned as `{ file, error }`). */
export function readBatches(env: Env): Array<{ file: string; batch?: Batch; error?: string }> {
  return batchFiles(env).map((file) => {
    try {
      return { file, batch: JSON.parse(fs.readFileSync(path.join(batchDir(env), file), 'utf8')) as Batch };
    } catch (err) {
      return { file, error: (err as Error).message };
    }
  });
}

/** The pid in shipper.lock when that process is alive, else undefined. */
export function liveShipperPid(env: Env): number | undefined {
  try {
    const { pid } = JSON.parse(fs.readFileSync(lockFile(env), 'utf8')) as { pid?: unknown };
    return typeof pid === 'number' && isAlive(pid) ? pid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Resolve once the spool holds no batch and no shipper is alive (everything delivered, or given
 * up). Rejects after `timeoutMs` with what is left.
 */
export async function waitForShipperIdle(env: Env, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const left = batchFiles(env);
    const pid = liveShipperPid(env);
    if (left.length === 0 && pid === undefined) return;
    if (Date.now() > deadline) {
      throw new Error(`shipper not idle after ${timeoutMs} ms: ${left.length} batch(es) left, shipper pid ${pid ?? 'none'}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}
