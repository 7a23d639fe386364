/**
 * Entry point of the detached shipper process (`node dist/cjs/shipper/main.js`), started by
 * kickShipper() with stdio ignored and our preload removed from NODE_OPTIONS. At most one runs per
 * user (lock in the spool dir). Immediate mode drains the spool and exits when it is empty; batched
 * mode (cadence.ts) gathers for a bounded delay and lingers before exiting. Either way it re-checks
 * for batches written meanwhile both before and after releasing the lock, so a run that saw the
 * lock held (and therefore did not start a shipper) is never left behind.
 *
 * Silent by design: nothing is printed; conditions go to shipper-state.json for `status`.
 */
import fs = require('node:fs');
import path = require('node:path');
import { listBatches } from '../spool/reader';
import { RUN_SUFFIX, runsDir } from '../spool/start-record';
import { kickMarkerFile } from '../spool/kick';
import { waitForWork } from './cadence';
import { ShipperLock } from '../spool/lock';
import { loadWithCodeCache } from '../storage/code-cache';
import { shipperOptions } from './options';
import type { Shipper } from './drain';

type Env = NodeJS.ProcessEnv;

/** Run one shipper life. Resolves with the process exit code. Exported for in-process tests. */
export async function runShipper(env: Env): Promise<number> {
  const lock = new ShipperLock(env);
  if (!lock.acquire()) {
    // Another shipper is live and will see the batches. Clear the kick marker we were started
    // for: left fresh, it would make the runs of the next seconds wait for a shipper that is not
    // coming (they would see neither the lock, once the live shipper is done, nor a spawn).
    clearKickMarker(env);
    return 0;
  }
  let shipper: Shipper | undefined;
  // The send path's code cache, written (when it needs to be) once, while we still hold the lock:
  // everything the shipper writes is written under it.
  let saveSendCache: (() => void) | undefined;
  const letGo = () => {
    if (saveSendCache && lock.owned()) saveSendCache();
    saveSendCache = undefined;
    lock.release();
  };
  const stop = () => {
    if (shipper) shipper.stopped = true;
    lock.release();
    // A request in flight is abandoned; its batches stay in the spool for the next shipper.
    process.exit(0);
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  process.once('SIGHUP', stop);
  try {
    // A kick marker means "a shipper is being started": we are it, and we list the spool next.
    clearKickMarker(env);
    const opts = shipperOptions(env);
    const deadline = Date.now() + opts.maxLifeMs;
    // Each look at the spool is also the lock's heartbeat (spool/lock.ts HEARTBEAT_MS).
    const alive = () => !shipper?.stopped && lock.beat();
    for (;;) {
      // Runs whose process died without running JS (an unhandled signal, SIGKILL): spooled now,
      // and again each round (a run that wrote a batch while we held the lock may have a dead sibling).
      finalizeAbandoned(env);
      const w = opts.mode === 'batched' ? await waitForWork(env, opts, deadline, alive) : 'ship';
      if (w === 'stop') break;
      if (w === 'ship') {
        // Loaded on first use: a batched shipper that only waits never pays for the encoders and HTTP.
        if (!shipper) {
          const send = sendModule(env);
          saveSendCache = send.save;
          shipper = new send.exports.Shipper(env, lock, opts);
        }
        const r = await shipper.drain();
        await shipper.settleDeletes();
        if (r === 'stop') break;
        if (opts.mode === 'batched' && Date.now() < deadline) continue; // linger for the next runs
      } else if (Date.now() < deadline) {
        // Idle: a run that died while we lingered (no batch of its own) is recorded before we leave.
        finalizeAbandoned(env);
        if (listBatches(env).length > 0) continue;
      }
      letGo();
      // Written after our last listing but before the release: its writer saw the lock and left it to us.
      if (listBatches(env).length === 0) break;
      if (!lock.acquire()) break; // a new shipper took over
    }
    return 0;
  } catch {
    return 1;
  } finally {
    letGo();
    await shipper?.close();
  }
}

/**
 * Runs whose process died without running JS become `abandoned` spans (abandoned-runs.ts). That
 * module and what it uses (the resource detector, metrics, sanitizer, spool writer) are in this
 * file's bundle but initialized only when the runs directory holds a record.
 */
function finalizeAbandoned(env: Env): void {
  try {
    if (!fs.readdirSync(runsDir(env)).some((f) => f.endsWith(RUN_SUFFIX) || f.endsWith('.claim'))) return;
  } catch {
    return; // no runs directory: no run recorded a start
  }
  (require('./abandoned-runs') as typeof import('./abandoned-runs')).finalizeAbandonedRuns(env);
}

/**
 * The send path: the build's one-file bundle of it with the OTLP encoders (send.js, see
 * scripts/build.mjs: ~50 ms less CPU per shipper than ~200 modules), through a V8 code cache keyed
 * by the bundle's checksum (send.js.sha256, written by the build: ~20 ms less per shipper than
 * compiling it), else the modules themselves (tests of src/).
 */
function sendModule(env: Env): { exports: typeof import('./drain'); save?: () => void } {
  const bundle = path.join(__dirname, 'send.js');
  if (!fs.existsSync(bundle)) return { exports: require('./drain') as typeof import('./drain') };
  let sha: string | undefined;
  try {
    sha = fs.readFileSync(`${bundle}.sha256`, 'latin1').trim();
  } catch {
    /* an older or partial build: no cache */
  }
  if (!sha || !/^[0-9a-f]{64}$/.test(sha)) return { exports: require('./send') as typeof import('./drain') };
  const { exports, save } = loadWithCodeCache(bundle, sha, env);
  return { exports: exports as typeof import('./drain'), save };
}

function clearKickMarker(env: Env): void {
  try {
    fs.unlinkSync(kickMarkerFile(env));
  } catch {
    /* none */
  }
}

if (require.main === module) {
  process.title = 'devtool-telemetry-shipper';
  // Background deletes of acknowledged batches overlap in the libuv pool (read before first use).
  if (!process.env.UV_THREADPOOL_SIZE) process.env.UV_THREADPOOL_SIZE = '8';
  process.on('uncaughtException', () => process.exit(1));
  process.on('unhandledRejection', () => process.exit(1));
  runShipper(process.env).then(
    (code) => process.exit(code),
    () => process.exit(1),
  );
}
