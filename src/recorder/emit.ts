/**
 * The one way out of the process: sanitize a batch, then either print it (debug: nothing spooled,
 * nothing sent) or write it to the spool and kick the detached shipper. Synchronous, because the
 * final flush runs inside the 'exit' event. The spool and shipper modules load here, at flush
 * time, never at start-up; the network lives in the shipper process alone.
 */
import type { ExportersConfig } from '../config/exporters-env';
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

let exporters: ExportersConfig | undefined;
let sampler: { ratio: number; sampled: (traceId: string, ratio: number) => boolean; problems: string[] } | undefined;

function loadSwitches(env: NodeJS.ProcessEnv): void {
  if (exporters && sampler) return;
  exporters = (require('../config/exporters-env') as typeof import('../config/exporters-env')).parseExportersEnv(env);
  const s = require('../config/sampler-env') as typeof import('../config/sampler-env');
  const cfg = s.parseSamplerEnv(env);
  sampler = { ratio: cfg.ratio, sampled: s.sampled, problems: cfg.problems };
}

/**
 * The standard switches, after sanitizing (session totals were counted from the whole batch):
 * OTEL_TRACES_SAMPLER drops the spans of unsampled traces (metrics untouched);
 * OTEL_TRACES_EXPORTER / OTEL_METRICS_EXPORTER: `console` prints a signal's records to stderr,
 * `none` drops them; what remains for `otlp` is spooled. Undefined: nothing to spool.
 */
function applyExporters(input: Batch, env: NodeJS.ProcessEnv): Batch | undefined {
  loadSwitches(env);
  const { traces, metrics } = exporters!;
  const { ratio, sampled } = sampler!;
  const batch = ratio >= 1 ? input : { ...input, spans: input.spans.filter((sp) => sampled(sp.traceId, ratio)) };
  if (batch !== input && batch.spans.length === 0 && batch.metrics.length === 0) return undefined;
  if (traces.otlp && metrics.otlp && !traces.console && !metrics.console) return batch;
  if (traces.console || metrics.console) {
    const shown = { ...batch, spans: traces.console ? batch.spans : [], metrics: metrics.console ? batch.metrics : [] };
    if (shown.spans.length || shown.metrics.length) process.stderr.write(`[devtool-telemetry] console: ${JSON.stringify(shown, null, 2)}\n`);
  }
  const spans = traces.otlp ? batch.spans : [];
  const points = metrics.otlp ? batch.metrics : [];
  return spans.length || points.length ? { ...batch, spans, metrics: points } : undefined;
}

/**
 * Which signals of the trace `traceId` the standard switches let reach the spool (console alone does
 * not: it prints at exit, which a dead process never reaches). Read at start for the start record, so
 * a run that dies without JS is finalized under its own switches. Loads nothing when none is set.
 */
export function spooledSignals(env: NodeJS.ProcessEnv, traceId: string): { spans: boolean; metrics: boolean } {
  if (!env.OTEL_TRACES_EXPORTER && !env.OTEL_METRICS_EXPORTER && !env.OTEL_TRACES_SAMPLER) return { spans: true, metrics: true };
  try {
    loadSwitches(env);
    const { ratio, sampled } = sampler!;
    return { spans: exporters!.traces.otlp && (ratio >= 1 || sampled(traceId, ratio)), metrics: exporters!.metrics.otlp };
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
      loadSwitches(opts.env);
      debugPrint(batch, [...opts.notes(), ...exporters!.problems, ...sampler!.problems]);
      return;
    }
    const toSpool = applyExporters(batch, opts.env);
    if (!toSpool) return;
    // Not telemetry: kept beside the records for the shipper's consent re-check, never sent (set after
    // the console exporter printed, so it never shows there either).
    if (raw.origin) toSpool.origin = raw.origin;
    const { writeBatch } = require('../spool/spool') as typeof import('../spool/spool');
    const written = writeBatch(toSpool, opts.env);
    mark('exit: spool write');
    if (!written.ok) return; // disk full, read-only home...: the tool runs on; `status` shows why
    const { kickShipper } = require('../shipper/kick') as typeof import('../shipper/kick');
    kickShipper(opts.env);
    mark('exit: kick');
    printProfile();
  } catch (err) {
    if (opts.debug) process.stderr.write(`[devtool-telemetry] debug: flush failed: ${(err as Error)?.name}\n`);
  }
}
