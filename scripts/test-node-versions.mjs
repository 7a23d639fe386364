// The second half of `npm test`: the real-process suites again under every other Node.js release CI
// tests (scripts/node-versions.json; the first half, `vitest run`, ran everything under this machine's
// Node), then the shipper tests against the next OpenTelemetry JS major (scripts/test-otel-next.mjs).
// Each suite runs in a vitest started by the other node binary, so process.execPath, which the
// fixtures spawn, is that version. Missing binaries are installed by scripts/node-versions.sh.
// Fails loudly: a version that cannot be installed or a failing suite fails `npm test`.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
/** The suites whose behaviour depends on the Node version: processes, module systems, hooks, packaging. */
export const SUITES = [
  'test/core/exit-paths.test.ts', // the preload on every exit path, CJS and ESM entries, all preload modes
  'test/core/api.test.ts', // the API by require and by import
  'test/llm/capture.test.ts', // LLM capture: require hook (CJS) and module.register / registerHooks (ESM)
  'test/http/http-server.test.ts', // node:http, Express, Fastify servers
  'test/core/pack.test.ts', // a clean clone's tarball, installed and preloaded by name
];

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

/** Run vitest with `bin` on `files` (cwd: `cwd`); returns the wall time in seconds, throws on failure. */
export function vitestWith(bin, files, { cwd = root, label } = {}) {
  const vitest = join(root, 'node_modules', 'vitest', 'vitest.mjs');
  const t0 = Date.now();
  console.log(`\n== ${label}: ${execFileSync(bin, ['--version'], { encoding: 'utf8' }).trim()} vitest run ${files.join(' ')}`);
  const r = spawnSync(bin, [vitest, 'run', '--config', 'vitest.versions.config.ts', ...files], { cwd, stdio: 'inherit' });
  const s = (Date.now() - t0) / 1000;
  if (r.status !== 0) throw new Error(`${label}: vitest failed (exit ${r.status ?? r.signal}) after ${s.toFixed(0)} s`);
  return s;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const timings = [];
  try {
    for (const { major, version } of pinnedVersions()) {
      timings.push([`Node ${version}`, vitestWith(nodeBinary(major, version), SUITES, { label: `Node ${major}` })]);
    }
    const { runOtelNext } = await import('./test-otel-next.mjs');
    timings.push(['OTel JS next, Node 24', runOtelNext()]);
  } finally {
    console.log(`\n== other Node versions (main pass: Node ${process.versions.node}): ${timings.map(([l, s]) => `${l} ${s.toFixed(0)} s`).join(', ') || 'none finished'}`);
  }
}
