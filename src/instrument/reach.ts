/**
 * Where could the app reach an LLM client from? Cheap checks at start, so that apps which use no
 * client pay nothing for the ESM hook and the CommonJS traps.
 *
 * - clientInstalled(): is an `openai`, `@anthropic-ai/sdk`, `@google/genai`, `ai` or `@modelcontextprotocol/sdk` directory in any node_modules from the
 *   entry's directory up to the filesystem root (npm/yarn hoisting, workspace roots), or in pnpm's
 *   hoisted virtual store (`node_modules/.pnpm/node_modules`, where transitive deps live)? Only
 *   existence checks: one stat per level without node_modules, up to eleven with; no JSON is parsed.
 *   The client's own package.json, or whether the entry declares it, does not matter: most agents
 *   reach it through a framework (`@langchain/openai`, `@openai/agents`) or a workspace package.
 * - wrapperParents(): for CommonJS, a client nested under a framework
 *   (`@langchain/openai/node_modules/openai`, when the app's root has another major) is not where
 *   the entry's `require('openai')` would land; the frameworks known to wrap a client are resolved
 *   from the entry (a failed resolve is a few stats) and the client resolved from them.
 */
import { dirsUp } from '../storage/walk-up';
import fs = require('node:fs');
import path = require('node:path');

export const CLIENTS = ['openai', '@anthropic-ai/sdk'] as const;
/** Packages whose presence makes the hooks worth installing. */
const INSTALLED = [...CLIENTS, '@google/genai', 'ai', '@modelcontextprotocol/sdk'];
/** What to trap in the require cache: package name and the module request that loads its patch target. */
export const TRAPS: ReadonlyArray<{ name: string; request: string }> = [
  ...CLIENTS.map((name) => ({ name, request: name })),
  { name: '@google/genai', request: '@google/genai' },
  { name: '@modelcontextprotocol/sdk', request: '@modelcontextprotocol/sdk/client/index.js' },
];

/** Packages that import a client themselves; `via` first when the framework comes through another. */
const WRAPPERS: Array<{ name: string; via?: string }> = [
  { name: '@langchain/openai' },
  { name: '@langchain/anthropic' },
  { name: '@openai/agents-openai' },
  { name: '@openai/agents-openai', via: '@openai/agents' },
];

/** Directory levels walked at most (deeper trees are not a layout any package manager makes). */
const MAX_LEVELS = 40;

export function clientInstalled(fromDir: string): boolean {
  for (const dir of dirsUp(path.resolve(fromDir), MAX_LEVELS)) {
    const nm = path.join(dir, 'node_modules');
    if (fs.existsSync(nm)) {
      for (const name of INSTALLED) {
        if (fs.existsSync(path.join(nm, name)) || fs.existsSync(path.join(nm, '.pnpm', 'node_modules', name))) return true;
      }
    }
  }
  return false;
}

export interface Parent {
  id: string;
  filename: string;
  paths: string[];
}

interface Resolver {
  _resolveFilename(request: string, parent: unknown, isMain: boolean): string;
  _nodeModulePaths(dir: string): string[];
}

export function parentAt(M: Resolver, file: string): Parent {
  return { id: file, filename: file, paths: M._nodeModulePaths(path.dirname(file)) };
}

/** Module parents from which a framework would `require()` its client (resolved from the entry). */
export function wrapperParents(M: Resolver, entry: Parent): Parent[] {
  const out: Parent[] = [];
  const resolve = (name: string, from: Parent): Parent | undefined => {
    try {
      return parentAt(M, M._resolveFilename(name, from, false));
    } catch {
      return undefined; // not installed there (or ESM-only): nothing to watch
    }
  };
  for (const w of WRAPPERS) {
    const from = w.via ? resolve(w.via, entry) : entry;
    const p = from && resolve(w.name, from);
    if (p) out.push(p);
  }
  return out;
}
