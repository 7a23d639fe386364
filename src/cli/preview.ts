/**
 * `preview`: print the records the last run produced, exactly as they would leave the machine
 * (after the same sanitizer the shipper applies), and send nothing. The newest pending spool batch
 * if there is one, else the newest entry of the transparency log (what was actually sent). JSON on
 * stdout (pipe it to jq), one human line on stderr.
 */
import os = require('node:os');
import type { Batch } from '../model/records';
import { createSanitizer } from '../privacy/sanitize';
import { resolveConsent } from '../consent/resolve';
import { listBatches, readBatch } from '../spool/reader';
import { readSentLog } from '../spool/sent-log';
import { allowFlags, type CliContext, EXIT, fmtTime, line, noTool } from './context';

function safe<T>(fn: () => T): T | undefined {
  try {
    return fn();
  } catch {
    return undefined;
  }
}

function sanitize(batch: Batch, ctx: CliContext): Batch {
  const s = createSanitizer({
    level: batch.level,
    home: ctx.env.HOME || safe(() => os.homedir()),
    user: safe(() => os.userInfo().username) || ctx.env.USER || ctx.env.LOGNAME || ctx.env.USERNAME,
    host: safe(() => os.hostname()),
    cwd: ctx.cwd,
  });
  return s.batch(batch);
}

function serviceOf(b: Batch): unknown {
  return b.resource?.['service.name'];
}

export function previewVerb(ctx: CliContext): number {
  allowFlags(ctx, ['tool']);
  const toolName = ctx.args.values.get('tool') ?? ctx.tool?.name;
  const decision = resolveConsent({ env: ctx.env, cwd: ctx.cwd, tool: ctx.tool ?? noTool() });
  if (decision.level === 'off') {
    line(ctx.err, `${ctx.prog}: telemetry is off here (decided by ${decision.source}): runs record nothing.`);
  }
  const names = listBatches(ctx.env).reverse();
  for (const n of names) {
    const r = readBatch(ctx.env, n);
    if (r.kind !== 'ok') continue;
    if (toolName && serviceOf(r.batch) !== toolName) continue;
    const batch = sanitize(r.batch, ctx);
    line(ctx.err, `${ctx.prog}: newest unsent batch (${fmtTime(n.createdAt)}, level ${batch.level}, ${batch.spans.length} span(s), ${batch.metrics.length} metric(s), ${batch.logs?.length ?? 0} log record(s)), as it would be sent. Nothing was sent.`);
    line(ctx.out, JSON.stringify({ from: 'spool', file: n.file, createdAt: n.createdAt, batch }, null, 2));
    return EXIT.OK;
  }
  const log = safe(() => readSentLog(ctx.env, 50)) ?? [];
  for (let i = log.length - 1; i >= 0; i--) {
    const e = log[i];
    if (!Array.isArray(e.records) || e.records.length === 0) continue;
    if (toolName && !JSON.stringify(e.records).includes(JSON.stringify(toolName))) continue;
    line(ctx.err, `${ctx.prog}: nothing waiting; newest entry of the sent log (${fmtTime(e.time)}, ${e.signal}, ${e.result} at ${e.endpoint}). Nothing was sent now.`);
    line(ctx.out, JSON.stringify({ from: 'sent-log', entry: e }, null, 2));
    return EXIT.OK;
  }
  line(ctx.err, `${ctx.prog}: no records yet${toolName ? ` for ${toolName}` : ''}. Run the tool once, then preview again;`);
  line(ctx.err, '  or run it with DEVTOOL_TELEMETRY_DEBUG=1 to print every record to stderr while nothing is spooled or sent.');
  return EXIT.OK;
}
