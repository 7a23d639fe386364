/**
 * Module customization hook (`module.register`, runs in Node's hooks thread) for ESM apps: when
 * the ESM entry of `openai` or `@anthropic-ai/sdk` (or the MCP SDK's client module) is loaded, append two lines to its source that
 * import the module's own namespace (a self-import is legal and sees every export once the body
 * has run) and hand it, with the package version, to the main thread's patcher through a global
 * symbol. Every other module passes through untouched. No dependencies: the hooks thread loads
 * this file alone. On Node versions with synchronous in-thread hooks (`module.registerHooks`,
 * 22.15+), index.ts uses instrumentSource() directly and no hooks thread is started.
 */
import fs = require('node:fs');
import { fileURLToPath } from 'node:url';

/** Package directory marker, package name, and the ESM file (inside it) whose namespace we patch. */
const TARGETS: Array<[marker: string, name: string, entry: string]> = [
  ['/node_modules/openai/', 'openai', 'index.mjs'],
  ['/node_modules/@anthropic-ai/sdk/', '@anthropic-ai/sdk', 'index.mjs'],
  ['/node_modules/@google/genai/', '@google/genai', 'dist/node/index.mjs'],
  ['/node_modules/ai/', 'ai', 'dist/index.js'],
  ['/node_modules/@modelcontextprotocol/sdk/', '@modelcontextprotocol/sdk', 'dist/esm/client/index.js'],
];
/** Must match ESM_CALLBACK in esm-hook.ts. */
const CALLBACK = 'devtool-telemetry.esm-client-loaded';

interface LoadResult {
  format?: string;
  source?: string | ArrayBuffer | Uint8Array;
  shortCircuit?: boolean;
}
type NextLoad = (url: string, context?: unknown) => Promise<LoadResult>;
export type { LoadResult };

function versionAt(pkgUrl: string): string | undefined {
  try {
    const pkg = JSON.parse(fs.readFileSync(fileURLToPath(pkgUrl + 'package.json'), 'utf8')) as { version?: unknown };
    return typeof pkg.version === 'string' ? pkg.version : undefined;
  } catch {
    return undefined;
  }
}

/** Adds the hand-over lines to the ESM entry of a client package; every other module unchanged. */
export function instrumentSource(url: string, result: LoadResult): LoadResult {
  if (!url.endsWith('index.mjs') && !url.endsWith('/index.js')) return result; // most modules: one or two checks
  if (result.format !== 'module' || result.source === undefined) return result;
  for (const [marker, name, entry] of TARGETS) {
    const at = url.lastIndexOf(marker);
    if (at < 0 || !url.endsWith(entry) || url.length !== at + marker.length + entry.length) continue;
    try {
      const source = typeof result.source === 'string' ? result.source : new TextDecoder().decode(result.source as Uint8Array);
      const version = versionAt(url.slice(0, at + marker.length));
      const tail =
        `\nimport * as __devtool_telemetry_ns from ${JSON.stringify(url)};\n` +
        `globalThis[Symbol.for(${JSON.stringify(CALLBACK)})]?.(${JSON.stringify(name)}, ${JSON.stringify(version ?? null)}, __devtool_telemetry_ns);\n`;
      return { ...result, source: source + tail };
    } catch {
      return result;
    }
  }
  return result;
}

/** The `module.register()` load hook (Node 20.6+, runs in the hooks thread). */
export async function load(url: string, context: unknown, nextLoad: NextLoad): Promise<LoadResult> {
  return instrumentSource(url, await nextLoad(url, context));
}
