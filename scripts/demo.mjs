// `npm run demo`: the main job on the real stack. Builds what is missing (our collector and
// Jaeger from Go modules, Prometheus from Debian), starts the stack on the contract's ports (or
// reuses a running one), runs the three examples under the preload, waits for the detached
// shipper to deliver, then prints what landed in Jaeger, Prometheus and the logs file, and where to look.
// Demo state (consent, install id, spool) lives under build/demo, never in your home directory.
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { linkExamples } from '../examples/link.mjs';
import { treeDemo } from './demo-tree.mjs';
import { collectorLogsFile, ensureBuilt, eventually, PATHS, portsFromEnv, readCollectorLogs, ROOT, stackStatus, readStackInfo, startStack } from './stack-lib.mjs';
import { latestRun, recordViewer, startViewerProcess, traceLinks } from '../viewer/stack.mjs';

const require = createRequire(import.meta.url);
const say = (line = '') => process.stdout.write(line + '\n');
const step = (line) => say(`\n== ${line}`);

function optedOut() {
  // The demo honours your opt-out like any tool would: same resolver, same sources.
  const { resolveConsent } = require('../dist/cjs/consent/resolve.js');
  const d = resolveConsent({ env: process.env, cwd: ROOT, tool: { name: 'cli-tool', options: {}, problems: [] } });
  return d.level === 'off' && d.source.startsWith('env:') ? d.source : undefined;
}

function run(label, args, { env, cwd = ROOT, input, signalWhen } = {}) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd, env, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => {
      out += d;
      if (signalWhen && out.includes(signalWhen.text)) {
        signalWhen.text = '\u0000'; // once
        signalWhen.then(out).then(() => child.kill('SIGTERM'));
      }
    });
    child.stderr.on('data', (d) => (err += d));
    if (input) child.stdin.end(input);
    else child.stdin.end();
    child.on('close', (code, signal) => {
      const errLine = err.split('\n').find((l) => /^\w*Error\b/.test(l));
      const first = (code === 0 ? out.trim().split('\n')[0] : errLine || out.trim().split('\n')[0] || '').slice(0, 70);
      say(`  ${label.padEnd(46)} exit ${code ?? signal}  ${first}`);
      resolve({ code, signal, out, err });
    });
  });
}

async function main() {
  say('devtool-telemetry demo: examples under the preload -> spool -> shipper -> our collector -> Jaeger + Prometheus');
  const out = optedOut();
  if (out) {
    say(`\nTelemetry is turned off in your environment (${out}); the demo respects that and sends nothing.`);
    say('Unset it for this shell to run the demo.');
    return;
  }

  step('build what is missing (cached after the first run)');
  const timings = await ensureBuilt({ log: (l) => say(`  ${l}`) });
  say(`  done: ${Object.entries(timings).map(([k, ms]) => `${k} ${(ms / 1000).toFixed(1)} s`).join(', ')}`);

  step('start the stack (collector, Jaeger, Prometheus on loopback)');
  const workDir = PATHS.defaultWorkDir;
  const status = stackStatus(workDir);
  let info;
  if (status.info && ['jaeger', 'collector', 'prometheus'].every((n) => status.alive[n])) {
    info = readStackInfo(workDir);
    say('  reusing the stack started earlier (npm run stack)');
  } else {
    info = await startStack({ ...portsFromEnv(), workDir, detached: true }); // DEVTOOL_*_PORT, as npm run stack
    say('  started: logs and pid files in build/stack/');
  }
  const { endpoints } = info;
  // the viewer (viewer/): reuse the stack's, or start one next to it
  let viewerUrl = status.alive.viewer && info.viewerUrl ? info.viewerUrl : undefined;
  if (!viewerUrl) {
    const v = await startViewerProcess({ endpoints, workDir, port: portsFromEnv().viewerPort, detached: true }).catch((e) => say(`  viewer not started: ${e.message}`));
    if (v) recordViewer(workDir, (viewerUrl = v.url));
  }

  const demoDir = join(ROOT, 'build', 'demo');
  mkdirSync(demoDir, { recursive: true });
  const env = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    LANG: process.env.LANG ?? 'C.UTF-8',
    XDG_CONFIG_HOME: join(demoDir, 'config'),
    XDG_CACHE_HOME: join(demoDir, 'cache'),
    OTEL_EXPORTER_OTLP_ENDPOINT: endpoints.otlpHttp,
    // A demo shows each run arrive: ship at once rather than gathering for 10 s (README: delivery cadence).
    DEVTOOL_TELEMETRY_SHIP: 'immediate',
  };
  linkExamples();
  const cli = (args) => ['--require', join(ROOT, 'dist/cjs/register.js'), join(ROOT, 'examples/cli-tool/cli.js'), ...args];
  const sample = join(demoDir, 'sample.txt');
  writeFileSync(sample, 'one\ntwo\nthree\n');

  step('run the examples under the preload (their output is unchanged by it)');
  const startedAt = Date.now();
  await run('cli-tool greet Ada', cli(['greet', 'Ada']), { env });
  await run('cli-tool greet --shout Bob', cli(['greet', '--shout', 'Bob']), { env });
  await run('cli-tool count sample.txt', cli(['count', sample]), { env });
  await run('cli-tool build (development steps)', cli(['build']), { env });
  await run('cli-tool deploy (fails: ConfigError)', cli(['deploy']), { env });
  await run('cli-tool telemetry status', cli(['telemetry', 'status']), { env });
  await run('ai-agent "fix the failing parser test"', ['--import', join(ROOT, 'dist/esm/register.mjs'), join(ROOT, 'examples/ai-agent/agent.mjs'), 'fix the failing parser test'], { env });
  await run('example-server: 5 requests, then SIGTERM', ['--require', join(ROOT, 'dist/cjs/register.js'), join(ROOT, 'examples/server/server.js')], {
    env,
    signalWhen: {
      text: 'listening',
      async then(out) {
        const url = /listening (\S+)/.exec(out)[1];
        for (const p of ['/health', '/work?id=1', '/work?id=2', '/fail', '/health']) await fetch(url + p).then((r) => r.text()).catch(() => {});
      },
    },
  });

  step('wait for the detached shipper to deliver (the tools did not wait)');
  const spool = join(demoDir, 'cache', 'devtool-telemetry');
  const pending = () => {
    try {
      return readdirSync(spool, { recursive: true }).filter((f) => String(f).endsWith('.batch')).length;
    } catch {
      return 0;
    }
  };
  await eventually(async () => pending(), (n) => n === 0, { timeoutMs: 60_000, what: 'the spool to drain' }).catch(() => {
    say(`  ${pending()} batch(es) still queued: run \`XDG_CACHE_HOME=${join(demoDir, 'cache')} npx devtool-telemetry status\``);
  });

  step('what landed in Jaeger');
  const services = ['cli-tool', 'ai-agent', 'example-server'];
  for (const s of services) {
    const traces = await eventually(
      () => fetch(`${endpoints.jaegerUi}/api/traces?service=${s}&limit=100&lookback=1h`).then((r) => r.json()).then((b) => b.data ?? []),
      (t) => t.length > 0,
      { timeoutMs: 30_000, what: `traces of ${s}` },
    ).catch(() => []);
    const names = [...new Set(traces.flatMap((t) => t.spans.map((sp) => sp.operationName)))].slice(0, 8);
    say(`  ${s.padEnd(15)} ${String(traces.length).padStart(3)} traces  spans: ${names.join(', ')}`);
  }

  step('one trace per workflow: an agent runs two tools through step() (process tree)');
  const tree = await treeDemo({ env, endpoints, say, eventually });

  step('what landed in Prometheus (scraped from the collector)');
  const q = async (promql) => {
    const r = await fetch(`${endpoints.prometheus}/api/v1/query?query=${encodeURIComponent(promql)}`).then((x) => x.json());
    return r.data?.result ?? [];
  };
  await eventually(() => q('sum(devtool_command_runs_total)'), (r) => r.length > 0, { timeoutMs: 30_000, what: 'command runs in Prometheus' }).catch(() => {});
  for (const r of await q('sum by (job, devtool_command_name, devtool_command_outcome) (devtool_command_runs_total)')) {
    const m = r.metric;
    say(`  runs  ${String(m.devtool_command_name ?? m.job).padEnd(32)} ${String(m.devtool_command_outcome ?? '').padEnd(12)} ${r.value[1]}`);
  }
  for (const r of await q('sum by (gen_ai_request_model, gen_ai_token_type) (gen_ai_client_token_usage_sum)')) {
    say(`  tokens ${String(r.metric.gen_ai_request_model).padEnd(31)} ${String(r.metric.gen_ai_token_type).padEnd(12)} ${r.value[1]}`);
  }

  step('what landed in the logs backend (log-based events, through the same privacy processors)');
  const logsFile = collectorLogsFile(workDir);
  const since = BigInt(startedAt - 1000) * 1_000_000n;
  const fresh = () => readCollectorLogs(logsFile).filter((l) => l.timeUnixNano && BigInt(l.timeUnixNano) >= since);
  const logs = await eventually(async () => fresh(), (l) => l.some((x) => x.eventName === 'exception'), { timeoutMs: 30_000, what: 'log records' }).catch(() => fresh());
  if (logs.length === 0) say(`  no log records yet (${logsFile})`);
  for (const l of logs.slice(-12)) {
    const attrs = Object.entries(l.attributes).map(([k, v]) => `${k}=${String(v).slice(0, 40)}`).join(' ');
    say(`  ${String(l.severityText ?? '').padEnd(5)} ${String(l.eventName).padEnd(22)} ${String(l.resource['service.name'] ?? '').padEnd(15)} ${attrs}`);
  }
  if (logs.length > 12) say(`  ... ${logs.length - 12} more`);
  say(`  file: ${logsFile} (OTLP JSON lines; Jaeger takes no logs)`);

  step('the traces this demo just made');
  let jaegerHasUi = false;
  // the agent example's run is the newest ai-agent run that is not the process-tree demo's
  const skipTraceIds = tree ? [tree.traceID] : [];
  const shown = [
    ['ai-agent', 'the agent run (steps, LLM calls with model and tokens)'],
    ['cli-tool', 'the last cli-tool run'],
    ...(tree ? [['ai-agent', 'the process tree (an agent and the two tools it ran, one trace)', tree.traceID]] : []),
  ];
  for (const [tool, what, traceId] of shown) {
    const run = traceId
      ? { traceId, command: 'ai-agent', outcome: 'one trace' }
      : await latestRun(endpoints.jaegerUi, { tool, skipTraceIds, sinceMs: startedAt - 1000 }).catch(() => null);
    if (!run) {
      say(`  ${what}: not in Jaeger yet`);
      continue;
    }
    const links = await traceLinks({ viewerUrl: viewerUrl ?? '', jaegerUrl: endpoints.jaegerUi, traceId: run.traceId });
    jaegerHasUi = links.jaegerHasUi;
    say(`  ${what}: ${run.command} (${run.outcome})`);
    if (viewerUrl) say(`    viewer:  ${links.viewer}`);
    say(`    Jaeger:  ${links.jaeger}${links.jaegerHasUi ? '' : '   (JSON: this Jaeger was built from Go modules and has no UI)'}`);
  }

  step('where to look');
  if (viewerUrl) say(`  Viewer (runs, traces, dashboard panels): ${viewerUrl}/`);
  if (jaegerHasUi) say(`  Jaeger (traces):        ${endpoints.jaegerUi}/search?service=cli-tool   (API: ${endpoints.jaegerUi}/api/traces?service=cli-tool)`);
  else say(`  Jaeger (traces, API):   ${endpoints.jaegerUi}/api/traces?service=cli-tool   (no Jaeger UI in a build from Go modules: README, "which UI")`);
  say(`  Prometheus (metrics):   ${endpoints.prometheus}/graph?g0.expr=devtool_command_runs_total`);
  say(`  Logs (OTLP JSON lines): ${logsFile}`);
  say(`  Grafana dashboard:      collector-config/grafana/ (provisioning + JSON; run collector-config/compose.yaml with containers)`);
  say(`  What a run sends:       XDG_CONFIG_HOME=${env.XDG_CONFIG_HOME} XDG_CACHE_HOME=${env.XDG_CACHE_HOME} npx devtool-telemetry preview`);
  say(`  Stop the stack:         npm run stack:stop`);
  say(`\n(demo runs took ${((Date.now() - startedAt) / 1000).toFixed(1)} s in all, delivery included)`);
}

main().catch((err) => {
  process.stderr.write(`\ndemo failed: ${err?.message ?? err}\n`);
  process.exitCode = 1;
});
