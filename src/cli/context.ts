/**
 * What every verb gets: parsed arguments, the environment, where to print, and the tool it is about.
 * A tool that mounts our verbs (`mytool telemetry status`) passes its own name; our own bin does not.
 */
import fs = require('node:fs');
import path = require('node:path');
import { detectTool, type ToolIdentity } from '../resource/tool';

export interface Sink {
  write(text: string): unknown;
}

export interface CliOptions {
  /** The tool this CLI is mounted in (`mytool telemetry ...`), or a ToolIdentity it already has. */
  tool?: string | ToolIdentity;
  stdout?: Sink;
  stderr?: Sink;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

export interface ParsedArgs {
  verb?: string;
  flags: Set<string>;
  values: Map<string, string>;
  positionals: string[];
}

export interface CliContext {
  args: ParsedArgs;
  env: NodeJS.ProcessEnv;
  cwd: string;
  out: Sink;
  err: Sink;
  /** Set when mounted in a tool or given --tool NAME. */
  tool?: ToolIdentity;
  /** The name used to invoke us, for messages: `devtool-telemetry` or `mytool telemetry`. */
  prog: string;
  mounted: boolean;
}

/** Exit codes: 0 done, 1 could not do it (file system, state), 2 the command line is wrong. */
export const EXIT = { OK: 0, FAILED: 1, USAGE: 2 } as const;

export class UsageError extends Error {}

const VALUE_FLAGS = new Set(['tool', 'level']);
/** An npm package name (scoped or not): what `service.name` and the user config are keyed by. */
const TOOL_NAME = /^(?:@[a-z0-9][a-z0-9._~-]*\/)?[a-z0-9][a-z0-9._~-]{0,213}$/i;

/** A tiny parser: `verb --flag --key value --key=value`. Unknown flags are the verb's to reject. */
export function parseArgs(argv: string[]): ParsedArgs {
  const parsed: ParsedArgs = { flags: new Set(), values: new Map(), positionals: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = String(argv[i]);
    if (a === '-h') {
      parsed.flags.add('help');
    } else if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const key = (eq >= 0 ? a.slice(2, eq) : a.slice(2)).toLowerCase();
      if (VALUE_FLAGS.has(key)) {
        const value = eq >= 0 ? a.slice(eq + 1) : argv[++i];
        if (value === undefined || value === '' || (eq < 0 && value.startsWith('--'))) throw new UsageError(`--${key} needs a value`);
        if (key === 'tool' && !TOOL_NAME.test(value)) throw new UsageError(`--tool ${JSON.stringify(value.slice(0, 80))} is not a package name`);
        parsed.values.set(key, value);
      } else {
        if (eq >= 0) throw new UsageError(`--${key} takes no value`);
        parsed.flags.add(key);
      }
    } else if (parsed.verb === undefined) {
      parsed.verb = a.toLowerCase();
    } else {
      parsed.positionals.push(a);
    }
  }
  return parsed;
}

/** Reject flags a verb does not know, so a typo never silently does something else. */
export function allowFlags(ctx: CliContext, allowed: string[]): void {
  const ok = new Set([...allowed, 'help']);
  for (const f of ctx.args.flags) if (!ok.has(f)) throw new UsageError(`unknown option --${f} for ${ctx.args.verb ?? 'status'}`);
  for (const f of ctx.args.values.keys()) if (!ok.has(f)) throw new UsageError(`unknown option --${f} for ${ctx.args.verb ?? 'status'}`);
  if (ctx.args.positionals.length) throw new UsageError(`unexpected argument: ${ctx.args.positionals[0]}`);
}

/**
 * The identity of a tool named on the command line: its package.json (for its defaults and prompt
 * mode) if we can find it (the running program, the project in cwd, node_modules from cwd up),
 * else just the name.
 */
export function toolByName(name: string, cwd: string): ToolIdentity {
  const candidates: Array<string | undefined> = [process.argv[1], cwd];
  for (const start of candidates) {
    if (!start) continue;
    const t = detectTool(start);
    if (t.name === name) return t;
  }
  let dir = path.resolve(cwd);
  for (let i = 0; i < 64; i++) {
    const pkg = path.join(dir, 'node_modules', name, 'package.json');
    try {
      if (fs.statSync(pkg).isFile()) {
        const t = detectTool(pkg);
        if (t.name === name) return t;
      }
    } catch {
      /* not installed here */
    }
    const parent = path.dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return { name, options: {}, problems: [] };
}

/** The identity the resolver gets when no tool is named: only the global sources apply. */
export function noTool(): ToolIdentity {
  return { options: {}, problems: [] };
}

export function fmtBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} kB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

export function fmtTime(ms: number | undefined): string {
  if (!ms || !Number.isFinite(ms)) return 'never';
  try {
    return new Date(ms).toISOString();
  } catch {
    return 'unknown';
  }
}

export function line(sink: Sink, text = ''): void {
  try {
    sink.write(text + '\n');
  } catch {
    /* closed pipe (status | head) */
  }
}
