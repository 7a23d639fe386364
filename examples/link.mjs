// Makes `require('devtool-telemetry')` resolve to this repository from every example (a
// node_modules symlink, as `npm link` would), so the examples run from a checkout without an
// install step. Their other dependencies (commander, openai) resolve from the root node_modules.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, realpathSync, rmSync, symlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const link = join(here, 'node_modules', 'devtool-telemetry');

export function linkExamples() {
  try {
    if (realpathSync(link) === realpathSync(root)) return link;
  } catch {
    /* missing */
  }
  rmSync(link, { recursive: true, force: true });
  mkdirSync(dirname(link), { recursive: true });
  try {
    symlinkSync(root, link, process.platform === 'win32' ? 'junction' : 'dir');
  } catch (err) {
    if (err.code !== 'EEXIST') throw err; // a concurrent run made it
  }
  return link;
}

if (process.argv[1] && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) {
  linkExamples();
  // A fresh checkout has no build yet: the examples run the preload from dist/.
  if (!existsSync(join(root, 'dist', 'cjs', 'register.js')) || !existsSync(join(root, 'dist', 'esm', 'register.mjs'))) {
    execFileSync(process.execPath, [join(root, 'scripts', 'build.mjs')], { stdio: 'inherit', cwd: root });
  }
}
