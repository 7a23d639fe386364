// The shipper tests against the next OpenTelemetry JS major (test/otel-next/package.json: otlp-transformer
// 0.30x / api 1.10, which need Node >= 22.15), under the newest pinned Node. Proves the upgrade is a version
// bump: only public exports and public types are used (src/shipper/encode.ts).
//
// How, without touching the repo's own node_modules (other test runs use it concurrently):
//   build/otel-next/deps   `npm ci` of test/otel-next (exact versions, lockfile), cached by lockfile content;
//   build/otel-next/repo   the repository's files and its built dist/, with a node_modules of symlinks to
//                          the repo's packages except @opentelemetry/{api,otlp-transformer}, which point
//                          into deps. Node resolves through the symlinks to the real paths, so the 3.x
//                          packages find their own 3.x dependencies, and the detached shipper the tests
//                          spawn (from the copy's dist/) loads them too. The copy is type-checked first.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { nodeBinary, pinnedVersions, vitestWith } from './node-versions-lib.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const base = join(root, 'build', 'otel-next');
const REPLACED = ['@opentelemetry/api', '@opentelemetry/otlp-transformer'];

function installDeps() {
  const deps = join(base, 'deps');
  const lock = readFileSync(join(root, 'test/otel-next/package-lock.json'), 'utf8');
  const stamp = join(deps, '.lock-installed');
  if (existsSync(stamp) && readFileSync(stamp, 'utf8') === lock) return deps;
  rmSync(deps, { recursive: true, force: true });
  mkdirSync(deps, { recursive: true });
  for (const f of ['package.json', 'package-lock.json']) cpSync(join(root, 'test/otel-next', f), join(deps, f));
  execFileSync('npm', ['ci', '--no-audit', '--no-fund', '--ignore-scripts', '--loglevel=error'], { cwd: deps, stdio: 'inherit' });
  writeFileSync(stamp, lock);
  return deps;
}

function overlay(deps) {
  const repo = join(base, 'repo');
  rmSync(repo, { recursive: true, force: true });
  const files = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: root, encoding: 'utf8' }).split('\0');
  for (const f of files) {
    if (!f || !existsSync(join(root, f))) continue;
    mkdirSync(dirname(join(repo, f)), { recursive: true });
    cpSync(join(root, f), join(repo, f));
  }
  if (!existsSync(join(root, 'dist', 'cjs', 'shipper', 'main.js'))) throw new Error('otel-next: dist/ is missing: run `npm run build` first');
  cpSync(join(root, 'dist'), join(repo, 'dist'), { recursive: true });
  // The build's send bundle carries this repository's encoders inside it; without it the copy's
  // shipper loads the modules, so otlp-transformer is the one resolved below.
  rmSync(join(repo, 'dist', 'cjs', 'shipper', 'send.js'), { force: true });
  const nm = join(repo, 'node_modules');
  mkdirSync(join(nm, '@opentelemetry'), { recursive: true });
  for (const entry of readdirSync(join(root, 'node_modules'))) {
    if (entry === '@opentelemetry') continue;
    symlinkSync(join(root, 'node_modules', entry), join(nm, entry));
  }
  for (const entry of readdirSync(join(root, 'node_modules', '@opentelemetry'))) {
    if (REPLACED.includes(`@opentelemetry/${entry}`)) continue;
    symlinkSync(join(root, 'node_modules', '@opentelemetry', entry), join(nm, '@opentelemetry', entry));
  }
  for (const name of REPLACED) symlinkSync(join(deps, 'node_modules', name), join(nm, name));
  return repo;
}

/** Returns the wall time in seconds; throws on any failure. */
export function runOtelNext() {
  const t0 = Date.now();
  const newest = pinnedVersions().sort((a, b) => Number(b.major) - Number(a.major))[0];
  const bin = nodeBinary(newest.major, newest.version);
  const deps = installDeps();
  const repo = overlay(deps);
  // What the copy's shipper will load, resolved as the detached shipper resolves it.
  const resolved = execFileSync(bin, ['-p', "require('node:fs').realpathSync(require.resolve('@opentelemetry/otlp-transformer'))"], {
    cwd: join(repo, 'dist', 'cjs', 'shipper'),
    encoding: 'utf8',
  }).trim();
  const version = JSON.parse(readFileSync(join(deps, 'node_modules/@opentelemetry/otlp-transformer/package.json'), 'utf8')).version;
  const wanted = JSON.parse(readFileSync(join(root, 'test/otel-next/package.json'), 'utf8')).dependencies['@opentelemetry/otlp-transformer'];
  if (!resolved.startsWith(realpathSync(deps)) || version !== wanted) {
    throw new Error(`otel-next: the copy resolves otlp-transformer to ${resolved} (${version}), expected ${wanted} under ${deps}`);
  }
  console.log(`\n== OTel JS next: @opentelemetry/otlp-transformer ${version} (${resolved}); type-check against it`);
  execFileSync(bin, [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json', '--noEmit'], { cwd: repo, stdio: 'inherit' });
  vitestWith(bin, ['test/shipper'], { cwd: repo, label: `OTel JS next (otlp-transformer ${version}) on Node ${newest.major}` });
  return (Date.now() - t0) / 1000;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(`otel-next: ${runOtelNext().toFixed(0)} s`);
}
