/**
 * What of argv may name a run: the subcommand when it is a plain command word (or one the tool
 * declared), and flag NAMES (Turborepo records which flags were used, never their values).
 * Argument values, paths and flag values never leave this module.
 */

/** A plain command word: lowercase letters, optionally joined by - or : ("build", "db:migrate"). */
const COMMAND_WORD = /^[a-z][a-z]{1,23}(?:[-:][a-z]{2,12}){0,2}$/;
const FLAG = /^--?[a-zA-Z][a-zA-Z0-9-]{0,39}$/;
const MAX_FLAGS = 16;

export interface ArgvShape {
  subcommand?: string;
  flags: string[];
}

/**
 * @param args process.argv.slice(2)
 * @param declared subcommands the tool declared; when given, only these name the span.
 */
export function argvShape(args: readonly string[], declared?: readonly string[]): ArgvShape {
  const flags = new Set<string>();
  let subcommand: string | undefined;
  let positional = 0;
  // After a bare `--flag`, the next word may be that flag's value: only a declared word counts then.
  let afterBareFlag = false;
  for (const arg of args) {
    if (arg === '--') break;
    if (arg.startsWith('-') && arg.length > 1) {
      const name = arg.split('=', 1)[0]!;
      if (FLAG.test(name) && flags.size < MAX_FLAGS) flags.add(name);
      afterBareFlag = !arg.includes('=');
      continue;
    }
    positional++;
    // Only the first positional can be the subcommand: later ones are operands (values, paths).
    if (positional === 1) {
      if (declared && declared.length > 0) {
        if (declared.includes(arg)) subcommand = arg;
      } else if (!afterBareFlag && COMMAND_WORD.test(arg)) {
        subcommand = arg;
      }
    }
    afterBareFlag = false;
  }
  return { subcommand, flags: [...flags] };
}

/** Span name per the CLI conventions: `{tool}` or `{tool} {subcommand}`. */
export function commandName(tool: string, subcommand?: string): string {
  return subcommand ? `${tool} ${subcommand}` : tool;
}
