/**
 * The one way out of the process: sanitize a batch, then either print it (debug: nothing spooled,
 * nothing sent) or write it to the spool and kick the detached shipper. Synchronous, because the
 * final flush runs inside the 'exit' event. The spool and shipper modules load here, at flush
 * time, never at start-up; the network lives in the shipper process alone.
 */
import type { Batch } from '../model';
import type { Sanitizer } from '../privacy/sanitize';
import { localIdentity } from '../resource/local-identity';
import { mark, printProfile } from '../profile';

export interface EmitOptions {
  env: NodeJS.ProcessEnv;
  debug: boolean;
  /** Lines explaining what was skipped or degraded, printed once under debug. */
  notes: () => string[];
}

let sanitizer: Sanitizer | undefined;
let notesPrinted = false;

function getSanitizer(batch: Batch, env: NodeJS.ProcessEnv): Sanitizer {
  if (!sanitizer) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { createSanitizer } = require('../privacy/sanitize') as typeof import('../privacy/sanitize');
    sanitizer = createSanitizer({ level: batch.level, ...localIdentity(env, { cwd: true }) });
  }
  return sanitizer;
}

function debugPrint(batch: Batch, notes: string[]): void {
  const lines: string[] = [];
  if (!notesPrinted) {
    notesPrinted = true;
    for (const n of notes) lines.push(`[devtool-telemetry] debug: ${n}`);
    lines.push('[devtool-telemetry] debug: DEVTOOL_TELEMETRY_DEBUG is set: printing records, sending and spooling nothing');
  }
  lines.push(`[devtool-telemetry] debug: would send ${JSON.stringify(batch, null, 2)}`);
  process.stderr.write(lines.join('\n') + '\n');
}

/** Never throws: telemetry must not break the tool. */
export function emit(raw: Batch, opts: EmitOptions): void {
  try {
    const batch = getSanitizer(raw, opts.env).batch(raw);
    mark('exit: sanitize');
    if (opts.debug) {
      debugPrint(batch, opts.notes());
      return;
    }
    // Not telemetry: kept beside the records for the shipper's consent re-check, never sent.
    if (raw.origin) batch.origin = raw.origin;
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { writeBatch } = require('../spool/spool') as typeof import('../spool/spool');
    const written = writeBatch(batch, opts.env);
    mark('exit: spool write');
    if (!written.ok) return; // disk full, read-only home...: the tool runs on; `status` shows why
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { kickShipper } = require('../shipper/kick') as typeof import('../shipper/kick');
    kickShipper(opts.env);
    mark('exit: kick');
    printProfile();
  } catch (err) {
    if (opts.debug) process.stderr.write(`[devtool-telemetry] debug: flush failed: ${(err as Error)?.name}\n`);
  }
}
