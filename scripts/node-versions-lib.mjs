// Shared by scripts/test-node-versions.mjs, scripts/test-otel-next.mjs and bench/startup-versions.mjs:
// the pinned Node releases (scripts/node-versions.json), their binaries, and a vitest run under one.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

export function pinnedVersions() {
  const pins = JSON.parse(readFileSync(join(root, 'scripts/node-versions.json'), 'utf8'));
  return Object.entries(pins).filter(([k]) => /^\d+$/.test(k)).map(([major, version]) => ({ major, version }));
}

/** build/node/<major>/bin/node at the pinned version, installed (cached) if missing. */
export function nodeBinary(major, version) {
  const bin = join(root, 'build', 'node', major, 'bin', 'node');
  const at = () => (existsSync(bin) ? execFileSync(bin, ['--version'], { encoding: 'utf8' }).trim() : undefined);
  if (at() !== `v${version}`) execFileSync('bash', [join(root, 'scripts/node-versions.sh')], { cwd: root, stdio: 'inherit' });
  if (at() !== `v${version}`) throw new Error(`${bin} is not Node ${version} after scripts/node-versions.sh`);
  return bin;
}

/**
 * Run vitest with `bin` on `files` (cwd: `cwd`) in the `unit` and `process` projects (vitest.config.ts:
 * no collector, Jaeger or Prometheus, so no stack-building global setup); returns the wall time in
 * seconds, throws on failure.
 */
export function vitestWith(bin, files, { cwd = root, label } = {}) {
  const vitest = join(root, 'node_modules', 'vitest', 'vitest.mjs');
  const t0 = Date.now();
  console.log(`\n== ${label}: ${execFileSync(bin, ['--version'], { encoding: 'utf8' }).trim()} vitest run ${files.join(' ')}`);
  const r = spawnSync(bin, [vitest, 'run', '--project', 'unit', '--project', 'process', ...files], { cwd, stdio: 'inherit' });
  const s = (Date.now() - t0) / 1000;
  if (r.status !== 0) throw new Error(`${label}: vitest failed (exit ${r.status ?? r.signal}) after ${s.toFixed(0)} s`);
  return s;
}
