#!/usr/bin/env node
// npm run stack       -> node scripts/stack.mjs start
// npm run stack:stop  -> node scripts/stack.mjs stop
//                        node scripts/stack.mjs status
// Starts our collector, Jaeger and Prometheus as local processes on loopback (logs, pid files and data in
// build/stack/), building or installing what is missing first. Ports: the contract's defaults, or the
// DEVTOOL_*_PORT variables listed in scripts/stack-lib.mjs (ENV_PORTS).
import path from 'node:path';
import { ensureBuilt, startStack, stopStack, stackStatus, portsFromEnv, resolveJaegerBin, PATHS, ENV_PORTS, ROOT } from './stack-lib.mjs';
import { latestRun, recordViewer, startViewerProcess, traceLinks } from '../viewer/stack.mjs';

const cmd = process.argv[2] ?? 'start';
const workDir = process.env.DEVTOOL_STACK_DIR ? path.resolve(process.env.DEVTOOL_STACK_DIR) : PATHS.defaultWorkDir;
const rel = (p) => path.relative(ROOT, p) || '.';

async function start() {
  const { info, alive } = stackStatus(workDir);
  const running = Object.entries(alive).filter(([, pid]) => pid);
  if (running.length) {
    console.log(`stack already running in ${rel(workDir)}: ${running.map(([n, p]) => `${n} (pid ${p})`).join(', ')}`);
    if (info) printEndpoints(info.endpoints);
    if (info?.viewerUrl && alive.viewer) await printLatestTrace(info);
    console.log("stop it with 'npm run stack:stop'");
    return;
  }
  const ports = portsFromEnv();
  console.log('== building what is missing (cached) ==');
  await ensureBuilt({ log: (l) => console.log(l) });
  console.log(`== starting collector, Jaeger, Prometheus (logs in ${rel(workDir)}/) ==`);
  const t0 = Date.now();
  const stack = await startStack({ ...ports, workDir, detached: true, scrapeInterval: '5s' });
  const viewer = await startViewerProcess({ endpoints: stack.endpoints, workDir, port: ports.viewerPort, detached: true }).catch(async (e) => {
    await stack.stop();
    throw e;
  });
  recordViewer(workDir, viewer.url);
  console.log(`stack is up in ${((Date.now() - t0) / 1000).toFixed(1)} s: ${Object.entries(stack.pids).map(([n, p]) => `${n}=${p}`).join(' ')} viewer=${viewer.pid}`);
  console.log(`  Jaeger binary     ${jaegerNote()}`);
  printEndpoints({ ...stack.endpoints, viewer: viewer.url });
  console.log("stop it with 'npm run stack:stop'");
}

function printEndpoints(e) {
  if (e.viewer) console.log(`  open the viewer   ${e.viewer}/   (runs, traces, the dashboard's panels)`);
  console.log(`  send OTLP to      ${e.otlpHttp} (HTTP)   ${e.otlpGrpc.replace('http://', '')} (gRPC)`);
  console.log(`    e.g. OTEL_EXPORTER_OTLP_ENDPOINT=${e.otlpHttp}`);
  console.log(`  traces (Jaeger)   ${e.jaegerUi}/api/services , ${e.jaegerUi}/api/traces?service=<tool>`);
  console.log(`  metrics           ${e.prometheus}/graph?g0.expr=sum(devtool_command_runs_total)   (raw: ${e.promExporter})`);
  console.log(`  collector health  ${e.collectorHealth}`);
}

/** Which Jaeger runs, and so which UI you get (issue: users with the official release get its UI). */
function jaegerNote() {
  const { bin, source } = resolveJaegerBin();
  if (source === 'build') return `${rel(bin)} (built from Go modules: query API only, no Jaeger UI; use the viewer, or put the official jaeger on PATH / JAEGER_BIN)`;
  return `${bin} (from ${source}: the official release serves the Jaeger UI)`;
}

/** The newest run in Jaeger, as links (issue 16: the stack prints the Jaeger link of the latest trace). */
async function printLatestTrace(info) {
  const run = await latestRun(info.endpoints.jaegerUi).catch(() => null);
  if (!run) return;
  const links = await traceLinks({ viewerUrl: info.viewerUrl, jaegerUrl: info.endpoints.jaegerUi, traceId: run.traceId });
  console.log(`  latest run        ${run.tool} · ${run.command} (${run.outcome})`);
  console.log(`    viewer          ${links.viewer}`);
  console.log(`    Jaeger          ${links.jaeger}`);
}

async function stop() {
  const stopped = await stopStack({ workDir, log: (l) => console.log(l) });
  console.log(stopped.length ? `stack stopped (${stopped.join(', ')})` : `no stack running in ${rel(workDir)}`);
}

async function status() {
  const { info, alive } = stackStatus(workDir);
  if (!Object.keys(alive).length) return console.log(`no stack in ${rel(workDir)}`);
  for (const [n, pid] of Object.entries(alive)) console.log(`${n}: ${pid ? `running (pid ${pid})` : 'not running'}`);
  if (info) printEndpoints(info.endpoints);
  if (info?.viewerUrl && alive.viewer) await printLatestTrace(info);
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
