// Shipper throughput and footprint: a spool pre-filled with many runs' batches (writeBatch, as the
// recorder does at exit: the per-run write cost is reported too), drained by one real shipper
// process (dist/cjs/shipper/main.js) into (a) a loopback OTLP sink that answers 200 and (b) our
// collector build on loopback when build/collector/otelcol-devtool exists (debug exporter: a cheap
// sink, so the shipper is what is measured). Spans/s = spans delivered / shipper wall time (start
// to exit: includes loading, reading, re-sanitizing, folding metrics, encoding, deleting).
// Peak RSS from /proc/<pid>/status (VmHWM), Linux only. Target (issue 6): >= 50,000 spans/s.
//
//   node bench/shipper-throughput.mjs          (after `npm run build`)
// Env: BENCH_SHIPPER_BATCHES (default 10000), BENCH_SHIPPER_SPANS (spans per batch, default 10).
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { median, startSink } from './lib/measure.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const require = createRequire(import.meta.url);
const BATCHES = Number(process.env.BENCH_SHIPPER_BATCHES) || 10_000;
const SPANS = Number(process.env.BENCH_SHIPPER_SPANS) || 10;

const ns = (ms) => String(BigInt(ms) * 1_000_000n);

function makeBatch(i, spans) {
  const now = Date.now();
  const traceId = randomBytes(16).toString('hex');
  const root = randomBytes(8).toString('hex');
  return {
    v: 1,
    id: randomBytes(8).toString('hex'),
    createdAt: now - BATCHES + i,
    level: 'usage',
    resource: {
      'service.name': 'bench-tool',
      'service.version': '1.0.0',
      'os.type': 'linux',
      'host.arch': 'amd64',
      'process.runtime.name': 'nodejs',
      'process.runtime.version': process.versions.node,
      'telemetry.distro.name': 'devtool-telemetry',
    },
    spans: Array.from({ length: spans }, (_, j) => ({
      traceId,
      spanId: j === 0 ? root : randomBytes(8).toString('hex'),
      ...(j === 0 ? {} : { parentSpanId: root }),
      name: j === 0 ? 'bench-tool build' : `step compile-${j}`,
      kind: 1,
      startTimeUnixNano: ns(now - 100),
      endTimeUnixNano: ns(now),
      attributes: j === 0 ? { 'devtool.command.name': 'bench-tool build', 'process.exit.code': 0 } : { 'devtool.step.name': `compile-${j}`, 'devtool.step.outcome': 'success' },
      events: [],
      links: [],
      status: { code: 0 },
    })),
    metrics: [
      { name: 'devtool.command.runs', unit: '{run}', description: 'Command runs.', type: 'sum', startTimeUnixNano: ns(now - 100), timeUnixNano: ns(now), points: [{ attributes: { 'devtool.command.name': 'bench-tool build' }, value: 1 }] },
      {
        name: 'devtool.command.duration', unit: 's', description: 'Duration of command runs.', type: 'histogram', startTimeUnixNano: ns(now - 100), timeUnixNano: ns(now),
        points: [{ attributes: { 'devtool.command.name': 'bench-tool build' }, count: 1, sum: 0.1, min: 0.1, max: 0.1, bounds: [0.1, 1, 10], bucketCounts: [1, 0, 0, 0] }],
      },
    ],
  };
}

function fillSpool(env, n) {
  const { writeBatch } = require(join(root, 'dist/cjs/spool/spool.js'));
  const us = [];
  for (let i = 0; i < n; i++) {
    const b = makeBatch(i, SPANS);
    const t = process.hrtime.bigint();
    const r = writeBatch(b, env);
    us.push(Number(process.hrtime.bigint() - t) / 1e3);
    if (!r.ok) throw new Error(`writeBatch failed: ${r.reason}`);
  }
  return { medianUs: median(us), p99Us: [...us].sort((a, b) => a - b)[Math.floor(us.length * 0.99)] };
}

/** utime + stime of a live process, seconds (Linux). */
function cpuSeconds(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return NaN;
  }
}

function vmHwmKb(pid) {
  try {
    const m = /VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/** Run one shipper to completion; resolves wall ms and peak RSS (polled). */
function runShipper(env) {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(process.execPath, [join(root, 'dist/cjs/shipper/main.js')], { env: { ...env, DEVTOOL_TELEMETRY_SHIPPER: '1' }, stdio: 'ignore' });
    let peakKb = 0;
    let cpu = NaN;
    const poll = setInterval(() => {
      peakKb = Math.max(peakKb, vmHwmKb(child.pid));
      const c = cpuSeconds(child.pid);
      if (!Number.isNaN(c)) cpu = c; // the last reading before exit (20 ms resolution)
    }, 20);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearInterval(poll);
      resolve({ ms: Number(process.hrtime.bigint() - t0) / 1e6, peakMb: peakKb / 1024, cpuS: cpu, code });
    });
  });
}

function spoolLeft(env) {
  const { batchDir } = require(join(root, 'dist/cjs/spool/layout.js'));
  try {
    return readdirSync(batchDir(env)).filter((f) => f.endsWith('.batch')).length;
  } catch {
    return 0;
  }
}

async function oneTarget(label, url, home) {
  const cache = mkdtempSync(join(home, 'cache-'));
  const env = {
    PATH: process.env.PATH,
    HOME: home,
    XDG_CACHE_HOME: cache,
    OTEL_EXPORTER_OTLP_ENDPOINT: url,
    // The drain's throughput: no gather delay before the first request, no linger after the last
    // (the batched cadence's cost is cpu-per-run's subject; here it only added ~60-120 s of waiting).
    DEVTOOL_TELEMETRY_SHIP: 'immediate',
    // Hold the whole backlog (the defaults, 20 MiB / 5,000 batches, would evict part of it).
    DEVTOOL_TELEMETRY_SPOOL_MAX_BYTES: String(2 * 1024 * 1024 * 1024),
    DEVTOOL_TELEMETRY_SPOOL_MAX_BATCHES: String(BATCHES + 10),
  };
  const write = fillSpool(env, BATCHES);
  const big = await runShipper(env);
  const left = spoolLeft(env);
  const { shipperStateFile } = require(join(root, 'dist/cjs/spool/layout.js'));
  const state = JSON.parse(readFileSync(shipperStateFile(env), 'utf8'));
  // Footprint of a shipper with a single run to send (the common case).
  const small = mkdtempSync(join(home, 'cache-'));
  const envSmall = { ...env, XDG_CACHE_HOME: small };
  const { writeBatch } = require(join(root, 'dist/cjs/spool/spool.js'));
  writeBatch(makeBatch(0, 3), envSmall);
  const one = await runShipper(envSmall);
  return { label, write, big, left, sent: state.sentSpans, one };
}

function collectorOverlay(dir) {
  const file = join(dir, 'debug-sink.yaml');
  writeFileSync(file, 'service:\n  pipelines:\n    traces:\n      exporters: [debug]\n    metrics:\n      exporters: [debug]\n');
  return file;
}

export async function run() {
  const home = mkdtempSync(join(tmpdir(), 'dt-ship-'));
  const rows = [];
  const sink = await startSink();
  try {
    rows.push(await oneTarget('loopback OTLP sink (200 to all)', sink.url, home));
  } finally {
    await sink.close();
  }
  const bin = join(root, 'build/collector/otelcol-devtool');
  if (existsSync(bin)) {
    const lib = await import('../scripts/stack-lib.mjs');
    const [collectorGrpcPort, collectorHttpPort, healthPort, promExporterPort, collectorTelemetryPort, jaegerOtlpGrpcPort] = await lib.findFreePorts(6);
    const ports = { collectorGrpcPort, collectorHttpPort, healthPort, promExporterPort, collectorTelemetryPort, jaegerOtlpGrpcPort };
    const work = join(home, 'collector');
    mkdirSync(work, { recursive: true });
    let col;
    try {
      col = await lib.startCollector({ name: 'collector', ports, workDir: work, extraConfigs: [collectorOverlay(home)], env: { DEVTOOL_COLLECTOR_LOG_LEVEL: 'warn' } });
      rows.push(await oneTarget('our collector build (privacy processors, debug exporter)', `http://127.0.0.1:${collectorHttpPort}`, home));
    } catch (e) {
      console.log(`(collector run skipped: ${e.message})`);
    } finally {
      if (col) await lib.stopPid(col.pid);
    }
  } else {
    console.log('(no build/collector/otelcol-devtool: `npm run collector:build` to include the real collector)');
  }
  console.log(`\n## Shipper throughput (${BATCHES} spooled runs x ${SPANS} spans, one shipper process, protobuf)`);
  console.log('| target | spans sent | left in spool | shipper wall s | spans/s (wall) | shipper CPU s | spans per CPU-s | shipper peak RSS MB | 1-run shipper: wall ms | 1-run shipper: peak RSS MB |');
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  const fmt = (n) => Math.round(n).toLocaleString('en-US');
  for (const r of rows) {
    const sps = r.sent / (r.big.ms / 1000);
    console.log(
      `| ${r.label} | ${r.sent} | ${r.left} | ${(r.big.ms / 1000).toFixed(2)} | ${fmt(sps)} | ${r.big.cpuS.toFixed(2)} | ${fmt(r.sent / r.big.cpuS)} | ${r.big.peakMb.toFixed(1)} | ${r.one.ms.toFixed(0)} | ${r.one.peakMb.toFixed(1)} |`,
    );
  }
  console.log('\n## Spool write cost per run (writeBatch of one run: temp file + rename + bounded-spool listing)');
  console.log('| spool size while writing | median µs | p99 µs |');
  console.log('|---|---:|---:|');
  for (const r of rows) console.log(`| growing 0 -> ${BATCHES} batches (${r.label}) | ${r.write.medianUs.toFixed(0)} | ${r.write.p99Us.toFixed(0)} |`);
  rmSync(home, { recursive: true, force: true });
  return rows;
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
