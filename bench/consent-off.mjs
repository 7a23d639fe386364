// Cost of telemetry when it is OFF: the preload must decide and get out of the way (target:
// <= +3 ms wall over plain node). Side by side with the stock @opentelemetry/sdk-node preload
// honouring OTEL_SDK_DISABLED=true, which still pays for loading the SDK. Also: the resolver's
// in-process cost per call, and which of our modules a disabled run loads (the dependency rule:
// only the consent resolver and what it needs).
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { benchHome, compare, median, printTable } from './lib/measure.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const require = createRequire(import.meta.url);
const cli = join(here, 'peers/tiny-cli.cjs');
const register = join(root, 'dist/cjs/register.js');
const registerEsm = pathToFileURL(join(root, 'dist/esm/register.mjs')).href;

/** Modules of ours a disabled run loads, relative to dist/cjs. */
function loadedModules(env) {
  const code = `const d=${JSON.stringify(join(root, 'dist/cjs'))};console.log(JSON.stringify(Object.keys(require.cache).filter(f=>f.startsWith(d)).map(f=>f.slice(d.length+1))))`;
  const out = execFileSync(process.execPath, ['--require', register, '-e', code], { env, encoding: 'utf8' });
  return JSON.parse(out.trim().split('\n').pop());
}

/**
 * The preload's own cost, measured inside the child around require(register): wall (hrtime) and
 * CPU (process.cpuUsage). On a loaded machine the wall figure includes time spent descheduled, so
 * the CPU figure is the steadier one. Min and median over `runs` processes.
 */
function inProcessPreload(env, runs, file = register) {
  const code = `const t=process.hrtime.bigint(),c=process.cpuUsage();require(${JSON.stringify(file)});const u=process.cpuUsage(c);process.stdout.write(Number(process.hrtime.bigint()-t)/1e6+' '+(u.user+u.system)/1e3)`;
  const wall = [];
  const cpu = [];
  for (let i = 0; i < runs; i++) {
    const [w, c] = execFileSync(process.execPath, ['-e', code], { env, encoding: 'utf8' }).trim().split(' ').map(Number);
    wall.push(w);
    cpu.push(c);
  }
  const min = (xs) => Math.min(...xs);
  return { wallMin: min(wall), wallMedian: median(wall), cpuMin: min(cpu), cpuMedian: median(cpu) };
}

/** resolveConsent() per call, in process (µs, median of batches). */
function resolverMicros(env, cwd) {
  const { resolveConsent } = require(join(root, 'dist/cjs/consent/resolve.js'));
  const { detectTool } = require(join(root, 'dist/cjs/resource/tool.js'));
  const tool = detectTool(cli);
  const per = [];
  for (let b = 0; b < 20; b++) {
    const n = 200;
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) resolveConsent({ env, cwd, tool });
    per.push(Number(process.hrtime.bigint() - t0) / 1e3 / n);
  }
  return median(per);
}

export async function run({ runs = Number(process.env.BENCH_RUNS) || 20 } = {}) {
  const sandbox = benchHome('dt-bench-off-');
  const home = sandbox.home;
  // Nothing listens on port 9: a run that tried to send would show up as a failure, not a number.
  const base = { ...sandbox.env, OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9' };
  // A user who ran `devtool-telemetry disable --all` (the file-based path: policy, project files
  // from cwd up, user config are all read).
  const userOffHome = join(home, 'user-off');
  mkdirSync(join(userOffHome, 'devtool-telemetry'), { recursive: true });
  writeFileSync(join(userOffHome, 'devtool-telemetry', 'config.json'), JSON.stringify({ all: { level: 'off' } }));
  const node = process.execPath;
  try {
    const rows = await compare(
      [
        { name: 'plain node', cmd: node, args: [cli], env: base },
        { name: 'ours --require, DO_NOT_TRACK=1', cmd: node, args: ['--require', register, cli], env: { ...base, DO_NOT_TRACK: '1' } },
        { name: 'ours --require, user config disable --all', cmd: node, args: ['--require', register, cli], env: { ...base, XDG_CONFIG_HOME: userOffHome } },
        { name: 'ours --import, DO_NOT_TRACK=1', cmd: node, args: ['--import', registerEsm, cli], env: { ...base, DO_NOT_TRACK: '1' } },
        { name: 'stock sdk-node preload, OTEL_SDK_DISABLED=true', cmd: node, args: ['--require', join(here, 'peers/sdk-node-preload.cjs'), cli], env: { ...base, OTEL_SDK_DISABLED: 'true' } },
      ],
      { runs },
    );
    printTable(`Telemetry off: start-up + exit of a tiny CLI (${runs} runs each, medians)`, rows, 'plain node');
    const plain = rows[0].ms;
    const ours = rows[1].ms - plain;
    console.log(`\nTarget: disabled preload <= +3 ms over plain node: ${ours <= 3 ? 'met' : 'NOT met'} (${ours >= 0 ? '+' : ''}${ours.toFixed(1)} ms).`);
    const inProc = inProcessPreload({ ...base, DO_NOT_TRACK: '1' }, runs);
    const inProcUser = inProcessPreload({ ...base, XDG_CONFIG_HOME: userOffHome }, runs);
    const fmt = (x) => `wall min ${x.wallMin.toFixed(2)} / median ${x.wallMedian.toFixed(2)} ms, CPU min ${x.cpuMin.toFixed(2)} / median ${x.cpuMedian.toFixed(2)} ms`;
    console.log(`\nIn-process cost of the disabled preload (require of register.js, ${runs} processes):`);
    console.log(`  DO_NOT_TRACK=1:              ${fmt(inProc)}`);
    console.log(`  user config disable --all:   ${fmt(inProcUser)}`);
    const mods = loadedModules({ ...base, DO_NOT_TRACK: '1' });
    console.log(`Our modules loaded by a disabled run (${mods.length}): ${mods.join(', ')}`);
    const us = resolverMicros({ ...base, DO_NOT_TRACK: '1' }, home);
    const usFiles = resolverMicros({ ...base, XDG_CONFIG_HOME: userOffHome }, home);
    console.log(`resolveConsent() in process: ${us.toFixed(1)} µs per call (DO_NOT_TRACK), ${usFiles.toFixed(1)} µs (user config decides: every source read). An env or policy opt-out skips the file sources until reports is read.`);
    return { rows, inProcessMs: inProc, modules: mods, resolverMicros: us };
  } finally {
    sandbox.cleanup();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
