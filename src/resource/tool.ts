/**
 * Who is the tool? The `name` and `version` of the nearest package.json above the entry script,
 * plus the tool author's optional `devtoolTelemetry` block (defaults, declared subcommands, ...).
 * Loaded before the consent decision (the tool name scopes `<TOOL>_TELEMETRY_DISABLED`), so it is
 * tiny and does synchronous reads only. A missing or broken package.json is not an error.
 */
import { dirsUp } from '../storage/walk-up';
import fs = require('node:fs');
import path = require('node:path');
import type { Level } from '../model/records';

/** What a tool author may put under `"devtoolTelemetry"` in the tool's package.json (or pass to start()). */
export interface ToolOptions {
  /** Default level when no source decides: `usage` (opt-out model) or `off` (opt-in only). */
  defaultLevel?: Level;
  /** Ask on the first interactive run (opt-in model); no answer means no. */
  prompt?: boolean;
  /** Identity mode: persistent anonymous install id, per-run session id only, or none. */
  identity?: 'install' | 'session' | 'none';
  /** Subcommand words the tool declares; only these (or plain command words) name the span. */
  subcommands?: string[];
  /** Where users read what is collected (shown in the first-run notice). */
  docsUrl?: string;
  /** Long-running apps: in-process flush period, ms (0 disables periodic flush). */
  flushIntervalMs?: number;
}

export interface ToolIdentity {
  /** package.json `name`, or undefined when none was found. */
  name?: string;
  version?: string;
  /** Directory holding that package.json. */
  root?: string;
  options: ToolOptions;
  /**
   * The tool itself uses devtool-telemetry (depends on it, configures it, or calls start()).
   * False when the preload came from the environment (NODE_OPTIONS set by a CI or platform team):
   * the tool's authors then receive nothing, and the notice must say who does.
   */
  integrated?: boolean;
  /** Why the identity is incomplete, for the debug printer. */
  problems: string[];
}

const MAX_UP = 32;

/** Find the tool's package.json walking up from `start` (a file or directory). */
export function detectTool(start: string | undefined): ToolIdentity {
  const problems: string[] = [];
  // `node -e`, stdin, the REPL: no script of a tool's own, so the preload came from the environment
  if (!start) return { options: {}, integrated: false, problems: ['no entry script'] };
  let from: string;
  try {
    // The real path, as Node resolves the main module: a bin reached through node_modules/.bin
    // (npx, npm scripts) belongs to its own package, not to the project that installed it.
    from = fs.realpathSync(path.resolve(start));
    if (!fs.statSync(from).isDirectory()) from = path.dirname(from);
  } catch {
    from = path.dirname(path.resolve(start));
  }
  for (const dir of dirsUp(from, MAX_UP)) {
    const file = path.join(dir, 'package.json');
    let text: string | undefined;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch {
      /* not here: keep walking */
    }
    if (text !== undefined) {
      try {
        const pkg = JSON.parse(text) as Record<string, unknown>;
        // A nested {"type":"module"} marker without a name is not the tool: keep walking.
        if (typeof pkg.name === 'string' && pkg.name) {
          const opts = pkg.devtoolTelemetry;
          return {
            name: pkg.name,
            version: typeof pkg.version === 'string' ? pkg.version : undefined,
            root: dir,
            options: opts && typeof opts === 'object' ? (opts as ToolOptions) : {},
            integrated: usesUs(pkg),
            problems,
          };
        }
      } catch {
        problems.push(`unparsable package.json skipped: ${path.basename(dir)}/package.json`);
      }
    }
  }
  problems.push('no package.json with a name above the entry script');
  // A script outside any package cannot depend on us: the preload came from the environment.
  return { options: {}, integrated: false, problems };
}

const DEP_FIELDS = ['dependencies', 'devDependencies', 'optionalDependencies', 'peerDependencies'];

/** Does this package.json belong to a tool built on devtool-telemetry (or to devtool-telemetry)? */
function usesUs(pkg: Record<string, unknown>): boolean {
  if (pkg.name === 'devtool-telemetry' || (pkg.devtoolTelemetry && typeof pkg.devtoolTelemetry === 'object')) return true;
  return DEP_FIELDS.some((f) => {
    const deps = pkg[f];
    return !!deps && typeof deps === 'object' && Object.prototype.hasOwnProperty.call(deps, 'devtool-telemetry');
  });
}

/** `fixture-tool` -> `FIXTURE_TOOL`; `@acme/my.cli` -> `ACME_MY_CLI`. */
export function toolEnvPrefix(name: string): string {
  return name
    .replace(/^@/, '')
    .replace(/[^A-Za-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .toUpperCase();
}
