/**
 * The consent CLI: `devtool-telemetry <verb>`, and the same verbs mounted in a tool's own CLI
 * (`mytool telemetry status` -> runCli(['status'], { tool: 'mytool' })). It decides nothing itself:
 * status and enable/disable ask the consent resolver, preview uses the spool reader and the
 * sanitizer, schema the catalog. Resolves to an exit code; never throws.
 */
import type { ToolIdentity } from '../resource/tool';
import { type CliContext, type CliOptions, EXIT, line, parseArgs, toolByName, UsageError } from './context';
import { helpVerb, schemaVerb, usage } from './help';
import { previewVerb } from './preview';
import { forgetVerb, resetVerb } from './reset-forget';
import { statusVerb } from './status';
import { disableVerb, enableVerb } from './toggle';

export type { CliOptions } from './context';
export { askConsent } from '../consent/prompt';

const VERBS: Record<string, (ctx: CliContext) => number> = {
  status: statusVerb,
  enable: enableVerb,
  disable: disableVerb,
  reset: resetVerb,
  preview: previewVerb,
  forget: forgetVerb,
  schema: schemaVerb,
  help: helpVerb,
};

export async function runCli(argv: string[], opts: CliOptions = {}): Promise<number> {
  const out = opts.stdout ?? process.stdout;
  const err = opts.stderr ?? process.stderr;
  const env = opts.env ?? process.env;
  const mountedName = typeof opts.tool === 'string' ? opts.tool : opts.tool?.name;
  const prog = mountedName ? `${mountedName} telemetry` : 'devtool-telemetry';
  let cwd: string;
  try {
    cwd = opts.cwd ?? process.cwd();
  } catch {
    cwd = env.HOME || '/';
  }
  try {
    const args = parseArgs(Array.isArray(argv) ? argv : []);
    if (args.flags.has('help') || args.verb === '--help') {
      line(out, usage(prog, !!mountedName));
      return EXIT.OK;
    }
    const verb = args.verb ?? 'status';
    const run = VERBS[verb];
    if (!run) {
      line(err, `${prog}: unknown command "${verb}".`);
      line(err, usage(prog, !!mountedName));
      return EXIT.USAGE;
    }
    let tool: ToolIdentity | undefined;
    const named = args.values.get('tool');
    if (named) tool = toolByName(named, cwd);
    else if (typeof opts.tool === 'object' && opts.tool) tool = opts.tool;
    else if (mountedName) tool = toolByName(mountedName, cwd);
    const ctx: CliContext = { args: { ...args, verb }, env, cwd, out, err, tool, prog, mounted: !!mountedName };
    return run(ctx);
  } catch (e) {
    if (e instanceof UsageError) {
      line(err, `${prog}: ${e.message}. See \`${prog} help\`.`);
      return EXIT.USAGE;
    }
    line(err, `${prog}: unexpected error: ${(e as Error)?.message ?? String(e)}`);
    return EXIT.FAILED;
  }
}
