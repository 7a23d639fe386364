// Exit delay of a tiny CLI with the collector up and with it down, side by side: plain node, ours
// (the preload: record, writeBatch + kickShipper at exit), the stock @opentelemetry/sdk-node preload
// with the OTLP exporter, auto-instrumentations-node `register`, posthog-node capture+shutdown.
// "Down" is a collector that accepts connections and never answers (a black-holed endpoint: what
// makes peers wait for their export timeout). Plus the in-process cost of our exit path alone
// (writeBatch + kickShipper), measured with a realistic batch. Targets (issue 6): <= +20 ms up and down.
//
//   node bench/exit-delay.mjs                  (after `npm run build`)
// Env: BENCH_RUNS (up, default 15), BENCH_DOWN_RUNS (down, default 3: each peer run takes ~10 s).
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as http from 'node:http';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchHome, median, startSink } from './lib/measure.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const require = createRequire(import.meta.url);
const cli = join(here, 'peers/tiny-cli.cjs');
const register = join(root, 'dist/cjs/register.js');

/** Accepts, reads, never answers: the black-holed collector. */
function startBlackhole() {
  return new Promise((resolve) => {
    const sockets = new Set();
    const server = http.createServer((req) => req.resume());
    server.on('connection', (s) => {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
    });
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      resolve({
        url: `http://127.0.0.1:${port}`,
        close: () =>
          new Promise((r) => {
            for (const s of sockets) s.destroy();
            server.close(r);
          }),
      });
    });
  });
}

function variants(base, url) {
  const node = process.execPath;
  const env = { ...base, OTEL_EXPORTER_OTLP_ENDPOINT: url };
  return [
    { name: 'plain node', cmd: node, args: [cli], env },
    { name: 'devtool-telemetry (preload)', cmd: node, args: ['--require', register, cli], env },
    { name: 'stock sdk-node preload + OTLP', cmd: node, args: ['--require', join(here, 'peers/sdk-node-preload.cjs'), cli], env },
    {
      name: 'auto-instrumentations register',
      cmd: node,
      args: ['--require', require.resolve('@opentelemetry/auto-instrumentations-node/register'), cli],
      env: { ...env, OTEL_METRICS_EXPORTER: 'none', OTEL_LOGS_EXPORTER: 'none' },
    },
    { name: 'posthog-node capture+shutdown', cmd: node, args: [join(here, 'peers/posthog-cli.cjs')], env: { ...env, POSTHOG_HOST: url } },
  ];
}

/** Like timeOnce, but a non-zero exit is a result, not an error (a peer crashing on export timeout is data). */
function timeAny(cmd, args, env) {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(cmd, args, { env, stdio: ['ignore', 'ignore', 'ignore'] });
    child.on('error', reject);
    child.on('close', (code) => resolve({ ms: Number(process.hrtime.bigint() - t0) / 1e6, code }));
  });
}

const crashed = new Set();

async function measure(list, runs) {
  const samples = new Map(list.map((v) => [v.name, []]));
  for (let i = 0; i < runs; i++) {
    for (const v of list) {
      const r = await timeAny(v.cmd, v.args, v.env);
      if (r.code !== 0) crashed.add(v.name);
      samples.get(v.name).push(r.ms);
    }
  }
  return new Map([...samples].map(([k, xs]) => [k, median(xs)]));
}

function stopOurShipper(cacheHome) {
  try {
    const { pid } = JSON.parse(readFileSync(join(cacheHome, 'devtool-telemetry', 'shipper.lock'), 'utf8'));
    process.kill(pid, 'SIGTERM');
  } catch {
    /* none running */
  }
}

/** Our exit path alone, in a child process (fresh module cache, like a tool's exit). */
function inProcessCost(base, url, n = 200) {
  const script = `
    const { writeBatch } = require(${JSON.stringify(join(root, 'dist/cjs/spool/spool.js'))});
    const { kickShipper } = require(${JSON.stringify(join(root, 'dist/cjs/spool/kick.js'))});
    const crypto = require('node:crypto');
    const ns = (ms) => String(BigInt(ms) * 1000000n);
    const w = [], k = [];
    for (let i = 0; i < ${n}; i++) {
      const now = Date.now();
      const span = (name, parent) => ({ traceId: 'ab'.repeat(16), spanId: crypto.randomBytes(8).toString('hex'), parentSpanId: parent, name, kind: 1,
        startTimeUnixNano: ns(now - 50), endTimeUnixNano: ns(now), attributes: { 'devtool.command.name': 'tool build', 'process.exit.code': 0 }, events: [], links: [], status: { code: 0 } });
      const batch = { v: 1, id: crypto.randomBytes(8).toString('hex'), createdAt: now, level: 'usage',
        resource: { 'service.name': 'tiny-cli', 'service.version': '1.0.0', 'os.type': 'linux', 'process.runtime.name': 'nodejs', 'process.runtime.version': process.versions.node },
        spans: [span('tool build'), span('step compile', '0000000000000001'), span('step test', '0000000000000001')],
        metrics: [
          { name: 'devtool.command.runs', unit: '{run}', description: '', type: 'sum', startTimeUnixNano: ns(now - 50), timeUnixNano: ns(now), points: [{ attributes: { 'devtool.command.name': 'tool build' }, value: 1 }] },
          { name: 'devtool.command.duration', unit: 's', description: '', type: 'histogram', startTimeUnixNano: ns(now - 50), timeUnixNano: ns(now), points: [{ attributes: { 'devtool.command.name': 'tool build' }, count: 1, sum: 0.05, min: 0.05, max: 0.05, bounds: [0.1, 1, 10], bucketCounts: [1, 0, 0, 0] }] },
        ] };
      let t = process.hrtime.bigint();
      const r = writeBatch(batch, process.env);
      w.push(Number(process.hrtime.bigint() - t) / 1e3);
      if (!r.ok) throw new Error('write failed: ' + r.reason);
      t = process.hrtime.bigint();
      kickShipper(process.env);
      k.push(Number(process.hrtime.bigint() - t) / 1e3);
    }
    const first = k[0];
    const med = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
    const p99 = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length * 0.99)];
    process.stdout.write(JSON.stringify({ writeUs: med(w), writeP99Us: p99(w), kickUs: med(k), kickP99Us: p99(k), firstKickUs: first }));
  `;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', script], { env: { ...base, OTEL_EXPORTER_OTLP_ENDPOINT: url }, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.on('close', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`in-process cost exited ${code}`))));
  });
}

export async function run({ runs = Number(process.env.BENCH_RUNS) || 15, downRuns = Number(process.env.BENCH_DOWN_RUNS) || 3 } = {}) {
  const sandbox = benchHome('dt-exit-');
  const home = sandbox.home;
  const base = sandbox.env;
  const sink = await startSink();
  const hole = await startBlackhole();
  try {
    // Warm-up (disk caches, first-run notice) outside the measurement.
    for (const v of variants(base, sink.url)) await timeAny(v.cmd, v.args, v.env);
    const up = await measure(variants(base, sink.url), runs);
    stopOurShipper(base.XDG_CACHE_HOME);
    const down = await measure(variants(base, hole.url), downRuns);
    stopOurShipper(base.XDG_CACHE_HOME);
    const upCost = await inProcessCost({ ...base, XDG_CACHE_HOME: join(home, 'cache-up') }, sink.url);
    stopOurShipper(join(home, 'cache-up'));
    const downCost = await inProcessCost({ ...base, XDG_CACHE_HOME: join(home, 'cache-down') }, hole.url);
    stopOurShipper(join(home, 'cache-down'));

    const plainUp = up.get('plain node');
    const plainDown = down.get('plain node');
    const sign = (x) => (x >= 0 ? '+' : '') + x.toFixed(1);
    console.log(`\n## Exit delay of a tiny CLI (collector up: ${runs} runs, down = never answers: ${downRuns} runs; medians)`);
    console.log('| variant | up: wall ms | up: vs plain | down: wall ms | down: vs plain |');
    console.log('|---|---:|---:|---:|---:|');
    for (const [name, ms] of up) {
      const d = down.get(name);
      const note = crashed.has(name) ? ' (exit code changed: the peer crashed on the export timeout)' : '';
      console.log(`| ${name}${note} | ${ms.toFixed(1)} | ${sign(ms - plainUp)} | ${d.toFixed(1)} | ${sign(d - plainDown)} |`);
    }
    console.log('\n## Our exit path alone, in process (200 runs; realistic batch: 3 spans, 2 metrics; µs)');
    console.log('| collector | writeBatch median | writeBatch p99 | kickShipper median | kickShipper p99 | first kick (spawns) |');
    console.log('|---|---:|---:|---:|---:|---:|');
    for (const [label, c] of [['up', upCost], ['down (breaker/lock held)', downCost]]) {
      console.log(`| ${label} | ${c.writeUs.toFixed(0)} | ${c.writeP99Us.toFixed(0)} | ${c.kickUs.toFixed(0)} | ${c.kickP99Us.toFixed(0)} | ${c.firstKickUs.toFixed(0)} |`);
    }
    return { up: Object.fromEntries(up), down: Object.fromEntries(down), upCost, downCost };
  } finally {
    await sink.close();
    await hole.close();
    sandbox.cleanup();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
