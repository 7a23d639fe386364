/**
 * The import graph of src/, read from the source text: static imports and re-exports (type-only ones
 * left out: they vanish at build), and lazy `require('./x')` calls with a literal path (esbuild
 * bundles those too). Enough to check layering rules without a TypeScript program.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export const SRC = path.join(__dirname, '../../src');

export interface Edge {
  from: string; // src-relative, e.g. 'recorder/emit.ts'
  to: string;
  lazy: boolean;
}

export function sourceFiles(dir = SRC): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...sourceFiles(p));
    else if (e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')) out.push(path.relative(SRC, p));
  }
  return out.sort();
}

function resolve(from: string, spec: string): string | undefined {
  const base = path.normalize(path.join(path.dirname(from), spec));
  for (const c of [`${base}.ts`, path.join(base, 'index.ts'), base]) if (fs.existsSync(path.join(SRC, c)) && fs.statSync(path.join(SRC, c)).isFile()) return c;
  return undefined;
}

export function edgesOf(file: string): Edge[] {
  const text = fs.readFileSync(path.join(SRC, file), 'utf8');
  const out: Edge[] = [];
  const staticRe = /^(?:import|export)\s+(?!type\b)(?:[^'";]*?\sfrom\s+)?['"](\.[^'"]+)['"]/gm;
  const lazyRe = /(?<!typeof import\()\brequire\(\s*['"](\.[^'"]+)['"]\s*\)/g;
  for (const [re, lazy] of [[staticRe, false], [lazyRe, true]] as const) {
    for (const m of text.matchAll(re)) {
      const to = resolve(file, m[1]);
      if (to) out.push({ from: file, to, lazy });
    }
  }
  return out;
}

export function allEdges(): Edge[] {
  return sourceFiles().flatMap(edgesOf);
}

/** The folder a file lives in (`recorder`), or its name for files at the root (`api`). */
export function area(file: string): string {
  const parts = file.split(path.sep);
  return parts.length > 1 ? parts[0] : parts[0].replace(/\.ts$/, '');
}

/** Every file `start` loads, following static imports and (unless `stop` says so) lazy requires. */
export function closure(start: string, stop: (e: Edge) => boolean = () => false): Set<string> {
  const seen = new Set([start]);
  const todo = [start];
  while (todo.length) {
    for (const e of edgesOf(todo.pop()!)) {
      if (stop(e) || seen.has(e.to)) continue;
      seen.add(e.to);
      todo.push(e.to);
    }
  }
  return seen;
}
