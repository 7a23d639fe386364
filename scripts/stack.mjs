#!/usr/bin/env node
// npm run stack       -> node scripts/stack.mjs start
// npm run stack:stop  -> node scripts/stack.mjs stop
//                        node scripts/stack.mjs status
// Starts our collector, Jaeger and Prometheus as local processes on loopback (logs, pid files and data in
// build/stack/), building or installing what is missing first. Ports: the contract's defaults, or the
// DEVTOOL_*_PORT variables listed in scripts/stack-lib.mjs (ENV_PORTS).
import path from 'node:path';
import { ensureBuilt, startStack, stopStack, stackStatus, portsFromEnv, PATHS, ENV_PORTS, ROOT } from './stack-lib.mjs';

const cmd = process.argv[2] ?? 'start';
const workDir = process.env.DEVTOOL_STACK_DIR ? path.resolve(process.env.DEVTOOL_STACK_DIR) : PATHS.defaultWorkDir;
const rel = (p) => path.relative(ROOT, p) || '.';

async function start() {
  const { info, alive } = stackStatus(workDir);
  const running = Object.entries(alive).filter(([, pid]) => pid);
  if (running.length) {
    console.log(`stack already running in ${rel(workDir)}: ${running.map(([n, p]) => `${n} (pid ${p})`).join(', ')}`);
    if (info) printEndpoints(info.endpoints);
    console.log("stop it with 'npm run stack:stop'");
    return;
  }
  const ports = portsFromEnv();
  console.log('== building what is missing (cached) ==');
  await ensureBuilt({ log: (l) => console.log(l) });
  console.log(`== starting collector, Jaeger, Prometheus (logs in ${rel(workDir)}/) ==`);
  const t0 = Date.now();
  const stack = await startStack({ ...ports, workDir, detached: true, scrapeInterval: '5s' });
  console.log(`stack is up in ${((Date.now() - t0) / 1000).toFixed(1)} s: ${Object.entries(stack.pids).map(([n, p]) => `${n}=${p}`).join(' ')}`);
  printEndpoints(stack.endpoints);
  console.log("stop it with 'npm run stack:stop'");
}

function printEndpoints(e) {
  console.log(`  send OTLP to      ${e.otlpHttp} (HTTP)   ${e.otlpGrpc.replace('http://', '')} (gRPC)`);
  console.log(`    e.g. OTEL_EXPORTER_OTLP_ENDPOINT=${e.otlpHttp}`);
  console.log(`  traces (Jaeger)   ${e.jaegerUi}/api/services , ${e.jaegerUi}/api/traces?service=<tool>`);
  console.log(`  metrics           ${e.prometheus}/graph?g0.expr=sum(devtool_command_runs_total)   (raw: ${e.promExporter})`);
  console.log(`  collector health  ${e.collectorHealth}`);
}

async function stop() {
  const stopped = await stopStack({ workDir, log: (l) => console.log(l) });
  console.log(stopped.length ? `stack stopped (${stopped.join(', ')})` : `no stack running in ${rel(workDir)}`);
}

function status() {
  const { info, alive } = stackStatus(workDir);
  if (!Object.keys(alive).length) return console.log(`no stack in ${rel(workDir)}`);
  for (const [n, pid] of Object.entries(alive)) console.log(`${n}: ${pid ? `running (pid ${pid})` : 'not running'}`);
  if (info) printEndpoints(info.endpoints);
}

const commands = { start, stop, status };
if (!commands[cmd]) {
  console.error(`usage: node scripts/stack.mjs start|stop|status   (ports: ${Object.values(ENV_PORTS).join(', ')})`);
  process.exit(2);
}
try {
  await commands[cmd]();
} catch (e) {
  console.error(`\nstack ${cmd} failed: ${e.message}`);
  process.exit(1);
}
