/** `help` and `schema`: the usage text, and the attribute catalog as JSON. */
import { catalogAsJson } from '../privacy/catalog';
import { allowFlags, type CliContext, EXIT, line } from './context';

export function usage(prog: string, mounted: boolean): string {
  const toolHint = mounted ? '' : ' [--tool NAME | --all]';
  return [
    `Usage: ${prog} <command> [options]`,
    '',
    'Commands:',
    `  status [--explain] [--json]    the effective telemetry level and which source decided it`,
    `  enable${toolHint} [--level minimal|usage|full]`,
    `                                 allow telemetry (default level usage)`,
    `  disable${toolHint}`,
    `                                 turn telemetry off${mounted ? ' for this tool (--all: every tool)' : ' (default: every tool)'}`,
    '  reset                          new anonymous install id; delete unsent data',
    '  preview                        print what the last run recorded, sanitized; sends nothing',
    '  forget [--everything]          delete all local state (your opt-outs are kept unless --everything)',
    '  schema                         every attribute that can be recorded, as JSON',
    '  help                           this text',
    '',
    'Opt out anywhere: DO_NOT_TRACK=1, DEVTOOL_TELEMETRY_DISABLED=1, <TOOL>_TELEMETRY_DISABLED=1,',
    'a .devtool-telemetry.json {"telemetry":"off"} in your repository, or an administrator policy.',
    'DEVTOOL_TELEMETRY_DEBUG=1 prints every record to stderr and sends nothing.',
    '',
    'Exit codes: 0 done, 1 could not do it (see the message), 2 wrong command line.',
  ].join('\n');
}

export function helpVerb(ctx: CliContext): number {
  line(ctx.out, usage(ctx.prog, ctx.mounted));
  return EXIT.OK;
}

export function schemaVerb(ctx: CliContext): number {
  allowFlags(ctx, ['json']);
  line(ctx.out, JSON.stringify(catalogAsJson(), null, 2));
  return EXIT.OK;
}
