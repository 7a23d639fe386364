// Where our start-up and exit time goes, phase by phase (DEVTOOL_TELEMETRY_PROFILE=1: hrtime marks
// printed by src/diagnostics/profile.ts), for the tiny CLI enabled with a collector up: medians over runs of
// the ms each phase took in the process. The first row (Node's own start plus loading the preload)
// is compared with a one-line preload's time to its first line, so our preload's load shows on its own.
// Run from a copy outside this repository (whose node_modules hold LLM clients for the tests) and,
// for comparison, from bench/peers/ where the LLM client hooks are installed.
//
//   node bench/startup-phases.mjs        Env: BENCH_RUNS (default 15), BENCH_COMPARE_DIST (another build, side by side)
import { spawn } from 'node:child_process';
import { copyFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchHome, median, startSink } from './lib/measure.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const register = join(here, '..', 'dist/cjs/register.js');

function runProfiled(args, env) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`exited ${code}: ${err.slice(0, 300)}`));
      const phases = [];
      for (const m of err.matchAll(/^\[devtool-telemetry\] profile (.+) (\d+\.\d+)$/gm)) phases.push([m[1], Number(m[2])]);
      const cpu = new Map();
      for (const m of err.matchAll(/^\[devtool-telemetry\] profile-cpu (.+) (\d+\.\d+)$/gm)) cpu.set(m[1], Number(m[2]));
      resolve(phases.map(([name, ms]) => [name, ms, cpu.get(name) ?? NaN]));
    });
  });
}

// A one-line preload: Node's time from its time origin to a preload's first line (the baseline of
// the first phase), taken as src/diagnostics/profile.ts takes its first mark: an hrtime stamp now, turned into
// ms since the time origin at exit (touching `performance` at start would load perf_hooks first).
const FIRST_LINE = `const t = process.hrtime.bigint();
const u = process.cpuUsage();
process.on('exit', () => {
  const ms = performance.now() - Number(process.hrtime.bigint() - t) / 1e6;
  process.stderr.write('[devtool-telemetry] profile node start ' + ms.toFixed(3) + '\\n');
  process.stderr.write('[devtool-telemetry] profile-cpu node start ' + ((u.user + u.system) / 1000).toFixed(3) + '\\n');
});
`;

export async function run({ runs = Number(process.env.BENCH_RUNS) || 15 } = {}) {
  const sink = await startSink();
  const sandbox = benchHome('dt-phases-');
  const outside = join(sandbox.home, 'tiny-cli.cjs');
  copyFileSync(join(here, 'peers/tiny-cli.cjs'), outside);
  const firstLine = join(sandbox.home, 'first-line.cjs');
  writeFileSync(firstLine, FIRST_LINE);
  const env = { ...sandbox.env, OTEL_EXPORTER_OTLP_ENDPOINT: sink.url, DEVTOOL_TELEMETRY_PROFILE: '1' };
  try {
    const cases = [
      { name: 'tiny CLI, no LLM client reachable', args: ['--require', register, outside] },
      { name: 'tiny CLI in this repo (LLM clients in node_modules)', args: ['--require', register, join(here, 'peers/tiny-cli.cjs')] },
    ];
    // BENCH_COMPARE_DIST=<another build's dist/>: that build on the first case, alternating with ours (before/after).
    if (process.env.BENCH_COMPARE_DIST) {
      cases.push({ name: `tiny CLI, build at ${process.env.BENCH_COMPARE_DIST}`, args: ['--require', resolve(process.env.BENCH_COMPARE_DIST, 'cjs/register.js'), outside] });
    }
    const plain = [];
    const plainCpu = [];
    const samples = cases.map(() => new Map());
    for (let i = 0; i < runs + 2; i++) {
      const p = await runProfiled(['--require', firstLine, outside], env);
      if (i >= 2) {
        plain.push(p[0][1]);
        plainCpu.push(p[0][2]);
      }
      for (const [k, c] of cases.entries()) {
        const phases = await runProfiled(c.args, env);
        if (i < 2) continue; // warm-up: notice shown, code cache written
        for (const [name, ms, cpu] of phases) {
          if (!samples[k].has(name)) samples[k].set(name, []);
          samples[k].get(name).push([ms, cpu]);
        }
      }
    }
    const basis = median(plain);
    const basisCpu = median(plainCpu);
    console.log(`\n## Start-up and exit by phase (DEVTOOL_TELEMETRY_PROFILE=1, enabled, collector up, ${runs} runs, medians in ms: wall / CPU of the process)`);
    console.log(`Node's start to a one-line preload's first line: ${basis.toFixed(1)} ms wall, ${basisCpu.toFixed(1)} ms CPU (the first phase minus this is our preload's load).`);
    console.log('CPU is the column to compare on a shared machine: wall time grows whenever the scheduler runs something else.');
    console.log(`| phase | ${cases.map((c) => c.name).join(' | ')} |`);
    console.log(`|---|${cases.map(() => '---:').join('|')}|`);
    const names = [...new Set(samples.flatMap((s) => [...s.keys()]))];
    const totals = cases.map(() => [0, 0]);
    for (const name of names) {
      const cells = samples.map((s, k) => {
        const xs = s.get(name) ?? [];
        if (xs.length < runs / 2) return '-'; // a phase of some runs only (a cache rewrite)
        const m = median(xs.map((x) => x[0]));
        const c = median(xs.map((x) => x[1]));
        const first = name === 'node start + preload load';
        if (name !== 'app') {
          totals[k][0] += first ? m - basis : m;
          totals[k][1] += first ? c - basisCpu : c;
        }
        return `${m.toFixed(2)} / ${c.toFixed(2)}`;
      });
      console.log(`| ${name} | ${cells.join(' | ')} |`);
    }
    console.log(`| **ours in total** (preload load + every phase but the app's own) | ${totals.map(([w, c]) => `**${w.toFixed(1)} / ${c.toFixed(1)}**`).join(' | ')} |`);
    return { basis, basisCpu, samples };
  } finally {
    await sink.close();
    sandbox.cleanup();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
