/**
 * What of argv may name a run: a subcommand word, and flag NAMES (Turborepo records which flags
 * were used, never their values). Argument values, paths and flag values never leave this module.
 *
 * A word names the span only when we know it is a command and not data:
 * - the tool declared it (`devtoolTelemetry.subcommands` in its package.json): only those words;
 * - the tool declared nothing (typically a preload set through NODE_OPTIONS by whoever runs the
 *   machine): only a common CLI verb from the built-in list below, and only when no file or folder
 *   of that name exists in the working directory (`eslint test` lints the folder `test`).
 * Nothing else, ever: `eslint client-portal`, `figlet hello` and `npm run deploy-acme` record
 * `eslint`, `figlet` and `npm run`.
 */
import { workingDir } from '../storage/paths';
import fs = require('node:fs');
import path = require('node:path');

/**
 * Verbs that common CLIs (npm, yarn, pnpm, cargo-style tools, framework CLIs) use as subcommands.
 * Generic on purpose: a word here says what kind of work ran, never whose or on what.
 */
export const COMMON_VERBS: ReadonlySet<string> = new Set([
  'add', 'analyze', 'audit', 'bench', 'bootstrap', 'build', 'bump', 'bundle', 'check', 'ci', 'clean',
  'compile', 'config', 'create', 'deploy', 'dev', 'diff', 'doctor', 'exec', 'export', 'fix', 'format',
  'generate', 'help', 'import', 'info', 'init', 'install', 'lint', 'link', 'list', 'login', 'logout',
  'ls', 'migrate', 'new', 'outdated', 'pack', 'preview', 'publish', 'pull', 'push', 'release', 'remove',
  'restart', 'rm', 'run', 'serve', 'setup', 'start', 'status', 'stop', 'sync', 'test', 'typecheck',
  'uninstall', 'unlink', 'update', 'upgrade', 'validate', 'verify', 'version', 'watch', 'whoami',
]);

/** A long flag's name (`--dry-run`); `--name=value` is cut at `=` first. */
const LONG_FLAG = /^--[a-zA-Z][a-zA-Z0-9-]{0,38}$/;
/** A short flag is its first letter only: `-p8080`, `-c-1`, `-uadmin` carry their value attached. */
const SHORT_FLAG = /^-[a-zA-Z]/;
export const MAX_FLAGS = 16;

export interface ArgvShape {
  subcommand?: string;
  flags: string[];
}

/** The recordable name of one flag argument, or undefined (a value like `-1`, or not a flag). */
export function flagName(arg: string): string | undefined {
  if (arg.startsWith('--')) {
    const name = arg.split('=', 1)[0]!;
    return LONG_FLAG.test(name) ? name : undefined;
  }
  return SHORT_FLAG.test(arg) ? arg.slice(0, 2) : undefined;
}

function isExistingPath(word: string, cwd: string): boolean {
  try {
    fs.lstatSync(path.resolve(cwd, word));
    return true;
  } catch (e) {
    // Only "no such file" proves it is not a path; anything else (EACCES...) counts as a path.
    const code = (e as NodeJS.ErrnoException).code;
    return code !== 'ENOENT' && code !== 'ENOTDIR';
  }
}

/**
 * @param args process.argv.slice(2)
 * @param declared subcommands the tool declared; when given, only these name the span.
 * @param cwd where relative paths resolve (a verb that is also an existing path is a path).
 */
export function argvShape(args: readonly string[], declared?: readonly unknown[], cwd?: string): ArgvShape {
  const flags = new Set<string>();
  let subcommand: string | undefined;
  let positional = 0;
  // After a bare `--flag`, the next word may be that flag's value: only a declared word counts then.
  let afterBareFlag = false;
  const declaredWords = Array.isArray(declared) ? declared.filter((w): w is string => typeof w === 'string' && w.length > 0) : [];
  for (const arg of args) {
    if (arg === '--') break;
    if (arg.startsWith('-') && arg.length > 1) {
      const name = flagName(arg);
      if (name && flags.size < MAX_FLAGS) flags.add(name);
      // `-p8080` and `--port=8080` carry their value; a bare `-p`/`--port` may take the next word.
      afterBareFlag = name !== undefined && name === arg;
      continue;
    }
    positional++;
    // Only the first positional can be the subcommand: later ones are operands (values, paths).
    if (positional === 1) {
      if (declaredWords.length > 0) {
        if (declaredWords.includes(arg)) subcommand = arg;
      } else if (!afterBareFlag && COMMON_VERBS.has(arg) && !isExistingPath(arg, cwd ?? workingDir())) {
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
