/**
 * The one way out of the process: sanitize a batch, then either print it (debug: nothing spooled,
 * nothing sent) or write it to the spool and kick the detached shipper. Synchronous, because the
 * final flush runs inside the 'exit' event. The spool and shipper modules load here, at flush
 * time, never at start-up; the network lives in the shipper process alone.
 */
import type { ExportersConfig } from '../settings/exporters';
import { settingsOf } from '../settings/settings';
import { sampled } from '../settings/sampler';
import type { Batch } from '../model/records';
import type { Sanitizer } from '../privacy/sanitize';
import { localIdentity } from '../resource/local-identity';
import { mark } from '../diagnostics/profile';

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

/** The parsed switches, and the sampler's decision function. */
function switches(env: NodeJS.ProcessEnv): { exporters: ExportersConfig; ratio: number; sampled: (traceId: string, ratio: number) => boolean } {
  const s = settingsOf(env);
  return { exporters: s.exporters, ratio: s.sampler.ratio, sampled };
}

/**
 * The standard switches, after sanitizing (session totals were counted from the whole batch):
 * OTEL_TRACES_SAMPLER drops the spans of unsampled traces (metrics untouched);
 * OTEL_TRACES_EXPORTER / OTEL_METRICS_EXPORTER / OTEL_LOGS_EXPORTER: `console` prints a signal's records to stderr,
 * `none` drops them; what remains for `otlp` is spooled. Undefined: nothing to spool.
 */
function applyExporters(input: Batch, env: NodeJS.ProcessEnv): Batch | undefined {
  const { exporters, ratio, sampled } = switches(env);
  const { traces, metrics, logs } = exporters;
  const batch = ratio >= 1 ? input : { ...input, spans: input.spans.filter((sp) => sampled(sp.traceId, ratio)) };
  const records = batch.logs ?? [];
  if (batch !== input && batch.spans.length === 0 && batch.metrics.length === 0 && records.length === 0) return undefined;
  if (traces.otlp && metrics.otlp && logs.otlp && !traces.console && !metrics.console && !logs.console) return batch;
  if (traces.console || metrics.console || logs.console) {
    const shown: Batch = { ...batch, spans: traces.console ? batch.spans : [], metrics: metrics.console ? batch.metrics : [] };
    if (logs.console && records.length) shown.logs = records;
    else delete shown.logs;
    if (shown.spans.length || shown.metrics.length || shown.logs) process.stderr.write(`[devtool-telemetry] console: ${JSON.stringify(shown, null, 2)}\n`);
  }
  const spans = traces.otlp ? batch.spans : [];
  const points = metrics.otlp ? batch.metrics : [];
  const kept = logs.otlp ? records : [];
  if (!spans.length && !points.length && !kept.length) return undefined;
  const out: Batch = { ...batch, spans, metrics: points };
  if (kept.length) out.logs = kept;
  else delete out.logs;
  return out;
}

/**
 * Which signals of the trace `traceId` the standard switches let reach the spool (console alone does
 * not: it prints at exit, which a dead process never reaches). Read at start for the start record, so
 * a run that dies without JS is finalized under its own switches. Loads nothing when none is set.
 */
export function spooledSignals(env: NodeJS.ProcessEnv, traceId: string): { spans: boolean; metrics: boolean } {
  if (settingsOf(env).defaultSwitches) return { spans: true, metrics: true };
  try {
    const { exporters, ratio, sampled } = switches(env);
    return { spans: exporters.traces.otlp && (ratio >= 1 || sampled(traceId, ratio)), metrics: exporters.metrics.otlp };
  } catch {
    return { spans: true, metrics: true };
  }
}

/** Never throws: telemetry must not break the tool. */
export function emit(raw: Batch, opts: EmitOptions): void {
  try {
    const batch = getSanitizer(raw, opts.env).batch(raw);
    mark('exit: sanitize');
    if (opts.debug) {
      const settings = settingsOf(opts.env);
      debugPrint(batch, [...opts.notes(), ...settings.exporters.problems, ...settings.sampler.problems]);
      return;
    }
    // OTEL_LOG_LEVEL: our diagnostics on stderr, records still sent (silent when unset).
    const diag = opts.env.OTEL_LOG_LEVEL ? (require('./diagnostics') as typeof import('./diagnostics')) : undefined;
    if (diag && diag.logLevel(opts.env) !== 'none') {
      const settings = settingsOf(opts.env);
      diag.announce(opts.env, [...opts.notes(), ...settings.exporters.problems, ...settings.sampler.problems]);
    }
    const toSpool = applyExporters(batch, opts.env);
    if (!toSpool) return;
    // Not telemetry: kept beside the records for the shipper's consent re-check, never sent (set after
    // the console exporter printed, so it never shows there either).
    if (raw.origin) toSpool.origin = raw.origin;
    const { writeBatch } = require('../spool/spool') as typeof import('../spool/spool');
    const written = writeBatch(toSpool, opts.env);
    mark('exit: spool write');
    diag?.spooled(opts.env, toSpool, written);
    if (!written.ok) return; // disk full, read-only home...: the tool runs on; `status` shows why
    const { kickShipper } = require('../spool/kick') as typeof import('../spool/kick');
    kickShipper(opts.env);
    mark('exit: kick'); // printed at the end of the exit path, so printing is in no phase
  } catch (err) {
    if (opts.debug) process.stderr.write(`[devtool-telemetry] debug: flush failed: ${(err as Error)?.name}\n`);
  }
}
