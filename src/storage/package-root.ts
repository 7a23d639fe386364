/**
 * Where this package is installed. Found by walking up from this file to our own package.json, so
 * it is right both in the per-file build (dist/cjs/config/) and inside the bundled hot path
 * (dist/cjs/index.js), and from src/ under the test runner.
 */
import { dirsUp } from './walk-up';
import fs = require('node:fs');
import path = require('node:path');

let root: string | undefined;

export function packageRoot(): string {
  if (root !== undefined) return root;
  for (const dir of dirsUp(__dirname, 8)) {
    try {
      const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: unknown };
      if (pkg.name === 'devtool-telemetry') return (root = dir);
    } catch {
      /* not here (or dist/esm's {"type":"module"} marker): keep walking */
    }
  }
  return (root = path.resolve(__dirname, '..', '..', '..'));
}

/** A file of the CommonJS build, e.g. `distFile('shipper', 'main.js')`. */
export function distFile(...parts: string[]): string {
  return path.join(packageRoot(), 'dist', 'cjs', ...parts);
}
