// The local viewing stack as real processes on loopback: our collector (build/collector/otelcol-devtool with
// otel-collector.yaml), Jaeger v2 (build/jaeger/jaeger with collector-config/jaeger.yaml) and Prometheus
// (Debian package, collector-config/prometheus.yml). No dependencies: Node >= 18.
//
//   import { ensureBuilt, startStack, findFreePorts } from './scripts/stack-lib.mjs';
//   await ensureBuilt();                                   // builds/installs what is missing (cached)
//   const stack = await startStack({ workDir, ...ports }); // waits for health; throws on a busy port
//   await stack.queryJaegerTraces('my-tool');  await stack.queryPrometheus('sum(devtool_command_runs_total)');
//   await stack.stop();
//
// `npm run stack` / `npm run stack:stop` (scripts/stack.mjs) use the same functions with the contract's
// default ports (overridable through the DEVTOOL_* variables in ENV_PORTS) and workDir build/stack.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const HOST = '127.0.0.1';

/** The contract's default ports. */
export const DEFAULT_PORTS = Object.freeze({
  collectorGrpcPort: 4317,
  collectorHttpPort: 4318,
  healthPort: 13133,
  promExporterPort: 8889,
  collectorTelemetryPort: 8888,
  jaegerUiPort: 16686,
  jaegerQueryGrpcPort: 16685,
  jaegerOtlpGrpcPort: 14317,
  jaegerOtlpHttpPort: 14318,
  prometheusPort: 9090,
  viewerPort: 16680, // viewer/ (started by `npm run stack` and the demo, not by startStack)
});

/** Env variable read by the configs (and by `npm run stack`) for each port. */
export const ENV_PORTS = Object.freeze({
  collectorGrpcPort: 'DEVTOOL_COLLECTOR_OTLP_GRPC_PORT',
  collectorHttpPort: 'DEVTOOL_COLLECTOR_OTLP_HTTP_PORT',
  healthPort: 'DEVTOOL_COLLECTOR_HEALTH_PORT',
  promExporterPort: 'DEVTOOL_COLLECTOR_PROM_PORT',
  collectorTelemetryPort: 'DEVTOOL_COLLECTOR_TELEMETRY_PORT',
  jaegerUiPort: 'DEVTOOL_JAEGER_UI_PORT',
  jaegerQueryGrpcPort: 'DEVTOOL_JAEGER_QUERY_GRPC_PORT',
  jaegerOtlpGrpcPort: 'DEVTOOL_JAEGER_OTLP_GRPC_PORT',
  jaegerOtlpHttpPort: 'DEVTOOL_JAEGER_OTLP_HTTP_PORT',
  prometheusPort: 'DEVTOOL_PROMETHEUS_PORT',
  viewerPort: 'DEVTOOL_VIEWER_PORT',
});

const PORT_OWNER = {
  collectorGrpcPort: 'collector OTLP/gRPC',
  collectorHttpPort: 'collector OTLP/HTTP',
  healthPort: 'collector health_check',
  promExporterPort: 'collector Prometheus exporter',
  collectorTelemetryPort: "collector's own metrics",
  jaegerUiPort: 'Jaeger UI/query API',
  jaegerQueryGrpcPort: 'Jaeger query gRPC',
  jaegerOtlpGrpcPort: 'Jaeger OTLP/gRPC',
  jaegerOtlpHttpPort: 'Jaeger OTLP/HTTP',
  prometheusPort: 'Prometheus',
  viewerPort: 'viewer',
};

export const PATHS = Object.freeze({
  collectorBin: path.join(ROOT, 'build/collector/otelcol-devtool'),
  jaegerBin: path.join(ROOT, 'build/jaeger/jaeger'),
  collectorConfig: path.join(ROOT, 'otel-collector.yaml'),
  jaegerConfig: path.join(ROOT, 'collector-config/jaeger.yaml'),
  prometheusConfig: path.join(ROOT, 'collector-config/prometheus.yml'),
  defaultWorkDir: path.join(ROOT, 'build/stack'),
});

/** Ports from the DEVTOOL_* env variables, falling back to the contract's defaults. */
export function portsFromEnv(env = process.env) {
  const out = {};
  for (const [k, v] of Object.entries(ENV_PORTS)) {
    const raw = env[v];
    if (raw === undefined || raw === '') out[k] = DEFAULT_PORTS[k];
    else {
      const n = Number(raw);
      if (!Number.isInteger(n) || n < 1 || n > 65535) throw new Error(`${v}=${raw} is not a valid port`);
      out[k] = n;
    }
  }
  return out;
}

/** Resolve the Prometheus binary: PROMETHEUS_BIN, else `prometheus` on PATH, else null. */
export function prometheusBin(env = process.env) {
  if (env.PROMETHEUS_BIN) return env.PROMETHEUS_BIN;
  for (const dir of (env.PATH || '').split(path.delimiter).concat(['/usr/bin', '/usr/local/bin'])) {
    const p = path.join(dir, 'prometheus');
    try {
      fs.accessSync(p, fs.constants.X_OK);
      return p;
    } catch {
      /* not there or not executable: try the next directory */
    }
  }
  return null;
}

/**
 * The Jaeger the stack runs: JAEGER_BIN, else `jaeger` on PATH (an official release, which embeds the
 * Jaeger UI), else ours built from Go modules (build/jaeger/jaeger: the query API, but no UI assets).
 */
export function resolveJaegerBin(env = process.env) {
  if (env.JAEGER_BIN) return { bin: path.resolve(env.JAEGER_BIN), source: 'JAEGER_BIN' };
  for (const dir of (env.PATH || '').split(path.delimiter)) {
    if (!dir) continue;
    const p = path.join(dir, 'jaeger');
    try {
      fs.accessSync(p, fs.constants.X_OK);
      if (fs.statSync(p).isFile()) return { bin: p, source: 'PATH' };
    } catch {
      /* not there or not executable: try the next directory */
    }
  }
  return { bin: PATHS.jaegerBin, source: 'build' };
}

/** Run one of the repo's build scripts, streaming its output to `log`; rejects with a clear message. */
export function runScript(script, { log = (l) => process.stderr.write(l + '\n'), env = {} } = {}) {
  return new Promise((resolve, reject) => {
    const file = path.join(ROOT, 'scripts', script);
    const child = spawn('bash', [file], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    const tail = [];
    const onData = (buf) => {
      for (const line of buf.toString().split('\n')) {
        if (!line) continue;
        tail.push(line);
        if (tail.length > 40) tail.shift();
        log(line);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve();
      else reject(new Error(`scripts/${script} failed (exit ${code}). Last output:\n${tail.join('\n')}`));
    });
  });
}

/**
 * Build / install what is missing: the collector (scripts/collector-build.sh), Jaeger
 * (scripts/jaeger-build.sh), Prometheus (scripts/prometheus-install.sh). Each script is cached and
 * returns at once when its artifact is current. Rejects (never skips) when something cannot be built.
 */
export async function ensureBuilt({ collector = true, jaeger = true, prometheus = true, log } = {}) {
  const timings = {};
  const run = async (name, script) => {
    const t0 = Date.now();
    await runScript(script, { log });
    timings[name] = Date.now() - t0;
  };
  if (collector) await run('collector', 'collector-build.sh');
  if (jaeger && resolveJaegerBin().source === 'build') await run('jaeger', 'jaeger-build.sh'); // a user's jaeger needs no build
  if (prometheus) await run('prometheus', 'prometheus-install.sh');
  return timings;
}

/** Throws a clear error when `port` on 127.0.0.1 is taken. */
export function assertPortFree(port, what = 'port') {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', (err) => {
      if (err.code === 'EADDRINUSE' || err.code === 'EACCES') {
        reject(
          Object.assign(
            new Error(
              `${what}: port ${port} on ${HOST} is already in use (${err.code}). ` +
                `Is a stack already running ('npm run stack:stop'), or another program on that port? ` +
                `Choose other ports through the DEVTOOL_*_PORT variables.`,
            ),
            { code: 'EPORTBUSY', port },
          ),
        );
      } else reject(err);
    });
    srv.listen({ port, host: HOST, exclusive: true }, () => srv.close(() => resolve()));
  });
}

/**
 * Below the kernel's ephemeral range: ports there are never handed out as the source port of an
 * outgoing connection or to a listen(0), so a port found free stays free until the component binds it
 * (with the ephemeral range, a busy test run could take it in between: EADDRINUSE). Null when the
 * range leaves no room below it (then port 0, the kernel's choice, is used).
 */
function quietPortRange() {
  try {
    const low = Number(fs.readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    return low > 11_000 ? [10_000, low] : null;
  } catch {
    return null;
  }
}

function listenOn(port) {
  return new Promise((res, rej) => {
    const srv = net.createServer();
    srv.once('error', rej);
    srv.listen({ port, host: HOST, exclusive: true }, () => res(srv));
  });
}

/** `n` distinct free loopback ports (held open together while choosing, so they differ). */
export async function findFreePorts(n) {
  const servers = [];
  const range = quietPortRange();
  try {
    for (let i = 0; i < n; i++) {
      let srv = null;
      // a random free port below the ephemeral range (bounded tries), else the kernel's choice
      for (let tries = 0; range && !srv && tries < 50; tries++) {
        srv = await listenOn(range[0] + Math.floor(Math.random() * (range[1] - range[0]))).catch(() => null);
      }
      servers.push(srv ?? (await listenOn(0)));
    }
    return servers.map((s) => s.address().port);
  } finally {
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  }
}

/** Free ports for every port of a stack (for tests that must not clash with a user's stack). */
export async function freeStackPorts() {
  const keys = Object.keys(DEFAULT_PORTS);
  const ports = await findFreePorts(keys.length);
  return Object.fromEntries(keys.map((k, i) => [k, ports[i]]));
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function tailFile(file, lines = 30) {
  try {
    return fs.readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

function isAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return e.code === 'EPERM';
  }
}

function cmdlineOf(pid) {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    return '';
  }
}

/**
 * Start one process with its log and pid file in workDir. detached: its own session (survives the caller;
 * stop it by pid); otherwise it is killed when the calling process exits.
 */
export function startProcess(name, bin, args, { workDir, env = {}, detached = false, cwd = ROOT } = {}) {
  if (!fs.existsSync(bin)) throw new Error(`${name}: binary ${bin} not found (build it first: ensureBuilt())`);
  fs.mkdirSync(workDir, { recursive: true });
  const logFile = path.join(workDir, `${name}.log`);
  const fd = fs.openSync(logFile, 'a');
  fs.writeSync(fd, `\n--- ${new Date().toISOString()} ${bin} ${args.join(' ')}\n`);
  const child = spawn(bin, args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', fd, fd], detached });
  fs.closeSync(fd);
  const pidFile = path.join(workDir, `${name}.pid`);
  fs.writeFileSync(pidFile, String(child.pid));
  let exited = null;
  child.on('exit', (code, signal) => {
    exited = { code, signal };
  });
  child.on('error', (err) => {
    exited = { code: -1, signal: null, error: err };
  });
  if (detached) child.unref();
  else liveChildren.add(child);
  return {
    name,
    bin,
    pid: child.pid,
    child,
    logFile,
    pidFile,
    exited: () => exited,
    logTail: (n) => tailFile(logFile, n),
  };
}

const liveChildren = new Set();
process.once('exit', () => {
  for (const c of liveChildren) {
    try {
      c.kill('SIGKILL');
    } catch {
      /* already gone */
    }
  }
});

/** Stop a pid politely (SIGTERM), then SIGKILL after timeoutMs. Only kills if the cmdline matches `expect`. */
export async function stopPid(pid, { expect, timeoutMs = 10000 } = {}) {
  if (!pid || !isAlive(pid)) return false;
  if (expect && !cmdlineOf(pid).includes(expect)) return false; // pid reused by something else
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return false;
  }
  const t0 = Date.now();
  while (Date.now() - t0 < timeoutMs) {
    if (!isAlive(pid) || /^\S+\s+\S+\s+Z/.test(readStat(pid))) return true;
    await sleep(100);
  }
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    /* it exited between the check and the kill */
  }
  return true;
}

function readStat(pid) {
  try {
    return fs.readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/\(.*\)/, 'x');
  } catch {
    return '';
  }
}

/** Poll `check()` (async, returns truthy when ready) until timeout; fails early if proc exited. */
export async function waitFor(what, check, { timeoutMs = 60000, intervalMs = 250, proc } = {}) {
  const t0 = Date.now();
  let lastErr;
  while (Date.now() - t0 < timeoutMs) {
    if (proc && proc.exited()) {
      const ex = proc.exited();
      throw new Error(
        `${what}: ${proc.name} exited (code ${ex.code}, signal ${ex.signal}) before it was ready. Log ${proc.logFile}:\n${proc.logTail(30)}`,
      );
    }
    try {
      const ok = await check();
      if (ok) return ok;
    } catch (e) {
      lastErr = e;
    }
    await sleep(intervalMs);
  }
  throw new Error(
    `${what}: not ready after ${timeoutMs} ms${lastErr ? ` (last error: ${lastErr.message})` : ''}` +
      (proc ? `. Log ${proc.logFile}:\n${proc.logTail(30)}` : ''),
  );
}

async function httpOk(url, { timeoutMs = 2000 } = {}) {
  const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  await res.arrayBuffer();
  return res.ok;
}

/** Traces of `service` from Jaeger's query API (`/api/traces`). */
export async function queryJaegerTraces(service, { baseUrl = `http://${HOST}:${DEFAULT_PORTS.jaegerUiPort}`, limit = 1000, lookback = '2h', tags } = {}) {
  const u = new URL('/api/traces', baseUrl);
  u.searchParams.set('service', service);
  u.searchParams.set('limit', String(limit));
  u.searchParams.set('lookback', lookback);
  if (tags) u.searchParams.set('tags', JSON.stringify(tags));
  const res = await fetch(u, { signal: AbortSignal.timeout(10000) });
  const body = await res.json().catch(() => ({}));
  // Jaeger answers 404 "service not found" before the first span of that service arrives
  if (res.status === 404) return [];
  if (!res.ok) throw new Error(`Jaeger ${u}: HTTP ${res.status} ${JSON.stringify(body.errors ?? body)}`);
  return body.data ?? [];
}

/** Service names known to Jaeger (`/api/services`). */
export async function queryJaegerServices({ baseUrl = `http://${HOST}:${DEFAULT_PORTS.jaegerUiPort}` } = {}) {
  const res = await fetch(new URL('/api/services', baseUrl), { signal: AbortSignal.timeout(10000) });
  if (!res.ok) throw new Error(`Jaeger /api/services: HTTP ${res.status}`);
  return (await res.json()).data ?? [];
}

/** Instant PromQL query; resolves to the `result` array (vector/matrix). */
export async function queryPrometheus(promql, { baseUrl = `http://${HOST}:${DEFAULT_PORTS.prometheusPort}`, time } = {}) {
  const u = new URL('/api/v1/query', baseUrl);
  u.searchParams.set('query', promql);
  if (time) u.searchParams.set('time', String(time));
  const res = await fetch(u, { signal: AbortSignal.timeout(10000) });
  const body = await res.json().catch(() => ({}));
  if (!res.ok || body.status !== 'success') {
    throw new Error(`Prometheus query ${JSON.stringify(promql)}: HTTP ${res.status} ${body.errorType ?? ''} ${body.error ?? ''}`);
  }
  return body.data.result;
}

/** Poll until `fn()` resolves to something `accept` likes; resolves to that value. */
export async function eventually(fn, accept = (v) => (Array.isArray(v) ? v.length > 0 : Boolean(v)), { timeoutMs = 30000, intervalMs = 500, what = 'condition' } = {}) {
  const t0 = Date.now();
  let last;
  let lastErr;
  while (Date.now() - t0 < timeoutMs) {
    try {
      last = await fn();
      if (accept(last)) return last;
    } catch (e) {
      lastErr = e;
    }
    await sleep(intervalMs);
  }
  throw new Error(`${what}: not met after ${timeoutMs} ms; last value ${JSON.stringify(last)?.slice(0, 500)}${lastErr ? `; last error ${lastErr.message}` : ''}`);
}

/** Render collector-config/prometheus.yml with the stack's ports (Prometheus does not expand env vars). */
export function renderPrometheusConfig({ promExporterPort, collectorTelemetryPort, scrapeInterval = '5s', extraTargets = [] }) {
  let text = fs.readFileSync(PATHS.prometheusConfig, 'utf8');
  text = text
    .replaceAll(`${HOST}:${DEFAULT_PORTS.promExporterPort}`, [`${HOST}:${promExporterPort}`, ...extraTargets].join("', '"))
    .replaceAll(`${HOST}:${DEFAULT_PORTS.collectorTelemetryPort}`, `${HOST}:${collectorTelemetryPort}`)
    .replace(/scrape_interval: \S+/, `scrape_interval: ${scrapeInterval}`)
    .replace(/evaluation_interval: \S+/, `evaluation_interval: ${scrapeInterval}`);
  return text;
}

/** Env for a collector process using our configs, from a ports object. */
export function collectorEnv(ports, { storageDir, logsFile, jaegerOtlpEndpoint } = {}) {
  return {
    DEVTOOL_COLLECTOR_HOST: HOST,
    DEVTOOL_COLLECTOR_OTLP_GRPC_PORT: String(ports.collectorGrpcPort),
    DEVTOOL_COLLECTOR_OTLP_HTTP_PORT: String(ports.collectorHttpPort),
    DEVTOOL_COLLECTOR_HEALTH_PORT: String(ports.healthPort),
    DEVTOOL_COLLECTOR_PROM_PORT: String(ports.promExporterPort),
    DEVTOOL_COLLECTOR_TELEMETRY_PORT: String(ports.collectorTelemetryPort),
    ...(storageDir ? { DEVTOOL_COLLECTOR_STORAGE_DIR: storageDir } : {}),
    ...(logsFile ? { DEVTOOL_COLLECTOR_LOGS_FILE: logsFile } : {}),
    // Go GC target below memory_limiter's limit (512 MiB by default), as the limiter's docs recommend
    GOMEMLIMIT: process.env.GOMEMLIMIT ?? '400MiB',
    DEVTOOL_JAEGER_OTLP_ENDPOINT: jaegerOtlpEndpoint ?? `${HOST}:${ports.jaegerOtlpGrpcPort ?? DEFAULT_PORTS.jaegerOtlpGrpcPort}`,
  };
}

/** Where a collector started by startCollector writes the logs it receives (the file/logs exporter). */
export function collectorLogsFile(workDir, name = 'collector') {
  return path.join(workDir, `${name}-logs.jsonl`);
}

export { readCollectorLogs } from './collector-logs.mjs';

/** Start a collector with our config and wait for its health_check. */
export async function startCollector({
  name = 'collector',
  ports,
  workDir,
  config = PATHS.collectorConfig,
  extraConfigs = [],
  env = {},
  detached = false,
  timeoutMs = 60000,
}) {
  const proc = startProcess(
    name,
    PATHS.collectorBin,
    [config, ...extraConfigs].flatMap((c) => ['--config', c]),
    {
      workDir,
      detached,
      env: { ...collectorEnv(ports, { storageDir: path.join(workDir, `${name}-storage`), logsFile: collectorLogsFile(workDir, name) }), ...env },
    },
  );
  try {
    await waitFor(`${name} health (${HOST}:${ports.healthPort})`, () => httpOk(`http://${HOST}:${ports.healthPort}/`), { proc, timeoutMs });
  } catch (e) {
    await stopPid(proc.pid);
    throw e;
  }
  return proc;
}

/**
 * Start collector, Jaeger and Prometheus on loopback and wait until each is healthy.
 * Options: any port of DEFAULT_PORTS (missing ones take the default), workDir (logs, pid files, data),
 * components ({ collector, jaeger, prometheus }: which to run, all by default), collectorConfig,
 * collectorExtraConfigs (overlay config files merged after the main one), collectorEnv (extra env),
 * scrapeInterval (Prometheus, default '2s'), detached (processes outlive the caller: `npm run stack`).
 * Resolves to { ports, endpoints, workDir, processes, stop(), queryJaegerTraces(), queryPrometheus(), ... }.
 */
export async function startStack(opts = {}) {
  const ports = { ...DEFAULT_PORTS };
  for (const k of Object.keys(DEFAULT_PORTS)) if (opts[k] !== undefined) ports[k] = Number(opts[k]);
  const workDir = path.resolve(opts.workDir ?? PATHS.defaultWorkDir);
  const components = { collector: true, jaeger: true, prometheus: true, ...(opts.components ?? {}) };
  const detached = Boolean(opts.detached);
  const timeoutMs = opts.healthTimeoutMs ?? 60000;
  fs.mkdirSync(workDir, { recursive: true });

  // every port first: a clear error before anything starts
  const needed = [];
  if (components.collector) needed.push('collectorGrpcPort', 'collectorHttpPort', 'healthPort', 'promExporterPort', 'collectorTelemetryPort');
  if (components.jaeger) needed.push('jaegerUiPort', 'jaegerQueryGrpcPort', 'jaegerOtlpGrpcPort', 'jaegerOtlpHttpPort');
  if (components.prometheus) needed.push('prometheusPort');
  for (const k of needed) await assertPortFree(ports[k], `${PORT_OWNER[k]} (${ENV_PORTS[k]})`);

  const procs = [];
  const stop = async () => {
    for (const p of procs.slice().reverse()) await stopPid(p.pid, { expect: path.basename(p.bin) });
    for (const p of procs) {
      liveChildren.delete(p.child);
      fs.rmSync(p.pidFile, { force: true });
    }
    fs.rmSync(path.join(workDir, 'stack.json'), { force: true });
  };

  try {
    if (components.jaeger) {
      const p = startProcess('jaeger', opts.jaegerBin ?? resolveJaegerBin().bin, ['--config', opts.jaegerConfig ?? PATHS.jaegerConfig], {
        workDir,
        detached,
        env: {
          DEVTOOL_JAEGER_HOST: HOST,
          DEVTOOL_JAEGER_UI_PORT: String(ports.jaegerUiPort),
          DEVTOOL_JAEGER_QUERY_GRPC_PORT: String(ports.jaegerQueryGrpcPort),
          DEVTOOL_JAEGER_OTLP_GRPC_PORT: String(ports.jaegerOtlpGrpcPort),
          DEVTOOL_JAEGER_OTLP_HTTP_PORT: String(ports.jaegerOtlpHttpPort),
        },
      });
      procs.push(p);
      await waitFor('Jaeger /api/services', () => httpOk(`http://${HOST}:${ports.jaegerUiPort}/api/services`), { proc: p, timeoutMs });
    }
    if (components.collector) {
      const p = await startCollector({
        ports,
        workDir,
        config: opts.collectorConfig ?? PATHS.collectorConfig,
        extraConfigs: opts.collectorExtraConfigs ?? [],
        env: opts.collectorEnv ?? {},
        detached,
        timeoutMs,
      });
      procs.push(p);
    }
    if (components.prometheus) {
      const bin = opts.prometheusBin ?? prometheusBin();
      if (!bin) throw new Error('prometheus not found: run scripts/prometheus-install.sh (or set PROMETHEUS_BIN)');
      const cfg = path.join(workDir, 'prometheus.yml');
      fs.writeFileSync(cfg, renderPrometheusConfig({ ...ports, scrapeInterval: opts.scrapeInterval ?? '2s', extraTargets: opts.extraScrapeTargets }));
      const p = startProcess(
        'prometheus',
        bin,
        [
          `--config.file=${cfg}`,
          `--storage.tsdb.path=${path.join(workDir, 'prometheus-data')}`,
          `--web.listen-address=${HOST}:${ports.prometheusPort}`,
          // the dashboard's totals take each stream's value before the range as baseline, looking back up to
          // the shipper's stream lifetime (30 days): keep at least that much
          '--storage.tsdb.retention.time=31d',
          '--log.level=warn',
        ],
        { workDir, detached },
      );
      procs.push(p);
      await waitFor('Prometheus /-/ready', () => httpOk(`http://${HOST}:${ports.prometheusPort}/-/ready`), { proc: p, timeoutMs });
    }
  } catch (e) {
    await stop();
    throw e;
  }

  const endpoints = {
    otlpHttp: `http://${HOST}:${ports.collectorHttpPort}`,
    otlpGrpc: `http://${HOST}:${ports.collectorGrpcPort}`,
    collectorHealth: `http://${HOST}:${ports.healthPort}/`,
    promExporter: `http://${HOST}:${ports.promExporterPort}/metrics`,
    collectorTelemetry: `http://${HOST}:${ports.collectorTelemetryPort}/metrics`,
    jaegerUi: `http://${HOST}:${ports.jaegerUiPort}`,
    jaegerOtlpGrpc: `http://${HOST}:${ports.jaegerOtlpGrpcPort}`,
    jaegerOtlpHttp: `http://${HOST}:${ports.jaegerOtlpHttpPort}`,
    prometheus: `http://${HOST}:${ports.prometheusPort}`,
  };
  const info = {
    ports,
    endpoints,
    workDir,
    components,
    pids: Object.fromEntries(procs.map((p) => [p.name, p.pid])),
    bins: Object.fromEntries(procs.map((p) => [p.name, p.bin])),
    startedAt: new Date().toISOString(),
  };
  fs.writeFileSync(path.join(workDir, 'stack.json'), JSON.stringify(info, null, 2));

  return {
    ...info,
    processes: procs,
    stop,
    queryJaegerTraces: (service, o = {}) => queryJaegerTraces(service, { baseUrl: endpoints.jaegerUi, ...o }),
    queryJaegerServices: () => queryJaegerServices({ baseUrl: endpoints.jaegerUi }),
    queryPrometheus: (promql, o = {}) => queryPrometheus(promql, { baseUrl: endpoints.prometheus, ...o }),
    /** Resolve once Prometheus has scraped the collector after `since` (ms epoch). */
    waitForScrape: (since = Date.now(), timeoutMs = 30000) => waitForScrape(endpoints.prometheus, since, timeoutMs),
  };
}

/** Wait until every active Prometheus target was scraped successfully after `since`. */
export async function waitForScrape(prometheusUrl, since = Date.now(), timeoutMs = 30000) {
  return eventually(
    async () => {
      const res = await fetch(new URL('/api/v1/targets?state=active', prometheusUrl));
      const body = await res.json();
      const ts = body.data.activeTargets;
      return ts.length > 0 && ts.every((t) => t.health === 'up' && Date.parse(t.lastScrape) > since);
    },
    Boolean,
    { timeoutMs, intervalMs: 250, what: 'Prometheus scrape' },
  );
}

/** Read build/stack/stack.json (or workDir's) if a stack was started there; null otherwise. */
export function readStackInfo(workDir = PATHS.defaultWorkDir) {
  try {
    return JSON.parse(fs.readFileSync(path.join(workDir, 'stack.json'), 'utf8'));
  } catch {
    return null;
  }
}

/** Stop a stack started (possibly by another process) in workDir, from its pid files. */
export async function stopStack({ workDir = PATHS.defaultWorkDir, log = () => {} } = {}) {
  const names = { viewer: 'viewer/main.mjs', prometheus: 'prometheus', collector: 'otelcol-devtool', jaeger: 'jaeger' };
  const stopped = [];
  for (const [name, expect] of Object.entries(names)) {
    const pidFile = path.join(workDir, `${name}.pid`);
    if (!fs.existsSync(pidFile)) continue;
    const pid = Number(fs.readFileSync(pidFile, 'utf8').trim());
    if (await stopPid(pid, { expect })) {
      stopped.push(name);
      log(`stopped ${name} (pid ${pid})`);
    }
    fs.rmSync(pidFile, { force: true });
  }
  fs.rmSync(path.join(workDir, 'stack.json'), { force: true });
  return stopped;
}

/** Which processes of a stack in workDir are alive. */
export function stackStatus(workDir = PATHS.defaultWorkDir) {
  const info = readStackInfo(workDir);
  const alive = {};
  for (const name of ['jaeger', 'collector', 'prometheus', 'viewer']) {
    const pidFile = path.join(workDir, `${name}.pid`);
    if (!fs.existsSync(pidFile)) continue;
    const pid = Number(fs.readFileSync(pidFile, 'utf8').trim());
    alive[name] = isAlive(pid) ? pid : false;
  }
  return { info, alive };
}
