// CPU per run including everything a run causes (the detached shipper too), over bursts of runs of
// the tiny CLI with a collector up: plain node, ours with the default (batched) delivery cadence,
// and ours with DEVTOOL_TELEMETRY_SHIP=immediate (a shipper per run, as before the cadence and
// as under CI). Target (issue 17): <= +30 ms per run over plain node.
//
// Each variant starts from a home that has run the tool before (warmUp: notice shown, code caches
// written), as a person's laptop is after the first day. The figure is taken after every process
// the burst started has ended (the shipper lingers 60 s by default, so a batched burst takes a
// minute longer than its runs). How CPU is counted:
// - Linux with a writable cgroup (root: v1 cpuacct, or v2): each variant's runs are started inside
//   a fresh cgroup, which the detached shipper inherits: exact, whatever else the machine runs;
// - otherwise the whole machine's busy time from /proc/stat (noisy on a shared machine).
// The whole-machine delta is printed beside the cgroup figure in both cases.
//
//   node bench/cpu-per-run.mjs      10 runs 30 s apart are included (about 6 minutes: BENCH_SPACED=0
//                                   leaves them out, =only runs just those)
// Env: BENCH_BURST_RUNS (20), BENCH_BURST_GAP_MS (600), BENCH_CPU_ROUNDS (1; the median round is shown).
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, readlinkSync, rmdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchHome, startSink } from './lib/measure.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
// The tiny CLI runs from a copy in each variant's home: in bench/peers/ it would sit under this
// repository's node_modules, whose LLM clients (test dependencies) make the preload install its
// LLM client hooks (~9 ms, see startup-phases), which a tool without such a client never pays.
const cliSource = join(here, 'peers/tiny-cli.cjs');
const register = join(root, 'dist/cjs/register.js');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Busy jiffies of the whole machine (user+nice+system+irq+softirq+steal), in ms. */
function machineBusyMs() {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const [user, nice, system, , , irq, softirq, steal] = f;
  return ((user + nice + system + irq + softirq + (steal || 0)) * 1000) / 100; // USER_HZ is 100 on Linux
}

/** A fresh cgroup to count a variant's CPU in, or undefined when none can be made. */
function makeCgroup(name) {
  const candidates = [
    { dir: '/sys/fs/cgroup/cpuacct', read: (d) => Number(readFileSync(join(d, 'cpuacct.usage'), 'utf8')) / 1e6 },
    ...['/sys/fs/cgroup', '/sys/fs/cgroup/unified'].map((base) => ({
      dir: base,
      read: (d) => Number(/usage_usec (\d+)/.exec(readFileSync(join(d, 'cpu.stat'), 'utf8'))?.[1]) / 1e3,
    })),
  ];
  for (const c of candidates) {
    const d = join(c.dir, name);
    try {
      if (!existsSync(join(c.dir, 'cgroup.procs'))) continue;
      mkdirSync(d);
      const ms = c.read(d);
      if (!Number.isFinite(ms)) {
        rmdirSync(d);
        continue;
      }
      return {
        dir: d,
        usageMs: () => c.read(d),
        pids: () => readFileSync(join(d, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean),
        remove: () => rmdirSync(d),
      };
    } catch {
      /* not writable here: try the next */
    }
  }
  return undefined;
}

/** Pids whose working directory is inside `home` (the shipper runs in the cache dir): the fallback. */
function pidsUnder(home) {
  const out = [];
  for (const p of readdirSync('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    try {
      if (readlinkSync(`/proc/${p}/cwd`).startsWith(home)) out.push(p);
    } catch {
      /* gone or not ours */
    }
  }
  return out;
}

function runOnce(args, env, cgroup) {
  return new Promise((resolve, reject) => {
    // Joined to the cgroup before node starts, so everything it starts is counted there.
    const cmd = cgroup ? 'sh' : process.execPath;
    const argv = cgroup ? ['-c', `echo $$ > "${cgroup.dir}/cgroup.procs" && exec "$0" "$@"`, process.execPath, ...args] : args;
    const child = spawn(cmd, argv, { env, stdio: 'ignore' });
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`run exited ${code}`))));
  });
}

/**
 * Before counting, the state of a tool used before: two runs shipped by an immediate shipper (it
 * exits once the spool is empty), so the notice was shown, the V8 code caches of the runtime and of
 * the shipper's send path exist, and the session is open. A fresh home would charge each burst one
 * cold start-up and one cold shipper, which a person running the tool all day pays once.
 */
async function warmUp(variant, env, cli, sandbox) {
  if (variant.args.length === 0) return;
  for (let i = 0; i < 2; i++) await runOnce([...variant.args, cli], { ...env, DEVTOOL_TELEMETRY_SHIP: 'immediate' });
  const deadline = Date.now() + 30_000;
  while (pidsUnder(sandbox.home).length > 0 && Date.now() < deadline) await sleep(100);
}

async function burst(variant, { runs, gapMs }) {
  const sink = await startSink(); // one per burst: bursts may run side by side
  const sandbox = benchHome('dt-cpu-');
  const env = { ...sandbox.env, OTEL_EXPORTER_OTLP_ENDPOINT: sink.url, ...variant.env };
  const cli = join(sandbox.home, 'tiny-cli.cjs');
  copyFileSync(cliSource, cli);
  const cgroup = makeCgroup(`dt-bench-${process.pid}-${variant.key}`);
  try {
    await warmUp(variant, env, cli, sandbox);
    const requests0 = sink.count();
    const m0 = machineBusyMs();
    const c0 = cgroup ? cgroup.usageMs() : 0;
    const t0 = Date.now();
    const pending = [];
    for (let i = 0; i < runs; i++) {
      const at = t0 + i * gapMs;
      if (at > Date.now()) await sleep(at - Date.now());
      pending.push(runOnce([...variant.args, cli], env, cgroup));
    }
    await Promise.all(pending);
    // Wait for whatever the runs left running (a lingering shipper), bounded.
    const deadline = Date.now() + 15 * 60_000;
    while ((cgroup ? cgroup.pids() : pidsUnder(sandbox.home)).length > 0 && Date.now() < deadline) await sleep(250);
    const wallS = (Date.now() - t0) / 1000;
    const cpuMs = cgroup ? cgroup.usageMs() - c0 : NaN;
    const machineMs = machineBusyMs() - m0;
    let left = 0;
    try {
      for (const d of readdirSync(join(sandbox.env.XDG_CACHE_HOME, 'devtool-telemetry', 'destinations'))) {
        left += readdirSync(join(sandbox.env.XDG_CACHE_HOME, 'devtool-telemetry', 'destinations', d, 'spool')).filter((f) => f.endsWith('.batch')).length;
      }
    } catch {
      /* nothing spooled (plain node) */
    }
    return { name: variant.name, cpuMs, machineMs, wallS, requests: sink.count() - requests0, left };
  } finally {
    cgroup?.remove();
    sandbox.cleanup();
    await sink.close();
  }
}

function print(title, rows, runs) {
  const base = rows[0];
  const exact = Number.isFinite(base.cpuMs);
  const per = (r) => (exact ? r.cpuMs : r.machineMs) / runs;
  const sign = (x) => (x >= 0 ? '+' : '') + x.toFixed(1);
  console.log(`\n## ${title}`);
  console.log(`CPU counted ${exact ? 'in a cgroup per variant (exact, shipper included)' : 'over the whole machine (/proc/stat; noisy when the machine is shared)'}, after every process the runs started had ended.`);
  console.log('| variant | CPU ms per run | vs plain | ratio | whole machine ms per run | wall s (incl. linger) | OTLP requests | batches left |');
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|');
  for (const r of rows) {
    console.log(`| ${r.name} | ${per(r).toFixed(1)} | ${sign(per(r) - per(base))} | ${(per(r) / per(base)).toFixed(2)}x | ${(r.machineMs / runs).toFixed(1)} | ${r.wallS.toFixed(1)} | ${r.requests} | ${r.left} |`);
  }
}

const VARIANTS = [
  { key: 'plain', name: 'plain node', args: [], env: {} },
  { key: 'batched', name: 'devtool-telemetry (default: batched delivery)', args: ['--require', register], env: {} },
  { key: 'immediate', name: 'devtool-telemetry, DEVTOOL_TELEMETRY_SHIP=immediate', args: ['--require', register], env: { DEVTOOL_TELEMETRY_SHIP: 'immediate' } },
];
// BENCH_COMPARE_DIST=<another build's dist/ inside this repository (so its shipper resolves our
// node_modules)>: that build's batched delivery runs beside ours, in the same run (before/after).
if (process.env.BENCH_COMPARE_DIST) {
  const other = resolve(process.env.BENCH_COMPARE_DIST, 'cjs/register.js');
  VARIANTS.push({ key: 'compare', name: `batched, build at ${process.env.BENCH_COMPARE_DIST}`, args: ['--require', other], env: {} });
}

export async function run() {
  {
    const spaced = process.env.BENCH_SPACED;
    const shapes = spaced === 'only' ? [] : [{ runs: Number(process.env.BENCH_BURST_RUNS) || 20, gapMs: Number(process.env.BENCH_BURST_GAP_MS) || 600 }];
    if (spaced !== '0') shapes.push({ runs: 10, gapMs: 30_000 });
    const rounds = Math.max(1, Number(process.env.BENCH_CPU_ROUNDS) || 1);
    const out = [];
    for (const shape of shapes) {
      const byVariant = VARIANTS.map(() => []);
      for (let r = 0; r < rounds; r++) {
        if (shape.gapMs >= 5_000) {
          // Runs seconds apart hardly overlap: the variants run side by side (each in its own cgroup).
          const res = await Promise.all(VARIANTS.map((v) => burst(v, shape)));
          res.forEach((x, i) => byVariant[i].push(x));
        } else {
          for (const [i, v] of VARIANTS.entries()) byVariant[i].push(await burst(v, shape));
        }
      }
      // The round with the median CPU of each variant.
      const rows = byVariant.map((xs) => [...xs].sort((a, b) => (a.cpuMs || a.machineMs) - (b.cpuMs || b.machineMs))[xs.length >> 1]);
      print(`CPU per run, shipper included: ${shape.runs} runs ${shape.gapMs / 1000} s apart, collector up${rounds > 1 ? ` (median of ${rounds} rounds)` : ''}`, rows, shape.runs);
      out.push(rows);
    }
    return out;
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
