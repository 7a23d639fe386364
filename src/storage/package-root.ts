/**
 * Where this package is installed: known by the bundles (their place in dist/ is fixed), else found
 * by walking up from this file to our own package.json (the per-file build, src/ under the tests).
 */
import { dirsUp } from './walk-up';
import fs = require('node:fs');
import path = require('node:path');

/**
 * Set by scripts/build.mjs in the bundles (dist/cjs/register.js, runtime.js: 2; shipper/send.js: 3):
 * how many directories below the package root the bundle sits. A bundle then knows the root
 * without reading package.json files on every run.
 */
declare const __DIST_DEPTH__: number | undefined;
const DIST_DEPTH = typeof __DIST_DEPTH__ === 'number' ? __DIST_DEPTH__ : undefined;

let root: string | undefined;

export function packageRoot(): string {
  if (root !== undefined) return root;
  if (DIST_DEPTH !== undefined) return (root = path.resolve(__dirname, ...new Array<string>(DIST_DEPTH).fill('..')));
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
