/**
 * What to do when the app has loaded an LLM client package: check that we know its version,
 * then patch it. Loaded only at that moment (never at start-up), together with the patcher.
 */
import fs = require('node:fs');
import path = require('node:path');
import { currentRecorder } from '../recorder/current';

export const CLIENT_PACKAGES = ['openai', '@anthropic-ai/sdk'] as const;
export type ClientPackage = (typeof CLIENT_PACKAGES)[number];

function note(text: string): void {
  if (currentRecorder()?.debug) process.stderr.write(`[devtool-telemetry] debug: ${text}\n`);
}

/** The package's version, from the package.json found walking up from its resolved entry file. */
export function versionFromFile(name: string, file: string | undefined): string | undefined {
  if (!file) return undefined;
  let dir = path.dirname(file);
  for (let i = 0; i < 6; i++) {
    try {
      const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: unknown; version?: unknown };
      if (pkg.name === name) return typeof pkg.version === 'string' ? pkg.version : undefined;
    } catch {
      /* no package.json here */
    }
    const up = path.dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return undefined;
}

/** Patch a loaded client (CJS exports or ESM namespace). Never throws. */
export function onClientLoaded(name: string, version: string | undefined, exports: unknown, via: 'require' | 'import'): void {
  try {
    const major = Number(/^(\d+)\./.exec(version ?? '')?.[1]);
    let patched = 0;
    if (name === 'openai') {
      const m = require('./openai') as typeof import('./openai');
      if (!m.OPENAI_MAJORS.includes(major)) return note(`openai ${version ?? '(unknown version)'} left alone: not a version we know`);
      patched = m.patchOpenAI(exports);
    } else if (name === '@anthropic-ai/sdk') {
      const m = require('./anthropic') as typeof import('./anthropic');
      if (!m.ANTHROPIC_MAJORS.includes(major)) return note(`@anthropic-ai/sdk ${version ?? '(unknown version)'} left alone: not a version we know`);
      patched = m.patchAnthropic(exports);
    } else if (name === '@google/genai') {
      const m = require('./google') as typeof import('./google');
      if (!m.GOOGLE_MAJORS.includes(major)) return note(`@google/genai ${version ?? '(unknown version)'} left alone: not a version we know`);
      patched = m.patchGoogle(exports);
    } else if (name === 'ai') {
      const m = require('./ai-sdk') as typeof import('./ai-sdk');
      if (!m.AI_SDK_MAJORS.includes(major)) return note(`ai ${version ?? '(unknown version)'} left alone: not a version we know`);
      patched = m.registerAiSdk(exports);
    } else if (name === '@modelcontextprotocol/sdk') {
      const m = require('./mcp') as typeof import('./mcp');
      if (!m.MCP_MAJORS.includes(major)) return note(`@modelcontextprotocol/sdk ${version ?? '(unknown version)'} left alone: not a version we know`);
      patched = m.patchMcp(exports);
    }
    note(`${name} ${version} (${via}): ${patched} method(s) instrumented`);
  } catch (err) {
    note(`${name}: not instrumented (${(err as Error)?.name ?? 'error'})`);
  }
}
